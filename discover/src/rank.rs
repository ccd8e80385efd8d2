//! The figures of each group, and their order.
//!
//! For every group: how many tickets and what share of all, the median and 90th percentile time
//! from created to resolved, the total waiting time (tickets × median, the default order: what
//! costs people most), the teams that ask, weekly counts for a sparkline, the trend (the last 90
//! days against the 90 before, both counted back from the newest ticket so the same export always
//! gives the same figures), and a few example tickets.

use crate::cluster::{Group, GroupId};
use crate::ticket::Ticket;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use serde::Serialize;
use std::collections::HashMap;

/// How groups are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RankBy {
    /// Tickets × median time to resolve.
    #[default]
    Waiting,
    Count,
    /// Growth: tickets in the last 90 days minus the 90 days before.
    Trend,
}

impl std::str::FromStr for RankBy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "waiting" => Ok(Self::Waiting),
            "count" => Ok(Self::Count),
            "trend" => Ok(Self::Trend),
            other => Err(format!(
                "unknown order `{other}`; expected waiting, count or trend"
            )),
        }
    }
}

/// Weekly counts shown for a sparkline: at most this many of the latest weeks.
const MAX_WEEKS: usize = 156;
/// Example tickets kept per group.
const EXAMPLES: usize = 3;
/// Teams listed per group.
const TEAMS: usize = 5;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TeamCount {
    pub team: String,
    pub tickets: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Example {
    pub key: String,
    pub title: String,
    pub link: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trend {
    /// Tickets created in the last 90 days of the export.
    pub recent: usize,
    /// Tickets created in the 90 days before those.
    pub before: usize,
}

impl Trend {
    /// The change in per cent, `None` when there was nothing before to compare with.
    pub fn change_percent(&self) -> Option<f64> {
        (self.before > 0)
            .then(|| (self.recent as f64 - self.before as f64) / self.before as f64 * 100.0)
    }
}

/// One ranked group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupReport {
    pub rank: usize,
    pub id: GroupId,
    pub label: String,
    pub template: String,
    pub words: Vec<String>,
    pub tickets: usize,
    /// Of all tickets in the analysis, 0..1.
    pub share: f64,
    pub resolved: usize,
    pub median_secs: Option<i64>,
    pub p90_secs: Option<i64>,
    /// Tickets × median time to resolve.
    pub waiting_secs: i64,
    pub teams: Vec<TeamCount>,
    /// Tickets per week, oldest first, ending at the export's last week.
    pub weekly: Vec<u32>,
    pub trend: Trend,
    pub examples: Vec<Example>,
}

/// The ranked groups with the export's totals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub tickets: usize,
    pub groups_total: usize,
    pub dismissed: usize,
    pub first_created: Option<DateTime<Utc>>,
    pub last_created: Option<DateTime<Utc>>,
    /// The Monday of the first week in each group's `weekly`.
    pub first_week: Option<NaiveDate>,
    /// The sum of every (not dismissed) group's waiting time.
    pub waiting_secs: i64,
    pub groups: Vec<GroupReport>,
}

/// Ranks `groups` (dismissed ones are left out and counted) over `tickets`.
pub fn rank(tickets: &[Ticket], groups: &[Group], by: RankBy) -> Report {
    let first = tickets.iter().map(|t| t.created).min();
    let last = tickets.iter().map(|t| t.created).max();
    let monday = |d: DateTime<Utc>| {
        let date = d.date_naive();
        date - Duration::days(i64::from(date.weekday().num_days_from_monday()))
    };
    let weeks = match (first, last) {
        (Some(f), Some(l)) => ((monday(l) - monday(f)).num_days() / 7 + 1) as usize,
        _ => 0,
    };
    let shown = weeks.min(MAX_WEEKS);
    let first_week = last.map(|l| monday(l) - Duration::weeks(shown as i64 - 1));
    let recent_from = last.map(|l| l - Duration::days(90));
    let before_from = last.map(|l| l - Duration::days(180));

    let mut reports: Vec<GroupReport> = Vec::new();
    let mut dismissed = 0;
    for group in groups {
        if group.dismissed {
            dismissed += 1;
            continue;
        }
        let members: Vec<&Ticket> = group
            .members
            .iter()
            .filter_map(|&m| tickets.get(m as usize))
            .collect();
        let mut times: Vec<i64> = members.iter().filter_map(|t| t.resolve_secs()).collect();
        times.sort_unstable();
        let median = percentile(&times, 0.5);
        let mut teams: HashMap<&str, usize> = HashMap::new();
        let mut weekly = vec![0u32; shown];
        let mut trend = Trend {
            recent: 0,
            before: 0,
        };
        for t in &members {
            if let Some(team) = t.team.as_deref() {
                *teams.entry(team).or_default() += 1;
            }
            if let Some(start) = first_week {
                let week = (monday(t.created) - start).num_days().div_euclid(7);
                if let Some(slot) = usize::try_from(week).ok().and_then(|w| weekly.get_mut(w)) {
                    *slot += 1;
                }
            }
            if recent_from.is_some_and(|r| t.created > r) {
                trend.recent += 1;
            } else if before_from.is_some_and(|b| t.created > b) {
                trend.before += 1;
            }
        }
        let mut teams: Vec<TeamCount> = teams
            .into_iter()
            .map(|(team, tickets)| TeamCount {
                team: team.to_string(),
                tickets,
            })
            .collect();
        teams.sort_by(|a, b| b.tickets.cmp(&a.tickets).then_with(|| a.team.cmp(&b.team)));
        teams.truncate(TEAMS);
        let mut newest = members.clone();
        newest.sort_by(|a, b| b.created.cmp(&a.created).then_with(|| a.key.cmp(&b.key)));
        let examples = newest
            .into_iter()
            .take(EXAMPLES)
            .map(|t| Example {
                key: t.key.clone(),
                title: t.title.clone(),
                link: t.link.clone(),
            })
            .collect();
        reports.push(GroupReport {
            rank: 0,
            id: group.id.clone(),
            label: group.label(),
            template: group.template.to_string(),
            words: group.words.clone(),
            tickets: members.len(),
            share: members.len() as f64 / tickets.len().max(1) as f64,
            resolved: times.len(),
            median_secs: median,
            p90_secs: percentile(&times, 0.9),
            waiting_secs: median.unwrap_or(0).saturating_mul(members.len() as i64),
            teams,
            weekly,
            trend,
            examples,
        });
    }
    let growth = |g: &GroupReport| g.trend.recent as i64 - g.trend.before as i64;
    reports.sort_by(|a, b| {
        let primary = match by {
            RankBy::Waiting => b.waiting_secs.cmp(&a.waiting_secs),
            RankBy::Count => std::cmp::Ordering::Equal,
            RankBy::Trend => growth(b).cmp(&growth(a)),
        };
        primary
            .then_with(|| b.tickets.cmp(&a.tickets))
            .then_with(|| a.id.cmp(&b.id))
    });
    for (i, r) in reports.iter_mut().enumerate() {
        r.rank = i + 1;
    }
    Report {
        tickets: tickets.len(),
        groups_total: reports.len(),
        dismissed,
        first_created: first,
        last_created: last,
        first_week,
        waiting_secs: reports.iter().map(|r| r.waiting_secs).sum(),
        groups: reports,
    }
}

/// The nearest-rank percentile of sorted values.
fn percentile(sorted: &[i64], q: f64) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.clamp(1, sorted.len()) - 1).copied()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::{GroupId, Template};
    use chrono::TimeZone;

    fn ticket(key: &str, day: u32, hours: Option<i64>, team: &str) -> Ticket {
        let created =
            Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + Duration::days(day.into());
        Ticket {
            key: key.into(),
            title: format!("title {key}"),
            created,
            resolved: hours.map(|h| created + Duration::hours(h)),
            team: Some(team.into()),
            labels: vec![],
            components: vec![],
            issue_type: None,
            status: None,
            description: None,
            reporter: None,
            link: None,
        }
    }

    fn group(id: &str, members: Vec<u32>) -> Group {
        Group {
            id: GroupId(id.into()),
            template: Template::default(),
            words: vec![],
            members,
            label: None,
            dismissed: false,
        }
    }

    fn fixture() -> (Vec<Ticket>, Vec<Group>) {
        let tickets = vec![
            // A: three quick tickets from two teams, all old.
            ticket("A1", 0, Some(1), "web"),
            ticket("A2", 1, Some(2), "web"),
            ticket("A3", 2, Some(3), "data"),
            // B: one slow ticket, recent, and one still open.
            ticket("B1", 200, Some(100), "data"),
            ticket("B2", 201, None, "data"),
        ];
        let groups = vec![group("g-a", vec![0, 1, 2]), group("g-b", vec![3, 4])];
        (tickets, groups)
    }

    #[test]
    fn groups_rank_by_total_waiting_time_by_default() {
        let (tickets, groups) = fixture();
        let report = rank(&tickets, &groups, RankBy::Waiting);
        let b = &report.groups[0];
        assert_eq!(b.id.as_str(), "g-b");
        assert_eq!(b.median_secs, Some(100 * 3600));
        assert_eq!(b.waiting_secs, 2 * 100 * 3600);
        assert_eq!(b.resolved, 1);
        let a = &report.groups[1];
        assert_eq!(
            (a.median_secs, a.p90_secs),
            (Some(2 * 3600), Some(3 * 3600))
        );
        assert!((a.share - 0.6).abs() < 1e-9);
        assert_eq!(
            a.teams[0],
            TeamCount {
                team: "web".into(),
                tickets: 2
            }
        );
        assert_eq!(report.waiting_secs, 200 * 3600 + 6 * 3600);
    }

    #[test]
    fn groups_rank_by_count_and_by_trend_when_asked() {
        let (tickets, groups) = fixture();
        let by_count = rank(&tickets, &groups, RankBy::Count);
        assert_eq!(by_count.groups[0].id.as_str(), "g-a");
        let by_trend = rank(&tickets, &groups, RankBy::Trend);
        assert_eq!(by_trend.groups[0].id.as_str(), "g-b");
        assert_eq!(
            by_trend.groups[0].trend,
            Trend {
                recent: 2,
                before: 0
            }
        );
        assert_eq!(
            by_trend.groups[1].trend,
            Trend {
                recent: 0,
                before: 0
            }
        );
    }

    #[test]
    fn weekly_counts_cover_the_export_and_examples_are_the_newest() {
        let (tickets, groups) = fixture();
        let report = rank(&tickets, &groups, RankBy::Waiting);
        let b = &report.groups[0];
        assert_eq!(b.weekly.len(), 30);
        assert_eq!(b.weekly.iter().sum::<u32>(), 2);
        assert_eq!(report.groups[1].weekly.iter().sum::<u32>(), 3);
        assert_eq!(b.examples[0].key, "B2");
    }

    #[test]
    fn dismissed_groups_are_left_out_and_counted() {
        let (tickets, mut groups) = fixture();
        groups[1].dismissed = true;
        let report = rank(&tickets, &groups, RankBy::Waiting);
        assert_eq!(report.groups.len(), 1);
        assert_eq!(report.dismissed, 1);
    }

    #[test]
    fn an_empty_export_has_an_empty_report() {
        let report = rank(&[], &[], RankBy::Waiting);
        assert_eq!((report.tickets, report.groups.len()), (0, 0));
    }
}
