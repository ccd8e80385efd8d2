//! Request history: my requests, a team's requests, or (admins) all requests, with filters in the
//! URL (bookmark and share a view), keyset pages ("Older"), and a CSV export of the whole filtered
//! set. The filter form is a plain GET form, so it works without JavaScript.

use crate::api::get_history;
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_location;
use runway_domain::request::{Channel, RequestStatus};
use runway_domain::view::{HistoryPage, HistoryScope};

#[component]
pub fn HistoryPageView() -> impl IntoView {
    let location = use_location();
    let search = move || location.search.get();
    let data = crate::resource::load(search, get_history);
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(Ok(page)) => view! { <History page /> }.into_any(),
                    Ok(Err(msg)) => view! {
                        <Title text="Requests" />
                        <p class="notice notice-error" role="alert">{format!("Check the filters: {msg}")}</p>
                        <p><a href="/requests">"Show my requests"</a></p>
                    }.into_any(),
                    Err(AppError::Forbidden) => {
                        crate::api::set_status(403);
                        view! {
                            <Title text="Requests" />
                            <p class="notice notice-error" role="alert">"You may not see these requests: pick one of your teams, or your own requests."</p>
                            <p><a href="/requests">"Show my requests"</a></p>
                        }.into_any()
                    }
                    Err(e) => view! { <p class="notice notice-error" role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn History(page: HistoryPage) -> impl IntoView {
    let q = page.query.clone();
    let scope = q.scope();
    let csv = format!("/requests.csv?{}", q.to_query(None));
    let tab = |label: String, href: String, current: bool| {
        view! { <li><a class="chip" href=href aria-current=current.then_some("page")>{label}</a></li> }
    };
    let mut tabs = vec![tab(
        "My requests".into(),
        "/requests".into(),
        scope == HistoryScope::Mine,
    )];
    for t in &page.teams {
        tabs.push(tab(
            format!("Team {t}"),
            format!(
                "/requests?scope=team&team={}",
                runway_domain::view::encode_query_value(t)
            ),
            scope == HistoryScope::Team(t.clone()),
        ));
    }
    if page.is_admin {
        tabs.push(tab(
            "All requests".into(),
            "/requests?scope=all".into(),
            scope == HistoryScope::All,
        ));
    }
    view! {
        <Title text=title(&scope) />
        <section class="history">
            <h1>{title(&scope)}</h1>
            {match &scope {
                HistoryScope::Team(t) => Some(view! { <p><a href=format!("/teams/{}", runway_domain::view::encode_query_value(t))>"Team figures"</a></p> }),
                _ => None,
            }}
            <nav class="category-filters" aria-label="Whose requests"><ul>{tabs}</ul></nav>
            <form class="filters" method="get" action="/requests" role="search">
                <input type="hidden" name="scope" value=q.scope.clone() />
                <input type="hidden" name="team" value=q.team.clone() />
                <label>"Status "
                    <select name="status">
                        <option value="" selected=q.status.is_empty()>"Any"</option>
                        {RequestStatus::ALL.iter().map(|s| {
                            let v = s.as_str();
                            view! { <option value=v selected=q.status == v>{s.label()}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <label>"Action " <input type="text" name="action" value=q.action.clone() placeholder="create-repo" /></label>
                <label>"Requester " <input type="text" name="requester" value=q.requester.clone() /></label>
                <label>"From " <input type="date" name="from" value=q.from.clone() /></label>
                <label>"To " <input type="date" name="to" value=q.to.clone() /></label>
                <label>"Text " <input type="search" name="q" value=q.q.clone() placeholder="billing-api" /></label>
                <label>"Channel "
                    <select name="channel">
                        <option value="" selected=q.channel.is_empty()>"Any"</option>
                        {Channel::ALL.iter().map(|c| {
                            let v = c.as_str();
                            view! { <option value=v selected={q.channel == v}>{c.label()}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <button type="submit">"Filter"</button>
                <a href=csv rel="external" class="secondary" data-testid="csv">"Download CSV"</a>
            </form>
            {if page.rows.is_empty() {
                view! { <p class="muted" data-testid="history-empty">"No requests match."</p> }.into_any()
            } else {
                view! {
                    <div class="table-wrap">
                        <table class="fields" data-testid="history">
                            <thead><tr>
                                <th scope="col">"Request"</th><th scope="col">"Requester"</th><th scope="col">"Team"</th>
                                <th scope="col">"Status"</th><th scope="col">"Submitted"</th><th scope="col">"Via"</th>
                            </tr></thead>
                            <tbody>
                                {page.rows.into_iter().map(|r| view! {
                                    <tr data-request=r.id>
                                        <td><a href=format!("/requests/{}", r.id)>{format!("#{} {}", r.id, r.action_title)}</a></td>
                                        <td>{r.requester}</td>
                                        <td>{r.team.unwrap_or_default()}</td>
                                        <td><span class=format!("status status-{}", r.status)>{r.status_label}</span></td>
                                        <td><time datetime=r.created_at.clone()>{r.created_at.replace('T', " ").chars().take(16).collect::<String>()}</time></td>
                                        <td>{Channel::parse(&r.channel).map_or_else(|| r.channel.clone(), |c| c.label().to_string())}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }}
            {page.next.map(|n| view! { <p><a href=format!("/requests?{n}") rel="next" data-testid="older">"Older requests"</a></p> })}
        </section>
    }
    .into_any()
}

/// The heading of a history view.
fn title(scope: &HistoryScope) -> String {
    match scope {
        HistoryScope::Mine => "My requests".to_string(),
        HistoryScope::Team(t) => format!("Team requests: {t}"),
        HistoryScope::All => "All requests".to_string(),
    }
}
