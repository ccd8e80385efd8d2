//! Server function of the API tokens page. Making and revoking tokens are plain form posts
//! (`server::tokens`), so they work without JavaScript and a new token is shown once, in the
//! answer to the post itself, and never stored.

use crate::error::AppError;
use leptos::prelude::*;
use runway_domain::token::TokensPage;

#[cfg(feature = "ssr")]
use super::{runway, unavailable, user};

/// The caller's tokens, the service tokens they manage, and the choices for a new one.
#[server(endpoint = "tokens/page")]
pub async fn get_tokens() -> Result<TokensPage, AppError> {
    let user = user().await?;
    let rw = runway()?;
    runway_core::tokens::page(&rw, &user)
        .await
        .map_err(unavailable("cannot list API tokens"))
}
