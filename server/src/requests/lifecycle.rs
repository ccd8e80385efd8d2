//! Stopping a request and running a failed one again.

use super::see_request;
use crate::error::{about, Error};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::Extension;
use runway_core::requests;
use runway_domain::user::User;

/// `POST /requests/{id}/cancel`: the requester, a lead of its team, or an admin stops a request:
/// removed at once if it has not started, or its worker stops the script or call.
pub async fn cancel(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Extension(user): Extension<User>,
) -> Result<Response, Error> {
    requests::cancel(&state.runway, &user, id)
        .await
        .map_err(about(id))?;
    Ok(see_request(id))
}

/// `POST /requests/{id}/retry`: the owning team or an admin runs a failed request again.
pub async fn retry(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Extension(user): Extension<User>,
) -> Result<Response, Error> {
    requests::retry(&state.runway, &user, id)
        .await
        .map_err(about(id))?;
    Ok(see_request(id))
}
