//! Manual requests: someone on the owning team takes one (`POST /requests/{id}/take`) and closes
//! it as done or failed with a note and results (`POST /requests/{id}/fulfil`).

use super::results::parse_result_lines;
use super::{body_values, field, see_request};
use crate::error::{about, bad_request, Error};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::Extension;
use runway_core::requests::fulfil::{self, Fulfilment};
use runway_domain::user::User;

/// Someone on the owning team takes a waiting manual request.
pub async fn take(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Extension(user): Extension<User>,
) -> Result<Response, Error> {
    fulfil::take(&state.runway, &user, id)
        .await
        .map_err(about(id))?;
    Ok(see_request(id))
}

/// Close a taken manual request as done or failed. Who may is checked before the form is read.
pub async fn fulfil(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Extension(user): Extension<User>,
    body: Bytes,
) -> Result<Response, Error> {
    let rw = &state.runway;
    let row = fulfil::fulfillable(rw, &user, id)
        .await
        .map_err(about(id))?;
    let done = fulfilment(&body).map_err(|e| e.back_to(id))?;
    fulfil::close(rw, &user, &row, &done)
        .await
        .map_err(about(id))?;
    Ok(see_request(id))
}

/// The fulfilment form: `outcome` (`done` or `failed`), a `note` for the requester, and result
/// lines in `outputs`.
fn fulfilment(body: &Bytes) -> Result<Fulfilment, Error> {
    let form = body_values(body);
    let note = field(&form, "note");
    let succeeded = match field(&form, "outcome").as_str() {
        "done" => true,
        "failed" => false,
        _ => {
            return Err(bad_request(
                "Choose done or failed",
                "Use the Mark done or Mark failed button.",
            ))
        }
    };
    if note.is_empty() || note.len() > 10_000 {
        return Err(bad_request(
            "A note is needed",
            "Tell the requester what you did (at most 10,000 characters).",
        ));
    }
    let outputs = parse_result_lines(&field(&form, "outputs"))
        .map_err(|e| bad_request("The results need fixing", e))?;
    Ok(Fulfilment {
        succeeded,
        note,
        outputs,
    })
}
