//! Plain routes about requests: form posts (submit, take, fulfil, approve, reject, cancel, retry,
//! reveal a secret once) and downloads (the history as CSV, a request's log). Each works without
//! JavaScript (a form posts, the answer is a redirect or a small page) and sits behind the sign-in
//! guard and the CSRF check. Handlers return `Result<Response, Error>`: refusals and failures are
//! worded once, in [`crate::error`].
//!
//! - [`submit`]: an action's form becomes a request, or goes back with its mistakes.
//! - [`manual`]: taking and closing manual requests.
//! - [`results`]: the fulfilment form's result lines, parsed into outputs.
//! - [`approvals`]: approving and rejecting.
//! - [`lifecycle`]: cancelling and retrying.
//! - [`secrets`]: revealing a secret output to its requester once.
//! - [`export`]: the filtered history as CSV and a request's whole log, streamed.
//! - [`csv`]: writing CSV fields safely.

pub mod approvals;
pub mod csv;
pub mod export;
pub mod lifecycle;
pub mod manual;
pub mod results;
pub mod secrets;
pub mod submit;

pub use approvals::{approve, reject};
pub use export::{download_log, export_csv};
pub use lifecycle::{cancel, retry};
pub use manual::{fulfil, take};
pub use secrets::reveal;
pub use submit::submit;

use axum::body::Bytes;
use axum::response::{IntoResponse, Redirect, Response};
use runway_domain::form::RawValues;
use runway_domain::view::parse_query;

/// The fields of a posted form, in order.
pub(crate) fn body_values(body: &Bytes) -> RawValues {
    parse_query(&String::from_utf8_lossy(body))
}

/// The last value posted for `name`, trimmed (empty when absent).
pub(crate) fn field(form: &RawValues, name: &str) -> String {
    form.iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_default()
}

/// The answer to a form post that changed request `id`: back to its page.
fn see_request(id: i64) -> Response {
    Redirect::to(&format!("/requests/{id}")).into_response()
}
