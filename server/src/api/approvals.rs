//! Approvals through the API: the caller's inbox, and deciding with a comment. The same rules as
//! the portal: nobody approves their own request, one decision per approver, the action's policy
//! names who approves, and a rejection says why.

use super::model::{ApprovalItem, ApprovalPage, DecisionIn, DecisionOut};
use super::problem::{self, Problem, ProblemDetails, Refusals};
use super::ApiPath;
use super::{json_body, need};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use runway_core::db::approvals::Decision;
use runway_core::requests;
use runway_core::tokens::Principal;
use runway_domain::token::Scope;
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InboxQuery {
    /// The `next_before` of the previous page.
    pub before: Option<i64>,
}

/// Requests waiting for the caller's approval, newest first.
#[utoipa::path(
    get, operation_id = "listApprovals", path = "/api/v1/approvals", tag = "approvals", params(InboxQuery),
    responses(
        Refusals,
        (status = 200, body = ApprovalPage),
    ),
    security(("bearer" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    query: Result<Query<InboxQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, Problem> {
    need(&p, Scope::Read)?;
    let Query(q) = query.map_err(|e| problem::bad_request(e.body_text()))?;
    let page = requests::approvals_inbox(&state.runway, &p.user, q.before).await?;
    Ok(Json(ApprovalPage {
        items: page.items.into_iter().map(ApprovalItem::from).collect(),
        total: page.total,
        next_before: page.older,
    })
    .into_response())
}

async fn decide(
    state: &AppState,
    p: &Principal,
    id: i64,
    body: &Bytes,
    decision: Decision,
) -> Result<Response, Problem> {
    need(p, Scope::Approve)?;
    let input: DecisionIn = if body.is_empty() {
        DecisionIn::default()
    } else {
        json_body(body)?
    };
    let comment = input.comment.trim();
    if let Some(message) = requests::comment_problem(decision, comment) {
        return Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-inputs",
            "The inputs need fixing",
        )
        .field_errors([("comment".to_string(), message.to_string())]));
    }
    requests::decide(&state.runway, &p.user, id, decision, comment).await?;
    let status = runway_core::db::requests::get(&state.runway.db, id)
        .await?
        .map(|r| r.status)
        .unwrap_or_default();
    Ok(Json(DecisionOut { id, status }).into_response())
}

/// Approves a request (a comment is optional).
#[utoipa::path(
    post, operation_id = "approveRequest", path = "/api/v1/requests/{id}/approve", tag = "approvals",
    params(("id" = i64, Path, description = "The request's number")),
    request_body(content = DecisionIn, description = "Optional; `{}` or no body approves without a comment"),
    responses(
        Refusals,
        (status = 200, body = DecisionOut),
        (status = 404, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn approve(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    ApiPath(id): ApiPath<i64>,
    body: Bytes,
) -> Result<Response, Problem> {
    decide(&state, &p, id, &body, Decision::Approve).await
}

/// Rejects a request; the comment (why) is required.
#[utoipa::path(
    post, operation_id = "rejectRequest", path = "/api/v1/requests/{id}/reject", tag = "approvals",
    params(("id" = i64, Path, description = "The request's number")),
    request_body = DecisionIn,
    responses(
        Refusals,
        (status = 200, body = DecisionOut),
        (status = 404, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn reject(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    ApiPath(id): ApiPath<i64>,
    body: Bytes,
) -> Result<Response, Problem> {
    decide(&state, &p, id, &body, Decision::Reject).await
}
