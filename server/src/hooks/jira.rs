//! `POST /hooks/jira`: a Jira admin webhook (Cloud or Data Center), `jira:issue_created` and
//! `jira:issue_updated`. Verified with `X-Hub-Signature` (HMAC-SHA256 of the raw body with
//! `jira.webhook_secret`); a repeat of a delivery (`X-Atlassian-Webhook-Identifier`) does nothing.

use super::refuse;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use runway_core::jira::{signature, trigger};

pub async fn receive(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let rw = &state.runway;
    let jira = &rw.settings.jira;
    let Some(secret) = jira.webhook_secret.configured().filter(|_| jira.enabled()) else {
        return refuse(StatusCode::NOT_FOUND, "jira is not set up");
    };
    let header = headers.get("x-hub-signature").and_then(|v| v.to_str().ok());
    if !signature::verify(secret, &body, header) {
        tracing::warn!("jira: webhook refused: bad or missing signature");
        return refuse(StatusCode::UNAUTHORIZED, "bad signature");
    }
    let identifier = headers
        .get("x-atlassian-webhook-identifier")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty() && v.len() <= 200);
    let outcome = runway_core::audit::VIA
        .scope("jira".to_string(), trigger::receive(rw, identifier, &body))
        .await;
    match outcome {
        Ok(r) => {
            let (what, request) = match r {
                trigger::Received::Duplicate => ("duplicate", None),
                trigger::Received::Ignored(why) => {
                    tracing::info!(reason = why, "jira: webhook ignored");
                    ("ignored", None)
                }
                trigger::Received::Requested { request_id } => ("requested", Some(request_id)),
                trigger::Received::Commented(why) => {
                    tracing::info!(reason = why, "jira: ticket answered with a comment");
                    ("commented", None)
                }
            };
            Json(serde_json::json!({"outcome": what, "request": request})).into_response()
        }
        Err(trigger::TriggerError::BadPayload(why)) => (
            StatusCode::BAD_REQUEST,
            Json(serde_json::json!({"error": why})),
        )
            .into_response(),
        Err(trigger::TriggerError::Db(e)) => {
            tracing::error!(error = %e, "jira: database error");
            // Jira retries a delivery that failed; nothing was recorded.
            refuse(StatusCode::SERVICE_UNAVAILABLE, "try again later")
        }
    }
}
