//! Retrying a failed request with the action version it was submitted against.

use super::access::{may_retry, may_see};
use crate::audit::{self, Actor, AuditEvent, AuditKind};
use crate::db::jobs::NewJob;
use crate::db::requests as sql;
use crate::db::DbError;
use crate::state::Runway;
use runway_domain::spec::{ActionSpec, FieldKind};
use runway_domain::user::User;

/// Why a request was not retried.
#[derive(Debug, thiserror::Error)]
pub enum RetryError {
    /// No such request, or the caller may not see it.
    #[error("no such request, or the caller may not see it")]
    NotFound,
    /// Not the owning team nor an admin, or not a failed automated request.
    #[error("the caller may not retry this request")]
    NotAllowed,
    /// The action version the request ran is not in the database.
    #[error("the request's action version is not recorded")]
    VersionMissing,
    /// The request had secret inputs, which were never kept.
    #[error("the request had secret inputs")]
    SecretInputs,
    /// It stopped being failed meanwhile (someone else retried it).
    #[error("the request is not failed")]
    NotFailed,
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Retries a failed request with the action version it was submitted against. Requests with
/// secret inputs cannot be retried (their secrets were never kept): submit them again instead.
pub async fn retry(rw: &Runway, user: &User, id: i64) -> Result<(), RetryError> {
    let row = sql::get(&rw.db, id).await?.ok_or(RetryError::NotFound)?;
    if !may_see(rw, user, &row) {
        return Err(RetryError::NotFound);
    }
    if !may_retry(rw, user, &row) {
        return Err(RetryError::NotAllowed);
    }
    let spec: ActionSpec =
        crate::db::catalog::version_spec(&rw.db, &row.action_id, &row.action_hash)
            .await?
            .and_then(|j| serde_json::from_str(&j).ok())
            .ok_or(RetryError::VersionMissing)?;
    if spec
        .inputs
        .iter()
        .any(|f| matches!(f.kind, FieldKind::Secret { .. }))
    {
        return Err(RetryError::SecretInputs);
    }
    let job = NewJob {
        kind: row.executor.clone(),
        action_id: Some(row.action_id.clone()),
        concurrency_limit: spec.concurrency.map(i64::from),
        payload: "{}".into(),
        run_at_ms: crate::queue::now_ms(),
        max_attempts: i64::from(spec.retries) + 1,
        timeout_ms: i64::try_from(spec.timeout.as_secs().saturating_mul(1000)).unwrap_or(i64::MAX),
    };
    if sql::retry(&rw.db, id, user.id, &job).await? {
        rw.queue.wake();
        let event = AuditEvent::new(
            Actor::person(user),
            AuditKind::RequestRetried,
            format!("request:{id}"),
        )
        .hashes(Some(row.status.clone()), Some("queued".to_string()));
        audit::record_or_log(&rw.db, &event).await;
        Ok(())
    } else {
        Err(RetryError::NotFailed)
    }
}
