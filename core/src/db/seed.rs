//! Synthetic data for benchmarks: a realistic request history of any size, written with one
//! set-based statement per table. For scratch databases only.

use super::{Db, DbError};
use crate::on_pool;

/// Seeds up to `n` requests (none if there are already `n`): people in `teams` teams, requests spread
/// over a year, a tenth failed, some waiting for approval, approval events for a tenth. Returns how
/// many requests it added.
pub async fn history(
    db: &Db,
    n: i64,
    actions: &[&str],
    teams: i64,
    people: i64,
) -> Result<i64, DbError> {
    let have: i64 = on_pool!(db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM requests").fetch_one(pool).await)?;
    if have >= n {
        return Ok(0);
    }
    let now = chrono::Utc::now();
    on_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        for i in 0..people {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO users (issuer, subject, name, email, is_admin, created_at, last_login_at)
                 VALUES ('runway:bench', $1, $2, NULL, FALSE, $3, $3)
                 ON CONFLICT (issuer, subject) DO UPDATE SET name = EXCLUDED.name RETURNING id")
                .bind(format!("u{i}")).bind(format!("Bench Person {i}")).bind(now)
                .fetch_one(&mut *tx).await?;
            sqlx::query("DELETE FROM team_memberships WHERE user_id = $1").bind(id).execute(&mut *tx).await?;
            sqlx::query("INSERT INTO team_memberships (user_id, team, is_lead) VALUES ($1, $2, $3)")
                .bind(id).bind(format!("team{}", i % teams)).bind(i < teams)
                .execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok::<_, sqlx::Error>(())
    })?;
    let first_user: i64 = on_pool!(db, pool => sqlx::query_scalar("SELECT MIN(id) FROM users WHERE issuer = 'runway:bench'").fetch_one(pool).await)?;
    let action = format!(
        "CASE g % 6 {} END",
        actions
            .iter()
            .enumerate()
            .map(|(i, a)| format!("WHEN {i} THEN '{a}'"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    // Inputs differ per request (a service name) and repeat across many (an environment), so that
    // searches for rare and for common words can both be measured.
    let env = "CASE g % 3 WHEN 0 THEN 'production' WHEN 1 THEN 'staging' ELSE 'development' END";
    let todo = n - have;
    match db {
        Db::Postgres(pool) => {
            sqlx::query(&format!(
                "INSERT INTO requests (action_id, action_hash, requester_id, team, inputs, status, executor, attempts, created_at, updated_at, finished_at, search_text)
                 SELECT {action}, 'bench', $1 + (g % {people}), 'team' || ((g % {people}) % {teams}),
                        '{{\"name\":\"svc-' || g || '\",\"environment\":\"' || {env} || '\"}}',
                        CASE WHEN (g / {people}) % 10 = 3 THEN 'failed' WHEN g % 97 = 0 THEN 'pending_approval' ELSE 'succeeded' END,
                        'script', 1,
                        now() - g * interval '31 seconds', now() - g * interval '31 seconds',
                        CASE WHEN g % 97 = 0 THEN NULL ELSE now() - g * interval '31 seconds' + (g % 900) * interval '1 second' END,
                        {action} || ' svc-' || g || ' ' || {env}
                 FROM generate_series(1, $2) AS g"
            ))
            .bind(first_user)
            .bind(todo)
            .execute(pool)
            .await?;
            sqlx::query(
                "INSERT INTO request_events (request_id, at, kind)
                 SELECT id, created_at, 'approval_requested' FROM requests WHERE action_hash = 'bench' AND id % 10 = 0
                 UNION ALL
                 SELECT id, created_at + (id % 7200) * interval '1 second', 'approved' FROM requests WHERE action_hash = 'bench' AND id % 10 = 0 AND status <> 'pending_approval'",
            )
            .execute(pool)
            .await?;
            sqlx::query("ANALYZE").execute(pool).await?;
        }
        Db::Sqlite(pool) => {
            // The same timestamp text that sqlx writes for chrono values (RFC 3339, UTC offset).
            let ts =
                |expr: &str| format!("strftime('%Y-%m-%dT%H:%M:%S+00:00', {expr}, 'unixepoch')");
            let base = now.timestamp();
            sqlx::query(&format!(
                "WITH RECURSIVE seq(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM seq WHERE g < $2)
                 INSERT INTO requests (action_id, action_hash, requester_id, team, inputs, status, executor, attempts, created_at, updated_at, finished_at, search_text)
                 SELECT {action}, 'bench', $1 + (g % {people}), 'team' || ((g % {people}) % {teams}),
                        '{{\"name\":\"svc-' || g || '\",\"environment\":\"' || {env} || '\"}}',
                        CASE WHEN (g / {people}) % 10 = 3 THEN 'failed' WHEN g % 97 = 0 THEN 'pending_approval' ELSE 'succeeded' END,
                        'script', 1, {c}, {c},
                        CASE WHEN g % 97 = 0 THEN NULL ELSE {f} END,
                        {action} || ' svc-' || g || ' ' || {env}
                 FROM seq",
                c = ts(&format!("{base} - g * 31")),
                f = ts(&format!("{base} - g * 31 + g % 900")),
            ))
            .bind(first_user)
            .bind(todo)
            .execute(pool)
            .await?;
            sqlx::query(&format!(
                "INSERT INTO request_events (request_id, at, kind)
                 SELECT id, created_at, 'approval_requested' FROM requests WHERE action_hash = 'bench' AND id % 10 = 0
                 UNION ALL
                 SELECT id, {a}, 'approved' FROM requests WHERE action_hash = 'bench' AND id % 10 = 0 AND status <> 'pending_approval'",
                a = ts("unixepoch(created_at) + id % 7200")
            ))
            .execute(pool)
            .await?;
            sqlx::query("ANALYZE").execute(pool).await?;
        }
    }
    Ok(todo)
}

/// The seeded people and their team: (user id, team).
pub async fn people(db: &Db) -> Result<Vec<(i64, String)>, DbError> {
    Ok(on_pool!(db, pool => sqlx::query_as::<_, (i64, String)>(
        "SELECT u.id, m.team FROM users u JOIN team_memberships m ON m.user_id = u.id WHERE u.issuer = 'runway:bench' ORDER BY u.id"
    ).fetch_all(pool).await)?)
}

/// Refreshes the planner's statistics (after seeding, or after new indexes).
pub async fn analyze(db: &Db) -> Result<(), DbError> {
    match db {
        // VACUUM sets the visibility map that index-only scans need, as autovacuum would soon after
        // a bulk load on a live server.
        Db::Postgres(pool) => sqlx::query("VACUUM ANALYZE")
            .execute(pool)
            .await
            .map(|_| ())?,
        Db::Sqlite(pool) => sqlx::query("ANALYZE").execute(pool).await.map(|_| ())?,
    }
    Ok(())
}
