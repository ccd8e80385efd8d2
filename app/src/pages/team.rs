//! The team page: how much the team asks for, how fast it gets it, and what waits for approval.
//! The chart is SVG rendered on the server, readable without JavaScript.

use crate::api::{get_team, set_status};
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use runway_domain::view::TeamPage;

#[component]
pub fn TeamPageView() -> impl IntoView {
    let params = use_params_map();
    let team = move || params.read().get("team").unwrap_or_default();
    let data = crate::resource::load(team, get_team);
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(page) => view! { <Team page /> }.into_any(),
                    Err(AppError::NotFound) => {
                        set_status(404);
                        view! { <Title text="Team not found" /><p class="notice">"No such team, or you are not in it."</p> }.into_any()
                    }
                    Err(e) => view! { <p class="notice notice-error" role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

use runway_domain::impact::short_duration as short;

#[component]
fn Team(page: TeamPage) -> impl IntoView {
    let team = page.team.clone();
    let rate = page
        .success_rate
        .map(|r| format!("{r:.0}%"))
        .unwrap_or_else(|| "–".into());
    view! {
        <Title text=format!("Team {team}") />
        <section class="team-page">
            <h1>{format!("Team {team}")}</h1>
            <p><a href=format!("/requests?scope=team&team={}", runway_domain::view::encode_query_value(&team))>"All of the team's requests"</a></p>
            <dl class="figures" data-testid="figures">
                <dt>"Requests this week"</dt><dd data-figure="week">{page.this_week}</dd>
                <dt>"Requests this month"</dt><dd data-figure="month">{page.this_month}</dd>
                <dt>"Success rate (30 days)"</dt><dd data-figure="success">{rate}</dd>
            </dl>
            <h2>"Per action, last 90 days"</h2>
            <div class="table-wrap">
                <table class="fields" data-testid="action-stats">
                    <thead><tr>
                        <th scope="col">"Action"</th><th scope="col">"Requests"</th>
                        <th scope="col">"Lead time, median"</th><th scope="col">"Lead time, p90"</th>
                        <th scope="col">"Approval wait, median"</th><th scope="col">"Approval wait, p90"</th>
                    </tr></thead>
                    <tbody>
                        {page.actions.into_iter().map(|a| view! {
                            <tr data-action=a.action_id.clone()>
                                <td>{a.action_title}</td><td>{a.requests}</td>
                                <td>{short(a.lead_median)}</td><td>{short(a.lead_p90)}</td>
                                <td>{short(a.approval_median)}</td><td>{short(a.approval_p90)}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            <h2>"Requests per week"</h2>
            <WeeklyChart weeks=page.weeks per_week=page.per_week />
            <h2>"Waiting for approval"</h2>
            {if page.pending_approvals.is_empty() {
                view! { <p class="muted">"Nothing waiting."</p> }.into_any()
            } else {
                view! {
                    <ul data-testid="team-pending">
                        {page.pending_approvals.into_iter().map(|r| view! {
                            <li><a href=format!("/requests/{}", r.id)>{format!("#{} {} by {}", r.id, r.action_title, r.requester)}</a></li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
    .into_any()
}

/// Stacked bars, one per week, one colour per action, with labelled axes and a text summary.
#[component]
fn WeeklyChart(weeks: Vec<String>, per_week: Vec<(String, Vec<u64>)>) -> impl IntoView {
    use crate::chart::{Series, StackedBars};
    let totals: Vec<u64> = (0..weeks.len())
        .map(|i| {
            per_week
                .iter()
                .map(|(_, v)| v.get(i).copied().unwrap_or(0))
                .sum()
        })
        .collect();
    let summary = format!(
        "Requests per week over the last {} weeks: {}",
        weeks.len(),
        weeks
            .iter()
            .zip(&totals)
            .map(|(wk, t)| format!("week of {wk}: {t}"))
            .collect::<Vec<_>>()
            .join("; ")
    );
    let year = weeks
        .last()
        .and_then(|w| w.get(..4))
        .unwrap_or("")
        .to_string();
    let series = per_week
        .into_iter()
        .map(|(name, v)| Series::full(name, v.into_iter().map(|n| n as f64)))
        .collect();
    view! {
        <StackedBars labels=weeks series x_title=format!("Week starting (month-day, {year})") y_title="Requests".to_string() summary testid="weekly-chart" />
    }
}
