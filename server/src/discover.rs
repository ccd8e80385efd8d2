//! Plain routes of the Discover page (admins): record a decision about a group, and draft a
//! catalogue action from a group. Form posts that work without JavaScript; each answers with a
//! redirect (back to the page, or to the new draft's action page).

use crate::error::{bad_request, forbidden, Error};
use crate::requests::{body_values, field};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use runway_core::discover;
use runway_discover::cluster::GroupId;
use runway_discover::decisions::Decision;
use runway_domain::user::User;

fn admins_only(user: &User) -> Result<(), Error> {
    if user.is_admin {
        Ok(())
    } else {
        Err(forbidden(
            "Admins only",
            "Discover is for the platform team's admins.",
        ))
    }
}

/// `POST /admin/discover/{source}/groups/{group}/decide`: `kind` = rename, merge, split or
/// dismiss, and `value` = the new name, the group to merge into, or the word that splits.
pub async fn decide(
    State(state): State<AppState>,
    Path((source, group)): Path<(String, String)>,
    Extension(user): Extension<User>,
    body: Bytes,
) -> Result<Response, Error> {
    admins_only(&user)?;
    let form = body_values(&body);
    let value = field(&form, "value");
    let group = GroupId(group);
    let decision = match field(&form, "kind").as_str() {
        "rename" => Decision::Rename {
            group,
            label: value,
        },
        "merge" => Decision::Merge {
            group,
            into: GroupId(value),
        },
        "split" => Decision::Split { group, word: value },
        "dismiss" => Decision::Dismiss { group },
        _ => {
            return Err(bad_request(
                "Unknown decision",
                "Choose rename, merge, split or dismiss.",
            ))
        }
    };
    discover::decide(&state.runway.db, &source, &decision, &user.name).await?;
    Ok(Redirect::to(&format!("/admin/discover?source={source}")).into_response())
}

/// `POST /admin/discover/{source}/groups/{group}/draft`: writes a draft action for the group into
/// the catalogue directory (owned by the form's `owner`, default `platform`), reloads the
/// catalogue, and shows the new action.
pub async fn draft(
    State(state): State<AppState>,
    Path((source, group)): Path<(String, String)>,
    Extension(user): Extension<User>,
    body: Bytes,
) -> Result<Response, Error> {
    admins_only(&user)?;
    let owner = match field(&body_values(&body), "owner") {
        o if o.is_empty() => "platform".to_string(),
        o => o,
    };
    if runway_domain::ids::TeamName::parse(&owner).is_err() {
        return Err(bad_request(
            "Not a team name",
            "The owner must be a catalogue team name: lowercase letters, digits and hyphens.",
        ));
    }
    let runway = &state.runway;
    let path = discover::draft_action(
        &runway.db,
        runway.catalog.dir(),
        &source,
        &GroupId(group),
        &owner,
    )
    .await?;
    if let Err(e) = runway.catalog.reload().await {
        return Err(crate::error::internal(
            "reloading the catalogue after a draft",
            e,
        ));
    }
    let id = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(Redirect::to(&format!("/actions/{id}")).into_response())
}
