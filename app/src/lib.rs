//! Runway's web application: Leptos components, routes and server functions.
//!
//! Compiled twice: with `ssr` into the server (rendering HTML and running server functions) and with
//! `hydrate` into the browser's WebAssembly (taking over the rendered page).
//!
//! - [`api`]: server functions, each a thin shell over `runway_core`.
//! - [`error`]: the one error type server functions return, safe to show to users.
//! - [`layout`]: the page frame: header, navigation, footer.
//! - [`lazy`]: the admins' and leads' pages, loaded in the browser only when opened.
//! - `messages` (server only): the words for `runway_core`'s refusals, shared with the server's
//!   plain routes.
//! - [`pages`]: one module per page.
//! - [`resource`]: page data loading, with one JSON reader compiled into the browser build.

pub mod api;
pub mod chart;
pub mod error;
pub mod layout;
pub mod lazy;
#[cfg(feature = "ssr")]
pub mod messages;
pub mod pages;
pub mod resource;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, Lazy, SsrMode};

/// The addresses of the built front end a page names, worked out once at start-up from the build's
/// hash file (`runway_server::assets::page_assets`): Leptos's `HashedStylesheet` and
/// `HydrationScripts` read that file again for every page (about 3 % of a page view's CPU) and
/// panicked if it had gone.
#[derive(Clone, Debug)]
pub struct PageAssets {
    /// `/pkg/runway.<hash>.css`.
    pub stylesheet: std::sync::Arc<str>,
    /// The script that loads and starts the WebAssembly: `/pkg/runway.<hash>.js`.
    pub script: std::sync::Arc<str>,
    /// The main WebAssembly module: `/pkg/runway.<hash>.wasm`.
    pub module: std::sync::Arc<str>,
    /// The lazily loaded pages' modules, for the page's `<head>` to name those it needs (Leptos's
    /// own type for it, read by its server integration); none when the build has no manifest.
    pub split: Option<leptos::WasmSplitManifest>,
}

/// The HTML document around the app, rendered on the server only.
pub fn shell(assets: PageAssets) -> impl IntoView {
    if let Some(split) = assets.split.clone() {
        provide_context(split);
    }
    let nonce = leptos::nonce::use_nonce();
    // What Leptos's `HydrationScripts` writes: fetch the script and the module early, then start.
    let start = format!(
        "import({:?}).then(m => m.default({{module_or_path: {:?}}}).then(() => m.hydrate()));",
        &*assets.script, &*assets.module
    );
    let module_cors = nonce.as_ref().map(|n| n.to_string()).unwrap_or_default();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <link id="leptos" rel="stylesheet" href=assets.stylesheet.to_string() />
                <link rel="modulepreload" href=assets.script.to_string() crossorigin=nonce.clone() />
                <link rel="preload" href=assets.module.to_string() r#as="fetch" r#type="application/wasm" crossorigin=module_cors />
                <script type="module" nonce=nonce>{start}</script>
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The application: layout and routes.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Title formatter=|text: String| if text.is_empty() { "Runway".to_string() } else { format!("{text} · Runway") } />
        <Router>
            <a class="skip-link" href="#main">"Skip to content"</a>
            <layout::Header />
            <main id="main" class="container" tabindex="-1">
                // Async rendering: each page's data is ready before the first byte, so the HTTP status
                // (404 for an unknown action) is correct and the page works without JavaScript.
                <Routes fallback=pages::not_found::NotFound>
                    <Route path=path!("/") view=pages::catalog::CatalogPage ssr=SsrMode::Async />
                    <Route path=path!("/actions/:id") view=pages::action::ActionPage ssr=SsrMode::Async />
                    <Route path=path!("/actions/:id/edit") view={Lazy::<lazy::EditAction>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/catalog/new") view={Lazy::<lazy::NewAction>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/actions/:id/history") view={Lazy::<lazy::ActionHistory>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/teams/:team") view={Lazy::<lazy::Team>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/requests") view=pages::history::HistoryPageView ssr=SsrMode::Async />
                    <Route path=path!("/requests/:id") view=pages::request::RequestPage ssr=SsrMode::Async />
                    <Route path=path!("/inbox") view={Lazy::<lazy::Inbox>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/approvals") view={Lazy::<lazy::Approvals>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/admin/catalog") view={Lazy::<lazy::CatalogHealth>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/admin/audit") view={Lazy::<lazy::Audit>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/admin/discover") view={Lazy::<lazy::Discover>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/admin/discover/map") view={Lazy::<lazy::DiscoverMap>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/impact") view={Lazy::<lazy::Impact>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/pulse") view={Lazy::<lazy::Pulse>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/settings/tokens") view={Lazy::<lazy::Tokens>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/settings/notifications") view={Lazy::<lazy::Notifications>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/signin") view=pages::signin::SignInPage ssr=SsrMode::Async />
                </Routes>
            </main>
            <layout::Footer />
        </Router>
    }
}
