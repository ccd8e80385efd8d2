//! SQL for what requests show and produce: detail, timeline, logs, outputs, manual fulfilment.

use super::jobs::{fence_check_sql, Fence};
use super::{Db, DbError};
use crate::on_pool;
use chrono::{DateTime, Utc};

/// A request row with the names of the people on it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RequestRow {
    pub id: i64,
    pub action_id: String,
    pub action_hash: String,
    pub requester_id: Option<i64>,
    pub requester_name: Option<String>,
    /// The person accountable when the requester is a service account (the token's maker).
    pub made_by: Option<i64>,
    pub team: Option<String>,
    pub inputs: String,
    pub status: String,
    pub executor: String,
    pub attempts: i64,
    pub errors: String,
    pub assignee_id: Option<i64>,
    pub assignee_name: Option<String>,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    /// Where it was made: `portal`, `api`, `slack`, `jira`.
    pub channel: String,
}

pub(crate) const ROW: &str = "SELECT r.id, r.action_id, r.action_hash, r.requester_id, u.name AS requester_name, r.made_by, r.team, r.inputs,
        r.status, r.executor, r.attempts, r.errors, r.assignee_id, a.name AS assignee_name, r.note,
        r.created_at, r.updated_at, r.finished_at, r.channel
     FROM requests r LEFT JOIN users u ON u.id = r.requester_id LEFT JOIN users a ON a.id = r.assignee_id";

pub async fn get(db: &Db, id: i64) -> Result<Option<RequestRow>, DbError> {
    let sql = format!("{ROW} WHERE r.id = $1");
    Ok(
        on_pool!(db, pool => sqlx::query_as::<_, RequestRow>(&sql).bind(id).fetch_optional(pool).await)?,
    )
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EventRow {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub kind: String,
    pub actor_name: Option<String>,
    pub attempt: Option<i64>,
    pub detail: Option<String>,
}

pub async fn events(db: &Db, request_id: i64) -> Result<Vec<EventRow>, DbError> {
    Ok(on_pool!(db, pool => sqlx::query_as::<_, EventRow>(
        "SELECT e.id, e.at, e.kind, u.name AS actor_name, e.attempt, e.detail
         FROM request_events e LEFT JOIN users u ON u.id = e.actor_id
         WHERE e.request_id = $1 ORDER BY e.id"
    ).bind(request_id).fetch_all(pool).await)?)
}

/// Events after `after_id`, oldest first (for the live stream).
pub async fn events_after(
    db: &Db,
    request_id: i64,
    after_id: i64,
) -> Result<Vec<EventRow>, DbError> {
    Ok(on_pool!(db, pool => sqlx::query_as::<_, EventRow>(
        "SELECT e.id, e.at, e.kind, u.name AS actor_name, e.attempt, e.detail
         FROM request_events e LEFT JOIN users u ON u.id = e.actor_id
         WHERE e.request_id = $1 AND e.id > $2 ORDER BY e.id LIMIT 500"
    ).bind(request_id).bind(after_id).fetch_all(pool).await)?)
}

/// A request's status alone (cheap, for the live stream).
pub async fn status(db: &Db, request_id: i64) -> Result<Option<String>, DbError> {
    Ok(
        on_pool!(db, pool => sqlx::query_scalar::<_, String>("SELECT status FROM requests WHERE id = $1")
        .bind(request_id).fetch_optional(pool).await)?,
    )
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LogRow {
    pub id: i64,
    pub attempt: i64,
    pub stream: String,
    pub line: String,
}

/// Appends log lines (already redacted) of one attempt, if the attempt still holds its claim.
/// Returns false, having written nothing, when `fence` is stale (the job was rescued, released or
/// finished): a worker that lost its lease adds nothing to the log.
#[tracing::instrument(skip_all, fields(lines = lines.len()))]
pub async fn append_logs(
    db: &Db,
    fence: Fence,
    request_id: i64,
    attempt: i64,
    lines: &[(&str, String)],
) -> Result<bool, DbError> {
    if lines.is_empty() {
        return Ok(true);
    }
    let at = Utc::now();
    let held = on_pool!(db, pool => {
        let mut tx = pool.begin_with(db.begin_write()).await?;
        let held: Option<i64> = sqlx::query_scalar(fence_check_sql(db))
            .bind(fence.job_id).bind(fence.token).fetch_optional(&mut *tx).await?;
        if held.is_none() {
            return Ok(false);
        }
        for (stream, line) in lines {
            sqlx::query("INSERT INTO request_logs (request_id, attempt, at, stream, line) VALUES ($1, $2, $3, $4, $5)")
                .bind(request_id).bind(attempt).bind(at).bind(*stream).bind(line)
                .execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok::<_, sqlx::Error>(true)
    })?;
    Ok(held)
}

/// Redacts the stored log lines of one attempt again with `redact` (a secret learnt late, such as
/// a secret output the run reported), under the attempt's fence. Returns false, having changed
/// nothing, when `fence` is stale.
#[tracing::instrument(skip_all)]
pub async fn redact_logs(
    db: &Db,
    fence: Fence,
    request_id: i64,
    attempt: i64,
    redact: &(dyn Fn(&str) -> String + Sync),
) -> Result<bool, DbError> {
    let held = on_pool!(db, pool => {
        let mut tx = pool.begin_with(db.begin_write()).await?;
        let held: Option<i64> = sqlx::query_scalar(fence_check_sql(db))
            .bind(fence.job_id).bind(fence.token).fetch_optional(&mut *tx).await?;
        if held.is_none() {
            return Ok(false);
        }
        let rows: Vec<(i64, String)> = sqlx::query_as(
            "SELECT id, line FROM request_logs WHERE request_id = $1 AND attempt = $2",
        )
        .bind(request_id).bind(attempt).fetch_all(&mut *tx).await?;
        for (id, line) in rows {
            let redacted = redact(&line);
            if redacted != line {
                sqlx::query("UPDATE request_logs SET line = $2 WHERE id = $1")
                    .bind(id).bind(&redacted).execute(&mut *tx).await?;
            }
        }
        tx.commit().await?;
        Ok::<_, sqlx::Error>(true)
    })?;
    Ok(held)
}

/// Log lines after `after_id`, oldest first, at most `limit`.
pub async fn logs(
    db: &Db,
    request_id: i64,
    after_id: i64,
    limit: i64,
) -> Result<Vec<LogRow>, DbError> {
    Ok(on_pool!(db, pool => sqlx::query_as::<_, LogRow>(
        "SELECT id, attempt, stream, line FROM request_logs WHERE request_id = $1 AND id > $2 ORDER BY id LIMIT $3"
    ).bind(request_id).bind(after_id).bind(limit).fetch_all(pool).await)?)
}

/// The last `limit` log lines before `before_id` (all when `None`), oldest first.
pub async fn log_tail(
    db: &Db,
    request_id: i64,
    before_id: Option<i64>,
    limit: i64,
) -> Result<Vec<LogRow>, DbError> {
    let before = before_id.unwrap_or(i64::MAX);
    let mut rows = on_pool!(db, pool => sqlx::query_as::<_, LogRow>(
        "SELECT id, attempt, stream, line FROM request_logs WHERE request_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3"
    ).bind(request_id).bind(before).bind(limit).fetch_all(pool).await)?;
    rows.reverse();
    Ok(rows)
}

/// An output as stored: secrets carry their sealed value until shown.
#[derive(Debug, Clone)]
pub struct NewOutput {
    pub name: String,
    pub label: Option<String>,
    pub kind: String,
    pub value: Option<String>,
    pub sealed: Option<String>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OutputRow {
    pub name: String,
    pub label: Option<String>,
    pub kind: String,
    pub value: Option<String>,
    /// True while a secret output's sealed value is still stored (not yet shown, not expired).
    pub secret_waiting: bool,
    pub secret_gone: Option<DateTime<Utc>>,
}

/// Replaces the request's outputs (a retried attempt reports them afresh), if the attempt still
/// holds its claim. Returns false, having written nothing, when `fence` is stale: a stale attempt
/// never replaces what the current one reported.
#[tracing::instrument(skip_all)]
pub async fn save_outputs(
    db: &Db,
    fence: Fence,
    request_id: i64,
    outputs: &[NewOutput],
) -> Result<bool, DbError> {
    let at = Utc::now();
    let held = on_pool!(db, pool => {
        let mut tx = pool.begin_with(db.begin_write()).await?;
        let held: Option<i64> = sqlx::query_scalar(fence_check_sql(db))
            .bind(fence.job_id).bind(fence.token).fetch_optional(&mut *tx).await?;
        if held.is_none() {
            return Ok(false);
        }
        sqlx::query("DELETE FROM request_outputs WHERE request_id = $1").bind(request_id).execute(&mut *tx).await?;
        for o in outputs {
            sqlx::query("INSERT INTO request_outputs (request_id, name, label, kind, value, sealed, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                .bind(request_id).bind(&o.name).bind(&o.label).bind(&o.kind).bind(&o.value).bind(&o.sealed).bind(at)
                .execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok::<_, sqlx::Error>(true)
    })?;
    Ok(held)
}

pub async fn outputs(db: &Db, request_id: i64) -> Result<Vec<OutputRow>, DbError> {
    Ok(on_pool!(db, pool => sqlx::query_as::<_, OutputRow>(
        "SELECT name, label, kind, value, (sealed IS NOT NULL) AS secret_waiting, secret_gone
         FROM request_outputs WHERE request_id = $1 ORDER BY created_at, name"
    ).bind(request_id).fetch_all(pool).await)?)
}

/// Takes a secret output's sealed value out of the database: returns it once, and never again.
pub async fn take_secret_output(
    db: &Db,
    request_id: i64,
    name: &str,
) -> Result<Option<String>, DbError> {
    let at = Utc::now();
    Ok(on_pool!(db, pool => {
        // Reads, then writes: on SQLite the write lock is taken first (`Db::begin_write`).
        let mut tx = pool.begin_with(db.begin_write()).await?;
        let sealed: Option<Option<String>> = sqlx::query_scalar(
            "SELECT sealed FROM request_outputs WHERE request_id = $1 AND name = $2 AND kind = 'secret'"
        ).bind(request_id).bind(name).fetch_optional(&mut *tx).await?;
        let changed = sqlx::query(
            "UPDATE request_outputs SET sealed = NULL, secret_gone = $3 WHERE request_id = $1 AND name = $2 AND sealed IS NOT NULL"
        ).bind(request_id).bind(name).bind(at).execute(&mut *tx).await?.rows_affected();
        tx.commit().await?;
        Ok::<_, sqlx::Error>(if changed == 1 { sealed.flatten() } else { None })
    })?)
}

/// Deletes secret outputs nobody looked at within `max_age`. Returns how many.
pub async fn expire_secret_outputs(db: &Db, max_age: chrono::Duration) -> Result<u64, DbError> {
    let now = Utc::now();
    let cutoff = now - max_age;
    Ok(on_pool!(db, pool => sqlx::query(
        "UPDATE request_outputs SET sealed = NULL, secret_gone = $2 WHERE sealed IS NOT NULL AND created_at < $1"
    ).bind(cutoff).bind(now).execute(pool).await.map(|r| r.rows_affected()))?)
}

/// Somebody on the owning team takes a waiting manual request. False if it was not waiting.
pub async fn take(db: &Db, request_id: i64, actor_id: i64) -> Result<bool, DbError> {
    let at = Utc::now();
    Ok(on_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        let changed = sqlx::query(
            "UPDATE requests SET status = 'running', assignee_id = $2, updated_at = $3, attempts = 1
             WHERE id = $1 AND executor = 'manual' AND status = 'queued'"
        ).bind(request_id).bind(actor_id).bind(at).execute(&mut *tx).await?.rows_affected();
        if changed == 1 {
            sqlx::query("INSERT INTO request_events (request_id, at, kind, actor_id, attempt) VALUES ($1, $2, 'assigned', $3, 1)")
                .bind(request_id).bind(at).bind(actor_id).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok::<_, sqlx::Error>(changed == 1)
    })?)
}

/// Closes a taken manual request as done or failed, with a note and outputs. False if it was not
/// running (someone else closed it, or it was cancelled).
pub async fn fulfil(
    db: &Db,
    request_id: i64,
    actor_id: i64,
    succeeded: bool,
    note: &str,
    outputs: &[NewOutput],
) -> Result<bool, DbError> {
    let at = Utc::now();
    let status = if succeeded { "succeeded" } else { "failed" };
    let errors = if succeeded {
        "[]".to_string()
    } else {
        serde_json::json!([note]).to_string()
    };
    Ok(on_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        let changed = sqlx::query(
            "UPDATE requests SET status = $2, note = $3, errors = $4, updated_at = $5, finished_at = $5
             WHERE id = $1 AND executor = 'manual' AND status = 'running'"
        ).bind(request_id).bind(status).bind(note).bind(&errors).bind(at).execute(&mut *tx).await?.rows_affected();
        if changed == 1 {
            sqlx::query("INSERT INTO request_events (request_id, at, kind, actor_id, attempt, detail) VALUES ($1, $2, $3, $4, 1, $5)")
                .bind(request_id).bind(at).bind(status).bind(actor_id).bind(note).execute(&mut *tx).await?;
            sqlx::query("DELETE FROM request_outputs WHERE request_id = $1").bind(request_id).execute(&mut *tx).await?;
            for o in outputs {
                sqlx::query("INSERT INTO request_outputs (request_id, name, label, kind, value, sealed, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                    .bind(request_id).bind(&o.name).bind(&o.label).bind(&o.kind).bind(&o.value).bind(&o.sealed).bind(at)
                    .execute(&mut *tx).await?;
            }
        }
        tx.commit().await?;
        Ok::<_, sqlx::Error>(changed == 1)
    })?)
}

/// Puts a failed request back on the queue with a fresh job (retry). False if it was not failed.
pub async fn retry(
    db: &Db,
    request_id: i64,
    actor_id: i64,
    job: &crate::db::jobs::NewJob,
) -> Result<bool, DbError> {
    let at = Utc::now();
    let now_ms = at.timestamp_millis();
    let changed = on_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        let changed = sqlx::query(
            "UPDATE requests SET status = 'queued', errors = '[]', finished_at = NULL, updated_at = $2
             WHERE id = $1 AND status = 'failed' AND executor <> 'manual'"
        ).bind(request_id).bind(at).execute(&mut *tx).await?.rows_affected();
        if changed == 1 {
            sqlx::query("INSERT INTO request_events (request_id, at, kind, actor_id, detail) VALUES ($1, $2, 'queued', $3, 'retry')")
                .bind(request_id).bind(at).bind(actor_id).execute(&mut *tx).await?;
            sqlx::query(
                "INSERT INTO jobs (request_id, kind, action_id, concurrency_limit, payload, state, run_at, max_attempts, timeout_ms, enqueued_at)
                 VALUES ($1, $2, $3, $4, $5, 'queued', $6, $7, $8, $6)",
            )
            .bind(request_id).bind(&job.kind).bind(&job.action_id).bind(job.concurrency_limit)
            .bind(&job.payload).bind(now_ms).bind(job.max_attempts).bind(job.timeout_ms)
            .execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok::<_, sqlx::Error>(changed == 1)
    })?;
    if changed {
        if let Db::Postgres(pool) = db {
            sqlx::query("SELECT pg_notify('runway_jobs', '')")
                .execute(pool)
                .await?;
        }
    }
    Ok(changed)
}

/// The newest request made with this (already user-scoped) idempotency key since `since`, in any
/// state: a client that retries after the request finished still gets the same request back.
#[tracing::instrument(skip_all)]
pub async fn by_idempotency_key(
    db: &Db,
    key: &str,
    since: chrono::DateTime<chrono::Utc>,
) -> Result<Option<i64>, DbError> {
    let id = on_pool!(db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT id FROM requests WHERE idempotency_key = $1 AND created_at >= $2 ORDER BY id DESC LIMIT 1"
    ).bind(key).bind(since).fetch_optional(pool).await)?;
    Ok(id)
}
