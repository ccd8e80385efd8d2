//! `POST /hooks/slack/commands` (the `/runway` slash command) and `POST /hooks/slack/interactions`
//! (buttons, modal changes and submissions). Verified with `X-Slack-Signature` and
//! `X-Slack-Request-Timestamp` before the body is parsed; the use cases are
//! `runway_core::slack::app`.

use super::refuse;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use runway_core::slack::api::SlackApi;
use runway_core::slack::{app, signature};

/// The Slack client when Slack is set up and the call is Slack's; the refusal's status and word
/// otherwise.
fn verified(
    state: &AppState,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<SlackApi, (StatusCode, &'static str)> {
    let settings = &state.runway.settings.slack;
    let Some(api) = state.slack.clone() else {
        return Err((StatusCode::NOT_FOUND, "slack is not set up"));
    };
    let header = |n: &str| headers.get(n).and_then(|v| v.to_str().ok());
    let now = chrono::Utc::now().timestamp();
    if let Err(why) = signature::verify(
        settings.signing_secret.expose(),
        header("x-slack-request-timestamp"),
        header("x-slack-signature"),
        body,
        now,
    ) {
        tracing::warn!(reason = %why, "slack: call refused");
        return Err((StatusCode::UNAUTHORIZED, "bad signature"));
    }
    Ok(api)
}

fn answer(r: Result<app::Answer, runway_core::db::DbError>) -> Response {
    match r {
        Ok(app::Answer::Empty) => StatusCode::OK.into_response(),
        Ok(app::Answer::Json(v)) => Json(v).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "slack: database error");
            Json(serde_json::json!({
                "response_type": "ephemeral",
                "text": "Runway cannot answer right now; please try again in a minute.",
            }))
            .into_response()
        }
    }
}

pub async fn command(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let api = match verified(&state, &headers, &body) {
        Ok(api) => api,
        Err((status, why)) => return refuse(status, why),
    };
    let form = crate::requests::body_values(&body);
    answer(
        runway_core::audit::VIA
            .scope(
                "slack".to_string(),
                app::command(&state.runway, &api, &form),
            )
            .await,
    )
}

pub async fn interaction(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let api = match verified(&state, &headers, &body) {
        Ok(api) => api,
        Err((status, why)) => return refuse(status, why),
    };
    let payload = crate::requests::body_values(&body)
        .into_iter()
        .find(|(k, _)| k == "payload")
        .and_then(|(_, v)| serde_json::from_str::<serde_json::Value>(&v).ok());
    let Some(payload) = payload else {
        return refuse(StatusCode::BAD_REQUEST, "no interaction payload");
    };
    answer(
        runway_core::audit::VIA
            .scope(
                "slack".to_string(),
                app::interaction(&state.runway, &api, &payload),
            )
            .await,
    )
}
