//! The Audit page for admins: who changed what and when, newest first, with filters in the URL (a
//! plain GET form, so it works without JavaScript), keyset pages ("Next page") and a CSV export of
//! the whole filtered log.

use crate::api::get_audit;
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_location;
use runway_domain::audit::{AuditPage, AuditRow};

#[component]
pub fn AuditPageView() -> impl IntoView {
    let location = use_location();
    let search = move || location.search.get();
    let data = crate::resource::load(search, get_audit);
    view! {
        <Title text="Audit log" />
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(Ok(page)) => view! { <Audit page /> }.into_any(),
                    Ok(Err(msg)) => view! {
                        <h1>"Audit log"</h1>
                        <p class="notice notice-error" role="alert">{format!("Check the filters: {msg}")}</p>
                        <p><a href="/admin/audit">"Show every event"</a></p>
                    }.into_any(),
                    Err(AppError::Forbidden) => view! {
                        <h1>"Audit log"</h1>
                        <p class="notice notice-error" role="alert">"Only admins may read the audit log."</p>
                    }.into_any(),
                    // The server function set the status (401, 503) as it refused.
                    Err(e) => view! { <p class="notice notice-error" role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Audit(page: AuditPage) -> impl IntoView {
    let q = page.query.clone();
    let csv = format!("/admin/audit.csv?{}", q.to_query(None));
    let kinds = page.kinds.clone();
    view! {
        <section class="audit">
            <h1>"Audit log"</h1>
            <form class="filters" method="get" action="/admin/audit" role="search" aria-label="Filter the audit log">
                <label>"Who " <input type="text" name="who" value=q.who.clone() placeholder="name or user:12" /></label>
                <label>"Kind "
                    <select name="kind">
                        <option value="" selected=q.kind.is_empty()>"Any"</option>
                        {kinds.into_iter().map(|k| {
                            let selected = q.kind == k;
                            view! { <option value=k.clone() selected=selected>{k.replace('_', " ")}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <label>"Object " <input type="text" name="object" value=q.object.clone() placeholder="action: or request:42" /></label>
                <label>"From " <input type="date" name="from" value=q.from.clone() /></label>
                <label>"To " <input type="date" name="to" value=q.to.clone() /></label>
                <button type="submit">"Filter"</button>
                <a href=csv rel="external" class="secondary" data-testid="audit-csv">"Export CSV"</a>
            </form>
            {if page.rows.is_empty() {
                view! { <p class="muted" data-testid="audit-empty">"No events match."</p> }.into_any()
            } else {
                view! {
                    <div class="table-wrap">
                        <table class="fields" data-testid="audit">
                            <caption>"Audit events, newest first (times in UTC)"</caption>
                            <thead><tr>
                                <th scope="col">"When"</th><th scope="col">"Who"</th><th scope="col">"What"</th>
                                <th scope="col">"Object"</th><th scope="col">"Before"</th><th scope="col">"After"</th>
                                <th scope="col">"Details"</th>
                            </tr></thead>
                            <tbody>{page.rows.into_iter().map(row).collect_view()}</tbody>
                        </table>
                    </div>
                }.into_any()
            }}
            {page.next.map(|n| view! { <p><a href=format!("/admin/audit?{n}") rel="next" data-testid="audit-next">"Next page"</a></p> })}
        </section>
    }
}

/// A hash is shown by its first 12 characters (the whole value is in the title and the CSV); a
/// state (`pending_approval`) in full.
fn short(value: Option<String>) -> impl IntoView {
    value.map(|v| {
        let shown: String = v.chars().take(12).collect();
        view! { <code title=v>{shown}</code> }
    })
}

fn row(r: AuditRow) -> impl IntoView {
    let when: String = r.at.replace('T', " ").chars().take(19).collect();
    view! {
        <tr data-event=r.id>
            <td><time datetime=r.at>{when}</time></td>
            <td>{r.who}</td>
            <td>{r.kind.replace('_', " ")}</td>
            <td><code>{r.object}</code></td>
            <td>{short(r.before)}</td>
            <td>{short(r.after)}</td>
            <td class="audit-detail">{r.detail.unwrap_or_default()}</td>
        </tr>
    }
}
