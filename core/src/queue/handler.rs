//! What runs a job: a [`Handler`] per job kind. Executors (script, webhook, manual) register here;
//! `noop` and `canary` serve tests and benchmarks and exist only with the `bench` feature.

use crate::db::jobs::ClaimedJob;
use crate::db::Db;
use async_trait::async_trait;
use std::collections::HashMap;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// Everything a handler gets for one attempt.
pub struct JobContext {
    pub job: ClaimedJob,
    pub worker_id: String,
    pub db: Db,
    /// Cancelled when the request is cancelled, the lease is lost, or the worker is shutting down
    /// past its grace period. Long-running handlers must stop promptly when it fires.
    pub cancel: CancellationToken,
}

/// Runs jobs of one kind. `Err` is the attempt's error, shown to people: keep it clear and free of
/// secrets.
#[async_trait]
pub trait Handler: Send + Sync + 'static {
    async fn run(&self, ctx: &JobContext) -> Result<(), String>;

    /// How long past the job's timeout this handler may still take to stop by itself. Handlers
    /// that enforce the timeout themselves (the script executor: SIGTERM, a grace period, SIGKILL,
    /// then its last log lines) say how long that takes; the worker's own timer is a backstop that
    /// fires only at timeout + overrun, and drops the handler.
    fn overrun(&self) -> std::time::Duration {
        std::time::Duration::ZERO
    }
}

/// Handlers by job kind, and whether the worker also moves the notification outbox into jobs.
#[derive(Clone, Default)]
pub struct Handlers {
    by_kind: HashMap<String, Arc<dyn Handler>>,
    outbox: bool,
}

impl Handlers {
    /// The built-in handlers: `noop` and `canary` with the `bench` feature (tests and benchmarks),
    /// none in a production build.
    pub fn builtin() -> Self {
        #[cfg(feature = "bench")]
        {
            let mut h = Self::default();
            h.register("noop", testing::NoopHandler);
            h.register("canary", testing::CanaryHandler);
            h
        }
        #[cfg(not(feature = "bench"))]
        Self::default()
    }

    pub fn register(&mut self, kind: &str, handler: impl Handler) {
        self.by_kind.insert(kind.to_string(), Arc::new(handler));
    }

    pub fn get(&self, kind: &str) -> Option<Arc<dyn Handler>> {
        self.by_kind.get(kind).cloned()
    }

    /// Registers `handler` for the jobs the notification outbox becomes: a worker with it moves
    /// outbox rows into those jobs every poll interval (`db::notify::relay`). Workers without it
    /// (tests of the queue itself, with their own handlers) leave the outbox alone.
    pub fn register_outbox(&mut self, kind: &str, handler: impl Handler) {
        self.register(kind, handler);
        self.outbox = true;
    }

    /// True when this worker relays the notification outbox.
    pub fn relays_outbox(&self) -> bool {
        self.outbox
    }
}

/// Handlers that measure and test the queue itself (`runway bench queue`, the queue and crash tests).
#[cfg(feature = "bench")]
pub mod testing {
    use super::{Handler, JobContext};
    use crate::db::jobs as sql;
    use crate::db::requests;
    use async_trait::async_trait;

    /// Does nothing, successfully: measures the queue itself.
    pub struct NoopHandler;

    #[async_trait]
    impl Handler for NoopHandler {
        async fn run(&self, _ctx: &JobContext) -> Result<(), String> {
            Ok(())
        }
    }

    /// Records each execution in `canary_runs`, then optionally sleeps and fails, as its payload says:
    /// `{"label": "crash-test", "sleep_ms": 50, "fail_attempts": 1}` (fails its first attempt).
    /// With `"writes": true`, a job with a request also writes as a script run does, under its
    /// fence: a log line as it starts and as it ends (`fence <token> started|finished|stopped on
    /// <worker>`), and the output `fence` (its token) when it succeeds. The crash test reads them
    /// to find stale writes.
    pub struct CanaryHandler;

    #[derive(serde::Deserialize, Default)]
    struct CanaryPayload {
        #[serde(default)]
        label: String,
        #[serde(default)]
        sleep_ms: u64,
        #[serde(default)]
        fail_attempts: i64,
        #[serde(default)]
        writes: bool,
    }

    /// Writes one log line for the canary's request, under its fence.
    async fn canary_log(ctx: &JobContext, p: &CanaryPayload, what: &str) {
        let (Some(request_id), true) = (ctx.job.request_id, p.writes) else {
            return;
        };
        let fence = ctx.job.fence();
        let line = format!("fence {} {what} on {}", fence.token, ctx.worker_id);
        let lines = [("system", line)];
        if let Err(e) =
            requests::append_logs(&ctx.db, fence, request_id, ctx.job.attempt, &lines).await
        {
            tracing::warn!(error = %e, "canary: cannot write its log line");
        }
    }

    #[async_trait]
    impl Handler for CanaryHandler {
        async fn run(&self, ctx: &JobContext) -> Result<(), String> {
            let p: CanaryPayload = serde_json::from_str(&ctx.job.payload).unwrap_or_default();
            let now = chrono::Utc::now().timestamp_millis();
            sql::record_canary(
                &ctx.db,
                &p.label,
                ctx.job.id,
                ctx.job.attempt,
                &ctx.worker_id,
                now,
            )
            .await
            .map_err(|e| e.to_string())?;
            canary_log(ctx, &p, "started").await;
            if p.sleep_ms > 0 {
                tokio::select! {
                    () = tokio::time::sleep(std::time::Duration::from_millis(p.sleep_ms)) => {}
                    () = ctx.cancel.cancelled() => {
                        canary_log(ctx, &p, "stopped").await;
                        return Err("stopped".to_string());
                    }
                }
            }
            if ctx.job.attempt - ctx.job.rescues <= p.fail_attempts {
                return Err(format!(
                    "canary failed on purpose (attempt {})",
                    ctx.job.attempt
                ));
            }
            canary_log(ctx, &p, "finished").await;
            if let (Some(request_id), true) = (ctx.job.request_id, p.writes) {
                let output = requests::NewOutput {
                    name: "fence".to_string(),
                    label: None,
                    kind: "text".to_string(),
                    value: Some(ctx.job.fence.to_string()),
                    sealed: None,
                };
                requests::save_outputs(&ctx.db, ctx.job.fence(), request_id, &[output])
                    .await
                    .map_err(|e| e.to_string())?;
            }
            Ok(())
        }
    }
}
