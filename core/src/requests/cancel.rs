//! Cancelling a request: removed at once if it has not started, or its worker stops the script or
//! call.

use super::access::{self, AccessError};
use crate::audit::{self, Actor, AuditEvent, AuditKind};
use crate::db::DbError;
use crate::state::Runway;
use runway_domain::user::User;

/// Why a request was not cancelled.
#[derive(Debug, thiserror::Error)]
pub enum CancelError {
    /// No such request, or the caller may not see it.
    #[error("no such request, or the caller may not see it")]
    NotFound,
    /// Not the requester, a lead of its team or an admin.
    #[error("the caller may not cancel this request")]
    NotAllowed,
    /// The request has already finished (succeeded, failed, cancelled, rejected or expired).
    #[error("the request has already finished")]
    Finished,
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<AccessError> for CancelError {
    fn from(e: AccessError) -> Self {
        match e {
            AccessError::NotFound => CancelError::NotFound,
            AccessError::Db(e) => CancelError::Db(e),
        }
    }
}

/// `user` cancels request `id` (see [`access::may_cancel`] for who may).
pub async fn cancel(rw: &Runway, user: &User, id: i64) -> Result<(), CancelError> {
    let row = access::visible(rw, user, id).await?;
    if !access::may_cancel_any(user, &row) {
        return Err(CancelError::NotAllowed);
    }
    if !access::is_open(&row) {
        return Err(CancelError::Finished);
    }
    rw.queue.cancel(id, Some(user.id)).await?;
    let event = AuditEvent::new(
        Actor::person(user),
        AuditKind::RequestCancelled,
        format!("request:{id}"),
    )
    .hashes(Some(row.status.clone()), Some("cancelled".to_string()));
    audit::record_or_log(&rw.db, &event).await;
    Ok(())
}
