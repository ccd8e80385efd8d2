//! Catalogue health for the platform team: what loaded, from which file and version, and which files
//! were skipped and why.

use crate::api::catalog_health;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn CatalogHealthPage() -> impl IntoView {
    let health = crate::resource::load(|| (), |_| catalog_health());
    view! {
        <Title text="Catalogue health" />
        <h1>"Catalogue health"</h1>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match health.await {
                    Err(e) => {
                        // The server function set the status (403, 401, 503) as it refused.
                        view! { <p class="notice notice-error" role="alert">{e.to_string()}</p> }.into_any()
                    }
                    Ok(h) => {
                        let problem_count = h.problems.len();
                        view! {
                            <p class="lead">
                                {format!(
                                    "Loaded {} actions from {} files in {} at {}.",
                                    h.actions.len(),
                                    h.files_read,
                                    h.directory,
                                    h.loaded_at,
                                )}
                                " Send SIGHUP to the server (or restart it) to reload after changing the files."
                            </p>
                            {if problem_count == 0 {
                                view! { <p class="notice status-ok">"Every catalogue file is valid."</p> }.into_any()
                            } else {
                                view! {
                                    <section class="notice notice-error" aria-labelledby="problems-heading">
                                        <h2 id="problems-heading">
                                            {format!("{problem_count} problem(s): these files were skipped")}
                                        </h2>
                                        <div class="table-wrap">
                                            <table class="problems">
                                                <thead>
                                                    <tr>
                                                        <th scope="col">"File"</th>
                                                        <th scope="col">"Line"</th>
                                                        <th scope="col">"Field"</th>
                                                        <th scope="col">"Problem"</th>
                                                    </tr>
                                                </thead>
                                                <tbody>
                                                    {h.problems.into_iter().map(|p| view! {
                                                        <tr>
                                                            <td><code>{p.file}</code></td>
                                                            <td>{p.line.map(|l| l.to_string()).unwrap_or_default()}</td>
                                                            <td><code>{p.field}</code></td>
                                                            <td>{p.message}</td>
                                                        </tr>
                                                    }).collect_view()}
                                                </tbody>
                                            </table>
                                        </div>
                                    </section>
                                }
                                    .into_any()
                            }}
                            <h2>"Loaded actions"</h2>
                            <div class="table-wrap">
                                <table class="problems">
                                    <thead>
                                        <tr>
                                            <th scope="col">"Action"</th>
                                            <th scope="col">"File"</th>
                                            <th scope="col">"Version"</th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {h.actions.into_iter().map(|a| view! {
                                            <tr>
                                                <td><a href=format!("/actions/{}", a.id)>{a.title}</a></td>
                                                <td><code>{a.file}</code></td>
                                                <td><code>{a.version}</code></td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                        }
                            .into_any()
                    }
                }
            })}
        </Suspense>
    }
}
