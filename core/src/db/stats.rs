//! SQL for the team page: counts, quantiles and weekly buckets of a team's recent requests, computed
//! by the database (a team's quarter is tens of thousands of rows; only a few dozen come back).
//! `core::requests::team_stats` turns them into the page.

use super::{Db, DbError};
use crate::on_pool;
use chrono::{DateTime, Utc};

/// Seconds since the Unix epoch of a timestamp column, in each dialect.
fn epoch(db: &Db, column: &str) -> String {
    match db {
        Db::Sqlite(_) => format!("unixepoch({column})"),
        Db::Postgres(_) => format!("FLOOR(EXTRACT(EPOCH FROM {column}))::BIGINT"),
    }
}

/// `requests` read through `requests_team_figures`, which holds every column the figures need. SQLite
/// is told so: built with STAT4, it plans with the bound team's samples and, for some teams, picked
/// an index that read a table row per request (500 ms instead of 7 ms at a million requests).
/// `alias` names the table in the query (`""` for none).
fn requests_by_team(db: &Db, alias: &str) -> String {
    match db {
        Db::Sqlite(_) => format!("requests {alias} INDEXED BY requests_team_figures"),
        Db::Postgres(_) => format!("requests {alias}"),
    }
}

/// The periods the team page counts over.
#[derive(Debug, Clone, Copy)]
pub struct Windows {
    /// Monday 00:00 UTC of this week.
    pub week: DateTime<Utc>,
    /// The 1st of this month, 00:00 UTC.
    pub month: DateTime<Utc>,
    /// 30 days ago: the success rate.
    pub recent: DateTime<Utc>,
    /// 90 days ago: requests, lead times and approval waits per action.
    pub quarter: DateTime<Utc>,
    /// Monday 00:00 UTC eleven weeks before this week: the weekly chart.
    pub first_week: DateTime<Utc>,
}

/// One action's counts over the windows.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ActionCounts {
    pub action_id: String,
    pub this_week: i64,
    pub this_month: i64,
    pub succeeded_recent: i64,
    pub failed_recent: i64,
    pub quarter: i64,
}

/// Per action the team requested since the earliest window: how many in each window.
pub async fn counts(db: &Db, team: &str, w: &Windows) -> Result<Vec<ActionCounts>, DbError> {
    let earliest = w.quarter.min(w.month).min(w.first_week);
    let sql = format!(
        "SELECT action_id,
                SUM(CASE WHEN created_at >= $3 THEN 1 ELSE 0 END) AS this_week,
                SUM(CASE WHEN created_at >= $4 THEN 1 ELSE 0 END) AS this_month,
                SUM(CASE WHEN created_at >= $5 AND status = 'succeeded' THEN 1 ELSE 0 END) AS succeeded_recent,
                SUM(CASE WHEN created_at >= $5 AND status = 'failed' THEN 1 ELSE 0 END) AS failed_recent,
                SUM(CASE WHEN created_at >= $6 THEN 1 ELSE 0 END) AS quarter
         FROM {requests} WHERE team = $1 AND created_at >= $2
         GROUP BY action_id ORDER BY action_id",
        requests = requests_by_team(db, ""),
    );
    Ok(on_pool!(db, pool => sqlx::query_as::<_, ActionCounts>(&sql)
    .bind(team).bind(earliest).bind(w.week).bind(w.month).bind(w.recent).bind(w.quarter)
    .fetch_all(pool).await)?)
}

/// (action, week number from `first_week` (0-based), requests) for the weekly chart.
pub async fn per_week(
    db: &Db,
    team: &str,
    first_week: DateTime<Utc>,
) -> Result<Vec<(String, i64, i64)>, DbError> {
    let sql = format!(
        "SELECT action_id, ({created} - $3) / 604800 AS week, COUNT(*)
         FROM {requests} WHERE team = $1 AND created_at >= $2
         GROUP BY action_id, week",
        created = epoch(db, "created_at"),
        requests = requests_by_team(db, ""),
    );
    Ok(
        on_pool!(db, pool => sqlx::query_as::<_, (String, i64, i64)>(&sql)
        .bind(team).bind(first_week).bind(first_week.timestamp())
        .fetch_all(pool).await)?,
    )
}

/// Median and 90th percentile (nearest rank, as `runway_domain::view::quantile`) of `secs` per
/// `action_id` over the rows of the CTE `samples`.
fn quantiles_of(samples: &str) -> String {
    format!(
        "WITH samples AS ({samples}),
         ranked AS (
             SELECT action_id, secs,
                    ROW_NUMBER() OVER (PARTITION BY action_id ORDER BY secs) AS rn,
                    COUNT(*) OVER (PARTITION BY action_id) AS n
             FROM samples)
         SELECT action_id,
                MAX(CASE WHEN rn = (n + 1) / 2 THEN secs END),
                MAX(CASE WHEN rn = (9 * n + 9) / 10 THEN secs END)
         FROM ranked GROUP BY action_id"
    )
}

/// (action, median, p90) in seconds of the lead time (submitted to finished) of the team's requests
/// submitted since `since` that have finished.
pub async fn lead_quantiles(
    db: &Db,
    team: &str,
    since: DateTime<Utc>,
) -> Result<Vec<(String, Option<i64>, Option<i64>)>, DbError> {
    let sql = quantiles_of(&format!(
        "SELECT action_id, {finished} - {created} AS secs FROM {requests}
         WHERE team = $1 AND created_at >= $2 AND finished_at IS NOT NULL",
        finished = epoch(db, "finished_at"),
        created = epoch(db, "created_at"),
        requests = requests_by_team(db, ""),
    ));
    Ok(
        on_pool!(db, pool => sqlx::query_as::<_, (String, Option<i64>, Option<i64>)>(&sql)
        .bind(team).bind(since).fetch_all(pool).await)?,
    )
}

/// (action, median, p90) in seconds from submission to the first decision (approved, rejected or
/// expired) of the team's requests submitted since `since` that waited for approval.
pub async fn approval_quantiles(
    db: &Db,
    team: &str,
    since: DateTime<Utc>,
) -> Result<Vec<(String, Option<i64>, Option<i64>)>, DbError> {
    let sql = quantiles_of(&format!(
        "SELECT r.action_id, MIN({decided}) - {created} AS secs
         FROM {requests}
         JOIN request_events d ON d.request_id = r.id AND d.kind IN ('approved', 'rejected', 'expired')
         WHERE r.team = $1 AND r.created_at >= $2
         GROUP BY r.id, r.action_id, r.created_at",
        decided = epoch(db, "d.at"),
        created = epoch(db, "r.created_at"),
        requests = requests_by_team(db, "r"),
    ));
    Ok(
        on_pool!(db, pool => sqlx::query_as::<_, (String, Option<i64>, Option<i64>)>(&sql)
        .bind(team).bind(since).fetch_all(pool).await)?,
    )
}
