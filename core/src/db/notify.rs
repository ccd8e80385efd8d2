//! SQL for notifications: the events the outbox names, who hears about them, their choices, and
//! every delivery with its outcome.

use super::{Db, DbError};
use crate::on_pool;
use chrono::{DateTime, Utc};

/// One request event, as the `notify` job reads it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OutboxEvent {
    pub id: i64,
    pub request_id: i64,
    pub kind: String,
    pub actor_id: Option<i64>,
    pub actor_name: Option<String>,
    pub detail: Option<String>,
}

#[tracing::instrument(skip_all)]
pub async fn event(db: &Db, id: i64) -> Result<Option<OutboxEvent>, DbError> {
    Ok(on_pool!(db, pool => sqlx::query_as::<_, OutboxEvent>(
        "SELECT e.id, e.request_id, e.kind, e.actor_id, u.name AS actor_name, e.detail
         FROM request_events e LEFT JOIN users u ON u.id = e.actor_id WHERE e.id = $1"
    ).bind(id).fetch_optional(pool).await)?)
}

/// The kinds of a request's events before `event_id`, oldest first.
#[tracing::instrument(skip_all)]
pub async fn kinds_before(db: &Db, request_id: i64, event_id: i64) -> Result<Vec<String>, DbError> {
    Ok(on_pool!(db, pool => sqlx::query_scalar(
        "SELECT kind FROM request_events WHERE request_id = $1 AND id < $2 ORDER BY id"
    ).bind(request_id).bind(event_id).fetch_all(pool).await)?)
}

/// People in any of `teams` (only their leads with `leads_only`), excluding service accounts.
#[tracing::instrument(skip_all)]
pub async fn members_of(db: &Db, teams: &[String], leads_only: bool) -> Result<Vec<i64>, DbError> {
    let mut ids = Vec::new();
    for team in teams {
        let found: Vec<i64> = on_pool!(db, pool => sqlx::query_scalar(
            "SELECT DISTINCT m.user_id FROM team_memberships m JOIN users u ON u.id = m.user_id
             WHERE m.team = $1 AND (m.is_lead OR NOT $2) AND u.issuer <> 'runway:service'
             ORDER BY m.user_id"
        ).bind(team).bind(leads_only).fetch_all(pool).await)?;
        ids.extend(found);
    }
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

/// A person's stored choices: `(notification, channel, enabled)`.
#[tracing::instrument(skip_all)]
pub async fn preferences(db: &Db, user_id: i64) -> Result<Vec<(String, String, bool)>, DbError> {
    Ok(on_pool!(db, pool => sqlx::query_as(
        "SELECT notification, channel, enabled FROM notification_preferences WHERE user_id = $1"
    ).bind(user_id).fetch_all(pool).await)?)
}

/// Replaces a person's choices with `choices`, in one transaction.
#[tracing::instrument(skip_all)]
pub async fn set_preferences(
    db: &Db,
    user_id: i64,
    choices: &[(&str, &str, bool)],
) -> Result<(), DbError> {
    on_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        sqlx::query("DELETE FROM notification_preferences WHERE user_id = $1")
            .bind(user_id).execute(&mut *tx).await?;
        for (n, c, on) in choices {
            sqlx::query("INSERT INTO notification_preferences (user_id, notification, channel, enabled) VALUES ($1, $2, $3, $4)")
                .bind(user_id).bind(n).bind(c).bind(on).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok::<(), sqlx::Error>(())
    })?;
    Ok(())
}

/// A delivery to record.
#[derive(Debug, Clone)]
pub struct NewDelivery {
    pub notification: String,
    pub user_id: Option<i64>,
    pub channel: &'static str,
}

/// Records the deliveries of one event; those already recorded (a retried or rescued job) are
/// left as they are.
#[tracing::instrument(skip_all, fields(event_id, n = new.len()))]
pub async fn record(
    db: &Db,
    event_id: i64,
    request_id: i64,
    new: &[NewDelivery],
) -> Result<(), DbError> {
    let now = Utc::now();
    on_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        for d in new {
            sqlx::query(
                "INSERT INTO notification_deliveries (event_id, request_id, notification, user_id, channel, status, created_at)
                 VALUES ($1, $2, $3, $4, $5, 'pending', $6) ON CONFLICT DO NOTHING",
            )
            .bind(event_id).bind(request_id).bind(&d.notification).bind(d.user_id).bind(d.channel).bind(now)
            .execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok::<(), sqlx::Error>(())
    })?;
    Ok(())
}

/// A delivery still to send.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Delivery {
    pub id: i64,
    pub notification: String,
    pub user_id: Option<i64>,
    pub channel: String,
    pub attempts: i64,
}

/// The deliveries of an event still to send (neither sent nor given up), in the order they were
/// recorded.
#[tracing::instrument(skip_all)]
pub async fn unsent(db: &Db, event_id: i64) -> Result<Vec<Delivery>, DbError> {
    Ok(on_pool!(db, pool => sqlx::query_as::<_, Delivery>(
        "SELECT id, notification, user_id, channel, attempts FROM notification_deliveries
         WHERE event_id = $1 AND status = 'pending' ORDER BY id"
    ).bind(event_id).fetch_all(pool).await)?)
}

#[tracing::instrument(skip_all)]
pub async fn mark_sent(db: &Db, id: i64, external_ref: Option<&str>) -> Result<(), DbError> {
    on_pool!(db, pool => sqlx::query(
        "UPDATE notification_deliveries SET status = 'sent', sent_at = $2, attempts = attempts + 1,
                external_ref = $3, last_error = NULL
         WHERE id = $1"
    ).bind(id).bind(Utc::now()).bind(external_ref).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Records a failed try; `final_try` marks the delivery failed for good (shown to admins).
#[tracing::instrument(skip_all)]
pub async fn mark_failed(db: &Db, id: i64, error: &str, final_try: bool) -> Result<(), DbError> {
    let status = if final_try { "failed" } else { "pending" };
    on_pool!(db, pool => sqlx::query(
        "UPDATE notification_deliveries SET status = $2, attempts = attempts + 1, last_error = $3
         WHERE id = $1 AND status <> 'sent'"
    ).bind(id).bind(status).bind(error).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Slack approval messages sent about a request: `(delivery id, user id, "channel ts")`.
#[tracing::instrument(skip_all)]
pub async fn slack_approval_messages(
    db: &Db,
    request_id: i64,
) -> Result<Vec<(i64, Option<i64>, String)>, DbError> {
    Ok(on_pool!(db, pool => sqlx::query_as(
        "SELECT id, user_id, external_ref FROM notification_deliveries
         WHERE request_id = $1 AND notification = 'approval_needed' AND channel = 'slack'
           AND status = 'sent' AND external_ref IS NOT NULL ORDER BY id"
    ).bind(request_id).fetch_all(pool).await)?)
}

/// A delivery that is failing or failed, for the admins' page.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Problem {
    pub id: i64,
    pub request_id: i64,
    pub notification: String,
    pub channel: String,
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub recipient: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// The newest 200 deliveries that failed for good or have failed at least once and are still
/// being retried.
#[tracing::instrument(skip_all)]
pub async fn problems(db: &Db) -> Result<Vec<Problem>, DbError> {
    Ok(on_pool!(db, pool => sqlx::query_as::<_, Problem>(
        "SELECT d.id, d.request_id, d.notification, d.channel, d.status, d.attempts, d.last_error,
                u.name AS recipient, d.created_at
         FROM notification_deliveries d LEFT JOIN users u ON u.id = d.user_id
         WHERE d.status = 'failed' OR (d.status = 'pending' AND d.last_error IS NOT NULL)
         ORDER BY d.id DESC LIMIT 200"
    ).fetch_all(pool).await)?)
}

/// Deliveries by status, for the admins' page: `(sent, pending, failed)`.
#[tracing::instrument(skip_all)]
pub async fn counts(db: &Db) -> Result<(i64, i64, i64), DbError> {
    let rows: Vec<(String, i64)> = on_pool!(db, pool => sqlx::query_as(
        "SELECT status, CAST(COUNT(*) AS BIGINT) FROM notification_deliveries GROUP BY status"
    ).fetch_all(pool).await)?;
    let get = |s: &str| rows.iter().find(|(k, _)| k == s).map_or(0, |(_, n)| *n);
    Ok((get("sent"), get("pending"), get("failed")))
}

/// The Jira ticket a request was made from: `(issue key, issue id)`.
#[tracing::instrument(skip_all)]
pub async fn ticket_of(db: &Db, request_id: i64) -> Result<Option<(String, String)>, DbError> {
    Ok(on_pool!(db, pool => sqlx::query_as(
        "SELECT issue_key, issue_id FROM request_tickets WHERE request_id = $1"
    ).bind(request_id).fetch_optional(pool).await)?)
}

/// The `notify` job an outbox row becomes: retried up to 8 times, 2 minutes per attempt.
const NOTIFY_MAX_ATTEMPTS: i64 = 8;
const NOTIFY_TIMEOUT_MS: i64 = 120_000;

/// Moves up to `limit` outbox rows, oldest first, into `notify` jobs, in one transaction; returns
/// how many moved. Concurrent relays on Postgres skip each other's rows; SQLite has one writer.
#[tracing::instrument(skip_all)]
pub async fn relay(db: &Db, now_ms: i64, limit: i64) -> Result<u64, DbError> {
    match db {
        Db::Postgres(pool) => {
            let moved = sqlx::query(
                "WITH moved AS (
                     DELETE FROM notification_outbox WHERE id IN (
                         SELECT id FROM notification_outbox ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)
                     RETURNING id, event_id)
                 INSERT INTO jobs (kind, payload, state, run_at, max_attempts, timeout_ms, enqueued_at)
                 SELECT 'notify', json_build_object('event_id', event_id)::TEXT, 'queued', $2, $3, $4, $2
                 FROM moved ORDER BY id",
            )
            .bind(limit)
            .bind(now_ms)
            .bind(NOTIFY_MAX_ATTEMPTS)
            .bind(NOTIFY_TIMEOUT_MS)
            .execute(pool)
            .await?
            .rows_affected();
            Ok(moved)
        }
        Db::Sqlite(pool) => {
            let mut tx = pool.begin_with(db.begin_write()).await?;
            let last: Option<i64> = sqlx::query_scalar(
                "SELECT MAX(id) FROM (SELECT id FROM notification_outbox ORDER BY id LIMIT $1)",
            )
            .bind(limit)
            .fetch_one(&mut *tx)
            .await?;
            let Some(last) = last else {
                return Ok(0);
            };
            let moved = sqlx::query(
                "INSERT INTO jobs (kind, payload, state, run_at, max_attempts, timeout_ms, enqueued_at)
                 SELECT 'notify', json_object('event_id', event_id), 'queued', $2, $3, $4, $2
                 FROM notification_outbox WHERE id <= $1 ORDER BY id",
            )
            .bind(last)
            .bind(now_ms)
            .bind(NOTIFY_MAX_ATTEMPTS)
            .bind(NOTIFY_TIMEOUT_MS)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            sqlx::query("DELETE FROM notification_outbox WHERE id <= $1")
                .bind(last)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(moved)
        }
    }
}

/// Rows waiting in the outbox (not yet moved into jobs).
#[tracing::instrument(skip_all)]
pub async fn outbox_len(db: &Db) -> Result<i64, DbError> {
    Ok(on_pool!(db, pool => sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM notification_outbox"
    ).fetch_one(pool).await)?)
}
