//! The teams' cognitive-load pulse: an admin starts a short survey (3 to 5 statements rated 1 to 5)
//! for chosen teams, once, monthly or quarterly; members answer in the portal while a round is open.
//!
//! Anonymous by construction: an answer is stored only as one more count in `pulse_tallies` per
//! (team, statement, score), and `pulse_participants` records only that a person answered, so no
//! row anywhere is one person's answer. A team's results show only once
//! [`PULSE_MIN_ANSWERS`] of its members answered; the early-adopter and other-teams figures pool
//! only teams that are shown themselves (pooling a hidden team would let a reader subtract it out).

use super::ImpactError;
use crate::audit::{record_or_log, Actor, AuditEvent, AuditKind};
use crate::db::impact as sql;
use crate::state::Runway;
use chrono::{DateTime, Months, Utc};
use runway_domain::ids::TeamName;
use runway_domain::impact::{OpenPulse, PulseCell, PulseResults, PULSE_MIN_ANSWERS};
use runway_domain::user::User;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// What an admin starts.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPulse {
    pub title: String,
    pub statements: Vec<String>,
    pub teams: Vec<String>,
    /// `once`, `monthly` or `quarterly`.
    pub cadence: String,
    pub open_days: i64,
}

fn invalid(msg: &str) -> ImpactError {
    ImpactError::Invalid(msg.to_string())
}

/// Starts a pulse and opens its first round now (admins only). Returns its id.
pub async fn start(rw: &Runway, user: &User, new: &NewPulse) -> Result<i64, ImpactError> {
    if !user.is_admin {
        return Err(ImpactError::NotAllowed);
    }
    let title = new.title.trim();
    if title.is_empty() || title.chars().count() > 100 {
        return Err(invalid("give the pulse a title of 1-100 characters"));
    }
    let statements: Vec<String> = new
        .statements
        .iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    if !(3..=5).contains(&statements.len()) {
        return Err(invalid("a pulse has 3 to 5 statements"));
    }
    if statements.iter().any(|s| s.chars().count() > 200) {
        return Err(invalid("a statement is at most 200 characters"));
    }
    let mut teams = BTreeSet::new();
    for t in &new.teams {
        let name = TeamName::parse(t.trim())
            .map_err(|_| ImpactError::Invalid(format!("{t:?} is not a team name")))?;
        teams.insert(name.to_string());
    }
    if teams.is_empty() {
        return Err(invalid("choose at least one team"));
    }
    if !matches!(new.cadence.as_str(), "once" | "monthly" | "quarterly") {
        return Err(invalid("the cadence is once, monthly or quarterly"));
    }
    if !(1..=60).contains(&new.open_days) {
        return Err(invalid("a round stays open 1 to 60 days"));
    }
    let teams: Vec<String> = teams.into_iter().collect();
    let id = sql::create_pulse(
        &rw.db,
        title,
        &statements,
        &new.cadence,
        new.open_days,
        &teams,
        &user.name,
        Utc::now(),
    )
    .await?;
    record_or_log(
        &rw.db,
        &AuditEvent::new(
            Actor::person(user),
            AuditKind::PulseStarted,
            format!("pulse:{id}"),
        )
        .detail(serde_json::json!({ "title": title, "teams": teams, "cadence": new.cadence })),
    )
    .await;
    rw.impact.clear();
    Ok(id)
}

/// Stops a pulse: its open round closes now and no further round opens (admins only).
pub async fn stop(rw: &Runway, user: &User, id: i64) -> Result<(), ImpactError> {
    if !user.is_admin {
        return Err(ImpactError::NotAllowed);
    }
    if !sql::stop_pulse(&rw.db, id, Utc::now()).await? {
        return Err(ImpactError::UnknownPulse);
    }
    record_or_log(
        &rw.db,
        &AuditEvent::new(
            Actor::person(user),
            AuditKind::PulseStopped,
            format!("pulse:{id}"),
        ),
    )
    .await;
    rw.impact.clear();
    Ok(())
}

/// When the round after one opening at `opens` opens.
fn next_opening(cadence: &str, opens: DateTime<Utc>) -> Option<DateTime<Utc>> {
    match cadence {
        "monthly" => opens.checked_add_months(Months::new(1)),
        "quarterly" => opens.checked_add_months(Months::new(3)),
        _ => None,
    }
}

/// Opens the round that is due of every repeating pulse that is not stopped (idempotent: a round
/// is keyed by its pulse and opening time). Rounds missed while nobody looked are skipped: the
/// newest due one opens.
pub async fn open_due_rounds(rw: &Runway, now: DateTime<Utc>) -> Result<(), ImpactError> {
    let rounds = sql::rounds(&rw.db).await?;
    let mut latest: HashMap<i64, DateTime<Utc>> = HashMap::new();
    for r in &rounds {
        latest.insert(r.pulse_id, r.opens_at);
    }
    for p in sql::pulses(&rw.db).await? {
        if p.stopped_at.is_some() {
            continue;
        }
        let Some(mut opens) = latest.get(&p.id).copied() else {
            continue;
        };
        let mut due = None;
        while let Some(next) = next_opening(&p.cadence, opens) {
            if next > now {
                break;
            }
            due = Some(next);
            opens = next;
        }
        if let Some(at) = due {
            sql::open_round(&rw.db, p.id, at, at + chrono::Duration::days(p.open_days)).await?;
            rw.impact.clear();
        }
    }
    Ok(())
}

/// How long this process trusts its list of rounds not yet closed. Starting, stopping, answering
/// and opening a round here forgets it at once; a round started by another `serve` process shows
/// in this one's badge within this time.
const ROUNDS_FOR: std::time::Duration = std::time::Duration::from_secs(30);

/// The rounds not yet closed (each with one of its teams), from the cache or the database.
async fn round_windows(
    rw: &Runway,
    now: DateTime<Utc>,
) -> Result<std::sync::Arc<Vec<sql::RoundWindow>>, ImpactError> {
    if let Some(rounds) = rw.impact.rounds(ROUNDS_FOR) {
        return Ok(rounds);
    }
    let generation = rw.impact.generation();
    let rounds = std::sync::Arc::new(sql::round_windows(&rw.db, now).await?);
    rw.impact.put_rounds(rounds.clone(), generation);
    Ok(rounds)
}

/// How many open rounds wait for `user`'s answer (the navigation's badge). Due rounds of repeating
/// pulses are opened at most once a minute per process from here.
pub async fn waiting(rw: &Runway, user: &User) -> Result<usize, ImpactError> {
    use std::sync::atomic::{AtomicI64, Ordering};
    static LAST_OPENED: AtomicI64 = AtomicI64::new(0);
    if user.teams.is_empty() {
        return Ok(0);
    }
    let now = Utc::now();
    if now.timestamp() - LAST_OPENED.load(Ordering::Relaxed) >= 60 {
        LAST_OPENED.store(now.timestamp(), Ordering::Relaxed);
        open_due_rounds(rw, now).await?;
    }
    // Most of the time no round is open for the caller's teams: answered from memory, no query.
    let teams = user.team_names();
    let open_for_them = round_windows(rw, now)
        .await?
        .iter()
        .any(|w| w.opens_at <= now && now < w.closes_at && teams.contains(&w.team));
    if !open_for_them {
        return Ok(0);
    }
    let n = sql::waiting_rounds(&rw.db, user.id, &teams, now).await?;
    Ok(usize::try_from(n).unwrap_or(0))
}

/// The rounds `user` may answer now, with the teams they would answer for.
pub async fn open_for(rw: &Runway, user: &User) -> Result<Vec<OpenPulse>, ImpactError> {
    if user.teams.is_empty() {
        return Ok(Vec::new());
    }
    let now = Utc::now();
    open_due_rounds(rw, now).await?;
    let pulses: HashMap<i64, sql::PulseRow> = sql::pulses(&rw.db)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let mut teams: HashMap<i64, Vec<String>> = HashMap::new();
    for (p, t) in sql::pulse_teams(&rw.db).await? {
        if user.is_member(&t) {
            teams.entry(p).or_default().push(t);
        }
    }
    let mut out = Vec::new();
    for r in sql::rounds(&rw.db).await? {
        if !(r.opens_at <= now && now < r.closes_at) {
            continue;
        }
        let (Some(p), Some(mine)) = (pulses.get(&r.pulse_id), teams.get(&r.pulse_id)) else {
            continue;
        };
        let answered = sql::answered_teams(&rw.db, r.id, user.id).await?;
        let left: Vec<String> = mine
            .iter()
            .filter(|t| !answered.contains(t))
            .cloned()
            .collect();
        if left.is_empty() {
            continue;
        }
        out.push(OpenPulse {
            round_id: r.id,
            title: p.title.clone(),
            statements: serde_json::from_str(&p.statements).unwrap_or_default(),
            closes_at: r.closes_at.date_naive().to_string(),
            teams: left,
        });
    }
    Ok(out)
}

/// Records `user`'s answer to round `round_id`: one score (1..5) per statement, in order. It counts
/// for each of their teams the round asks that they have not answered for yet.
pub async fn answer(
    rw: &Runway,
    user: &User,
    round_id: i64,
    scores: &[String],
) -> Result<(), ImpactError> {
    let open = open_for(rw, user).await?;
    let Some(round) = open.into_iter().find(|o| o.round_id == round_id) else {
        return Err(ImpactError::NoPulse);
    };
    if scores.len() != round.statements.len() {
        return Err(invalid("rate every statement from 1 to 5"));
    }
    let mut parsed = Vec::with_capacity(scores.len());
    for s in scores {
        match s.trim().parse::<i64>() {
            Ok(n) if (1..=5).contains(&n) => parsed.push(n),
            _ => return Err(invalid("rate every statement from 1 to 5")),
        }
    }
    if !sql::answer(&rw.db, round_id, user.id, &round.teams, &parsed).await? {
        return Err(invalid("you have already answered this pulse"));
    }
    rw.impact.clear();
    Ok(())
}

/// Per statement, the mean of `tally` (statement → score → answers).
fn means(tally: &BTreeMap<i64, BTreeMap<i64, i64>>, statements: usize) -> Vec<f64> {
    (0..statements)
        .map(|i| {
            let scores = tally.get(&(i as i64));
            let n: i64 = scores.map(|s| s.values().sum()).unwrap_or(0);
            let sum: i64 = scores
                .map(|s| s.iter().map(|(score, k)| score * k).sum())
                .unwrap_or(0);
            if n > 0 {
                sum as f64 / n as f64
            } else {
                0.0
            }
        })
        .collect()
}

type Tally = BTreeMap<i64, BTreeMap<i64, i64>>;

/// Every pulse's results: per round, per team (shown only once the round has closed, and from
/// [`PULSE_MIN_ANSWERS`] answers), then the early adopters and the other teams, each pooling only
/// its teams that are shown.
pub async fn results(
    rw: &Runway,
    early: &BTreeSet<String>,
) -> Result<Vec<PulseResults>, crate::db::DbError> {
    let pulses = sql::pulses(&rw.db).await?;
    if pulses.is_empty() {
        return Ok(Vec::new());
    }
    let mut teams: BTreeMap<i64, Vec<String>> = BTreeMap::new();
    for (p, t) in sql::pulse_teams(&rw.db).await? {
        teams.entry(p).or_default().push(t);
    }
    let answered: HashMap<(i64, String), u64> = sql::participants(&rw.db)
        .await?
        .into_iter()
        .map(|(r, t, n)| ((r, t), u64::try_from(n).unwrap_or(0)))
        .collect();
    let mut tallies: HashMap<(i64, String), Tally> = HashMap::new();
    for (round, team, statement, score, n) in sql::tallies(&rw.db).await? {
        *tallies
            .entry((round, team))
            .or_default()
            .entry(statement)
            .or_default()
            .entry(score)
            .or_default() += n;
    }
    let rounds = sql::rounds(&rw.db).await?;
    let now = chrono::Utc::now();
    let mut out = Vec::new();
    for p in pulses {
        let statements: Vec<String> = serde_json::from_str(&p.statements).unwrap_or_default();
        let pulse_teams = teams.remove(&p.id).unwrap_or_default();
        let mut cells = Vec::new();
        for r in rounds.iter().filter(|r| r.pulse_id == p.id) {
            // A round's results show once it has closed (its time is up, or the pulse was
            // stopped): while it is open, a reader comparing results before and after one more
            // answer would learn that answer.
            let open = r.closes_at > now && p.stopped_at.is_none();
            let mut pooled: [(u64, Tally); 2] = Default::default();
            for t in &pulse_teams {
                let key = (r.id, t.clone());
                let n = answered.get(&key).copied().unwrap_or(0);
                let shown = !open && n >= PULSE_MIN_ANSWERS;
                let tally = tallies.get(&key);
                if shown {
                    if let Some(tally) = tally {
                        let side = &mut pooled[usize::from(!early.contains(t))];
                        side.0 += n;
                        for (s, scores) in tally {
                            for (score, k) in scores {
                                *side.1.entry(*s).or_default().entry(*score).or_default() += k;
                            }
                        }
                    }
                }
                cells.push(PulseCell {
                    round_id: r.id,
                    open,
                    opens_at: r.opens_at.date_naive().to_string(),
                    who: t.clone(),
                    answered: n,
                    means: shown.then(|| {
                        tally
                            .map(|t| means(t, statements.len()))
                            .unwrap_or_default()
                    }),
                });
            }
            for (i, who) in ["early adopters", "other teams"].into_iter().enumerate() {
                let (n, tally) = &pooled[i];
                cells.push(PulseCell {
                    round_id: r.id,
                    open,
                    opens_at: r.opens_at.date_naive().to_string(),
                    who: who.to_string(),
                    answered: *n,
                    means: (!open && *n >= PULSE_MIN_ANSWERS)
                        .then(|| means(tally, statements.len())),
                });
            }
        }
        out.push(PulseResults {
            pulse_id: p.id,
            title: p.title,
            statements,
            cadence: p.cadence,
            teams: pulse_teams,
            stopped: p.stopped_at.is_some(),
            cells,
        });
    }
    Ok(out)
}
