//! The notifications page's form post: a person's choices of what they hear about, and where.
//! Behind the sign-in guard and the CSRF check like every form post; it changes only the caller's
//! own choices.

use crate::error::{bad_request, internal, Error};
use crate::requests::body_values;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use runway_domain::notify::{Notification, NotifyChannel};
use runway_domain::user::User;

/// `POST /settings/notifications`: every ticked `on=<notification>:<channel>` is switched on, every
/// other pair off.
pub async fn save(
    State(state): State<AppState>,
    Extension(user): Extension<User>,
    body: Bytes,
) -> Result<Response, Error> {
    let form = body_values(&body);
    let mut on = Vec::new();
    for (_, v) in form.iter().filter(|(k, _)| k == "on") {
        let pair = v.split_once(':').and_then(|(n, c)| {
            Some((
                Notification::parse(n.trim())?,
                NotifyChannel::parse(c.trim())?,
            ))
        });
        match pair {
            Some(p) => on.push(p),
            None => {
                return Err(bad_request(
                    "Please check the form",
                    "One of the choices is not a notification this page offers. Reload the page and try again.",
                ))
            }
        }
    }
    runway_core::notify::preferences::save(&state.runway, &user, &on)
        .await
        .map_err(|e| internal("cannot save notification choices", e))?;
    Ok(Redirect::to("/settings/notifications?saved=1").into_response())
}
