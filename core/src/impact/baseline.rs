//! An action's baseline: what the same need cost before Runway. Either the Discover group of tickets
//! the action replaces (measured: created-to-resolved times and weekly volume of the tickets created
//! before the launch), or figures an admin states with their source (shown as stated).
//!
//! A linked group's tickets are kept in `baseline_tickets`, written when it is linked and again
//! after every import of its source ([`refresh_source`]), so tickets still arriving after the
//! launch (people who have not switched yet) are counted.

use super::ImpactError;
use crate::audit::{record_or_log, Actor, AuditEvent, AuditKind};
use crate::db::impact::{self as sql, NewBaseline};
use crate::db::{Db, DbError};
use crate::state::Runway;
use chrono::{DateTime, NaiveDate, Utc};
use runway_discover::cluster::GroupId;
use runway_discover::rank::RankBy;
use runway_domain::impact::{Baseline, Quantiles};
use runway_domain::user::User;
use std::collections::BTreeMap;

/// What an admin sets.
#[derive(Debug, Clone, PartialEq)]
pub enum BaselineInput {
    Group {
        source: String,
        group: String,
    },
    Stated {
        median_hours: f64,
        p90_hours: Option<f64>,
        per_week: Option<f64>,
        source_note: String,
    },
}

/// The launch: the given day (00:00 UTC), else the day the action first appeared in the catalogue.
async fn launch(
    rw: &Runway,
    action_id: &str,
    launched: Option<NaiveDate>,
) -> Result<DateTime<Utc>, ImpactError> {
    if let Some(day) = launched {
        return day
            .and_hms_opt(0, 0, 0)
            .map(|t| t.and_utc())
            .ok_or_else(|| ImpactError::Invalid("the launch date is not a day".into()));
    }
    Ok(sql::first_loaded(&rw.db, action_id)
        .await?
        .unwrap_or_else(Utc::now))
}

fn hours_to_secs(h: f64, what: &str) -> Result<i64, ImpactError> {
    if !h.is_finite() || h <= 0.0 || h > 24.0 * 3650.0 {
        return Err(ImpactError::Invalid(format!(
            "{what} must be a number of hours above 0 and at most 87600"
        )));
    }
    Ok((h * 3600.0).round() as i64)
}

/// Sets `action_id`'s baseline (admins only), replacing any earlier one.
pub async fn set(
    rw: &Runway,
    user: &User,
    action_id: &str,
    input: &BaselineInput,
    launched: Option<NaiveDate>,
) -> Result<(), ImpactError> {
    if !user.is_admin {
        return Err(ImpactError::NotAllowed);
    }
    if !rw.catalog.snapshot().actions.contains_key(action_id) {
        return Err(ImpactError::NoAction(action_id.to_string()));
    }
    let launched_at = launch(rw, action_id, launched).await?;
    let now = Utc::now();
    let detail = match input {
        BaselineInput::Group { source, group } => {
            let (label, keys) = keys_in(&analyse(&rw.db, source).await?, group)?;
            sql::set_baseline(
                &rw.db,
                action_id,
                &NewBaseline::Tickets {
                    source,
                    group_id: group,
                    label: &label,
                    keys: &keys,
                },
                launched_at,
                &user.name,
                now,
            )
            .await?;
            serde_json::json!({ "kind": "tickets", "source": source, "group": group, "label": label, "tickets": keys.len() })
        }
        BaselineInput::Stated {
            median_hours,
            p90_hours,
            per_week,
            source_note,
        } => {
            let note = source_note.trim();
            if note.is_empty() || note.chars().count() > 200 {
                return Err(ImpactError::Invalid(
                    "say where the stated figures come from (1-200 characters)".into(),
                ));
            }
            let median_secs = hours_to_secs(*median_hours, "the median time to resolve")?;
            let p90_secs = p90_hours
                .map(|h| hours_to_secs(h, "the 90th percentile"))
                .transpose()?;
            if p90_secs.is_some_and(|p| p < median_secs) {
                return Err(ImpactError::Invalid(
                    "the 90th percentile cannot be below the median".into(),
                ));
            }
            if let Some(w) = per_week {
                if !w.is_finite() || *w < 0.0 || *w > 1_000_000.0 {
                    return Err(ImpactError::Invalid(
                        "tickets per week must be a number from 0 to 1000000".into(),
                    ));
                }
            }
            sql::set_baseline(
                &rw.db,
                action_id,
                &NewBaseline::Stated {
                    median_secs,
                    p90_secs,
                    per_week: *per_week,
                    source_note: note,
                },
                launched_at,
                &user.name,
                now,
            )
            .await?;
            serde_json::json!({ "kind": "stated", "median_secs": median_secs, "source": note })
        }
    };
    record_or_log(
        &rw.db,
        &AuditEvent::new(
            Actor::person(user),
            AuditKind::BaselineSet,
            format!("action:{action_id}"),
        )
        .detail(detail),
    )
    .await;
    rw.impact.clear();
    Ok(())
}

/// Removes `action_id`'s baseline (admins only).
pub async fn remove(rw: &Runway, user: &User, action_id: &str) -> Result<(), ImpactError> {
    if !user.is_admin {
        return Err(ImpactError::NotAllowed);
    }
    if !sql::remove_baseline(&rw.db, action_id).await? {
        return Err(ImpactError::NoAction(action_id.to_string()));
    }
    record_or_log(
        &rw.db,
        &AuditEvent::new(
            Actor::person(user),
            AuditKind::BaselineRemoved,
            format!("action:{action_id}"),
        ),
    )
    .await;
    rw.impact.clear();
    Ok(())
}

/// The current analysis of `source` (Discover's grouping with its decisions applied).
async fn analyse(db: &Db, source: &str) -> Result<crate::discover::Analysis, ImpactError> {
    crate::discover::analysis(db, source, RankBy::Waiting)
        .await
        .map_err(|e| match e {
            crate::discover::DiscoverError::Db(d) => ImpactError::Db(d),
            other => ImpactError::Invalid(other.to_string()),
        })
}

/// The group's label and its tickets' keys in `analysis`.
fn keys_in(
    analysis: &crate::discover::Analysis,
    group: &str,
) -> Result<(String, Vec<String>), ImpactError> {
    let id = GroupId(group.to_string());
    let found = analysis
        .groups
        .iter()
        .find(|g| g.id == id)
        .ok_or_else(|| ImpactError::NoGroup(group.to_string()))?;
    let keys = found
        .members
        .iter()
        .filter_map(|i| analysis.tickets.get(*i as usize))
        .map(|t| t.key.clone())
        .collect();
    Ok((found.label(), keys))
}

/// After an import of `source`: the linked groups of that source take their tickets from the new
/// analysis (same launch, same person). A group the new analysis no longer finds keeps its tickets.
/// The caller clears `Runway::impact` when it has one.
pub async fn refresh_source(db: &Db, source: &str) -> Result<usize, ImpactError> {
    let mut refreshed = 0;
    let mut analysis = None;
    for b in sql::baselines(db).await? {
        let (Some(src), Some(group)) = (b.source.as_deref(), b.group_id.as_deref()) else {
            continue;
        };
        if src != source {
            continue;
        }
        if analysis.is_none() {
            analysis = Some(analyse(db, src).await?);
        }
        let Some(current) = analysis.as_ref() else {
            continue;
        };
        match keys_in(current, group) {
            Ok((label, keys)) => {
                sql::set_baseline(
                    db,
                    &b.action_id,
                    &NewBaseline::Tickets {
                        source: src,
                        group_id: group,
                        label: &label,
                        keys: &keys,
                    },
                    b.launched_at,
                    &b.set_by,
                    Utc::now(),
                )
                .await?;
                refreshed += 1;
            }
            Err(ImpactError::NoGroup(_)) => {
                tracing::warn!(action = %b.action_id, group, "the linked ticket group is not in the new analysis; its baseline keeps its tickets");
            }
            Err(e) => return Err(e),
        }
    }
    Ok(refreshed)
}

fn quantiles(values: Vec<u64>) -> Quantiles {
    super::quantiles(values)
}

/// Every baseline's figures, by action.
pub async fn figures(
    rw: &Runway,
    now: DateTime<Utc>,
) -> Result<BTreeMap<String, Baseline>, DbError> {
    let mut tickets: BTreeMap<String, Vec<(i64, Option<i64>)>> = BTreeMap::new();
    for (action, created, resolved, _) in sql::baseline_tickets(&rw.db).await? {
        tickets.entry(action).or_default().push((created, resolved));
    }
    let now = now.timestamp();
    let mut out = BTreeMap::new();
    for b in sql::baselines(&rw.db).await? {
        let launched = b.launched_at.timestamp();
        let base = match b.kind.as_str() {
            "stated" => Baseline {
                kind: b.kind.clone(),
                label: b.stated_source.clone().unwrap_or_default(),
                source: None,
                group_id: None,
                launched_at: b.launched_at.date_naive().to_string(),
                tickets: 0,
                resolved: 0,
                per_week: b.stated_per_week,
                median: b.stated_median_secs.and_then(|s| u64::try_from(s).ok()),
                p90: b.stated_p90_secs.and_then(|s| u64::try_from(s).ok()),
                tickets_after: 0,
                after_per_week: None,
                set_by: b.set_by.clone(),
            },
            _ => {
                let all = tickets.get(&b.action_id).map(Vec::as_slice).unwrap_or(&[]);
                let before: Vec<&(i64, Option<i64>)> =
                    all.iter().filter(|(c, _)| *c < launched).collect();
                let after = all.len() - before.len();
                let times: Vec<u64> = before
                    .iter()
                    .filter_map(|(c, r)| r.and_then(|r| u64::try_from(r - c).ok()))
                    .collect();
                let first = before.iter().map(|(c, _)| *c).min();
                let q = quantiles(times);
                Baseline {
                    kind: b.kind.clone(),
                    label: b.group_label.clone().unwrap_or_default(),
                    source: b.source.clone(),
                    group_id: b.group_id.clone(),
                    launched_at: b.launched_at.date_naive().to_string(),
                    tickets: before.len() as u64,
                    resolved: q.n,
                    per_week: first.map(|f| super::per_week(before.len() as u64, launched - f)),
                    median: q.median,
                    p90: q.p90,
                    tickets_after: after as u64,
                    after_per_week: (now > launched)
                        .then(|| super::per_week(after as u64, now - launched)),
                    set_by: b.set_by.clone(),
                }
            }
        };
        out.insert(b.action_id, base);
    }
    Ok(out)
}
