//! The column-mapping step of a Discover upload: a CSV whose columns Runway cannot tell by itself
//! (not a Jira or Linear export) waits on the server while an admin says which of its columns holds
//! the title, the creation time and the rest, each chosen from the file's own header with a first
//! guess made from the column names. A plain form post: it works without JavaScript.

use crate::api::{discover_upload_columns, UploadColumns};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn DiscoverMapPage() -> impl IntoView {
    let query = use_query_map();
    let param = move |name: &str| query.read_untracked().get(name).unwrap_or_default();
    let (upload, file, source) = (param("upload"), param("file"), param("source"));
    let token = upload.clone();
    let columns = crate::resource::load(move || token.clone(), discover_upload_columns);
    view! {
        <Title text="Choose the columns" />
        <h1>"Choose the columns"</h1>
        <p class="lead">
            "Runway could not tell which column of " <strong>{file.clone()}</strong>
            " holds what. Choose them below; each list shows the file's own columns."
        </p>
        <Suspense fallback=|| view! { <p class="muted">"Reading the file's columns…"</p> }>
            {move || {
                let (upload, file, source) = (upload.clone(), file.clone(), source.clone());
                Suspend::new(async move {
                    match columns.await {
                        Ok(c) => view! { <MapForm upload file source columns=c /> }.into_any(),
                        Err(e) => {
                            // The server function set the status (403, 404, 503) as it refused.
                            let message = match e {
                                crate::error::AppError::NotFound => "This upload is no longer waiting for its columns (it was imported, or it waited more than an hour). Upload the export again.".to_string(),
                                other => other.to_string(),
                            };
                            view! {
                                <p class="notice notice-error" role="alert">{message}</p>
                                <p><a href="/admin/discover">"Back to Discover"</a></p>
                            }
                                .into_any()
                        }
                    }
                })
            }}
        </Suspense>
    }
}

#[component]
fn MapForm(upload: String, file: String, source: String, columns: UploadColumns) -> impl IntoView {
    let action = format!("/admin/discover/uploads/{upload}/map");
    let all = columns.columns;
    view! {
        <form method="post" action=action class="stacked-form">
            <input type="hidden" name="file" value=file />
            <input type="hidden" name="source" value=source />
            {columns
                .roles
                .into_iter()
                .map(|(role, label, guess)| {
                    let required = role == "title" || role == "created";
                    let id = format!("map-{role}");
                    let options = all
                        .iter()
                        .filter(|c| !c.is_empty())
                        .map(|c| {
                            let selected = guess.as_deref() == Some(c.as_str());
                            view! { <option value=c.clone() selected=selected>{c.clone()}</option> }
                        })
                        .collect_view();
                    view! {
                        <div class="field">
                            <label for=id.clone()>{label}{required.then_some(" (required)")}</label>
                            <select id=id name=role required=required>
                                <option value="">{if required { "Choose a column" } else { "(none)" }}</option>
                                {options}
                            </select>
                        </div>
                    }
                })
                .collect_view()}
            <button type="submit">"Import with these columns"</button>
        </form>
    }
}
