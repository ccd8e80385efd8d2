//! The pulse page (`/pulse`): the cognitive-load rounds waiting for the caller's answer. Answers are
//! anonymous (stored only as counts per team) and final; the navigation shows a badge while one is
//! open.

use crate::api::impact::get_open_pulses;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use runway_domain::impact::OpenPulse;

const SCALE: [&str; 5] = [
    "Strongly disagree",
    "Disagree",
    "Neither",
    "Agree",
    "Strongly agree",
];

#[component]
pub fn PulsePage() -> impl IntoView {
    let query = use_query_map();
    let answered = move || query.read().get("answered").is_some();
    let data = crate::resource::load(|| (), |_| get_open_pulses());
    view! {
        <Title text="Pulse" />
        <section class="pulse-page">
            <h1>"Pulse"</h1>
            {move || answered().then(|| view! { <p class="notice" role="status">"Thank you. Your answer was counted anonymously."</p> })}
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(open) if open.is_empty() => view! { <p class="muted">"Nothing to answer right now."</p> }.into_any(),
                        Ok(open) => open.into_iter().map(|p| view! { <Round p /> }).collect_view().into_any(),
                        Err(e) => view! { <p class="notice notice-error" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn Round(p: OpenPulse) -> impl IntoView {
    view! {
        <form method="post" action=format!("/pulse/{}/answer", p.round_id) class="request-form pulse-form" data-testid="pulse-form">
            <h2>{p.title.clone()}</h2>
            <p class="muted">{format!(
                "For team {}. Open until {}. Nobody, admins included, can see your answers: they are only added to your team's counts, and a team's results show only once five of its members have answered.",
                p.teams.join(" and "), p.closes_at
            )}</p>
            {p.statements.iter().enumerate().map(|(i, s)| view! {
                <fieldset class="scale">
                    <legend>{s.clone()}</legend>
                    {SCALE.iter().enumerate().map(|(k, label)| view! {
                        <label>
                            <input type="radio" name=format!("s{i}") value=(k + 1).to_string() required />
                            {format!(" {} {label}", k + 1)}
                        </label>
                    }).collect_view()}
                </fieldset>
            }).collect_view()}
            <button type="submit">"Send answers"</button>
        </form>
    }
}
