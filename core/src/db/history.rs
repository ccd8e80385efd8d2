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
    /// Only requests made through this channel (`portal`, `api`, `slack`, `jira`).
    pub channel: Option<String>,
    /// Free text over the action id and the input values (`search_text`; case-insensitive).
    pub text: Option<String>,
    /// Keyset cursor: rows strictly older than this (created_at, id).
    pub before: Option<(DateTime<Utc>, i64)>,
}

/// `%` and `_` match themselves in a LIKE pattern built from user text (lower-cased, for a
/// `LOWER(column) LIKE … ESCAPE '\\'` match anywhere in the text).
pub(super) fn like_contains(text: &str) -> String {
    let escaped = text
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// What free-text search looks in: the action id and the input values, lower-cased, each value cut
/// at 500 characters and the whole at 4,000 (a pasted certificate is not worth indexing). Written
/// to `requests.search_text` at submit time.
pub fn search_text(action_id: &str, inputs: &str) -> String {
    fn push(out: &mut String, v: &serde_json::Value) {
        match v {
            serde_json::Value::Null => {}
            serde_json::Value::String(s) => {
                out.push(' ');
                out.extend(s.chars().take(500));
            }
            serde_json::Value::Array(items) => items.iter().for_each(|i| push(out, i)),
            other => {
                out.push(' ');
                out.push_str(&other.to_string());
            }
        }
    }
    let mut out = action_id.to_string();
    if let Ok(serde_json::Value::Object(values)) = serde_json::from_str(inputs) {
        values.values().for_each(|v| push(&mut out, v));
    }
    out.to_lowercase().chars().take(4_000).collect()
}

/// On SQLite, a search term with fewer index matches than this is looked up in the trigram index
/// (then sorted by time); a commoner one is found faster by walking requests newest first, where
/// matches come early.
const SQLITE_INDEX_CAP: i64 = 5_000;

/// Up to this many people matching a requester filter are listed in the query by id; more are
/// matched by a subquery.
const MAX_PEOPLE: i64 = 500;

/// An FTS5 phrase matching `text` as a substring (with the trigram tokenizer).
fn fts_phrase(text: &str) -> String {
    format!("\"{}\"", text.to_lowercase().replace('"', "\"\""))
}

/// Up to `limit` rows matching `f`, newest first.
pub async fn page(db: &Db, f: &Filter, limit: i64) -> Result<Vec<RequestRow>, DbError> {
    page_with_index_cap(db, f, limit, SQLITE_INDEX_CAP).await
}

/// [`page`] with another threshold between SQLite's two ways of searching text (tests use it to
/// check that both return the same rows). Postgres ignores it.
pub async fn page_with_index_cap(
    db: &Db,
    f: &Filter,
    limit: i64,
    index_cap: i64,
) -> Result<Vec<RequestRow>, DbError> {
    // A requester filter names people: find them first (users are few). Nobody by that name means
    // no rows, without looking at requests.
    let people = match &f.requester_name {
        Some(n) => {
            let ids: Vec<i64> = on_pool!(db, pool => sqlx::query_scalar(
                "SELECT id FROM users WHERE LOWER(name) LIKE $1 ESCAPE '\\' ORDER BY id LIMIT $2",
            )
            .bind(like_contains(n))
            .bind(MAX_PEOPLE + 1)
            .fetch_all(pool)
            .await)?;
            if ids.is_empty() {
                return Ok(Vec::new());
            }
            (ids.len() <= MAX_PEOPLE as usize).then_some(ids)
        }
        None => None,
    };
    // Postgres chooses between its trigram index and a walk in time order by itself; SQLite's
    // planner cannot estimate an FTS match, so count a bounded number of matches first.
    let use_fts = match (db, &f.text) {
        (Db::Sqlite(pool), Some(q)) if q.chars().count() >= 3 => {
            let matches: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM (SELECT 1 FROM requests_search WHERE requests_search MATCH $1 LIMIT $2)",
            )
            .bind(fts_phrase(q))
            .bind(index_cap)
            .fetch_one(pool)
            .await?;
            matches < index_cap
        }
        _ => false,
    };
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
        if let Some(c) = &f.channel {
            qb.push(" AND r.channel = ").push_bind(c.clone());
        }
        if let Some(n) = &f.requester_name {
            match &people {
                // Their requests by index: the planner sees exactly whose.
                Some(ids) => {
                    qb.push(" AND r.requester_id IN (");
                    let mut list = qb.separated(", ");
                    for id in ids {
                        list.push_bind(*id);
                    }
                    list.push_unseparated(")");
                }
                None => {
                    qb.push(" AND r.requester_id IN (SELECT id FROM users WHERE LOWER(name) LIKE ")
                        .push_bind(like_contains(n)).push(" ESCAPE '\\')");
                }
            }
        }
        if let Some(t) = f.from {
            qb.push(" AND r.created_at >= ").push_bind(t);
        }
        if let Some(t) = f.until {
            qb.push(" AND r.created_at < ").push_bind(t);
        }
        if let Some(q) = &f.text {
            if use_fts {
                qb.push(" AND r.id IN (SELECT rowid FROM requests_search WHERE requests_search MATCH ")
                    .push_bind(fts_phrase(q)).push(")");
            } else {
                qb.push(" AND r.search_text LIKE ").push_bind(like_contains(q)).push(" ESCAPE '\\'");
            }
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
