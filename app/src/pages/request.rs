//! One request: status, inputs, timeline, log and outputs; for manual requests, the fulfilment
//! controls. While the request is not final the page refreshes its data every two seconds.

use crate::api::{get_request, set_status};
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use runway_domain::view::{EventView, InputValue, OutputView, RequestView};

#[component]
pub fn RequestPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || {
        params
            .read()
            .get("id")
            .and_then(|s| s.parse::<i64>().ok())
            .unwrap_or(0)
    };
    let tick = RwSignal::new(0u32);
    let data = crate::resource::load(move || (id(), tick.get()), |(id, _)| get_request(id));
    // Live: the page listens to the request's server-sent events and refetches when something
    // happened; while the stream is unavailable it polls every two seconds instead. Effects run in
    // the browser only.
    let live = RwSignal::new(false);
    Effect::new(move |_| {
        let request = id();
        listen(request, live, tick);
        let handle = set_interval_with_handle(
            move || {
                let moving = data
                    .get_untracked()
                    .and_then(|r| r.ok())
                    .is_some_and(|r| !r.is_final);
                if moving && !live.get_untracked() {
                    tick.update(|t| *t = t.wrapping_add(1));
                }
            },
            std::time::Duration::from_secs(2),
        );
        on_cleanup(move || {
            if let Ok(h) = handle {
                h.clear();
            }
        });
    });
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(r) => view! { <RequestBody r /> }.into_any(),
                    Err(AppError::NotFound) => {
                        set_status(404);
                        view! {
                            <Title text="Request not found" />
                            <section class="notice">
                                <h1>"No such request"</h1>
                                <p>"This request does not exist, or you may not see it. " <a href="/">"Back to the catalogue"</a></p>
                            </section>
                        }.into_any()
                    }
                    Err(e) => {
                        set_status(503);
                        view! { <p class="notice notice-error" role="alert">{e.to_string()}</p> }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

#[component]
fn RequestBody(r: RequestView) -> impl IntoView {
    let title = format!("Request #{}: {}", r.id, r.action_title);
    let status_class = format!("status status-{}", r.status);
    let id = r.id;
    let outputs = r.outputs.clone();
    let is_requester = r.is_requester;
    view! {
        <Title text=title.clone() />
        <article class="request-page" data-status=r.status.clone()>
            <nav class="breadcrumb" aria-label="Breadcrumb">
                <a href=format!("/actions/{}", r.action_id)>{r.action_title.clone()}</a>
                " / "
                <span aria-current="page">{format!("Request #{}", r.id)}</span>
            </nav>
            <header class="action-header">
                <h1>{title}</h1>
                <p>
                    <span class=status_class data-testid="request-status">{r.status_label.clone()}</span>
                    {r.lead_time.clone().map(|t| view! { <span class="muted">{format!(" · took {t}")}</span> })}
                </p>
                // One text: adjacent optional pieces do not hydrate reliably.
                <p class="muted" data-testid="request-byline">
                    {format!(
                        "Requested by {}{}{} · version {}",
                        r.requester.as_deref().unwrap_or("someone"),
                        r.team.as_deref().map(|t| format!(" for {t}")).unwrap_or_default(),
                        r.origin.as_deref().map(|o| format!(" {o}")).unwrap_or_default(),
                        r.version
                    )}
                </p>
            </header>
            {(!r.errors.is_empty()).then(|| view! {
                <section class="notice notice-error" role="alert">
                    <h2>"What went wrong"</h2>
                    <ul>{r.errors.iter().map(|e| view! { <li>{e.clone()}</li> }).collect_view()}</ul>
                </section>
            })}
            {(!outputs.is_empty()).then(|| view! {
                <section class="outputs" aria-labelledby="outputs-heading">
                    <h2 id="outputs-heading">"Results"</h2>
                    <dl data-testid="outputs">
                        {outputs.into_iter().map(|o| view! { <OutputRow o id is_requester /> }).collect_view()}
                    </dl>
                </section>
            })}
            {r.can_cancel.then(|| view! {
                <form method="post" action=format!("/requests/{}/cancel", r.id) class="cancel">
                    <button type="submit" class="secondary">"Cancel request"</button>
                </form>
            })}
            {r.can_retry.then(|| view! {
                <form method="post" action=format!("/requests/{}/retry", r.id) class="cancel">
                    <button type="submit" class="secondary">"Retry"</button>
                </form>
            })}
            {r.can_approve.then(|| view! { <Decide id=r.id approval=r.approval.clone() /> })}
            {(r.status == "pending_approval" && !r.can_approve).then(|| view! {
                <p class="notice" data-testid="waiting-approval">{r.approval.clone()}</p>
            })}
            {r.can_fulfil.then(|| view! { <Fulfil r=r.clone() /> })}
            {r.rating.clone().map(|rating| view! { <Ease id=r.id r=rating /> })}
            {r.note.clone().map(|n| view! { <section><h2>"Note from the platform team"</h2><p class="note">{n}</p></section> })}
            <section aria-labelledby="inputs-heading">
                <h2 id="inputs-heading">"What was asked"</h2>
                <dl class="inputs">
                    {r.inputs.iter().map(|(k, v)| view! { <dt>{k.clone()}</dt><dd>{input_text(v)}</dd> }).collect_view()}
                </dl>
                <p><a href=r.run_again.clone() rel="external">"Run again with these values"</a></p>
            </section>
            <section aria-labelledby="timeline-heading">
                <h2 id="timeline-heading">"Timeline"</h2>
                <ol class="timeline" data-testid="timeline">
                    {r.events.iter().map(|e| view! {
                        <li data-kind=e.kind.clone()><time datetime=e.at.clone()>{e.at.replace('T', " ").chars().take(19).collect::<String>()}</time>" "{event_text(e)}{e.after.clone().map(|a| view! { <span class="muted after">{format!(" · {a} later")}</span> })}</li>
                    }).collect_view()}
                </ol>
            </section>
            <LogSection id=r.id log=r.log.clone() />
        </article>
    }
    .into_any()
}

#[component]
fn OutputRow(o: OutputView, id: i64, is_requester: bool) -> impl IntoView {
    let value = match (o.kind.as_str(), o.value.clone()) {
        ("link", Some(v)) => {
            view! { <a href=v.clone() rel="external noopener noreferrer">{v.clone()}</a> }
                .into_any()
        }
        ("secret", _) if o.secret_waiting && is_requester => view! {
            <form method="post" action=format!("/requests/{id}/secrets/{}", o.name) class="reveal">
                <button type="submit">"Reveal (shown once, then deleted)"</button>
            </form>
        }
        .into_any(),
        ("secret", _) if o.secret_waiting => {
            view! { <span class="muted">"Secret: only the requester can see it, once."</span> }
                .into_any()
        }
        ("secret", _) => {
            view! { <span class="muted">"Secret: already shown or expired, and deleted."</span> }
                .into_any()
        }
        (_, Some(v)) if v.contains('\n') => view! { <pre>{v}</pre> }.into_any(),
        (_, v) => view! { <span>{v.unwrap_or_default()}</span> }.into_any(),
    };
    view! {
        <dt>{o.label.clone()}</dt>
        <dd data-output=o.name.clone()>{value}</dd>
    }
}

#[component]
fn Fulfil(r: RequestView) -> impl IntoView {
    let id = r.id;
    view! {
        <section class="fulfil" aria-labelledby="fulfil-heading">
            <h2 id="fulfil-heading">"Fulfil this request"</h2>
            {r.instructions.clone().map(|i| view! { <pre class="instructions">{i}</pre> })}
            {match r.status.as_str() {
                "queued" => view! {
                    <form method="post" action=format!("/requests/{id}/take")>
                        <button type="submit" class="primary">"Take it"</button>
                    </form>
                }.into_any(),
                "running" => view! {
                    <p class="muted">{format!("Taken by {}", r.assignee.clone().unwrap_or_default())}</p>
                    <form method="post" action=format!("/requests/{id}/fulfil") class="request-form">
                        <div class="field">
                            <label for="note" class="field-label">"Note to the requester"</label>
                            <textarea id="note" name="note" rows="3" required=true></textarea>
                        </div>
                        <div class="field">
                            <label for="outputs" class="field-label">"Results, one per line: name = value"</label>
                            <textarea id="outputs" name="outputs" rows="3" placeholder="console_url = https://…"></textarea>
                            <p class="help muted">"Values starting with http:// or https:// become links. Write secret: before a value to share it once."</p>
                        </div>
                        <div class="form-actions">
                            <button type="submit" name="outcome" value="done" class="primary">"Mark done"</button>
                            <button type="submit" name="outcome" value="failed" class="secondary">"Mark failed"</button>
                        </div>
                    </form>
                }.into_any(),
                _ => ().into_any(),
            }}
        </section>
    }
}

/// The Single Ease Question for the requester once the request has ended: optional, one answer,
/// changeable for a week.
#[component]
fn Ease(id: i64, r: runway_domain::impact::RatingView) -> impl IntoView {
    use runway_domain::impact::SEQ_QUESTION;
    let chosen = r.score;
    let thanks = chosen.map(|s| format!("You answered {s} of 7. Thank you."));
    if !r.can_rate {
        return view! { <section id="ease" class="ease"><h2>"How easy was it?"</h2><p class="muted">{thanks}</p></section> }.into_any();
    }
    view! {
        <section id="ease" class="ease" aria-labelledby="ease-heading">
            <h2 id="ease-heading">"How easy was it?"</h2>
            {thanks.map(|t| view! { <p class="muted" data-testid="ease-answered">{t}" You can change it for a week."</p> })}
            <form method="post" action=format!("/requests/{id}/rating") class="request-form">
                <fieldset class="scale">
                    <legend>{SEQ_QUESTION}" (optional)"</legend>
                    {(1..=7u8).map(|n| {
                        let label = match n { 1 => " 1 Very difficult".to_string(), 7 => " 7 Very easy".to_string(), _ => format!(" {n}") };
                        view! {
                            <label>
                                <input type="radio" name="score" value=n.to_string() required checked={chosen == Some(n)} />
                                {label}
                            </label>
                        }
                    }).collect_view()}
                </fieldset>
                <label>"Comment (optional)" <textarea name="comment" maxlength="2000" rows="2" prop:value=r.comment.clone()>{r.comment.clone()}</textarea></label>
                <button type="submit" class="secondary">{if chosen.is_some() { "Change my answer" } else { "Send" }}</button>
            </form>
        </section>
    }.into_any()
}

#[component]
fn Decide(id: i64, approval: String) -> impl IntoView {
    view! {
        <section class="decide" aria-labelledby="decide-heading">
            <h2 id="decide-heading">"Your decision"</h2>
            <p class="muted">{approval}</p>
            <form method="post" action=format!("/requests/{id}/approve") class="request-form">
                <div class="field">
                    <label for="comment" class="field-label">"Comment (required to reject)"</label>
                    <textarea id="comment" name="comment" rows="2"></textarea>
                </div>
                <div class="form-actions">
                    <button type="submit" class="primary">"Approve"</button>
                    <button type="submit" class="secondary" formaction=format!("/requests/{id}/reject")>"Reject"</button>
                </div>
            </form>
        </section>
    }
}

/// Opens the request's event stream: each message refetches the page data; errors hand over to
/// polling until the browser reconnects (it resumes from the last event it saw).
#[cfg(feature = "hydrate")]
fn listen(request: i64, live: RwSignal<bool>, tick: RwSignal<u32>) {
    use leptos::wasm_bindgen::closure::Closure;
    use leptos::wasm_bindgen::JsCast;
    let Ok(source) = web_sys::EventSource::new(&format!("/requests/{request}/events")) else {
        return;
    };
    let refresh = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |_| {
        live.set(true);
        tick.update(|t| *t = t.wrapping_add(1));
    });
    let _ = source.add_event_listener_with_callback("update", refresh.as_ref().unchecked_ref());
    let s2 = source.clone();
    let done = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |_| {
        tick.update(|t| *t = t.wrapping_add(1));
        s2.close();
    });
    let _ = source.add_event_listener_with_callback("done", done.as_ref().unchecked_ref());
    let failed = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| live.set(false));
    source.set_onerror(Some(failed.as_ref().unchecked_ref()));
    let closures = send_wrapper::SendWrapper::new((source, refresh, done, failed));
    on_cleanup(move || {
        closures.0.close();
        drop(closures);
    });
}

#[cfg(not(feature = "hydrate"))]
fn listen(_request: i64, _live: RwSignal<bool>, _tick: RwSignal<u32>) {}

/// The log: the tail first; earlier lines on demand; the whole log as a download.
#[component]
fn LogSection(id: i64, log: Vec<runway_domain::view::LogLineView>) -> impl IntoView {
    let earlier = RwSignal::new(Vec::<runway_domain::view::LogLineView>::new());
    let first_id = log.first().map(|l| l.id);
    let oldest = RwSignal::new(first_id);
    let maybe_more = RwSignal::new(log.len() >= 500);
    let load = move |_| {
        let Some(before) = oldest.get_untracked() else {
            return;
        };
        leptos::task::spawn_local(async move {
            if let Ok(mut lines) = crate::api::get_log_before(id, before).await {
                maybe_more.set(lines.len() >= 500);
                oldest.set(lines.first().map(|l| l.id));
                lines.extend(earlier.get_untracked());
                earlier.set(lines);
            }
        });
    };
    let line = |l: runway_domain::view::LogLineView| view! { <span class=format!("log-{}", l.stream) data-log-id=l.id>{l.line}"\n"</span> };
    view! {
        <section aria-labelledby="log-heading">
            <h2 id="log-heading">"Log"</h2>
            {if log.is_empty() {
                view! { <p class="muted">"No output yet."</p> }.into_any()
            } else {
                view! {
                    <p class="muted">
                        {move || maybe_more.get().then(|| view! { <button type="button" class="secondary" on:click=load data-testid="earlier">"Show earlier lines"</button>" " })}
                        <a href=format!("/requests/{id}/log.txt") rel="external" data-testid="download-log">"Download the whole log"</a>
                    </p>
                    <pre class="log" data-testid="log">
                        {move || earlier.get().into_iter().map(line).collect_view()}
                        {log.into_iter().map(line).collect_view()}
                    </pre>
                }.into_any()
            }}
        </section>
    }
    .into_any()
}

/// An input's value in words.
fn input_text(v: &InputValue) -> String {
    match v {
        InputValue::Secret => "(secret: not stored)".to_string(),
        InputValue::Bool(true) => "Yes".to_string(),
        InputValue::Bool(false) => "No".to_string(),
        InputValue::Text(t) => t.clone(),
    }
}

/// An event of the timeline in words: what happened, by whom, with the comment or note.
fn event_text(e: &EventView) -> String {
    let who = e.actor.clone().unwrap_or_default();
    let by = if who.is_empty() {
        String::new()
    } else {
        format!(" by {who}")
    };
    let attempt = e
        .attempt
        .map(|a| format!(" (attempt {a})"))
        .unwrap_or_default();
    match e.kind.as_str() {
        "submitted" => format!("Submitted{by}"),
        "queued" => "Queued".to_string(),
        "approval_requested" => "Waiting for approval".to_string(),
        "started" => format!("Started{attempt}"),
        "assigned" => format!("Taken{by}"),
        "attempt_failed" => format!(
            "Attempt failed{attempt}: {}",
            e.detail.clone().unwrap_or_default()
        ),
        "retry_scheduled" => "Retry scheduled".to_string(),
        "approved" | "rejected" => {
            let verb = if e.kind == "approved" {
                "Approved"
            } else {
                "Rejected"
            };
            match e.detail.as_deref().filter(|d| !d.is_empty()) {
                Some(comment) => format!("{verb}{by}: {comment}"),
                None => format!("{verb}{by}"),
            }
        }
        "expired" => "Expired: nobody approved it in time".to_string(),
        "rescued" => "Worker lost; put back on the queue".to_string(),
        "released" => "Released at worker shutdown; will run again".to_string(),
        "succeeded" => match &e.detail {
            Some(note) if !note.is_empty() => format!("Done{by}: {note}"),
            _ => format!("Succeeded{by}"),
        },
        "failed" => format!("Failed{by}"),
        "cancel_requested" => format!("Cancellation asked{by}"),
        "cancelled" => format!("Cancelled{by}"),
        other => format!("{other}{by}"),
    }
}
