//! Prometheus metrics (`/metrics`, text format), through the Prometheus project's own client.
//!
//! Two kinds of figures:
//! - counted by this process as things happen: HTTP requests (by route template and status, with
//!   a latency histogram), and the jobs its workers finish (by outcome, with wait and run time
//!   histograms, and executor failures by kind);
//! - read from the database at scrape time, so every replica reports the same installation-wide
//!   values: the queue by action and state, requests by action, status and channel, approvals
//!   waiting and the oldest one's age; plus this process's database pool and catalogue.
//!
//! Labels are bounded: route templates (never a raw path), action ids, states, channels. Never a
//! request id or a person. Not public: served on `metrics.listen` (its own address), or at
//! `/metrics` to callers that present `metrics.token`; with neither, there is no endpoint.

use crate::state::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use runway_core::queue::worker::{Finished, JobObserver};
use runway_core::state::Runway;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HttpLabels {
    method: String,
    route: String,
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct JobLabels {
    executor: String,
    action: String,
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ExecutorLabels {
    executor: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FailureLabels {
    executor: String,
    reason: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct QueueLabels {
    action: String,
    state: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    action: String,
    status: String,
    channel: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DeliveryLabels {
    channel: String,
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ActionLabels {
    action: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BuildLabels {
    version: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    state: String,
}

type Hist<L> = Family<L, Histogram, fn() -> Histogram>;

fn http_buckets() -> Histogram {
    Histogram::new([
        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
    ])
}

fn job_buckets() -> Histogram {
    Histogram::new([
        0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 15.0, 30.0, 60.0, 300.0, 900.0, 3600.0,
    ])
}

/// The metrics of one process, and the database reads behind its gauges.
pub struct Metrics {
    registry: Registry,
    http_requests: Family<HttpLabels, Counter>,
    http_duration: Hist<RouteLabels>,
    jobs_finished: Family<JobLabels, Counter>,
    job_wait: Hist<ExecutorLabels>,
    job_run: Hist<ExecutorLabels>,
    executor_failures: Family<FailureLabels, Counter>,
    queue_jobs: Family<QueueLabels, Gauge>,
    requests: Family<RequestLabels, Gauge>,
    approvals_pending: Family<ActionLabels, Gauge>,
    approval_oldest: Family<ActionLabels, Gauge<f64, AtomicU64>>,
    pool: Family<PoolLabels, Gauge>,
    pool_max: Gauge,
    catalog_actions: Gauge,
    catalog_problems: Gauge,
    catalog_reload_failures: Counter,
    /// `CatalogStore::failed_reloads` at the last scrape: the counter goes up by the difference.
    reload_failures_seen: std::sync::atomic::AtomicU64,
    queue_oldest_ready: Gauge<f64, AtomicU64>,
    deliveries_unsent: Family<DeliveryLabels, Gauge>,
    outbox_rows: Gauge,
    api_streams_open: Gauge,
    /// When the database gauges were last read: scrapes closer together than this reuse them.
    refreshed: tokio::sync::Mutex<Option<Instant>>,
}

/// Database gauges are read at most this often, however often Prometheus scrapes.
const REFRESH: Duration = Duration::from_secs(10);

impl Metrics {
    pub fn new() -> Arc<Self> {
        let mut registry = Registry::with_prefix("runway");
        let http_requests = Family::<HttpLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, route template and status",
            http_requests.clone(),
        );
        let http_duration: Hist<RouteLabels> = Family::new_with_constructor(http_buckets);
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request (to the response head), by method and route template",
            http_duration.clone(),
        );
        let jobs_finished = Family::<JobLabels, Counter>::default();
        registry.register(
            "jobs_finished",
            "Job attempts this process's workers finished, by executor, action and outcome (succeeded, retry, failed, cancelled)",
            jobs_finished.clone(),
        );
        let job_wait: Hist<ExecutorLabels> = Family::new_with_constructor(job_buckets);
        registry.register(
            "job_wait_seconds",
            "Time from a job's enqueueing to its start on a worker",
            job_wait.clone(),
        );
        let job_run: Hist<ExecutorLabels> = Family::new_with_constructor(job_buckets);
        registry.register("job_run_seconds", "Time a job attempt ran", job_run.clone());
        let executor_failures = Family::<FailureLabels, Counter>::default();
        registry.register(
            "executor_failures",
            "Failed job attempts, by executor and reason (timeout, error)",
            executor_failures.clone(),
        );
        let queue_jobs = Family::<QueueLabels, Gauge>::default();
        registry.register(
            "queue_jobs",
            "Jobs in the queue, by action and state (queued includes retries waiting for their time)",
            queue_jobs.clone(),
        );
        let requests = Family::<RequestLabels, Gauge>::default();
        registry.register(
            "requests",
            "Requests by action, current status and channel",
            requests.clone(),
        );
        let approvals_pending = Family::<ActionLabels, Gauge>::default();
        registry.register(
            "approvals_pending",
            "Requests waiting for approval, by action",
            approvals_pending.clone(),
        );
        let approval_oldest = Family::<ActionLabels, Gauge<f64, AtomicU64>>::default();
        registry.register(
            "approval_oldest_age_seconds",
            "Age of the oldest request waiting for approval, by action",
            approval_oldest.clone(),
        );
        let pool = Family::<PoolLabels, Gauge>::default();
        registry.register(
            "db_pool_connections",
            "This process's database connections, by state (idle, in_use)",
            pool.clone(),
        );
        let pool_max = Gauge::default();
        registry.register(
            "db_pool_max_connections",
            "The most database connections this process may open",
            pool_max.clone(),
        );
        let catalog_actions = Gauge::default();
        registry.register(
            "catalog_actions",
            "Actions in the catalogue this process has loaded",
            catalog_actions.clone(),
        );
        let catalog_problems = Gauge::default();
        registry.register(
            "catalog_problems",
            "Problems found in catalogue files at the last load (files with problems are not loaded)",
            catalog_problems.clone(),
        );
        let catalog_reload_failures = Counter::default();
        registry.register(
            "catalog_reload_failures",
            "Catalogue reloads that failed in this process (SIGHUP, a publish from the portal); each kept the previous catalogue",
            catalog_reload_failures.clone(),
        );
        let queue_oldest_ready = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "queue_oldest_ready_age_seconds",
            "How long the oldest job that is ready to run has waited for a worker (0 when none waits)",
            queue_oldest_ready.clone(),
        );
        let deliveries_unsent = Family::<DeliveryLabels, Gauge>::default();
        registry.register(
            "notification_deliveries_unsent",
            "Notification deliveries not sent, by channel (email, slack, jira) and status (pending: waiting or being retried; failed: given up)",
            deliveries_unsent.clone(),
        );
        let outbox_rows = Gauge::default();
        registry.register(
            "notification_outbox_rows",
            "Request events waiting in the notification outbox for a worker to turn them into jobs",
            outbox_rows.clone(),
        );
        let api_streams_open = Gauge::default();
        registry.register(
            "api_event_streams_open",
            "The API's event streams open now, on every serve process (at most 10 per token)",
            api_streams_open.clone(),
        );
        let build_info = Family::<BuildLabels, Gauge>::default();
        build_info
            .get_or_create(&BuildLabels {
                version: env!("CARGO_PKG_VERSION").to_string(),
            })
            .set(1);
        registry.register(
            "build_info",
            "The running Runway's version (always 1)",
            build_info,
        );
        Arc::new(Self {
            registry,
            queue_oldest_ready,
            deliveries_unsent,
            outbox_rows,
            api_streams_open,
            http_requests,
            http_duration,
            jobs_finished,
            job_wait,
            job_run,
            executor_failures,
            queue_jobs,
            requests,
            approvals_pending,
            approval_oldest,
            pool,
            pool_max,
            catalog_actions,
            catalog_problems,
            catalog_reload_failures,
            reload_failures_seen: std::sync::atomic::AtomicU64::new(0),
            refreshed: tokio::sync::Mutex::new(None),
        })
    }

    fn observe_http(&self, method: &str, route: &str, status: u16, took: Duration) {
        self.http_requests
            .get_or_create(&HttpLabels {
                method: method.to_string(),
                route: route.to_string(),
                status: status.to_string(),
            })
            .inc();
        self.http_duration
            .get_or_create(&RouteLabels {
                method: method.to_string(),
                route: route.to_string(),
            })
            .observe(took.as_secs_f64());
    }

    /// Every job series the catalogue's actions can produce, at 0 until something is counted.
    /// A series that appears only with its first count hides that count from Prometheus's
    /// `rate()` and `increase()`, and an alert on failures cannot tell "none yet" from "not
    /// exported". Actions that left the catalogue keep the series they had.
    fn zero_job_series(&self, rw: &Runway) {
        use runway_core::queue::worker::{AttemptOutcome, FailureKind};
        use runway_domain::spec::ExecutorKind;
        let mut kinds = Vec::new();
        for action in rw.catalog.snapshot().actions.values() {
            let kind = action.spec.run.kind();
            // Manual actions are fulfilled by people, not run as jobs.
            if kind == ExecutorKind::Manual {
                continue;
            }
            for outcome in AttemptOutcome::ALL {
                let _ = self.jobs_finished.get_or_create(&JobLabels {
                    executor: kind.as_str().to_string(),
                    action: action.spec.id.as_str().to_string(),
                    outcome: outcome.as_str().to_string(),
                });
            }
            if !kinds.contains(&kind) {
                kinds.push(kind);
            }
        }
        for kind in kinds {
            let executor = ExecutorLabels {
                executor: kind.as_str().to_string(),
            };
            let _ = self.job_wait.get_or_create(&executor);
            let _ = self.job_run.get_or_create(&executor);
            for reason in FailureKind::ALL {
                let _ = self.executor_failures.get_or_create(&FailureLabels {
                    executor: kind.as_str().to_string(),
                    reason: reason.as_str().to_string(),
                });
            }
        }
    }

    /// Reads the database gauges again (unless read in the last [`REFRESH`]).
    async fn refresh(&self, rw: &Runway) {
        let mut last = self.refreshed.lock().await;
        if last.is_some_and(|t| t.elapsed() < REFRESH) {
            return;
        }
        self.zero_job_series(rw);
        use runway_core::db::metrics as sql;
        match sql::queue_depth(&rw.db).await {
            Ok(rows) => {
                self.queue_jobs.clear();
                for (action, state, n) in rows {
                    self.queue_jobs
                        .get_or_create(&QueueLabels { action, state })
                        .set(n);
                }
            }
            Err(e) => tracing::warn!(error = %e, "metrics: cannot read the queue"),
        }
        let now = runway_core::queue::now_ms();
        match sql::oldest_ready_ms(&rw.db, now).await {
            Ok(oldest) => {
                let age = oldest.map_or(0.0, |t| (now - t).max(0) as f64 / 1000.0);
                self.queue_oldest_ready.set(age);
            }
            Err(e) => tracing::warn!(error = %e, "metrics: cannot read the queue's oldest job"),
        }
        match sql::requests_by_state(&rw.db).await {
            Ok(rows) => {
                self.requests.clear();
                for (action, status, channel, n) in rows {
                    self.requests
                        .get_or_create(&RequestLabels {
                            action,
                            status,
                            channel,
                        })
                        .set(n);
                }
            }
            Err(e) => tracing::warn!(error = %e, "metrics: cannot read requests"),
        }
        match sql::approvals_pending(&rw.db).await {
            Ok(rows) => {
                self.approvals_pending.clear();
                self.approval_oldest.clear();
                let now = chrono::Utc::now();
                for (action, n, oldest) in rows {
                    let labels = ActionLabels { action };
                    self.approvals_pending.get_or_create(&labels).set(n);
                    let age = (now - oldest).num_milliseconds().max(0) as f64 / 1000.0;
                    self.approval_oldest.get_or_create(&labels).set(age);
                }
            }
            Err(e) => tracing::warn!(error = %e, "metrics: cannot read approvals"),
        }
        match sql::deliveries_unsent(&rw.db).await {
            Ok(rows) => {
                self.deliveries_unsent.clear();
                for (channel, status, n) in rows {
                    self.deliveries_unsent
                        .get_or_create(&DeliveryLabels { channel, status })
                        .set(n);
                }
            }
            Err(e) => tracing::warn!(error = %e, "metrics: cannot read notification deliveries"),
        }
        match runway_core::db::notify::outbox_len(&rw.db).await {
            Ok(n) => {
                self.outbox_rows.set(n);
            }
            Err(e) => tracing::warn!(error = %e, "metrics: cannot read the notification outbox"),
        }
        let now_us = chrono::Utc::now().timestamp_micros();
        match runway_core::db::api_streams::open_count(&rw.db, now_us).await {
            Ok(n) => {
                self.api_streams_open.set(n);
            }
            Err(e) => tracing::warn!(error = %e, "metrics: cannot count the API's event streams"),
        }
        *last = Some(Instant::now());
    }

    /// The text exposition: refreshed gauges, then every metric.
    pub async fn render(&self, rw: &Runway) -> Result<String, std::fmt::Error> {
        self.refresh(rw).await;
        let (size, idle, max) = rw.db.pool_use();
        let idle = i64::try_from(idle).unwrap_or(0);
        self.pool
            .get_or_create(&PoolLabels {
                state: "idle".into(),
            })
            .set(idle);
        self.pool
            .get_or_create(&PoolLabels {
                state: "in_use".into(),
            })
            .set((i64::from(size) - idle).max(0));
        self.pool_max.set(i64::from(max));
        let catalog = rw.catalog.snapshot();
        self.catalog_actions
            .set(i64::try_from(catalog.actions.len()).unwrap_or(0));
        self.catalog_problems
            .set(i64::try_from(catalog.problems.len()).unwrap_or(0));
        let failed = rw.catalog.failed_reloads();
        let seen = self
            .reload_failures_seen
            .swap(failed, std::sync::atomic::Ordering::Relaxed);
        self.catalog_reload_failures
            .inc_by(failed.saturating_sub(seen));
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)?;
        Ok(out)
    }
}

impl JobObserver for Metrics {
    fn finished(&self, job: &Finished<'_>) {
        let executor = ExecutorLabels {
            executor: job.kind.to_string(),
        };
        self.jobs_finished
            .get_or_create(&JobLabels {
                executor: job.kind.to_string(),
                action: job.action.unwrap_or_default().to_string(),
                outcome: job.outcome.as_str().to_string(),
            })
            .inc();
        self.job_wait
            .get_or_create(&executor)
            .observe(job.waited.as_secs_f64());
        self.job_run
            .get_or_create(&executor)
            .observe(job.ran.as_secs_f64());
        if let Some(reason) = job.failure {
            self.executor_failures
                .get_or_create(&FailureLabels {
                    executor: job.kind.to_string(),
                    reason: reason.as_str().to_string(),
                })
                .inc();
        }
    }
}

/// Middleware: counts every answer by its route template (`/requests/{id}`, never the raw path).
pub async fn track(State(metrics): State<Arc<Metrics>>, req: Request, next: Next) -> Response {
    let began = Instant::now();
    // A fixed set: any token is a valid method name to hyper, and each new label value would be
    // a series kept forever.
    let method = match *req.method() {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::HEAD => "HEAD",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    };
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    let resp = next.run(req).await;
    metrics.observe_http(method, &route, resp.status().as_u16(), began.elapsed());
    resp
}

fn exposition(text: String) -> Response {
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
        )],
        text,
    )
        .into_response()
}

async fn answer(metrics: &Metrics, rw: &Runway) -> Response {
    match metrics.render(rw).await {
        Ok(text) => exposition(text),
        Err(e) => {
            tracing::error!(error = %e, "cannot encode metrics");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

/// `GET /metrics` on the main address: only with `Authorization: Bearer <metrics.token>` (compared
/// in constant time); 404 when no token is configured, so the endpoint is not there at all.
pub async fn guarded(State(state): State<AppState>, req: Request) -> Response {
    let want = state.runway.settings.metrics.token.expose();
    if want.is_empty() {
        return StatusCode::NOT_FOUND.into_response();
    }
    let got = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(crate::api::bearer)
        .unwrap_or("");
    if !constant_time_eq(got.as_bytes(), want.as_bytes()) {
        let mut resp = StatusCode::UNAUTHORIZED.into_response();
        resp.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"metrics\""),
        );
        return resp;
    }
    answer(&state.metrics, &state.runway).await
}

/// Equal without revealing, through timing, how much of a guess was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use sha2::{Digest, Sha256};
    // Hash both first: lengths then never show either.
    let (x, y) = (Sha256::digest(a), Sha256::digest(b));
    x.iter()
        .zip(y.iter())
        .fold(0u8, |acc, (p, q)| acc | (p ^ q))
        == 0
}

/// Serves `/metrics`, `/healthz` and `/readyz` (and nothing else, without authentication) on
/// `metrics.listen`, for `serve` and `worker` alike, until `stop`. A worker has no other HTTP
/// port, so its probes use these.
pub async fn serve_separately(
    listener: tokio::net::TcpListener,
    metrics: Arc<Metrics>,
    rw: Runway,
    stop: tokio_util::sync::CancellationToken,
) {
    let ready = rw.clone();
    let app = axum::Router::new()
        .route(
            "/metrics",
            axum::routing::get(move || {
                let metrics = metrics.clone();
                let rw = rw.clone();
                async move { answer(&metrics, &rw).await }
            }),
        )
        .route("/healthz", axum::routing::get(crate::routes::healthz))
        .route(
            "/readyz",
            axum::routing::get(move || {
                let rw = ready.clone();
                async move { crate::routes::readiness(&rw).await }
            }),
        );
    if let Err(e) = axum::serve(listener, app)
        .with_graceful_shutdown(async move { stop.cancelled().await })
        .await
    {
        tracing::error!(error = %e, "the metrics listener stopped");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare_equal_only_when_identical() {
        assert!(constant_time_eq(b"abcdefghijklmnop", b"abcdefghijklmnop"));
        assert!(!constant_time_eq(b"abcdefghijklmnop", b"abcdefghijklmnoq"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }
}
