//! What the Impact page, the action page's figures and `runway report impact` show: before and
//! after per action, adoption, effort (the Single Ease Question) and the teams' cognitive-load pulse.
//! Computed by `runway_core::impact`; every duration is in seconds, every date `YYYY-MM-DD` (UTC).

use serde::{Deserialize, Serialize};

/// Fewer finished requests (or resolved baseline tickets) than this and a figure that compares them
/// says "not enough data" instead of a number.
pub const MIN_SAMPLES: u64 = 10;

/// A pulse's results for a team show only when at least this many of its members answered.
pub const PULSE_MIN_ANSWERS: u64 = 5;

/// Periods the report offers, in days.
pub const PERIODS: [u32; 4] = [30, 90, 180, 365];

/// The Single Ease Question, asked after a request.
pub const SEQ_QUESTION: &str = "Overall, how easy or difficult was this?";

/// The cognitive-load statements a new pulse starts with (the admin may edit them).
pub const DEFAULT_PULSE_STATEMENTS: [&str; 5] = [
    "Building and testing our services is easy for our team.",
    "Deploying and running our services in production is easy for our team.",
    "We rarely wait on other teams to get our work done.",
    "We need to know little about the infrastructure to ship a change.",
    "We can find out how to do something on the platform without asking anyone.",
];

/// The whole report, over requests created in the period.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ImpactReport {
    /// First day of the period and the day it was computed.
    pub since: String,
    pub until: String,
    pub days: u32,
    pub generated_at: String,
    pub headline: Headline,
    pub actions: Vec<ActionImpact>,
    pub adoption_weeks: Vec<AdoptionWeek>,
    pub adoption: Vec<ActionAdoption>,
    pub team_shares: Vec<TeamShare>,
    /// Where the period's requests came from: the portal, the API, Slack, Jira.
    #[serde(default)]
    pub channels: Vec<ChannelCount>,
    pub effort: Vec<ActionEffort>,
    pub pulses: Vec<PulseResults>,
    /// Teams named in any action's limited rollout (`visible_to`), now or in an earlier version.
    pub early_adopters: Vec<String>,
    /// May the viewer set baselines and run pulses (an admin)?
    pub can_manage: bool,
    /// For an admin starting a pulse: the teams people have signed in with.
    #[serde(default)]
    pub known_teams: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Headline {
    pub requests: u64,
    pub finished: u64,
    pub people: u64,
    pub teams: u64,
    pub actions_used: u64,
    pub lead_median: Option<u64>,
    /// Succeeded of succeeded + failed, in percent.
    pub success_rate: Option<f64>,
    /// Sum of the actions' measured waiting time saved (only actions with enough data).
    pub saved_secs: i64,
    pub saved_actions: u64,
    pub ease_mean: Option<f64>,
    pub ease_answers: u64,
}

/// The baseline an action is compared with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    /// `tickets` (measured from an import) or `stated` (typed in by an admin).
    pub kind: String,
    /// The ticket group's name, or where the stated figures come from.
    pub label: String,
    pub source: Option<String>,
    pub group_id: Option<String>,
    pub launched_at: String,
    /// Tickets of the group created before the launch (0 for stated).
    pub tickets: u64,
    /// Of those, resolved (they have a time to resolve).
    pub resolved: u64,
    pub per_week: Option<f64>,
    pub median: Option<u64>,
    pub p90: Option<u64>,
    /// Tickets of the group created since the launch, and per week since the launch.
    pub tickets_after: u64,
    pub after_per_week: Option<f64>,
    pub set_by: String,
}

impl Baseline {
    /// Is there enough behind the median to compare with? Stated figures count as given.
    pub fn enough(&self) -> bool {
        self.median.is_some() && (self.kind == "stated" || self.resolved >= MIN_SAMPLES)
    }
}

/// Median and 90th percentile of one phase, in seconds, and how many requests it is over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Quantiles {
    pub n: u64,
    pub median: Option<u64>,
    pub p90: Option<u64>,
}

/// One action before and after.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionImpact {
    pub action_id: String,
    pub title: String,
    pub executor: String,
    pub owner: String,
    pub baseline: Option<Baseline>,
    pub requests: u64,
    pub finished: u64,
    pub per_week: f64,
    pub success_rate: Option<f64>,
    /// Submitted to finished.
    pub lead: Quantiles,
    /// Submitted to the approval decision (requests that needed one).
    pub approval_wait: Quantiles,
    /// Queued to started (taken, for manual actions).
    pub queue_wait: Quantiles,
    /// Started to finished, for scripts and webhooks.
    pub run_time: Quantiles,
    /// Taken to done, for manual actions.
    pub hands_on: Quantiles,
    /// (baseline median − Runway median) × finished requests, when both have enough data.
    pub saved_secs: Option<i64>,
    pub ease_mean: Option<f64>,
    pub ease_answers: u64,
}

impl ActionImpact {
    /// Enough finished requests to compare.
    pub fn enough(&self) -> bool {
        self.finished >= MIN_SAMPLES
    }
}

/// Distinct teams and people that used any action in one week.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AdoptionWeek {
    /// Monday of the week.
    pub week: String,
    pub teams: u64,
    pub people: u64,
    pub requests: u64,
}

/// A team that uses an action, and since when (its first request ever).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamUse {
    pub team: String,
    pub since: String,
    pub requests: u64,
}

/// Requests and people of one side of an early-adopter comparison.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Side {
    pub requests: u64,
    pub people: u64,
    pub lead_median: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionAdoption {
    pub action_id: String,
    pub title: String,
    /// Every team that ever used it, with its first use.
    pub teams: Vec<TeamUse>,
    pub requests: u64,
    pub people: u64,
    /// People with two or more requests of it in the period.
    pub repeat_people: u64,
    pub per_week: f64,
    /// Rolled out to chosen teams only, now.
    pub beta: bool,
    pub early: Side,
    pub others: Side,
}

/// How much of a team's need for the linked actions came through Runway rather than tickets, since
/// each action's launch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TeamShare {
    pub team: String,
    pub runway: u64,
    pub tickets: u64,
    /// runway / (runway + tickets), in percent.
    pub share: Option<f64>,
}

/// Requests of the period made through one channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelCount {
    /// `portal`, `api`, `slack` or `jira`.
    pub channel: String,
    pub requests: u64,
    /// Of all the period's requests, in percent.
    pub share: Option<f64>,
}

/// A comment left with an ease rating.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EaseComment {
    pub request_id: i64,
    pub at: String,
    pub score: u8,
    pub comment: String,
}

/// One action's ease ratings in the period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionEffort {
    pub action_id: String,
    pub title: String,
    pub owner: String,
    pub answers: u64,
    pub mean: Option<f64>,
    /// Answers per score, 1 (very difficult) to 7 (very easy).
    pub distribution: [u64; 7],
    /// (Monday, mean, answers) per week with answers.
    pub trend: Vec<(String, f64, u64)>,
    /// Newest first; empty unless the viewer is an admin or in the owning team.
    pub comments: Vec<EaseComment>,
}

/// One round of a pulse, for one team or group of teams: `None` means fewer than
/// [`PULSE_MIN_ANSWERS`] answered and nothing is shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PulseCell {
    pub round_id: i64,
    /// The round is still open: nothing is shown until it closes (watching results change as
    /// each person answers would give their answer away).
    #[serde(default)]
    pub open: bool,
    pub opens_at: String,
    /// The team, or `early adopters` / `other teams`.
    pub who: String,
    pub answered: u64,
    /// Mean per statement (1..5), when shown.
    pub means: Option<Vec<f64>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PulseResults {
    pub pulse_id: i64,
    pub title: String,
    pub statements: Vec<String>,
    pub cadence: String,
    pub teams: Vec<String>,
    pub stopped: bool,
    /// Per round (oldest first), per team, then the early adopters and the others.
    pub cells: Vec<PulseCell>,
}

/// An action's own figures on its page, over the last 90 days.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionFigures {
    pub requests: u64,
    pub finished: u64,
    pub lead_median: Option<u64>,
    pub success_rate: Option<f64>,
    pub ease_mean: Option<f64>,
    pub ease_answers: u64,
}

/// The requester's ease rating of a request, as the request page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RatingView {
    pub score: Option<u8>,
    pub comment: String,
    /// May the viewer (the requester) answer or change it now?
    pub can_rate: bool,
}

/// A round the viewer may answer now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenPulse {
    pub round_id: i64,
    pub title: String,
    pub statements: Vec<String>,
    pub closes_at: String,
    /// The viewer's teams the round asks, which they have not answered for yet.
    pub teams: Vec<String>,
}

/// "3m 20s", "2h 5m", "1d 4h"; "–" for none.
pub fn short_duration(secs: Option<u64>) -> String {
    let Some(s) = secs else { return "–".into() };
    match s {
        0..=59 => format!("{s}s"),
        60..=3_599 => format!("{}m {}s", s / 60, s % 60),
        3_600..=86_399 => format!("{}h {}m", s / 3_600, (s % 3_600) / 60),
        _ => format!("{}d {}h", s / 86_400, (s % 86_400) / 3_600),
    }
}

/// Hours, one decimal, with the sign: "+12.5 h", "−3.0 h".
pub fn hours(secs: i64) -> String {
    let h = secs as f64 / 3600.0;
    if h < 0.0 {
        format!("−{:.1} h", -h)
    } else {
        format!("{h:.1} h")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_short() {
        assert_eq!(short_duration(None), "–");
        assert_eq!(short_duration(Some(59)), "59s");
        assert_eq!(short_duration(Some(3_600 * 26)), "1d 2h");
        assert_eq!(hours(-5400), "−1.5 h");
        assert_eq!(hours(7200), "2.0 h");
    }

    #[test]
    fn a_baseline_needs_ten_resolved_tickets_unless_stated() {
        let mut b = Baseline {
            kind: "tickets".into(),
            label: "new repo".into(),
            source: Some("jira".into()),
            group_id: Some("g-1".into()),
            launched_at: "2026-01-01".into(),
            tickets: 12,
            resolved: 9,
            per_week: Some(1.0),
            median: Some(3600),
            p90: Some(7200),
            tickets_after: 0,
            after_per_week: None,
            set_by: "ada".into(),
        };
        assert!(!b.enough());
        b.resolved = 10;
        assert!(b.enough());
        b.kind = "stated".into();
        b.resolved = 0;
        assert!(b.enough());
        b.median = None;
        assert!(!b.enough());
    }
}
