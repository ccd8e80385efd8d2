//! Plain routes of Impact (issue #14): the requester's ease rating, baselines, pulses and their
//! answers (form posts that redirect back), and the report's downloads (`/impact.csv?table=…`,
//! `/impact.json`). Every one sits behind the sign-in guard and the CSRF check; who may do what is
//! decided in `runway_core::impact`.

use crate::error::{bad_request, not_found, Error};
use crate::requests::{body_values, field};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Json};
use runway_core::impact::{self, baseline::BaselineInput, pulse::NewPulse};
use runway_domain::form::RawValues;
use runway_domain::impact::ImpactReport;
use runway_domain::user::User;
use runway_domain::view::parse_query;

/// `POST /requests/{id}/rating`: the requester answers (or changes) the ease question.
pub async fn rate(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Extension(user): Extension<User>,
    body: Bytes,
) -> Result<Response, Error> {
    let form = body_values(&body);
    impact::rating::rate(
        &state.runway,
        &user,
        id,
        &field(&form, "score"),
        &field(&form, "comment"),
    )
    .await?;
    Ok(Redirect::to(&format!("/requests/{id}#ease")).into_response())
}

/// Refuses non-admins before anything in the form is read (a refusal never depends on the body).
fn admin_only(user: &User) -> Result<(), Error> {
    if user.is_admin {
        Ok(())
    } else {
        Err(runway_core::impact::ImpactError::NotAllowed.into())
    }
}

fn number(form: &RawValues, name: &str, what: &str) -> Result<Option<f64>, Error> {
    let v = field(form, name);
    if v.is_empty() {
        return Ok(None);
    }
    v.replace(',', ".")
        .parse::<f64>()
        .map(Some)
        .map_err(|_| bad_request("Please check the form", format!("{what} must be a number.")))
}

/// `POST /admin/impact/baselines`: an admin links an action to a Discover ticket group
/// (`kind=group`, `source`, `group`) or states its figures (`kind=stated`, `median_hours`,
/// `p90_hours`, `per_week`, `source_note`); `launched` (YYYY-MM-DD) is optional.
pub async fn set_baseline(
    State(state): State<AppState>,
    Extension(user): Extension<User>,
    body: Bytes,
) -> Result<Response, Error> {
    admin_only(&user)?;
    let form = body_values(&body);
    let action = field(&form, "action");
    let launched = match field(&form, "launched") {
        d if d.is_empty() => None,
        d => Some(
            chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d").map_err(|_| {
                bad_request(
                    "Please check the form",
                    "The launch date must be a day like 2026-03-01.",
                )
            })?,
        ),
    };
    let input = match field(&form, "kind").as_str() {
        "group" => BaselineInput::Group {
            source: field(&form, "source"),
            group: field(&form, "group"),
        },
        "stated" => BaselineInput::Stated {
            median_hours: number(&form, "median_hours", "The median time to resolve")?.ok_or_else(
                || {
                    bad_request(
                        "Please check the form",
                        "Give the median time to resolve, in hours.",
                    )
                },
            )?,
            p90_hours: number(&form, "p90_hours", "The 90th percentile")?,
            per_week: number(&form, "per_week", "Tickets per week")?,
            source_note: field(&form, "source_note"),
        },
        _ => {
            return Err(bad_request(
                "Please check the form",
                "Choose a ticket group or state the figures.",
            ))
        }
    };
    impact::baseline::set(&state.runway, &user, &action, &input, launched).await?;
    Ok(Redirect::to(&format!("/impact#action-{action}")).into_response())
}

/// `POST /admin/impact/baselines/{action}/remove`.
pub async fn remove_baseline(
    State(state): State<AppState>,
    Path(action): Path<String>,
    Extension(user): Extension<User>,
) -> Result<Response, Error> {
    impact::baseline::remove(&state.runway, &user, &action).await?;
    Ok(Redirect::to(&format!("/impact#action-{action}")).into_response())
}

/// `POST /admin/pulses`: an admin starts a pulse (`title`, `statement` ×3-5, `team` (repeated or
/// comma-separated), `cadence`, `open_days`).
pub async fn start_pulse(
    State(state): State<AppState>,
    Extension(user): Extension<User>,
    body: Bytes,
) -> Result<Response, Error> {
    admin_only(&user)?;
    let form = body_values(&body);
    let all = |name: &str| -> Vec<String> {
        form.iter()
            .filter(|(k, _)| k == name)
            .flat_map(|(_, v)| v.split(',').map(|s| s.trim().to_string()))
            .filter(|s| !s.is_empty())
            .collect()
    };
    let statements = form
        .iter()
        .filter(|(k, _)| k == "statement")
        .map(|(_, v)| v.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    let open_days = match field(&form, "open_days") {
        d if d.is_empty() => 14,
        d => d.parse().map_err(|_| {
            bad_request(
                "Please check the form",
                "Days open must be a whole number from 1 to 60.",
            )
        })?,
    };
    let new = NewPulse {
        title: field(&form, "title"),
        statements,
        teams: all("team"),
        cadence: match field(&form, "cadence") {
            c if c.is_empty() => "once".to_string(),
            c => c,
        },
        open_days,
    };
    impact::pulse::start(&state.runway, &user, &new).await?;
    Ok(Redirect::to("/impact#pulses").into_response())
}

/// `POST /admin/pulses/{id}/stop`.
pub async fn stop_pulse(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Extension(user): Extension<User>,
) -> Result<Response, Error> {
    impact::pulse::stop(&state.runway, &user, id).await?;
    Ok(Redirect::to("/impact#pulses").into_response())
}

/// `POST /pulse/{round}/answer`: a member answers a round (`s0` … `s4`, each 1-5).
pub async fn answer_pulse(
    State(state): State<AppState>,
    Path(round): Path<i64>,
    Extension(user): Extension<User>,
    body: Bytes,
) -> Result<Response, Error> {
    let form = body_values(&body);
    let scores: Vec<String> = (0..5)
        .map(|i| field(&form, &format!("s{i}")))
        .take_while(|s| !s.is_empty())
        .collect();
    impact::pulse::answer(&state.runway, &user, round, &scores).await?;
    Ok(Redirect::to("/pulse?answered=1").into_response())
}

/// The period asked for (`days=`), one of [`impact::PERIODS`]; 90 by default.
pub fn period(query: &[(String, String)]) -> u32 {
    query
        .iter()
        .find(|(k, _)| k == "days")
        .and_then(|(_, v)| v.parse::<u32>().ok())
        .filter(|d| impact::PERIODS.contains(d))
        .unwrap_or(90)
}

async fn load(state: &AppState, user: &User, days: u32) -> Result<ImpactReport, Error> {
    impact::report(&state.runway, user, days)
        .await
        .map_err(|e| crate::error::internal("cannot compute the impact report", e))?
        .ok_or_else(not_found)
}

/// `GET /impact.json?days=90`: the whole report.
pub async fn export_json(
    State(state): State<AppState>,
    Extension(user): Extension<User>,
    RawQuery(query): RawQuery,
) -> Result<Response, Error> {
    let days = period(&parse_query(query.as_deref().unwrap_or("")));
    let report = load(&state, &user, days).await?;
    Ok((
        [(
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"runway-impact-{days}d.json\""),
        )],
        Json(report),
    )
        .into_response())
}

/// `GET /impact.csv?table=actions&days=90`: one table of the report.
pub async fn export_csv(
    State(state): State<AppState>,
    Extension(user): Extension<User>,
    RawQuery(query): RawQuery,
) -> Result<Response, Error> {
    let q = parse_query(query.as_deref().unwrap_or(""));
    let days = period(&q);
    let table = field(&q, "table");
    if !TABLES.contains(&table.as_str()) {
        return Err(bad_request(
            "Unknown table",
            format!("Ask for one of: {}.", TABLES.join(", ")),
        ));
    }
    let report = load(&state, &user, days).await?;
    let body = csv(&report, &table);
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"runway-impact-{table}-{days}d.csv\""),
            ),
        ],
        body,
    )
        .into_response())
}

/// The report's tables, as `/impact.csv?table=` names them.
pub const TABLES: [&str; 7] = [
    "actions", "adoption", "weeks", "shares", "channels", "effort", "pulses",
];

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

fn f1(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.1}")).unwrap_or_default()
}

/// One table of `report` as CSV (text through [`crate::requests::csv::field`]; numbers as they are).
pub fn csv(report: &ImpactReport, table: &str) -> String {
    use crate::requests::csv::field as text;
    let mut out = String::new();
    let mut row = |cells: Vec<String>| {
        out.push_str(&cells.join(","));
        out.push('\n');
    };
    match table {
        "actions" => {
            row([
                "action",
                "title",
                "executor",
                "baseline_kind",
                "baseline_label",
                "baseline_tickets",
                "baseline_per_week",
                "baseline_median_s",
                "baseline_p90_s",
                "launched",
                "tickets_after_launch",
                "requests",
                "finished",
                "per_week",
                "success_pct",
                "lead_median_s",
                "lead_p90_s",
                "approval_median_s",
                "queue_median_s",
                "run_median_s",
                "hands_on_median_s",
                "saved_s",
                "ease_mean",
                "ease_answers",
            ]
            .map(String::from)
            .to_vec());
            for a in &report.actions {
                let b = a.baseline.as_ref();
                row(vec![
                    text(&a.action_id),
                    text(&a.title),
                    a.executor.clone(),
                    opt(b.map(|b| b.kind.clone())),
                    text(&b.map(|b| b.label.clone()).unwrap_or_default()),
                    opt(b.map(|b| b.tickets)),
                    f1(b.and_then(|b| b.per_week)),
                    opt(b.and_then(|b| b.median)),
                    opt(b.and_then(|b| b.p90)),
                    opt(b.map(|b| b.launched_at.clone())),
                    opt(b.map(|b| b.tickets_after)),
                    a.requests.to_string(),
                    a.finished.to_string(),
                    format!("{:.1}", a.per_week),
                    f1(a.success_rate),
                    opt(a.lead.median),
                    opt(a.lead.p90),
                    opt(a.approval_wait.median),
                    opt(a.queue_wait.median),
                    opt(a.run_time.median),
                    opt(a.hands_on.median),
                    opt(a.saved_secs),
                    f1(a.ease_mean),
                    a.ease_answers.to_string(),
                ]);
            }
        }
        "adoption" => {
            row([
                "action",
                "title",
                "teams",
                "requests",
                "people",
                "repeat_people",
                "per_week",
                "beta",
                "early_requests",
                "early_people",
                "other_requests",
                "other_people",
            ]
            .map(String::from)
            .to_vec());
            for a in &report.adoption {
                let teams = a
                    .teams
                    .iter()
                    .map(|t| format!("{} since {}", t.team, t.since))
                    .collect::<Vec<_>>()
                    .join("; ");
                row(vec![
                    text(&a.action_id),
                    text(&a.title),
                    text(&teams),
                    a.requests.to_string(),
                    a.people.to_string(),
                    a.repeat_people.to_string(),
                    format!("{:.1}", a.per_week),
                    a.beta.to_string(),
                    a.early.requests.to_string(),
                    a.early.people.to_string(),
                    a.others.requests.to_string(),
                    a.others.people.to_string(),
                ]);
            }
        }
        "weeks" => {
            row(["week", "teams", "people", "requests"]
                .map(String::from)
                .to_vec());
            for w in &report.adoption_weeks {
                row(vec![
                    w.week.clone(),
                    w.teams.to_string(),
                    w.people.to_string(),
                    w.requests.to_string(),
                ]);
            }
        }
        "shares" => {
            row(["team", "runway_requests", "tickets", "share_pct"]
                .map(String::from)
                .to_vec());
            for s in &report.team_shares {
                row(vec![
                    text(&s.team),
                    s.runway.to_string(),
                    s.tickets.to_string(),
                    f1(s.share),
                ]);
            }
        }
        "channels" => {
            row(["channel", "requests", "share_pct"]
                .map(String::from)
                .to_vec());
            for c in &report.channels {
                row(vec![c.channel.clone(), c.requests.to_string(), f1(c.share)]);
            }
        }
        "effort" => {
            row([
                "action", "title", "answers", "mean", "s1", "s2", "s3", "s4", "s5", "s6", "s7",
                "comments",
            ]
            .map(String::from)
            .to_vec());
            for e in &report.effort {
                let mut cells = vec![
                    text(&e.action_id),
                    text(&e.title),
                    e.answers.to_string(),
                    f1(e.mean),
                ];
                cells.extend(e.distribution.iter().map(|n| n.to_string()));
                cells.push(text(
                    &e.comments
                        .iter()
                        .map(|c| format!("{} ({}/7): {}", c.at, c.score, c.comment))
                        .collect::<Vec<_>>()
                        .join(" | "),
                ));
                row(cells);
            }
        }
        _ => {
            row([
                "pulse",
                "title",
                "round_opened",
                "who",
                "answered",
                "statement",
                "mean",
            ]
            .map(String::from)
            .to_vec());
            for p in &report.pulses {
                for c in &p.cells {
                    for (i, s) in p.statements.iter().enumerate() {
                        row(vec![
                            p.pulse_id.to_string(),
                            text(&p.title),
                            c.opens_at.clone(),
                            text(&c.who),
                            c.answered.to_string(),
                            text(s),
                            f1(c.means.as_ref().and_then(|m| m.get(i).copied())),
                        ]);
                    }
                }
            }
        }
    }
    out
}
