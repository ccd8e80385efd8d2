//! The notifications page (`/settings/notifications`): what each person hears about, on which
//! channel; for admins, how delivery goes and which deliveries failed. Saving is a plain form post
//! (see `server::notifications`).

use crate::api::notifications::get_notifications;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use runway_domain::notify::{DeliveryReport, Notification, NotificationsPage, NotifyChannel};

#[component]
pub fn NotificationsPageView() -> impl IntoView {
    let query = use_query_map();
    let saved = move || query.read().get("saved").is_some();
    let data = crate::resource::load(|| (), |_| get_notifications());
    view! {
        <Title text="Notifications" />
        <section class="notifications-page">
            <h1>"Notifications"</h1>
            <p>"Choose what Runway tells you about, and where. Messages link to the request; they never contain a secret."</p>
            {move || saved().then(|| view! { <p class="notice" role="status">"Your choices are saved."</p> })}
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(page) => view! { <Choices page /> }.into_any(),
                        Err(e) => view! { <p class="notice notice-error" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn Choices(page: NotificationsPage) -> impl IntoView {
    let p = page.preferences.clone();
    let available = p.available.clone();
    let address = p.email.clone();
    let notes: Vec<String> = NotifyChannel::ALL
        .into_iter()
        .filter(|c| !available.contains(c))
        .map(|c| {
            format!(
                "{} is not set up on this Runway yet; your choice applies once it is.",
                c.label()
            )
        })
        .collect();
    view! {
        <form method="post" action="/settings/notifications" class="request-form" data-testid="notification-choices">
            <div class="table-wrap">
                <table class="fields">
                    <caption>"What you hear about"</caption>
                    <thead><tr>
                        <th scope="col">"When"</th>
                        {NotifyChannel::ALL.into_iter().map(|c| view! { <th scope="col">{c.label()}</th> }).collect_view()}
                    </tr></thead>
                    <tbody>
                        {Notification::ALL.into_iter().map(|n| {
                            let p = p.clone();
                            view! {
                                <tr>
                                    <th scope="row">{n.label()}</th>
                                    {NotifyChannel::ALL.into_iter().map(|c| {
                                        let id = format!("n-{}-{}", n.as_str(), c.as_str());
                                        let label = format!("{} by {}", n.label(), c.label());
                                        view! {
                                            <td>
                                                <input id=id type="checkbox" name="on" value=format!("{}:{}", n.as_str(), c.as_str())
                                                    checked=p.is_on(n, c) aria-label=label />
                                            </td>
                                        }
                                    }).collect_view()}
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            <p class="help">
                {match address {
                    Some(a) => format!("E-mail goes to {a}, the address your sign-in provides. Slack messages go to the Slack account with that address."),
                    None => "Your sign-in provides no e-mail address, so neither e-mail nor Slack can reach you.".to_string(),
                }}
            </p>
            {notes.into_iter().map(|n| view! { <p class="help">{n}</p> }).collect_view()}
            <button type="submit" class="primary">"Save choices"</button>
        </form>
        {page.deliveries.map(|d| view! { <Deliveries d /> })}
    }
}

#[component]
fn Deliveries(d: DeliveryReport) -> impl IntoView {
    let empty = d.problems.is_empty();
    let tickets = d.ticket_comments.clone();
    view! {
        <section aria-labelledby="deliveries">
            <h2 id="deliveries">"Delivery (admins)"</h2>
            <p data-testid="delivery-counts">{format!("{} sent, {} waiting or being retried, {} failed for good.", d.sent, d.pending, d.failed)}</p>
            {if empty {
                view! { <p class="muted">"No delivery has failed."</p> }.into_any()
            } else {
                view! {
                    <div class="table-wrap">
                        <table class="fields" data-testid="delivery-problems">
                            <caption>"Deliveries that failed"</caption>
                            <thead><tr>
                                <th scope="col">"Request"</th>
                                <th scope="col">"About"</th>
                                <th scope="col">"Channel"</th>
                                <th scope="col">"To"</th>
                                <th scope="col">"Tries"</th>
                                <th scope="col">"State"</th>
                                <th scope="col">"Last error"</th>
                            </tr></thead>
                            <tbody>
                                {d.problems.into_iter().map(|p| view! {
                                    <tr>
                                        <td><a href=format!("/requests/{}", p.request_id)>{format!("#{}", p.request_id)}</a></td>
                                        <td>{p.about}</td>
                                        <td>{p.channel}</td>
                                        <td>{p.recipient.unwrap_or_else(|| "the ticket".into())}</td>
                                        <td>{p.attempts}</td>
                                        <td>{if p.given_up { "failed" } else { "retrying" }}</td>
                                        <td>{p.error}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }}
            <h3>"Jira comments that could not be posted"</h3>
            {if tickets.is_empty() {
                view! { <p class="muted">"None: every comment on a ticket that made no request was posted."</p> }.into_any()
            } else {
                view! {
                    <div class="table-wrap">
                        <table class="fields" data-testid="ticket-comment-failures">
                            <thead><tr>
                                <th scope="col">"Ticket"</th>
                                <th scope="col">"When"</th>
                                <th scope="col">"Error"</th>
                            </tr></thead>
                            <tbody>
                                {tickets.into_iter().map(|(key, error, at)| view! {
                                    <tr><td>{key}</td><td>{at.get(..16).unwrap_or(&at).replace('T', " ")}</td><td>{error}</td></tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }}
        </section>
    }
}
