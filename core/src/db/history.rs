//! SQL for request history: filtered, newest first, keyset-paginated on `(created_at, id)` (no
//! OFFSET, so page 1,000 costs what page 1 costs).

use super::requests::RequestRow;
use super::{Db, DbError};
use crate::on_pool;
use chrono::{DateTime, Utc};

/// Which requests, already authorised by the caller. Every set field narrows the result.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only this requester's requests.
    pub requester_id: Option<i64>,
    /// Only requests for this team.
    pub team: Option<String>,
    pub status: Option<String>,
    pub action_id: Option<String>,
    /// Requester name contains this (case-insensitive).
    pub requester_name: Option<String>,
    /// Created at or after.
    pub from: Option<DateTime<Utc>>,
    /// Created before.
    pub until: Option<DateTime<Utc>>,
    /// Free text over the action id and the inputs summary (case-insensitive).
    pub text: Option<String>,
    /// Keyset cursor: rows strictly older than this (created_at, id).
    pub before: Option<(DateTime<Utc>, i64)>,
}

/// `%` and `_` match themselves in a LIKE pattern built from user text.
fn like_contains(text: &str) -> String {
    let escaped = text
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// Up to `limit` rows matching `f`, newest first.
pub async fn page(db: &Db, f: &Filter, limit: i64) -> Result<Vec<RequestRow>, DbError> {
    Ok(on_pool!(db, pool => {
        let mut qb = sqlx::QueryBuilder::new(format!("{} WHERE 1 = 1", super::requests::ROW));
        if let Some(id) = f.requester_id {
            qb.push(" AND r.requester_id = ").push_bind(id);
        }
        if let Some(t) = &f.team {
            qb.push(" AND r.team = ").push_bind(t.clone());
        }
        if let Some(s) = &f.status {
            qb.push(" AND r.status = ").push_bind(s.clone());
        }
        if let Some(a) = &f.action_id {
            qb.push(" AND r.action_id = ").push_bind(a.clone());
        }
        if let Some(n) = &f.requester_name {
            qb.push(" AND LOWER(u.name) LIKE ").push_bind(like_contains(n)).push(" ESCAPE '\\'");
        }
        if let Some(t) = f.from {
            qb.push(" AND r.created_at >= ").push_bind(t);
        }
        if let Some(t) = f.until {
            qb.push(" AND r.created_at < ").push_bind(t);
        }
        if let Some(q) = &f.text {
            let p = like_contains(q);
            qb.push(" AND (LOWER(r.action_id) LIKE ").push_bind(p.clone()).push(" ESCAPE '\\'")
                .push(" OR LOWER(r.inputs) LIKE ").push_bind(p).push(" ESCAPE '\\')");
        }
        if let Some((at, id)) = f.before {
            qb.push(" AND (r.created_at < ").push_bind(at)
                .push(" OR (r.created_at = ").push_bind(at)
                .push(" AND r.id < ").push_bind(id).push("))");
        }
        qb.push(" ORDER BY r.created_at DESC, r.id DESC LIMIT ").push_bind(limit);
        qb.build_query_as::<RequestRow>().fetch_all(pool).await
    })?)
}

/// The keyset position of a request (for `before=<id>` links).
pub async fn position(db: &Db, id: i64) -> Result<Option<(DateTime<Utc>, i64)>, DbError> {
    let at: Option<DateTime<Utc>> = on_pool!(db, pool => sqlx::query_scalar("SELECT created_at FROM requests WHERE id = $1")
        .bind(id).fetch_optional(pool).await)?;
    Ok(at.map(|t| (t, id)))
}
