//! One action: what it does, who owns it, what it replaces, how it is approved, and its form fields.

use crate::api::{get_action, set_status};
use crate::error::AppError;
use crate::pages::form::RequestForm;
use crate::pages::lifecycle::LifecycleNotice;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_location, use_params_map};
use runway_domain::spec::LifecycleStatus;
use runway_domain::view::{ActionDetail, FieldPreview};

#[component]
pub fn ActionPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let detail = crate::resource::load(id, get_action);
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(d) => view! { <ActionView d /> }.into_any(),
                    Err(AppError::NotFound) => {
                        set_status(404);
                        view! {
                            <Title text="Action not found" />
                            <section class="notice">
                                <h1>"No such action"</h1>
                                <p>
                                    "This action does not exist, or is not available to your team yet. "
                                    <a href="/">"Back to the catalogue"</a>
                                </p>
                            </section>
                        }
                            .into_any()
                    }
                    Err(e) => {
                        set_status(503);
                        view! { <p class="notice notice-error" role="alert">{e.to_string()}</p> }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

#[component]
fn ActionView(d: ActionDetail) -> impl IntoView {
    let card = d.card;
    let query = runway_domain::view::parse_query(&use_location().search.get_untracked());
    let invalid = query.iter().any(|(k, v)| k == "_invalid" && v == "1");
    let beta = (!d.beta_teams.is_empty()).then(|| d.beta_teams.join(", "));
    let retired = d.lifecycle == LifecycleStatus::Retired;
    let history = d.history.then(|| format!("/actions/{}/history", card.id));
    view! {
        <Title text=card.title.clone() />
        <article class="action-page">
            <nav class="breadcrumb" aria-label="Breadcrumb">
                <a href="/">"Catalogue"</a>
                " / "
                <span aria-current="page">{card.title.clone()}</span>
            </nav>
            <header class="action-header">
                <h1>{card.title}</h1>
                {card.beta.then(|| view! { <span class="badge badge-beta">"Beta"</span> })}
                <p class="lead">{card.summary}</p>
                {d.figures.map(|f| view! { <Figures f /> })}
                {d.may_edit.then(|| view! {
                    <p class="action-admin">
                        <a class="button secondary" href=format!("/actions/{}/edit", card.id)>"Edit"</a>
                    </p>
                })}
                {(!card.tags.is_empty()).then(|| view! {
                    <ul class="tags" aria-label="Tags">
                        {card.tags.into_iter().map(|t| view! { <li class="tag">{t}</li> }).collect_view()}
                    </ul>
                })}
            </header>
            <LifecycleNotice status=d.lifecycle replacement=d.replacement note=d.lifecycle_note />
            // The form is the page's main job: it comes first, with the facts beside it on wide
            // screens and the description after them (collapsible); on narrow screens all three
            // stack in this order. A retired action has no form.
            <div class="action-layout">
                {(!retired).then(|| view! {
                    <section class="request-section" id="form" aria-labelledby="form-heading">
                        <h2 id="form-heading">"Request it"</h2>
                        {d.inputs.is_empty().then(|| view! { <p class="muted">"This action needs no input."</p> })}
                        <RequestForm action_id=card.id.clone() fields=d.inputs teams=d.teams query=query.clone() invalid form_key=d.form_key />
                    </section>
                })}
                <aside class="facts" aria-label="At a glance">
                    <dl>
                        <dt>"Owner"</dt>
                        <dd>{card.owner}</dd>
                        <dt>"Category"</dt>
                        <dd>{card.category}</dd>
                        {d.replaces.map(|r| view! {
                            <dt>"Replaces"</dt>
                            <dd>{r}</dd>
                        })}
                        <dt>"Approval"</dt>
                        <dd>{d.approval}</dd>
                        <dt>"How it runs"</dt>
                        <dd>{d.executor}</dd>
                        {card.estimate.map(|e| view! {
                            <dt>"Usually takes"</dt>
                            <dd>{e}</dd>
                        })}
                        <dt>"Time limit"</dt>
                        <dd>
                            {d.timeout}
                            {match d.retries {
                                0 => String::new(),
                                1 => ", retried once".to_string(),
                                n => format!(", retried up to {n} times"),
                            }}
                        </dd>
                        {beta.map(|teams| view! {
                            <dt>"Available to"</dt>
                            <dd>{format!("Early-adopter teams: {teams}")}</dd>
                        })}
                        <dt>"Version"</dt>
                        <dd>
                            <code>{d.version}</code>
                            {history.map(|h| view! { " " <a href=h>"History"</a> })}
                        </dd>
                    </dl>
                </aside>
                <details class="about" open>
                    <summary>"About this action"</summary>
                    <div class="description prose" inner_html=d.description_html></div>
                </details>
            </div>
            <details class="form-preview">
                <summary>"Field reference"</summary>
                {if d.fields.is_empty() {
                    view! { <p class="muted">"Nothing: this action needs no input."</p> }.into_any()
                } else {
                    view! { <FieldTable fields=d.fields /> }.into_any()
                }}
            </details>
        </article>
    }
    .into_any()
}

#[component]
fn FieldTable(fields: Vec<FieldPreview>) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="fields">
                <thead>
                    <tr>
                        <th scope="col">"Field"</th>
                        <th scope="col">"Type"</th>
                        <th scope="col">"Rules"</th>
                    </tr>
                </thead>
                <tbody>
                    {fields
                        .into_iter()
                        .map(|f| {
                            view! {
                                <tr>
                                    <th scope="row">
                                        {f.label}
                                        {f.required.then(|| view! { <span class="required" title="required">" *"</span> })}
                                        {f.help.map(|h| view! { <div class="muted">{h}</div> })}
                                    </th>
                                    <td>
                                        <code>{f.type_name}</code>
                                    </td>
                                    <td>
                                        {f.condition.map(|c| view! { <div class="muted">{c}</div> })}
                                        {f.rules.join("; ")}
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// The action's own measured figures over the last 90 days, one line under its summary, for
/// everyone who may see it.
#[component]
fn Figures(f: runway_domain::impact::ActionFigures) -> impl IntoView {
    use runway_domain::impact::{short_duration, MIN_SAMPLES};
    let lead = if f.finished >= MIN_SAMPLES {
        format!("median lead time {}", short_duration(f.lead_median))
    } else {
        "lead time: not enough data yet".to_string()
    };
    let success = if f.finished >= MIN_SAMPLES {
        f.success_rate.map(|r| format!(" · {r:.0}% succeeded"))
    } else {
        None
    };
    let ease = f
        .ease_mean
        .map(|m| format!("ease {m:.1} / 7 ({} answers)", f.ease_answers))
        .unwrap_or_else(|| "no ease answers yet".into());
    view! {
        <p class="muted action-figures" data-testid="action-figures">
            "Last 90 days: "
            <span data-figure="requests">{format!("{} requests", f.requests)}</span>" · "
            <span data-figure="lead">{lead}</span>
            {success}" · "
            <span data-figure="ease">{ease}</span>
        </p>
    }
}
