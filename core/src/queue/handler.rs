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
}

/// Handlers by job kind.
#[derive(Clone, Default)]
pub struct Handlers(HashMap<String, Arc<dyn Handler>>);

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
        self.0.insert(kind.to_string(), Arc::new(handler));
    }

    pub fn get(&self, kind: &str) -> Option<Arc<dyn Handler>> {
        self.0.get(kind).cloned()
    }
}

/// Handlers that measure and test the queue itself (`runway bench queue`, the queue and crash tests).
#[cfg(feature = "bench")]
pub mod testing {
    use super::{Handler, JobContext};
    use crate::db::jobs as sql;
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
    pub struct CanaryHandler;

    #[derive(serde::Deserialize, Default)]
    struct CanaryPayload {
        #[serde(default)]
        label: String,
        #[serde(default)]
        sleep_ms: u64,
        #[serde(default)]
        fail_attempts: i64,
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
            if p.sleep_ms > 0 {
                tokio::select! {
                    () = tokio::time::sleep(std::time::Duration::from_millis(p.sleep_ms)) => {}
                    () = ctx.cancel.cancelled() => return Err("stopped".to_string()),
                }
            }
            if ctx.job.attempt - ctx.job.rescues <= p.fail_attempts {
                return Err(format!(
                    "canary failed on purpose (attempt {})",
                    ctx.job.attempt
                ));
            }
            Ok(())
        }
    }
}
