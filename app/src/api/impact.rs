//! Server functions of Impact: the report and the pulse rounds waiting for the caller. An action's
//! own figures travel with the action page's data, the ease question with the request page's. Changes are plain form posts
//! (`server::impact`), so they work without JavaScript.

use crate::error::AppError;
use leptos::prelude::*;
use runway_domain::impact::{ImpactReport, OpenPulse};

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

/// The pulse rounds the caller may answer now.
#[server(endpoint = "impact/pulses")]
pub async fn get_open_pulses() -> Result<Vec<OpenPulse>, AppError> {
    let user = user().await?;
    let rw = runway()?;
    runway_core::impact::pulse::open_for(&rw, &user)
        .await
        .map_err(unavailable("cannot load open pulses"))
}
