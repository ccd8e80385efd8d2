//! The state every plain axum handler and middleware receives. A leaf module: handlers, guards and
//! the router all take it from here, so none of them imports the router.

use leptos::config::LeptosOptions;
use runway_core::auth::oidc::Oidc;
use runway_core::state::Runway;
use std::sync::Arc;

/// Shared state for the non-Leptos handlers. Every middleware and handler takes a copy of it, so
/// a copy is one reference count ([`AppStateInner`] behind an `Arc`), not one per field.
#[derive(Clone)]
pub struct AppState(Arc<AppStateInner>);

impl AppState {
    pub fn new(inner: AppStateInner) -> Self {
        Self(Arc::new(inner))
    }
}

impl std::ops::Deref for AppState {
    type Target = AppStateInner;
    fn deref(&self) -> &AppStateInner {
        &self.0
    }
}

/// What [`AppState`] holds.
pub struct AppStateInner {
    pub runway: Runway,
    pub leptos: LeptosOptions,
    /// The OpenID Provider; `None` in development sign-in mode.
    pub oidc: Option<Arc<Oidc>>,
    /// This process's Prometheus metrics.
    pub metrics: Arc<crate::metrics::Metrics>,
    /// The API's event streams open per token.
    pub streams: Arc<crate::api::limits::Streams>,
    /// Cancelled when the process starts shutting down (event streams end then).
    pub stopping: tokio_util::sync::CancellationToken,
    /// The Slack client for inbound Slack calls, made once (it keeps who is who for a few
    /// minutes); `None` when Slack is not set up.
    pub slack: Option<runway_core::slack::api::SlackApi>,
}

impl axum::extract::FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos.clone()
    }
}
