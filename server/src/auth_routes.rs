//! The sign-in and sign-out endpoints: OpenID Connect redirect and callback, development sign-in,
//! sign-out (with RP-initiated logout when the provider supports it).

use crate::error::{internal, Error};
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use runway_core::audit::{self, Actor, AuditEvent, AuditKind};
use runway_core::auth::dev::{self, DEV_ISSUER};
use runway_core::auth::oidc::PendingLogin;
use runway_core::auth::return_to::safe_return_path;
use runway_core::auth::{claims, keys};
use runway_core::db::users::Identity;
use runway_domain::user::User;
use runway_domain::view::encode_query_value;
use serde::Deserialize;
use tower_sessions::Session;

#[derive(Debug, Deserialize)]
pub struct NextParam {
    next: Option<String>,
}

fn host(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::HOST).and_then(|h| h.to_str().ok())
}

fn failed(reason: &str) -> Response {
    Redirect::to(&format!("/signin?error={reason}")).into_response()
}

/// A failure on our side during sign-in or sign-out: logged once, and a short plain answer.
fn sign_in_failure<E: std::fmt::Display>(context: &'static str) -> impl FnOnce(E) -> Error {
    move |e| internal(context, e).plain("Runway could not complete the sign-in. Please try again.")
}

/// `GET /auth/login?next=/path`: starts OIDC sign-in (or shows development sign-in).
pub async fn login(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Query(params): Query<NextParam>,
) -> Result<Response, Error> {
    let next = safe_return_path(params.next.as_deref().unwrap_or("/"));
    let Some(oidc) = state.oidc.as_ref() else {
        return Ok(
            Redirect::to(&format!("/signin?next={}", encode_query_value(&next))).into_response(),
        );
    };
    let redirect_url = state.runway.settings.oidc_redirect_url(host(&headers));
    match oidc.begin(&next, &redirect_url).await {
        Ok((url, pending)) => {
            session
                .insert(keys::PENDING, &pending)
                .await
                .map_err(sign_in_failure("cannot store the pending sign-in"))?;
            Ok(Redirect::to(&url).into_response())
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot start sign-in");
            Ok(failed("provider"))
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// `GET /auth/callback`: completes OIDC sign-in. The pending login is removed first, so `state`,
/// `nonce` and the PKCE verifier are single-use whatever happens next.
pub async fn callback(
    State(state): State<AppState>,
    session: Session,
    Query(cb): Query<Callback>,
) -> Result<Response, Error> {
    let Some(oidc) = state.oidc.as_ref() else {
        return Err(Error::status(StatusCode::NOT_FOUND));
    };
    let pending: Option<PendingLogin> = session
        .remove(keys::PENDING)
        .await
        .map_err(sign_in_failure("cannot read the pending sign-in"))?;
    let Some(pending) = pending else {
        tracing::warn!("sign-in callback without a pending sign-in (replayed, expired or forged)");
        return Ok(failed("expired"));
    };
    if let Some(error) = cb.error {
        tracing::warn!(provider_error = %error, "the provider refused the sign-in");
        return Ok(failed("refused"));
    }
    let (Some(code), Some(returned_state)) = (cb.code, cb.state) else {
        return Ok(failed("failed"));
    };
    match oidc.complete(&pending, &code, &returned_state).await {
        Ok(signed_in) => {
            let user = state
                .runway
                .sign_in(&signed_in.identity)
                .await
                .map_err(sign_in_failure("cannot record the sign-in"))?;
            start_session(&session, &user, Some(&signed_in.id_token))
                .await
                .map_err(sign_in_failure("cannot start the session"))?;
            tracing::info!(user.id = user.id, teams = ?user.team_names(), admin = user.is_admin, "signed in");
            record_sign_in(&state, &user, "oidc").await;
            Ok(Redirect::to(&pending.return_to).into_response())
        }
        Err(e) => {
            tracing::warn!(error = %e, "sign-in refused");
            Ok(failed("failed"))
        }
    }
}

async fn start_session(
    session: &Session,
    user: &User,
    id_token: Option<&str>,
) -> Result<(), tower_sessions::session::Error> {
    // A new id at sign-in: a session id planted before sign-in (fixation) is worthless after it.
    session.cycle_id().await?;
    session.insert(keys::USER_ID, user.id).await?;
    session.insert(keys::SIGNED_IN_AT, chrono_now()).await?;
    session.insert(keys::TOUCHED_AT, chrono_now()).await?;
    if let Some(token) = id_token {
        session.insert(keys::ID_TOKEN, token).await?;
    }
    Ok(())
}

/// The audit row for a completed sign-in (`method`: `oidc` or `development`).
async fn record_sign_in(state: &AppState, user: &User, method: &str) {
    let event = AuditEvent::new(
        Actor::person(user),
        AuditKind::SignIn,
        format!("user:{}", user.id),
    )
    .detail(serde_json::json!({ "method": method }));
    audit::record_or_log(&state.runway.db, &event).await;
}

fn chrono_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

#[derive(Debug, Deserialize)]
pub struct DevLogin {
    login: String,
    next: Option<String>,
}

/// `POST /auth/dev-login`: development sign-in as one of the demo users (only without an issuer).
pub async fn dev_login(
    State(state): State<AppState>,
    session: Session,
    Form(form): Form<DevLogin>,
) -> Result<Response, Error> {
    if state.oidc.is_some() {
        return Err(Error::status(StatusCode::NOT_FOUND));
    }
    let Some(demo) = dev::find(&form.login) else {
        return Err(Error::text(StatusCode::BAD_REQUEST, "Unknown demo user."));
    };
    let groups: Vec<String> = demo.groups.iter().map(|g| g.to_string()).collect();
    let grants = claims::grants(&state.runway.settings.auth, &groups);
    let identity = Identity {
        issuer: DEV_ISSUER.to_string(),
        subject: demo.login.to_string(),
        name: demo.name.to_string(),
        email: Some(demo.email.to_string()),
        is_admin: grants.is_admin,
        teams: grants.teams,
    };
    let user = state
        .runway
        .sign_in(&identity)
        .await
        .map_err(sign_in_failure("cannot record the sign-in"))?;
    start_session(&session, &user, None)
        .await
        .map_err(sign_in_failure("cannot start the session"))?;
    tracing::info!(
        user.id = user.id,
        login = demo.login,
        "signed in (development)"
    );
    record_sign_in(&state, &user, "development").await;
    Ok(Redirect::to(&safe_return_path(form.next.as_deref().unwrap_or("/"))).into_response())
}

/// `POST /auth/logout`: deletes the session and, where the provider supports it, ends the provider's
/// session too.
pub async fn logout(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
) -> Result<Response, Error> {
    let id_token: Option<String> = session.get(keys::ID_TOKEN).await.ok().flatten();
    let user_id: Option<i64> = session.get(keys::USER_ID).await.ok().flatten();
    session
        .flush()
        .await
        .map_err(sign_in_failure("cannot delete the session"))?;
    // Only a session that was signed in is a sign-out worth recording.
    if let Some(id) = user_id {
        match state.runway.user(id).await {
            Ok(Some(user)) => {
                let event = AuditEvent::new(
                    Actor::person(&user),
                    AuditKind::SignOut,
                    format!("user:{id}"),
                );
                audit::record_or_log(&state.runway.db, &event).await;
            }
            Ok(None) => {}
            Err(e) => {
                tracing::error!(error = %e, "cannot read the user signing out for the audit log")
            }
        }
    }
    let signed_out = "/signin?signed_out=1";
    if let Some(oidc) = state.oidc.as_ref() {
        let back = format!(
            "{}{signed_out}",
            state.runway.settings.public_origin(host(&headers))
        );
        if let Some(url) = oidc.logout_url(id_token.as_deref(), &back).await {
            return Ok(Redirect::to(&url).into_response());
        }
    }
    Ok(Redirect::to(signed_out).into_response())
}
