//! The two work queues: the fulfilment inbox (manual requests waiting for someone on the owning
//! team) and the approvals inbox (requests the viewer may approve). Both list newest first, a page
//! at a time, with an "Older" link (`?before=<id>`) and the inbox's total.

use crate::api::{get_approvals, get_inbox};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use runway_domain::view::InboxPage;

/// The `before` cursor in the page's query string.
fn before() -> impl Fn() -> Option<i64> + Copy + Send + Sync + 'static {
    let query = use_query_map();
    move || query.with(|q| q.get("before").and_then(|b| b.parse().ok()))
}

#[component]
pub fn InboxPage() -> impl IntoView {
    let items = crate::resource::load(before(), get_inbox);
    view! {
        <Title text="Fulfilment inbox" />
        <section>
            <h1>"Fulfilment inbox"</h1>
            <p class="lead">"Requests for actions your team fulfils by hand. Take one, do the work, and close it with a note."</p>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match items.await {
                        Ok(page) => view! { <RequestTable page empty="Nothing waiting. Well done." testid="inbox" path="/inbox" /> }.into_any(),
                        Err(e) => view! { <p class="notice notice-error" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
pub fn ApprovalsPage() -> impl IntoView {
    let items = crate::resource::load(before(), get_approvals);
    view! {
        <Title text="Approvals" />
        <section>
            <h1>"Approvals"</h1>
            <p class="lead">"Requests waiting for your decision. Open one to see what was asked, then approve or reject it with a comment."</p>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match items.await {
                        Ok(page) => view! { <RequestTable page empty="Nothing to approve." testid="approvals" path="/approvals" /> }.into_any(),
                        Err(e) => view! { <p class="notice notice-error" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn RequestTable(
    page: InboxPage,
    empty: &'static str,
    testid: &'static str,
    path: &'static str,
) -> impl IntoView {
    let InboxPage {
        items: list,
        total,
        older,
    } = page;
    if list.is_empty() {
        return view! { <p class="muted" data-testid=format!("{testid}-empty")>{empty}</p> }
            .into_any();
    }
    let older = older.map(|id| {
        view! { <p><a href=format!("{path}?before={id}") rel="next" data-testid="older">"Older requests"</a></p> }
    });
    view! {
        <p class="muted" data-testid=format!("{testid}-total")>{format!("{total} in all")}</p>
        <div class="table-wrap">
            <table class="fields" data-testid=testid>
                <thead><tr><th scope="col">"Request"</th><th scope="col">"From"</th><th scope="col">"Status"</th><th scope="col">"Submitted"</th></tr></thead>
                <tbody>
                    {list.into_iter().map(|i| view! {
                        <tr>
                            <td><a href=format!("/requests/{}", i.id)>{format!("#{} {}", i.id, i.action_title)}</a></td>
                            <td>{i.requester.unwrap_or_else(|| "someone".to_string())}{i.team.map(|t| format!(" ({t})"))}</td>
                            <td>{match (i.status.as_str(), i.assignee) {
                                ("pending_approval", _) => "waiting for approval".to_string(),
                                (_, Some(a)) => format!("taken by {a}"),
                                (_, None) => "waiting".to_string(),
                            }}</td>
                            <td><time datetime=i.created_at.clone()>{i.created_at.replace('T', " ").chars().take(16).collect::<String>()}</time></td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
        {older}
    }
    .into_any()
}
