//! The frame around every page: product name, navigation, who is signed in.

use crate::api::{nav_counts, whoami};
use leptos::prelude::*;
use leptos_router::components::A;
use runway_domain::user::User;

#[component]
pub fn Header() -> impl IntoView {
    let me = crate::resource::load(|| (), |_| whoami());
    view! {
        <header class="site-header">
            <div class="container header-inner">
                <a class="brand" href="/">"Runway"</a>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        match me.await {
                            Ok(Some(user)) => view! { <SignedInNav user /> }.into_any(),
                            _ => ().into_any(),
                        }
                    })}
                </Transition>
            </div>
        </header>
    }
}

#[component]
fn SignedInNav(user: User) -> impl IntoView {
    let teams = if user.teams.is_empty() {
        "no team".to_string()
    } else {
        user.teams
            .iter()
            .map(|m| {
                if m.is_lead {
                    format!("{} (lead)", m.team)
                } else {
                    m.team.clone()
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let role = user.role_label();
    let counts = crate::resource::load(|| (), |_| async { nav_counts().await.unwrap_or_default() });
    view! {
        <nav class="main-nav" aria-label="Main">
            <ul>
                <li>
                    <A href="/" exact=true>"Catalogue"</A>
                </li>
                <li>
                    <A href="/requests">"Requests"</A>
                </li>
                <li>
                    <A href="/approvals">"Approvals" <Badge n=move || counts.get().map(|c| c.approvals) /></A>
                </li>
                <li>
                    <A href="/inbox">"Inbox" <Badge n=move || counts.get().map(|c| c.inbox) /></A>
                </li>
                {(user.is_admin || user.teams.iter().any(|m| m.is_lead)).then(|| view! {
                    <li>
                        <A href="/catalog/new">"New action"</A>
                    </li>
                })}
                {user.is_admin.then(|| view! {
                    <li>
                        <A href="/admin/catalog">"Catalogue health"</A>
                    </li>
                    <li>
                        <A href="/admin/audit">"Audit"</A>
                    </li>
                })}
                // The links that depend on the counts, from one closure.
                <Transition fallback=|| ()>
                    {move || {
                        let c = counts.get().unwrap_or_default();
                        let mut links = Vec::new();
                        if c.discover {
                            links.push(view! { <li><A href="/admin/discover">"Discover"</A></li> }.into_any());
                        }
                        if c.impact {
                            links.push(view! { <li><A href="/impact">"Impact"</A></li> }.into_any());
                        }
                        if c.pulse > 0 {
                            // The count inline: a Badge's own Transition nested in this one does
                            // not hydrate.
                            let n = c.pulse;
                            links.push(view! {
                                <li><A href="/pulse">"Pulse" <span class="badge badge-count" aria-label=format!("{n} waiting")>{n}</span></A></li>
                            }.into_any());
                        }
                        links
                    }}
                </Transition>
            </ul>
        </nav>
        <div class="user-area">
            <span class="user-name" data-testid="user-name">{user.name}</span>
            <span class="user-teams muted" data-testid="user-teams">{format!("{role} · {teams}")}</span>
            <A href="/settings/notifications">"Notifications"</A>
            <A href="/settings/tokens">"API tokens"</A>
            // A real form: signing out works without JavaScript, and the POST is CSRF-checked.
            <form method="post" action="/auth/logout" class="sign-out">
                <button type="submit">"Sign out"</button>
            </form>
        </div>
    }
}

#[component]
pub fn Footer() -> impl IntoView {
    view! {
        <footer class="site-footer">
            <div class="container">
                <p class="muted">
                    "Runway: self-service for your platform. Missing something? Ask the platform team to add it to the catalogue."
                    " "
                    <a href="/api/v1/docs" rel="external">"API reference"</a>
                </p>
            </div>
        </footer>
    }
}

/// A count next to a navigation link, shown when above zero.
#[component]
fn Badge(n: impl Fn() -> Option<usize> + Send + Sync + 'static) -> impl IntoView {
    view! {
        <Transition fallback=|| ()>
            {move || n().filter(|c| *c > 0).map(|c| view! { <span class="badge badge-count" aria-label=format!("{c} waiting")>{c}</span> })}
        </Transition>
    }
}
