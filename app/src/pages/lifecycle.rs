//! The notice a deprecated or retired action shows on its page: what happened, the action to use
//! instead (a link), and the owner's note. Retired pages show it in place of the request form.

use leptos::prelude::*;
use runway_domain::spec::LifecycleStatus;
use runway_domain::view::ActionLink;

#[component]
pub fn LifecycleNotice(
    status: LifecycleStatus,
    replacement: Option<ActionLink>,
    note: Option<String>,
) -> impl IntoView {
    let headline = match status {
        LifecycleStatus::Active => return ().into_any(),
        LifecycleStatus::Deprecated => "This action is deprecated.",
        LifecycleStatus::Retired => "This action is retired: it takes no new requests.",
    };
    view! {
        <section class="notice notice-lifecycle" role="note" aria-label="Lifecycle">
            <p>
                <strong>{headline}</strong>
                {replacement.map(|r| view! {
                    " Use "
                    <a href=format!("/actions/{}", r.id)>{r.title}</a>
                    " instead."
                })}
            </p>
            {note.map(|n| view! { <p>{n}</p> })}
        </section>
    }
    .into_any()
}
