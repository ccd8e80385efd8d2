//! SQL for the Impact figures (issue #14): each request's phase times, first use per team, ease
//! ratings, baselines and their tickets, pulses and their tallies. `core::impact` turns the rows into
//! the report; every time comes back as seconds since the epoch.

use super::{Db, DbError};
use crate::on_pool;
use chrono::{DateTime, Utc};

/// Seconds since the Unix epoch of a timestamp column, in each dialect (NULL stays NULL).
fn epoch(db: &Db, column: &str) -> String {
    match db {
        Db::Sqlite(_) => format!("unixepoch({column})"),
        Db::Postgres(_) => format!("FLOOR(EXTRACT(EPOCH FROM {column}))::BIGINT"),
    }
}

/// One request and when each phase began: submitted, decided (approval), queued, started (or
/// taken, for manual requests) and finished.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PhaseRow {
    pub id: i64,
    pub action_id: String,
    pub team: Option<String>,
    pub requester_id: Option<i64>,
    pub executor: String,
    pub status: String,
    /// Where it was made (`portal`, `api`, `slack`, `jira`).
    pub channel: String,
    pub created: i64,
    pub finished: Option<i64>,
    pub decided: Option<i64>,
    pub queued: Option<i64>,
    pub started: Option<i64>,
}

/// Every request created since `since`, with its phase times (the first of each event kind).
pub async fn phases(db: &Db, since: DateTime<Utc>) -> Result<Vec<PhaseRow>, DbError> {
    let at = epoch(db, "e.at");
    let sql = format!(
        "SELECT r.id, r.action_id, r.team, r.requester_id, r.executor, r.status, r.channel,
                {created} AS created, {finished} AS finished,
                MIN(CASE WHEN e.kind IN ('approved', 'rejected', 'expired') THEN {at} END) AS decided,
                MIN(CASE WHEN e.kind = 'queued' THEN {at} END) AS queued,
                MIN(CASE WHEN e.kind IN ('started', 'assigned') THEN {at} END) AS started
         FROM requests r
         LEFT JOIN request_events e ON e.request_id = r.id
              AND e.kind IN ('approved', 'rejected', 'expired', 'queued', 'started', 'assigned')
         WHERE r.created_at >= $1
         GROUP BY r.id, r.action_id, r.team, r.requester_id, r.executor, r.status, r.channel, r.created_at, r.finished_at
         ORDER BY r.id",
        created = epoch(db, "r.created_at"),
        finished = epoch(db, "r.finished_at"),
    );
    Ok(on_pool!(db, pool => sqlx::query_as::<_, PhaseRow>(&sql).bind(since).fetch_all(pool).await)?)
}

/// (status, lead time in seconds once finished) of `action_id`'s requests created since `since`.
pub async fn action_requests(
    db: &Db,
    action_id: &str,
    since: DateTime<Utc>,
) -> Result<Vec<(String, Option<i64>)>, DbError> {
    let sql = format!(
        "SELECT status, {finished} - {created} FROM requests WHERE action_id = $1 AND created_at >= $2",
        finished = epoch(db, "finished_at"),
        created = epoch(db, "created_at"),
    );
    Ok(
        on_pool!(db, pool => sqlx::query_as(&sql).bind(action_id).bind(since).fetch_all(pool).await)?,
    )
}

/// (sum of scores, answers) of `action_id`'s ease ratings since `since`.
pub async fn action_ease(
    db: &Db,
    action_id: &str,
    since: DateTime<Utc>,
) -> Result<(i64, i64), DbError> {
    Ok(on_pool!(db, pool => sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(score), 0) AS BIGINT), COUNT(*) FROM request_ratings WHERE action_id = $1 AND rated_at >= $2")
        .bind(action_id).bind(since).fetch_one(pool).await)?)
}

/// Open rounds (at `now`) of `teams` that `user_id` has not answered for every one of them.
pub async fn waiting_rounds(
    db: &Db,
    user_id: i64,
    teams: &[String],
    now: DateTime<Utc>,
) -> Result<i64, DbError> {
    if teams.is_empty() {
        return Ok(0);
    }
    on_pool!(db, pool => {
        let mut qb = sqlx::QueryBuilder::new(
            "SELECT COUNT(DISTINCT r.id) FROM pulse_rounds r JOIN pulse_teams t ON t.pulse_id = r.pulse_id
             WHERE r.opens_at <= ");
        qb.push_bind(now);
        qb.push(" AND r.closes_at > ");
        qb.push_bind(now);
        qb.push(" AND t.team IN (");
        let mut sep = qb.separated(", ");
        for t in teams {
            sep.push_bind(t.as_str());
        }
        qb.push(") AND NOT EXISTS (SELECT 1 FROM pulse_participants p WHERE p.round_id = r.id AND p.team = t.team AND p.user_id = ");
        qb.push_bind(user_id);
        qb.push(")");
        Ok(qb.build_query_scalar::<i64>().fetch_one(pool).await?)
    })
}

/// (action, team or "", first request, requests) over all time: who uses what, and since when.
pub async fn first_use(db: &Db) -> Result<Vec<(String, String, i64, i64)>, DbError> {
    let sql = format!(
        "SELECT action_id, COALESCE(team, ''), MIN({created}), COUNT(*) FROM requests
         GROUP BY action_id, COALESCE(team, '') ORDER BY action_id, MIN({created})",
        created = epoch(db, "created_at"),
    );
    Ok(on_pool!(db, pool => sqlx::query_as(&sql).fetch_all(pool).await)?)
}

/// One ease rating.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RatingRow {
    pub request_id: i64,
    pub action_id: String,
    pub score: i64,
    pub comment: String,
    pub rated: i64,
}

/// The ease ratings given since `since`.
pub async fn ratings(db: &Db, since: DateTime<Utc>) -> Result<Vec<RatingRow>, DbError> {
    let sql = format!(
        "SELECT request_id, action_id, score, comment, {rated} AS rated FROM request_ratings
         WHERE rated_at >= $1 ORDER BY rated_at, request_id",
        rated = epoch(db, "rated_at"),
    );
    Ok(
        on_pool!(db, pool => sqlx::query_as::<_, RatingRow>(&sql).bind(since).fetch_all(pool).await)?,
    )
}

/// A request's rating: (score, comment, first rated).
pub async fn rating_of(
    db: &Db,
    request_id: i64,
) -> Result<Option<(i64, String, DateTime<Utc>)>, DbError> {
    Ok(on_pool!(db, pool => sqlx::query_as(
        "SELECT score, comment, rated_at FROM request_ratings WHERE request_id = $1")
        .bind(request_id).fetch_optional(pool).await)?)
}

/// Records or changes a request's rating (the first answer's time is kept).
pub async fn upsert_rating(
    db: &Db,
    request_id: i64,
    action_id: &str,
    score: i64,
    comment: &str,
    at: DateTime<Utc>,
) -> Result<(), DbError> {
    on_pool!(db, pool => sqlx::query(
        "INSERT INTO request_ratings (request_id, action_id, score, comment, rated_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $5)
         ON CONFLICT (request_id) DO UPDATE SET score = excluded.score, comment = excluded.comment,
             updated_at = excluded.updated_at")
        .bind(request_id).bind(action_id).bind(score).bind(comment).bind(at)
        .execute(pool).await.map(|_| ()))?;
    Ok(())
}

/// A stored baseline.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct BaselineRow {
    pub action_id: String,
    pub kind: String,
    pub source: Option<String>,
    pub group_id: Option<String>,
    pub group_label: Option<String>,
    pub stated_median_secs: Option<i64>,
    pub stated_p90_secs: Option<i64>,
    pub stated_per_week: Option<f64>,
    pub stated_source: Option<String>,
    pub launched_at: DateTime<Utc>,
    pub set_by: String,
}

pub async fn baselines(db: &Db) -> Result<Vec<BaselineRow>, DbError> {
    Ok(on_pool!(db, pool => sqlx::query_as::<_, BaselineRow>(
        "SELECT action_id, kind, source, group_id, group_label, stated_median_secs, stated_p90_secs,
                stated_per_week, stated_source, launched_at, set_by
         FROM action_baselines ORDER BY action_id")
        .fetch_all(pool).await)?)
}

/// (action, created, resolved, team) of every ticket of every linked group.
pub async fn baseline_tickets(
    db: &Db,
) -> Result<Vec<(String, i64, Option<i64>, Option<String>)>, DbError> {
    let sql = format!(
        "SELECT b.action_id, {created}, {resolved}, t.team
         FROM baseline_tickets b JOIN tickets t ON t.id = b.ticket_id",
        created = epoch(db, "t.created_at"),
        resolved = epoch(db, "t.resolved_at"),
    );
    Ok(on_pool!(db, pool => sqlx::query_as(&sql).fetch_all(pool).await)?)
}

/// What a baseline is set to.
#[derive(Debug, Clone, PartialEq)]
pub enum NewBaseline<'a> {
    /// A Discover group and the keys of its tickets.
    Tickets {
        source: &'a str,
        group_id: &'a str,
        label: &'a str,
        keys: &'a [String],
    },
    Stated {
        median_secs: i64,
        p90_secs: Option<i64>,
        per_week: Option<f64>,
        source_note: &'a str,
    },
}

/// Sets (replaces) `action_id`'s baseline, with its tickets, in one transaction.
pub async fn set_baseline(
    db: &Db,
    action_id: &str,
    baseline: &NewBaseline<'_>,
    launched_at: DateTime<Utc>,
    set_by: &str,
    at: DateTime<Utc>,
) -> Result<(), DbError> {
    on_pool!(db, pool => {
        let mut tx = pool.begin_with(db.begin_write()).await?;
        sqlx::query("DELETE FROM action_baselines WHERE action_id = $1")
            .bind(action_id).execute(&mut *tx).await?;
        match baseline {
            NewBaseline::Tickets { source, group_id, label, keys } => {
                sqlx::query(
                    "INSERT INTO action_baselines (action_id, kind, source, group_id, group_label, launched_at, set_by, set_at)
                     VALUES ($1, 'tickets', $2, $3, $4, $5, $6, $7)")
                    .bind(action_id).bind(*source).bind(*group_id).bind(*label)
                    .bind(launched_at).bind(set_by).bind(at)
                    .execute(&mut *tx).await?;
                for chunk in keys.chunks(500) {
                    let mut qb = sqlx::QueryBuilder::new(
                        "INSERT INTO baseline_tickets (action_id, ticket_id) SELECT ");
                    qb.push_bind(action_id);
                    qb.push(", id FROM tickets WHERE source = ");
                    qb.push_bind(*source);
                    qb.push(" AND ticket_key IN (");
                    let mut sep = qb.separated(", ");
                    for k in chunk {
                        sep.push_bind(k.as_str());
                    }
                    qb.push(")");
                    qb.build().execute(&mut *tx).await?;
                }
            }
            NewBaseline::Stated { median_secs, p90_secs, per_week, source_note } => {
                sqlx::query(
                    "INSERT INTO action_baselines (action_id, kind, stated_median_secs, stated_p90_secs, stated_per_week, stated_source, launched_at, set_by, set_at)
                     VALUES ($1, 'stated', $2, $3, $4, $5, $6, $7, $8)")
                    .bind(action_id).bind(*median_secs).bind(*p90_secs).bind(*per_week).bind(*source_note)
                    .bind(launched_at).bind(set_by).bind(at)
                    .execute(&mut *tx).await?;
            }
        }
        tx.commit().await?;
        Ok::<(), DbError>(())
    })
}

/// Removes `action_id`'s baseline; true if there was one.
pub async fn remove_baseline(db: &Db, action_id: &str) -> Result<bool, DbError> {
    let removed = on_pool!(db, pool => sqlx::query("DELETE FROM action_baselines WHERE action_id = $1")
        .bind(action_id).execute(pool).await.map(|d| d.rows_affected()))?;
    Ok(removed > 0)
}

/// When an action first appeared in the catalogue (its oldest version), if it has.
pub async fn first_loaded(db: &Db, action_id: &str) -> Result<Option<DateTime<Utc>>, DbError> {
    Ok(on_pool!(db, pool => sqlx::query_scalar(
        "SELECT MIN(first_loaded_at) FROM action_versions WHERE action_id = $1")
        .bind(action_id).fetch_one(pool).await)?)
}

/// Every version's spec (JSON) of every action: the teams of past rollouts.
pub async fn version_specs(db: &Db) -> Result<Vec<(String, String)>, DbError> {
    Ok(on_pool!(db, pool => sqlx::query_as(
        "SELECT action_id, spec FROM action_versions").fetch_all(pool).await)?)
}

/// Every team someone signed in as a member of, by name.
pub async fn known_teams(db: &Db) -> Result<Vec<String>, DbError> {
    Ok(on_pool!(db, pool => sqlx::query_scalar(
        "SELECT DISTINCT team FROM team_memberships ORDER BY team").fetch_all(pool).await)?)
}

/// A pulse.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PulseRow {
    pub id: i64,
    pub title: String,
    pub statements: String,
    pub cadence: String,
    pub open_days: i64,
    pub stopped_at: Option<DateTime<Utc>>,
}

/// A round of a pulse.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RoundRow {
    pub id: i64,
    pub pulse_id: i64,
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
}

/// Creates a pulse for `teams` and its first round, opening at `at`.
#[allow(clippy::too_many_arguments)]
pub async fn create_pulse(
    db: &Db,
    title: &str,
    statements: &[String],
    cadence: &str,
    open_days: i64,
    teams: &[String],
    created_by: &str,
    at: DateTime<Utc>,
) -> Result<i64, DbError> {
    let statements = serde_json::to_string(statements)
        .map_err(|e| DbError::Corrupt(format!("pulse statements: {e}")))?;
    let closes = at + chrono::Duration::days(open_days);
    on_pool!(db, pool => {
        let mut tx = pool.begin_with(db.begin_write()).await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO pulses (title, statements, cadence, open_days, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
            .bind(title).bind(&statements).bind(cadence).bind(open_days).bind(created_by).bind(at)
            .fetch_one(&mut *tx).await?;
        for team in teams {
            sqlx::query("INSERT INTO pulse_teams (pulse_id, team) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(id).bind(team).execute(&mut *tx).await?;
        }
        sqlx::query("INSERT INTO pulse_rounds (pulse_id, opens_at, closes_at) VALUES ($1, $2, $3)")
            .bind(id).bind(at).bind(closes).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok::<i64, DbError>(id)
    })
}

/// A pulse round not yet closed, with one of its teams.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RoundWindow {
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    pub team: String,
}

/// Every round closing after `now` (open now or opening later), once per team.
pub async fn round_windows(db: &Db, now: DateTime<Utc>) -> Result<Vec<RoundWindow>, DbError> {
    Ok(on_pool!(db, pool => sqlx::query_as::<_, RoundWindow>(
        "SELECT r.opens_at, r.closes_at, t.team FROM pulse_rounds r JOIN pulse_teams t ON t.pulse_id = r.pulse_id
         WHERE r.closes_at > $1"
    ).bind(now).fetch_all(pool).await)?)
}

/// Stops a pulse: its open round closes now and no further round opens. False if unknown or stopped.
pub async fn stop_pulse(db: &Db, id: i64, at: DateTime<Utc>) -> Result<bool, DbError> {
    on_pool!(db, pool => {
        let mut tx = pool.begin_with(db.begin_write()).await?;
        let done = sqlx::query("UPDATE pulses SET stopped_at = $2 WHERE id = $1 AND stopped_at IS NULL")
            .bind(id).bind(at).execute(&mut *tx).await?;
        sqlx::query("UPDATE pulse_rounds SET closes_at = $2 WHERE pulse_id = $1 AND closes_at > $2")
            .bind(id).bind(at).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok::<bool, DbError>(done.rows_affected() > 0)
    })
}

pub async fn pulses(db: &Db) -> Result<Vec<PulseRow>, DbError> {
    Ok(on_pool!(db, pool => sqlx::query_as::<_, PulseRow>(
        "SELECT id, title, statements, cadence, open_days, stopped_at FROM pulses ORDER BY id")
        .fetch_all(pool).await)?)
}

/// (pulse, team) of every pulse.
pub async fn pulse_teams(db: &Db) -> Result<Vec<(i64, String)>, DbError> {
    Ok(on_pool!(db, pool => sqlx::query_as(
        "SELECT pulse_id, team FROM pulse_teams ORDER BY pulse_id, team").fetch_all(pool).await)?)
}

/// Every round, oldest first.
pub async fn rounds(db: &Db) -> Result<Vec<RoundRow>, DbError> {
    Ok(on_pool!(db, pool => sqlx::query_as::<_, RoundRow>(
        "SELECT id, pulse_id, opens_at, closes_at FROM pulse_rounds ORDER BY pulse_id, opens_at")
        .fetch_all(pool).await)?)
}

/// Opens the next round of a repeating pulse at `opens_at` (once: a second call does nothing).
pub async fn open_round(
    db: &Db,
    pulse_id: i64,
    opens_at: DateTime<Utc>,
    closes_at: DateTime<Utc>,
) -> Result<(), DbError> {
    on_pool!(db, pool => sqlx::query(
        "INSERT INTO pulse_rounds (pulse_id, opens_at, closes_at) VALUES ($1, $2, $3)
         ON CONFLICT (pulse_id, opens_at) DO NOTHING")
        .bind(pulse_id).bind(opens_at).bind(closes_at).execute(pool).await.map(|_| ()))?;
    Ok(())
}

/// (round, team, people who answered).
pub async fn participants(db: &Db) -> Result<Vec<(i64, String, i64)>, DbError> {
    Ok(on_pool!(db, pool => sqlx::query_as(
        "SELECT round_id, team, COUNT(*) FROM pulse_participants GROUP BY round_id, team")
        .fetch_all(pool).await)?)
}

/// The teams `user_id` has answered round `round_id` for.
pub async fn answered_teams(db: &Db, round_id: i64, user_id: i64) -> Result<Vec<String>, DbError> {
    Ok(on_pool!(db, pool => sqlx::query_scalar(
        "SELECT team FROM pulse_participants WHERE round_id = $1 AND user_id = $2")
        .bind(round_id).bind(user_id).fetch_all(pool).await)?)
}

/// (round, team, statement, score, answers).
pub async fn tallies(db: &Db) -> Result<Vec<(i64, String, i64, i64, i64)>, DbError> {
    Ok(on_pool!(db, pool => sqlx::query_as(
        "SELECT round_id, team, statement, score, answers FROM pulse_tallies")
        .fetch_all(pool).await)?)
}

/// Records one person's answer to a round for each of `teams`: their participation, and one more
/// count for each (statement, score). False (nothing written) if they had already answered for
/// any of those teams.
pub async fn answer(
    db: &Db,
    round_id: i64,
    user_id: i64,
    teams: &[String],
    scores: &[i64],
) -> Result<bool, DbError> {
    on_pool!(db, pool => {
        let mut tx = pool.begin_with(db.begin_write()).await?;
        for team in teams {
            let done = sqlx::query(
                "INSERT INTO pulse_participants (round_id, user_id, team) VALUES ($1, $2, $3)
                 ON CONFLICT DO NOTHING")
                .bind(round_id).bind(user_id).bind(team).execute(&mut *tx).await?;
            if done.rows_affected() == 0 {
                return Ok(false);
            }
            for (statement, score) in scores.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO pulse_tallies (round_id, team, statement, score, answers) VALUES ($1, $2, $3, $4, 1)
                     ON CONFLICT (round_id, team, statement, score) DO UPDATE SET answers = pulse_tallies.answers + 1")
                    .bind(round_id).bind(team).bind(statement as i64).bind(*score)
                    .execute(&mut *tx).await?;
            }
        }
        tx.commit().await?;
        Ok::<bool, DbError>(true)
    })
}
