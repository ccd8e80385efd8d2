//! SQL for the team page: raw facts of a team's recent requests; `core::requests::team_stats` turns
//! them into figures.

use super::{Db, DbError};
use crate::on_pool;
use chrono::{DateTime, Utc};

/// (action id, status, submitted, finished) of a team's requests submitted since `since`.
pub async fn team_requests(
    db: &Db,
    team: &str,
    since: DateTime<Utc>,
) -> Result<Vec<(String, String, DateTime<Utc>, Option<DateTime<Utc>>)>, DbError> {
    Ok(
        on_pool!(db, pool => sqlx::query_as::<_, (String, String, DateTime<Utc>, Option<DateTime<Utc>>)>(
        "SELECT action_id, status, created_at, finished_at FROM requests
         WHERE team = $1 AND created_at >= $2 ORDER BY created_at LIMIT 200000"
    ).bind(team).bind(since).fetch_all(pool).await)?,
    )
}

/// (action id, submitted, decided) of the team's requests that waited for approval since `since`:
/// decided is the first approval, rejection or expiry.
pub async fn approval_waits(
    db: &Db,
    team: &str,
    since: DateTime<Utc>,
) -> Result<Vec<(String, DateTime<Utc>, Option<DateTime<Utc>>)>, DbError> {
    Ok(
        on_pool!(db, pool => sqlx::query_as::<_, (String, DateTime<Utc>, Option<DateTime<Utc>>)>(
        "SELECT r.action_id, r.created_at,
                (SELECT MIN(d.at) FROM request_events d WHERE d.request_id = r.id AND d.kind IN ('approved', 'rejected', 'expired'))
         FROM requests r
         WHERE r.team = $1 AND r.created_at >= $2
           AND EXISTS (SELECT 1 FROM request_events e WHERE e.request_id = r.id AND e.kind = 'approval_requested')
         LIMIT 200000"
    ).bind(team).bind(since).fetch_all(pool).await)?,
    )
}
