//! Discover for the platform team: the ranked groups of repeated requests in an imported ticket
//! source (`runway tickets import`), with what each costs in waiting time and who asks. Each group
//! can be renamed, merged into another, split by a word or dismissed, and drafted as a manual
//! catalogue action: plain form posts (the server's `discover` routes), so they work without
//! JavaScript. An export is uploaded with a plain multipart form (streamed to a file by the server);
//! with JavaScript the same form is sent in the background with a progress bar, and the browser
//! then goes where the server's answer leads (the ranked groups, or the column-mapping step).

use crate::api::{discover_report, DiscoverGroupRow};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn DiscoverPage() -> impl IntoView {
    let query = use_query_map();
    let source = Memo::new(move |_| query.read().get("source").filter(|s| !s.is_empty()));
    let by = Memo::new(move |_| query.read().get("by").filter(|s| !s.is_empty()));
    let report = crate::resource::load(
        move || (source.get(), by.get()),
        |(source, by)| discover_report(source, by),
    );
    view! {
        <Title text="Discover" />
        <h1>"Discover"</h1>
        <p class="lead">"The requests your teams ask for again and again, ranked by the waiting time they cost (tickets × median time to resolve)."</p>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match report.await {
                    Err(e) => {
                        // The server function set the status (403, 401, 503) as it refused.
                        view! { <p class="notice notice-error" role="alert">{e.to_string()}</p> }.into_any()
                    }
                    Ok(r) if r.source.is_none() => view! {
                        <p class="notice">"No tickets imported yet. Upload an export below, or run " <code>"runway tickets import EXPORT"</code> "."</p>
                        <UploadForm />
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
                            <nav class="category-filters" aria-label="Order groups by">
                                <ul>
                                    {[("waiting", "Waiting time"), ("count", "Tickets"), ("trend", "Trend (last 90 days)")].into_iter().map(|(key, label)| {
                                        let current = r.by == key;
                                        view! {
                                            <li>
                                                <a class="chip" href=format!("/admin/discover?source={shown}&by={key}") aria-current=current.then_some("page")>{label}</a>
                                            </li>
                                        }
                                    }).collect_view()}
                                </ul>
                            </nav>
                            <WeeklyLines first_week=r.first_week.clone().unwrap_or_default() groups=r.groups.iter().take(5).map(|g| (g.label.clone(), g.weekly.clone())).collect() />
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
                                            <th scope="col">"Trend"</th>
                                            <th scope="col">"Teams"</th>
                                            <th scope="col">"Act"</th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {r.groups.into_iter().map(|g| row(&shown, g, &r.link_actions)).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                            <UploadForm />
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

fn row(source: &str, g: DiscoverGroupRow, actions: &[(String, String)]) -> impl IntoView {
    let base = format!("/admin/discover/{source}/groups/{}", g.id);
    let decide = format!("{base}/decide");
    let draft = format!("{base}/draft");
    let edit = format!("{base}/edit");
    let group_id = g.id.clone();
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
                <details class="group-tickets">
                    <summary title=examples>{g.label}</summary>
                    <p class="muted">{format!("{} · newest {} of {} tickets:", g.template, g.tickets_shown.len(), g.tickets)}</p>
                    <ul>
                        {g.tickets_shown.into_iter().map(|(key, title, link, created)| view! {
                            <li>
                                {match link {
                                    Some(url) if url.starts_with("https://") || url.starts_with("http://") => view! { <a href=url rel="noopener noreferrer">{key}</a> }.into_any(),
                                    _ => view! { <span>{key}</span> }.into_any(),
                                }}
                                {format!(" {title} ({created})")}
                            </li>
                        }).collect_view()}
                    </ul>
                </details>
                " "
                <code class="muted">{g.id}</code>
            </td>
            <td>{g.tickets}</td>
            <td>{g.share}</td>
            <td>{g.median}</td>
            <td>{g.p90}</td>
            <td>{g.waiting}</td>
            <td>{g.trend}</td>
            <td>{g.teams}</td>
            <td>
                <form method="post" action=draft class="inline-form">
                    <input type="hidden" name="owner" value="platform" />
                    <button type="submit">"Draft an action"</button>
                    " "
                    <button type="submit" class="secondary" formaction=edit>"Open in the editor"</button>
                </form>
                {(!actions.is_empty()).then(|| view! {
                    <details>
                        <summary>"Use as baseline"</summary>
                        <form method="post" action="/admin/impact/baselines" class="inline-form">
                            <input type="hidden" name="kind" value="group" />
                            <input type="hidden" name="source" value=source.to_string() />
                            <input type="hidden" name="group" value=group_id.clone() />
                            <label>"Action replacing these tickets "
                                <select name="action">
                                    {actions.iter().map(|(id, title)| view! { <option value=id.clone()>{title.clone()}</option> }).collect_view()}
                                </select>
                            </label>
                            <label>" Launched on (optional) " <input name="launched" type="date" /></label>
                            <button type="submit">"Link"</button>
                        </form>
                    </details>
                })}
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

const COLOURS: [&str; 5] = ["#2f6fde", "#e07b39", "#3a9d5d", "#b04fc2", "#d8485c"];

/// The top groups' tickets per week as lines (drawn on the server), with a legend and a text
/// summary for screen readers.
#[component]
fn WeeklyLines(first_week: String, groups: Vec<(String, Vec<u32>)>) -> impl IntoView {
    let weeks = groups.iter().map(|(_, w)| w.len()).max().unwrap_or(0);
    let max = groups
        .iter()
        .flat_map(|(_, w)| w.iter().copied())
        .max()
        .unwrap_or(0)
        .max(1);
    let (w, h) = (600.0_f64, 140.0_f64);
    let step = w / (weeks.max(2) - 1) as f64;
    let lines = groups
        .iter()
        .enumerate()
        .map(|(k, (label, counts))| {
            let points = counts
                .iter()
                .enumerate()
                .map(|(i, n)| format!("{:.1},{:.1}", i as f64 * step, h - h * f64::from(*n) / f64::from(max)))
                .collect::<Vec<_>>()
                .join(" ");
            view! {
                <polyline points=points fill="none" stroke=COLOURS[k % COLOURS.len()] stroke-width="2">
                    <title>{label.clone()}</title>
                </polyline>
            }
        })
        .collect_view();
    let summary = format!(
        "Tickets per week for the top {} groups over {weeks} weeks from the week of {first_week}: {}",
        groups.len(),
        groups
            .iter()
            .map(|(label, counts)| format!("{label}: {} in all, at most {} a week", counts.iter().sum::<u32>(), counts.iter().max().unwrap_or(&0)))
            .collect::<Vec<_>>()
            .join("; ")
    );
    view! {
        <figure class="chart">
            <svg viewBox=format!("0 0 {w} {h}") width="100%" role="img" aria-label=summary.clone() data-testid="discover-chart">
                {lines}
            </svg>
            <figcaption>
                <ul class="legend">
                    {groups.iter().enumerate().map(|(k, (label, _))| view! {
                        <li><svg width="12" height="12" aria-hidden="true"><rect width="12" height="12" fill=COLOURS[k % COLOURS.len()] /></svg>" "{label.clone()}</li>
                    }).collect_view()}
                </ul>
                <p class="muted">{summary}</p>
            </figcaption>
        </figure>
    }
}

/// Uploads an export: Jira CSV or JSON, GitHub issues JSON, Linear CSV, or any CSV (whose columns
/// are chosen on the next page, or given as a map here). Stored like `runway tickets import`;
/// re-uploading a newer export updates its tickets.
#[component]
fn UploadForm() -> impl IntoView {
    // Percent sent, while an upload is under way in the background.
    let (sent, set_sent) = signal(None::<u32>);
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        #[cfg(feature = "hydrate")]
        if upload::start(&ev, set_sent) {
            ev.prevent_default();
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (ev, set_sent);
    };
    view! {
        <section aria-labelledby="upload-heading">
            <h2 id="upload-heading">"Import an export"</h2>
            <form method="post" action="/admin/discover/upload" enctype="multipart/form-data" class="stacked-form" on:submit=on_submit>
                <label>"Source (optional: jira, github, linear, csv by default) " <input name="source" maxlength="64" /></label>
                <label>
                    "Format "
                    <select name="format">
                        <option value="">"Tell from the file"</option>
                        <option value="jira-csv">"Jira CSV"</option>
                        <option value="jira-json">"Jira JSON (REST search)"</option>
                        <option value="github">"GitHub issues JSON"</option>
                        <option value="linear">"Linear CSV"</option>
                        <option value="csv">"Other CSV (choose its columns next)"</option>
                    </select>
                </label>
                <label>"Column map for other CSVs (optional: otherwise chosen on the next page) " <input name="map" placeholder="title=Subject,created=Opened,resolved=Closed,team=Queue" /></label>
                <label>"Export file " <input type="file" name="file" required=true /></label>
                <button type="submit" disabled=move || sent.get().is_some()>"Import"</button>
                {move || sent.get().map(|p| view! {
                    <p class="upload-progress">
                        <label for="upload-progress">{format!("Uploading: {p} %")}</label>
                        <progress id="upload-progress" max="100" value=p.to_string()></progress>
                    </p>
                })}
            </form>
        </section>
    }
}

/// The background upload (browser only): sends the form with `XMLHttpRequest`, whose upload
/// progress events `fetch` does not offer, and then shows what the server answered.
#[cfg(feature = "hydrate")]
mod upload {
    use leptos::prelude::*;
    use leptos::wasm_bindgen::closure::Closure;
    use leptos::wasm_bindgen::JsCast;
    use leptos::web_sys::{FormData, HtmlFormElement, ProgressEvent, XmlHttpRequest};

    /// Starts sending the submitted form; false (the browser then submits it as usual) when the
    /// background upload cannot start.
    pub fn start(ev: &leptos::ev::SubmitEvent, sent: WriteSignal<Option<u32>>) -> bool {
        let Some(form) = ev
            .target()
            .and_then(|t| t.dyn_into::<HtmlFormElement>().ok())
        else {
            return false;
        };
        let (Ok(xhr), Ok(data)) = (XmlHttpRequest::new(), FormData::new_with_form(&form)) else {
            return false;
        };
        if xhr.open_with_async("POST", &form.action(), true).is_err() {
            return false;
        }
        let Ok(upload) = xhr.upload() else {
            return false;
        };
        let progress = Closure::<dyn FnMut(ProgressEvent)>::new(move |e: ProgressEvent| {
            if e.length_computable() && e.total() > 0.0 {
                sent.set(Some((e.loaded() / e.total() * 100.0).round() as u32));
            }
        });
        upload.set_onprogress(Some(progress.as_ref().unchecked_ref()));
        progress.forget();
        let done = {
            let xhr = xhr.clone();
            Closure::<dyn FnMut()>::new(move || {
                let status = xhr.status().unwrap_or(0);
                if (200..300).contains(&status) {
                    // Redirects were followed: go where the server sent the upload.
                    let _ = window().location().set_href(&xhr.response_url());
                } else if let Some(root) = document().document_element() {
                    // A refusal is a whole page (what the form would show without JavaScript).
                    root.set_inner_html(&xhr.response_text().ok().flatten().unwrap_or_default());
                }
            })
        };
        xhr.set_onloadend(Some(done.as_ref().unchecked_ref()));
        done.forget();
        sent.set(Some(0));
        if xhr.send_with_opt_form_data(Some(&data)).is_err() {
            sent.set(None);
            return false;
        }
        true
    }
}
