//! Discover for the platform team: the ranked groups of repeated requests in an imported ticket
//! source (`runway tickets import`), with what each costs in waiting time and who asks. Each group
//! can be renamed, merged into another, split by a word or dismissed, and drafted as a manual
//! catalogue action: plain form posts (the server's `discover` routes), so they work without
//! JavaScript. Uploading an export from the browser is still to come.

use crate::api::{discover_report, DiscoverGroupRow};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn DiscoverPage() -> impl IntoView {
    let query = use_query_map();
    let source = Memo::new(move |_| query.read().get("source").filter(|s| !s.is_empty()));
    let report = Resource::new(move || source.get(), discover_report);
    view! {
        <Title text="Discover" />
        <h1>"Discover"</h1>
        <p class="lead">"The requests your teams ask for again and again, ranked by the waiting time they cost (tickets × median time to resolve)."</p>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match report.await {
                    Err(e) => {
                        crate::api::set_status(match e {
                            crate::error::AppError::Forbidden => 403,
                            crate::error::AppError::Unauthorized => 401,
                            _ => 503,
                        });
                        view! { <p class="notice notice-error" role="alert">{e.to_string()}</p> }.into_any()
                    }
                    Ok(r) if r.source.is_none() => view! {
                        <p class="notice">"No tickets imported yet. Run " <code>"runway tickets import EXPORT"</code> " with a Jira, GitHub, Linear or CSV export."</p>
                    }.into_any(),
                    Ok(r) => {
                        let shown = r.source.clone().unwrap_or_default();
                        view! {
                            // Source names are plain (letters, digits, `-_.:`): safe in a URL as they are.
                            <nav class="category-filters" aria-label="Ticket sources">
                                <ul>
                                    {r.sources.iter().map(|(name, count)| {
                                        let current = *name == shown;
                                        view! {
                                            <li>
                                                <a class="chip" href=format!("/admin/discover?source={name}") aria-current=current.then_some("page")>
                                                    {format!("{name} ({count})")}
                                                </a>
                                            </li>
                                        }
                                    }).collect_view()}
                                </ul>
                            </nav>
                            <p>{format!("{} tickets in {} groups ({} dismissed). The top {}:", r.tickets, r.groups_total, r.dismissed, r.groups.len())}</p>
                            <div class="table-wrap">
                                <table class="problems" data-testid="discover-groups">
                                    <thead>
                                        <tr>
                                            <th scope="col">"#"</th>
                                            <th scope="col">"Group"</th>
                                            <th scope="col">"Tickets"</th>
                                            <th scope="col">"Share"</th>
                                            <th scope="col">"Median"</th>
                                            <th scope="col">"p90"</th>
                                            <th scope="col">"Waiting"</th>
                                            <th scope="col">"Teams"</th>
                                            <th scope="col">"Act"</th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {r.groups.into_iter().map(|g| row(&shown, g)).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

fn row(source: &str, g: DiscoverGroupRow) -> impl IntoView {
    let base = format!("/admin/discover/{source}/groups/{}", g.id);
    let decide = format!("{base}/decide");
    let draft = format!("{base}/draft");
    let examples = g
        .examples
        .iter()
        .map(|(key, title, _)| format!("{key}: {title}"))
        .collect::<Vec<_>>()
        .join("\n");
    view! {
        <tr>
            <td>{g.rank}</td>
            <td>
                <span title=examples>{g.label}</span>
                " "
                <code class="muted">{g.id}</code>
            </td>
            <td>{g.tickets}</td>
            <td>{g.share}</td>
            <td>{g.median}</td>
            <td>{g.p90}</td>
            <td>{g.waiting}</td>
            <td>{g.teams}</td>
            <td>
                <form method="post" action=draft class="inline-form">
                    <input type="hidden" name="owner" value="platform" />
                    <button type="submit">"Draft an action"</button>
                </form>
                <details>
                    <summary>"Decide"</summary>
                    <form method="post" action=decide class="inline-form">
                        <label>
                            "Decision "
                            <select name="kind">
                                <option value="rename">"Rename to"</option>
                                <option value="merge">"Merge into group id"</option>
                                <option value="split">"Split off tickets with the word"</option>
                                <option value="dismiss">"Dismiss (not automatable)"</option>
                            </select>
                        </label>
                        <label>" Value " <input name="value" maxlength="80" /></label>
                        <button type="submit">"Save"</button>
                    </form>
                </details>
            </td>
        </tr>
    }
}
