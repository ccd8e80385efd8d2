//! Server functions of Impact: the report, an action's own figures, the requester's ease rating of a
//! request, and the pulse rounds waiting for the caller. Changes are plain form posts
//! (`server::impact`), so they work without JavaScript.

use crate::error::AppError;
use leptos::prelude::*;
use runway_domain::impact::{ActionFigures, ImpactReport, OpenPulse, RatingView};

#[cfg(feature = "ssr")]
use super::{reject, runway, unavailable, user};

/// The Impact report over the last `days` days (30, 90, 180 or 365): admins and the catalogue's
/// owners, else `Forbidden`.
#[server(endpoint = "impact/report")]
pub async fn get_impact(days: u32) -> Result<ImpactReport, AppError> {
    let user = user().await?;
    let rw = runway()?;
    let days = if runway_core::impact::PERIODS.contains(&days) {
        days
    } else {
        90
    };
    runway_core::impact::report(&rw, &user, days)
        .await
        .map_err(unavailable("cannot compute the impact report"))?
        .ok_or_else(|| reject(AppError::Forbidden))
}

/// An action's own figures (last 90 days), for whoever may see the action.
#[server(endpoint = "catalog/figures")]
pub async fn get_action_figures(id: String) -> Result<ActionFigures, AppError> {
    let user = user().await?;
    let rw = runway()?;
    if rw
        .catalog
        .snapshot()
        .detail_for(&id, &runway_core::auth::viewer(&user))
        .is_none()
    {
        return Err(reject(AppError::NotFound));
    }
    runway_core::impact::action_figures(&rw, &id)
        .await
        .map_err(unavailable("cannot load an action's figures"))
}

/// The ease question of request `id` for its requester once it has ended; `None` for anyone else.
#[server(endpoint = "requests/rating")]
pub async fn get_rating(id: i64) -> Result<Option<RatingView>, AppError> {
    let user = user().await?;
    let rw = runway()?;
    runway_core::impact::rating::view(&rw, &user, id)
        .await
        .map_err(unavailable("cannot load a rating"))
}

/// The pulse rounds the caller may answer now.
#[server(endpoint = "impact/pulses")]
pub async fn get_open_pulses() -> Result<Vec<OpenPulse>, AppError> {
    let user = user().await?;
    let rw = runway()?;
    runway_core::impact::pulse::open_for(&rw, &user)
        .await
        .map_err(unavailable("cannot load open pulses"))
}
