//! Server functions of the catalogue editor: open an action (or its draft), start a new one from a
//! template, check a text with the loader's rules, render a description's Markdown. Publishing and
//! saving drafts are plain form posts (`server::editor`), so they work without JavaScript.

use crate::error::AppError;
use leptos::prelude::*;
use runway_domain::edit::{DraftLink, EditorData};
use runway_domain::problem::Problem;

#[cfg(feature = "ssr")]
use super::{reject, runway, unavailable, user};

#[cfg(feature = "ssr")]
fn edit_error(e: runway_core::editor::EditError) -> AppError {
    use runway_core::editor::EditError as E;
    match e {
        E::NotFound => reject(AppError::NotFound),
        E::Forbidden => reject(AppError::Forbidden),
        other => unavailable("catalogue editor")(other),
    }
}

/// The editor's start for action `id`: its draft if one is saved, else the file as it is now.
#[server(endpoint = "catalog/editor/open")]
pub async fn editor_open(id: String) -> Result<EditorData, AppError> {
    let user = user().await?;
    let rw = runway()?;
    let opened = runway_core::editor::open(&rw, &user, &id)
        .await
        .map_err(edit_error)?;
    let is_new = opened.source.base.is_empty();
    Ok(EditorData {
        id,
        yaml: opened.source.text,
        base: opened.source.base,
        is_new,
        draft: opened
            .draft
            .map(|d| d.saved_at.format("%Y-%m-%d %H:%M UTC").to_string()),
        teams: user.team_names(),
        read_only: opened.read_only,
    })
}

/// A new action from the template of executor `kind` (`manual`, `script`, `webhook`), owned by the
/// caller's first team they lead (or `platform` for admins).
#[server(endpoint = "catalog/editor/new")]
pub async fn editor_new(kind: String) -> Result<EditorData, AppError> {
    use runway_domain::spec::ExecutorKind;
    let user = user().await?;
    if !runway_core::editor::may_create(&user) {
        return Err(reject(AppError::Forbidden));
    }
    let kind = match kind.as_str() {
        "script" => ExecutorKind::Script,
        "webhook" => ExecutorKind::Webhook,
        _ => ExecutorKind::Manual,
    };
    let owner = user
        .teams
        .iter()
        .find(|m| m.is_lead)
        .map(|m| m.team.clone())
        .unwrap_or_else(|| "platform".to_string());
    Ok(EditorData {
        id: String::new(),
        yaml: runway_domain::edit::template(kind, &owner),
        base: String::new(),
        is_new: true,
        draft: None,
        teams: user.team_names(),
        read_only: false,
    })
}

/// Every problem publishing `yaml` would meet, with the loader's checks (script present, id matching
/// the file name) that the browser cannot make.
#[server(endpoint = "catalog/editor/check")]
pub async fn editor_check(yaml: String) -> Result<Vec<Problem>, AppError> {
    let user = user().await?;
    let rw = runway()?;
    runway_core::editor::check(&rw, &user, yaml)
        .await
        .map_err(edit_error)
}

/// A description rendered and sanitised exactly as the action page will show it.
#[server(endpoint = "catalog/editor/markdown")]
pub async fn editor_markdown(text: String) -> Result<String, AppError> {
    let user = user().await?;
    if !runway_core::editor::may_create(&user) {
        return Err(reject(AppError::Forbidden));
    }
    Ok(runway_core::markdown::render(&text))
}

/// The drafts the caller may read (admins: all; others: their teams'), newest first.
#[server(endpoint = "catalog/editor/drafts")]
pub async fn editor_drafts() -> Result<Vec<DraftLink>, AppError> {
    let user = user().await?;
    let rw = runway()?;
    let drafts = runway_core::editor::drafts::list(&rw, &user)
        .await
        .map_err(edit_error)?;
    Ok(drafts
        .into_iter()
        .map(|d| DraftLink {
            id: d.action_id,
            owner: d.owner,
            saved_at: d.saved_at.format("%Y-%m-%d %H:%M UTC").to_string(),
        })
        .collect())
}
