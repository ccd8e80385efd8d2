//! The Impact page (`/impact?days=90`): what a platform lead shows leadership. Headline figures,
//! each action before and after (its baseline against Runway's measured lead time, split into its
//! phases, and the waiting time saved), adoption, effort (ease ratings) and the cognitive-load
//! pulse. Charts are SVG drawn on the server; every table downloads as CSV, the whole as JSON; the
//! page prints as a report. What each figure means: docs/impact.md.

use crate::api::impact::get_impact;
use crate::chart::{LineChart, Series};
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use runway_domain::impact::{
    hours, short_duration as short, ActionImpact, ImpactReport, PulseResults,
    DEFAULT_PULSE_STATEMENTS, MIN_SAMPLES, PERIODS, PULSE_MIN_ANSWERS,
};

#[component]
pub fn ImpactPage() -> impl IntoView {
    let query = use_query_map();
    let days = move || {
        query
            .read()
            .get("days")
            .and_then(|d| d.parse::<u32>().ok())
            .unwrap_or(90)
    };
    let data = crate::resource::load(days, get_impact);
    view! {
        <Title text="Impact" />
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(report) => view! { <Report report /> }.into_any(),
                    Err(AppError::Forbidden) => view! {
                        <h1>"Impact"</h1>
                        <p class="notice notice-error" role="alert">"The Impact page is for admins and the teams that own actions."</p>
                    }.into_any(),
                    Err(e) => view! { <h1>"Impact"</h1><p class="notice notice-error" role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

fn pct(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.0}%")).unwrap_or_else(|| "–".into())
}

fn one(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.1}")).unwrap_or_else(|| "–".into())
}

fn csv_link(table: &'static str, days: u32, label: &'static str) -> impl IntoView {
    view! { <a class="download" href=format!("/impact.csv?table={table}&days={days}") download="">{label}</a> }
}

#[component]
fn Report(report: ImpactReport) -> impl IntoView {
    let days = report.days;
    let h = report.headline.clone();
    let saved = if h.saved_actions > 0 {
        format!("{} over {} action(s)", hours(h.saved_secs), h.saved_actions)
    } else {
        "not enough data".to_string()
    };
    let ease = h
        .ease_mean
        .map(|m| format!("{m:.1} / 7 ({} answers)", h.ease_answers))
        .unwrap_or_else(|| "no answers yet".into());
    let summary = format!(
        "In the last {days} days, {} requests from {} people in {} teams used {} actions; median lead time {}, success rate {}, waiting time saved {saved}.",
        h.requests,
        h.people,
        h.teams,
        h.actions_used,
        short(h.lead_median),
        pct(h.success_rate)
    );
    view! {
        <section class="impact-page">
            <h1>"Impact"</h1>
            <p class="muted">{format!("{} to {} · computed {} · figures refresh every minute", report.since, report.until, report.generated_at)}</p>
            <nav class="periods no-print" aria-label="Period">
                {PERIODS.into_iter().map(|d| {
                    let current = d == days;
                    view! { <a href=format!("/impact?days={d}") aria-current=current.then_some("page")>{format!("{d} days")}</a>" " }
                }).collect_view()}
                " · "<a href=format!("/impact.json?days={days}") download="">"Download all (JSON)"</a>
            </nav>
            <p data-testid="impact-summary">{summary}</p>
            <dl class="figures" data-testid="headline">
                <dt>"Requests"</dt><dd data-figure="requests">{h.requests}</dd>
                <dt>"People"</dt><dd data-figure="people">{h.people}</dd>
                <dt>"Teams"</dt><dd data-figure="teams">{h.teams}</dd>
                <dt>"Median lead time"</dt><dd data-figure="lead">{short(h.lead_median)}</dd>
                <dt>"Success rate"</dt><dd data-figure="success">{pct(h.success_rate)}</dd>
                <dt>"Waiting time saved"</dt><dd data-figure="saved">{saved}</dd>
                <dt>"Ease"</dt><dd data-figure="ease">{ease}</dd>
            </dl>
            <BeforeAfter actions=report.actions.clone() days admin=report.can_manage />
            <Adoption report=report.clone() />
            <Effort report=report.clone() />
            <Pulses pulses=report.pulses.clone() days admin=report.can_manage teams=report.known_teams.clone() />
        </section>
    }
}

#[component]
fn BeforeAfter(actions: Vec<ActionImpact>, days: u32, admin: bool) -> impl IntoView {
    view! {
        <section aria-labelledby="before-after">
            <h2 id="before-after">"Before and after, per action"</h2>
            <p class="muted">{format!("Baseline: the tickets the action replaces (created before its launch), or figures an admin stated. Runway: requests of the period, submitted to finished. A comparison needs at least {MIN_SAMPLES} finished requests and {MIN_SAMPLES} resolved tickets; \"waiting time saved\" = (baseline median − Runway median) × finished requests.")}</p>
            <p class="no-print">{csv_link("actions", days, "Download this table (CSV)")}</p>
            <div class="table-wrap">
                <table class="fields" data-testid="before-after">
                    <thead><tr>
                        <th scope="col">"Action"</th>
                        <th scope="col">"Baseline"</th>
                        <th scope="col">"Before: median / p90"</th>
                        <th scope="col">"Before: per week"</th>
                        <th scope="col">"Runway: median / p90"</th>
                        <th scope="col">"Requests (per week)"</th>
                        <th scope="col">"Success"</th>
                        <th scope="col">"Approval wait"</th>
                        <th scope="col">"Queue wait"</th>
                        <th scope="col">"Run / hands-on"</th>
                        <th scope="col">"Waiting time saved"</th>
                        <th scope="col">"Tickets still arriving"</th>
                    </tr></thead>
                    <tbody>
                        {actions.into_iter().map(|a| {
                            let b = a.baseline.clone();
                            let baseline = match &b {
                                None => "none".to_string(),
                                Some(b) if b.kind == "stated" => format!("stated: {}", b.label),
                                Some(b) => format!("tickets: {} ({} before {})", b.label, b.tickets, b.launched_at),
                            };
                            let before = b.as_ref().map(|b| if b.enough() {
                                format!("{} / {}", short(b.median), short(b.p90))
                            } else {
                                "not enough data".to_string()
                            }).unwrap_or_else(|| "–".into());
                            let per_week = b.as_ref().map(|b| one(b.per_week)).unwrap_or_else(|| "–".into());
                            let after = if a.enough() {
                                format!("{} / {}", short(a.lead.median), short(a.lead.p90))
                            } else {
                                "not enough data".to_string()
                            };
                            let saved = match (a.saved_secs, &b) {
                                (Some(s), _) => format!("{} ({} − {}) × {}", hours(s), short(b.as_ref().and_then(|b| b.median)), short(a.lead.median), a.finished),
                                (None, None) => "no baseline".to_string(),
                                (None, Some(_)) => "not enough data".to_string(),
                            };
                            let arriving = b.as_ref().filter(|b| b.kind == "tickets").map(|b| format!("{} ({}/week)", b.tickets_after, one(b.after_per_week))).unwrap_or_else(|| "–".into());
                            let run = if a.executor == "manual" { format!("hands-on {}", short(a.hands_on.median)) } else { short(a.run_time.median) };
                            let id = a.action_id.clone();
                            view! {
                                <tr id=format!("action-{id}") data-action=id.clone()>
                                    <th scope="row"><a href=format!("/actions/{id}")>{a.title.clone()}</a></th>
                                    <td data-col="baseline">{baseline}
                                        {admin.then(|| view! { <BaselineForms action=id.clone() has=b.is_some() /> })}
                                    </td>
                                    <td data-col="before">{before}</td>
                                    <td data-col="before-week">{per_week}</td>
                                    <td data-col="after">{after}</td>
                                    <td data-col="requests">{format!("{} ({:.1})", a.requests, a.per_week)}</td>
                                    <td data-col="success">{pct(a.success_rate)}</td>
                                    <td>{short(a.approval_wait.median)}</td>
                                    <td>{short(a.queue_wait.median)}</td>
                                    <td>{run}</td>
                                    <td data-col="saved">{saved}</td>
                                    <td data-col="arriving">{arriving}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
}

/// An admin's forms in a row: state figures, or remove the baseline. (A ticket group is linked from
/// its Discover page.)
#[component]
fn BaselineForms(action: String, has: bool) -> impl IntoView {
    view! {
        <details class="no-print baseline-forms">
            <summary>"Set baseline"</summary>
            <form method="post" action="/admin/impact/baselines" class="request-form">
                <input type="hidden" name="action" value=action.clone() />
                <input type="hidden" name="kind" value="stated" />
                <label>"Median time to resolve (hours)" <input name="median_hours" inputmode="decimal" required /></label>
                <label>"90th percentile (hours, optional)" <input name="p90_hours" inputmode="decimal" /></label>
                <label>"Tickets per week (optional)" <input name="per_week" inputmode="decimal" /></label>
                <label>"Where these figures come from" <input name="source_note" required maxlength="200" /></label>
                <label>"Launched on (optional, YYYY-MM-DD)" <input name="launched" type="date" /></label>
                <button type="submit">"Save stated baseline"</button>
            </form>
            <p class="muted">"To measure it instead, open the ticket group in Discover and choose “Use as baseline”."</p>
            {has.then(|| view! {
                <form method="post" action=format!("/admin/impact/baselines/{action}/remove")>
                    <button type="submit" class="secondary">"Remove baseline"</button>
                </form>
            })}
        </details>
    }
}

#[component]
fn Adoption(report: ImpactReport) -> impl IntoView {
    let days = report.days;
    let labels: Vec<String> = report
        .adoption_weeks
        .iter()
        .map(|w| w.week.clone())
        .collect();
    let year = report.until.get(..4).unwrap_or("").to_string();
    let series = vec![
        Series {
            name: "Teams".into(),
            values: report
                .adoption_weeks
                .iter()
                .map(|w| Some(w.teams as f64))
                .collect(),
        },
        Series {
            name: "People".into(),
            values: report
                .adoption_weeks
                .iter()
                .map(|w| Some(w.people as f64))
                .collect(),
        },
    ];
    let summary = format!(
        "Distinct teams and people using any action, week by week: {}",
        report
            .adoption_weeks
            .iter()
            .map(|w| format!("week of {}: {} teams, {} people", w.week, w.teams, w.people))
            .collect::<Vec<_>>()
            .join("; ")
    );
    let early = if report.early_adopters.is_empty() {
        "none yet".to_string()
    } else {
        report.early_adopters.join(", ")
    };
    view! {
        <section aria-labelledby="adoption">
            <h2 id="adoption">"Adoption"</h2>
            <LineChart labels series x_title=format!("Week starting (month-day, {year})") y_title="Distinct users".to_string() summary testid="adoption-chart" />
            <p class="no-print">{csv_link("weeks", days, "Download the weekly figures (CSV)")}</p>
            <p class="muted">{format!("Early-adopter teams (named in a limited rollout): {early}")}</p>
            <div class="table-wrap">
                <table class="fields" data-testid="adoption-table">
                    <thead><tr>
                        <th scope="col">"Action"</th><th scope="col">"Teams using it (since)"</th>
                        <th scope="col">"Requests"</th><th scope="col">"People"</th><th scope="col">"Came back"</th>
                        <th scope="col">"Per week"</th><th scope="col">"Early adopters: requests / people / median"</th>
                        <th scope="col">"Others: requests / people / median"</th>
                    </tr></thead>
                    <tbody>
                        {report.adoption.iter().map(|a| view! {
                            <tr data-action=a.action_id.clone()>
                                <th scope="row">{a.title.clone()}{a.beta.then_some(" (beta)")}</th>
                                <td>{a.teams.iter().map(|t| format!("{} ({})", t.team, t.since)).collect::<Vec<_>>().join(", ")}</td>
                                <td>{a.requests}</td><td>{a.people}</td><td>{a.repeat_people}</td>
                                <td>{format!("{:.1}", a.per_week)}</td>
                                <td>{format!("{} / {} / {}", a.early.requests, a.early.people, short(a.early.lead_median))}</td>
                                <td>{format!("{} / {} / {}", a.others.requests, a.others.people, short(a.others.lead_median))}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            <p class="no-print">{csv_link("adoption", days, "Download this table (CSV)")}</p>
            <h3>"Runway or tickets, per team"</h3>
            {if report.team_shares.is_empty() {
                view! { <p class="muted">"No action is linked to a ticket group yet, so there is nothing to compare."</p> }.into_any()
            } else {
                view! {
                    <table class="fields" data-testid="team-shares">
                        <thead><tr><th scope="col">"Team"</th><th scope="col">"Through Runway"</th><th scope="col">"As tickets"</th><th scope="col">"Share through Runway"</th></tr></thead>
                        <tbody>
                            {report.team_shares.iter().map(|s| view! {
                                <tr><th scope="row">{s.team.clone()}</th><td>{s.runway}</td><td>{s.tickets}</td><td>{pct(s.share)}</td></tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                    <p class="no-print">{csv_link("shares", days, "Download this table (CSV)")}</p>
                }.into_any()
            }}
            <h3>"Where requests came from"</h3>
            <table class="fields" data-testid="channels">
                <thead><tr><th scope="col">"Channel"</th><th scope="col">"Requests"</th><th scope="col">"Share"</th></tr></thead>
                <tbody>
                    {report.channels.iter().map(|c| {
                        let name = match c.channel.as_str() {
                            "portal" => "Portal",
                            "api" => "API and command line",
                            "slack" => "Slack",
                            "jira" => "Jira tickets",
                            other => other,
                        }.to_string();
                        view! { <tr><th scope="row">{name}</th><td>{c.requests}</td><td>{pct(c.share)}</td></tr> }
                    }).collect_view()}
                </tbody>
            </table>
            <p class="no-print">{csv_link("channels", days, "Download this table (CSV)")}</p>
        </section>
    }
}

#[component]
fn Effort(report: ImpactReport) -> impl IntoView {
    let days = report.days;
    view! {
        <section aria-labelledby="effort">
            <h2 id="effort">"Effort"</h2>
            <p class="muted">"“Overall, how easy or difficult was this?” asked of each requester after their request: 1 very difficult, 7 very easy."</p>
            {if report.effort.is_empty() {
                view! { <p class="muted">"No answers in this period."</p> }.into_any()
            } else {
                view! {
                    <EaseChart report=report.clone() />
                    <table class="fields" data-testid="effort">
                        <thead><tr><th scope="col">"Action"</th><th scope="col">"Answers"</th><th scope="col">"Mean"</th><th scope="col">"Answers by score (1 … 7)"</th><th scope="col">"Weekly mean"</th></tr></thead>
                        <tbody>
                            {report.effort.iter().map(|e| view! {
                                <tr data-action=e.action_id.clone()>
                                    <th scope="row">{e.title.clone()}</th>
                                    <td>{e.answers}</td>
                                    <td data-col="mean">{one(e.mean)}</td>
                                    <td>{e.distribution.iter().map(ToString::to_string).collect::<Vec<_>>().join(" · ")}</td>
                                    <td>{e.trend.iter().map(|(w, m, n)| format!("{w}: {m:.1} ({n})")).collect::<Vec<_>>().join("; ")}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                    <p class="no-print">{csv_link("effort", days, "Download this table (CSV)")}</p>
                    {report.effort.iter().filter(|e| !e.comments.is_empty()).map(|e| view! {
                        <h3>{format!("Comments on {}", e.title)}</h3>
                        <ul class="comments" data-testid="ease-comments">
                            {e.comments.iter().map(|c| view! {
                                <li><a href=format!("/requests/{}", c.request_id)>{format!("#{}", c.request_id)}</a>{format!(" · {} · {}/7: ", c.at, c.score)}{c.comment.clone()}</li>
                            }).collect_view()}
                        </ul>
                    }).collect_view()}
                }.into_any()
            }}
        </section>
    }
}

/// The weekly mean ease of the six actions with the most answers, on the 1-7 scale.
#[component]
fn EaseChart(report: ImpactReport) -> impl IntoView {
    let labels: Vec<String> = report
        .adoption_weeks
        .iter()
        .map(|w| w.week.clone())
        .collect();
    let mut effort = report.effort.clone();
    effort.sort_by_key(|e| std::cmp::Reverse(e.answers));
    let series: Vec<Series> = effort
        .iter()
        .take(6)
        .map(|e| Series {
            name: e.title.clone(),
            values: labels
                .iter()
                .map(|w| e.trend.iter().find(|(t, _, _)| t == w).map(|(_, m, _)| *m))
                .collect(),
        })
        .collect();
    let summary = format!(
        "Weekly mean ease (1 very difficult to 7 very easy): {}",
        effort
            .iter()
            .take(6)
            .map(|e| format!(
                "{}: {}",
                e.title,
                e.trend
                    .iter()
                    .map(|(w, m, n)| format!("week of {w} {m:.1} ({n} answers)"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
            .collect::<Vec<_>>()
            .join("; ")
    );
    let year = report.until.get(..4).unwrap_or("").to_string();
    view! {
        <LineChart labels series x_title=format!("Week starting (month-day, {year})") y_title="Mean ease (1-7)".to_string() summary testid="ease-chart" y_top=7.0 />
    }
}

/// A pulse's overall mean (of its statements) per round, per team shown and per group.
#[component]
fn PulseChart(p: PulseResults) -> impl IntoView {
    let mut rounds: Vec<String> = p.cells.iter().map(|c| c.opens_at.clone()).collect();
    rounds.dedup();
    let mut whos: Vec<String> = Vec::new();
    for c in &p.cells {
        if !whos.contains(&c.who) {
            whos.push(c.who.clone());
        }
    }
    let overall = |m: &Vec<f64>| (!m.is_empty()).then(|| m.iter().sum::<f64>() / m.len() as f64);
    let series: Vec<Series> = whos
        .iter()
        .map(|who| Series {
            name: who.clone(),
            values: rounds
                .iter()
                .map(|r| {
                    p.cells
                        .iter()
                        .find(|c| &c.who == who && &c.opens_at == r)
                        .and_then(|c| c.means.as_ref())
                        .and_then(overall)
                })
                .collect(),
        })
        .collect();
    let summary = format!(
        "{}: mean agreement (1-5) per round, shown where at least {PULSE_MIN_ANSWERS} answered: {}",
        p.title,
        series
            .iter()
            .map(|s| format!(
                "{}: {}",
                s.name,
                rounds
                    .iter()
                    .zip(&s.values)
                    .map(|(r, v)| format!(
                        "{r} {}",
                        v.map(|v| format!("{v:.1}"))
                            .unwrap_or_else(|| "hidden".into())
                    ))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
            .collect::<Vec<_>>()
            .join("; ")
    );
    let year = rounds
        .last()
        .and_then(|r| r.get(..4))
        .unwrap_or("")
        .to_string();
    view! {
        <LineChart labels=rounds series x_title=format!("Round opened (month-day, {year})") y_title="Mean (1-5)".to_string() summary testid="pulse-chart" y_top=5.0 />
    }
}

#[component]
fn Pulses(pulses: Vec<PulseResults>, days: u32, admin: bool, teams: Vec<String>) -> impl IntoView {
    view! {
        <section aria-labelledby="pulses-heading" id="pulses">
            <h2 id="pulses-heading">"Team cognitive load"</h2>
            <p class="muted">{format!("Anonymous pulse: statements rated 1 (strongly disagree) to 5 (strongly agree). A round's results show once it has closed, for teams where at least {PULSE_MIN_ANSWERS} members answered; early adopters and other teams pool only teams that are shown.")}</p>
            {pulses.is_empty().then(|| view! { <p class="muted">"No pulse yet."</p> })}
            {pulses.into_iter().map(|p| view! { <PulseTable p admin /> }).collect_view()}
            <p class="no-print">{csv_link("pulses", days, "Download pulse results (CSV)")}</p>
            {admin.then(|| view! { <StartPulse teams /> })}
        </section>
    }
}

#[component]
fn PulseTable(p: PulseResults, admin: bool) -> impl IntoView {
    let statements = p.statements.clone();
    let id = p.pulse_id;
    let chart = p.clone();
    view! {
        <h3>{format!("{} ({}, teams: {}){}", p.title, p.cadence, p.teams.join(", "), if p.stopped { " · stopped" } else { "" })}</h3>
        <PulseChart p=chart />
        <div class="table-wrap">
            <table class="fields" data-testid="pulse-results" data-pulse=id>
                <thead><tr>
                    <th scope="col">"Round"</th><th scope="col">"Who"</th><th scope="col">"Answered"</th>
                    {statements.iter().map(|s| view! { <th scope="col">{s.clone()}</th> }).collect_view()}
                </tr></thead>
                <tbody>
                    {p.cells.iter().map(|c| {
                        let n = statements.len();
                        view! {
                            <tr data-who=c.who.clone()>
                                <td>{c.opens_at.clone()}</td><th scope="row">{c.who.clone()}</th><td>{c.answered}</td>
                                {match &c.means {
                                    Some(m) => m.iter().map(|v| view! { <td data-col="mean">{format!("{v:.1}")}</td> }).collect_view().into_any(),
                                    None => {
                                        let why = if c.open {
                                            format!("Shown once this round closes (from {PULSE_MIN_ANSWERS} answers)")
                                        } else {
                                            format!("Shown from {PULSE_MIN_ANSWERS} answers")
                                        };
                                        view! { <td colspan=n.to_string() class="muted" data-col="hidden">{why}</td> }.into_any()
                                    }
                                }}
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
        {(admin && !p.stopped).then(|| view! {
            <form method="post" action=format!("/admin/pulses/{id}/stop") class="no-print">
                <button type="submit" class="secondary">"Stop this pulse"</button>
            </form>
        })}
    }
}

#[component]
fn StartPulse(teams: Vec<String>) -> impl IntoView {
    view! {
        <details class="no-print">
            <summary>"Start a pulse"</summary>
            <form method="post" action="/admin/pulses" class="request-form" data-testid="start-pulse">
                <label>"Title" <input name="title" required maxlength="100" value="Team cognitive load" /></label>
                <fieldset>
                    <legend>"Statements (3 to 5; leave one empty to drop it)"</legend>
                    {DEFAULT_PULSE_STATEMENTS.iter().enumerate().map(|(i, s)| view! {
                        <label>{format!("Statement {}", i + 1)} <input name="statement" value=*s maxlength="200" /></label>
                    }).collect_view()}
                </fieldset>
                <fieldset class="scale">
                    <legend>"Teams"</legend>
                    {teams.into_iter().map(|t| view! {
                        <label><input type="checkbox" name="team" value=t.clone() />{format!(" {t}")}</label>
                    }).collect_view()}
                </fieldset>
                <label>"Other teams (comma-separated)" <input name="team" /></label>
                <label>"Repeats"
                    <select name="cadence">
                        <option value="once">"Once"</option>
                        <option value="monthly">"Monthly"</option>
                        <option value="quarterly" selected>"Quarterly"</option>
                    </select>
                </label>
                <label>"Days each round stays open" <input name="open_days" type="number" min="1" max="60" value="14" /></label>
                <button type="submit">"Start pulse"</button>
            </form>
        </details>
    }
}
