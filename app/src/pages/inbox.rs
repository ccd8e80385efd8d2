//! The fulfilment inbox: manual requests waiting for someone on the owning team.

use crate::api::get_inbox;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn InboxPage() -> impl IntoView {
    let items = Resource::new(|| (), |_| get_inbox());
    view! {
        <Title text="Fulfilment inbox" />
        <section>
            <h1>"Fulfilment inbox"</h1>
            <p class="lead">"Requests for actions your team fulfils by hand. Take one, do the work, and close it with a note."</p>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match items.await {
                        Ok(list) if list.is_empty() => view! { <p class="muted" data-testid="inbox-empty">"Nothing waiting. Well done."</p> }.into_any(),
                        Ok(list) => view! {
                            <div class="table-wrap">
                                <table class="fields" data-testid="inbox">
                                    <thead><tr><th scope="col">"Request"</th><th scope="col">"From"</th><th scope="col">"Status"</th><th scope="col">"Submitted"</th></tr></thead>
                                    <tbody>
                                        {list.into_iter().map(|i| view! {
                                            <tr>
                                                <td><a href=format!("/requests/{}", i.id)>{format!("#{} {}", i.id, i.action_title)}</a></td>
                                                <td>{i.requester}{i.team.map(|t| format!(" ({t})"))}</td>
                                                <td>{match i.assignee { Some(a) => format!("taken by {a}"), None => "waiting".to_string() }}</td>
                                                <td><time datetime=i.created_at.clone()>{i.created_at.replace('T', " ").chars().take(16).collect::<String>()}</time></td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                        }.into_any(),
                        Err(e) => view! { <p class="notice notice-error" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
