//! The catalogue: every action the viewer may see, with instant search and category filters.
//!
//! Without JavaScript the search box is a plain GET form and the category chips are links; the server
//! renders the filtered list from the query string. With JavaScript the same list filters as the user
//! types, using the same matching function ([`runway_domain::view::filter_with`]; the browser
//! lowercases with JavaScript's `toLowerCase`, the server with Rust's).

use crate::api::list_actions;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use runway_domain::view::{categories, encode_query_value, filter_with, ActionCard};

#[component]
pub fn CatalogPage() -> impl IntoView {
    let query = use_query_map();
    let initial_q = query.read_untracked().get("q").unwrap_or_default();
    let (search, set_search) = signal(initial_q);
    let category = Memo::new(move |_| query.read().get("category").filter(|c| !c.is_empty()));
    let cards = crate::resource::load(|| (), |_| list_actions());

    view! {
        <Title text="Catalogue" />
        <section class="catalog">
            <h1>"Self-service catalogue"</h1>
            <p class="lead">
                "Pick what you need, fill in a short form, and watch it happen. No ticket required."
            </p>
            <form class="search" method="get" action="/" role="search">
                <label for="q" class="visually-hidden">"Search actions"</label>
                <input
                    id="q"
                    name="q"
                    type="search"
                    placeholder="Search actions, e.g. repository, certificate, database"
                    autocomplete="off"
                    value=move || search.get()
                    on:input=move |ev| set_search.set(event_target_value(&ev))
                />
                {move || category.get().map(|c| view! { <input type="hidden" name="category" value=c /> })}
                <button type="submit">"Search"</button>
            </form>
            <Suspense fallback=|| view! { <p class="muted">"Loading the catalogue…"</p> }>
                {move || Suspend::new(async move {
                    match cards.await {
                        Ok(all) => view! { <CatalogResults all search category /> }.into_any(),
                        Err(e) => view! { <p class="notice notice-error" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// Category chips and the card grid for the current search.
#[component]
fn CatalogResults(
    all: Vec<ActionCard>,
    search: ReadSignal<String>,
    category: Memo<Option<String>>,
) -> impl IntoView {
    let cats = categories(&all);
    let all = StoredValue::new(all);
    let chip_href = move |cat: Option<&str>| {
        let mut params = Vec::new();
        let q = search.get();
        if !q.trim().is_empty() {
            params.push(format!("q={}", encode_query_value(q.trim())));
        }
        if let Some(c) = cat {
            params.push(format!("category={}", encode_query_value(c)));
        }
        if params.is_empty() {
            "/".to_string()
        } else {
            format!("/?{}", params.join("&"))
        }
    };
    let visible = move || {
        all.with_value(|cards| {
            filter_with(cards, &search.get(), category.get().as_deref(), lowercase)
                .into_iter()
                .cloned()
                .collect::<Vec<_>>()
        })
    };
    view! {
        <nav class="category-filters" aria-label="Categories">
            <ul>
                <li>
                    <a class="chip" href=move || chip_href(None) aria-current=move || category.get().is_none().then_some("page")>
                        "All"
                    </a>
                </li>
                {cats
                    .into_iter()
                    .map(|c| {
                        let label = c.clone();
                        let current = c.clone();
                        view! {
                            <li>
                                <a
                                    class="chip"
                                    href=move || chip_href(Some(&c))
                                    aria-current=move || (category.get().as_deref() == Some(current.as_str())).then_some("page")
                                >
                                    {label}
                                </a>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </nav>
        <p class="result-count" aria-live="polite">
            {move || {
                let n = visible().len();
                if n == 1 { "1 action".to_string() } else { format!("{n} actions") }
            }}
        </p>
        {move || {
            let shown = visible();
            if shown.is_empty() {
                view! {
                    <p class="empty">"No actions match your search. Try fewer words, or another category."</p>
                }
                    .into_any()
            } else {
                view! {
                    <ul class="card-grid">
                        {shown.into_iter().map(|card| view! { <Card card /> }).collect_view()}
                    </ul>
                }
                    .into_any()
            }
        }}
    }
}

#[component]
fn Card(card: ActionCard) -> impl IntoView {
    let href = format!("/actions/{}", card.id);
    view! {
        <li class="card" data-action=card.id.clone()>
            <article>
                <h2 class="card-title">
                    <a href=href>{card.title}</a>
                </h2>
                {card.beta.then(|| view! { <span class="badge badge-beta" title="Available to early-adopter teams">"Beta"</span> })}
                {card.deprecated.then(|| view! { <span class="badge badge-deprecated" title="Still works; its page names what to use instead">"Deprecated"</span> })}
                <p class="card-summary">{card.summary}</p>
                <dl class="card-meta">
                    <div>
                        <dt>"Category"</dt>
                        <dd>{card.category}</dd>
                    </div>
                    <div>
                        <dt>"Owner"</dt>
                        <dd>{card.owner}</dd>
                    </div>
                    {card.estimate.map(|e| view! {
                        <div>
                            <dt>"Usually takes"</dt>
                            <dd>{e}</dd>
                        </div>
                    })}
                </dl>
            </article>
        </li>
    }
}

/// Unicode lowercase: JavaScript's `toLowerCase` in the browser (no case tables in the WebAssembly,
/// see [`runway_domain::view::matches_with`]), Rust's on the server.
fn lowercase(s: &str) -> String {
    #[cfg(feature = "hydrate")]
    {
        String::from(web_sys::js_sys::JsString::from(s).to_lower_case())
    }
    #[cfg(not(feature = "hydrate"))]
    {
        s.to_lowercase()
    }
}
