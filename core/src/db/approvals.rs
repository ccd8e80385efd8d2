//! SQL for approvals. Every decision first takes the request's row lock (an `UPDATE` that matches
//! only while the request is `pending_approval`), so concurrent approvers are serialised: the count
//! each one sees includes the others', and exactly one of them moves the request on.

use super::{Db, DbError};
use crate::db::jobs::NewJob;
use crate::on_pool;
use chrono::{DateTime, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Reject,
}

/// What a decision did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decided {
    /// Recorded. `queued`: this approval was the last one needed and the request moved on.
    Approved {
        approvals: i64,
        queued: bool,
    },
    Rejected,
    /// This approver already decided on this request.
    AlreadyDecided,
    /// The request is not waiting for approval (decided, expired, cancelled, or no such request).
    NotPending,
}

/// Records `approver_id`'s decision; with `needed` approvals in, the request is queued (and its
/// job enqueued), a rejection ends it.
pub async fn decide(
    db: &Db,
    request_id: i64,
    approver_id: i64,
    decision: Decision,
    comment: &str,
    needed: i64,
    now_ms: i64,
) -> Result<Decided, DbError> {
    let at = Utc::now();
    let decided = on_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        let locked = sqlx::query("UPDATE requests SET updated_at = $2 WHERE id = $1 AND status = 'pending_approval'")
            .bind(request_id).bind(at).execute(&mut *tx).await?.rows_affected();
        if locked == 0 {
            return Ok(Decided::NotPending);
        }
        let before: Option<String> = sqlx::query_scalar(
            "SELECT decision FROM request_approvals WHERE request_id = $1 AND approver_id = $2"
        ).bind(request_id).bind(approver_id).fetch_optional(&mut *tx).await?;
        if before.is_some() {
            return Ok(Decided::AlreadyDecided);
        }
        let word = match decision { Decision::Approve => "approved", Decision::Reject => "rejected" };
        sqlx::query("INSERT INTO request_approvals (request_id, approver_id, decision, comment, at) VALUES ($1, $2, $3, $4, $5)")
            .bind(request_id).bind(approver_id).bind(word).bind(comment).bind(at).execute(&mut *tx).await?;
        let detail = (!comment.is_empty()).then(|| comment.to_string());
        sqlx::query("INSERT INTO request_events (request_id, at, kind, actor_id, detail) VALUES ($1, $2, $3, $4, $5)")
            .bind(request_id).bind(at).bind(word).bind(approver_id).bind(&detail).execute(&mut *tx).await?;
        let result = match decision {
            Decision::Reject => {
                sqlx::query("UPDATE requests SET status = 'rejected', pending_job = NULL, finished_at = $2, updated_at = $2 WHERE id = $1")
                    .bind(request_id).bind(at).execute(&mut *tx).await?;
                Decided::Rejected
            }
            Decision::Approve => {
                let approvals: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM request_approvals WHERE request_id = $1 AND decision = 'approved'"
                ).bind(request_id).fetch_one(&mut *tx).await?;
                let queued = approvals >= needed;
                if queued {
                    let (pending_job, action_id): (Option<String>, String) = sqlx::query_as(
                        "SELECT pending_job, action_id FROM requests WHERE id = $1"
                    ).bind(request_id).fetch_one(&mut *tx).await?;
                    sqlx::query("UPDATE requests SET status = 'queued', pending_job = NULL, updated_at = $2 WHERE id = $1")
                        .bind(request_id).bind(at).execute(&mut *tx).await?;
                    sqlx::query("INSERT INTO request_events (request_id, at, kind) VALUES ($1, $2, 'queued')")
                        .bind(request_id).bind(at).execute(&mut *tx).await?;
                    if let Some(text) = pending_job {
                        let j: NewJob = serde_json::from_str(&text).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
                        sqlx::query(
                            "INSERT INTO jobs (request_id, kind, action_id, concurrency_limit, payload, state, run_at, max_attempts, timeout_ms, enqueued_at)
                             VALUES ($1, $2, $3, $4, $5, 'queued', $6, $7, $8, $6)",
                        )
                        .bind(request_id).bind(&j.kind).bind(j.action_id.clone().unwrap_or(action_id)).bind(j.concurrency_limit)
                        .bind(&j.payload).bind(now_ms).bind(j.max_attempts).bind(j.timeout_ms)
                        .execute(&mut *tx).await?;
                    }
                }
                Decided::Approved { approvals, queued }
            }
        };
        tx.commit().await?;
        Ok::<_, sqlx::Error>(result)
    })?;
    if matches!(decided, Decided::Approved { queued: true, .. }) {
        if let Db::Postgres(pool) = db {
            // Wake `runway worker`s on other machines (the caller wakes in-process workers).
            sqlx::query("SELECT pg_notify('runway_jobs', '')")
                .execute(pool)
                .await?;
        }
    }
    Ok(decided)
}

/// Who decided on a request so far: (approver id, decision).
pub async fn decisions(db: &Db, request_id: i64) -> Result<Vec<(i64, String)>, DbError> {
    Ok(on_pool!(db, pool => sqlx::query_as::<_, (i64, String)>(
        "SELECT approver_id, decision FROM request_approvals WHERE request_id = $1 ORDER BY at"
    ).bind(request_id).fetch_all(pool).await)?)
}

/// Ends requests that waited for approval since before `cutoff`: status `expired`, with an event.
pub async fn expire(db: &Db, cutoff: DateTime<Utc>) -> Result<Vec<i64>, DbError> {
    let at = Utc::now();
    Ok(on_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        let ids: Vec<i64> = sqlx::query_scalar(
            "UPDATE requests SET status = 'expired', pending_job = NULL, finished_at = $2, updated_at = $2
             WHERE status = 'pending_approval' AND created_at < $1 RETURNING id"
        ).bind(cutoff).bind(at).fetch_all(&mut *tx).await?;
        for id in &ids {
            sqlx::query("INSERT INTO request_events (request_id, at, kind) VALUES ($1, $2, 'expired')")
                .bind(id).bind(at).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok::<_, sqlx::Error>(ids)
    })?)
}
