//! The catalogue through the API: list and read actions (with their form as JSON Schema), and
//! submit a request.

use super::model::{ActionOut, ActionSummary, SubmitIn, Submitted};
use super::problem::{self, Problem, ProblemDetails, Refusals};
use super::ApiPath;
use super::{json_body, need};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use runway_core::auth::viewer;
use runway_core::requests;
use runway_core::tokens::Principal;
use runway_domain::form::schema::{json_schema, raw_from_json};
use runway_domain::request::Channel;
use runway_domain::token::Scope;
use serde::Deserialize;
use utoipa::IntoParams;

/// Catalogue search.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Words that must all appear in the title, summary, category, owner, id or tags.
    #[serde(default)]
    pub q: String,
    /// Only this category.
    #[serde(default)]
    pub category: String,
}

/// The actions the token's owner may use, in catalogue order (retired actions are left out).
#[utoipa::path(
    get, operation_id = "listActions", path = "/api/v1/actions", tag = "catalogue", params(ListQuery),
    responses(
        Refusals,
        (status = 200, body = Vec<ActionSummary>),
    ),
    security(("bearer" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, Problem> {
    need(&p, Scope::Read)?;
    let Query(q) = query.map_err(|e| problem::bad_request(e.body_text()))?;
    let cards = state.runway.catalog.snapshot().cards_for(&viewer(&p.user));
    let category = (!q.category.is_empty()).then_some(q.category.as_str());
    let out: Vec<ActionSummary> = runway_domain::view::filter(&cards, &q.q, category)
        .into_iter()
        .cloned()
        .map(ActionSummary::from)
        .collect();
    Ok(Json(out).into_response())
}

/// One action, with its form as JSON Schema.
#[utoipa::path(
    get, operation_id = "getAction", path = "/api/v1/actions/{id}", tag = "catalogue",
    params(("id" = String, Path, description = "The action's id, e.g. `create-repo`")),
    responses(
        Refusals,
        (status = 200, body = ActionOut),
        (status = 404, body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn get_one(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, Problem> {
    need(&p, Scope::Read)?;
    let who = viewer(&p.user);
    let detail = state
        .runway
        .catalog
        .snapshot()
        .detail_for(&id, &who)
        .ok_or_else(problem::not_found)?;
    let out = ActionOut {
        input_schema: json_schema(&detail.inputs, &who.teams),
        form: serde_json::to_value(&detail.inputs)
            .map_err(|e| problem::internal("cannot describe a form", e))?,
        description_html: detail.description_html,
        approval: detail.approval,
        executor: detail.executor,
        version: detail.version,
        lifecycle: detail.lifecycle.as_str().to_string(),
        summary: ActionSummary::from(detail.card),
    };
    Ok(Json(out).into_response())
}

/// The `Idempotency-Key` header: up to 64 visible ASCII characters.
fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, Problem> {
    let Some(v) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key = v
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= 64 && k.bytes().all(|b| b.is_ascii_graphic()))
        .ok_or_else(|| {
            problem::bad_request(
                "Idempotency-Key: up to 64 visible ASCII characters, such as a UUID.",
            )
        })?;
    Ok(Some(key.to_string()))
}

/// Submits a request, validated exactly as the portal's form validates it. With an
/// `Idempotency-Key`, a repeated call (within 24 hours, or while the request is active) returns the
/// request the first call made, with 200 instead of 201.
#[utoipa::path(
    post, operation_id = "submitRequest", path = "/api/v1/actions/{id}/requests", tag = "requests",
    params(
        ("id" = String, Path, description = "The action's id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Up to 64 visible ASCII characters; a retry with the same key returns the same request"),
    ),
    request_body = SubmitIn,
    responses(
        Refusals,
        (status = 201, body = Submitted, description = "Made"),
        (status = 200, body = Submitted, description = "An earlier call with this key made it"),
        (status = 404, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 410, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, body = ProblemDetails, content_type = "application/problem+json", description = "The inputs need fixing; `errors` lists each field"),
    ),
    security(("bearer" = []))
)]
pub async fn submit(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    need(&p, Scope::Request)?;
    let key = idempotency_key(&headers)?;
    let input: SubmitIn = json_body(&body)?;
    let raw = raw_from_json(&input.inputs).map_err(|(field, message)| {
        Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-inputs",
            "The inputs need fixing",
        )
        .field_errors([(field, message)])
    })?;
    let rw = &state.runway;
    let origin = requests::Origin {
        channel: Channel::Api,
        made_by: p.accountable,
        ticket: None,
    };
    let made = requests::submit_via(rw, &p.user, &id, &raw, key, origin).await?;
    if made.created {
        runway_core::audit::record_or_log(
            &rw.db,
            &runway_core::audit::AuditEvent::new(
                runway_core::audit::Actor::person(&p.user),
                runway_core::audit::AuditKind::RequestSubmitted,
                format!("request:{}", made.request_id),
            )
            .detail(serde_json::json!({ "action": id })),
        )
        .await;
    }
    let status = runway_core::db::requests::get(&rw.db, made.request_id)
        .await?
        .map(|r| r.status)
        .unwrap_or_default();
    let origin = rw.settings.public_origin(
        headers
            .get(axum::http::header::HOST)
            .and_then(|v| v.to_str().ok()),
    );
    let out = Submitted {
        id: made.request_id,
        status,
        created: made.created,
        url: format!("{origin}/requests/{}", made.request_id),
    };
    let code = if made.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((code, Json(out)).into_response())
}
