//! Errors of the public API as `application/problem+json` (RFC 9457).
//!
//! Each kind of error has a stable `type` URI under `https://runway.dev/problems/` (a name, not a
//! page that must resolve), a short `title` that never changes for that type, and a `detail` for
//! this occurrence. Form mistakes list every field (`errors`). Internal failures are logged once,
//! with their cause, and answered with a 503 that says nothing about it.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use runway_core::requests::{
    AccessError, CancelError, DecideError, HistoryError, RetryError, RevealError, SubmitError,
};
use runway_core::tokens::TokenError;
use serde::Serialize;
use std::borrow::Cow;
use utoipa::ToSchema;

/// An error answer: its [`ProblemDetails`], boxed (results stay small).
#[derive(Debug)]
pub struct Problem(Box<ProblemDetails>);

/// A problem details object (RFC 9457).
#[derive(Debug, Serialize, ToSchema)]
pub struct ProblemDetails {
    /// Stable identifier of the kind of problem, e.g. `https://runway.dev/problems/invalid-inputs`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Short summary of the kind of problem; the same for every occurrence of one type.
    pub title: Cow<'static, str>,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong this time, and what to do.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Form mistakes, one per field.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// For 429: seconds until a call may succeed (also sent as `Retry-After`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
    #[serde(skip)]
    cause: Option<(&'static str, String)>,
}

/// The refusals any call with a token may get: a malformed call (400), no valid token (401), a scope too narrow or a
/// right the owner lacks (403), and the rate limit (429). Listed once for the OpenAPI document.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
pub enum Refusals {
    /// A malformed address, parameter or body.
    #[response(status = 400, content_type = "application/problem+json")]
    BadRequest(ProblemDetails),
    /// No token, or an unknown, revoked or expired one.
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthorized(ProblemDetails),
    /// The token's scope is too narrow, or its owner may not do this.
    #[response(status = 403, content_type = "application/problem+json")]
    Forbidden(ProblemDetails),
    /// Too many calls in the last minute; see `Retry-After`.
    #[response(status = 429, content_type = "application/problem+json")]
    TooMany(ProblemDetails),
}

/// One field's mistake.
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldError {
    /// The field's name, as in the action's form (`inputs.<name>` in the schema).
    pub field: String,
    pub message: String,
}

impl Problem {
    pub fn new(status: StatusCode, slug: &str, title: &'static str) -> Self {
        Self(Box::new(ProblemDetails {
            kind: format!("https://runway.dev/problems/{slug}"),
            title: Cow::Borrowed(title),
            status: status.as_u16(),
            detail: None,
            errors: Vec::new(),
            retry_after: None,
            cause: None,
        }))
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.0.detail = Some(detail.into());
        self
    }

    pub fn field_errors(mut self, errors: impl IntoIterator<Item = (String, String)>) -> Self {
        self.0.errors = errors
            .into_iter()
            .map(|(field, message)| FieldError { field, message })
            .collect();
        self
    }

    pub fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.0.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

pub fn not_found() -> Problem {
    Problem::new(StatusCode::NOT_FOUND, "not-found", "Not found")
        .detail("This does not exist, or this token may not see it.")
}

pub fn unauthorized(detail: &str) -> Problem {
    Problem::new(
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "Authentication required",
    )
    .detail(detail)
}

pub fn forbidden(slug: &str, title: &'static str, detail: impl Into<String>) -> Problem {
    Problem::new(StatusCode::FORBIDDEN, slug, title).detail(detail)
}

pub fn conflict(slug: &str, title: &'static str, detail: impl Into<String>) -> Problem {
    Problem::new(StatusCode::CONFLICT, slug, title).detail(detail)
}

pub fn bad_request(detail: impl Into<String>) -> Problem {
    Problem::new(StatusCode::BAD_REQUEST, "bad-request", "Bad request").detail(detail)
}

pub fn too_many(retry_after: u64, detail: &str) -> Problem {
    let mut p = Problem::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate-limited",
        "Too many requests",
    )
    .detail(detail);
    p.0.retry_after = Some(retry_after.max(1));
    p
}

/// 503: something failed on our side. `error` is logged with `context`, never answered.
pub fn internal(context: &'static str, error: impl std::fmt::Display) -> Problem {
    let mut p = Problem::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "unavailable",
        "Runway is unavailable",
    )
    .detail("Something failed on our side; nothing was lost. Try again in a moment.");
    p.0.cause = Some((context, error.to_string()));
    p
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        if let Some((context, error)) = &self.0.cause {
            tracing::error!(error = %error, "{context}");
        }
        let status = self.status_code();
        let retry = self.0.retry_after;
        let body = serde_json::to_vec(&*self.0).unwrap_or_default();
        let mut resp = (status, body).into_response();
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(secs) = retry {
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        if status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"runway\""),
            );
        }
        resp
    }
}

impl From<runway_core::db::DbError> for Problem {
    fn from(e: runway_core::db::DbError) -> Self {
        internal("database", e)
    }
}

impl From<AccessError> for Problem {
    fn from(e: AccessError) -> Self {
        match e {
            AccessError::NotFound => not_found(),
            AccessError::Db(e) => internal("cannot load a request", e),
        }
    }
}

impl From<SubmitError> for Problem {
    fn from(e: SubmitError) -> Self {
        match e {
            SubmitError::NotFound => not_found(),
            SubmitError::Retired { replacement } => {
                let detail = match replacement {
                    Some(r) => format!(
                        "This action is retired; use `{}` ({}) instead.",
                        r.id, r.title
                    ),
                    None => "This action is retired and takes no new requests.".to_string(),
                };
                Problem::new(StatusCode::GONE, "action-retired", "Action retired").detail(detail)
            }
            SubmitError::Invalid(errors) => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-inputs",
                "The inputs need fixing",
            )
            .detail("Some inputs are not valid for this action's form; see `errors`.")
            .field_errors(errors),
            SubmitError::KeyReused { request_id } => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency-key-reused",
                "Idempotency key already used",
            )
            .detail(format!(
                "This Idempotency-Key made request {request_id} for another action or other inputs; use a new key for a new request."
            )),
            e @ SubmitError::Db(_) => internal("cannot submit a request", e),
        }
    }
}

impl From<CancelError> for Problem {
    fn from(e: CancelError) -> Self {
        match e {
            CancelError::NotFound => not_found(),
            CancelError::NotAllowed => forbidden(
                "cannot-cancel",
                "Cannot cancel",
                "Only the requester, a lead of the request's team or an admin can cancel it.",
            ),
            CancelError::Finished => conflict(
                "already-finished",
                "Already finished",
                "This request has already finished, so there is nothing to cancel.",
            ),
            CancelError::Db(e) => internal("cannot cancel a request", e),
        }
    }
}

impl From<RetryError> for Problem {
    fn from(e: RetryError) -> Self {
        match e {
            RetryError::NotFound => not_found(),
            RetryError::NotAllowed => forbidden(
                "cannot-retry",
                "Cannot retry",
                "Only the team that owns the action, or an admin, can retry a failed request; a requester submits it again instead.",
            ),
            RetryError::NotFailed => conflict(
                "not-failed",
                "Not failed",
                "Only a failed request can be run again.",
            ),
            RetryError::SecretInputs => conflict(
                "secret-inputs",
                "Has secret inputs",
                "This request had secret inputs, which are not kept: submit it again instead.",
            ),
            RetryError::VersionMissing => conflict(
                "version-missing",
                "Version missing",
                "The action version this request ran is no longer recorded: submit it again.",
            ),
            RetryError::Db(e) => internal("cannot retry a request", e),
        }
    }
}

impl From<RevealError> for Problem {
    fn from(e: RevealError) -> Self {
        match e {
            RevealError::Gone => Problem::new(StatusCode::GONE, "secret-gone", "Nothing to reveal")
                .detail("This secret result was already shown, or is not yours to see."),
            RevealError::Seal(e) => internal("cannot open a secret result", e),
            RevealError::Db(e) => internal("cannot reveal a secret result", e),
        }
    }
}

impl From<DecideError> for Problem {
    fn from(e: DecideError) -> Self {
        match e {
            DecideError::NotFound => not_found(),
            DecideError::NotAllowed => forbidden(
                "not-an-approver",
                "Not yours to approve",
                "Nobody approves their own requests, and the action's policy names who approves.",
            ),
            DecideError::NotPending => conflict(
                "not-pending",
                "Not waiting for approval",
                "This request is not waiting for approval any more.",
            ),
            DecideError::AlreadyDecided => conflict(
                "already-decided",
                "Already decided",
                "You already decided on this request.",
            ),
            DecideError::Db(e) => internal("cannot record a decision", e),
        }
    }
}

impl From<HistoryError> for Problem {
    fn from(e: HistoryError) -> Self {
        match e {
            HistoryError::Db(e) => internal("cannot read history", e),
            HistoryError::NotInTeam(_) | HistoryError::NotAdmin => {
                forbidden("history-scope", "Not your history", e.to_string())
            }
            other => bad_request(other.to_string()),
        }
    }
}

impl From<TokenError> for Problem {
    fn from(e: TokenError) -> Self {
        match e {
            TokenError::Unknown | TokenError::Revoked | TokenError::Expired => {
                unauthorized("The token is not valid: it is unknown, revoked or expired.")
            }
            TokenError::OwnerSignInNeeded { days } => Problem::new(
                StatusCode::UNAUTHORIZED,
                "sign-in-needed",
                "Sign in to the portal",
            )
            .detail(format!(
                "This token acts with the teams you had when you last signed in to the portal, more than {days} days ago. Sign in to the portal once to refresh them; the token then works again."
            )),
            TokenError::NotAllowed => forbidden("not-allowed", "Not allowed", "Not allowed."),
            TokenError::NotFound => not_found(),
            TokenError::Invalid { field, message } => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-inputs",
                "The inputs need fixing",
            )
            .field_errors([(field.to_string(), message)]),
            TokenError::Db(e) => internal("tokens", e),
        }
    }
}
