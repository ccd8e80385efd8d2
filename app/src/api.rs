//! Server functions: who is asking, call `runway_core`, map the error. Nothing else belongs here.

use crate::error::AppError;
use leptos::prelude::*;
use runway_domain::problem::Problem;
use runway_domain::view::{ActionCard, ActionDetail};
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
fn runway() -> Result<runway_core::state::Runway, AppError> {
    use_context::<runway_core::state::Runway>()
        .ok_or_else(|| AppError::internal("server context missing", "Runway state not provided"))
}

/// The catalogue cards the caller may see.
#[server(endpoint = "catalog/list")]
pub async fn list_actions() -> Result<Vec<ActionCard>, AppError> {
    let rw = runway()?;
    Ok(rw
        .catalog
        .snapshot()
        .cards_for(&runway_core::catalog::Viewer::everyone()))
}

/// One action's page, or `NotFound` when it does not exist or is not visible to the caller.
#[server(endpoint = "catalog/action")]
pub async fn get_action(id: String) -> Result<ActionDetail, AppError> {
    let rw = runway()?;
    rw.catalog
        .snapshot()
        .detail_for(&id, &runway_core::catalog::Viewer::everyone())
        .ok_or(AppError::NotFound)
}

/// The state of the last catalogue load, for the platform team.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CatalogHealthReport {
    pub directory: String,
    pub loaded_at: String,
    pub files_read: usize,
    pub actions: Vec<LoadedRow>,
    pub problems: Vec<Problem>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadedRow {
    pub id: String,
    pub title: String,
    pub file: String,
    pub version: String,
}

#[server(endpoint = "catalog/health")]
pub async fn catalog_health() -> Result<CatalogHealthReport, AppError> {
    let rw = runway()?;
    let snapshot = rw.catalog.snapshot();
    Ok(CatalogHealthReport {
        directory: rw.catalog.dir().display().to_string(),
        loaded_at: snapshot
            .loaded_at
            .format("%Y-%m-%d %H:%M:%S UTC")
            .to_string(),
        files_read: snapshot.files_read,
        actions: snapshot
            .actions
            .values()
            .map(|a| LoadedRow {
                id: a.spec.id.to_string(),
                title: a.spec.title.clone(),
                file: a.file.clone(),
                version: a.content_hash.chars().take(12).collect(),
            })
            .collect(),
        problems: snapshot.problems.clone(),
    })
}

/// Sets the HTTP status of the page being rendered on the server (no-op in the browser).
pub fn set_status(code: u16) {
    #[cfg(feature = "ssr")]
    if let (Some(options), Ok(status)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        http::StatusCode::from_u16(code),
    ) {
        options.set_status(status);
    }
    #[cfg(not(feature = "ssr"))]
    let _ = code;
}
