//! SQL for the catalogue: action versions, the current action list, and load problems.

use super::{Db, DbError};
use crate::on_pool;
use chrono::{DateTime, Utc};
use runway_domain::problem::Problem;

/// One action as it should be recorded by a catalogue load.
pub struct ActionRecord<'a> {
    pub id: &'a str,
    pub content_hash: &'a str,
    pub file: &'a str,
    pub title: &'a str,
    pub category: &'a str,
    pub owner: &'a str,
    /// The validated spec as JSON.
    pub spec_json: String,
    pub source: &'a str,
}

/// Who made the change a reload is about to record, when it came from the portal (a reload after a
/// publish). Every other new or changed action of the same reload is recorded as found in the files.
#[derive(Debug, Clone)]
pub struct ChangeMeta {
    pub action_id: String,
    /// `core::catalog::edit::ChangeKind` as stored.
    pub kind: &'static str,
    pub actor_id: Option<i64>,
    pub actor_name: String,
    pub note: String,
    pub git_commit: Option<String>,
}

/// One row of the `actions` table.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredAction {
    pub id: String,
    pub content_hash: String,
    pub file: String,
}

/// Replaces the recorded catalogue with `actions` and `problems`, in one transaction: new versions are
/// added (old ones kept for history), current rows are upserted, rows of removed actions deleted.
#[tracing::instrument(skip_all, fields(actions = actions.len(), problems = problems.len()))]
pub async fn sync(
    db: &Db,
    actions: &[ActionRecord<'_>],
    problems: &[Problem],
    now: DateTime<Utc>,
    change: Option<&ChangeMeta>,
) -> Result<(), DbError> {
    on_pool!(db, pool => {
        // Reads the current rows before writing: on SQLite the write lock is taken up front.
        let mut tx = pool.begin_with(db.begin_write()).await?;
        let before: Vec<(String, String)> =
            sqlx::query_as("SELECT id, content_hash FROM actions").fetch_all(&mut *tx).await?;
        let record_change = |id: &str, hash: &str, removed: bool| {
            let mine = change.filter(|c| c.action_id == id);
            let kind = match (removed, mine) {
                (true, _) => "removed",
                (false, Some(c)) => c.kind,
                (false, None) => "files",
            };
            sqlx::query(
                "INSERT INTO action_changes (action_id, content_hash, kind, actor_id, actor_name, note, git_commit, changed_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(id.to_string())
            .bind(hash.to_string())
            .bind(kind)
            .bind(mine.and_then(|c| c.actor_id))
            .bind(mine.map(|c| c.actor_name.clone()).unwrap_or_default())
            .bind(mine.map(|c| c.note.clone()).unwrap_or_default())
            .bind(mine.and_then(|c| c.git_commit.clone()))
            .bind(now)
        };
        for a in actions {
            let previous = before.iter().find(|(id, _)| id == a.id).map(|(_, h)| h.as_str());
            let changed = previous != Some(a.content_hash);
            sqlx::query(
                "INSERT INTO action_versions (action_id, content_hash, spec, source, first_loaded_at)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (action_id, content_hash) DO NOTHING",
            )
            .bind(a.id)
            .bind(a.content_hash)
            .bind(&a.spec_json)
            .bind(a.source)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO actions (id, content_hash, file, title, category, owner, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT (id) DO UPDATE SET
                    content_hash = excluded.content_hash, file = excluded.file, title = excluded.title,
                    category = excluded.category, owner = excluded.owner, updated_at = excluded.updated_at
                 WHERE actions.content_hash <> excluded.content_hash OR actions.file <> excluded.file",
            )
            .bind(a.id)
            .bind(a.content_hash)
            .bind(a.file)
            .bind(a.title)
            .bind(a.category)
            .bind(a.owner)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            if changed {
                record_change(a.id, a.content_hash, false).execute(&mut *tx).await?;
            }
        }
        for (id, hash) in before.iter().filter(|(id, _)| !actions.iter().any(|a| a.id == id.as_str())) {
            sqlx::query("DELETE FROM actions WHERE id = $1").bind(id).execute(&mut *tx).await?;
            record_change(id, hash, true).execute(&mut *tx).await?;
        }
        sqlx::query("DELETE FROM catalog_problems").execute(&mut *tx).await?;
        for p in problems {
            sqlx::query("INSERT INTO catalog_problems (file, line, field, message, found_at) VALUES ($1, $2, $3, $4, $5)")
                .bind(&p.file)
                .bind(p.line.map(i64::from))
                .bind(&p.field)
                .bind(&p.message)
                .bind(now)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok::<(), sqlx::Error>(())
    })?;
    Ok(())
}

/// The actions currently recorded, by id.
#[tracing::instrument(skip_all)]
pub async fn current_actions(db: &Db) -> Result<Vec<StoredAction>, DbError> {
    let rows = on_pool!(db, pool => sqlx::query_as::<_, StoredAction>(
        "SELECT id, content_hash, file FROM actions ORDER BY id"
    ).fetch_all(pool).await)?;
    Ok(rows)
}

/// How many versions of `action_id` have ever been recorded.
#[tracing::instrument(skip_all)]
pub async fn version_count(db: &Db, action_id: &str) -> Result<i64, DbError> {
    let n = on_pool!(db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM action_versions WHERE action_id = $1"
    ).bind(action_id).fetch_one(pool).await)?;
    Ok(n)
}

/// The spec JSON recorded for one version, if any.
#[tracing::instrument(skip_all)]
pub async fn version_spec(
    db: &Db,
    action_id: &str,
    content_hash: &str,
) -> Result<Option<String>, DbError> {
    let spec = on_pool!(db, pool => sqlx::query_scalar::<_, String>(
        "SELECT spec FROM action_versions WHERE action_id = $1 AND content_hash = $2"
    ).bind(action_id).bind(content_hash).fetch_optional(pool).await)?;
    Ok(spec)
}

/// The problems recorded by the latest load.
#[tracing::instrument(skip_all)]
pub async fn problems(db: &Db) -> Result<Vec<Problem>, DbError> {
    let rows: Vec<(String, Option<i64>, String, String)> = on_pool!(db, pool => sqlx::query_as(
        "SELECT file, line, field, message FROM catalog_problems ORDER BY file, line"
    ).fetch_all(pool).await)?;
    Ok(rows
        .into_iter()
        .map(|(file, line, field, message)| Problem {
            file,
            line: line.and_then(|l| u32::try_from(l).ok()),
            field,
            message,
        })
        .collect())
}

/// The YAML source recorded for one version, if any.
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

/// One saved draft.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DraftRow {
    pub action_id: String,
    pub source: String,
    pub base_hash: Option<String>,
    pub owner: String,
    pub saved_by: i64,
    pub saved_at: DateTime<Utc>,
}

/// Saves (or replaces) the draft of `action_id`.
#[tracing::instrument(skip_all)]
pub async fn save_draft(db: &Db, d: &DraftRow) -> Result<(), DbError> {
    on_pool!(db, pool => sqlx::query(
        "INSERT INTO action_drafts (action_id, source, base_hash, owner, saved_by, saved_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (action_id) DO UPDATE SET source = excluded.source, base_hash = excluded.base_hash,
            owner = excluded.owner, saved_by = excluded.saved_by, saved_at = excluded.saved_at",
    )
    .bind(&d.action_id)
    .bind(&d.source)
    .bind(&d.base_hash)
    .bind(&d.owner)
    .bind(d.saved_by)
    .bind(d.saved_at)
    .execute(pool)
    .await
    .map(|_| ()))?;
    Ok(())
}

/// The draft of `action_id`, if one is saved.
#[tracing::instrument(skip_all)]
pub async fn draft(db: &Db, action_id: &str) -> Result<Option<DraftRow>, DbError> {
    let row = on_pool!(db, pool => sqlx::query_as::<_, DraftRow>(
        "SELECT action_id, source, base_hash, owner, saved_by, saved_at FROM action_drafts WHERE action_id = $1"
    ).bind(action_id).fetch_optional(pool).await)?;
    Ok(row)
}

/// Every saved draft, newest first (callers filter by what the viewer may read).
#[tracing::instrument(skip_all)]
pub async fn drafts(db: &Db) -> Result<Vec<DraftRow>, DbError> {
    let rows = on_pool!(db, pool => sqlx::query_as::<_, DraftRow>(
        "SELECT action_id, source, base_hash, owner, saved_by, saved_at FROM action_drafts ORDER BY saved_at DESC LIMIT 200"
    ).fetch_all(pool).await)?;
    Ok(rows)
}

/// Removes the draft of `action_id` (after it was published).
#[tracing::instrument(skip_all)]
pub async fn delete_draft(db: &Db, action_id: &str) -> Result<(), DbError> {
    on_pool!(db, pool => sqlx::query("DELETE FROM action_drafts WHERE action_id = $1")
        .bind(action_id).execute(pool).await.map(|_| ()))?;
    Ok(())
}
