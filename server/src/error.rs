//! The one error type of the plain axum handlers and guards.
//!
//! Error-handling policy:
//!
//! - A handler returns `Result<Response, Error>` and uses `?`. Core's use-case errors convert with
//!   `From`, so each variant is mapped to a status code and to the words a person reads exactly once,
//!   here. Handlers add only the request to link back to ([`about`]).
//! - Missing and not visible are the same answer, 404 ([`not_found`]): nobody learns that something
//!   exists that they may not see.
//! - A refusal a person can act on says what to do, in plain words: a small HTML page for form posts
//!   (they work without JavaScript), plain text from sign-in and the guards, JSON for API callers.
//! - Internal failures (the database, sealing secrets, sessions) become 503 "Runway is unavailable".
//!   The cause is logged once, with `tracing::error!`, when the response is built (inside the
//!   request's span, so with its request id), and is never shown to the user.
//! - Wording shared with the Leptos pages (history filters) comes from `runway_app::messages`.

use crate::html;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use runway_core::audit::AuditError;
use runway_core::requests::{
    AccessError, CancelError, DecideError, FulfilError, HistoryError, RetryError, RevealError,
    SubmitError,
};
use std::borrow::Cow;
use std::fmt;

/// An answer other than success: its status, what the person sees, and the internal cause to log.
pub struct Error {
    status: StatusCode,
    answer: Answer,
    /// The request a page links back to.
    back_to: Option<i64>,
    /// What failed inside, logged once when the response is built.
    cause: Option<Cause>,
}

struct Cause {
    context: &'static str,
    error: String,
}

enum Answer {
    /// A small HTML page with a title and a plain-text explanation.
    Page {
        title: Cow<'static, str>,
        message: Cow<'static, str>,
    },
    /// A small HTML page whose body was built (and escaped) by [`crate::html`].
    BuiltPage {
        title: &'static str,
        body_html: String,
    },
    /// A small HTML page with a fixed body.
    FixedPage {
        title: &'static str,
        body_html: &'static str,
    },
    /// Plain text.
    Text(Cow<'static, str>),
    /// `{"error": "..."}`.
    Json(Cow<'static, str>),
    /// The status alone.
    Empty,
}

/// 404: this does not exist, or the caller may not see it.
pub fn not_found() -> Error {
    Error::new(
        StatusCode::NOT_FOUND,
        Answer::FixedPage {
            title: "Not found",
            body_html: "<p>This does not exist, or you may not see it. <a href=\"/\">Back to the catalogue</a></p>",
        },
    )
}

/// 403 page: signed in, but not theirs to do.
pub fn forbidden(title: &'static str, message: impl Into<Cow<'static, str>>) -> Error {
    refused(StatusCode::FORBIDDEN, title, message)
}

/// 400 page: the form or the query needs fixing.
pub fn bad_request(title: &'static str, message: impl Into<Cow<'static, str>>) -> Error {
    refused(StatusCode::BAD_REQUEST, title, message)
}

/// 409 page: too late for this (already decided, no longer failed).
pub fn conflict(title: &'static str, message: impl Into<Cow<'static, str>>) -> Error {
    refused(StatusCode::CONFLICT, title, message)
}

/// A page with `status`, a title and a plain-text explanation.
pub fn refused(
    status: StatusCode,
    title: &'static str,
    message: impl Into<Cow<'static, str>>,
) -> Error {
    Error::new(
        status,
        Answer::Page {
            title: Cow::Borrowed(title),
            message: message.into(),
        },
    )
}

/// 503: something failed on our side. `error` is logged (with `context`), never shown.
pub fn internal(context: &'static str, error: impl fmt::Display) -> Error {
    let mut e = Error::new(
        StatusCode::SERVICE_UNAVAILABLE,
        Answer::FixedPage {
            title: "Runway is unavailable",
            body_html: "<p>Something went wrong on our side; nothing was lost. Please try again in a moment.</p>",
        },
    );
    e.cause = Some(Cause {
        context,
        error: error.to_string(),
    });
    e
}

/// Maps a use-case error to an [`Error`] whose page links back to request `id`.
pub fn about<E: Into<Error>>(id: i64) -> impl FnOnce(E) -> Error {
    move |e| e.into().back_to(id)
}

impl Error {
    fn new(status: StatusCode, answer: Answer) -> Self {
        Self {
            status,
            answer,
            back_to: None,
            cause: None,
        }
    }

    /// `status` with a plain-text body.
    pub fn text(status: StatusCode, text: impl Into<Cow<'static, str>>) -> Self {
        Self::new(status, Answer::Text(text.into()))
    }

    /// `status` with `{"error": message}`.
    pub fn json(status: StatusCode, message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(status, Answer::Json(message.into()))
    }

    /// `status` with an empty body.
    pub fn status(status: StatusCode) -> Self {
        Self::new(status, Answer::Empty)
    }

    /// The same error (status and logged cause), answered with plain `text` instead of a page.
    pub fn plain(mut self, text: &'static str) -> Self {
        self.answer = Answer::Text(Cow::Borrowed(text));
        self
    }

    /// A page explaining this error links back to request `id`.
    pub fn back_to(mut self, id: i64) -> Self {
        self.back_to = Some(id);
        self
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("status", &self.status)
            .field("cause", &self.cause.as_ref().map(|c| c.context))
            .finish_non_exhaustive()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.cause {
            Some(c) => write!(f, "{}: {}", c.context, c.error),
            None => write!(f, "{}", self.status),
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        if let Some(c) = &self.cause {
            tracing::error!(error = %c.error, "{}", c.context);
        }
        match self.answer {
            Answer::Page { title, message } => {
                let body = match self.back_to {
                    Some(id) => html::back_to_request(id, &message),
                    None => html::paragraph(&message),
                };
                html::page(self.status, &title, body)
            }
            Answer::FixedPage { title, body_html } => {
                html::page(self.status, title, body_html.to_string())
            }
            Answer::BuiltPage { title, body_html } => html::page(self.status, title, body_html),
            Answer::Text(text) => (self.status, text.into_owned()).into_response(),
            Answer::Json(message) => {
                (self.status, Json(serde_json::json!({ "error": message }))).into_response()
            }
            Answer::Empty => self.status.into_response(),
        }
    }
}

// What each use case's refusals look like. Wording lives here, not in `runway_core`.

const NOT_YOURS_TO_FULFIL: &str =
    "Only the team that owns this action (or an admin) can fulfil it.";

impl From<AccessError> for Error {
    fn from(e: AccessError) -> Self {
        match e {
            AccessError::NotFound => not_found(),
            AccessError::Db(e) => internal("cannot load a request", e),
        }
    }
}

impl From<SubmitError> for Error {
    fn from(e: SubmitError) -> Self {
        match e {
            SubmitError::NotFound => not_found(),
            // 410 Gone: the action is still there to read, but gone for new requests, for good.
            SubmitError::Retired { replacement } => Error::new(
                StatusCode::GONE,
                Answer::BuiltPage {
                    title: "This action is retired",
                    body_html: html::retired(replacement.as_ref()),
                },
            ),
            // The submit handler sends the form back with its mistakes; this is the fallback.
            SubmitError::Invalid(_) => bad_request(
                "The form needs fixing",
                "Go back to the form and correct the fields marked.",
            ),
            SubmitError::KeyReused { request_id } => conflict(
                "Already sent with other values",
                "This form was already submitted, with other values. Open the action again to make a new request.",
            )
            .back_to(request_id),
            e @ SubmitError::Db(_) => internal("cannot submit a request", e),
        }
    }
}

impl From<FulfilError> for Error {
    fn from(e: FulfilError) -> Self {
        match e {
            FulfilError::NotFound => not_found(),
            FulfilError::NotYours => forbidden("Not yours to fulfil", NOT_YOURS_TO_FULFIL),
            FulfilError::Seal(e) => internal("cannot seal outputs", e),
            FulfilError::Db(e) => internal("cannot take or close a manual request", e),
        }
    }
}

impl From<DecideError> for Error {
    fn from(e: DecideError) -> Self {
        match e {
            DecideError::NotFound => not_found(),
            DecideError::NotAllowed => forbidden(
                "Not yours to approve",
                "You cannot approve this request: nobody approves their own requests, and the action's policy names who approves.",
            ),
            DecideError::NotPending => conflict(
                "Already decided",
                "This request is not waiting for approval any more.",
            ),
            DecideError::AlreadyDecided => {
                conflict("Already decided", "You already decided on this request.")
            }
            DecideError::Db(e) => internal("cannot record a decision", e),
        }
    }
}

impl From<runway_core::discover::DiscoverError> for Error {
    fn from(e: runway_core::discover::DiscoverError) -> Self {
        use runway_core::discover::DiscoverError as D;
        match e {
            D::BadSource => bad_request("Unknown source", "No ticket source by that name."),
            D::BadLabel => {
                bad_request("Name needed", "A group's new name must be 1-80 characters.")
            }
            D::BadWord => bad_request(
                "One word",
                "A split needs exactly one word from the titles.",
            ),
            D::NoGroup(_) => not_found(),
            D::DraftExists(file) => conflict(
                "Draft already there",
                format!("The catalogue already has {file}; finish or rename it first."),
            ),
            D::NoSalt | D::Analysis | D::DraftWrite { .. } | D::Db(_) => internal("discover", e),
        }
    }
}

impl From<runway_core::editor::EditError> for Error {
    fn from(e: runway_core::editor::EditError) -> Self {
        use runway_core::editor::EditError as E;
        match e {
            E::NotFound => not_found(),
            E::Forbidden => forbidden(
                "Not yours to change",
                "Only admins and leads of the action's owning team can change it, or give it to another team.",
            ),
            E::Invalid(problems) => bad_request(
                "The action has problems",
                problems
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            E::Conflict { .. } => conflict(
                "The action changed meanwhile",
                "Someone changed this action after you opened it; open it again.",
            ),
            E::Dirty { file } => conflict(
                "Uncommitted changes in the catalogue",
                format!(
                    "{file} has changes in the catalogue's git repository that are not committed. \
                     Commit or discard them there, then publish again. Nothing was changed."
                ),
            ),
            E::RunNeedsAdmin => forbidden(
                "Only admins change how an action runs",
                "Team leads change an action's form, texts and rollout, and create manual actions; \
                 the platform team sets scripts and webhooks. Keep `run` as it is, or ask an admin.",
            ),
            E::NoteRequired => bad_request(
                "A change note is required",
                "Say in a sentence what changed and why.",
            ),
            E::NoteTooLong => bad_request(
                "The change note is too long",
                format!(
                    "A change note may be at most {} characters.",
                    runway_core::editor::MAX_NOTE
                ),
            ),
            E::BadValue(why) => bad_request("Check the values", why),
            E::Io(_) | E::Git(_) | E::Reload(_) | E::Db(_) => {
                internal("changing the catalogue", e)
            }
        }
    }
}

impl From<runway_core::impact::ImpactError> for Error {
    fn from(e: runway_core::impact::ImpactError) -> Self {
        use runway_core::impact::ImpactError as I;
        match e {
            I::NotAllowed => forbidden("Admins only", "Only an admin can change this."),
            I::NoAction(_) | I::NoGroup(_) | I::NoRequest | I::UnknownPulse => not_found(),
            I::NoPulse => conflict(
                "Pulse closed",
                "This pulse is closed, or you have already answered it.",
            ),
            I::Invalid(message) => bad_request("Please check the form", message),
            I::Db(e) => internal("impact", e),
        }
    }
}

impl From<runway_core::tokens::TokenError> for Error {
    fn from(e: runway_core::tokens::TokenError) -> Self {
        use runway_core::tokens::TokenError as T;
        match e {
            T::NotAllowed => forbidden(
                "Not yours to manage",
                "Service tokens of a team are made and revoked by its leads and by admins.",
            ),
            T::NotFound | T::Unknown | T::Revoked | T::Expired | T::OwnerSignInNeeded { .. } => {
                not_found()
            }
            T::Invalid { message, .. } => bad_request("Please check the form", message),
            T::Db(e) => internal("tokens", e),
        }
    }
}

impl From<CancelError> for Error {
    fn from(e: CancelError) -> Self {
        match e {
            CancelError::NotFound => not_found(),
            CancelError::NotAllowed => forbidden(
                "Cannot cancel",
                "Only the requester, a lead of the request's team or an admin can cancel it.",
            ),
            CancelError::Finished => conflict(
                "Already finished",
                "This request has already finished, so there is nothing to cancel.",
            ),
            CancelError::Db(e) => internal("cannot cancel a request", e),
        }
    }
}

impl From<RetryError> for Error {
    fn from(e: RetryError) -> Self {
        const TITLE: &str = "Cannot retry";
        match e {
            RetryError::NotFound => not_found(),
            RetryError::NotAllowed => forbidden(
                TITLE,
                "Only the team that owns the action, or an admin, can retry a failed request.",
            ),
            RetryError::VersionMissing => conflict(
                TITLE,
                "The action version of this request is not recorded.",
            ),
            RetryError::SecretInputs => conflict(
                TITLE,
                "This request had secret inputs, which Runway never keeps: use “Run again” and enter them anew.",
            ),
            RetryError::NotFailed => conflict(TITLE, "Only failed requests can be retried."),
            RetryError::Db(e) => internal("cannot retry a request", e),
        }
    }
}

impl From<RevealError> for Error {
    fn from(e: RevealError) -> Self {
        match e {
            RevealError::Gone => refused(
                StatusCode::NOT_FOUND,
                "Nothing to show",
                "This secret was already shown (or expired unseen after 24 hours), or it is not yours.",
            ),
            e @ (RevealError::Seal(_) | RevealError::Db(_)) => {
                internal("cannot reveal a secret output", e)
            }
        }
    }
}

impl From<AuditError> for Error {
    fn from(e: AuditError) -> Self {
        match e {
            AuditError::Forbidden => {
                forbidden("Admins only", "Only admins may read the audit log.")
            }
            AuditError::BadInput(message) => bad_request("Check the filters", message),
            AuditError::Db(e) => internal("cannot read the audit log", e),
        }
    }
}

impl From<HistoryError> for Error {
    fn from(e: HistoryError) -> Self {
        if let HistoryError::Db(e) = e {
            return internal("cannot load request history", e);
        }
        let message = runway_app::messages::history(&e);
        if e.is_bad_input() {
            bad_request("Check the filters", message)
        } else {
            forbidden("Not yours to see", message)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn answer(e: Error) -> (StatusCode, String) {
        let response = e.into_response();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body");
        (status, String::from_utf8_lossy(&bytes).into_owned())
    }

    #[tokio::test]
    async fn an_internal_error_is_a_generic_503_that_never_shows_its_cause() {
        let (status, body) = answer(internal("cannot load", "password=hunter2 in a query")).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(body.contains("Runway is unavailable"), "{body}");
        assert!(!body.contains("hunter2"), "{body}");
    }

    #[tokio::test]
    async fn a_refusal_escapes_its_text_and_links_back_to_the_request() {
        let (status, body) = answer(forbidden("Not yours", "<b>no</b>").back_to(7)).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert!(body.contains("&lt;b&gt;no&lt;/b&gt;"), "{body}");
        assert!(body.contains("href=\"/requests/7\""), "{body}");
    }

    #[tokio::test]
    async fn missing_and_invisible_requests_are_both_404() {
        for e in [
            Error::from(AccessError::NotFound),
            Error::from(DecideError::NotFound),
            Error::from(RetryError::NotFound),
            Error::from(CancelError::NotFound),
            Error::from(FulfilError::NotFound),
        ] {
            assert_eq!(answer(e).await.0, StatusCode::NOT_FOUND);
        }
    }

    #[tokio::test]
    async fn too_late_is_409_and_says_why() {
        let (status, body) = answer(Error::from(DecideError::AlreadyDecided).back_to(3)).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert!(
            body.contains("You already decided on this request."),
            "{body}"
        );
        let (status, _) = answer(Error::from(RetryError::NotFailed)).await;
        assert_eq!(status, StatusCode::CONFLICT);
    }

    #[tokio::test]
    async fn api_callers_get_json_and_guards_plain_text() {
        let (status, body) =
            answer(Error::json(StatusCode::UNAUTHORIZED, "sign in required")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(body, r#"{"error":"sign in required"}"#);
        let (status, body) = answer(internal("x", "y").plain("Try again.")).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(body, "Try again.");
    }
}
