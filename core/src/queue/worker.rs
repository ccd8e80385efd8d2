//! The worker runtime: claims jobs into free slots, runs them, heartbeats their leases, records
//! outcomes in batches, rescues expired leases, and shuts down gracefully. It runs with the
//! `[worker]` settings ([`WorkerSettings`]) as they are; defaults suit production, tests shorten
//! the times.

use super::handler::{Handlers, JobContext};
use super::{backoff, now_ms, Queue};
use crate::config::WorkerSettings;
use crate::db::jobs::{self as sql, Completion, Outcome};
use crate::db::Db;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::{mpsc, Semaphore};
use tokio_util::sync::CancellationToken;

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
    /// False while the job waits in the local prefetch buffer for a slot.
    started: Arc<std::sync::atomic::AtomicBool>,
}

type HeldMap = Arc<Mutex<HashMap<i64, Held>>>;

/// What a started job shares with its worker's loop.
struct Local<'a> {
    held: &'a HeldMap,
    slots: &'a Arc<Semaphore>,
    done_tx: &'a mpsc::UnboundedSender<Completion>,
    slot_freed: &'a Arc<tokio::sync::Notify>,
    db: &'a Db,
}

/// What a finished attempt looked like, for metrics (never a request id or a person).
#[derive(Debug, Clone, Copy)]
pub struct Finished<'a> {
    /// The handler kind: `script`, `webhook`, …
    pub kind: &'a str,
    pub action: Option<&'a str>,
    pub outcome: AttemptOutcome,
    /// For [`AttemptOutcome::Retry`] and [`AttemptOutcome::Failed`]: why.
    pub failure: Option<FailureKind>,
    /// From the job's enqueueing to its start on this worker.
    pub waited: Duration,
    pub ran: Duration,
}

/// How an attempt ended, as the metrics name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptOutcome {
    Succeeded,
    Retry,
    Failed,
    Cancelled,
}

impl AttemptOutcome {
    pub const ALL: [AttemptOutcome; 4] =
        [Self::Succeeded, Self::Retry, Self::Failed, Self::Cancelled];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Succeeded => "succeeded",
            Self::Retry => "retry",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }
}

/// Why an attempt that will be retried, or has failed, did not succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// The executor's time limit ran out.
    Timeout,
    /// Anything else.
    Error,
}

impl FailureKind {
    pub const ALL: [FailureKind; 2] = [Self::Timeout, Self::Error];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Timeout => "timeout",
            Self::Error => "error",
        }
    }
}

/// Told about every attempt a worker finishes (the metrics endpoint counts them).
pub trait JobObserver: Send + Sync {
    fn finished(&self, job: &Finished<'_>);
}

pub struct Worker {
    pub id: String,
    queue: Queue,
    handlers: Handlers,
    config: WorkerSettings,
    pub stats: Arc<WorkerStats>,
    observer: Option<Arc<dyn JobObserver>>,
}

impl Worker {
    pub fn new(queue: Queue, handlers: Handlers, config: WorkerSettings) -> Self {
        let id = format!("worker-{}-{}", std::process::id(), uuid_like());
        Self {
            id,
            queue,
            handlers,
            config,
            stats: Arc::new(WorkerStats::default()),
            observer: None,
        }
    }

    /// Reports every finished attempt to `observer`.
    pub fn observed_by(mut self, observer: Arc<dyn JobObserver>) -> Self {
        self.observer = Some(observer);
        self
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
                if self.handlers.relays_outbox() {
                    relay_outbox(&db).await;
                }
            }
            // Register interest before claiming, so a wake-up between claim and wait is not lost.
            let notified = wake.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let freed = slot_freed.notified();
            tokio::pin!(freed);
            freed.as_mut().enable();

            // Room for more: free slots plus the local prefetch buffer, minus what we already hold.
            let holding = held.lock().unwrap_or_else(PoisonError::into_inner).len();
            let room = (self.config.concurrency + self.config.prefetch).saturating_sub(holding);
            // While the local buffer still has work, top it up in large batches rather than after
            // every finished job: fewer, bigger claims under load.
            let buffer_low =
                holding < self.config.concurrency || room >= (self.config.prefetch / 2).max(1);
            let mut claimed_all = false;
            if room > 0 && buffer_low {
                let local = Local {
                    held: &held,
                    slots: &slots,
                    done_tx: &done_tx,
                    slot_freed: &slot_freed,
                    db: &db,
                };
                let lease_ms = self.config.lease.as_millis() as i64;
                // Plain jobs start before the second claim for concurrency-limited actions: a
                // job waits for one claim's round trips, not two (enqueue-to-start latency).
                let mut claimed = 0;
                for limited in [false, true] {
                    let free = (room - claimed) as i64;
                    if free == 0 {
                        break;
                    }
                    let jobs = if limited {
                        sql::claim_limited(&db, &self.id, free, now_ms(), lease_ms).await
                    } else {
                        sql::claim(&db, &self.id, free, now_ms(), lease_ms).await
                    };
                    match jobs {
                        Ok(jobs) => {
                            claimed += jobs.len();
                            for job in jobs {
                                self.start(job, &local);
                            }
                        }
                        Err(e) => {
                            tracing::error!(error = %e, "claim failed; retrying after the poll interval");
                        }
                    }
                }
                claimed_all = claimed == room;
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

        // Graceful shutdown: no more claims. Prefetched jobs that have not started go back at once;
        // running jobs may finish within the grace period; whatever is left then is released too.
        tracing::info!(worker = %self.id, "worker stopping: finishing running jobs");
        let waiting = self.held_where(&held, false);
        self.give_back(&db, &held, &waiting).await;
        let all = self.config.concurrency as u32;
        if tokio::time::timeout(self.config.grace, slots.acquire_many(all))
            .await
            .is_err()
        {
            let running = self.held_where(&held, true);
            self.give_back(&db, &held, &running).await;
            if !running.is_empty() {
                tracing::warn!(worker = %self.id, released = running.len(), "grace period over: released unfinished jobs");
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

impl Worker {
    /// Holds a claimed job and runs it on its own task once a slot is free.
    fn start(&self, job: sql::ClaimedJob, local: &Local<'_>) {
        self.stats.claimed.fetch_add(1, Ordering::Relaxed);
        let cancel = CancellationToken::new();
        let by_request = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let started = Arc::new(std::sync::atomic::AtomicBool::new(false));
        local
            .held
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(
                job.id,
                Held {
                    fence: job.fence,
                    cancel: cancel.clone(),
                    cancelled_by_request: by_request.clone(),
                    started: started.clone(),
                },
            );
        let ctx = JobContext {
            job,
            worker_id: self.id.clone(),
            db: local.db.clone(),
            cancel: cancel.clone(),
        };
        let handlers = self.handlers.clone();
        let config = self.config.clone();
        let held = local.held.clone();
        let done_tx = local.done_tx.clone();
        let slot_freed = local.slot_freed.clone();
        let slots = local.slots.clone();
        let observer = self.observer.clone();
        tokio::spawn(async move {
            // Wait for a slot (prefetched jobs wait here, leases kept alive by the heartbeat);
            // give up if the job is released or cancelled meanwhile.
            let permit = tokio::select! {
                p = slots.acquire_owned() => p,
                () = cancel.cancelled() => {
                    if by_request.load(Ordering::SeqCst) {
                        // Cancelled before it started: record it as cancelled.
                        let c = Completion { id: ctx.job.id, fence: ctx.job.fence, request_id: ctx.job.request_id, attempt: ctx.job.attempt, outcome: Outcome::Cancelled };
                        held.lock().unwrap_or_else(PoisonError::into_inner).remove(&c.id);
                        let _ = done_tx.send(c);
                    }
                    return;
                }
            };
            let Ok(permit) = permit else { return };
            started.store(true, Ordering::SeqCst);
            let observed = observer.as_ref().map(|_| {
                let waited = Duration::from_millis(
                    u64::try_from(now_ms() - ctx.job.enqueued_at).unwrap_or(0),
                );
                (
                    ctx.job.kind.clone(),
                    ctx.job.action_id.clone(),
                    waited,
                    std::time::Instant::now(),
                )
            });
            let completion = run_one(ctx, &handlers, &config, &by_request).await;
            if let (Some(o), Some((kind, action, waited, began))) = (&observer, observed) {
                let (outcome, failure) = match &completion.outcome {
                    Outcome::Succeeded => (AttemptOutcome::Succeeded, None),
                    Outcome::Cancelled => (AttemptOutcome::Cancelled, None),
                    Outcome::Retry { error, .. } => {
                        (AttemptOutcome::Retry, Some(failure_kind(error)))
                    }
                    Outcome::Failed { errors } => {
                        (AttemptOutcome::Failed, Some(failure_kind(errors)))
                    }
                };
                o.finished(&Finished {
                    kind: &kind,
                    action: action.as_deref(),
                    outcome,
                    failure,
                    waited,
                    ran: began.elapsed(),
                });
            }
            held.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(&completion.id);
            let _ = done_tx.send(completion);
            drop(permit);
            slot_freed.notify_waiters();
        });
    }

    /// (id, fence) of held jobs that have (or have not) started.
    fn held_where(&self, held: &HeldMap, started: bool) -> Vec<(i64, i64)> {
        held.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .filter(|(_, h)| h.started.load(Ordering::SeqCst) == started)
            .map(|(id, h)| (*id, h.fence))
            .collect()
    }

    /// Releases `jobs` to other workers (fenced), then stops their handlers: any late completion
    /// they send is fenced out.
    async fn give_back(&self, db: &Db, held: &HeldMap, jobs: &[(i64, i64)]) {
        if jobs.is_empty() {
            return;
        }
        match sql::release(db, &self.id, jobs, now_ms()).await {
            Ok(n) => {
                self.stats.released.fetch_add(n, Ordering::Relaxed);
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot release jobs; their leases will expire and they will be rescued")
            }
        }
        let map = held.lock().unwrap_or_else(PoisonError::into_inner);
        for (id, _) in jobs {
            if let Some(h) = map.get(id) {
                h.cancel.cancel();
            }
        }
    }
}

async fn run_one(
    ctx: JobContext,
    handlers: &Handlers,
    config: &WorkerSettings,
    by_request: &std::sync::atomic::AtomicBool,
) -> Completion {
    let job = &ctx.job;
    let result = match handlers.get(&job.kind) {
        None => Err(format!("no handler for jobs of kind `{}`", job.kind)),
        Some(handler) => {
            let timeout = Duration::from_millis(job.timeout_ms.max(1) as u64);
            // A backstop: the handler's own timeout (and its stopping) comes first.
            let backstop = timeout.saturating_add(handler.overrun());
            match tokio::time::timeout(backstop, handler.run(&ctx)).await {
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
            // Every attempt counts, rescued ones included (a job that kills its worker must not be
            // rescued forever); attempts released at shutdown were given back uncounted.
            let failures = job.attempt;
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

use runway_domain::duration::elapsed as human;

/// [`FailureKind::Timeout`] when the (last) error says the attempt timed out.
fn failure_kind(error: &str) -> FailureKind {
    let last = error.rsplit("attempt ").next().unwrap_or(error);
    if last.contains("timed out") {
        FailureKind::Timeout
    } else {
        FailureKind::Error
    }
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
    config: WorkerSettings,
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

/// Moves the notification outbox into `notify` jobs, a batch at a time, until it is empty. A
/// failure is logged; the rows stay for the next poll.
async fn relay_outbox(db: &crate::db::Db) {
    const BATCH: i64 = 500;
    loop {
        match crate::db::notify::relay(db, now_ms(), BATCH).await {
            Ok(n) if n as i64 == BATCH => continue,
            Ok(_) => return,
            Err(e) => {
                tracing::error!(error = %e, "cannot move the notification outbox into jobs");
                return;
            }
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
            let connected = tokio::select! {
                c = sqlx::postgres::PgListener::connect_with(&pool) => c,
                () = stop.cancelled() => return,
            };
            let mut listener = match connected {
                Ok(l) => l,
                Err(e) => {
                    tracing::error!(error = %e, "cannot LISTEN for jobs; relying on polling");
                    tokio::select! {
                        () = tokio::time::sleep(Duration::from_secs(5)) => continue,
                        () = stop.cancelled() => return,
                    }
                }
            };
            let listening = tokio::select! {
                l = listener.listen("runway_jobs") => l,
                () = stop.cancelled() => return,
            };
            if let Err(e) = listening {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_attempt_decides_the_failure_kind() {
        assert_eq!(failure_kind("timed out after 2s"), FailureKind::Timeout);
        // `errors` is the JSON list of every attempt: only the last one counts.
        let errors = r#"["attempt 1: timed out after 2s","attempt 2: exit code 3"]"#;
        assert_eq!(failure_kind(errors), FailureKind::Error);
        let errors = r#"["attempt 1: exit code 3","attempt 2: timed out after 2s"]"#;
        assert_eq!(failure_kind(errors), FailureKind::Timeout);
    }

    #[test]
    fn metric_labels_are_the_ones_dashboards_and_alerts_use() {
        // docs/operations.md and the alerts and dashboard in deploy/ name these values.
        assert_eq!(
            AttemptOutcome::ALL.map(AttemptOutcome::as_str),
            ["succeeded", "retry", "failed", "cancelled"]
        );
        assert_eq!(
            FailureKind::ALL.map(FailureKind::as_str),
            ["timeout", "error"]
        );
    }
}
