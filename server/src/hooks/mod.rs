//! Inbound calls from other services: Slack (slash command and interactions) and Jira (admin
//! webhooks). They carry no session and no CSRF token: each is verified by its signature over the
//! raw body before anything reads it, and refused with 401 otherwise. Mounted outside the session,
//! sign-in and CSRF layers, inside the host and body-size checks. A service that is not set up
//! answers 404.

pub mod jira;
pub mod slack;

use crate::state::AppState;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};

/// The hooks' routes, for [`crate::routes::route_inventory`] and the authorization matrix.
pub const HOOK_ROUTES: [(&str, &str); 3] = [
    ("POST", "/hooks/jira"),
    ("POST", "/hooks/slack/commands"),
    ("POST", "/hooks/slack/interactions"),
];

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/hooks/jira", post(jira::receive))
        .route("/hooks/slack/commands", post(slack::command))
        .route("/hooks/slack/interactions", post(slack::interaction))
        .with_state(state)
}

/// A short JSON refusal: the caller is a machine.
fn refuse(status: StatusCode, error: &'static str) -> Response {
    (status, Json(serde_json::json!({ "error": error }))).into_response()
}
