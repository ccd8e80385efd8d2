//! The webhook executor against a real HTTP server on 127.0.0.1: signing, retries, redirects, the
//! internal-address guard, error answers, polling, redaction, timeouts and cancellation.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::{Json, Router};
use base64::Engine as _;
use hmac::{Hmac, Mac};
use runway_domain::duration::HumanDuration;
use runway_domain::secret::Secret;
use runway_domain::spec::{HttpMethod, WebhookPoll};
use runway_exec::webhook::{
    self, internal_address_kind, WebhookCall, WebhookSettings, DEFAULT_TOLERANCE_SECS,
};
use runway_exec::{MemorySink, OutputKind, Redactor, Stream};
use serde_json::{json, Value};
use sha2::Sha256;
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

const KEY: &[u8] = b"a test key of 24 bytes!!";
const ECHOED_SECRET: &str = "sup3r-s3cret-token";
const SECRET_OUTPUT: &str = "generated-Pa55word";

fn secret() -> String {
    format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(KEY)
    )
}

/// One request the test server received.
#[derive(Clone)]
struct Hit {
    method: Method,
    path: String,
    headers: HeaderMap,
    body: Bytes,
}

#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<Hit>>>);

impl Recorder {
    fn hits(&self) -> Vec<Hit> {
        self.0.lock().map(|h| h.clone()).unwrap_or_default()
    }

    fn on(&self, path: &str) -> Vec<Hit> {
        self.hits().into_iter().filter(|h| h.path == path).collect()
    }
}

async fn record(
    State(rec): State<Recorder>,
    method: Method,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_string();
    if let Ok(mut hits) = rec.0.lock() {
        hits.push(Hit {
            method,
            path: path.clone(),
            headers,
            body,
        });
    }
    match path.as_str() {
        "/hook" => (
            StatusCode::ACCEPTED,
            Json(json!({
                "echo": ECHOED_SECRET,
                "outputs": [
                    {"name": "run", "label": "Run", "value": "https://ci.example/runs/1", "kind": "link"},
                    {"name": "password", "value": SECRET_OUTPUT, "kind": "secret"}
                ]
            })),
        )
            .into_response(),
        "/broken" => (StatusCode::INTERNAL_SERVER_ERROR, "database on fire").into_response(),
        "/moved" => (StatusCode::FOUND, [("location", "/target")]).into_response(),
        "/slow" => {
            tokio::time::sleep(Duration::from_secs(10)).await;
            StatusCode::OK.into_response()
        }
        _ => StatusCode::OK.into_response(),
    }
}

/// `POST /jobs/{outcome}` starts a job; `GET /status/{outcome}` reports `running` twice, then the
/// outcome (`succeeded`, `failed`; `never` keeps running; `flaky` answers 503 once first).
async fn start_job(Path(outcome): Path<String>) -> Response {
    (
        StatusCode::ACCEPTED,
        Json(json!({"id": "1", "links": {"status": format!("/status/{outcome}")}})),
    )
        .into_response()
}

async fn job_status(
    State(rec): State<Recorder>,
    Path(outcome): Path<String>,
    headers: HeaderMap,
) -> Response {
    let path = format!("/status/{outcome}");
    let seen = rec.on(&path).len();
    if let Ok(mut hits) = rec.0.lock() {
        hits.push(Hit {
            method: Method::GET,
            path,
            headers,
            body: Bytes::new(),
        });
    }
    if outcome == "flaky" && seen == 0 {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    let state = match outcome.as_str() {
        _ if seen < 2 => "running",
        "never" => "running",
        "failed" => "failed",
        _ => "succeeded",
    };
    Json(json!({
        "state": state,
        "outputs": [{"name": "pipeline", "label": "Pipeline run", "value": "https://ci.example/p/1", "kind": "link"}]
    }))
    .into_response()
}

/// Binds first, then serves: the address is ready before the test uses it.
#[expect(clippy::expect_used, reason = "set-up failures are test failures")]
async fn serve() -> (SocketAddr, Recorder) {
    let rec = Recorder::default();
    let app = Router::new()
        .route("/jobs/{outcome}", post(start_job))
        .route("/status/{outcome}", get(job_status))
        .route("/{*path}", any(record))
        .with_state(rec.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (addr, rec)
}

fn settings(addr: SocketAddr) -> WebhookSettings {
    WebhookSettings {
        signing_secret: Secret::new(secret()),
        allow_hosts: vec![format!("127.0.0.1:{}", addr.port())],
        poll_interval_floor: Duration::from_millis(20),
        ..WebhookSettings::default()
    }
}

fn post_to(addr: SocketAddr, path: &str) -> WebhookCall {
    WebhookCall {
        method: HttpMethod::Post,
        url: format!("http://{addr}{path}"),
        headers: BTreeMap::from([("X-Service".to_string(), "payments-api".to_string())]),
        body: Some(json!({"service": "payments-api", "dry_run": false})),
        message_id: "msg_req_42".to_string(),
        poll: None,
        deadline: Duration::from_secs(10),
    }
}

fn fast_poll() -> WebhookPoll {
    WebhookPoll {
        status_url: "/links/status".to_string(),
        status: "/state".to_string(),
        interval: HumanDuration::from_secs(0),
        ..WebhookPoll::default()
    }
}

async fn run(
    settings: &WebhookSettings,
    call: &WebhookCall,
    redactor: &Redactor,
) -> (Result<Vec<runway_exec::Output>, String>, MemorySink) {
    let sink = MemorySink::default();
    let result = webhook::call(settings, call, &sink, redactor, &CancellationToken::new()).await;
    (result, sink)
}

fn header<'a>(hit: &'a Hit, name: &str) -> &'a str {
    hit.headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

#[tokio::test]
async fn calls_are_signed_and_retries_of_one_request_reuse_its_message_id() {
    let (addr, rec) = serve().await;
    let settings = settings(addr);
    let call = post_to(addr, "/hook");

    // Two attempts of the same request, as the worker makes them on a retry.
    for _ in 0..2 {
        let (result, _) = run(&settings, &call, &Redactor::default()).await;
        assert!(result.is_ok(), "{result:?}");
    }

    let hits = rec.on("/hook");
    assert_eq!(hits.len(), 2);
    for hit in &hits {
        assert_eq!(hit.method, Method::POST);
        assert_eq!(header(hit, "webhook-id"), "msg_req_42");
        assert_eq!(header(hit, "content-type"), "application/json");
        assert_eq!(header(hit, "x-service"), "payments-api");
        assert_eq!(
            serde_json::from_slice::<Value>(&hit.body).expect("json body"),
            json!({"service": "payments-api", "dry_run": false})
        );
        // The executor's own check...
        webhook::verify(&secret(), &hit.headers, &hit.body, DEFAULT_TOLERANCE_SECS)
            .expect("signature verifies");
        // ...and an independent one, straight from the spec.
        let ts: i64 = header(hit, "webhook-timestamp")
            .parse()
            .expect("unix seconds");
        assert!((chrono::Utc::now().timestamp() - ts).abs() < 60);
        let mut mac = Hmac::<Sha256>::new_from_slice(KEY).expect("key");
        mac.update(format!("msg_req_42.{ts}.").as_bytes());
        mac.update(&hit.body);
        let expected = format!(
            "v1,{}",
            base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
        );
        assert_eq!(header(hit, "webhook-signature"), expected);
        // A tampered body or another key does not verify.
        assert!(webhook::verify(&secret(), &hit.headers, b"{}", 300).is_err());
        assert!(webhook::verify("whsec_b3RoZXI=", &hit.headers, &hit.body, 300).is_err());
    }
}

#[test]
fn signatures_match_the_standard_webhooks_test_vector() {
    let signature = webhook::sign(
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        1_614_265_330,
        br#"{"test": 2432232314}"#,
    );
    assert_eq!(
        signature.as_deref(),
        Ok("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
    );
    // Without the prefix, the secret is the key's raw bytes.
    let raw = webhook::sign("plain secret", "msg_1", 1, b"").expect("signs");
    let mut mac = Hmac::<Sha256>::new_from_slice(b"plain secret").expect("key");
    mac.update(b"msg_1.1.");
    assert_eq!(
        raw,
        format!(
            "v1,{}",
            base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
        )
    );
    // Stale timestamps are refused even with a good signature.
    let stale = webhook::sign("plain secret", "msg_1", 1_000, b"x").expect("signs");
    let err = webhook::verify_parts("plain secret", "msg_1", "1000", &stale, b"x", 300);
    assert!(err.is_err_and(|e| e.contains("away from now")));
}

#[tokio::test]
async fn a_redirect_is_a_failure_and_its_target_is_never_requested() {
    let (addr, rec) = serve().await;

    let (result, sink) = run(
        &settings(addr),
        &post_to(addr, "/moved"),
        &Redactor::default(),
    )
    .await;

    assert_eq!(
        result,
        Err("answered 302 Found with a redirect to /target; redirects are not followed".into())
    );
    assert!(rec.on("/target").is_empty(), "the redirect was followed");
    assert!(sink.text().contains("answered 302 Found in "));
}

#[tokio::test]
async fn loopback_and_other_internal_addresses_are_refused_unless_allow_listed() {
    let (addr, rec) = serve().await;
    let port = addr.port();
    let locked_down = WebhookSettings {
        allow_hosts: Vec::new(),
        ..settings(addr)
    };

    for (url, refused) in [
        (format!("http://127.0.0.1:{port}/hook"), "127.0.0.1"),
        // A name is judged by what it resolves to.
        (format!("http://localhost:{port}/hook"), "localhost"),
        // IPv4-mapped IPv6 is the same loopback address in disguise.
        (
            format!("http://[::ffff:127.0.0.1]:{port}/hook"),
            "[::ffff:7f00:1]",
        ),
        // Cloud metadata: refused before any connection is tried.
        (
            "http://169.254.169.254/latest/meta-data/".to_string(),
            "169.254.169.254",
        ),
    ] {
        let call = WebhookCall {
            url,
            ..post_to(addr, "/hook")
        };
        let (result, sink) = run(&locked_down, &call, &Redactor::default()).await;
        let err = result.expect_err("refused");
        assert!(
            err.starts_with(&format!("refused to call {refused}: it resolves to ")),
            "{err}"
        );
        assert!(sink.text().contains(&err));
    }
    assert!(rec.hits().is_empty(), "a refused call reached the server");

    // The same call succeeds once the host (with its port) is allow-listed.
    let (result, _) = run(
        &settings(addr),
        &post_to(addr, "/hook"),
        &Redactor::default(),
    )
    .await;
    assert!(result.is_ok(), "{result:?}");
    // Allowing one port does not allow another.
    let other = WebhookSettings {
        allow_hosts: vec!["127.0.0.1:1".to_string()],
        ..settings(addr)
    };
    let (result, _) = run(&other, &post_to(addr, "/hook"), &Redactor::default()).await;
    assert!(result.is_err_and(|e| e.starts_with("refused to call 127.0.0.1")));
}

#[test]
fn internal_address_kinds_cover_private_shared_and_embedded_ranges() {
    let kind = |ip: &str| internal_address_kind(ip.parse::<IpAddr>().expect("ip"));
    for (ip, expected) in [
        ("127.0.0.1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("172.31.255.255", "private"),
        ("192.168.1.1", "private"),
        ("100.64.0.1", "carrier-grade NAT"),
        ("169.254.10.10", "link-local"),
        ("169.254.169.254", "cloud metadata"),
        ("0.0.0.0", "unspecified (\"this network\")"),
        ("224.0.0.1", "multicast"),
        ("255.255.255.255", "broadcast"),
        ("::1", "loopback"),
        ("::", "unspecified"),
        ("fe80::1", "link-local"),
        ("fc00::1", "unique-local (private)"),
        ("fd00:ec2::254", "cloud metadata"),
        ("ff02::1", "multicast"),
        ("::ffff:10.0.0.1", "private"),
        ("::ffff:169.254.169.254", "cloud metadata"),
        ("64:ff9b::7f00:1", "loopback"),
        ("2002:a00:1::", "private"),
    ] {
        assert_eq!(kind(ip), Some(expected), "{ip}");
    }
    for public in [
        "93.184.216.34",
        "172.32.0.1",
        "100.128.0.1",
        "2606:4700::1111",
        "::ffff:8.8.8.8",
    ] {
        assert_eq!(kind(public), None, "{public}");
    }
}

#[tokio::test]
async fn an_answer_outside_2xx_is_the_attempts_error_and_is_logged() {
    let (addr, _) = serve().await;

    let (result, sink) = run(
        &settings(addr),
        &post_to(addr, "/broken"),
        &Redactor::default(),
    )
    .await;

    assert_eq!(result, Err("answered 500 Internal Server Error".into()));
    let text = sink.text();
    assert!(
        text.contains(&format!("POST http://{addr}/broken")),
        "{text}"
    );
    assert!(text.contains("database on fire"), "{text}");
}

#[tokio::test]
async fn outputs_come_from_the_answer_and_secrets_never_reach_the_log() {
    let (addr, _) = serve().await;
    let redactor = Redactor::new([ECHOED_SECRET]);

    let (result, sink) = run(&settings(addr), &post_to(addr, "/hook"), &redactor).await;

    let outputs = result.expect("success");
    assert_eq!(outputs.len(), 2);
    assert_eq!(outputs[0].name, "run");
    assert_eq!(outputs[0].kind, OutputKind::Link);
    assert_eq!(
        outputs[1].value, SECRET_OUTPUT,
        "the requester still gets it"
    );
    let lines = sink.lines();
    assert!(lines.iter().all(|(s, _)| *s == Stream::System));
    let text = sink.text();
    assert!(text.contains(&format!("POST http://{addr}/hook")), "{text}");
    assert!(text.contains("answered 202 Accepted in "), "{text}");
    assert!(text.contains("https://ci.example/runs/1"), "{text}");
    assert!(!text.contains(ECHOED_SECRET), "{text}");
    assert!(!text.contains(SECRET_OUTPUT), "{text}");
    assert!(text.contains("[redacted]"), "{text}");
}

#[tokio::test]
async fn the_logged_answer_body_is_capped() {
    let (addr, _) = serve().await;
    let settings = WebhookSettings {
        log_body_cap: 10,
        ..settings(addr)
    };

    let (result, sink) = run(&settings, &post_to(addr, "/hook"), &Redactor::default()).await;

    assert!(result.is_ok());
    let text = sink.text();
    assert!(text.contains("more bytes not logged)"), "{text}");
    assert!(!text.contains("https://ci.example/runs/1"), "{text}");
}

#[tokio::test]
async fn unsigned_calls_are_sent_without_signature_headers_and_say_so() {
    let (addr, rec) = serve().await;
    let settings = WebhookSettings {
        signing_secret: Secret::default(),
        ..settings(addr)
    };

    let (result, sink) = run(&settings, &post_to(addr, "/hook"), &Redactor::default()).await;

    assert!(result.is_ok());
    assert!(sink.text().contains("not signed"));
    assert!(rec.on("/hook")[0]
        .headers
        .get("webhook-signature")
        .is_none());
}

#[tokio::test]
async fn polling_follows_the_job_until_it_succeeds() {
    let (addr, rec) = serve().await;
    let call = WebhookCall {
        poll: Some(fast_poll()),
        ..post_to(addr, "/jobs/succeeded")
    };

    let (result, sink) = run(&settings(addr), &call, &Redactor::default()).await;

    let outputs = result.expect("success");
    let names: Vec<&str> = outputs.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names, ["pipeline", "status_url"]);
    assert_eq!(outputs[1].value, format!("http://{addr}/status/succeeded"));
    assert_eq!(outputs[1].kind, OutputKind::Link);
    assert_eq!(outputs[1].label.as_deref(), Some("Pipeline status"));
    let polls = rec.on("/status/succeeded");
    assert_eq!(polls.len(), 3);
    for poll in &polls {
        assert_eq!(header(poll, "webhook-id"), "msg_req_42");
        // Same origin, so the call's headers come along; no body, so no content type.
        assert_eq!(header(poll, "x-service"), "payments-api");
        assert!(poll.headers.get("content-type").is_none());
        webhook::verify(&secret(), &poll.headers, b"", 300).expect("status requests are signed");
    }
    let text = sink.text();
    assert!(
        text.contains("status: running\nstatus: succeeded"),
        "{text}"
    );
    assert_eq!(
        text.matches("status: running").count(),
        1,
        "only changes are logged"
    );
}

#[tokio::test]
async fn polling_reports_a_failed_job_as_the_attempts_error() {
    let (addr, _) = serve().await;
    let call = WebhookCall {
        poll: Some(fast_poll()),
        ..post_to(addr, "/jobs/failed")
    };

    let (result, _) = run(&settings(addr), &call, &Redactor::default()).await;

    assert_eq!(result, Err("the pipeline reported failed".into()));
}

#[tokio::test]
async fn polling_rides_out_a_brief_status_outage() {
    let (addr, _) = serve().await;
    let call = WebhookCall {
        poll: Some(fast_poll()),
        ..post_to(addr, "/jobs/flaky")
    };

    let (result, sink) = run(&settings(addr), &call, &Redactor::default()).await;

    assert!(result.is_ok(), "{result:?}");
    assert!(
        sink.text()
            .contains("status request failed (answered 503 Service Unavailable); trying again"),
        "{}",
        sink.text()
    );
}

#[tokio::test]
async fn polling_gives_up_at_the_deadline() {
    let (addr, _) = serve().await;
    let call = WebhookCall {
        poll: Some(fast_poll()),
        deadline: Duration::from_millis(400),
        ..post_to(addr, "/jobs/never")
    };

    let (result, sink) = run(&settings(addr), &call, &Redactor::default()).await;

    assert_eq!(
        result,
        Err("still running after 400ms (last status `running`)".into())
    );
    assert!(sink.text().contains("still running after 400ms"));
}

#[tokio::test]
async fn a_missing_status_url_fails_the_attempt() {
    let (addr, _) = serve().await;
    let call = WebhookCall {
        poll: Some(WebhookPoll::default()),
        ..post_to(addr, "/hook")
    };

    let (result, _) = run(&settings(addr), &call, &Redactor::default()).await;

    assert_eq!(
        result,
        Err("the answer has no status URL at `/status_url`, so the job cannot be followed".into())
    );
}

#[tokio::test]
async fn a_slow_answer_times_out() {
    let (addr, _) = serve().await;
    let settings = WebhookSettings {
        timeout: Duration::from_millis(300),
        ..settings(addr)
    };
    let started = std::time::Instant::now();

    let (result, _) = run(&settings, &post_to(addr, "/slow"), &Redactor::default()).await;

    assert_eq!(result, Err("no answer within 300ms".into()));
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn cancellation_stops_the_call_at_once() {
    let (addr, _) = serve().await;
    let cancel = CancellationToken::new();
    let trigger = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        trigger.cancel();
    });
    let sink = MemorySink::default();
    let started = std::time::Instant::now();

    let result = webhook::call(
        &settings(addr),
        &post_to(addr, "/slow"),
        &sink,
        &Redactor::default(),
        &cancel,
    )
    .await;

    assert_eq!(result, Err("cancelled".into()));
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn only_http_and_https_urls_are_called() {
    let (addr, _) = serve().await;
    let call = WebhookCall {
        url: "file:///etc/passwd".to_string(),
        ..post_to(addr, "/hook")
    };

    let (result, _) = run(&settings(addr), &call, &Redactor::default()).await;

    assert_eq!(
        result,
        Err("only http and https URLs can be called, not file".into())
    );
}
