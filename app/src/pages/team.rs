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

/// "3m 20s", "2h 5m", "1d 4h".
fn short(secs: Option<u64>) -> String {
    let Some(s) = secs else { return "–".into() };
    match s {
        0..=59 => format!("{s}s"),
        60..=3_599 => format!("{}m {}s", s / 60, s % 60),
        3_600..=86_399 => format!("{}h {}m", s / 3_600, (s % 3_600) / 60),
        _ => format!("{}d {}h", s / 86_400, (s % 86_400) / 3_600),
    }
}

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

const COLOURS: [&str; 6] = [
    "#2f6fde", "#e07b39", "#3a9d5d", "#b04fc2", "#c9a227", "#d8485c",
];

/// Stacked bars, one per week, one colour per action, with a legend and a text table fallback.
#[component]
fn WeeklyChart(weeks: Vec<String>, per_week: Vec<(String, Vec<u64>)>) -> impl IntoView {
    let totals: Vec<u64> = (0..weeks.len())
        .map(|i| {
            per_week
                .iter()
                .map(|(_, v)| v.get(i).copied().unwrap_or(0))
                .sum()
        })
        .collect();
    let max = totals.iter().copied().max().unwrap_or(0).max(1);
    let (w, h, bar) = (600.0_f64, 160.0_f64, 40.0_f64);
    let mut rects = Vec::new();
    for (i, _) in weeks.iter().enumerate() {
        let mut y = h;
        for (k, (action, counts)) in per_week.iter().enumerate() {
            let n = counts.get(i).copied().unwrap_or(0);
            if n == 0 {
                continue;
            }
            let height = h * n as f64 / max as f64;
            y -= height;
            let x = i as f64 * (w / weeks.len().max(1) as f64) + 4.0;
            rects.push(view! {
                <rect x=format!("{x:.1}") y=format!("{y:.1}") width=format!("{bar:.1}") height=format!("{height:.1}") fill=COLOURS[k % COLOURS.len()]>
                    <title>{format!("{action}: {n}")}</title>
                </rect>
            });
        }
    }
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
    view! {
        <figure class="chart">
            <svg viewBox=format!("0 0 {w} {h}") width="100%" role="img" aria-label=summary.clone() data-testid="weekly-chart">
                {rects}
            </svg>
            <figcaption>
                <ul class="legend">
                    {per_week.iter().enumerate().map(|(k, (action, _))| view! {
                        <li><svg width="12" height="12" aria-hidden="true"><rect width="12" height="12" fill=COLOURS[k % COLOURS.len()] /></svg>" "{action.clone()}</li>
                    }).collect_view()}
                </ul>
                <p class="muted">{summary}</p>
            </figcaption>
        </figure>
    }
}
