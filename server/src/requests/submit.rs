//! `POST /actions/{id}/submit`: an action's form becomes a request.

use super::{body_values, see_request};
use crate::error::Error;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use runway_core::requests::{self, SubmitError};
use runway_core::state::Runway;
use runway_domain::form::RawValues;
use runway_domain::spec::FieldKind;
use runway_domain::user::User;
use runway_domain::view::encode_query_value;

/// Validate and create the request, then show it; on mistakes, back to the form with the values
/// kept (secrets excepted) and every error shown.
pub async fn submit(
    State(state): State<AppState>,
    Path(action_id): Path<String>,
    Extension(user): Extension<User>,
    body: Bytes,
) -> Result<Response, Error> {
    let rw = &state.runway;
    let posted = body_values(&body);
    let key = posted
        .iter()
        .rev()
        .find(|(k, _)| k == runway_app::pages::form::KEY_FIELD)
        .map(|(_, v)| v.clone())
        .filter(|k| !k.is_empty() && k.len() <= 64);
    let fields: RawValues = posted
        .into_iter()
        .filter(|(k, _)| !k.starts_with('_'))
        .collect();
    match requests::submit(rw, &user, &action_id, &fields, key).await {
        Ok(id) => Ok(see_request(id)),
        // The page validates again and shows every error beside its field.
        Err(SubmitError::Invalid(_)) => Ok(back_to_form(rw, &action_id, &fields)),
        Err(e) => Err(e.into()),
    }
}

/// The action's page with `fields` filled in again (never its secret fields) and `_invalid=1`.
fn back_to_form(rw: &Runway, action_id: &str, fields: &RawValues) -> Response {
    let secret_names: Vec<String> = rw
        .catalog
        .snapshot()
        .actions
        .get(action_id)
        .map(|a| {
            a.spec
                .inputs
                .iter()
                .filter(|f| matches!(f.kind, FieldKind::Secret { .. }))
                .map(|f| f.name.to_string())
                .collect()
        })
        .unwrap_or_default();
    let mut query: Vec<String> = fields
        .iter()
        .filter(|(k, _)| !secret_names.contains(k))
        .map(|(k, v)| format!("{}={}", encode_query_value(k), encode_query_value(v)))
        .collect();
    query.push("_invalid=1".into());
    Redirect::to(&format!(
        "/actions/{}?{}#form",
        encode_query_value(action_id),
        query.join("&")
    ))
    .into_response()
}
