//! SQL for the API's rate limits: a GCRA bucket per token and per person, kept in the database so
//! that every `serve` process behind a load balancer takes from the same budget.
//!
//! A budget of `n` calls a minute is a burst of `n`, refilled evenly: each call moves the bucket's
//! theoretical arrival time (TAT) one emission interval `T = 60 s / n` later than
//! `max(TAT, now)`, and a call is allowed when that is at most one minute ahead of now. A call
//! locks its buckets' rows before it moves any ([`take`]), so concurrent calls on any process
//! cannot both take the last unit.

use super::{Backend, Db, DbError};
use crate::on_pool;

const MINUTE_US: i64 = 60_000_000;

/// One call against a bucket whose time is `tat` (`None`: a full bucket) and whose budget is
/// `per_minute`: `Ok(the bucket's new time)` when it has room, `Err(microseconds until it has)`.
/// The same arithmetic as [`take`]'s SQL, for buckets kept in memory.
pub fn step(tat: Option<i64>, per_minute: u32, now_us: i64) -> Result<i64, i64> {
    let interval = emission_interval(per_minute);
    let next = tat.map_or(now_us, |t| t.max(now_us)) + interval;
    if next - now_us <= MINUTE_US {
        Ok(next)
    } else {
        Err((next - MINUTE_US - now_us).max(1))
    }
}

fn emission_interval(per_minute: u32) -> i64 {
    (MINUTE_US / i64::from(per_minute.max(1))).max(1)
}

/// Whether the buckets of a database on `backend` are kept in it. On PostgreSQL they are, so that
/// replicas share them; SQLite serves from one process, which keeps them in memory (a durable
/// write per call cost the API ten times its throughput there: docs/benchmarks.md).
pub fn kept_in_database(backend: Backend) -> bool {
    backend == Backend::Postgres
}

/// Takes one call from each of `buckets` (a name and its budget in calls a minute), all or none.
/// `Ok(None)` when the call is allowed; `Ok(Some(wait))` with the microseconds until the first
/// refusing bucket has room, when one is used up (then nothing is taken from any).
///
/// On PostgreSQL this is one round trip: the function `runway_take_api_rate_limits` (migration
/// 0019) locks every bucket's row in the order given, then moves them all or none, in a commit
/// that does not wait for its WAL to reach the disk. A crash may forget the last fraction of a
/// second of counting, which at worst allows a few calls more, never fewer. On SQLite, whose
/// writers take turns, the same steps run as statements in one write transaction.
#[tracing::instrument(skip_all)]
pub async fn take(db: &Db, buckets: &[(&str, u32)], now_us: i64) -> Result<Option<i64>, DbError> {
    match db {
        Db::Postgres(pool) => {
            let names: Vec<&str> = buckets.iter().map(|&(b, _)| b).collect();
            let intervals: Vec<i64> = buckets.iter().map(|&(_, n)| emission_interval(n)).collect();
            Ok(sqlx::query_scalar::<_, Option<i64>>(
                "SELECT runway_take_api_rate_limits($1, $2, $3)",
            )
            .bind(&names)
            .bind(&intervals)
            .bind(now_us)
            .fetch_one(pool)
            .await?)
        }
        Db::Sqlite(pool) => {
            let mut tx = pool.begin_with(db.begin_write()).await?;
            let mut next = Vec::with_capacity(buckets.len());
            for &(bucket, per_minute) in buckets {
                let tat: Option<i64> =
                    sqlx::query_scalar("SELECT tat_us FROM api_rate_limits WHERE bucket = $1")
                        .bind(bucket)
                        .fetch_optional(&mut *tx)
                        .await?;
                match step(tat, per_minute, now_us) {
                    Ok(t) => next.push((bucket, t)),
                    Err(wait) => return Ok(Some(wait)),
                }
            }
            for (bucket, tat) in next {
                sqlx::query(
                    "INSERT INTO api_rate_limits (bucket, tat_us) VALUES ($1, $2)
                     ON CONFLICT (bucket) DO UPDATE SET tat_us = excluded.tat_us",
                )
                .bind(bucket)
                .bind(tat)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(None)
        }
    }
}

/// Deletes the buckets that are full again (housekeeping): a bucket without a row is full.
#[tracing::instrument(skip_all)]
pub async fn forget_full(db: &Db, now_us: i64) -> Result<u64, DbError> {
    Ok(
        on_pool!(db, pool => sqlx::query("DELETE FROM api_rate_limits WHERE tat_us < $1")
        .bind(now_us).execute(pool).await.map(|r| r.rows_affected()))?,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_budget_is_a_burst_refilled_evenly() {
        // 4 a minute: four calls at once, then one every 15 seconds.
        let mut tat = None;
        for _ in 0..4 {
            tat = Some(step(tat, 4, 0).unwrap());
        }
        assert_eq!(step(tat, 4, 0), Err(15_000_000));
        assert_eq!(step(tat, 4, 14_000_000), Err(1_000_000));
        let t = step(tat, 4, 15_000_000).unwrap();
        assert_eq!(step(Some(t), 4, 15_000_000), Err(15_000_000));
        // A bucket left alone long enough is full again, and no fuller.
        assert_eq!(
            step(Some(t), 4, 10 * MINUTE_US),
            Ok(10 * MINUTE_US + 15_000_000)
        );
    }
}
