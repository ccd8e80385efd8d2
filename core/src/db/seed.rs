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
/// An ease rating (score 1..7) for every `every`-th finished bench request, rated when it finished.
pub async fn ratings(db: &Db, every: i64) -> Result<(), DbError> {
    on_pool!(db, pool => sqlx::query(
        "INSERT INTO request_ratings (request_id, action_id, score, comment, rated_at, updated_at)
         SELECT id, action_id, 1 + id % 7, '', finished_at, finished_at FROM requests
         WHERE action_hash = 'bench' AND finished_at IS NOT NULL AND id % $1 = 0
         ON CONFLICT (request_id) DO NOTHING")
        .bind(every).execute(pool).await.map(|_| ()))?;
    Ok(())
}

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

/// Seeds up to `n` audit events (none if there are already `n`) over the last year, oldest first so
/// ids grow with time as they do live: `people` bench people sign in and out (seven in ten events),
/// decide, cancel, retry and reveal on requests, and publish and reload the catalogue. Returns how
/// many events it added.
pub async fn audit(db: &Db, n: i64, people: i64) -> Result<i64, DbError> {
    let have: i64 = on_pool!(db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM audit_events").fetch_one(pool).await)?;
    if have >= n {
        return Ok(0);
    }
    let now = chrono::Utc::now();
    on_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        for i in 0..people {
            sqlx::query(
                "INSERT INTO users (issuer, subject, name, email, is_admin, created_at, last_login_at)
                 VALUES ('runway:bench-audit', $1, $2, NULL, FALSE, $3, $3)
                 ON CONFLICT (issuer, subject) DO NOTHING")
                .bind(format!("a{i}")).bind(format!("Auditee {i:05}")).bind(now)
                .execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok::<_, sqlx::Error>(())
    })?;
    let first_user: i64 = on_pool!(db, pool => sqlx::query_scalar("SELECT MIN(id) FROM users WHERE issuer = 'runway:bench-audit'").fetch_one(pool).await)?;
    let todo = n - have;
    // g runs 1..todo; g % 100 picks the kind, and the kind the object.
    let kind = "CASE WHEN g % 100 < 40 THEN 'sign_in' WHEN g % 100 < 70 THEN 'sign_out' \
                WHEN g % 100 < 82 THEN 'approval_decided' WHEN g % 100 < 90 THEN 'request_cancelled' \
                WHEN g % 100 < 95 THEN 'request_retried' WHEN g % 100 < 98 THEN 'secret_revealed' \
                WHEN g % 100 < 99 THEN 'catalog_publish' ELSE 'catalog_reload' END";
    let actor = format!("$1 + (g * 7919) % {people}");
    let object = format!(
        "CASE WHEN g % 100 < 70 THEN 'user:' || ({actor}) WHEN g % 100 < 98 THEN 'request:' || (g / 3) \
         WHEN g % 100 < 99 THEN 'action:act-' || (g % 300) ELSE 'catalog' END"
    );
    let name = match db {
        Db::Postgres(_) => format!("'Auditee ' || lpad(((g * 7919) % {people})::text, 5, '0')"),
        Db::Sqlite(_) => format!("'Auditee ' || substr('00000' || ((g * 7919) % {people}), -5, 5)"),
    };
    // One event every 31 seconds, the newest now (a million cover a year).
    match db {
        Db::Postgres(pool) => {
            sqlx::query(&format!(
                "INSERT INTO audit_events (at, actor_id, actor_name, via, kind, object, before_hash, after_hash, detail)
                 SELECT now() - ($2 - g) * interval '31 seconds', {actor}, {name}, NULL, {kind}, {object},
                        NULL, NULL, '{{\"bench\":' || g || '}}'
                 FROM generate_series(1, $2) AS g"
            ))
            .bind(first_user)
            .bind(todo)
            .execute(pool)
            .await?;
        }
        Db::Sqlite(pool) => {
            let base = now.timestamp();
            sqlx::query(&format!(
                "WITH RECURSIVE seq(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM seq WHERE g < $2)
                 INSERT INTO audit_events (at, actor_id, actor_name, via, kind, object, before_hash, after_hash, detail)
                 SELECT strftime('%Y-%m-%dT%H:%M:%S+00:00', {base} - ($2 - g) * 31, 'unixepoch'), {actor}, {name}, NULL,
                        {kind}, {object}, NULL, NULL, '{{\"bench\":' || g || '}}'
                 FROM seq"
            ))
            .bind(first_user)
            .bind(todo)
            .execute(pool)
            .await?;
        }
    }
    Ok(todo)
}

/// What the audit benchmark's queries refer to: (events, the oldest event's id, the first seeded
/// person's id).
pub async fn audit_extent(db: &Db) -> Result<(i64, i64, i64), DbError> {
    Ok(on_pool!(db, pool => sqlx::query_as::<_, (i64, i64, i64)>(
        "SELECT (SELECT COUNT(*) FROM audit_events), COALESCE((SELECT MIN(id) FROM audit_events), 0),
                COALESCE((SELECT MIN(id) FROM users WHERE issuer = 'runway:bench-audit'), 0)"
    ).fetch_one(pool).await)?)
}
