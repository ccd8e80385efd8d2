//! The page for any path that matches no route.

use crate::api::set_status;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NotFound() -> impl IntoView {
    set_status(404);
    view! {
        <Title text="Page not found" />
        <section class="notice">
            <h1>"Page not found"</h1>
            <p>
                "There is nothing at this address. "
                <a href="/">"Go to the catalogue"</a>
            </p>
        </section>
    }
}
