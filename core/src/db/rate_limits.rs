//! SQL for the API's rate limits: a GCRA bucket per token and per person, kept in the database so
//! that every `serve` process behind a load balancer takes from the same budget.
//!
//! A budget of `n` calls a minute is a burst of `n`, refilled evenly: each call moves the bucket's
//! theoretical arrival time (TAT) one emission interval `T = 60 s / n` later than
//! `max(TAT, now)`, and a call is allowed when that is at most one minute ahead of now. One
//! statement checks and moves each bucket (a conditional upsert), so concurrent calls on any
//! process cannot both take the last unit.

use super::{Db, DbError};
use crate::on_pool;

const MINUTE_US: i64 = 60_000_000;

/// Takes one call from each of `buckets` (a name and its budget in calls a minute), all or none,
/// in one transaction. `Ok(None)` when the call is allowed; `Ok(Some(wait))` with the microseconds
/// until the first refusing bucket has room, when one is used up (then nothing is taken from any).
///
/// The transaction is one commit per call. On Postgres it does not wait for its WAL to reach the
/// disk (`synchronous_commit = off` for this transaction only): a crash may forget the last
/// fraction of a second of counting, which at worst allows a few calls more, never fewer.
#[tracing::instrument(skip_all)]
pub async fn take(db: &Db, buckets: &[(&str, u32)], now_us: i64) -> Result<Option<i64>, DbError> {
    let postgres = db.backend() == super::Backend::Postgres;
    Ok(on_pool!(db, pool => {
        let mut tx = pool.begin_with(db.begin_write()).await?;
        if postgres {
            sqlx::query("SET LOCAL synchronous_commit = off").execute(&mut *tx).await?;
        }
        let mut refused = None;
        for &(bucket, per_minute) in buckets {
            let interval = (MINUTE_US / i64::from(per_minute.max(1))).max(1);
            let taken: Option<i64> = sqlx::query_scalar(
                "INSERT INTO api_rate_limits (bucket, tat_us) VALUES ($1, $2 + $3)
                 ON CONFLICT (bucket) DO UPDATE
                   SET tat_us = CASE WHEN api_rate_limits.tat_us > $2 THEN api_rate_limits.tat_us ELSE $2 END + $3
                   WHERE CASE WHEN api_rate_limits.tat_us > $2 THEN api_rate_limits.tat_us ELSE $2 END + $3 - $2 <= $4
                 RETURNING tat_us",
            )
            .bind(bucket).bind(now_us).bind(interval).bind(MINUTE_US)
            .fetch_optional(&mut *tx).await?;
            if taken.is_none() {
                let tat: Option<i64> =
                    sqlx::query_scalar("SELECT tat_us FROM api_rate_limits WHERE bucket = $1")
                        .bind(bucket).fetch_optional(&mut *tx).await?;
                // The next call fits once the bucket's time, plus one interval, is a minute
                // ahead of now.
                refused = Some(tat.map_or(0, |tat| tat + interval - MINUTE_US - now_us).max(1));
                break;
            }
        }
        if refused.is_some() {
            tx.rollback().await?;
        } else {
            tx.commit().await?;
        }
        Ok::<_, sqlx::Error>(refused)
    })?)
}

/// Deletes the buckets that are full again (housekeeping): a bucket without a row is full.
#[tracing::instrument(skip_all)]
pub async fn forget_full(db: &Db, now_us: i64) -> Result<u64, DbError> {
    Ok(
        on_pool!(db, pool => sqlx::query("DELETE FROM api_rate_limits WHERE tat_us < $1")
        .bind(now_us).execute(pool).await.map(|r| r.rows_affected()))?,
    )
}
