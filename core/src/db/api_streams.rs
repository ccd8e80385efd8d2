//! The API's open event streams, counted in the database so that a token's limit on them holds
//! across every `serve` process behind a load balancer (`server::api::limits::Streams`).
//!
//! Each open stream holds a row, a lease: renewed while the stream lasts, deleted when it ends,
//! and all of a process's deleted when it shuts down. A row whose process died stops counting
//! when its lease runs out; housekeeping deletes it later.

use super::{Backend, Db, DbError};
use crate::on_pool;

/// Opens a stream for `token`, unless it already holds `max` streams whose leases run past
/// `now_us`: `Ok(Some(the stream's id))`, or `Ok(None)` when it holds the most it may.
///
/// Opens for the same token queue on the token's row (PostgreSQL) or on SQLite's one writer, so
/// two processes cannot both hand out the last place.
#[tracing::instrument(skip_all)]
pub async fn open(
    db: &Db,
    token_id: i64,
    instance: &str,
    max: i64,
    now_us: i64,
    lease_until_us: i64,
) -> Result<Option<i64>, DbError> {
    let postgres = db.backend() == Backend::Postgres;
    Ok(on_pool!(db, pool => {
        let mut tx = pool.begin_with(db.begin_write()).await?;
        if postgres {
            sqlx::query("SELECT id FROM api_tokens WHERE id = $1 FOR UPDATE")
                .bind(token_id).execute(&mut *tx).await?;
        }
        let open: i64 = sqlx::query_scalar(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM api_streams WHERE token_id = $1 AND expires_us > $2",
        )
        .bind(token_id).bind(now_us).fetch_one(&mut *tx).await?;
        if open >= max {
            tx.rollback().await?;
            return Ok(None);
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO api_streams (token_id, instance, expires_us) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(token_id).bind(instance).bind(lease_until_us).fetch_one(&mut *tx).await?;
        tx.commit().await?;
        Ok::<_, sqlx::Error>(Some(id))
    })?)
}

/// The streams open now, on every process (metrics).
#[tracing::instrument(skip_all)]
pub async fn open_count(db: &Db, now_us: i64) -> Result<i64, DbError> {
    Ok(on_pool!(db, pool => sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM api_streams WHERE expires_us > $1",
    )
    .bind(now_us).fetch_one(pool).await)?)
}

/// Moves an open stream's lease to `until_us` while it still holds its place: `Ok(true)`.
///
/// A stream whose lease ran out before `now_us` (its renewals failed for a whole lease, and other
/// streams of the token may have been opened in its place since) takes a place again only if one
/// is free, as [`open`] would give it: `Ok(false)` when the token holds `max` other live streams;
/// the stream must then end, and its row is gone.
#[tracing::instrument(skip_all)]
pub async fn renew(
    db: &Db,
    id: i64,
    token_id: i64,
    instance: &str,
    max: i64,
    now_us: i64,
    until_us: i64,
) -> Result<bool, DbError> {
    let postgres = db.backend() == Backend::Postgres;
    Ok(on_pool!(db, pool => {
        // The usual case, a live lease: one statement, no lock on the token.
        let moved = sqlx::query(
            "UPDATE api_streams SET expires_us = $1 WHERE id = $2 AND expires_us > $3",
        )
        .bind(until_us).bind(id).bind(now_us).execute(pool).await?.rows_affected();
        if moved == 1 {
            return Ok(true);
        }
        let mut tx = pool.begin_with(db.begin_write()).await?;
        if postgres {
            sqlx::query("SELECT id FROM api_tokens WHERE id = $1 FOR UPDATE")
                .bind(token_id).execute(&mut *tx).await?;
        }
        let others: i64 = sqlx::query_scalar(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM api_streams
             WHERE token_id = $1 AND expires_us > $2 AND id <> $3",
        )
        .bind(token_id).bind(now_us).bind(id).fetch_one(&mut *tx).await?;
        let kept = others < max;
        if kept {
            sqlx::query(
                "INSERT INTO api_streams (id, token_id, instance, expires_us) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (id) DO UPDATE SET expires_us = excluded.expires_us",
            )
            .bind(id).bind(token_id).bind(instance).bind(until_us).execute(&mut *tx).await?;
        } else {
            sqlx::query("DELETE FROM api_streams WHERE id = $1").bind(id).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok::<_, sqlx::Error>(kept)
    })?)
}

/// The stream ended: its place is free.
#[tracing::instrument(skip_all)]
pub async fn close(db: &Db, id: i64) -> Result<(), DbError> {
    on_pool!(db, pool => sqlx::query("DELETE FROM api_streams WHERE id = $1")
        .bind(id).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// The process `instance` shuts down: every stream it held is closed.
#[tracing::instrument(skip_all)]
pub async fn close_instance(db: &Db, instance: &str) -> Result<u64, DbError> {
    Ok(
        on_pool!(db, pool => sqlx::query("DELETE FROM api_streams WHERE instance = $1")
        .bind(instance).execute(pool).await.map(|r| r.rows_affected()))?,
    )
}

/// Housekeeping: deletes the streams whose lease ran out (their process died without closing them).
#[tracing::instrument(skip_all)]
pub async fn forget_expired(db: &Db, now_us: i64) -> Result<u64, DbError> {
    Ok(
        on_pool!(db, pool => sqlx::query("DELETE FROM api_streams WHERE expires_us <= $1")
        .bind(now_us).execute(pool).await.map(|r| r.rows_affected()))?,
    )
}
