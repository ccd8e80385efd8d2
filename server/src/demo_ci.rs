//! Built-in demo receivers: a stand-in CI system and secret store, so the demo catalogue's webhook
//! actions work on a fresh machine with nothing else installed. For demos and tests only: state
//! lives in memory and is lost on restart.
//!
//! - `POST /demo/ci/pipelines/{name}` starts a pipeline run and answers `202` with the run's
//!   `status_url` (absolute, built from the `Host` header). A retry of the same call (same
//!   `webhook-id`) gets the same run back, as a real receiver should.
//! - `GET /demo/ci/runs/{id}` reports `running` for a few seconds after the start, then
//!   `succeeded` with the run's link as an output (and a note when the call asked for a dry run):
//!   the shape `run.poll` in a catalogue file expects.
//! - `PUT /demo/secrets/{*path}` stores nothing but a version counter per path and answers
//!   `{"version": N}`. The body (a secret value) is never logged or kept.
//!
//! When a signing secret is set, every `POST`/`PUT` must carry a valid Standard Webhooks signature
//! ([`verify`]), else `401`. Status reads are not signed-checked: they carry nothing secret.
//!
//! Paths are absolute: merge this router at the root (do not nest it). The executor refuses
//! loopback and private addresses unless allow-listed, so a local demo needs its own host in
//! `webhooks.allow_hosts`.

use crate::error::Error;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use runway_exec::webhook::signature::{verify, DEFAULT_TOLERANCE_SECS};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How long a demo pipeline "runs".
const RUN_TIME: Duration = Duration::from_secs(3);
/// Most runs (and secret paths) remembered; the oldest are forgotten first.
const MAX_ENTRIES: usize = 1_000;

/// The demo receivers' router. `signing_secret` is the same secret the webhook executor signs with;
/// `None` accepts unsigned calls.
pub fn router(signing_secret: Option<String>) -> Router {
    router_with(signing_secret, RUN_TIME)
}

fn router_with(signing_secret: Option<String>, run_time: Duration) -> Router {
    let demo = Demo {
        secret: signing_secret.filter(|s| !s.is_empty()).map(Arc::from),
        run_time,
        state: Arc::default(),
    };
    Router::new()
        .route("/demo/ci/pipelines/{name}", post(start_pipeline))
        .route("/demo/ci/runs/{id}", get(run_status))
        .route("/demo/secrets/{*path}", put(store_secret))
        .with_state(demo)
}

#[derive(Clone)]
struct Demo {
    secret: Option<Arc<str>>,
    run_time: Duration,
    state: Arc<Mutex<Memory>>,
}

#[derive(Default)]
struct Memory {
    next_run: u64,
    runs: BTreeMap<u64, Run>,
    /// `webhook-id` → run, so a retried call does not start a second run.
    by_message: HashMap<String, u64>,
    /// Secret path → its latest version.
    versions: HashMap<String, u64>,
}

struct Run {
    started: Instant,
    url: String,
    dry_run: bool,
}

impl Demo {
    /// `Err(401)` unless the request carries a valid signature (when a secret is set).
    fn check_signature(&self, headers: &HeaderMap, body: &[u8]) -> Result<(), Error> {
        let Some(secret) = &self.secret else {
            return Ok(());
        };
        verify(secret, headers, body, DEFAULT_TOLERANCE_SECS).map_err(|reason| {
            tracing::warn!(%reason, "demo receiver refused an unsigned or badly signed call");
            Error::json(
                StatusCode::UNAUTHORIZED,
                format!("invalid webhook signature: {reason}"),
            )
        })
    }

    fn memory(&self) -> Result<MutexGuard<'_, Memory>, Error> {
        self.state
            .lock()
            .map_err(|_| Error::json(StatusCode::INTERNAL_SERVER_ERROR, "demo state unavailable"))
    }
}

/// `http://<Host>` (or https behind a proxy that says so), if the Host header is a plain host.
fn origin(headers: &HeaderMap) -> Option<String> {
    let host = headers.get(header::HOST)?.to_str().ok()?;
    let plain = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b));
    let https = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        == Some("https");
    plain.then(|| format!("{}://{host}", if https { "https" } else { "http" }))
}

async fn start_pipeline(
    State(demo): State<Demo>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Error> {
    demo.check_signature(&headers, &body)?;
    let origin = origin(&headers)
        .ok_or_else(|| Error::json(StatusCode::BAD_REQUEST, "a plain Host header is required"))?;
    let dry_run = match serde_json::from_slice::<Value>(&body) {
        Ok(v) => v.get("dry_run").and_then(Value::as_bool).unwrap_or(false),
        Err(_) if body.is_empty() => false,
        Err(_) => {
            return Err(Error::json(
                StatusCode::BAD_REQUEST,
                "the body must be JSON",
            ))
        }
    };
    let message_id = headers
        .get("webhook-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let mut memory = demo.memory()?;
    let existing = message_id
        .as_ref()
        .and_then(|m| memory.by_message.get(m).copied())
        .filter(|id| memory.runs.contains_key(id));
    let id = match existing {
        Some(id) => id,
        None => {
            memory.next_run += 1;
            let id = memory.next_run;
            let url = format!("{origin}/demo/ci/runs/{id}");
            memory.runs.insert(
                id,
                Run {
                    started: Instant::now(),
                    url,
                    dry_run,
                },
            );
            if let Some(m) = message_id {
                memory.by_message.insert(m, id);
            }
            while memory.runs.len() > MAX_ENTRIES {
                memory.runs.pop_first();
            }
            if memory.by_message.len() > MAX_ENTRIES {
                let Memory {
                    runs, by_message, ..
                } = &mut *memory;
                by_message.retain(|_, run| runs.contains_key(run));
            }
            tracing::info!(pipeline = %name, run = id, dry_run, "demo CI pipeline started");
            id
        }
    };
    let url = memory
        .runs
        .get(&id)
        .map(|r| r.url.clone())
        .unwrap_or_default();
    let answer =
        json!({"id": id.to_string(), "status": "running", "status_url": url, "web_url": url});
    Ok((StatusCode::ACCEPTED, Json(answer)).into_response())
}

async fn run_status(
    State(demo): State<Demo>,
    Path(id): Path<String>,
) -> Result<Json<Value>, Error> {
    let memory = demo.memory()?;
    let run = id
        .parse::<u64>()
        .ok()
        .and_then(|id| memory.runs.get(&id))
        .ok_or_else(|| Error::json(StatusCode::NOT_FOUND, "no such run"))?;
    if run.started.elapsed() < demo.run_time {
        return Ok(Json(json!({ "status": "running" })));
    }
    let mut outputs = vec![json!({
        "name": "pipeline", "label": "Pipeline run", "value": run.url, "kind": "link",
    })];
    if run.dry_run {
        outputs.push(json!({
            "name": "dry_run", "label": "Dry run",
            "value": "Dry run: the manifests were validated and nothing was changed.",
            "kind": "text",
        }));
    }
    Ok(Json(json!({ "status": "succeeded", "outputs": outputs })))
}

async fn store_secret(
    State(demo): State<Demo>,
    Path(path): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, Error> {
    demo.check_signature(&headers, &body)?;
    let mut memory = demo.memory()?;
    // A demo bound, not a policy: forgetting every version beats growing without limit.
    if memory.versions.len() >= MAX_ENTRIES && !memory.versions.contains_key(&path) {
        memory.versions.clear();
    }
    let version = memory.versions.entry(path.clone()).or_insert(0);
    *version += 1;
    let version = *version;
    tracing::info!(%path, version, "demo secret stored");
    Ok(Json(json!({ "version": version })))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use runway_exec::webhook::signature::sign;
    use tower::ServiceExt as _;

    const SECRET: &str = "whsec_ZGVtby1zZWNyZXQta2V5LWJ5dGVz";

    fn request(method: &str, uri: &str, body: &str, signed_as: Option<&str>) -> Request<Body> {
        let mut r = Request::builder()
            .method(method)
            .uri(uri)
            .header("host", "runway.test:3000");
        if let Some(id) = signed_as {
            let ts = chrono::Utc::now().timestamp();
            let sig = sign(SECRET, id, ts, body.as_bytes()).expect("sign");
            r = r
                .header("webhook-id", id)
                .header("webhook-timestamp", ts.to_string())
                .header("webhook-signature", sig);
        }
        r.body(Body::from(body.to_string())).expect("request")
    }

    async fn send(app: &Router, req: Request<Body>) -> (StatusCode, Value) {
        let res = app.clone().oneshot(req).await.expect("response");
        let status = res.status();
        let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
            .await
            .expect("body");
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    #[tokio::test]
    async fn unsigned_calls_are_refused_when_a_secret_is_set() {
        let app = router(Some(SECRET.to_string()));
        let (status, body) = send(
            &app,
            request("POST", "/demo/ci/pipelines/deploy", "{}", None),
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(body["error"]
            .as_str()
            .is_some_and(|e| e.contains("webhook-id")));
        let (status, _) = send(&app, request("PUT", "/demo/secrets/kv/a", "{}", None)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }

    #[tokio::test]
    async fn a_pipeline_runs_then_succeeds_and_a_retry_gets_the_same_run() {
        let app = router_with(Some(SECRET.to_string()), Duration::from_millis(50));
        let body = r#"{"service": "payments-api", "dry_run": true}"#;
        let start = || request("POST", "/demo/ci/pipelines/deploy", body, Some("msg_1"));

        let (status, first) = send(&app, start()).await;
        let (_, retry) = send(&app, start()).await;

        assert_eq!(status, StatusCode::ACCEPTED);
        assert_eq!(first["status"], "running");
        assert_eq!(
            first["status_url"],
            format!(
                "http://runway.test:3000/demo/ci/runs/{}",
                first["id"].as_str().unwrap_or_default()
            )
        );
        assert_eq!(first["web_url"], first["status_url"]);
        assert_eq!(retry["id"], first["id"]);
        let path = format!("/demo/ci/runs/{}", first["id"].as_str().unwrap_or_default());
        let (_, now) = send(&app, request("GET", &path, "", None)).await;
        assert_eq!(now, json!({"status": "running"}));
        tokio::time::sleep(Duration::from_millis(80)).await;
        let (_, later) = send(&app, request("GET", &path, "", None)).await;
        assert_eq!(later["status"], "succeeded");
        assert_eq!(later["outputs"][0]["name"], "pipeline");
        assert_eq!(later["outputs"][0]["value"], first["status_url"]);
        assert_eq!(later["outputs"][1]["name"], "dry_run");
        let (status, _) = send(&app, request("GET", "/demo/ci/runs/999", "", None)).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }

    /// The receiver and the executor agree: signature, status URL, polling, outputs.
    #[tokio::test]
    async fn the_webhook_executor_follows_a_demo_pipeline_to_success() {
        use runway_domain::duration::HumanDuration;
        use runway_domain::spec::{HttpMethod, WebhookPoll};
        use runway_exec::webhook::{call, WebhookCall, WebhookSettings};
        use runway_exec::{MemorySink, Redactor};

        let app = router_with(Some(SECRET.to_string()), Duration::from_millis(100));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("address");
        tokio::spawn(async move { axum::serve(listener, app).await });
        let settings = WebhookSettings {
            signing_secret: runway_domain::secret::Secret::new(SECRET),
            allow_hosts: vec![addr.to_string()],
            poll_interval_floor: Duration::from_millis(20),
            ..WebhookSettings::default()
        };
        let webhook = WebhookCall {
            method: HttpMethod::Post,
            url: format!("http://{addr}/demo/ci/pipelines/deploy"),
            headers: BTreeMap::new(),
            body: Some(json!({"service": "payments-api", "dry_run": false})),
            message_id: "msg_req_1".to_string(),
            poll: Some(WebhookPoll {
                interval: HumanDuration::from_secs(0),
                ..WebhookPoll::default()
            }),
            deadline: Duration::from_secs(10),
        };
        let sink = MemorySink::default();

        let outputs = call(
            &settings,
            &webhook,
            &sink,
            &Redactor::default(),
            &tokio_util::sync::CancellationToken::new(),
        )
        .await
        .expect("the pipeline succeeds");

        let run_url = format!("http://{addr}/demo/ci/runs/1");
        let found: Vec<(&str, &str)> = outputs
            .iter()
            .map(|o| (o.name.as_str(), o.value.as_str()))
            .collect();
        assert_eq!(
            found,
            [
                ("pipeline", run_url.as_str()),
                ("status_url", run_url.as_str())
            ]
        );
        assert!(sink.text().contains("status: succeeded"), "{}", sink.text());
    }

    #[tokio::test]
    async fn each_secret_write_is_a_new_version() {
        let app = router(Some(SECRET.to_string()));
        let put = |id: &str| {
            request(
                "PUT",
                "/demo/secrets/kv/staging/payments/api_key",
                r#"{"value": "s3cret"}"#,
                Some(id),
            )
        };
        assert_eq!(
            send(&app, put("msg_a")).await,
            (StatusCode::OK, json!({"version": 1}))
        );
        assert_eq!(
            send(&app, put("msg_b")).await,
            (StatusCode::OK, json!({"version": 2}))
        );
    }
}
