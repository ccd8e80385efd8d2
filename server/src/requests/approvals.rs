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
    if let Some(problem) = requests::comment_problem(decision, &comment) {
        let title = if comment.len() > requests::approvals::MAX_COMMENT {
            "Comment too long"
        } else {
            "Say why"
        };
        return Err(bad_request(title, problem).back_to(id));
    }
    requests::decide(&state.runway, user, id, decision, &comment)
        .await
        .map_err(about(id))?;
    Ok(see_request(id))
}
