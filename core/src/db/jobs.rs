//! SQL for the job queue and the request rows it drives.
//!
//! Claims are backend-specific: Postgres claims a batch with `FOR UPDATE SKIP LOCKED`, so any number
//! of workers on any number of machines never claim the same job; SQLite relies on its single writer
//! and claims with one `UPDATE … RETURNING`. Everything else is portable SQL. Every write a worker
//! makes about a job names the fencing token it claimed the job with (`fence`): after a rescue the
//! token has moved on, and the stale worker's write matches no row.

use super::{Db, DbError};
use crate::on_pool;
use chrono::{DateTime, Utc};
use runway_domain::request::RequestStatus;

/// A job to put on the queue (the queue path, without a request row).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct NewJob {
    pub kind: String,
    pub action_id: Option<String>,
    pub concurrency_limit: Option<i64>,
    pub payload: String,
    pub run_at_ms: i64,
    pub max_attempts: i64,
    pub timeout_ms: i64,
}

/// A request and its job, written in one transaction.
#[derive(Debug, Clone)]
pub struct NewRequest {
    pub action_id: String,
    pub action_hash: String,
    pub requester_id: Option<i64>,
    pub team: Option<String>,
    pub inputs: String,
    pub idempotency_key: Option<String>,
    /// `script`, `webhook` or `manual` (or a test kind).
    pub executor: String,
    /// The job to run now. `None` for requests that wait: for a person (manual actions sit `queued`
    /// in the fulfilment inbox) or for approval (`pending_approval`).
    pub job: Option<NewJob>,
    /// Waits for approval before anything runs.
    pub needs_approval: bool,
    /// Where the request was made.
    pub channel: runway_domain::request::Channel,
    /// The person accountable when the requester is a service account (the token's maker).
    pub made_by: Option<i64>,
    /// The Jira ticket the request was made from, recorded with it (`request_tickets`).
    pub ticket: Option<Ticket>,
}

/// A Jira ticket: its key (`PLAT-12`) and id (`10002`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    pub key: String,
    pub id: String,
}

/// What a submit did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Submitted {
    pub request_id: i64,
    /// False when an active request with the same idempotency key was returned instead.
    pub created: bool,
}

/// A job as a worker holds it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClaimedJob {
    pub id: i64,
    pub request_id: Option<i64>,
    pub kind: String,
    pub action_id: Option<String>,
    pub payload: String,
    pub attempt: i64,
    pub max_attempts: i64,
    pub rescues: i64,
    pub timeout_ms: i64,
    pub fence: i64,
    pub errors: String,
    pub enqueued_at: i64,
}

/// The claim an attempt's writes name: its job and the fencing token it was claimed with. Writes
/// made under a fence take effect only while the job is still running under that token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fence {
    pub job_id: i64,
    pub token: i64,
}

impl ClaimedJob {
    pub fn fence(&self) -> Fence {
        Fence {
            job_id: self.id,
            token: self.fence,
        }
    }
}

/// The check that opens every fenced write, run first in a transaction begun with
/// `Db::begin_write`: one row while the job runs under the fence. Postgres also locks the job row
/// (`FOR SHARE`) until the transaction ends, so no rescue, release or completion can move the token
/// on between the check and the writes after it; SQLite holds its single write lock already.
pub(crate) fn fence_check_sql(db: &Db) -> &'static str {
    match db {
        Db::Sqlite(_) => "SELECT id FROM jobs WHERE id = $1 AND fence = $2 AND state = 'running'",
        Db::Postgres(_) => {
            "SELECT id FROM jobs WHERE id = $1 AND fence = $2 AND state = 'running' FOR SHARE"
        }
    }
}

/// How an attempt ended, as recorded by [`complete`].
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Succeeded,
    /// Failed; run again at `retry_at_ms`. `errors` is the JSON array of every error so far.
    Retry {
        retry_at_ms: i64,
        errors: String,
        error: String,
    },
    /// Failed for good; `errors` holds every attempt's error.
    Failed {
        errors: String,
    },
    Cancelled,
}

#[derive(Debug, Clone)]
pub struct Completion {
    pub id: i64,
    pub fence: i64,
    pub request_id: Option<i64>,
    pub attempt: i64,
    pub outcome: Outcome,
}

/// What cancelling a request did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cancelled {
    /// It was still queued: removed at once.
    Removed,
    /// It is running: its worker was asked to stop and will record `cancelled`.
    Signalled,
    /// Nothing to cancel: already finished.
    AlreadyFinal,
    NotFound,
}

const CLAIM_COLUMNS: &str =
    "id, request_id, kind, action_id, payload, attempt, max_attempts, rescues, timeout_ms, fence, errors, enqueued_at";

fn now() -> DateTime<Utc> {
    Utc::now()
}

fn backend_name<DB: sqlx::Database>(_: &sqlx::Transaction<'_, DB>) -> &'static str {
    DB::NAME
}

/// One NOTIFY per transaction on Postgres (delivered at commit, however many jobs it wrote); nothing
/// on SQLite, whose workers share the process and are woken by the in-process notifier.
macro_rules! notify_in_tx {
    ($tx:ident) => {
        if backend_name(&$tx) == "PostgreSQL" {
            sqlx::query("SELECT pg_notify('runway_jobs', '')")
                .execute(&mut *$tx)
                .await?;
        }
    };
}

/// Postgres: a transaction-scoped advisory lock per action, so counting running jobs and claiming
/// cannot interleave with another worker's. SQLite holds its write lock already (the transaction
/// began with `Db::begin_write`).
macro_rules! lock_action {
    ($tx:ident, $action:expr) => {
        if backend_name(&$tx) == "PostgreSQL" {
            sqlx::query("SELECT pg_advisory_xact_lock(hashtext('runway.action.' || $1))")
                .bind($action)
                .execute(&mut *$tx)
                .await?;
        }
    };
}

/// Postgres: moves the requests of a claimed batch to `running`, with a `started` event each, in
/// two statements for the whole batch.
macro_rules! mark_started_pg {
    ($tx:ident, $jobs:expr) => {{
        let at = now();
        let with_request: Vec<(i64, i64)> = $jobs
            .iter()
            .filter_map(|j| j.request_id.map(|r| (r, j.attempt)))
            .collect();
        if !with_request.is_empty() {
            let ids: Vec<i64> = with_request.iter().map(|(r, _)| *r).collect();
            let attempts: Vec<i64> = with_request.iter().map(|(_, a)| *a).collect();
            sqlx::query(
                "UPDATE requests SET status = 'running', attempts = u.a, updated_at = $3
                 FROM UNNEST($1::bigint[], $2::bigint[]) AS u(id, a) WHERE requests.id = u.id",
            )
            .bind(&ids)
            .bind(&attempts)
            .bind(at)
            .execute(&mut *$tx)
            .await?;
            sqlx::query(
                "INSERT INTO request_events (request_id, at, kind, attempt)
                 SELECT id, $3, 'started', a FROM UNNEST($1::bigint[], $2::bigint[]) AS u(id, a)",
            )
            .bind(&ids)
            .bind(&attempts)
            .bind(at)
            .execute(&mut *$tx)
            .await?;
        }
    }};
}

/// Moves the requests of freshly claimed jobs to `running`, with a `started` event per attempt
/// (row by row: SQLite, and the rare concurrency-limited claims).
macro_rules! mark_started {
    ($tx:ident, $jobs:expr) => {{
        let at = now();
        for job in $jobs.iter() {
            let Some(request_id) = job.request_id else { continue };
            sqlx::query("UPDATE requests SET status = 'running', attempts = $2, updated_at = $3 WHERE id = $1")
                .bind(request_id).bind(job.attempt).bind(at)
                .execute(&mut *$tx).await?;
            sqlx::query("INSERT INTO request_events (request_id, at, kind, attempt) VALUES ($1, $2, 'started', $3)")
                .bind(request_id).bind(at).bind(job.attempt)
                .execute(&mut *$tx).await?;
        }
    }};
}

/// Enqueues jobs without request rows (the queue path), in one transaction with one wake-up.
#[tracing::instrument(skip_all, fields(jobs = jobs.len()))]
pub async fn enqueue(db: &Db, jobs: &[NewJob], now_ms: i64) -> Result<Vec<i64>, DbError> {
    if let Db::Postgres(pool) = db {
        // One statement for the whole batch: arrays in, one row per job out.
        let mut tx = pool.begin().await?;
        let ids: Vec<i64> = sqlx::query_scalar(
            "INSERT INTO jobs (kind, action_id, concurrency_limit, payload, state, run_at, max_attempts, timeout_ms, enqueued_at)
             SELECT k, a, c, p, 'queued', r, m, t, $8
             FROM UNNEST($1::text[], $2::text[], $3::bigint[], $4::text[], $5::bigint[], $6::bigint[], $7::bigint[])
                  WITH ORDINALITY AS j(k, a, c, p, r, m, t, n)
             ORDER BY n
             RETURNING id",
        )
        .bind(jobs.iter().map(|j| j.kind.clone()).collect::<Vec<_>>())
        .bind(jobs.iter().map(|j| j.action_id.clone()).collect::<Vec<_>>())
        .bind(jobs.iter().map(|j| j.concurrency_limit).collect::<Vec<_>>())
        .bind(jobs.iter().map(|j| j.payload.clone()).collect::<Vec<_>>())
        .bind(jobs.iter().map(|j| j.run_at_ms).collect::<Vec<_>>())
        .bind(jobs.iter().map(|j| j.max_attempts).collect::<Vec<_>>())
        .bind(jobs.iter().map(|j| j.timeout_ms).collect::<Vec<_>>())
        .bind(now_ms)
        .fetch_all(&mut *tx)
        .await?;
        sqlx::query("SELECT pg_notify('runway_jobs', '')")
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        return Ok(ids);
    }
    let ids = on_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        let mut ids = Vec::with_capacity(jobs.len());
        for j in jobs {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO jobs (kind, action_id, concurrency_limit, payload, state, run_at, max_attempts, timeout_ms, enqueued_at)
                 VALUES ($1, $2, $3, $4, 'queued', $5, $6, $7, $8) RETURNING id",
            )
            .bind(&j.kind).bind(&j.action_id).bind(j.concurrency_limit).bind(&j.payload)
            .bind(j.run_at_ms).bind(j.max_attempts).bind(j.timeout_ms).bind(now_ms)
            .fetch_one(&mut *tx).await?;
            ids.push(id);
        }
        notify_in_tx!(tx);
        tx.commit().await?;
        Ok::<_, sqlx::Error>(ids)
    })?;
    Ok(ids)
}

/// Records a request, its `submitted` and `queued` events and its job, in one transaction: the job
/// exists if and only if the request was recorded. An active request with the same idempotency key
/// is returned instead of creating a second one.
#[tracing::instrument(skip_all, fields(action = %req.action_id))]
pub async fn submit(db: &Db, req: &NewRequest, now_ms: i64) -> Result<Submitted, DbError> {
    submit_with_payload(db, req, now_ms, None).await
}

/// Makes a job's payload once its request has an id: secrets in it are sealed with the request id
/// as associated data, so they open for that request only.
pub type PayloadFor<'a> =
    &'a (dyn Fn(i64) -> Result<String, Box<dyn std::error::Error + Send + Sync>> + Sync);

/// [`submit`], with the job's payload made by `payload_for` from the new request's id (in the same
/// transaction) instead of `req.job.payload`.
#[tracing::instrument(skip_all, fields(action = %req.action_id))]
pub async fn submit_with_payload(
    db: &Db,
    req: &NewRequest,
    now_ms: i64,
    payload_for: Option<PayloadFor<'_>>,
) -> Result<Submitted, DbError> {
    let at = now();
    let search = super::history::search_text(&req.action_id, &req.inputs);
    // On SQLite, take the write lock up front: the search index's insert trigger otherwise met
    // concurrent submits with SQLITE_BUSY instead of waiting for the busy timeout.
    let result = on_pool!(db, pool => {
        let mut tx = pool.begin_with(db.begin_write()).await?;
        let status = if req.needs_approval { "pending_approval" } else { "queued" };
        let inserted: Option<i64> = sqlx::query_scalar(
            "INSERT INTO requests (action_id, action_hash, requester_id, team, inputs, status, idempotency_key, executor, created_at, updated_at, search_text, channel, made_by)
             VALUES ($1, $2, $3, $4, $5, $8, $6, $9, $7, $7, $10, $11, $12)
             ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL AND status NOT IN ('succeeded', 'failed', 'cancelled', 'rejected', 'expired')
             DO NOTHING
             RETURNING id",
        )
        .bind(&req.action_id).bind(&req.action_hash).bind(req.requester_id).bind(&req.team)
        .bind(&req.inputs).bind(&req.idempotency_key).bind(at).bind(status).bind(&req.executor)
        .bind(&search).bind(req.channel.as_str()).bind(req.made_by)
        .fetch_optional(&mut *tx).await?;
        let Some(request_id) = inserted else {
            let existing: i64 = sqlx::query_scalar(
                "SELECT id FROM requests WHERE idempotency_key = $1 AND status NOT IN ('succeeded', 'failed', 'cancelled', 'rejected', 'expired')",
            )
            .bind(&req.idempotency_key)
            .fetch_one(&mut *tx).await?;
            tx.commit().await?;
            return Ok(Submitted { request_id: existing, created: false });
        };
        // The job, its payload made now that the request has an id.
        let job = match (&req.job, payload_for) {
            (Some(j), Some(payload_for)) => Some(NewJob {
                payload: payload_for(request_id).map_err(sqlx::Error::Encode)?,
                ..j.clone()
            }),
            (j, None) => j.clone(),
            (None, Some(_)) => None,
        };
        if let (Some(j), true) = (&job, req.needs_approval) {
            // A request that waits for approval keeps its job here until it is approved.
            let pending_job = serde_json::to_string(j).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
            sqlx::query("UPDATE requests SET pending_job = $2 WHERE id = $1")
                .bind(request_id).bind(&pending_job)
                .execute(&mut *tx).await?;
        }
        if let Some(t) = &req.ticket {
            sqlx::query("INSERT INTO request_tickets (request_id, issue_key, issue_id) VALUES ($1, $2, $3)")
                .bind(request_id).bind(&t.key).bind(&t.id)
                .execute(&mut *tx).await?;
        }
        let second = if req.needs_approval { "approval_requested" } else { "queued" };
        for kind in ["submitted", second] {
            sqlx::query("INSERT INTO request_events (request_id, at, kind, actor_id) VALUES ($1, $2, $3, $4)")
                .bind(request_id).bind(at).bind(kind).bind(req.requester_id)
                .execute(&mut *tx).await?;
        }
        if let (Some(j), false) = (&job, req.needs_approval) {
            sqlx::query(
                "INSERT INTO jobs (request_id, kind, action_id, concurrency_limit, payload, state, run_at, max_attempts, timeout_ms, enqueued_at)
                 VALUES ($1, $2, $3, $4, $5, 'queued', $6, $7, $8, $9)",
            )
            .bind(request_id).bind(&j.kind).bind(&j.action_id).bind(j.concurrency_limit).bind(&j.payload)
            .bind(j.run_at_ms).bind(j.max_attempts).bind(j.timeout_ms).bind(now_ms)
            .execute(&mut *tx).await?;
        }
        notify_in_tx!(tx);
        tx.commit().await?;
        Ok::<_, sqlx::Error>(Submitted { request_id, created: true })
    });
    match result {
        Ok(s) => Ok(s),
        // Two submits with the same key racing: the loser's insert hits the unique index.
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            let key = req.idempotency_key.clone().unwrap_or_default();
            let existing = on_pool!(db, pool => sqlx::query_scalar::<_, i64>(
                "SELECT id FROM requests WHERE idempotency_key = $1 AND status NOT IN ('succeeded', 'failed', 'cancelled', 'rejected', 'expired')"
            ).bind(&key).fetch_one(pool).await)?;
            Ok(Submitted {
                request_id: existing,
                created: false,
            })
        }
        Err(e) => Err(e.into()),
    }
}

/// The claim of [`claim`]: the same on both backends; Postgres adds SKIP LOCKED so concurrent
/// claimers pass over each other's rows instead of waiting (SQLite's single writer needs no row
/// locks). Binds: worker, lease end, now, limit.
fn claim_sql(db: &Db) -> String {
    format!(
        "UPDATE jobs SET state = 'running', worker_id = $1, lease_until = $2, fence = fence + 1, attempt = attempt + 1
         WHERE id IN (
             SELECT id FROM jobs
             WHERE state = 'queued' AND run_at <= $3 AND concurrency_limit IS NULL
             ORDER BY run_at, id
             LIMIT $4 {})
         RETURNING {CLAIM_COLUMNS}",
        if matches!(db, Db::Postgres(_)) { "FOR UPDATE SKIP LOCKED" } else { "" }
    )
}

/// The database's plan for [`claim`] (`EXPLAIN`, one line per step), for tests that check the
/// claim reads an index in claim order rather than every queued job.
pub async fn claim_plan(db: &Db, now_ms: i64) -> Result<String, DbError> {
    let sql = claim_sql(db);
    let lines: Vec<String> = match db {
        Db::Postgres(pool) => {
            sqlx::query_scalar(&format!("EXPLAIN {sql}"))
                .bind("plan")
                .bind(now_ms)
                .bind(now_ms)
                .bind(516_i64)
                .fetch_all(pool)
                .await?
        }
        Db::Sqlite(pool) => {
            let rows: Vec<(i64, i64, i64, String)> =
                sqlx::query_as(&format!("EXPLAIN QUERY PLAN {sql}"))
                    .bind("plan")
                    .bind(now_ms)
                    .bind(now_ms)
                    .bind(516_i64)
                    .fetch_all(pool)
                    .await?;
            rows.into_iter().map(|r| r.3).collect()
        }
    };
    Ok(lines.join("\n"))
}

/// Claims up to `limit` runnable jobs for `worker_id`, with a lease until `now_ms + lease_ms`: jobs
/// of actions without a concurrency limit. [`claim_limited`] claims the others; a worker calls both.
#[tracing::instrument(skip_all, fields(limit))]
pub async fn claim(
    db: &Db,
    worker_id: &str,
    limit: i64,
    now_ms: i64,
    lease_ms: i64,
) -> Result<Vec<ClaimedJob>, DbError> {
    if limit <= 0 {
        return Ok(Vec::new());
    }
    let lease_until = now_ms + lease_ms;
    let sql = claim_sql(db);
    let claimed = match db {
        Db::Postgres(pool) => {
            let mut tx = pool.begin().await?;
            let jobs: Vec<ClaimedJob> = sqlx::query_as(&sql)
                .bind(worker_id)
                .bind(lease_until)
                .bind(now_ms)
                .bind(limit)
                .fetch_all(&mut *tx)
                .await?;
            mark_started_pg!(tx, jobs);
            tx.commit().await?;
            jobs
        }
        Db::Sqlite(pool) => {
            let mut tx = pool.begin().await?;
            let jobs: Vec<ClaimedJob> = sqlx::query_as(&sql)
                .bind(worker_id)
                .bind(lease_until)
                .bind(now_ms)
                .bind(limit)
                .fetch_all(&mut *tx)
                .await?;
            mark_started!(tx, jobs);
            tx.commit().await?;
            jobs
        }
    };
    Ok(claimed)
}

/// Claims up to `free` jobs of concurrency-limited actions, only while each action has free slots
/// (lease until `now_ms + lease_ms`), one action at a time under a lock, so that the count
/// of running jobs and the claim cannot interleave with another worker's.
pub async fn claim_limited(
    db: &Db,
    worker_id: &str,
    mut free: i64,
    now_ms: i64,
    lease_ms: i64,
) -> Result<Vec<ClaimedJob>, DbError> {
    let lease_until = now_ms + lease_ms;
    let mut out = Vec::new();
    let actions: Vec<(String, i64)> = on_pool!(db, pool => sqlx::query_as(
        "SELECT action_id, MIN(concurrency_limit) FROM jobs
         WHERE state = 'queued' AND run_at <= $1 AND concurrency_limit IS NOT NULL AND action_id IS NOT NULL
         GROUP BY action_id LIMIT 20"
    ).bind(now_ms).fetch_all(pool).await)?;
    for (action, cap) in actions {
        if free <= 0 {
            break;
        }
        let jobs: Vec<ClaimedJob> = on_pool!(db, pool => {
            let mut tx = pool.begin_with(db.begin_write()).await?;
            lock_action!(tx, &action);
            let running: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE action_id = $1 AND state = 'running'")
                .bind(&action).fetch_one(&mut *tx).await?;
            let n = free.min(cap - running);
            let jobs: Vec<ClaimedJob> = if n > 0 {
                sqlx::query_as(&format!(
                    "UPDATE jobs SET state = 'running', worker_id = $1, lease_until = $2, fence = fence + 1, attempt = attempt + 1
                     WHERE id IN (
                         SELECT id FROM jobs WHERE state = 'queued' AND run_at <= $3 AND action_id = $4
                         ORDER BY run_at, id LIMIT $5)
                     RETURNING {CLAIM_COLUMNS}"
                ))
                .bind(worker_id).bind(lease_until).bind(now_ms).bind(&action).bind(n)
                .fetch_all(&mut *tx).await?
            } else {
                Vec::new()
            };
            mark_started!(tx, jobs);
            tx.commit().await?;
            Ok::<_, sqlx::Error>(jobs)
        })?;
        free -= jobs.len() as i64;
        out.extend(jobs);
    }
    Ok(out)
}

/// Extends the leases of the jobs `worker_id` holds. Returns, for each job still held, whether
/// cancellation was requested; a job missing from the answer was lost (rescued by someone else).
#[tracing::instrument(skip_all, fields(jobs = held.len()))]
pub async fn heartbeat(
    db: &Db,
    worker_id: &str,
    held: &[(i64, i64)],
    now_ms: i64,
    lease_ms: i64,
) -> Result<Vec<(i64, bool)>, DbError> {
    if held.is_empty() {
        return Ok(Vec::new());
    }
    if let Db::Postgres(pool) = db {
        // One statement for every held job: a worker with a full prefetch buffer holds hundreds.
        let ids: Vec<i64> = held.iter().map(|(id, _)| *id).collect();
        let fences: Vec<i64> = held.iter().map(|(_, fence)| *fence).collect();
        let rows: Vec<(i64, bool)> = sqlx::query_as(
            "UPDATE jobs SET lease_until = $1
             FROM UNNEST($2::bigint[], $3::bigint[]) AS h(id, fence)
             WHERE jobs.id = h.id AND jobs.fence = h.fence AND jobs.worker_id = $4 AND jobs.state = 'running'
             RETURNING jobs.id, jobs.cancel_requested",
        )
        .bind(now_ms + lease_ms)
        .bind(&ids)
        .bind(&fences)
        .bind(worker_id)
        .fetch_all(pool)
        .await?;
        return Ok(rows);
    }
    let mut out = Vec::with_capacity(held.len());
    on_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        for (id, fence) in held {
            let row: Option<(i64, bool)> = sqlx::query_as(
                "UPDATE jobs SET lease_until = $1 WHERE id = $2 AND fence = $3 AND worker_id = $4 AND state = 'running'
                 RETURNING id, cancel_requested",
            )
            .bind(now_ms + lease_ms).bind(id).bind(fence).bind(worker_id)
            .fetch_optional(&mut *tx).await?;
            out.extend(row);
        }
        tx.commit().await?;
        Ok::<_, sqlx::Error>(())
    })?;
    Ok(out)
}

/// Records finished attempts, in one transaction. Returns the ids whose write took effect; a
/// completion with a stale fencing token changes nothing and is not returned.
#[tracing::instrument(skip_all, fields(jobs = done.len()))]
pub async fn complete(db: &Db, done: &[Completion]) -> Result<Vec<i64>, DbError> {
    if done.is_empty() {
        return Ok(Vec::new());
    }
    let at = now();
    // The common cases, batches of successes, are a few statements on Postgres.
    if let Db::Postgres(pool) = db {
        if done
            .iter()
            .all(|c| c.outcome == Outcome::Succeeded && c.request_id.is_some())
        {
            let ids: Vec<i64> = done.iter().map(|c| c.id).collect();
            let fences: Vec<i64> = done.iter().map(|c| c.fence).collect();
            let mut tx = pool.begin().await?;
            let applied: Vec<(i64, Option<i64>, i64)> = sqlx::query_as(
                "DELETE FROM jobs WHERE (id, fence) IN (SELECT * FROM UNNEST($1::bigint[], $2::bigint[])) AND state = 'running'
                 RETURNING id, request_id, attempt",
            )
            .bind(&ids).bind(&fences)
            .fetch_all(&mut *tx).await?;
            let requests: Vec<i64> = applied.iter().filter_map(|(_, r, _)| *r).collect();
            let attempts: Vec<i64> = applied
                .iter()
                .filter(|(_, r, _)| r.is_some())
                .map(|(_, _, a)| *a)
                .collect();
            sqlx::query("UPDATE requests SET status = 'succeeded', updated_at = $2, finished_at = $2 WHERE id = ANY($1)")
                .bind(&requests).bind(at)
                .execute(&mut *tx).await?;
            sqlx::query(
                "INSERT INTO request_events (request_id, at, kind, attempt)
                 SELECT id, $3, 'succeeded', a FROM UNNEST($1::bigint[], $2::bigint[]) AS u(id, a)",
            )
            .bind(&requests)
            .bind(&attempts)
            .bind(at)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            return Ok(applied.into_iter().map(|(id, ..)| id).collect());
        }
        if done
            .iter()
            .all(|c| c.outcome == Outcome::Succeeded && c.request_id.is_none())
        {
            let ids: Vec<i64> = done.iter().map(|c| c.id).collect();
            let fences: Vec<i64> = done.iter().map(|c| c.fence).collect();
            let applied: Vec<i64> = sqlx::query_scalar(
                "DELETE FROM jobs WHERE (id, fence) IN (SELECT * FROM UNNEST($1::bigint[], $2::bigint[])) AND state = 'running' RETURNING id",
            )
            .bind(&ids).bind(&fences)
            .fetch_all(pool).await?;
            return Ok(applied);
        }
    }
    let applied = on_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        let mut applied = Vec::with_capacity(done.len());
        for c in done {
            let changed = match &c.outcome {
                Outcome::Retry { retry_at_ms, errors, .. } => sqlx::query(
                    "UPDATE jobs SET state = 'queued', run_at = $3, worker_id = NULL, lease_until = NULL, errors = $4
                     WHERE id = $1 AND fence = $2 AND state = 'running'",
                )
                .bind(c.id).bind(c.fence).bind(retry_at_ms).bind(errors)
                .execute(&mut *tx).await?.rows_affected(),
                _ => sqlx::query("DELETE FROM jobs WHERE id = $1 AND fence = $2 AND state = 'running'")
                    .bind(c.id).bind(c.fence)
                    .execute(&mut *tx).await?.rows_affected(),
            };
            if changed == 0 {
                continue;
            }
            applied.push(c.id);
            let Some(request_id) = c.request_id else { continue };
            let (status, final_errors, finished) = match &c.outcome {
                Outcome::Succeeded => ("succeeded", None, true),
                Outcome::Retry { .. } => ("queued", None, false),
                Outcome::Failed { errors } => ("failed", Some(errors.clone()), true),
                Outcome::Cancelled => ("cancelled", None, true),
            };
            sqlx::query(
                "UPDATE requests SET status = $2, errors = COALESCE($3, errors), updated_at = $4,
                    finished_at = CASE WHEN $5 THEN $4 ELSE finished_at END
                 WHERE id = $1",
            )
            .bind(request_id).bind(status).bind(final_errors).bind(at).bind(finished)
            .execute(&mut *tx).await?;
            let events: Vec<(&str, Option<String>)> = match &c.outcome {
                Outcome::Succeeded => vec![("succeeded", None)],
                Outcome::Retry { retry_at_ms, error, .. } => vec![
                    ("attempt_failed", Some(error.clone())),
                    ("retry_scheduled", Some(format!("{{\"run_at_ms\":{retry_at_ms}}}"))),
                ],
                Outcome::Failed { errors } => vec![("failed", Some(errors.clone()))],
                Outcome::Cancelled => vec![("cancelled", None)],
            };
            for (kind, detail) in events {
                sqlx::query("INSERT INTO request_events (request_id, at, kind, attempt, detail) VALUES ($1, $2, $3, $4, $5)")
                    .bind(request_id).bind(at).bind(kind).bind(c.attempt).bind(detail)
                    .execute(&mut *tx).await?;
            }
        }
        tx.commit().await?;
        Ok::<_, sqlx::Error>(applied)
    })?;
    Ok(applied)
}

/// Puts running jobs whose lease expired back on the queue (their worker crashed, hung or lost the
/// database). A rescued attempt counts as a failed one: its error is kept, and a job whose last
/// allowed attempt was rescued fails for good (a job that kills its worker is not rescued
/// forever). Returns (job id, request id) of each rescued job.
#[tracing::instrument(skip_all)]
pub async fn rescue_expired(db: &Db, now_ms: i64) -> Result<Vec<(i64, Option<i64>)>, DbError> {
    let at = now();
    // Postgres: rows another rescuer is handling are skipped; SQLite holds its write lock.
    let expired_sql = match db {
        Db::Sqlite(_) => {
            "SELECT id, request_id, fence, attempt, max_attempts, errors FROM jobs
             WHERE state = 'running' AND lease_until < $1"
        }
        Db::Postgres(_) => {
            "SELECT id, request_id, fence, attempt, max_attempts, errors FROM jobs
             WHERE state = 'running' AND lease_until < $1 FOR UPDATE SKIP LOCKED"
        }
    };
    let rescued = on_pool!(db, pool => {
        let mut tx = pool.begin_with(db.begin_write()).await?;
        let expired: Vec<(i64, Option<i64>, i64, i64, i64, String)> = sqlx::query_as(expired_sql)
            .bind(now_ms)
            .fetch_all(&mut *tx).await?;
        let mut rows = Vec::with_capacity(expired.len());
        for (id, request_id, fence, attempt, max_attempts, errors) in expired {
            let mut all: Vec<String> = serde_json::from_str(&errors).unwrap_or_default();
            all.push(format!("attempt {attempt}: {RESCUED_ERROR}"));
            let all = serde_json::to_string(&all).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
            let last = attempt >= max_attempts;
            let changed = if last {
                sqlx::query("DELETE FROM jobs WHERE id = $1 AND fence = $2 AND state = 'running'")
                    .bind(id).bind(fence)
                    .execute(&mut *tx).await?.rows_affected()
            } else {
                sqlx::query(
                    "UPDATE jobs SET state = 'queued', worker_id = NULL, lease_until = NULL, run_at = $3,
                        rescues = rescues + 1, errors = $4
                     WHERE id = $1 AND fence = $2 AND state = 'running'",
                )
                .bind(id).bind(fence).bind(now_ms).bind(&all)
                .execute(&mut *tx).await?.rows_affected()
            };
            if changed == 0 {
                continue;
            }
            rows.push((id, request_id));
            let Some(request_id) = request_id else { continue };
            sqlx::query("INSERT INTO request_events (request_id, at, kind, attempt) VALUES ($1, $2, 'rescued', $3)")
                .bind(request_id).bind(at).bind(attempt).execute(&mut *tx).await?;
            if last {
                sqlx::query("UPDATE requests SET status = 'failed', errors = $3, updated_at = $2, finished_at = $2 WHERE id = $1")
                    .bind(request_id).bind(at).bind(&all).execute(&mut *tx).await?;
                sqlx::query("INSERT INTO request_events (request_id, at, kind, attempt, detail) VALUES ($1, $2, 'failed', $3, $4)")
                    .bind(request_id).bind(at).bind(attempt).bind(&all).execute(&mut *tx).await?;
            } else {
                sqlx::query("UPDATE requests SET status = 'queued', updated_at = $2 WHERE id = $1")
                    .bind(request_id).bind(at).execute(&mut *tx).await?;
            }
        }
        if !rows.is_empty() {
            notify_in_tx!(tx);
        }
        tx.commit().await?;
        Ok::<_, sqlx::Error>(rows)
    })?;
    Ok(rescued)
}

/// The error a rescued attempt records.
pub const RESCUED_ERROR: &str =
    "its worker stopped renewing the lease (it crashed, hung or lost the database)";

/// Gives back jobs a stopping worker did not finish: queued again at once, the unfinished attempt
/// not counted.
#[tracing::instrument(skip_all, fields(jobs = held.len()))]
pub async fn release(
    db: &Db,
    worker_id: &str,
    held: &[(i64, i64)],
    now_ms: i64,
) -> Result<u64, DbError> {
    let at = now();
    let released = on_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        let mut n = 0;
        for (id, fence) in held {
            let row: Option<Option<i64>> = sqlx::query_scalar(
                "UPDATE jobs SET state = 'queued', worker_id = NULL, lease_until = NULL, run_at = $4, attempt = attempt - 1
                 WHERE id = $1 AND fence = $2 AND worker_id = $3 AND state = 'running'
                 RETURNING request_id",
            )
            .bind(id).bind(fence).bind(worker_id).bind(now_ms)
            .fetch_optional(&mut *tx).await?;
            let Some(request_id) = row else { continue };
            n += 1;
            if let Some(request_id) = request_id {
                sqlx::query("UPDATE requests SET status = 'queued', updated_at = $2 WHERE id = $1")
                    .bind(request_id).bind(at).execute(&mut *tx).await?;
                sqlx::query("INSERT INTO request_events (request_id, at, kind) VALUES ($1, $2, 'released')")
                    .bind(request_id).bind(at).execute(&mut *tx).await?;
            }
        }
        if n > 0 {
            notify_in_tx!(tx);
        }
        tx.commit().await?;
        Ok::<_, sqlx::Error>(n)
    })?;
    Ok(released)
}

/// Cancels a request: a queued job is removed at once; a running one is flagged for its worker.
#[tracing::instrument(skip_all)]
pub async fn cancel(db: &Db, request_id: i64, actor_id: Option<i64>) -> Result<Cancelled, DbError> {
    let at = now();
    let outcome = on_pool!(db, pool => {
        // Reads, then writes: on SQLite the write lock is taken first (`Db::begin_write`).
        let mut tx = pool.begin_with(db.begin_write()).await?;
        let status: Option<String> = sqlx::query_scalar("SELECT status FROM requests WHERE id = $1")
            .bind(request_id).fetch_optional(&mut *tx).await?;
        let Some(status) = status else { return Ok(Cancelled::NotFound) };
        if status.parse::<RequestStatus>().is_ok_and(RequestStatus::is_final) {
            return Ok(Cancelled::AlreadyFinal);
        }
        let removed = sqlx::query("DELETE FROM jobs WHERE request_id = $1 AND state = 'queued'")
            .bind(request_id).execute(&mut *tx).await?.rows_affected();
        // Requests with no running job (waiting for approval, manual ones a person holds) end now.
        let running_jobs: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE request_id = $1 AND state = 'running'")
            .bind(request_id).fetch_one(&mut *tx).await?;
        let outcome = if removed > 0 || status != "running" || running_jobs == 0 {
            sqlx::query("UPDATE requests SET status = 'cancelled', pending_job = NULL, updated_at = $2, finished_at = $2 WHERE id = $1")
                .bind(request_id).bind(at).execute(&mut *tx).await?;
            sqlx::query("INSERT INTO request_events (request_id, at, kind, actor_id) VALUES ($1, $2, 'cancelled', $3)")
                .bind(request_id).bind(at).bind(actor_id).execute(&mut *tx).await?;
            Cancelled::Removed
        } else {
            sqlx::query("UPDATE jobs SET cancel_requested = TRUE WHERE request_id = $1")
                .bind(request_id).execute(&mut *tx).await?;
            sqlx::query("INSERT INTO request_events (request_id, at, kind, actor_id) VALUES ($1, $2, 'cancel_requested', $3)")
                .bind(request_id).bind(at).bind(actor_id).execute(&mut *tx).await?;
            Cancelled::Signalled
        };
        tx.commit().await?;
        Ok::<_, sqlx::Error>(outcome)
    })?;
    Ok(outcome)
}

/// Jobs on the queue (queued or running).
#[tracing::instrument(skip_all)]
pub async fn count(db: &Db) -> Result<i64, DbError> {
    let n = on_pool!(db, pool => sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM jobs").fetch_one(pool).await)?;
    Ok(n)
}

/// A request's status, attempt count and (once failed) every attempt's error as JSON.
#[tracing::instrument(skip_all)]
pub async fn request_status(
    db: &Db,
    request_id: i64,
) -> Result<Option<(RequestStatus, i64, String)>, DbError> {
    let row = on_pool!(db, pool => sqlx::query_as::<_, (String, i64, String)>(
        "SELECT status, attempts, errors FROM requests WHERE id = $1"
    ).bind(request_id).fetch_optional(pool).await)?;
    row.map(|(status, attempts, errors)| {
        let status = status
            .parse()
            .map_err(|e: runway_domain::request::UnknownStatus| DbError::Corrupt(e.to_string()))?;
        Ok((status, attempts, errors))
    })
    .transpose()
}

/// The kinds of a request's events, oldest first.
#[tracing::instrument(skip_all)]
pub async fn request_event_kinds(db: &Db, request_id: i64) -> Result<Vec<String>, DbError> {
    let rows = on_pool!(db, pool => sqlx::query_scalar::<_, String>(
        "SELECT kind FROM request_events WHERE request_id = $1 ORDER BY id"
    ).bind(request_id).fetch_all(pool).await)?;
    Ok(rows)
}

/// Records one execution of a canary job.
#[cfg(feature = "bench")]
#[tracing::instrument(skip_all)]
pub async fn record_canary(
    db: &Db,
    label: &str,
    job_id: i64,
    attempt: i64,
    worker_id: &str,
    at_ms: i64,
) -> Result<(), DbError> {
    on_pool!(db, pool => sqlx::query(
        "INSERT INTO canary_runs (label, job_id, attempt, worker_id, at_ms) VALUES ($1, $2, $3, $4, $5)"
    ).bind(label).bind(job_id).bind(attempt).bind(worker_id).bind(at_ms).execute(pool).await.map(|_| ()))?;
    Ok(())
}

/// Canary executions with `label`: (job id, attempt, worker id).
#[cfg(feature = "bench")]
#[tracing::instrument(skip_all)]
pub async fn canary_runs(db: &Db, label: &str) -> Result<Vec<(i64, i64, String)>, DbError> {
    let rows = on_pool!(db, pool => sqlx::query_as::<_, (i64, i64, String)>(
        "SELECT job_id, attempt, worker_id FROM canary_runs WHERE label = $1 ORDER BY id"
    ).bind(label).fetch_all(pool).await)?;
    Ok(rows)
}

/// The workers running jobs of requests right now (the crash test pauses one of them).
#[cfg(feature = "bench")]
#[tracing::instrument(skip_all)]
pub async fn workers_running_requests(db: &Db) -> Result<Vec<String>, DbError> {
    let rows = on_pool!(db, pool => sqlx::query_scalar::<_, String>(
        "SELECT worker_id FROM jobs WHERE request_id IS NOT NULL AND state = 'running' AND worker_id IS NOT NULL"
    ).fetch_all(pool).await)?;
    Ok(rows)
}
