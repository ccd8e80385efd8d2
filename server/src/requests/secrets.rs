//! `POST /requests/{id}/secrets/{name}`: shows a secret output to its requester, once.

use crate::error::{about, Error};
use crate::html::{escape, page};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Extension;
use runway_core::requests;
use runway_domain::user::User;

pub async fn reveal(
    State(state): State<AppState>,
    Path((id, name)): Path<(i64, String)>,
    Extension(user): Extension<User>,
) -> Result<Response, Error> {
    let value = requests::reveal_secret(&state.runway, &user, id, &name)
        .await
        .map_err(about(id))?;
    Ok(page(
        StatusCode::OK,
        "Your secret",
        format!(
            "<p>Copy it now: it has been deleted from Runway and cannot be shown again.</p>\
             <pre class=\"secret\" data-testid=\"secret-value\">{}</pre><p><a href=\"/requests/{id}\">Back to the request</a></p>",
            escape(&value)
        ),
    ))
}
