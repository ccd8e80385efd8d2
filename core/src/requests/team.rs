//! The team page's figures: counts, lead times and approval waits over the team's last 90 days.

use super::history::history_rows;
use crate::db::DbError;
use crate::state::Runway;
use runway_domain::user::User;

/// The team page's figures, for a member of `team` (or an admin). `None` if the caller may not see
/// the team.
pub async fn team_stats(
    rw: &Runway,
    user: &User,
    team: &str,
) -> Result<Option<runway_domain::view::TeamPage>, DbError> {
    use chrono::{Datelike, Duration, Utc};
    use runway_domain::view::{ActionStats, TeamPage};
    use std::collections::BTreeMap;
    if !(user.is_admin || user.teams.iter().any(|m| m.team == team)) {
        return Ok(None);
    }
    let now = Utc::now();
    let today = now.date_naive();
    let monday = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
    let week_start = monday
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc())
        .unwrap_or(now);
    let month_start = today
        .with_day(1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
        .unwrap_or(now);
    let windows = crate::db::stats::Windows {
        week: week_start,
        month: month_start,
        recent: now - Duration::days(30),
        quarter: now - Duration::days(90),
        first_week: week_start - Duration::weeks(11),
    };
    let counts = crate::db::stats::counts(&rw.db, team, &windows).await?;
    let this_week = counts.iter().map(|c| c.this_week).sum::<i64>();
    let this_month = counts.iter().map(|c| c.this_month).sum::<i64>();
    let ok = counts.iter().map(|c| c.succeeded_recent).sum::<i64>();
    let bad = counts.iter().map(|c| c.failed_recent).sum::<i64>();
    let success_rate = (ok + bad > 0).then(|| 100.0 * ok as f64 / (ok + bad) as f64);
    let secs = |v: Option<i64>| v.map(|s| u64::try_from(s).unwrap_or(0));
    let leads: BTreeMap<String, (Option<u64>, Option<u64>)> =
        crate::db::stats::lead_quantiles(&rw.db, team, windows.quarter)
            .await?
            .into_iter()
            .map(|(a, m, p)| (a, (secs(m), secs(p))))
            .collect();
    let waits: BTreeMap<String, (Option<u64>, Option<u64>)> =
        crate::db::stats::approval_quantiles(&rw.db, team, windows.quarter)
            .await?
            .into_iter()
            .map(|(a, m, p)| (a, (secs(m), secs(p))))
            .collect();
    let catalog = rw.catalog.snapshot();
    let title = |id: &str| catalog.title_of(id);
    let actions = counts
        .iter()
        .filter(|c| c.quarter > 0)
        .map(|c| {
            let (lead_median, lead_p90) = leads.get(&c.action_id).copied().unwrap_or_default();
            let (approval_median, approval_p90) =
                waits.get(&c.action_id).copied().unwrap_or_default();
            ActionStats {
                action_title: title(&c.action_id),
                requests: u64::try_from(c.quarter).unwrap_or(0),
                lead_median,
                lead_p90,
                approval_median,
                approval_p90,
                action_id: c.action_id.clone(),
            }
        })
        .collect();
    // Requests per week by action, the last 12 weeks.
    let weeks: Vec<String> = (0..12)
        .map(|i| {
            (windows.first_week + Duration::weeks(i))
                .date_naive()
                .to_string()
        })
        .collect();
    let mut per: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for (action, week, n) in crate::db::stats::per_week(&rw.db, team, windows.first_week).await? {
        let idx = usize::try_from(week).unwrap_or(0).min(11);
        per.entry(title(&action)).or_insert_with(|| vec![0; 12])[idx] +=
            u64::try_from(n).unwrap_or(0);
    }
    let pending = crate::db::history::page(
        &rw.db,
        &crate::db::history::Filter {
            team: Some(team.to_string()),
            status: Some("pending_approval".into()),
            ..Default::default()
        },
        50,
    )
    .await?;
    Ok(Some(TeamPage {
        team: team.to_string(),
        this_week: u64::try_from(this_week).unwrap_or(0),
        this_month: u64::try_from(this_month).unwrap_or(0),
        success_rate,
        actions,
        weeks,
        per_week: per.into_iter().collect(),
        pending_approvals: history_rows(rw, pending),
    }))
}
