//! The error type every server function returns.
//!
//! Policy: a user sees *what* went wrong in words they can act on ("no such action"), never *why*
//! internally. Internal causes are logged once on the server (with the request id) and become
//! [`AppError::Unavailable`] here.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AppError {
    /// The object does not exist, or the caller may not know that it exists.
    NotFound,
    /// Nobody is signed in.
    Unauthorized,
    /// Signed in, but this is not for them (e.g. an admin page for a developer).
    Forbidden,
    /// Something failed on the server; details are in the server log.
    Unavailable,
    /// The call itself failed (network, encoding); the text is from the transport, not from our code.
    Transport(String),
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AppError::NotFound => f.write_str("Not found."),
            AppError::Unauthorized => f.write_str("Please sign in."),
            AppError::Forbidden => f.write_str("You do not have access to this page."),
            AppError::Unavailable => {
                f.write_str("Runway could not complete this request. Please try again in a moment.")
            }
            AppError::Transport(msg) => write!(f, "Could not reach Runway: {msg}"),
        }
    }
}

impl std::error::Error for AppError {}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::Transport(value.to_string())
    }
}

#[cfg(feature = "ssr")]
impl AppError {
    /// Logs an internal failure and returns the user-safe error.
    pub fn internal(context: &str, err: impl fmt::Display) -> Self {
        tracing::error!(error = %err, "{context}");
        AppError::Unavailable
    }
}
