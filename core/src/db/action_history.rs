//! SQL for an action's history page: its recorded changes (`action_changes`), the YAML source of
//! its versions (`action_versions`), and its adoption (`requests` per team over a window).

use super::{Db, DbError};
use crate::on_pool;
use chrono::{DateTime, Utc};

/// One row of `action_changes`.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ChangeRow {
    pub id: i64,
    pub content_hash: String,
    pub kind: String,
    pub actor_id: Option<i64>,
    pub actor_name: String,
    pub note: String,
    pub git_commit: Option<String>,
    pub changed_at: DateTime<Utc>,
}

/// Every change of `action_id`, newest first.
#[tracing::instrument(skip_all)]
pub async fn changes(db: &Db, action_id: &str) -> Result<Vec<ChangeRow>, DbError> {
    let rows = on_pool!(db, pool => sqlx::query_as::<_, ChangeRow>(
        "SELECT id, content_hash, kind, actor_id, actor_name, note, git_commit, changed_at
         FROM action_changes WHERE action_id = $1 ORDER BY id DESC"
    ).bind(action_id).fetch_all(pool).await)?;
    Ok(rows)
}

/// The versions of `action_id` whose YAML source is recorded (content hash, first loaded), the
/// latest first loaded first.
#[tracing::instrument(skip_all)]
pub async fn versions(db: &Db, action_id: &str) -> Result<Vec<(String, DateTime<Utc>)>, DbError> {
    let rows = on_pool!(db, pool => sqlx::query_as::<_, (String, DateTime<Utc>)>(
        "SELECT content_hash, first_loaded_at FROM action_versions WHERE action_id = $1
         ORDER BY first_loaded_at DESC, content_hash"
    ).bind(action_id).fetch_all(pool).await)?;
    Ok(rows)
}

/// The YAML source of one version, as it was loaded.
#[tracing::instrument(skip_all)]
pub async fn version_source(
    db: &Db,
    action_id: &str,
    content_hash: &str,
) -> Result<Option<String>, DbError> {
    let source = on_pool!(db, pool => sqlx::query_scalar::<_, String>(
        "SELECT source FROM action_versions WHERE action_id = $1 AND content_hash = $2"
    ).bind(action_id).bind(content_hash).fetch_optional(pool).await)?;
    Ok(source)
}

/// Requests of one team (`None`: recorded without a team) for an action over a window.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AdoptionCount {
    pub team: Option<String>,
    pub requests: i64,
    pub requesters: i64,
}

/// Per team, how many requests of `action_id` were made since `since` and by how many people.
#[tracing::instrument(skip_all)]
pub async fn adoption(
    db: &Db,
    action_id: &str,
    since: DateTime<Utc>,
) -> Result<Vec<AdoptionCount>, DbError> {
    let rows = on_pool!(db, pool => sqlx::query_as::<_, AdoptionCount>(
        "SELECT team, COUNT(*) AS requests, COUNT(DISTINCT requester_id) AS requesters
         FROM requests WHERE action_id = $1 AND created_at >= $2
         GROUP BY team ORDER BY team"
    ).bind(action_id).bind(since).fetch_all(pool).await)?;
    Ok(rows)
}
