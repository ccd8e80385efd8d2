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
    /// The lazily loaded pages' modules, for a lazy page's `<head>` to name those it needs; none
    /// when the build has no manifest.
    pub split: Option<std::sync::Arc<LazyModules>>,
}

/// What each lazily loaded page ([`lazy`]) needs fetched: the build's split manifest, read once.
///
/// A lazy page rendered on the server names these in its `<head>` (`rel="preload"`), so the browser
/// fetches them with the main module instead of after it. Leptos's own list (from its
/// `WasmSplitManifest`) was filled in a race with the render and was there in about one page in
/// three; this one is filled by the page itself while it renders ([`lazy`]'s pages call
/// [`LazyModules::name_in_head`]).
#[derive(Clone, Debug, Default)]
pub struct LazyModules {
    /// The loader the main module imports the lazy modules with: `/pkg/__wasm_split.<hash>.js`.
    loader: String,
    /// Each lazy page's modules as addresses (`/pkg/<name>.wasm`), by the page's type name in
    /// snake case (`action_history`).
    by_page: std::collections::HashMap<String, Vec<String>>,
}

impl LazyModules {
    /// From the build's split manifest: its keys are `__<page>_view_<digits>` (the page's type name
    /// in snake case, then the number `#[lazy_route]` gives it), its values the modules' file stems
    /// in `pkg` (`/pkg`). Other keys are left out. Done once, at start-up.
    pub fn from_manifest(
        pkg: &str,
        loader: &str,
        manifest: std::collections::HashMap<String, Vec<String>>,
    ) -> Self {
        let by_page = manifest
            .into_iter()
            .filter_map(|(key, stems)| {
                let (page, number) = key.strip_prefix("__")?.rsplit_once("_view_")?;
                if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                let files = stems.iter().map(|s| format!("{pkg}/{s}.wasm")).collect();
                Some((page.to_string(), files))
            })
            .collect();
        Self {
            loader: format!("{pkg}/{loader}"),
            by_page,
        }
    }

    /// The loader's address.
    pub fn loader(&self) -> &str {
        &self.loader
    }

    /// The modules of the lazy page with this type name (`EditAction`), if the manifest has it.
    pub fn of(&self, page: &str) -> Option<&[String]> {
        let mut snake = String::with_capacity(page.len() + 4);
        for (i, c) in page.chars().enumerate() {
            if c.is_ascii_uppercase() && i > 0 {
                snake.push('_');
            }
            snake.push(c.to_ascii_lowercase());
        }
        self.by_page.get(&snake).map(Vec::as_slice)
    }

    /// Names the modules of the lazy page with this type name, and their loader, in the `<head>`
    /// of the page being rendered (through `leptos_meta`, like `<Title>`). Nothing without a
    /// manifest (a build without lazy pages, or `cargo test` without a site).
    #[cfg(feature = "ssr")]
    pub fn name_in_head(page: &str) {
        use leptos_meta::Link;
        let Some(lazy) = use_context::<std::sync::Arc<LazyModules>>() else {
            return;
        };
        let Some(modules) = lazy.of(page) else {
            return;
        };
        // `anonymous`: the credentials mode the loader's `fetch` and module imports use, so the
        // browser hands them what it preloaded.
        for module in modules {
            let _ = view! {
                <Link rel="preload" href=module.clone() as_="fetch" type_="application/wasm" crossorigin="anonymous" />
            }
            .to_html();
        }
        let _ = view! { <Link rel="modulepreload" href=lazy.loader().to_string() crossorigin="anonymous" /> }
            .to_html();
    }
}

/// The HTML document around the app, rendered on the server only.
pub fn shell(assets: PageAssets) -> impl IntoView {
    // Our own type, not Leptos's `WasmSplitManifest`: Leptos's integration would add its own,
    // racy, copy of the same links.
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

#[cfg(test)]
mod tests {
    use super::LazyModules;

    #[test]
    fn a_lazy_page_finds_its_own_modules_by_its_type_name() {
        let manifest = [
            ("__discover_view_27", "split___discover_view_27"),
            ("__discover_map_view_27", "split___discover_map_view_27"),
            ("__action_history_view_27", "split___action_history_view_27"),
            ("__pulse_view_", "no_digits"),
            ("__tokens_view_27x", "not_digits"),
            ("impact_view_27", "no_leading_underscores"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), vec![v.to_string()]))
        .collect();
        let lazy = LazyModules::from_manifest("/pkg", "__wasm_split.x.js", manifest);
        assert_eq!(lazy.loader(), "/pkg/__wasm_split.x.js");
        let one = |page| lazy.of(page).map(|m| m[0].as_str());
        assert_eq!(one("Discover"), Some("/pkg/split___discover_view_27.wasm"));
        assert_eq!(
            one("DiscoverMap"),
            Some("/pkg/split___discover_map_view_27.wasm")
        );
        assert_eq!(
            one("ActionHistory"),
            Some("/pkg/split___action_history_view_27.wasm")
        );
        assert_eq!(one("Pulse"), None, "the key ends in the macro's number");
        assert_eq!(one("Tokens"), None);
        assert_eq!(one("Impact"), None);
        assert_eq!(one("Audit"), None);
    }
}
