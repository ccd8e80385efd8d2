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

/// The HTML document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <AutoReload options=options.clone() />
                <HashedStylesheetOnce options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The stylesheet's `<link>`, as `leptos_meta::HashedStylesheet` renders it (`id="leptos"`, the
/// content-hashed name from the hash file), with each hash file read once per process:
/// `HashedStylesheet` read it for every page, a few per cent of a page's time. (Keyed by the hash
/// file: tests run sites with different files in one process.)
#[component]
fn HashedStylesheetOnce(options: LeptosOptions) -> impl IntoView {
    type Hrefs = std::sync::RwLock<std::collections::HashMap<String, String>>;
    static HREFS: std::sync::OnceLock<Hrefs> = std::sync::OnceLock::new();
    let hrefs = HREFS.get_or_init(Hrefs::default);
    let key = format!("{}\n{}", options.hash_file, options.output_name);
    let known = hrefs
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .get(&key)
        .cloned();
    let href = known.unwrap_or_else(|| {
        // Kept unless the hash file is still to be written (a server started before its build).
        let mut keep = true;
        let href = {
            let mut name = options.output_name.to_string();
            if options.hash_files {
                let hashes = std::env::current_exe()
                    .ok()
                    .and_then(|exe| exe.parent().map(|dir| dir.join(options.hash_file.as_ref())))
                    .and_then(|path| std::fs::read_to_string(path).ok())
                    .unwrap_or_default();
                if let Some(hash) = hashes.lines().find_map(|l| {
                    l.trim()
                        .split_once(':')
                        .filter(|(file, _)| *file == "css")
                        .map(|(_, hash)| hash.trim().to_string())
                }) {
                    name.push('.');
                    name.push_str(&hash);
                } else {
                    keep = false;
                }
            }
            format!("/{}/{name}.css", options.site_pkg_dir)
        };
        if keep {
            hrefs
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .insert(key, href.clone());
        }
        href
    });
    view! { <link id="leptos" rel="stylesheet" href=href /> }
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
