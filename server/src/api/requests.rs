//! Requests through the API: read one (state, timeline, results except secrets), its log and its
//! events, cancel, retry, reveal a secret result once, and list them with the history filters.

use super::model::{
    DecisionOut, LogLine, LogPage, RequestOut, RequestPage, RequestSummary, SecretOut,
};
use super::need;
use super::problem::{self, Problem, ProblemDetails, Refusals};
use super::ApiPath;
use crate::state::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use futures_util::StreamExt;
use runway_core::requests::{self, access};
use runway_core::tokens::Principal;
use runway_domain::token::Scope;
use runway_domain::view::HistoryQuery;
use serde::Deserialize;
use utoipa::IntoParams;

fn origin(state: &AppState, headers: &HeaderMap) -> String {
    state.runway.settings.public_origin(
        headers
            .get(axum::http::header::HOST)
            .and_then(|v| v.to_str().ok()),
    )
}

/// One request: state, timeline, inputs (secret fields without values), results (secret results
/// without values), and errors.
#[utoipa::path(
    get, operation_id = "getRequest", path = "/api/v1/requests/{id}", tag = "requests",
    params(("id" = i64, Path, description = "The request's number")),
    responses(
        Refusals,
        (status = 200, body = RequestOut),
        (status = 404, body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn get_one(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    ApiPath(id): ApiPath<i64>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    need(&p, Scope::Read)?;
    let view = requests::view(&state.runway, &p.user, id)
        .await?
        .ok_or_else(problem::not_found)?;
    Ok(Json(RequestOut::from_view(view, &origin(&state, &headers))).into_response())
}

/// A page of log lines.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LogQuery {
    /// Lines after this id (0 or absent: from the start).
    #[serde(default)]
    pub after: i64,
    /// At most this many lines (1 to 5000, default 1000).
    pub limit: Option<i64>,
}

/// The request's log, oldest first, a page at a time.
#[utoipa::path(
    get, operation_id = "getRequestLog", path = "/api/v1/requests/{id}/log", tag = "requests",
    params(("id" = i64, Path, description = "The request's number"), LogQuery),
    responses(
        Refusals,
        (status = 200, body = LogPage),
        (status = 404, body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn log(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    ApiPath(id): ApiPath<i64>,
    query: Result<axum::extract::Query<LogQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, Problem> {
    need(&p, Scope::Read)?;
    let axum::extract::Query(q) = query.map_err(|e| problem::bad_request(e.body_text()))?;
    let limit = q.limit.unwrap_or(1000);
    if !(1..=5000).contains(&limit) || q.after < 0 {
        return Err(problem::bad_request(
            "limit: 1 to 5000; after: a log line id (0 for the start).",
        ));
    }
    access::visible(&state.runway, &p.user, id).await?;
    let rows = runway_core::db::requests::logs(&state.runway.db, id, q.after, limit).await?;
    let full = i64::try_from(rows.len()).unwrap_or(0) == limit;
    let lines: Vec<LogLine> = rows
        .into_iter()
        .map(|r| LogLine {
            id: r.id,
            attempt: r.attempt,
            stream: r.stream,
            line: r.line,
        })
        .collect();
    let next_after = if full {
        lines.last().map(|l| l.id)
    } else {
        None
    };
    Ok(Json(LogPage { lines, next_after }).into_response())
}

/// The request's progress as server-sent events: `event: update` messages with the status, new
/// timeline events and new log lines as JSON, then `event: done` once the request is final.
/// Reconnect with `Last-Event-ID` to resume where the stream stopped.
#[utoipa::path(
    get, operation_id = "followRequestEvents", path = "/api/v1/requests/{id}/events", tag = "requests",
    params(("id" = i64, Path, description = "The request's number")),
    responses(
        Refusals,
        (status = 200, content_type = "text/event-stream", body = String, description = "The event stream"),
        (status = 404, body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn events(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    ApiPath(id): ApiPath<i64>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    need(&p, Scope::Read)?;
    access::visible(&state.runway, &p.user, id).await?;
    let slot = state
        .streams
        .acquire(p.token_id)
        .await
        .map_err(|e| problem::internal("cannot count the token's event streams", e))?
        .ok_or_else(|| {
            problem::too_many(
                5,
                "This token holds the most event streams it may have open at once; close one first.",
            )
        })?;
    let resp = crate::live::stream(
        State(state.clone()),
        Path(id),
        Extension(p.user.clone()),
        headers,
    )
    .await
    .into_response();
    // The stream ends when the token stops being valid (checked every half minute), when its
    // place in the token's count cannot be renewed, or after an hour; the client reconnects with
    // `Last-Event-ID` and is authenticated again.
    let rw = state.runway.clone();
    let token = p.token_id;
    // The stream's place in the token's count is held (its lease renewed) while this runs, and
    // given back when it ends or the client leaves (the body, which owns it, is dropped).
    let ended = async move {
        let deadline = tokio::time::Instant::now() + STREAM_MAX;
        loop {
            tokio::select! {
                () = tokio::time::sleep_until(deadline) => return,
                () = tokio::time::sleep(STREAM_RECHECK) => {}
            }
            if !matches!(runway_core::tokens::still_valid(&rw, token).await, Ok(true)) {
                return;
            }
            if !slot.renew().await {
                return;
            }
        }
    };
    let (parts, body) = resp.into_parts();
    let body = body.into_data_stream().take_until(Box::pin(ended));
    Ok(Response::from_parts(
        parts,
        axum::body::Body::from_stream(body),
    ))
}

/// How often a stream checks that its token is still valid, and how long it may last.
const STREAM_RECHECK: std::time::Duration = std::time::Duration::from_secs(30);
const STREAM_MAX: std::time::Duration = std::time::Duration::from_secs(3600);

async fn status_of(state: &AppState, id: i64) -> Result<String, Problem> {
    Ok(runway_core::db::requests::get(&state.runway.db, id)
        .await?
        .map(|r| r.status)
        .unwrap_or_default())
}

/// Cancels the request: the requester, a lead of its team, or an admin, before it finishes.
#[utoipa::path(
    post, operation_id = "cancelRequest", path = "/api/v1/requests/{id}/cancel", tag = "requests",
    params(("id" = i64, Path, description = "The request's number")),
    responses(
        Refusals,
        (status = 200, body = DecisionOut),
        (status = 404, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "The request has already finished", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn cancel(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, Problem> {
    need(&p, Scope::Request)?;
    requests::cancel(&state.runway, &p.user, id).await?;
    let status = status_of(&state, id).await?;
    Ok(Json(DecisionOut { id, status }).into_response())
}

/// Runs a failed request again with the same inputs and action version: the team that owns the
/// action, or an admin (a requester submits it again instead).
#[utoipa::path(
    post, operation_id = "retryRequest", path = "/api/v1/requests/{id}/retry", tag = "requests",
    params(("id" = i64, Path, description = "The request's number")),
    responses(
        Refusals,
        (status = 200, body = DecisionOut),
        (status = 404, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn retry(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, Problem> {
    need(&p, Scope::Request)?;
    requests::retry(&state.runway, &p.user, id).await?;
    let status = status_of(&state, id).await?;
    Ok(Json(DecisionOut { id, status }).into_response())
}

/// Reveals a secret result to its requester, once: the value is deleted as it is returned.
#[utoipa::path(
    post, operation_id = "revealSecret", path = "/api/v1/requests/{id}/secrets/{name}", tag = "requests",
    params(
        ("id" = i64, Path, description = "The request's number"),
        ("name" = String, Path, description = "The secret result's name"),
    ),
    responses(
        Refusals,
        (status = 200, body = SecretOut),
        (status = 410, body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn reveal(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    ApiPath((id, name)): ApiPath<(i64, String)>,
) -> Result<Response, Problem> {
    need(&p, Scope::Request)?;
    let value = requests::reveal_secret(&state.runway, &p.user, id, &name).await?;
    let mut resp = Json(SecretOut { name, value }).into_response();
    resp.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    Ok(resp)
}

/// The history filters (the same as the History page's).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ListQuery {
    /// `mine` (default), `team` (with `team`), or `all` (admins).
    scope: Option<String>,
    team: Option<String>,
    /// A request state, e.g. `failed`.
    status: Option<String>,
    /// An action id.
    action: Option<String>,
    /// Part of the requester's name.
    requester: Option<String>,
    /// `YYYY-MM-DD`, inclusive.
    from: Option<String>,
    /// `YYYY-MM-DD`, inclusive.
    to: Option<String>,
    /// Words in the action, requester or inputs.
    q: Option<String>,
    /// Where the requests were made: `portal`, `api` (the API and the command-line client),
    /// `slack` or `jira`.
    channel: Option<String>,
    /// The `next_before` of the previous page.
    before: Option<i64>,
}

/// Requests, newest first, 50 a page, with the History page's filters and cursor.
#[utoipa::path(
    get, operation_id = "listRequests", path = "/api/v1/requests", tag = "requests", params(ListQuery),
    responses(
        Refusals,
        (status = 200, body = RequestPage),
    ),
    security(("bearer" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    RawQuery(query): RawQuery,
) -> Result<Response, Problem> {
    need(&p, Scope::Read)?;
    let q = HistoryQuery::parse(query.as_deref().unwrap_or("")).map_err(problem::bad_request)?;
    let page = requests::history(&state.runway, &p.user, q).await?;
    let next_before = page
        .next
        .as_ref()
        .and_then(|_| page.rows.last().map(|r| r.id));
    let items: Vec<RequestSummary> = page.rows.into_iter().map(RequestSummary::from).collect();
    Ok(Json(RequestPage { items, next_before }).into_response())
}
