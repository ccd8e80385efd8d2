//! Impact (issue #14): did the flow get faster and the load lighter?
//!
//! - [`report`]: the whole Impact report over a period (before/after per action, adoption, effort,
//!   pulses), for admins and the catalogue's owners; `runway report impact` prints the same.
//! - [`action_figures`]: an action's own figures for its page, shown to everyone.
//! - [`rating`]: the Single Ease Question after a request.
//! - [`baseline`]: linking an action to the tickets it replaces, or to stated figures.
//! - [`pulse`]: the teams' cognitive-load pulse, anonymous by construction.
//!
//! The report is computed from a few plain queries (`db::impact`) and kept for
//! `impact.cache_seconds` per period: a leader's report need not be fresher than a minute, and at a
//! million requests one computation reads every request of the period.

pub mod baseline;
pub mod pulse;
pub mod rating;

use crate::db::impact::{self as sql, PhaseRow};
use crate::db::DbError;
use crate::state::Runway;
use chrono::{DateTime, Duration, TimeZone, Utc};
use runway_domain::impact::*;
use runway_domain::user::User;
use runway_domain::view::quantile;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};

/// Why a change to impact data was refused. Everything but `Db` is the person's to fix and is
/// shown to them as it reads.
#[derive(Debug, thiserror::Error)]
pub enum ImpactError {
    #[error("only admins may do this")]
    NotAllowed,
    #[error("no action {0}")]
    NoAction(String),
    #[error("no ticket group {0} in the current analysis of that source")]
    NoGroup(String),
    #[error("no such request, or it is not yours")]
    NoRequest,
    #[error("this pulse is closed, or you have answered it")]
    NoPulse,
    #[error("no such pulse, or it is already stopped")]
    UnknownPulse,
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

pub use runway_domain::impact::PERIODS;

/// How long a computed report is served before it is computed again.
const CACHE_FOR: std::time::Duration = std::time::Duration::from_secs(60);

/// May `user` see the Impact page: an admin, or a member of a team that owns an action.
pub fn may_see(rw: &Runway, user: &User) -> bool {
    user.is_admin || {
        let catalog = rw.catalog.snapshot();
        catalog
            .actions
            .values()
            .any(|a| user.is_member(a.spec.owner.as_str()))
    }
}

/// Reports computed recently, per period.
#[derive(Default)]
pub struct Cache {
    reports: Mutex<HashMap<u32, (std::time::Instant, Arc<ImpactReport>)>>,
    /// One computation at a time: others wait for it and take its result.
    computing: Arc<tokio::sync::Mutex<()>>,
    /// Bumped by [`Cache::clear`]: a report computed from data older than a change is not kept.
    generation: std::sync::atomic::AtomicU64,
    /// The pulse rounds not yet closed, by team (for the navigation's pulse badge), when read.
    rounds: Mutex<Option<(std::time::Instant, Arc<Vec<sql::RoundWindow>>)>>,
}

impl Cache {
    /// The stored report for `days` and whether it is still fresh.
    fn get(&self, days: u32) -> Option<(Arc<ImpactReport>, bool)> {
        let map = self.reports.lock().unwrap_or_else(PoisonError::into_inner);
        map.get(&days)
            .map(|(at, r)| (r.clone(), at.elapsed() < CACHE_FOR))
    }

    fn fresh(&self, days: u32) -> Option<Arc<ImpactReport>> {
        self.get(days).filter(|(_, fresh)| *fresh).map(|(r, _)| r)
    }

    fn generation(&self) -> u64 {
        self.generation.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Keeps `report`, computed when the cache was at `generation`, unless it was cleared since.
    fn put(&self, days: u32, report: Arc<ImpactReport>, generation: u64) {
        let mut map = self.reports.lock().unwrap_or_else(PoisonError::into_inner);
        if self.generation() == generation {
            map.insert(days, (std::time::Instant::now(), report));
        }
    }

    /// Forgets every report (a rating, a baseline or a pulse answer changed what they show), and
    /// the pulse rounds.
    pub fn clear(&self) {
        let mut map = self.reports.lock().unwrap_or_else(PoisonError::into_inner);
        self.generation
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        map.clear();
        *self.rounds.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }

    /// The rounds read less than `max_age` ago, if they were read since the last change.
    pub(crate) fn rounds(
        &self,
        max_age: std::time::Duration,
    ) -> Option<Arc<Vec<sql::RoundWindow>>> {
        let rounds = self.rounds.lock().unwrap_or_else(PoisonError::into_inner);
        rounds
            .as_ref()
            .filter(|(at, _)| at.elapsed() < max_age)
            .map(|(_, r)| r.clone())
    }

    /// Keeps `rounds`, read when the cache was at `generation`, unless it was cleared since.
    pub(crate) fn put_rounds(&self, rounds: Arc<Vec<sql::RoundWindow>>, generation: u64) {
        let mut kept = self.rounds.lock().unwrap_or_else(PoisonError::into_inner);
        if self.generation() == generation {
            *kept = Some((std::time::Instant::now(), rounds));
        }
    }
}

/// The report over the last `days` days as `user` may see it (comments only for actions their
/// team owns, unless admin). `None` if they may not see the Impact page.
pub async fn report(rw: &Runway, user: &User, days: u32) -> Result<Option<ImpactReport>, DbError> {
    if !may_see(rw, user) {
        return Ok(None);
    }
    let full = cached(rw, days).await?;
    let mut shown = (*full).clone();
    shown.can_manage = user.is_admin;
    if user.is_admin {
        // Teams people signed in with, and the teams the catalogue names (owners, rollouts).
        let mut teams: BTreeSet<String> = sql::known_teams(&rw.db).await?.into_iter().collect();
        for a in rw.catalog.snapshot().actions.values() {
            teams.insert(a.spec.owner.to_string());
            if let runway_domain::spec::Visibility::Teams(ts) = &a.spec.visible_to {
                teams.extend(ts.iter().map(ToString::to_string));
            }
        }
        shown.known_teams = teams.into_iter().collect();
    }
    for e in &mut shown.effort {
        if !(user.is_admin || user.is_member(&e.owner)) {
            e.comments.clear();
        }
    }
    Ok(Some(shown))
}

/// The full report for `days`: from the cache while fresh; once stale, the stale one is served
/// while one background task computes the next (so no page waits for it); computed now only when
/// there is none (the first view, or after a change cleared the cache).
pub async fn cached(rw: &Runway, days: u32) -> Result<Arc<ImpactReport>, DbError> {
    let days = days.clamp(1, 3650);
    match rw.impact.get(days) {
        Some((r, true)) => return Ok(r),
        Some((stale, false)) => {
            refresh_in_background(rw, days);
            return Ok(stale);
        }
        None => {}
    }
    let _one = rw.impact.computing.lock().await;
    if let Some(r) = rw.impact.fresh(days) {
        return Ok(r);
    }
    let generation = rw.impact.generation();
    let report = Arc::new(compute(rw, days, Utc::now()).await?);
    rw.impact.put(days, report.clone(), generation);
    Ok(report)
}

/// Computes the report for `days` in a background task unless one is already computing.
fn refresh_in_background(rw: &Runway, days: u32) {
    if let Ok(one) = rw.impact.computing.clone().try_lock_owned() {
        let rw = rw.clone();
        tokio::spawn(async move {
            let generation = rw.impact.generation();
            match compute(&rw, days, Utc::now()).await {
                Ok(report) => rw.impact.put(days, Arc::new(report), generation),
                Err(e) => tracing::warn!("cannot refresh the impact report: {e}"),
            }
            drop(one);
        });
    }
}

/// An action's figures over the last 90 days, for its page (shown to everyone who may see the
/// action): from the 90-day report when one is cached (refreshed in the background once stale),
/// else read for the one action now while the report is computed in the background.
pub async fn action_figures(rw: &Runway, action_id: &str) -> Result<ActionFigures, DbError> {
    match rw.impact.get(90) {
        Some((report, fresh)) => {
            if !fresh {
                refresh_in_background(rw, 90);
            }
            let a = report.actions.iter().find(|a| a.action_id == action_id);
            Ok(ActionFigures {
                requests: a.map_or(0, |a| a.requests),
                finished: a.map_or(0, |a| a.finished),
                lead_median: a.and_then(|a| a.lead.median),
                success_rate: a.and_then(|a| a.success_rate),
                ease_mean: a.and_then(|a| a.ease_mean),
                ease_answers: a.map_or(0, |a| a.ease_answers),
            })
        }
        None => {
            refresh_in_background(rw, 90);
            action_figures_now(rw, action_id).await
        }
    }
}

/// [`action_figures`] read from the database for the one action (two indexed queries).
pub async fn action_figures_now(rw: &Runway, action_id: &str) -> Result<ActionFigures, DbError> {
    let since = Utc::now() - Duration::days(90);
    let rows = sql::action_requests(&rw.db, action_id, since).await?;
    let ok = rows.iter().filter(|(s, _)| s == "succeeded").count() as u64;
    let bad = rows.iter().filter(|(s, _)| s == "failed").count() as u64;
    let leads: Vec<u64> = rows
        .iter()
        .filter_map(|(_, l)| l.and_then(|l| u64::try_from(l).ok()))
        .collect();
    let (ease_sum, ease_answers) = sql::action_ease(&rw.db, action_id, since).await?;
    let ease_answers = u64::try_from(ease_answers).unwrap_or(0);
    Ok(ActionFigures {
        requests: rows.len() as u64,
        finished: leads.len() as u64,
        lead_median: quantiles(leads).median,
        success_rate: percent(ok, ok + bad),
        ease_mean: (ease_answers > 0).then(|| ease_sum as f64 / ease_answers as f64),
        ease_answers,
    })
}

/// Monday 00:00 UTC of the week holding `t` (seconds since the epoch).
fn monday_of(t: i64) -> i64 {
    let day = t.div_euclid(86_400);
    // 1970-01-01 was a Thursday: days since a Monday = (day + 3) mod 7.
    (day - (day + 3).rem_euclid(7)) * 86_400
}

fn date_of(t: i64) -> String {
    Utc.timestamp_opt(t, 0)
        .single()
        .map(|d| d.date_naive().to_string())
        .unwrap_or_default()
}

/// Median and p90 (nearest rank) of `values`.
fn quantiles(mut values: Vec<u64>) -> Quantiles {
    Quantiles {
        n: values.len() as u64,
        median: quantile(&mut values, 0.5),
        p90: quantile(&mut values, 0.9),
    }
}

fn span(from: Option<i64>, to: Option<i64>) -> Option<u64> {
    let (a, b) = (from?, to?);
    u64::try_from(b - a).ok()
}

fn percent(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| 100.0 * part as f64 / whole as f64)
}

/// Requests per week over `secs`, counting at least one week.
fn per_week(count: u64, secs: i64) -> f64 {
    count as f64 / (secs as f64 / 604_800.0).max(1.0)
}

/// Teams named in any limited rollout of any action, now or in an earlier version.
async fn early_adopters(rw: &Runway) -> Result<BTreeSet<String>, DbError> {
    use runway_domain::spec::{ActionSpec, Visibility};
    let mut teams = BTreeSet::new();
    for (_, spec) in sql::version_specs(&rw.db).await? {
        if let Ok(spec) = serde_json::from_str::<ActionSpec>(&spec) {
            if let Visibility::Teams(ts) = spec.visible_to {
                teams.extend(ts.into_iter().map(String::from));
            }
        }
    }
    Ok(teams)
}

/// Computes the report over requests created in the `days` days before `now`.
pub async fn compute(rw: &Runway, days: u32, now: DateTime<Utc>) -> Result<ImpactReport, DbError> {
    let since = now - Duration::days(i64::from(days));
    let (since_s, now_s) = (since.timestamp(), now.timestamp());
    let rows = sql::phases(&rw.db, since).await?;
    let ratings = sql::ratings(&rw.db, since).await?;
    let first_use = sql::first_use(&rw.db).await?;
    let baselines = baseline::figures(rw, now).await?;
    let early = early_adopters(rw).await?;
    let catalog = rw.catalog.snapshot();
    let title = |id: &str| catalog.title_of(id);
    let owner = |id: &str| {
        catalog
            .actions
            .get(id)
            .map(|a| a.spec.owner.to_string())
            .unwrap_or_default()
    };

    let mut by_action: BTreeMap<&str, Vec<&PhaseRow>> = BTreeMap::new();
    for r in &rows {
        by_action.entry(r.action_id.as_str()).or_default().push(r);
    }
    // Every action in the catalogue or with requests or a baseline gets a row.
    let mut ids: BTreeSet<String> = catalog.actions.keys().cloned().collect();
    ids.extend(by_action.keys().map(|s| s.to_string()));
    ids.extend(baselines.keys().cloned());

    let mut ratings_by: BTreeMap<&str, Vec<&sql::RatingRow>> = BTreeMap::new();
    for r in &ratings {
        ratings_by.entry(r.action_id.as_str()).or_default().push(r);
    }

    let period = now_s - since_s;
    let mut actions = Vec::new();
    let mut adoption = Vec::new();
    let mut effort = Vec::new();
    for id in &ids {
        let rs = by_action.get(id.as_str()).map(Vec::as_slice).unwrap_or(&[]);
        let finished: Vec<&&PhaseRow> = rs.iter().filter(|r| r.finished.is_some()).collect();
        let ok = rs.iter().filter(|r| r.status == "succeeded").count() as u64;
        let bad = rs.iter().filter(|r| r.status == "failed").count() as u64;
        let lead = quantiles(
            finished
                .iter()
                .filter_map(|r| span(Some(r.created), r.finished))
                .collect(),
        );
        let approval_wait = quantiles(
            rs.iter()
                .filter_map(|r| span(Some(r.created), r.decided))
                .collect(),
        );
        let queue_wait = quantiles(
            rs.iter()
                .filter_map(|r| span(r.queued, r.started))
                .collect(),
        );
        let run: Vec<u64> = rs
            .iter()
            .filter(|r| r.executor != "manual")
            .filter_map(|r| span(r.started, r.finished))
            .collect();
        let hands: Vec<u64> = rs
            .iter()
            .filter(|r| r.executor == "manual")
            .filter_map(|r| span(r.started, r.finished))
            .collect();
        let executor = catalog
            .actions
            .get(id)
            .map(|a| a.spec.run.kind().as_str().to_string())
            .or_else(|| rs.first().map(|r| r.executor.clone()))
            .unwrap_or_default();
        let base = baselines.get(id).cloned();
        let mut a = ActionImpact {
            action_id: id.clone(),
            title: title(id),
            executor,
            owner: owner(id),
            baseline: base.clone(),
            requests: rs.len() as u64,
            finished: finished.len() as u64,
            per_week: per_week(rs.len() as u64, period),
            success_rate: percent(ok, ok + bad),
            lead,
            approval_wait,
            queue_wait,
            run_time: quantiles(run),
            hands_on: quantiles(hands),
            saved_secs: None,
            ease_mean: None,
            ease_answers: 0,
        };
        if let (Some(b), Some(median)) = (&base, a.lead.median) {
            if a.enough() && b.enough() {
                let before = i64::try_from(b.median.unwrap_or(0)).unwrap_or(i64::MAX);
                let after = i64::try_from(median).unwrap_or(i64::MAX);
                a.saved_secs = Some((before - after).saturating_mul(a.finished as i64));
            }
        }
        let rated = ratings_by
            .get(id.as_str())
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let e = effort_of(id, &title(id), &owner(id), rated);
        a.ease_mean = e.mean;
        a.ease_answers = e.answers;
        if !rated.is_empty() {
            effort.push(e);
        }
        if !rs.is_empty() || catalog.actions.contains_key(id) {
            adoption.push(adoption_of(
                rw,
                id,
                &title(id),
                rs,
                &first_use,
                &early,
                period,
            ));
        }
        actions.push(a);
    }

    // Adoption curve: distinct teams and people per week of the period.
    let first_week = monday_of(since_s);
    let mut weeks: BTreeMap<i64, (HashSet<&str>, HashSet<i64>, u64)> = BTreeMap::new();
    let mut w = first_week;
    while w <= now_s {
        weeks.insert(w, Default::default());
        w += 604_800;
    }
    for r in &rows {
        let entry = weeks.entry(monday_of(r.created)).or_default();
        if let Some(t) = r.team.as_deref() {
            entry.0.insert(t);
        }
        if let Some(p) = r.requester_id {
            entry.1.insert(p);
        }
        entry.2 += 1;
    }
    let adoption_weeks = weeks
        .into_iter()
        .map(|(w, (t, p, n))| AdoptionWeek {
            week: date_of(w),
            teams: t.len() as u64,
            people: p.len() as u64,
            requests: n,
        })
        .collect();

    let team_shares = team_shares(rw, &rows, since_s).await?;
    let channels = channel_counts(&rows);
    let pulses = pulse::results(rw, &early).await?;

    let finished: Vec<u64> = rows
        .iter()
        .filter_map(|r| span(Some(r.created), r.finished))
        .collect();
    let ok = rows.iter().filter(|r| r.status == "succeeded").count() as u64;
    let bad = rows.iter().filter(|r| r.status == "failed").count() as u64;
    let scores: Vec<i64> = ratings.iter().map(|r| r.score).collect();
    let headline = Headline {
        requests: rows.len() as u64,
        finished: finished.len() as u64,
        people: rows
            .iter()
            .filter_map(|r| r.requester_id)
            .collect::<HashSet<_>>()
            .len() as u64,
        teams: rows
            .iter()
            .filter_map(|r| r.team.as_deref())
            .collect::<HashSet<_>>()
            .len() as u64,
        actions_used: by_action.len() as u64,
        lead_median: quantiles(finished).median,
        success_rate: percent(ok, ok + bad),
        saved_secs: actions.iter().filter_map(|a| a.saved_secs).sum(),
        saved_actions: actions.iter().filter(|a| a.saved_secs.is_some()).count() as u64,
        ease_mean: mean(&scores),
        ease_answers: scores.len() as u64,
    };
    Ok(ImpactReport {
        since: since.date_naive().to_string(),
        until: now.date_naive().to_string(),
        days,
        generated_at: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        headline,
        actions,
        adoption_weeks,
        adoption,
        team_shares,
        channels,
        effort,
        pulses,
        early_adopters: early.into_iter().collect(),
        can_manage: false,
        known_teams: Vec::new(),
    })
}

fn mean(scores: &[i64]) -> Option<f64> {
    (!scores.is_empty()).then(|| scores.iter().sum::<i64>() as f64 / scores.len() as f64)
}

fn effort_of(id: &str, title: &str, owner: &str, rated: &[&sql::RatingRow]) -> ActionEffort {
    let scores: Vec<i64> = rated.iter().map(|r| r.score).collect();
    let mut distribution = [0u64; 7];
    for s in &scores {
        if let Some(slot) = usize::try_from(*s - 1)
            .ok()
            .and_then(|i| distribution.get_mut(i))
        {
            *slot += 1;
        }
    }
    let mut weekly: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for r in rated {
        weekly.entry(monday_of(r.rated)).or_default().push(r.score);
    }
    let trend = weekly
        .into_iter()
        .filter_map(|(w, s)| mean(&s).map(|m| (date_of(w), m, s.len() as u64)))
        .collect();
    let comments = rated
        .iter()
        .rev()
        .filter(|r| !r.comment.trim().is_empty())
        .take(50)
        .map(|r| EaseComment {
            request_id: r.request_id,
            at: date_of(r.rated),
            score: u8::try_from(r.score).unwrap_or(0),
            comment: r.comment.clone(),
        })
        .collect();
    ActionEffort {
        action_id: id.to_string(),
        title: title.to_string(),
        owner: owner.to_string(),
        answers: scores.len() as u64,
        mean: mean(&scores),
        distribution,
        trend,
        comments,
    }
}

fn side(rs: &[&PhaseRow]) -> Side {
    Side {
        requests: rs.len() as u64,
        people: rs
            .iter()
            .filter_map(|r| r.requester_id)
            .collect::<HashSet<_>>()
            .len() as u64,
        lead_median: quantiles(
            rs.iter()
                .filter_map(|r| span(Some(r.created), r.finished))
                .collect(),
        )
        .median,
    }
}

fn adoption_of(
    rw: &Runway,
    id: &str,
    title: &str,
    rs: &[&PhaseRow],
    first_use: &[(String, String, i64, i64)],
    early: &BTreeSet<String>,
    period: i64,
) -> ActionAdoption {
    let mut per_person: HashMap<i64, u64> = HashMap::new();
    for r in rs {
        if let Some(p) = r.requester_id {
            *per_person.entry(p).or_default() += 1;
        }
    }
    let teams = first_use
        .iter()
        .filter(|(a, t, _, _)| a == id && !t.is_empty())
        .map(|(_, t, since, n)| TeamUse {
            team: t.clone(),
            since: date_of(*since),
            requests: u64::try_from(*n).unwrap_or(0),
        })
        .collect();
    let (e, o): (Vec<&PhaseRow>, Vec<&PhaseRow>) = rs
        .iter()
        .copied()
        .partition(|r| r.team.as_deref().is_some_and(|t| early.contains(t)));
    let beta = rw
        .catalog
        .snapshot()
        .actions
        .get(id)
        .is_some_and(|a| a.spec.visible_to.is_beta());
    ActionAdoption {
        action_id: id.to_string(),
        title: title.to_string(),
        teams,
        requests: rs.len() as u64,
        people: per_person.len() as u64,
        repeat_people: per_person.values().filter(|n| **n >= 2).count() as u64,
        per_week: per_week(rs.len() as u64, period),
        beta,
        early: side(&e),
        others: side(&o),
    }
}

/// The period's requests per channel, every channel listed (zero included), in
/// `Channel::ALL` order.
fn channel_counts(rows: &[PhaseRow]) -> Vec<runway_domain::impact::ChannelCount> {
    let total = rows.len() as u64;
    runway_domain::request::Channel::ALL
        .into_iter()
        .map(|c| {
            let requests = rows.iter().filter(|r| r.channel == c.as_str()).count() as u64;
            runway_domain::impact::ChannelCount {
                channel: c.as_str().to_string(),
                requests,
                share: percent(requests, total),
            }
        })
        .collect()
}

/// Per team, for the actions with a ticket baseline: requests through Runway and tickets of the
/// linked groups, both created since each action's launch and within the period.
async fn team_shares(
    rw: &Runway,
    rows: &[PhaseRow],
    since: i64,
) -> Result<Vec<TeamShare>, DbError> {
    let launched: HashMap<String, i64> = sql::baselines(&rw.db)
        .await?
        .into_iter()
        .filter(|b| b.kind == "tickets")
        .map(|b| (b.action_id, b.launched_at.timestamp()))
        .collect();
    if launched.is_empty() {
        return Ok(Vec::new());
    }
    let mut by_team: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for r in rows {
        if let (Some(l), Some(t)) = (launched.get(&r.action_id), r.team.as_deref()) {
            if r.created >= *l {
                by_team.entry(t.to_string()).or_default().0 += 1;
            }
        }
    }
    for (action, created, _, team) in sql::baseline_tickets(&rw.db).await? {
        if let (Some(l), Some(t)) = (launched.get(&action), team) {
            if created >= *l && created >= since {
                by_team.entry(t).or_default().1 += 1;
            }
        }
    }
    Ok(by_team
        .into_iter()
        .map(|(team, (runway, tickets))| TeamShare {
            team,
            runway,
            tickets,
            share: percent(runway, runway + tickets),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Datelike;

    #[test]
    fn weeks_start_on_monday() {
        // 2026-11-29 is a Sunday; its week began on Monday 2026-11-23.
        let sunday = Utc.with_ymd_and_hms(2026, 11, 29, 15, 0, 0).unwrap();
        assert_eq!(date_of(monday_of(sunday.timestamp())), "2026-11-23");
        let monday = Utc.with_ymd_and_hms(2026, 11, 23, 0, 0, 0).unwrap();
        assert_eq!(monday_of(monday.timestamp()), monday.timestamp());
        assert_eq!(monday.weekday(), chrono::Weekday::Mon);
    }

    #[test]
    fn a_report_computed_before_a_change_is_not_kept() {
        let cache = Cache::default();
        let before = cache.generation();
        cache.clear();
        cache.put(90, Arc::new(ImpactReport::default()), before);
        assert!(
            cache.get(90).is_none(),
            "computed from data older than the change"
        );
        cache.put(90, Arc::new(ImpactReport::default()), cache.generation());
        assert!(matches!(cache.get(90), Some((_, true))));
    }

    #[test]
    fn per_week_counts_at_least_one_week() {
        assert_eq!(per_week(3, 86_400), 3.0);
        assert_eq!(per_week(14, 2 * 604_800), 7.0);
    }
}
