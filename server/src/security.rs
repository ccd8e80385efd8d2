//! Request guards and response hardening, applied to every route.
//!
//! - [`require_user`]: deny by default. Every path needs a signed-in user except the short list in
//!   [`is_public`]; pages redirect to sign-in, API calls get 401. The user is attached to the request
//!   for server functions and handlers to read.
//! - [`same_origin`]: CSRF protection for every state-changing request (server functions, form posts
//!   without JavaScript): refused unless `Sec-Fetch-Site` says same-origin or `Origin` is ours.
//! - [`security_headers`]: `X-Content-Type-Options`, `Referrer-Policy`, `X-Frame-Options`, HSTS
//!   under https, and a strict default CSP for responses that did not set their own (pages set one
//!   with a per-response nonce, see [`page_csp`]).

use crate::error::{internal, Error};
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use runway_core::auth::keys;
use runway_domain::user::User;
use tower_sessions::Session;

/// Paths anyone may reach: signing in, health checks and static assets.
pub fn is_public(path: &str) -> bool {
    matches!(
        path,
        "/signin"
            | "/auth/login"
            | "/auth/callback"
            | "/auth/dev-login"
            | "/auth/logout"
            | "/healthz"
            | "/readyz"
            | "/favicon.svg"
            | "/api/auth/options"
            | "/api/auth/whoami"
    ) || path.starts_with("/pkg/")
}

/// Loads the signed-in user (if any) and refuses anonymous access to everything not public.
pub async fn require_user(
    State(state): State<AppState>,
    session: Session,
    mut req: Request,
    next: Next,
) -> Result<Response, Error> {
    let user = signed_in_user(&state, &session).await?;
    let path = req.uri().path().to_string();
    match user {
        Some(user) => {
            req.extensions_mut().insert(user);
        }
        None if is_public(&path) => {}
        None => return sign_in_required(&req),
    }
    Ok(next.run(req).await)
}

/// The session store or the database failed: logged once, and a short plain answer.
fn session_failure(e: impl std::fmt::Display) -> Error {
    internal("cannot load the session user", e)
        .plain("Runway is unavailable. Please try again in a moment.")
}

async fn signed_in_user(state: &AppState, session: &Session) -> Result<Option<User>, Error> {
    let Some(id) = session
        .get::<i64>(keys::USER_ID)
        .await
        .map_err(session_failure)?
    else {
        return Ok(None);
    };
    let signed_in_at = session
        .get::<i64>(keys::SIGNED_IN_AT)
        .await
        .map_err(session_failure)?
        .unwrap_or(0);
    let lifetime =
        i64::try_from(state.runway.settings.auth.lifetime().as_secs()).unwrap_or(i64::MAX);
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    if now.saturating_sub(signed_in_at) > lifetime {
        // The absolute lifetime is over, however active the session was: sign in again.
        session.flush().await.map_err(session_failure)?;
        tracing::info!(user.id = id, "session reached its absolute lifetime");
        return Ok(None);
    }
    // Saving the session extends its idle expiry; do it only once the last save is a few minutes
    // old, not on every request (tower-sessions saves a session only when it was modified).
    let touched_at = session
        .get::<i64>(keys::TOUCHED_AT)
        .await
        .map_err(session_failure)?
        .unwrap_or(0);
    let refresh_after =
        i64::try_from(state.runway.settings.auth.session_refresh_after().as_secs()).unwrap_or(300);
    if now.saturating_sub(touched_at) >= refresh_after {
        session
            .insert(keys::TOUCHED_AT, now)
            .await
            .map_err(session_failure)?;
    }
    state.runway.user(id).await.map_err(session_failure)
}

/// API calls and posts get 401; pages a redirect to sign-in that comes back here.
fn sign_in_required(req: &Request) -> Result<Response, Error> {
    let path = req.uri().path();
    if path.starts_with("/api/") || req.method() != Method::GET {
        return Err(Error::json(StatusCode::UNAUTHORIZED, "sign in required"));
    }
    let target = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    Ok(Redirect::to(&format!(
        "/signin?next={}",
        runway_domain::view::encode_query_value(target)
    ))
    .into_response())
}

/// Refuses state-changing requests that do not come from Runway's own pages.
pub async fn same_origin(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Result<Response, Error> {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(next.run(req).await);
    }
    let headers = req.headers();
    let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let ours = state.runway.settings.public_origin(host);
    let allowed = match (fetch_site, origin) {
        (Some("same-origin"), _) => true,
        (Some(_), _) => false,
        (None, Some(origin)) => origin == ours,
        (None, None) => false,
    };
    if !allowed {
        tracing::warn!(method = %req.method(), path = %req.uri().path(), origin = ?origin, fetch_site = ?fetch_site, "cross-origin request refused");
        return Err(Error::text(
            StatusCode::FORBIDDEN,
            "Refused: this request did not come from Runway's own pages.",
        ));
    }
    Ok(next.run(req).await)
}

/// The Content-Security-Policy for a page whose scripts carry `nonce`.
pub fn page_csp(nonce: &str, form_targets: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'{form_targets}; frame-ancestors 'none'"
    )
}

/// Hardening headers on every response.
pub async fn security_headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
            ),
        );
    }
    if state.runway.settings.is_https() {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    resp
}
