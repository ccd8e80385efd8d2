//! SQL for the Jira trigger: webhook deliveries seen, and the requests tickets made.

use super::{Db, DbError};
use crate::on_pool;
use chrono::{DateTime, Utc};

/// True when a webhook delivery with this identifier was handled already.
#[tracing::instrument(skip_all)]
pub async fn seen(db: &Db, identifier: &str) -> Result<bool, DbError> {
    let found: Option<String> = on_pool!(db, pool => sqlx::query_scalar(
        "SELECT identifier FROM jira_webhooks WHERE identifier = $1"
    ).bind(identifier).fetch_optional(pool).await)?;
    Ok(found.is_some())
}

/// Remembers a handled delivery.
#[tracing::instrument(skip_all)]
pub async fn remember(db: &Db, identifier: &str) -> Result<(), DbError> {
    on_pool!(db, pool => sqlx::query(
        "INSERT INTO jira_webhooks (identifier, received_at) VALUES ($1, $2) ON CONFLICT DO NOTHING"
    ).bind(identifier).bind(Utc::now()).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Forgets the deliveries received before `cutoff` (housekeeping): the table holds only what
/// Jira may still retry. Returns how many were forgotten.
#[tracing::instrument(skip_all)]
pub async fn forget_deliveries(db: &Db, cutoff: DateTime<Utc>) -> Result<u64, DbError> {
    Ok(
        on_pool!(db, pool => sqlx::query("DELETE FROM jira_webhooks WHERE received_at < $1")
        .bind(cutoff).execute(pool).await.map(|r| r.rows_affected()))?,
    )
}

/// The request a ticket already made for an action, if any.
#[tracing::instrument(skip_all)]
pub async fn request_of(db: &Db, issue_id: &str, action_id: &str) -> Result<Option<i64>, DbError> {
    Ok(on_pool!(db, pool => sqlx::query_scalar(
        "SELECT t.request_id FROM request_tickets t JOIN requests r ON r.id = t.request_id
         WHERE t.issue_id = $1 AND r.action_id = $2 ORDER BY t.request_id DESC LIMIT 1"
    ).bind(issue_id).bind(action_id).fetch_optional(pool).await)?)
}

/// Records a comment Jira refused for good.
#[tracing::instrument(skip_all)]
pub async fn comment_failed(db: &Db, issue_key: &str, error: &str) -> Result<(), DbError> {
    on_pool!(db, pool => sqlx::query(
        "INSERT INTO jira_comment_failures (issue_key, error, failed_at) VALUES ($1, $2, $3)"
    ).bind(issue_key).bind(error).bind(Utc::now()).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// The newest 50 comments Jira refused for good: `(issue key, error, when)`.
#[tracing::instrument(skip_all)]
pub async fn comment_failures(
    db: &Db,
) -> Result<Vec<(String, String, chrono::DateTime<Utc>)>, DbError> {
    Ok(on_pool!(db, pool => sqlx::query_as(
        "SELECT issue_key, error, failed_at FROM jira_comment_failures ORDER BY id DESC LIMIT 50"
    ).fetch_all(pool).await)?)
}
