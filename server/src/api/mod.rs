//! The public API, `/api/v1`: the stable, documented surface for scripts, CI jobs, bots and the
//! command-line client.
//!
//! - Only bearer tokens (`Authorization: Bearer rw_pat_…` / `rw_svc_…`) work here: the session
//!   cookie is ignored, so a page a person has open cannot be made to call the API (no CSRF), and
//!   tokens in turn never work on the portal's pages (they sit behind the session guard only).
//! - Each call is authenticated ([`runway_core::tokens::authenticate`]: the owner's rights as they
//!   are now), rate-limited per token and per person, and checked for the scope it needs; then the
//!   same use cases as the portal run, with the same permission checks.
//! - Changes made through a token are audited with the token named (`via: token:12 ci-deploy`).
//! - Errors are `application/problem+json` ([`problem`]); the OpenAPI 3.1 document is generated from
//!   the handlers ([`doc`]) and served at `/api/v1/openapi.json`, its reference at `/api/v1/docs`.
//!
//! - [`actions`]: the catalogue and submitting requests.
//! - [`requests`]: one request, its log and events, cancel, retry, reveal, history.
//! - [`approvals`]: the approvals inbox and decisions.
//! - [`limits`]: the rate limiters.

pub mod actions;
pub mod approvals;
pub mod doc;
pub mod limits;
pub mod model;
pub mod problem;
pub mod requests;

use crate::state::AppState;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::header;
use axum::middleware::{from_fn_with_state, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{on, MethodFilter, MethodRouter};
use axum::{Extension, Router};
use problem::{Problem, Refusals};
use runway_core::tokens::{self, Principal};
use runway_domain::token::Scope;
use std::collections::BTreeMap;
use std::net::SocketAddr;

/// The handler of each documented operation, by its `operationId`. The router is built from the
/// OpenAPI document through this table, so the API serves exactly what the document describes: a
/// handler without a `#[utoipa::path]` in [`doc::ApiDoc`] is never routed, each is served with the
/// method its document names, and a documented operation without a handler here is logged at
/// start-up and fails the tests ([`unserved`]).
fn handler(operation_id: &str, method: MethodFilter) -> Option<MethodRouter<AppState>> {
    Some(match operation_id {
        "whoAmI" => on(method, me),
        "listActions" => on(method, actions::list),
        "getAction" => on(method, actions::get_one),
        "submitRequest" => on(method, actions::submit),
        "listRequests" => on(method, requests::list),
        "getRequest" => on(method, requests::get_one),
        "getRequestLog" => on(method, requests::log),
        "followRequestEvents" => on(method, requests::events),
        "cancelRequest" => on(method, requests::cancel),
        "retryRequest" => on(method, requests::retry),
        "revealSecret" => on(method, requests::reveal),
        "listApprovals" => on(method, approvals::list),
        "approveRequest" => on(method, approvals::approve),
        "rejectRequest" => on(method, approvals::reject),
        "openapiDocument" => on(method, doc::openapi_json),
        "apiReference" => on(method, doc::reference),
        _ => return None,
    })
}

/// The operations anyone may read without a token: this document and its reference page.
const PUBLIC_OPERATIONS: [&str; 2] = ["openapiDocument", "apiReference"];

/// One documented operation: method (upper case), path, `operationId`.
struct Operation {
    filter: MethodFilter,
    method: String,
    path: String,
    id: String,
}

fn operations() -> Vec<Operation> {
    let mut all = Vec::new();
    for (path, item) in &doc::document().paths.paths {
        let methods = [
            (MethodFilter::GET, "GET", &item.get),
            (MethodFilter::POST, "POST", &item.post),
            (MethodFilter::PUT, "PUT", &item.put),
            (MethodFilter::PATCH, "PATCH", &item.patch),
            (MethodFilter::DELETE, "DELETE", &item.delete),
            (MethodFilter::HEAD, "HEAD", &item.head),
            (MethodFilter::OPTIONS, "OPTIONS", &item.options),
            (MethodFilter::TRACE, "TRACE", &item.trace),
        ];
        for (filter, method, op) in methods {
            if let Some(op) = op {
                all.push(Operation {
                    filter,
                    method: method.to_string(),
                    path: path.clone(),
                    id: op.operation_id.clone().unwrap_or_default(),
                });
            }
        }
    }
    all
}

/// Every (method, path) the API serves: the document's operations. The authorization matrix
/// requests each with every kind of caller.
pub fn api_routes() -> Vec<(String, String)> {
    operations()
        .into_iter()
        .map(|op| (op.method, op.path))
        .collect()
}

/// Documented operations that have no handler: empty when the document and the router agree.
/// Logged at start-up and checked by the tests.
pub fn unserved() -> Vec<String> {
    operations()
        .into_iter()
        .filter(|op| handler(&op.id, op.filter).is_none())
        .map(|op| {
            format!(
                "{} {} (operationId {:?}): no handler",
                op.method, op.path, op.id
            )
        })
        .collect()
}

/// The API router, merged outside the session, sign-in and CSRF layers.
pub fn router(state: AppState) -> Router {
    let limiter = limits::Limits::new(state.runway.db.clone(), &state.runway.settings.api);
    // One method router per path, holding each of its documented methods.
    let mut public: BTreeMap<String, MethodRouter<AppState>> = BTreeMap::new();
    let mut authenticated: BTreeMap<String, MethodRouter<AppState>> = BTreeMap::new();
    for op in operations() {
        let Some(route) = handler(&op.id, op.filter) else {
            tracing::error!(operation = %op.id, method = %op.method, path = %op.path,
                "documented API operation has no handler; it is not served");
            continue;
        };
        let side = if PUBLIC_OPERATIONS.contains(&op.id.as_str()) {
            &mut public
        } else {
            &mut authenticated
        };
        let merged = match side.remove(&op.path) {
            Some(earlier) => earlier.merge(route),
            None => route,
        };
        side.insert(op.path, merged);
    }
    let public = public
        .into_iter()
        .fold(Router::new(), |r, (path, route)| r.route(&path, route));
    let authenticated = authenticated
        .into_iter()
        .fold(Router::new(), |r, (path, route)| r.route(&path, route));
    let authenticated = authenticated
        .method_not_allowed_fallback(wrong_method)
        .layer(from_fn_with_state(limiter, limits::limit))
        .layer(from_fn_with_state(state.clone(), authenticate));
    public
        .route("/api/v1/{*rest}", axum::routing::any(unknown))
        .merge(authenticated)
        .with_state(state)
}

/// A known endpoint called with a method it does not take: a problem too.
async fn wrong_method() -> Problem {
    Problem::new(
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
        "Method not allowed",
    )
    .detail("This endpoint does not take that method; see /api/v1/docs.")
}

/// No such endpoint: a problem, not the portal's HTML 404.
async fn unknown() -> Problem {
    problem::not_found().detail("No such endpoint. The reference is at /api/v1/docs.")
}

/// Turns the bearer token into its [`Principal`] (and its user), or answers 401; then serves the
/// call with the token named in every audit event it records.
async fn authenticate(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Result<Response, Problem> {
    let presented = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(bearer);
    let Some(presented) = presented else {
        return Err(problem::unauthorized(
            "Send a token as `Authorization: Bearer <token>`; make one under Settings → API tokens.",
        ));
    };
    // Every X-Forwarded-For header, in order, as one list (a proxy may add a header rather than
    // append to the last one).
    let forwarded: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    let forwarded = forwarded.join(",");
    let ip = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| {
        state
            .runway
            .settings
            .client_ip(c.0.ip(), Some(forwarded.as_str()))
            .to_string()
    });
    let principal = match tokens::authenticate(&state.runway, presented, ip.as_deref()).await {
        Ok(p) => p,
        Err(e) => {
            if !matches!(e, tokens::TokenError::Db(_)) {
                tracing::info!(reason = %e, "API token refused");
            }
            return Err(e.into());
        }
    };
    let via = principal.via();
    req.extensions_mut().insert(principal.user.clone());
    req.extensions_mut().insert(principal);
    Ok(runway_core::audit::VIA.scope(via, next.run(req)).await)
}

/// The credentials of an `Authorization: Bearer …` value (the scheme in any case, RFC 9110).
pub fn bearer(value: &str) -> Option<&str> {
    let (scheme, rest) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| rest.trim())
        .filter(|t| !t.is_empty())
}

/// Refuses a call whose token lacks `scope` (the owner's own rights are checked by the use case).
pub fn need(p: &Principal, scope: Scope) -> Result<(), Problem> {
    if p.scopes.contains(scope) {
        Ok(())
    } else {
        Err(problem::forbidden(
            "insufficient-scope",
            "Token scope too narrow",
            format!("This call needs a token with the `{scope}` scope."),
        ))
    }
}

/// A path parameter whose malformed value (a request number that is not a number, say) is a 400
/// problem, like every other mistake in a call, instead of axum's plain-text answer.
pub struct ApiPath<T>(pub T);

impl<T, S> axum::extract::FromRequestParts<S> for ApiPath<T>
where
    T: serde::de::DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(v)| ApiPath(v))
            .map_err(|e| {
                problem::bad_request(format!("The address is not valid: {}", e.body_text()))
            })
    }
}

/// Reads a JSON body into `T`, or a 400 problem saying what is wrong with it (never a 500).
pub fn json_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, Problem> {
    serde_json::from_slice(body).map_err(|e| {
        problem::bad_request(format!("The body is not the JSON this call expects: {e}"))
    })
}

/// Who the token acts for, and what it may do.
#[utoipa::path(
    get, operation_id = "whoAmI", path = "/api/v1/me", tag = "tokens",
    responses(
        Refusals,
        (status = 200, body = model::WhoAmI),
    ),
    security(("bearer" = []))
)]
pub async fn me(Extension(p): Extension<Principal>) -> Response {
    axum::Json(model::WhoAmI {
        name: p.user.name.clone(),
        teams: p.user.team_names(),
        is_admin: p.user.is_admin,
        token_kind: p.kind.as_str().to_string(),
        token_name: p.token_name.clone(),
        scopes: p.scopes.iter().map(|s| s.as_str().to_string()).collect(),
    })
    .into_response()
}
