//! Reading the audit log: the Audit page and its CSV export, for admins only.

use super::{Actor, AuditKind};
use crate::db::audit::{self as sql, Actors, AuditEventRow, Filter, ObjectMatch};
use crate::db::DbError;
use crate::state::Runway;
use runway_domain::audit::{AuditPage, AuditQuery, AuditRow, ObjectFilter, WhoFilter, AUDIT_PAGE};
use runway_domain::user::User;

/// Why the audit log was not shown.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// Only admins read the audit log.
    #[error("only admins may read the audit log")]
    Forbidden,
    /// A filter that means nothing (an unknown kind, a bad date): in words for the page.
    #[error("{0}")]
    BadInput(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// The database filter for `q`, if `user` may read the audit log.
pub async fn audit_filter(rw: &Runway, user: &User, q: &AuditQuery) -> Result<Filter, AuditError> {
    if !user.is_admin {
        return Err(AuditError::Forbidden);
    }
    let actors = match q.who() {
        None => None,
        Some(WhoFilter::User(id)) => Some(Actors {
            ids: vec![id],
            system: false,
        }),
        Some(WhoFilter::Name(name)) => Some(Actors {
            ids: sql::people_named(&rw.db, &name).await?,
            system: Actor::system()
                .name
                .to_lowercase()
                .contains(&name.to_lowercase()),
        }),
    };
    let kind = match q.kind.as_str() {
        "" => None,
        k => Some(
            AuditKind::parse(k)
                .ok_or_else(|| AuditError::BadInput(format!("kind: `{k}` is not an audit kind")))?
                .as_str()
                .to_string(),
        ),
    };
    let day = |d: &str| -> Result<Option<chrono::DateTime<chrono::Utc>>, AuditError> {
        if d.is_empty() {
            return Ok(None);
        }
        chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| Some(t.and_utc()))
            .ok_or_else(|| AuditError::BadInput(format!("not a date: `{d}`")))
    };
    Ok(Filter {
        actors,
        kind,
        object: q.object().map(|o| match o {
            ObjectFilter::Exact(o) => ObjectMatch::Exact(o),
            ObjectFilter::Prefix(p) => ObjectMatch::Prefix(p),
        }),
        from: day(&q.from)?,
        // `to` is inclusive: everything before the next day.
        until: day(&q.to)?.map(|t| t + chrono::Duration::days(1)),
        before: q.before,
    })
}

/// One page of the audit log for an admin, newest first.
pub async fn audit_page(rw: &Runway, user: &User, q: AuditQuery) -> Result<AuditPage, AuditError> {
    let f = audit_filter(rw, user, &q).await?;
    let rows = sql::page(&rw.db, &f, AUDIT_PAGE).await?;
    let next = match rows.last() {
        Some(last) if rows.len() as i64 == AUDIT_PAGE => Some(q.to_query(Some(last.id))),
        _ => None,
    };
    Ok(AuditPage {
        query: q,
        kinds: AuditKind::ALL
            .iter()
            .map(|k| k.as_str().to_string())
            .collect(),
        rows: rows.into_iter().map(view).collect(),
        next,
    })
}

/// A stored event as the page and the CSV show it.
pub fn view(row: AuditEventRow) -> AuditRow {
    let who = match row.via {
        Some(via) => format!("{} via {via}", row.actor_name),
        None => row.actor_name,
    };
    AuditRow {
        id: row.id,
        at: row.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        who,
        kind: row.kind,
        object: row.object,
        before: row.before_hash,
        after: row.after_hash,
        detail: row.detail,
    }
}
