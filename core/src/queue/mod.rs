//! The durable job queue and its workers.
//!
//! Contract (tested on both backends): at-least-once delivery; a job is written in the same
//! transaction as its request; no job is claimed by two live workers; claims carry a lease that a
//! heartbeat extends and a fencing token that every later write names; expired leases are rescued;
//! failed attempts retry with exponential backoff and jitter; cancelling removes a queued job at once
//! and stops a running one; on shutdown a worker finishes what it can within a grace period and
//! releases the rest.
//!
//! - [`Queue`]: enqueue, submit (request + job), cancel, and the in-process wake-up.
//! - [`worker`]: the worker runtime used by `runway serve` and `runway worker`.
//! - [`handler`]: what runs a job, by kind.
//! - [`backoff`]: retry delays.

pub mod backoff;
pub mod handler;
pub mod worker;

use crate::db::jobs::{self as sql, Cancelled, NewJob, NewRequest, Submitted};
use crate::db::{Db, DbError};
use std::sync::Arc;
use tokio::sync::Notify;

/// Milliseconds since the Unix epoch: the queue's clock.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// A handle on the queue. Cheap to clone; clones share the in-process wake-up, so a worker in the
/// same process starts a job the moment it is committed (Postgres workers elsewhere are woken by
/// `LISTEN/NOTIFY`, and every worker also polls as a backstop).
#[derive(Clone)]
pub struct Queue {
    db: Db,
    wake: Arc<Notify>,
}

impl Queue {
    pub fn new(db: Db) -> Self {
        Self {
            db,
            wake: Arc::new(Notify::new()),
        }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Wakes waiting in-process workers.
    pub fn wake(&self) {
        self.wake.notify_waiters();
    }

    pub(crate) fn wake_handle(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// Enqueues jobs without request rows, in one transaction.
    pub async fn enqueue(&self, jobs: &[NewJob]) -> Result<Vec<i64>, DbError> {
        let ids = sql::enqueue(&self.db, jobs, now_ms()).await?;
        self.wake();
        Ok(ids)
    }

    /// Records a request and its job in one transaction (or returns the active request with the same
    /// idempotency key).
    pub async fn submit(&self, request: &NewRequest) -> Result<Submitted, DbError> {
        let submitted = sql::submit(&self.db, request, now_ms()).await?;
        if submitted.created {
            self.wake();
        }
        Ok(submitted)
    }

    /// [`Queue::submit`], with the job's payload made from the new request's id in the same
    /// transaction (secrets sealed for that request: [`sql::PayloadFor`]).
    pub async fn submit_with_payload(
        &self,
        request: &NewRequest,
        payload_for: sql::PayloadFor<'_>,
    ) -> Result<Submitted, DbError> {
        let submitted =
            sql::submit_with_payload(&self.db, request, now_ms(), Some(payload_for)).await?;
        if submitted.created {
            self.wake();
        }
        Ok(submitted)
    }

    /// Cancels a request: removes its queued job at once, or asks its worker to stop it.
    pub async fn cancel(
        &self,
        request_id: i64,
        actor_id: Option<i64>,
    ) -> Result<Cancelled, DbError> {
        sql::cancel(&self.db, request_id, actor_id).await
    }
}
