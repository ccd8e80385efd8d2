//! SQL behind the metrics endpoint's gauges: the queue, requests by state and channel, approvals.
//! Each is one grouped query; the caller caches the answers for a scrape interval.

use super::{Db, DbError};
use crate::on_pool;
use chrono::{DateTime, Utc};

/// Jobs per (action, state): `queued` (including those waiting for a retry) and `running`.
#[tracing::instrument(skip_all)]
pub async fn queue_depth(db: &Db) -> Result<Vec<(String, String, i64)>, DbError> {
    let rows = on_pool!(db, pool => sqlx::query_as::<_, (Option<String>, String, i64)>(
        "SELECT action_id, state, COUNT(*) FROM jobs GROUP BY action_id, state"
    ).fetch_all(pool).await)?;
    Ok(rows
        .into_iter()
        .map(|(a, s, n)| (a.unwrap_or_default(), s, n))
        .collect())
}

/// Requests per (action, status, channel).
#[tracing::instrument(skip_all)]
pub async fn requests_by_state(db: &Db) -> Result<Vec<(String, String, String, i64)>, DbError> {
    let rows = on_pool!(db, pool => sqlx::query_as::<_, (String, String, String, i64)>(
        "SELECT action_id, status, channel, COUNT(*) FROM requests GROUP BY action_id, status, channel"
    ).fetch_all(pool).await)?;
    Ok(rows)
}

/// Requests waiting for approval per action, with the oldest one's submission time.
#[tracing::instrument(skip_all)]
pub async fn approvals_pending(db: &Db) -> Result<Vec<(String, i64, DateTime<Utc>)>, DbError> {
    let rows = on_pool!(db, pool => sqlx::query_as::<_, (String, i64, DateTime<Utc>)>(
        "SELECT action_id, COUNT(*), MIN(created_at) FROM requests WHERE status = 'pending_approval' GROUP BY action_id"
    ).fetch_all(pool).await)?;
    Ok(rows)
}

/// When the oldest job that is ready to run now (queued, its time come) became ready, in ms since
/// the epoch; `None` when no job is waiting for a worker.
#[tracing::instrument(skip_all)]
pub async fn oldest_ready_ms(db: &Db, now_ms: i64) -> Result<Option<i64>, DbError> {
    let oldest = on_pool!(db, pool => sqlx::query_scalar::<_, Option<i64>>(
        "SELECT MIN(run_at) FROM jobs WHERE state = 'queued' AND run_at <= $1"
    ).bind(now_ms).fetch_one(pool).await)?;
    Ok(oldest)
}

/// Notification deliveries not sent, per (channel, status): `pending` (waiting or being retried)
/// and `failed` (given up). Sent ones are not counted: the status index answers without reading
/// them.
#[tracing::instrument(skip_all)]
pub async fn deliveries_unsent(db: &Db) -> Result<Vec<(String, String, i64)>, DbError> {
    let rows = on_pool!(db, pool => sqlx::query_as::<_, (String, String, i64)>(
        "SELECT channel, status, CAST(COUNT(*) AS BIGINT) FROM notification_deliveries
         WHERE status IN ('pending', 'failed') GROUP BY channel, status"
    ).fetch_all(pool).await)?;
    Ok(rows)
}
