//! The catalogue editor's form posts: publish, save a draft, roll back, change the rollout, change
//! the lifecycle. Each calls its `core::editor` use case (which checks who may). A refused publish
//! never loses the admin's work: the answer page carries their YAML and note in a form to send again.

use crate::error::{bad_request, conflict, Error};
use crate::html::{self, escape};
use crate::requests::{body_values, field};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use runway_core::editor::{self, drafts, ChangeKind, EditError, Publish};
use runway_domain::problem::Problem;
use runway_domain::user::User;

/// A posted text area as typed: browsers send its line breaks as CRLF.
fn text_area(form: &runway_domain::form::RawValues, name: &str) -> String {
    form.iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.replace("\r\n", "\n"))
        .unwrap_or_default()
}

/// `POST /catalog/publish` (fields `yaml`, `base`, `note`): publishes, then shows the action.
pub async fn publish(
    State(state): State<AppState>,
    Extension(user): Extension<User>,
    body: Bytes,
) -> Result<Response, Error> {
    let form = body_values(&body);
    let yaml = text_area(&form, "yaml");
    let base = Some(field(&form, "base")).filter(|b| !b.is_empty());
    let note = field(&form, "note");
    let original_id = Some(field(&form, "id")).filter(|i| !i.is_empty());
    let change = Publish {
        yaml: yaml.clone(),
        original_id: original_id.clone(),
        base: base.clone(),
        note: note.clone(),
        kind: ChangeKind::Publish,
    };
    match editor::publish(&state.runway, &user, change).await {
        Ok(p) => Ok(Redirect::to(&format!("/actions/{}", p.id)).into_response()),
        Err(EditError::Invalid(problems)) => Ok(again(
            StatusCode::UNPROCESSABLE_ENTITY,
            "The action has problems",
            &problems_html(&problems),
            &yaml,
            base.as_deref(),
            &note,
        )),
        Err(EditError::BadValue(why)) => Ok(again(
            StatusCode::UNPROCESSABLE_ENTITY,
            "The action cannot be published like this",
            &html::paragraph(&why),
            &yaml,
            base.as_deref(),
            &note,
        )),
        Err(EditError::NoteRequired) => Ok(again(
            StatusCode::UNPROCESSABLE_ENTITY,
            "A change note is required",
            "<p>Say in a sentence what changed and why: it becomes the version's note (and the git commit message).</p>",
            &yaml,
            base.as_deref(),
            &note,
        )),
        Err(EditError::Conflict {
            current,
            current_base,
        }) => Ok(conflict_page(&yaml, &current, &current_base, &note)),
        Err(e) => Err(e.into()),
    }
}

/// `POST /catalog/draft` (fields `yaml`, `base`): saves a draft, back to the editor.
pub async fn save_draft(
    State(state): State<AppState>,
    Extension(user): Extension<User>,
    body: Bytes,
) -> Result<Response, Error> {
    let form = body_values(&body);
    let yaml = text_area(&form, "yaml");
    let base = Some(field(&form, "base")).filter(|b| !b.is_empty());
    match drafts::save(&state.runway, &user, &yaml, base.clone()).await {
        Ok(id) => Ok(Redirect::to(&format!("/actions/{id}/edit?saved=1")).into_response()),
        Err(EditError::BadValue(why)) => Ok(again(
            StatusCode::UNPROCESSABLE_ENTITY,
            "The draft cannot be saved yet",
            &html::paragraph(&format!(
                "A draft needs at least a valid id and owner, which decide who may see it ({why})."
            )),
            &yaml,
            base.as_deref(),
            "",
        )),
        Err(e) => Err(e.into()),
    }
}

/// `POST /actions/{id}/rollback` (fields `hash`, `note`).
pub async fn rollback(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Extension(user): Extension<User>,
    body: Bytes,
) -> Result<Response, Error> {
    let form = body_values(&body);
    let result = editor::rollback(
        &state.runway,
        &user,
        &id,
        &field(&form, "hash"),
        &field(&form, "note"),
    )
    .await;
    to_history(&id, result)
}

/// `POST /actions/{id}/rollout` (fields `visible_to`: `all` or teams separated by commas; `note`).
pub async fn rollout(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Extension(user): Extension<User>,
    body: Bytes,
) -> Result<Response, Error> {
    let form = body_values(&body);
    let result = editor::rollout(
        &state.runway,
        &user,
        &id,
        &field(&form, "visible_to"),
        &field(&form, "note"),
    )
    .await;
    to_history(&id, result)
}

/// `POST /actions/{id}/lifecycle` (fields `status`: active, deprecated or retired; `replacement`;
/// `note`).
pub async fn lifecycle(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Extension(user): Extension<User>,
    body: Bytes,
) -> Result<Response, Error> {
    let form = body_values(&body);
    let result = editor::set_lifecycle(
        &state.runway,
        &user,
        &id,
        &field(&form, "status"),
        &field(&form, "replacement"),
        &field(&form, "note"),
    )
    .await;
    to_history(&id, result)
}

fn to_history(id: &str, result: Result<editor::Published, EditError>) -> Result<Response, Error> {
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/actions/{id}/history")).into_response()),
        Err(EditError::Invalid(problems)) => Err(bad_request(
            "The change would make the action invalid",
            problems
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
        )),
        Err(EditError::Conflict { .. }) => Err(conflict(
            "The action changed meanwhile",
            "Someone changed this action while you were deciding. Open its history again and retry.",
        )),
        Err(e) => Err(e.into()),
    }
}

fn problems_html(problems: &[Problem]) -> String {
    let items: String = problems
        .iter()
        .map(|p| {
            let at = match (p.line, p.field.is_empty()) {
                (Some(l), false) => format!("line {l}, {}: ", p.field),
                (Some(l), true) => format!("line {l}: "),
                (None, false) => format!("{}: ", p.field),
                (None, true) => String::new(),
            };
            format!("<li>{}{}</li>", escape(&at), escape(&p.message))
        })
        .collect();
    format!("<p>Nothing was published. Fix these and publish again:</p><ul class=\"problems\" data-testid=\"publish-problems\">{items}</ul>")
}

/// The form to send the same YAML again (so nothing typed is lost), under `message_html`.
fn again(
    status: StatusCode,
    title: &str,
    message_html: &str,
    yaml: &str,
    base: Option<&str>,
    note: &str,
) -> Response {
    let body = format!(
        "{message_html}{}",
        resubmit_form(yaml, base.unwrap_or_default(), note, "Publish")
    );
    html::page(status, title, body)
}

fn resubmit_form(yaml: &str, base: &str, note: &str, button: &str) -> String {
    format!(
        "<form method=\"post\" action=\"/catalog/publish\" class=\"editor-again\">\
         <input type=\"hidden\" name=\"base\" value=\"{base}\">\
         <p><label for=\"again-yaml\">YAML</label><br><textarea id=\"again-yaml\" name=\"yaml\" rows=\"24\" cols=\"100\" spellcheck=\"false\">{yaml}</textarea></p>\
         <p><label for=\"again-note\">Change note</label><br><input id=\"again-note\" name=\"note\" size=\"80\" value=\"{note}\"></p>\
         <p><button type=\"submit\" class=\"primary\">{button}</button> \
         <button type=\"submit\" formaction=\"/catalog/draft\" class=\"secondary\">Save draft</button></p></form>",
        base = escape(base),
        yaml = escape(yaml),
        note = escape(note),
        button = escape(button),
    )
}

/// 409: someone published this action after the editor opened it. Both versions side by side, and
/// the person's own text kept in a form that publishes over the current one only when they choose.
fn conflict_page(mine: &str, current: &str, current_base: &str, note: &str) -> Response {
    let body = format!(
        "<p>Someone changed this action after you opened it. Nothing was overwritten. Compare the two \
         versions, then publish yours over theirs, or start again from theirs.</p>\
         <div class=\"diff-pair\" data-testid=\"conflict\"><section><h2>Published now</h2><pre>{current}</pre></section>\
         <section><h2>Yours</h2><pre>{mine_shown}</pre></section></div>\
         <h2>Publish yours over theirs</h2>{form}",
        current = escape(current),
        mine_shown = escape(mine),
        form = resubmit_form(mine, current_base, note, "Publish mine over theirs"),
    );
    html::page(StatusCode::CONFLICT, "This action changed meanwhile", body)
}
