//! `POST /requests/{id}/approve` and `/reject`: an approver decides, with a comment.

use super::{body_values, field, see_request};
use crate::error::{about, bad_request, Error};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::Extension;
use runway_core::db::approvals::Decision;
use runway_core::requests;
use runway_domain::user::User;

pub async fn approve(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Extension(user): Extension<User>,
    body: Bytes,
) -> Result<Response, Error> {
    decide(&state, id, &user, &body, Decision::Approve).await
}

pub async fn reject(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Extension(user): Extension<User>,
    body: Bytes,
) -> Result<Response, Error> {
    decide(&state, id, &user, &body, Decision::Reject).await
}

async fn decide(
    state: &AppState,
    id: i64,
    user: &User,
    body: &Bytes,
    decision: Decision,
) -> Result<Response, Error> {
    let comment = field(&body_values(body), "comment");
    if comment.len() > 5_000 {
        return Err(bad_request(
            "Comment too long",
            "Keep the comment under 5,000 characters.",
        )
        .back_to(id));
    }
    if decision == Decision::Reject && comment.is_empty() {
        return Err(bad_request(
            "Say why",
            "A rejection needs a comment, so the requester knows what to change.",
        )
        .back_to(id));
    }
    requests::decide(&state.runway, user, id, decision, &comment)
        .await
        .map_err(about(id))?;
    Ok(see_request(id))
}
