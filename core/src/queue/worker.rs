//! The worker runtime: claims jobs into free slots, runs them, heartbeats their leases, records
//! outcomes in batches, rescues expired leases, and shuts down gracefully.

use super::handler::{Handlers, JobContext};
use super::{backoff, now_ms, Queue};
use crate::db::jobs::{self as sql, Completion, Outcome};
use crate::db::Db;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::{mpsc, Semaphore};
use tokio_util::sync::CancellationToken;

/// How a worker behaves. Defaults suit production; tests shorten the times.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Jobs run at once by this worker.
    pub concurrency: usize,
    /// How long a claim is valid without a heartbeat.
    pub lease: Duration,
    /// How often leases are extended (and cancellations noticed).
    pub heartbeat: Duration,
    /// Backstop poll for jobs whose wake-up was missed, and for expired leases.
    pub poll_interval: Duration,
    /// On shutdown, how long running jobs may take to finish before they are released.
    pub grace: Duration,
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    /// At most this many outcomes are recorded per transaction.
    pub completion_batch: usize,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            concurrency: 8,
            lease: Duration::from_secs(30),
            heartbeat: Duration::from_secs(5),
            poll_interval: Duration::from_secs(1),
            grace: Duration::from_secs(30),
            backoff_base: Duration::from_secs(5),
            backoff_max: Duration::from_secs(600),
            completion_batch: 500,
        }
    }
}

/// Counters a worker keeps (for logs, tests and benchmarks).
#[derive(Debug, Default)]
pub struct WorkerStats {
    pub claimed: AtomicU64,
    pub succeeded: AtomicU64,
    pub retried: AtomicU64,
    pub failed: AtomicU64,
    pub cancelled: AtomicU64,
    pub rescued: AtomicU64,
    pub released: AtomicU64,
    /// Completions refused because the lease had moved on (fencing at work).
    pub fenced_out: AtomicU64,
}

/// A job this worker holds: its fencing token and the token that stops its handler.
struct Held {
    fence: i64,
    cancel: CancellationToken,
    /// Set when the cancellation came from a cancelled request (recorded as `cancelled`).
    cancelled_by_request: Arc<std::sync::atomic::AtomicBool>,
}

type HeldMap = Arc<Mutex<HashMap<i64, Held>>>;

pub struct Worker {
    pub id: String,
    queue: Queue,
    handlers: Handlers,
    config: WorkerConfig,
    pub stats: Arc<WorkerStats>,
}

impl Worker {
    pub fn new(queue: Queue, handlers: Handlers, config: WorkerConfig) -> Self {
        let id = format!("worker-{}-{}", std::process::id(), uuid_like());
        Self {
            id,
            queue,
            handlers,
            config,
            stats: Arc::new(WorkerStats::default()),
        }
    }

    /// Runs until `shutdown` is cancelled, then finishes within the grace period and releases the
    /// rest. Errors talking to the database are logged and retried; they never stop the worker.
    pub async fn run(self, shutdown: CancellationToken) {
        let db = self.queue.db().clone();
        let wake = self.queue.wake_handle();
        let held: HeldMap = Arc::new(Mutex::new(HashMap::new()));
        let slots = Arc::new(Semaphore::new(self.config.concurrency));
        // Signalled whenever a job finishes, so a full worker claims again at once.
        let slot_freed = Arc::new(tokio::sync::Notify::new());
        let (done_tx, done_rx) = mpsc::unbounded_channel::<Completion>();
        let internal = CancellationToken::new();

        let listener = spawn_listener(&db, wake.clone(), internal.clone());
        let heartbeat = tokio::spawn(heartbeat_loop(
            db.clone(),
            self.id.clone(),
            held.clone(),
            self.config.clone(),
            internal.clone(),
        ));
        let completer = tokio::spawn(completion_loop(
            db.clone(),
            done_rx,
            self.config.completion_batch,
            self.stats.clone(),
            wake.clone(),
        ));
        tracing::info!(worker = %self.id, concurrency = self.config.concurrency, "worker started");

        let mut last_rescue = tokio::time::Instant::now() - self.config.poll_interval;
        loop {
            if shutdown.is_cancelled() {
                break;
            }
            if last_rescue.elapsed() >= self.config.poll_interval {
                last_rescue = tokio::time::Instant::now();
                match sql::rescue_expired(&db, now_ms()).await {
                    Ok(rescued) if !rescued.is_empty() => {
                        self.stats
                            .rescued
                            .fetch_add(rescued.len() as u64, Ordering::Relaxed);
                        for (job, request) in &rescued {
                            tracing::warn!(job.id = job, request.id = ?request, "rescued a job whose lease expired");
                        }
                    }
                    Ok(_) => {}
                    Err(e) => tracing::error!(error = %e, "rescue failed"),
                }
            }
            // Register interest before claiming, so a wake-up between claim and wait is not lost.
            let notified = wake.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let freed = slot_freed.notified();
            tokio::pin!(freed);
            freed.as_mut().enable();

            let free = slots.available_permits();
            let mut claimed_all = false;
            if free > 0 {
                match sql::claim(
                    &db,
                    &self.id,
                    free as i64,
                    now_ms(),
                    self.config.lease.as_millis() as i64,
                )
                .await
                {
                    Ok(jobs) => {
                        claimed_all = jobs.len() == free;
                        for job in jobs {
                            let Ok(permit) = slots.clone().try_acquire_owned() else {
                                break;
                            };
                            self.stats.claimed.fetch_add(1, Ordering::Relaxed);
                            let cancel = CancellationToken::new();
                            let by_request = Arc::new(std::sync::atomic::AtomicBool::new(false));
                            held.lock().unwrap_or_else(PoisonError::into_inner).insert(
                                job.id,
                                Held {
                                    fence: job.fence,
                                    cancel: cancel.clone(),
                                    cancelled_by_request: by_request.clone(),
                                },
                            );
                            let ctx = JobContext {
                                job,
                                worker_id: self.id.clone(),
                                db: db.clone(),
                                cancel,
                            };
                            let handlers = self.handlers.clone();
                            let config = self.config.clone();
                            let held = held.clone();
                            let done_tx = done_tx.clone();
                            let slot_freed = slot_freed.clone();
                            tokio::spawn(async move {
                                let completion =
                                    run_one(ctx, &handlers, &config, &by_request).await;
                                held.lock()
                                    .unwrap_or_else(PoisonError::into_inner)
                                    .remove(&completion.id);
                                let _ = done_tx.send(completion);
                                drop(permit);
                                slot_freed.notify_waiters();
                            });
                        }
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "claim failed; retrying after the poll interval");
                    }
                }
            }
            if claimed_all {
                continue; // there may be more work: claim again at once
            }
            tokio::select! {
                () = &mut notified => {}
                () = tokio::time::sleep(self.config.poll_interval) => {}
                () = shutdown.cancelled() => {}
                // A slot freed up while jobs may be waiting.
                () = &mut freed => {}
            }
        }

        // Graceful shutdown: no more claims; let running jobs finish within the grace period.
        tracing::info!(worker = %self.id, "worker stopping: finishing running jobs");
        let all = self.config.concurrency as u32;
        let finished = tokio::time::timeout(self.config.grace, slots.acquire_many(all)).await;
        if finished.is_err() {
            let leftovers: Vec<(i64, i64)> = {
                let map = held.lock().unwrap_or_else(PoisonError::into_inner);
                map.iter().map(|(id, h)| (*id, h.fence)).collect()
            };
            // Release first (fenced), then stop the handlers: their late completions are fenced out.
            match sql::release(&db, &self.id, &leftovers, now_ms()).await {
                Ok(n) => {
                    self.stats.released.fetch_add(n, Ordering::Relaxed);
                    tracing::warn!(worker = %self.id, released = n, "grace period over: released unfinished jobs");
                }
                Err(e) => {
                    tracing::error!(error = %e, "cannot release jobs; their leases will expire and they will be rescued")
                }
            }
            for h in held.lock().unwrap_or_else(PoisonError::into_inner).values() {
                h.cancel.cancel();
            }
        }
        drop(done_tx);
        let _ = completer.await;
        internal.cancel();
        let _ = heartbeat.await;
        if let Some(l) = listener {
            let _ = l.await;
        }
        tracing::info!(worker = %self.id, "worker stopped");
    }
}

async fn run_one(
    ctx: JobContext,
    handlers: &Handlers,
    config: &WorkerConfig,
    by_request: &std::sync::atomic::AtomicBool,
) -> Completion {
    let job = &ctx.job;
    let result = match handlers.get(&job.kind) {
        None => Err(format!("no handler for jobs of kind `{}`", job.kind)),
        Some(handler) => {
            let timeout = Duration::from_millis(job.timeout_ms.max(1) as u64);
            match tokio::time::timeout(timeout, handler.run(&ctx)).await {
                Ok(r) => r,
                Err(_) => {
                    ctx.cancel.cancel();
                    Err(format!(
                        "timed out after {}",
                        crate::queue::worker::human(timeout)
                    ))
                }
            }
        }
    };
    let outcome = match result {
        Ok(()) => Outcome::Succeeded,
        Err(_) if by_request.load(Ordering::SeqCst) => Outcome::Cancelled,
        Err(error) => {
            let mut errors: Vec<String> = serde_json::from_str(&job.errors).unwrap_or_default();
            errors.push(format!("attempt {}: {error}", job.attempt));
            let errors_json = serde_json::to_string(&errors).unwrap_or_else(|_| "[]".into());
            let failures = job.attempt - job.rescues;
            if failures < job.max_attempts {
                let delay = backoff::delay_ms(
                    failures,
                    config.backoff_base.as_millis() as i64,
                    config.backoff_max.as_millis() as i64,
                );
                Outcome::Retry {
                    retry_at_ms: now_ms() + delay,
                    errors: errors_json,
                    error,
                }
            } else {
                Outcome::Failed {
                    errors: errors_json,
                }
            }
        }
    };
    Completion {
        id: job.id,
        fence: job.fence,
        request_id: job.request_id,
        attempt: job.attempt,
        outcome,
    }
}

fn human(d: Duration) -> String {
    runway_domain::duration::HumanDuration::from_secs(d.as_secs()).to_string()
}

/// Records outcomes in batches: whatever has finished when the previous batch commits goes into the
/// next transaction (one commit for many jobs under load, one per job when idle).
async fn completion_loop(
    db: Db,
    mut rx: mpsc::UnboundedReceiver<Completion>,
    batch: usize,
    stats: Arc<WorkerStats>,
    wake: Arc<tokio::sync::Notify>,
) {
    let mut buf = Vec::with_capacity(batch);
    while let Some(first) = rx.recv().await {
        buf.push(first);
        while buf.len() < batch {
            match rx.try_recv() {
                Ok(c) => buf.push(c),
                Err(_) => break,
            }
        }
        let mut attempts = 0;
        loop {
            match sql::complete(&db, &buf).await {
                Ok(applied) => {
                    for c in &buf {
                        if !applied.contains(&c.id) {
                            stats.fenced_out.fetch_add(1, Ordering::Relaxed);
                            tracing::warn!(
                                job.id = c.id,
                                "outcome not recorded: the lease was lost to another worker"
                            );
                            continue;
                        }
                        let counter = match c.outcome {
                            Outcome::Succeeded => &stats.succeeded,
                            Outcome::Retry { .. } => &stats.retried,
                            Outcome::Failed { .. } => &stats.failed,
                            Outcome::Cancelled => &stats.cancelled,
                        };
                        counter.fetch_add(1, Ordering::Relaxed);
                    }
                    if buf
                        .iter()
                        .any(|c| matches!(c.outcome, Outcome::Retry { .. }))
                    {
                        wake.notify_waiters();
                    }
                    break;
                }
                Err(e) => {
                    attempts += 1;
                    tracing::error!(error = %e, attempts, "cannot record outcomes; retrying");
                    if attempts >= 10 {
                        // Leases will expire and the jobs will be rescued and run again (at least once).
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(200 * attempts)).await;
                }
            }
        }
        buf.clear();
    }
}

/// Extends leases and notices cancellations and lost leases.
async fn heartbeat_loop(
    db: Db,
    worker_id: String,
    held: HeldMap,
    config: WorkerConfig,
    stop: CancellationToken,
) {
    let mut tick = tokio::time::interval(config.heartbeat);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = stop.cancelled() => return,
        }
        let snapshot: Vec<(i64, i64)> = {
            let map = held.lock().unwrap_or_else(PoisonError::into_inner);
            map.iter().map(|(id, h)| (*id, h.fence)).collect()
        };
        if snapshot.is_empty() {
            continue;
        }
        match sql::heartbeat(
            &db,
            &worker_id,
            &snapshot,
            now_ms(),
            config.lease.as_millis() as i64,
        )
        .await
        {
            Ok(alive) => {
                let map = held.lock().unwrap_or_else(PoisonError::into_inner);
                for (id, _) in &snapshot {
                    let Some(h) = map.get(id) else { continue };
                    match alive.iter().find(|(a, _)| a == id) {
                        Some((_, true)) => {
                            h.cancelled_by_request.store(true, Ordering::SeqCst);
                            h.cancel.cancel();
                        }
                        Some((_, false)) => {}
                        None => {
                            tracing::warn!(
                                job.id = id,
                                "lease lost (rescued elsewhere): stopping the handler"
                            );
                            h.cancel.cancel();
                        }
                    }
                }
            }
            Err(e) => tracing::error!(error = %e, "heartbeat failed"),
        }
    }
}

/// Postgres: a `LISTEN runway_jobs` connection that wakes the worker on every committed enqueue.
fn spawn_listener(
    db: &Db,
    wake: Arc<tokio::sync::Notify>,
    stop: CancellationToken,
) -> Option<tokio::task::JoinHandle<()>> {
    let Db::Postgres(pool) = db else { return None };
    let pool = pool.clone();
    Some(tokio::spawn(async move {
        loop {
            let mut listener = match sqlx::postgres::PgListener::connect_with(&pool).await {
                Ok(l) => l,
                Err(e) => {
                    tracing::error!(error = %e, "cannot LISTEN for jobs; relying on polling");
                    tokio::select! {
                        () = tokio::time::sleep(Duration::from_secs(5)) => continue,
                        () = stop.cancelled() => return,
                    }
                }
            };
            if let Err(e) = listener.listen("runway_jobs").await {
                tracing::error!(error = %e, "cannot LISTEN for jobs; relying on polling");
            }
            loop {
                tokio::select! {
                    n = listener.recv() => match n {
                        Ok(_) => wake.notify_waiters(),
                        Err(e) => {
                            tracing::warn!(error = %e, "job notifications interrupted; reconnecting");
                            break;
                        }
                    },
                    () = stop.cancelled() => return,
                }
            }
        }
    }))
}

fn uuid_like() -> String {
    format!("{:08x}", fastrand::u32(..))
}

/// Runs `worker` on its own task; the returned token stops it, the handle waits for it.
pub fn spawn(worker: Worker) -> (CancellationToken, tokio::task::JoinHandle<()>) {
    let token = CancellationToken::new();
    let handle = tokio::spawn(worker.run(token.clone()));
    (token, handle)
}

/// Counters of a finished or running worker, for tests and benchmarks.
pub fn snapshot(stats: &WorkerStats) -> HashMap<&'static str, u64> {
    HashMap::from([
        ("claimed", stats.claimed.load(Ordering::Relaxed)),
        ("succeeded", stats.succeeded.load(Ordering::Relaxed)),
        ("retried", stats.retried.load(Ordering::Relaxed)),
        ("failed", stats.failed.load(Ordering::Relaxed)),
        ("cancelled", stats.cancelled.load(Ordering::Relaxed)),
        ("rescued", stats.rescued.load(Ordering::Relaxed)),
        ("released", stats.released.load(Ordering::Relaxed)),
        ("fenced_out", stats.fenced_out.load(Ordering::Relaxed)),
    ])
}
