//! Manual requests: the owning team's inbox, taking a request, and closing it as done or failed
//! with a note and results.

use super::access::{self, AccessError};
use super::secrets::seal_outputs;
use crate::crypto::SealError;
use crate::db::inbox::{self, FulfillerScope};
use crate::db::requests::{self as sql, RequestRow};
use crate::db::DbError;
use crate::state::Runway;
use runway_domain::user::User;
use runway_domain::view::InboxPage;
use runway_exec::Output;

/// Why a manual request could not be taken or closed.
#[derive(Debug, thiserror::Error)]
pub enum FulfilError {
    /// No such request, or the caller may not see it.
    #[error("no such request, or the caller may not see it")]
    NotFound,
    /// Not a manual request, or the caller is not on the owning team (nor an admin).
    #[error("not the caller's to fulfil")]
    NotYours,
    #[error("cannot seal the secret results: {0}")]
    Seal(#[from] SealError),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<AccessError> for FulfilError {
    fn from(e: AccessError) -> Self {
        match e {
            AccessError::NotFound => FulfilError::NotFound,
            AccessError::Db(e) => FulfilError::Db(e),
        }
    }
}

/// How a person closes a manual request.
#[derive(Debug, Clone)]
pub struct Fulfilment {
    pub succeeded: bool,
    /// What was done, for the requester.
    pub note: String,
    /// Results, as an executor would report them.
    pub outputs: Vec<Output>,
}

/// The actions `user` fulfils: every one for admins, else those their teams own in the current
/// catalogue (the same rule as `access::may_fulfil`).
fn fulfiller_scope(rw: &Runway, user: &User) -> FulfillerScope {
    if user.is_admin {
        return FulfillerScope {
            everything: true,
            actions: Vec::new(),
        };
    }
    let catalog = rw.catalog.snapshot();
    FulfillerScope {
        everything: false,
        actions: catalog
            .actions
            .iter()
            .filter(|(_, a)| {
                let owner = a.spec.owner.to_string();
                user.teams.iter().any(|m| m.team == owner)
            })
            .map(|(id, _)| id.clone())
            .collect(),
    }
}

/// One page of the open manual requests `user` may fulfil, newest first, older than `before`.
pub async fn inbox(rw: &Runway, user: &User, before: Option<i64>) -> Result<InboxPage, DbError> {
    let scope = fulfiller_scope(rw, user);
    let rows = inbox::fulfil_page(&rw.db, &scope, before, super::approvals::INBOX_PAGE + 1).await?;
    let (total, _) = inbox::fulfil_counts(&rw.db, &scope).await?;
    Ok(super::inbox_page(rw, rows, total))
}

/// How many open manual requests `user` may fulfil wait for someone to take them (the badge).
pub async fn inbox_waiting(rw: &Runway, user: &User) -> Result<i64, DbError> {
    let (_, waiting) = inbox::fulfil_counts(&rw.db, &fulfiller_scope(rw, user)).await?;
    Ok(waiting)
}

/// Manual request `id`, if `user` may fulfil it. Checked before the caller reads the fulfilment
/// form, so someone who may not fulfil learns nothing from the form's mistakes.
pub async fn fulfillable(rw: &Runway, user: &User, id: i64) -> Result<RequestRow, FulfilError> {
    let row = access::visible(rw, user, id).await?;
    if row.executor != "manual" || !access::may_fulfil(rw, user, &row) {
        return Err(FulfilError::NotYours);
    }
    Ok(row)
}

/// `user` takes waiting manual request `id` (a request already taken stays with its assignee).
pub async fn take(rw: &Runway, user: &User, id: i64) -> Result<(), FulfilError> {
    fulfillable(rw, user, id).await?;
    sql::take(&rw.db, id, user.id).await?;
    Ok(())
}

/// Closes manual request `row` (from [`fulfillable`]) as done or failed, storing the results with
/// secret ones sealed.
pub async fn close(
    rw: &Runway,
    user: &User,
    row: &RequestRow,
    done: &Fulfilment,
) -> Result<(), FulfilError> {
    let rows = seal_outputs(rw, row.id, &done.outputs)?;
    sql::fulfil(&rw.db, row.id, user.id, done.succeeded, &done.note, &rows).await?;
    Ok(())
}
