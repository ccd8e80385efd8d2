//! Manual requests: the owning team's inbox, taking a request, and closing it as done or failed
//! with a note and results.

use super::access::{self, AccessError};
use super::secrets::seal_outputs;
use crate::crypto::SealError;
use crate::db::requests::{self as sql, RequestRow};
use crate::db::DbError;
use crate::state::Runway;
use runway_domain::user::User;
use runway_domain::view::InboxItem;
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

/// Open manual requests `user` may fulfil: those of actions their teams own (all, for admins).
pub async fn inbox(rw: &Runway, user: &User) -> Result<Vec<InboxItem>, DbError> {
    let catalog = rw.catalog.snapshot();
    Ok(sql::open_manual(&rw.db)
        .await?
        .into_iter()
        .filter(|r| access::may_fulfil(rw, user, r))
        .map(|r| super::inbox_item(&catalog, r))
        .collect())
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
