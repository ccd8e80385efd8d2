//! `GET /requests/{id}/events`: a request's progress as server-sent events.
//!
//! Each message carries what is new since the last one: the status, timeline events and log lines,
//! as JSON (`event: update`). Its SSE id is `e<event id>-l<log line id>`, so a browser that
//! reconnects (`EventSource` sends `Last-Event-ID`) resumes exactly where it stopped. The stream
//! ends with `event: done` once the request is final. The request page listens to it and falls back
//! to polling when the stream is unavailable.

use crate::error::Error;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use futures_util::StreamExt;
use runway_core::db::requests as sql;
use runway_domain::user::User;
use serde_json::json;
use std::time::Duration;

/// `e12-l340` → (12, 340).
pub fn parse_position(id: &str) -> Option<(i64, i64)> {
    let (e, l) = id.trim().split_once('-')?;
    Some((
        e.strip_prefix('e')?.parse().ok()?,
        l.strip_prefix('l')?.parse().ok()?,
    ))
}

struct Cursor {
    events: i64,
    logs: i64,
    status: Option<String>,
    done: bool,
    first: bool,
}

pub async fn stream(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Extension(user): Extension<User>,
    headers: HeaderMap,
) -> Result<Response, Error> {
    let rw = state.runway.clone();
    runway_core::requests::access::visible(&rw, &user, id).await?;
    let (events, logs) = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(parse_position)
        .unwrap_or((0, 0));
    let cursor = Cursor {
        events,
        logs,
        status: None,
        done: false,
        first: true,
    };
    let updates = futures_util::stream::unfold(cursor, move |mut c| {
        let rw = rw.clone();
        async move {
            if c.done {
                return None;
            }
            loop {
                if !c.first {
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
                c.first = false;
                let status = match sql::status(&rw.db, id).await {
                    Ok(Some(s)) => s,
                    Ok(None) => return None,
                    Err(e) => {
                        tracing::warn!(error = %e, "live stream stopped");
                        return None;
                    }
                };
                let (Ok(events), Ok(logs)) = (
                    sql::events_after(&rw.db, id, c.events).await,
                    sql::logs(&rw.db, id, c.logs, 500).await,
                ) else {
                    return None;
                };
                let changed = c.status.as_deref() != Some(status.as_str());
                if !changed && events.is_empty() && logs.is_empty() {
                    continue;
                }
                if let Some(e) = events.last() {
                    c.events = e.id;
                }
                if let Some(l) = logs.last() {
                    c.logs = l.id;
                }
                let is_final = status
                    .parse::<runway_domain::request::RequestStatus>()
                    .is_ok_and(|s| s.is_final());
                // Final, and nothing more to send: one last message, then `done`.
                c.done = is_final && logs.len() < 500 && events.len() < 500;
                c.status = Some(status.clone());
                let data = json!({
                    "status": status,
                    "final": is_final,
                    "events": events.iter().map(|e| json!({"id": e.id, "kind": e.kind, "at": e.at.to_rfc3339()})).collect::<Vec<_>>(),
                    "log": logs.iter().map(|l| json!({"id": l.id, "stream": l.stream, "line": l.line})).collect::<Vec<_>>(),
                });
                let event = Event::default()
                    .event(if c.done { "done" } else { "update" })
                    .id(format!("e{}-l{}", c.events, c.logs))
                    .data(data.to_string());
                return Some((Ok::<_, std::convert::Infallible>(event), c));
            }
        }
    });
    // A stream ends when the process starts shutting down (graceful shutdown waits for open
    // connections); the browser's `EventSource` and the API's clients reconnect with
    // `Last-Event-ID`.
    let updates = updates.take_until(state.stopping.clone().cancelled_owned());
    Ok(Sse::new(updates)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_round_trip() {
        assert_eq!(parse_position("e12-l340"), Some((12, 340)));
        assert_eq!(parse_position("garbage"), None);
        assert_eq!(parse_position("e1-lx"), None);
    }
}
