//! SQL for server-side sessions.

use super::{Db, DbError};
use crate::on_pool;
use chrono::{DateTime, Utc};

/// Inserts a new session; `false` if the id is taken (the caller picks another).
#[tracing::instrument(skip_all)]
pub async fn insert(db: &Db, id: &str, data: &str, expiry: DateTime<Utc>) -> Result<bool, DbError> {
    let done = on_pool!(db, pool => sqlx::query(
        "INSERT INTO sessions (id, data, expiry_date) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING"
    ).bind(id).bind(data).bind(expiry).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

#[tracing::instrument(skip_all)]
pub async fn upsert(db: &Db, id: &str, data: &str, expiry: DateTime<Utc>) -> Result<(), DbError> {
    let _written = on_pool!(db, pool => sqlx::query(
        "INSERT INTO sessions (id, data, expiry_date) VALUES ($1, $2, $3)
         ON CONFLICT (id) DO UPDATE SET data = excluded.data, expiry_date = excluded.expiry_date"
    ).bind(id).bind(data).bind(expiry).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// The data of an unexpired session.
#[tracing::instrument(skip_all)]
pub async fn load(
    db: &Db,
    id: &str,
    now: DateTime<Utc>,
) -> Result<Option<(String, DateTime<Utc>)>, DbError> {
    let row = on_pool!(db, pool => sqlx::query_as::<_, (String, DateTime<Utc>)>(
        "SELECT data, expiry_date FROM sessions WHERE id = $1 AND expiry_date > $2"
    ).bind(id).bind(now).fetch_optional(pool).await)?;
    Ok(row)
}

#[tracing::instrument(skip_all)]
pub async fn delete(db: &Db, id: &str) -> Result<(), DbError> {
    let _deleted = on_pool!(db, pool => sqlx::query("DELETE FROM sessions WHERE id = $1").bind(id).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Removes expired sessions; returns how many.
#[tracing::instrument(skip_all)]
pub async fn delete_expired(db: &Db, now: DateTime<Utc>) -> Result<u64, DbError> {
    let done = on_pool!(db, pool => sqlx::query("DELETE FROM sessions WHERE expiry_date <= $1").bind(now).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(done)
}

/// How many sessions exist (for tests and operators).
#[tracing::instrument(skip_all)]
pub async fn count(db: &Db) -> Result<i64, DbError> {
    let n = on_pool!(db, pool => sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM sessions").fetch_one(pool).await)?;
    Ok(n)
}
