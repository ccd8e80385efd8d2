//! SQL for server-side sessions. Rows are keyed by `id_hash`, the SHA-256 of the session id
//! ([`crate::auth::session_store`] hashes it): the id itself, which the cookie carries, is never stored.

use super::{Db, DbError};
use crate::on_pool;
use chrono::{DateTime, Utc};

/// Inserts a new session; `false` if the id is taken (the caller picks another).
#[tracing::instrument(skip_all)]
pub async fn insert(
    db: &Db,
    id_hash: &str,
    data: &str,
    expiry: DateTime<Utc>,
) -> Result<bool, DbError> {
    let done = on_pool!(db, pool => sqlx::query(
        "INSERT INTO sessions (id_hash, data, expiry_date) VALUES ($1, $2, $3) ON CONFLICT (id_hash) DO NOTHING"
    ).bind(id_hash).bind(data).bind(expiry).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

#[tracing::instrument(skip_all)]
pub async fn upsert(
    db: &Db,
    id_hash: &str,
    data: &str,
    expiry: DateTime<Utc>,
) -> Result<(), DbError> {
    let _written = on_pool!(db, pool => sqlx::query(
        "INSERT INTO sessions (id_hash, data, expiry_date) VALUES ($1, $2, $3)
         ON CONFLICT (id_hash) DO UPDATE SET data = excluded.data, expiry_date = excluded.expiry_date"
    ).bind(id_hash).bind(data).bind(expiry).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// The data of an unexpired session.
#[tracing::instrument(skip_all)]
pub async fn load(
    db: &Db,
    id_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<(String, DateTime<Utc>)>, DbError> {
    let row = on_pool!(db, pool => sqlx::query_as::<_, (String, DateTime<Utc>)>(
        "SELECT data, expiry_date FROM sessions WHERE id_hash = $1 AND expiry_date > $2"
    ).bind(id_hash).bind(now).fetch_optional(pool).await)?;
    Ok(row)
}

#[tracing::instrument(skip_all)]
pub async fn delete(db: &Db, id_hash: &str) -> Result<(), DbError> {
    let _deleted = on_pool!(db, pool => sqlx::query("DELETE FROM sessions WHERE id_hash = $1").bind(id_hash).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Removes expired sessions; returns how many.
#[tracing::instrument(skip_all)]
pub async fn delete_expired(db: &Db, now: DateTime<Utc>) -> Result<u64, DbError> {
    let done = on_pool!(db, pool => sqlx::query("DELETE FROM sessions WHERE expiry_date <= $1").bind(now).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(done)
}

/// Every stored key (for tests and operators: they are hashes, not usable ids).
#[tracing::instrument(skip_all)]
pub async fn id_hashes(db: &Db) -> Result<Vec<String>, DbError> {
    let keys = on_pool!(db, pool => sqlx::query_scalar::<_, String>("SELECT id_hash FROM sessions ORDER BY id_hash").fetch_all(pool).await)?;
    Ok(keys)
}

/// The expiry of the session stored under `id_hash` (for tests: whether a request wrote it).
#[tracing::instrument(skip_all)]
pub async fn expiry(db: &Db, id_hash: &str) -> Result<Option<DateTime<Utc>>, DbError> {
    let at = on_pool!(db, pool => sqlx::query_scalar::<_, DateTime<Utc>>("SELECT expiry_date FROM sessions WHERE id_hash = $1").bind(id_hash).fetch_optional(pool).await)?;
    Ok(at)
}

/// How many sessions exist (for tests and operators).
#[tracing::instrument(skip_all)]
pub async fn count(db: &Db) -> Result<i64, DbError> {
    let n = on_pool!(db, pool => sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM sessions").fetch_one(pool).await)?;
    Ok(n)
}
