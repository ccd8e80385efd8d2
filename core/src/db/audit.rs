//! SQL for the audit log: one append-only table (`audit_events`; triggers refuse UPDATE and DELETE).

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
