//! The browser entry point: installs a panic hook and hydrates the server-rendered page, after
//! loading the lazily split module of the page's route, if it has one (`runway_app::lazy`).

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Leptos's own executor starts inside `hydrate_from_async`; the browser's drives this task.
    wasm_bindgen_futures::spawn_local(async {
        let body = leptos::prelude::document().body();
        let Some(body) = body else { return };
        let owner = leptos::mount::hydrate_from_async(body, runway_app::App).await;
        owner.forget();
        // Hydrated, the page's lazily loaded module included; one more turn lets the effects
        // hydration queued (the page title, say) run. The marker tells tests (and curious humans
        // in devtools) that the page is now interactive.
        leptos::task::tick().await;
        if let Some(root) = leptos::prelude::document().document_element() {
            let _ = root.set_attribute("data-hydrated", "true");
        }
    });
}
