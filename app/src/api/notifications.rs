//! Server function of the notifications page. Saving the choices is a plain form post
//! (`server::notifications`), so it works without JavaScript.

use crate::error::AppError;
use leptos::prelude::*;
use runway_domain::notify::NotificationsPage;

#[cfg(feature = "ssr")]
use super::{runway, unavailable, user};

/// The caller's choices, and for admins how delivery goes.
#[server(endpoint = "notifications/page")]
pub async fn get_notifications() -> Result<NotificationsPage, AppError> {
    let user = user().await?;
    let rw = runway()?;
    runway_core::notify::preferences::settings_page(&rw, &user)
        .await
        .map_err(unavailable("cannot read notification settings"))
}
