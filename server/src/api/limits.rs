//! Rate limits of the API: each token, and each person across all their tokens, may make so many
//! calls a minute (a burst of that many, refilled evenly: GCRA). A service token counts against the
//! person who made it, so more service tokens do not multiply anyone's budget. Over the limit a
//! call gets 429 with `Retry-After`. On PostgreSQL the buckets live in the database
//! (`runway_core::db::rate_limits`), so replicas behind a load balancer share one budget; on SQLite,
//! which serves from one process only, in that process's memory (a database write per call cost
//! seven times the API's throughput there: docs/benchmarks.md).

use super::problem::{self, Problem};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use axum::Extension;
use runway_core::config::ApiSettings;
use runway_core::db::{api_streams, rate_limits, Db};
use runway_core::tokens::Principal;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

/// Memory buckets kept before the full ones are swept.
const SWEEP_ABOVE: usize = 10_000;

#[derive(Clone)]
pub struct Limits {
    store: Store,
    per_token: u32,
    per_person: u32,
}

#[derive(Clone)]
enum Store {
    /// Shared by every replica (PostgreSQL).
    Database(Db),
    /// This process's own (SQLite: one `serve` process): each bucket's time.
    Memory(Arc<Mutex<HashMap<String, i64>>>),
}

impl Limits {
    pub fn new(db: Db, settings: &ApiSettings) -> Self {
        let store = if rate_limits::kept_in_database(db.backend()) {
            Store::Database(db)
        } else {
            Store::Memory(Arc::default())
        };
        Self {
            store,
            per_token: settings.rate_per_minute,
            per_person: settings.rate_per_person_per_minute,
        }
    }

    /// `Ok(Err(seconds to wait))` when either budget is used up; a refused call takes from neither.
    async fn check(
        &self,
        token: i64,
        person: i64,
    ) -> Result<Result<(), u64>, runway_core::db::DbError> {
        let (token, person) = (format!("token:{token}"), format!("person:{person}"));
        let buckets = [
            (token.as_str(), self.per_token),
            (person.as_str(), self.per_person),
        ];
        let now = now_us();
        let refused = match &self.store {
            Store::Database(db) => rate_limits::take(db, &buckets, now).await?,
            Store::Memory(times) => take_in_memory(times, &buckets, now),
        };
        Ok(match refused {
            None => Ok(()),
            Some(wait_us) => Err(u64::try_from(wait_us).unwrap_or(1).div_ceil(1_000_000)),
        })
    }
}

/// [`rate_limits::take`] for buckets in memory: all or none.
fn take_in_memory(
    times: &Mutex<HashMap<String, i64>>,
    buckets: &[(&str, u32)],
    now: i64,
) -> Option<i64> {
    let mut times = times.lock().unwrap_or_else(PoisonError::into_inner);
    let mut next = Vec::with_capacity(buckets.len());
    for &(bucket, per_minute) in buckets {
        match rate_limits::step(times.get(bucket).copied(), per_minute, now) {
            Ok(t) => next.push((bucket, t)),
            Err(wait) => return Some(wait),
        }
    }
    for (bucket, t) in next {
        times.insert(bucket.to_string(), t);
    }
    if times.len() > SWEEP_ABOVE {
        times.retain(|_, t| *t >= now);
    }
    None
}

fn now_us() -> i64 {
    chrono::Utc::now().timestamp_micros()
}

/// Housekeeping: forgets the database's buckets that are full again (none where the buckets are
/// kept in memory).
pub async fn forget_full(db: &Db) -> Result<u64, runway_core::db::DbError> {
    if rate_limits::kept_in_database(db.backend()) {
        rate_limits::forget_full(db, now_us()).await
    } else {
        Ok(0)
    }
}

/// The middleware: after authentication, before the handler.
pub async fn limit(
    State(limits): State<Limits>,
    Extension(p): Extension<Principal>,
    req: Request,
    next: Next,
) -> Result<Response, Problem> {
    // A service token's calls count against the person who made it: a service account per token
    // name would otherwise give its maker a fresh budget with every token.
    let person = p.accountable.unwrap_or(p.user.id);
    let checked = limits
        .check(p.token_id, person)
        .await
        .map_err(|e| problem::internal("cannot read the API rate limits", e))?;
    if let Err(wait) = checked {
        tracing::info!(
            token.id = p.token_id,
            wait_secs = wait,
            "API rate limit reached"
        );
        return Err(problem::too_many(
            wait,
            "This token (or its owner) made too many calls in the last minute; wait and try again.",
        ));
    }
    Ok(next.run(req).await)
}

/// Event streams open per token, at most [`STREAMS_PER_TOKEN`] at once across every `serve`
/// process: each polls the database while it lasts, and the rate limit counts only the call that
/// opens it. Each open stream is a row in the database (`runway_core::db::api_streams`) with a lease
/// that its stream renews; this process closes its own when it shuts down.
pub struct Streams {
    db: Db,
    /// This process, as its streams' rows name it.
    instance: String,
    /// The closes of ended streams still under way, waited for at shutdown.
    closing: tokio_util::task::TaskTracker,
}

/// Streams one token may hold open at once.
pub const STREAMS_PER_TOKEN: i64 = 10;

/// How long an open stream's place is held without a renewal: three of its half-minute checks,
/// so only a process that died leaves a place taken, and not for long.
pub const STREAM_LEASE: std::time::Duration = std::time::Duration::from_secs(90);

/// One open stream; its place is given back when it is dropped (the stream ended or the client
/// left).
pub struct StreamSlot {
    streams: Arc<Streams>,
    id: i64,
    token: i64,
}

impl Streams {
    pub fn new(db: Db) -> Self {
        Self {
            db,
            instance: format!(
                "serve-{}-{}",
                std::process::id(),
                uuid::Uuid::new_v4().simple()
            ),
            closing: tokio_util::task::TaskTracker::new(),
        }
    }

    /// A place for one more stream of `token`, or `None` when it holds the most already.
    pub async fn acquire(
        self: &Arc<Self>,
        token: i64,
    ) -> Result<Option<StreamSlot>, runway_core::db::DbError> {
        let now = now_us();
        let id = api_streams::open(
            &self.db,
            token,
            &self.instance,
            STREAMS_PER_TOKEN,
            now,
            now + lease_us(),
        )
        .await?;
        Ok(id.map(|id| StreamSlot {
            streams: self.clone(),
            id,
            token,
        }))
    }

    /// Shutdown: waits for the closes under way, then closes every stream this process still
    /// holds, so its places are free for the next process at once.
    pub async fn close_all(&self) {
        self.closing.close();
        self.closing.wait().await;
        if let Err(e) = api_streams::close_instance(&self.db, &self.instance).await {
            tracing::warn!(error = %e, "could not give back this process's event streams; their leases run out instead");
        }
    }
}

impl StreamSlot {
    /// Holds the place for another [`STREAM_LEASE`]: `true` while the stream may go on.
    ///
    /// `false` when the stream must end: its renewals failed for a whole lease and the token's
    /// other streams have taken every place since, or the database cannot be reached now (its
    /// place cannot be vouched for, and the stream could not read its events either). The client
    /// reconnects with `Last-Event-ID` and is counted again, so the limit holds across replicas
    /// even while the database is away, and nothing is lost.
    pub async fn renew(&self) -> bool {
        let now = now_us();
        let s = &self.streams;
        match api_streams::renew(
            &s.db,
            self.id,
            self.token,
            &s.instance,
            STREAMS_PER_TOKEN,
            now,
            now + lease_us(),
        )
        .await
        {
            Ok(kept) => kept,
            Err(e) => {
                tracing::warn!(error = %e, "could not renew an event stream's lease; the stream ends");
                false
            }
        }
    }
}

fn lease_us() -> i64 {
    i64::try_from(STREAM_LEASE.as_micros()).unwrap_or(i64::MAX / 2)
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let (db, id) = (self.streams.db.clone(), self.id);
        // Outside a runtime (never while serving) the lease runs out instead.
        if tokio::runtime::Handle::try_current().is_ok() {
            self.streams.closing.spawn(async move {
                if let Err(e) = api_streams::close(&db, id).await {
                    tracing::warn!(error = %e, "could not give back an event stream's place; its lease runs out instead");
                }
            });
        }
    }
}

/// Housekeeping: forgets the streams whose lease ran out.
pub async fn forget_expired_streams(db: &Db) -> Result<u64, runway_core::db::DbError> {
    api_streams::forget_expired(db, now_us()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_buckets_take_from_all_or_none() {
        let times = Mutex::new(HashMap::new());
        // The token has room for 100 a minute, its person for 2.
        let buckets = [("token:1", 100), ("person:7", 2)];
        assert_eq!(take_in_memory(&times, &buckets, 0), None);
        assert_eq!(take_in_memory(&times, &buckets, 0), None);
        let before = times.lock().unwrap().clone();
        // The person's budget is used up: refused, and the token's bucket did not move.
        assert_eq!(take_in_memory(&times, &buckets, 0), Some(30_000_000));
        assert_eq!(*times.lock().unwrap(), before);
        // Another person's token is not affected.
        assert_eq!(
            take_in_memory(&times, &[("token:2", 100), ("person:8", 2)], 0),
            None
        );
    }
}
