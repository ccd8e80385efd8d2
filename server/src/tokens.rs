//! Plain routes of the API tokens page: make a personal or service token (the answer shows the
//! token once: it is neither stored nor put in a cookie or redirect), and revoke one. Behind the
//! sign-in guard and the CSRF check like every form post; who may do what is decided in
//! `runway_core::tokens`.

use crate::error::{bad_request, Error};
use crate::html::{escape, page};
use crate::requests::{body_values, field};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use runway_core::tokens::{self, Created, NewTokenInput};
use runway_domain::form::RawValues;
use runway_domain::token::{Scope, Scopes};
use runway_domain::user::User;

fn input(form: &RawValues) -> Result<NewTokenInput, Error> {
    let mut scopes = Vec::new();
    for (_, v) in form.iter().filter(|(k, _)| k == "scopes") {
        scopes.push(Scope::parse(v.trim()).ok_or_else(|| {
            bad_request(
                "Please check the form",
                "Scopes are read, request and approve.",
            )
        })?);
    }
    let days = field(form, "days");
    let days = if days.is_empty() {
        None
    } else {
        Some(days.parse::<u32>().map_err(|_| {
            bad_request(
                "Please check the form",
                "Expires after: a whole number of days.",
            )
        })?)
    };
    Ok(NewTokenInput {
        name: field(form, "name"),
        scopes: Scopes::new(scopes),
        days,
    })
}

/// The one answer that shows a new token: no caching, no referrer, nothing stored.
fn show_once(created: Created) -> Response {
    let v = &created.view;
    let team = v
        .team
        .as_ref()
        .map(|t| format!(" for team <strong>{}</strong>", escape(t)))
        .unwrap_or_default();
    let body = format!(
        "<p role=\"status\">Your new token <strong>{name}</strong>{team} ({scopes}) expires on {expires}. \
         Copy it now: Runway keeps only a hash of it and cannot show it again.</p>\
         <p><label for=\"new-token\">Token</label><br>\
         <input id=\"new-token\" type=\"text\" readonly size=\"56\" value=\"{token}\" data-testid=\"new-token-value\"></p>\
         <p>Use it as <code>Authorization: Bearer &lt;token&gt;</code>, or with the command line: \
         <code>runway login --server &lt;this portal's address&gt;</code> and paste it.</p>\
         <p><a href=\"/settings/tokens\">Back to API tokens</a></p>",
        name = escape(&v.name),
        scopes = escape(&v.scopes.to_string()),
        expires = escape(v.expires_at.get(..10).unwrap_or(&v.expires_at)),
        token = escape(&created.token),
    );
    let mut resp = page(StatusCode::CREATED, "Token created", body);
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
        ),
    );
    resp
}

/// `POST /settings/tokens`: a personal token.
pub async fn create_personal(
    State(state): State<AppState>,
    Extension(user): Extension<User>,
    body: Bytes,
) -> Result<Response, Error> {
    let form = body_values(&body);
    let created = tokens::create_personal(&state.runway, &user, &input(&form)?).await?;
    Ok(show_once(created))
}

/// `POST /settings/tokens/service`: a service token for a team the caller leads (admins: any).
pub async fn create_service(
    State(state): State<AppState>,
    Extension(user): Extension<User>,
    body: Bytes,
) -> Result<Response, Error> {
    let form = body_values(&body);
    let team = field(&form, "team");
    let created = tokens::create_service(&state.runway, &user, &team, &input(&form)?).await?;
    Ok(show_once(created))
}

/// `POST /settings/tokens/{id}/revoke`.
pub async fn revoke(
    State(state): State<AppState>,
    Extension(user): Extension<User>,
    Path(id): Path<i64>,
) -> Result<Response, Error> {
    tokens::revoke(&state.runway, &user, id).await?;
    Ok(Redirect::to("/settings/tokens?revoked=1").into_response())
}
