//! SQL for the audit log: one append-only table (`audit_events`; triggers refuse UPDATE and DELETE).

use super::history::like_contains;
use super::{Db, DbError};
use crate::on_pool;
use chrono::{DateTime, Utc};

/// One audit row as written.
pub struct NewAuditRow<'a> {
    pub at: DateTime<Utc>,
    pub actor_id: Option<i64>,
    pub actor_name: &'a str,
    pub via: Option<&'a str>,
    pub kind: &'a str,
    pub object: &'a str,
    pub before_hash: Option<&'a str>,
    pub after_hash: Option<&'a str>,
    pub detail: Option<String>,
}

/// Appends one row.
#[tracing::instrument(skip_all, fields(kind = row.kind))]
pub async fn insert(db: &Db, row: &NewAuditRow<'_>) -> Result<(), DbError> {
    on_pool!(db, pool => sqlx::query(
        "INSERT INTO audit_events (at, actor_id, actor_name, via, kind, object, before_hash, after_hash, detail)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(row.at)
    .bind(row.actor_id)
    .bind(row.actor_name)
    .bind(row.via)
    .bind(row.kind)
    .bind(row.object)
    .bind(row.before_hash)
    .bind(row.after_hash)
    .bind(row.detail.as_deref())
    .execute(pool)
    .await
    .map(|_| ()))?;
    Ok(())
}

/// One stored event.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AuditEventRow {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor_id: Option<i64>,
    pub actor_name: String,
    pub via: Option<String>,
    pub kind: String,
    pub object: String,
    pub before_hash: Option<String>,
    pub after_hash: Option<String>,
    pub detail: Option<String>,
}

/// Whose events: these people (by id) and, with `system`, Runway's own.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Actors {
    pub ids: Vec<i64>,
    pub system: bool,
}

/// Which object: exactly one, or every object whose name starts with a prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObjectMatch {
    Exact(String),
    Prefix(String),
}

/// Which events, newest first. Every set field narrows the result.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub actors: Option<Actors>,
    /// An `AuditKind` name.
    pub kind: Option<String>,
    pub object: Option<ObjectMatch>,
    /// At or after.
    pub from: Option<DateTime<Utc>>,
    /// Before.
    pub until: Option<DateTime<Utc>>,
    /// Keyset cursor: events strictly older than this event (by `(at, id)`).
    pub before: Option<i64>,
}

/// The smallest string greater than every string starting with `prefix` (byte order, which is
/// SQLite's BINARY collation and the `"C"` collation of the Postgres column): `action:` gives
/// `action;`. `None` when no such bound exists (the prefix ends in `char::MAX`).
fn prefix_end(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        if let Some(next) = (u32::from(last) + 1..=u32::from(char::MAX)).find_map(char::from_u32) {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// Up to this many people matching a "who" filter are listed by id.
const MAX_PEOPLE: i64 = 500;

/// The ids of the people whose name contains `needle` (case-insensitive), at most 500. People
/// are few: the audit table is then searched by its actor index, never by scanning names.
#[tracing::instrument(skip_all)]
pub async fn people_named(db: &Db, needle: &str) -> Result<Vec<i64>, DbError> {
    Ok(on_pool!(db, pool => sqlx::query_scalar(
        "SELECT id FROM users WHERE LOWER(name) LIKE $1 ESCAPE '\\' ORDER BY id LIMIT $2",
    )
    .bind(like_contains(needle))
    .bind(MAX_PEOPLE)
    .fetch_all(pool)
    .await)?)
}

/// On SQLite, an object prefix with fewer matches than this is read through the object index
/// (then sorted by time); a commoner one is found faster by walking the log newest first, where
/// matches come early. Postgres's planner makes this choice from its statistics.
const SQLITE_PREFIX_CAP: i64 = 2_000;

/// Up to `limit` events matching `f`, newest first (by `(at, id)`).
pub async fn page(db: &Db, f: &Filter, limit: i64) -> Result<Vec<AuditEventRow>, DbError> {
    page_with_prefix_cap(db, f, limit, SQLITE_PREFIX_CAP).await
}

/// [`page`] with another threshold between SQLite's two ways of reading an object prefix (tests
/// use it to check that both return the same rows). Postgres ignores it.
#[tracing::instrument(skip_all)]
pub async fn page_with_prefix_cap(
    db: &Db,
    f: &Filter,
    limit: i64,
    prefix_cap: i64,
) -> Result<Vec<AuditEventRow>, DbError> {
    if f.actors
        .as_ref()
        .is_some_and(|a| a.ids.is_empty() && !a.system)
    {
        return Ok(Vec::new());
    }
    let prefix = match &f.object {
        Some(ObjectMatch::Prefix(p)) => Some((p.clone(), prefix_end(p))),
        _ => None,
    };
    // SQLite's planner has no statistics here: it would sort every match of a common prefix.
    // Count a bounded number of matches and tell it which index to walk.
    let sqlite_hint = match (db, &prefix) {
        (Db::Sqlite(pool), Some((start, end))) if f.actors.is_none() && f.kind.is_none() => {
            let mut qb = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
                "SELECT count(*) FROM (SELECT 1 FROM audit_events WHERE object >= ",
            );
            qb.push_bind(start.clone());
            if let Some(end) = end {
                qb.push(" AND object < ").push_bind(end.clone());
            }
            qb.push(" LIMIT ").push_bind(prefix_cap).push(")");
            let matches: i64 = qb.build_query_scalar().fetch_one(pool).await?;
            if matches < prefix_cap {
                " INDEXED BY audit_events_object"
            } else {
                " INDEXED BY audit_events_at"
            }
        }
        _ => "",
    };
    Ok(on_pool!(db, pool => {
        let mut qb = sqlx::QueryBuilder::new(format!(
            "SELECT id, at, actor_id, actor_name, via, kind, object, before_hash, after_hash, detail \
             FROM audit_events{sqlite_hint} WHERE 1 = 1"
        ));
        if let Some(a) = &f.actors {
            // Never empty here: a filter matching nobody returned early.
            qb.push(" AND (");
            if !a.ids.is_empty() {
                qb.push("actor_id IN (");
                let mut list = qb.separated(", ");
                for id in &a.ids {
                    list.push_bind(*id);
                }
                list.push_unseparated(")");
                if a.system {
                    qb.push(" OR ");
                }
            }
            if a.system {
                qb.push("actor_id IS NULL");
            }
            qb.push(")");
        }
        if let Some(k) = &f.kind {
            qb.push(" AND kind = ").push_bind(k.clone());
        }
        match (&f.object, &prefix) {
            (_, Some((start, end))) => {
                qb.push(" AND object >= ").push_bind(start.clone());
                if let Some(end) = end {
                    qb.push(" AND object < ").push_bind(end.clone());
                }
            }
            (Some(ObjectMatch::Exact(o)), None) => {
                qb.push(" AND object = ").push_bind(o.clone());
            }
            _ => {}
        }
        if let Some(t) = f.from {
            qb.push(" AND at >= ").push_bind(t);
        }
        if let Some(t) = f.until {
            qb.push(" AND at < ").push_bind(t);
        }
        if let Some(b) = f.before {
            qb.push(" AND (at, id) < ((SELECT at FROM audit_events WHERE id = ")
                .push_bind(b)
                .push("), ")
                .push_bind(b)
                .push(")");
        }
        qb.push(" ORDER BY at DESC, id DESC LIMIT ").push_bind(limit);
        qb.build_query_as::<AuditEventRow>().fetch_all(pool).await
    })?)
}

#[cfg(test)]
mod tests {
    use super::prefix_end;

    #[test]
    fn a_prefix_ends_just_after_its_last_character() {
        assert_eq!(prefix_end("action:").as_deref(), Some("action;"));
        assert_eq!(prefix_end("request:4").as_deref(), Some("request:5"));
        assert_eq!(prefix_end("a\u{10FFFF}").as_deref(), Some("b"));
        assert_eq!(prefix_end("\u{10FFFF}"), None);
        // Surrogates are not characters: the next one after U+D7FF is U+E000.
        assert_eq!(prefix_end("x\u{D7FF}").as_deref(), Some("x\u{E000}"));
    }
}
