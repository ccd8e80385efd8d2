//! Rate limits of the API: each token, and each person across all their tokens, may make so many
//! calls a minute (a burst of that many, refilled evenly: GCRA, from `governor`). A service token
//! counts against the person who made it, so more service tokens do not multiply anyone's budget.
//! Over the limit a call gets 429 with `Retry-After`. The counts live in each `serve` process: with N replicas
//! behind a load balancer a client can reach up to N times the limit.

use super::problem::{self, Problem};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use axum::Extension;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use runway_core::config::ApiSettings;
use runway_core::tokens::Principal;
use std::num::NonZeroU32;
use std::sync::Arc;

/// Keys kept before forgotten ones are swept (a key is forgotten once its bucket is full again).
const SWEEP_ABOVE: usize = 10_000;

#[derive(Clone)]
pub struct Limits {
    per_token: Arc<DefaultKeyedRateLimiter<i64>>,
    per_person: Arc<DefaultKeyedRateLimiter<i64>>,
}

fn per_minute(n: u32) -> Quota {
    Quota::per_minute(NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN))
}

impl Limits {
    pub fn new(settings: &ApiSettings) -> Self {
        Self {
            per_token: Arc::new(RateLimiter::keyed(per_minute(settings.rate_per_minute))),
            per_person: Arc::new(RateLimiter::keyed(per_minute(
                settings.rate_per_person_per_minute,
            ))),
        }
    }

    /// `Err(seconds to wait)` when either limit is used up.
    fn check(&self, token: i64, person: i64) -> Result<(), u64> {
        let now = DefaultClock::default().now();
        for (limiter, key) in [(&self.per_token, token), (&self.per_person, person)] {
            if let Err(not_until) = limiter.check_key(&key) {
                return Err(not_until.wait_time_from(now).as_secs_f64().ceil() as u64);
            }
            if limiter.len() > SWEEP_ABOVE {
                limiter.retain_recent();
            }
        }
        Ok(())
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
    if let Err(wait) = limits.check(p.token_id, person) {
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

/// Event streams open per token, at most [`STREAMS_PER_TOKEN`] at once: each polls the database
/// while it lasts, and the rate limit counts only the call that opens it.
#[derive(Default)]
pub struct Streams {
    open: std::sync::Mutex<std::collections::HashMap<i64, usize>>,
}

/// Streams one token may hold open at once.
pub const STREAMS_PER_TOKEN: usize = 10;

/// One open stream; the count drops when it is dropped (the stream ended or the client left).
pub struct StreamSlot {
    streams: Arc<Streams>,
    token: i64,
}

impl Streams {
    /// A slot for one more stream of `token`, or `None` when it holds the most already.
    pub fn acquire(self: &Arc<Self>, token: i64) -> Option<StreamSlot> {
        let mut open = self
            .open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let n = open.entry(token).or_insert(0);
        if *n >= STREAMS_PER_TOKEN {
            return None;
        }
        *n += 1;
        Some(StreamSlot {
            streams: self.clone(),
            token,
        })
    }
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut open = self
            .streams
            .open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(n) = open.get_mut(&self.token) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.remove(&self.token);
            }
        }
    }
}
