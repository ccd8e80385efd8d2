//! The webhook executor: one signed HTTP call to another system and, for systems that answer
//! "accepted" and finish later, polling the job's status URL until it reports an outcome.
//!
//! What protects whom:
//! - **The receiver** can check that a call comes from Runway and is fresh: every request is signed
//!   per [Standard Webhooks](https://www.standardwebhooks.com/) (`webhook-id`, `webhook-timestamp`,
//!   `webhook-signature`). The id is the caller's message id, the same on every retry of one
//!   request, so a receiver can drop duplicates.
//! - **Our own network** is protected from the URLs a catalogue (or a field rendered into one) names:
//!   the host is resolved first and the call is refused if *any* address is internal (loopback,
//!   private, link-local, cloud metadata, ...), unless an operator allow-listed the host. The HTTP
//!   client is then pinned to the addresses that were checked, so a second DNS answer cannot swap
//!   them (DNS rebinding), no proxy is used, and redirects are never followed (a 3xx is a failure).
//! - **Secrets** stay out of the log: every logged line goes through the [`Redactor`], and secret
//!   outputs found in an answer are redacted from the answer body that is logged.
//!
//! Any 2xx answer is success; anything else is the attempt's error, and the worker retries per the
//! action's `retries`.

use super::{parse_outputs, LogSink, Output, OutputKind, Redactor, Stream};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_TYPE, LOCATION};
use reqwest::StatusCode;
use runway_domain::spec::{HttpMethod, WebhookPoll};
use serde_json::Value;
use sha2::Sha256;
use std::collections::BTreeMap;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use url::{Host, Url};

/// The prefix of a Standard Webhooks secret; the rest is the key in base64.
pub const SECRET_PREFIX: &str = "whsec_";
/// How far a `webhook-timestamp` may be from now for [`verify`], as the spec suggests.
pub const DEFAULT_TOLERANCE_SECS: i64 = 5 * 60;
/// Most bytes of one answer that are read; the rest is dropped (and said so in the log).
const MAX_ANSWER_BYTES: usize = 1024 * 1024;
/// Status requests that may fail in a row (connection errors, 429, 5xx) before polling gives up: a
/// long job should survive a blip of its status endpoint.
const MAX_POLL_ERRORS: u32 = 3;
const USER_AGENT: &str = concat!("Runway-Webhook/", env!("CARGO_PKG_VERSION"));

type HmacSha256 = Hmac<Sha256>;

/// How webhooks are called, for every action: from configuration.
#[derive(Clone)]
pub struct WebhookSettings {
    /// The Standard Webhooks secret: `whsec_<base64 key>`, or any other string used as the key's raw
    /// bytes. `None` sends calls unsigned (and says so in each request's log).
    pub signing_secret: Option<String>,
    /// Hosts (`ci.internal`) or host:port pairs (`127.0.0.1:8080`) that may be called even though
    /// they resolve to internal addresses. Everything else internal is refused.
    pub allow_hosts: Vec<String>,
    /// Longest one HTTP request may take, answer body included.
    pub timeout: Duration,
    pub connect_timeout: Duration,
    /// Bytes of each answer body copied into the request log.
    pub log_body_cap: usize,
    /// Shortest time between two status requests, whatever the catalogue says.
    pub poll_interval_floor: Duration,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            signing_secret: None,
            allow_hosts: Vec::new(),
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            log_body_cap: 4096,
            poll_interval_floor: Duration::from_secs(1),
        }
    }
}

impl fmt::Debug for WebhookSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookSettings")
            .field(
                "signing_secret",
                &self.signing_secret.as_ref().map(|_| super::REDACTED),
            )
            .field("allow_hosts", &self.allow_hosts)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("log_body_cap", &self.log_body_cap)
            .field("poll_interval_floor", &self.poll_interval_floor)
            .finish()
    }
}

/// One call, with every template already rendered.
#[derive(Debug, Clone)]
pub struct WebhookCall {
    pub method: HttpMethod,
    pub url: String,
    pub headers: BTreeMap<String, String>,
    /// Sent as JSON when present.
    pub body: Option<Value>,
    /// The `webhook-id`: the same on every retry of one request (`msg_req_42`), so the receiver can
    /// recognise a retry of a call it already handled.
    pub message_id: String,
    pub poll: Option<WebhookPoll>,
    /// The whole call, polling included (the action's timeout).
    pub deadline: Duration,
}

/// Makes the call (and follows the job when `call.poll` says so). `Ok` carries the outputs the
/// answer reported; `Err` is a sentence for people, already redacted.
pub async fn call(
    settings: &WebhookSettings,
    call: &WebhookCall,
    sink: &dyn LogSink,
    redactor: &Redactor,
    cancel: &CancellationToken,
) -> Result<Vec<Output>, String> {
    let deadline = Instant::now() + call.deadline;
    let last_status = Mutex::new(None);
    let run = Run {
        settings,
        call,
        sink,
        redactor,
        last_status: &last_status,
    };
    let result = tokio::select! {
        biased;
        () = cancel.cancelled() => {
            run.log("cancelled").await;
            Err("cancelled".to_string())
        }
        () = tokio::time::sleep_until(deadline) => {
            let status = last_status.lock().ok().and_then(|s| s.clone());
            let msg = match status {
                Some(status) => format!(
                    "still running after {} (last status `{status}`)",
                    human(call.deadline)
                ),
                None => format!("no answer within {}", human(call.deadline)),
            };
            run.log(&msg).await;
            Err(msg)
        }
        result = run.execute() => result,
    };
    result.map_err(|msg| redactor.redact(&msg))
}

/// The `webhook-signature` value for one message: `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`.
pub fn sign(secret: &str, msg_id: &str, timestamp: i64, body: &[u8]) -> Result<String, String> {
    let tag = mac(secret, msg_id, timestamp, body)?
        .finalize()
        .into_bytes();
    Ok(format!("v1,{}", BASE64.encode(tag)))
}

/// Checks a Standard Webhooks signature from request headers (for receivers: the demo CI and
/// tests). The timestamp must be within `tolerance_secs` of now; any one of the space-separated
/// `v1,` signatures must match (compared in constant time).
pub fn verify(
    secret: &str,
    headers: &HeaderMap,
    body: &[u8],
    tolerance_secs: i64,
) -> Result<(), String> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| format!("the `{name}` header is missing"))
    };
    verify_parts(
        secret,
        header("webhook-id")?,
        header("webhook-timestamp")?,
        header("webhook-signature")?,
        body,
        tolerance_secs,
    )
}

/// [`verify`] with the three header values given separately.
pub fn verify_parts(
    secret: &str,
    msg_id: &str,
    timestamp: &str,
    signatures: &str,
    body: &[u8],
    tolerance_secs: i64,
) -> Result<(), String> {
    let ts: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| "`webhook-timestamp` is not a Unix time in seconds".to_string())?;
    let tolerance = u64::try_from(tolerance_secs).unwrap_or(0);
    if chrono::Utc::now().timestamp().abs_diff(ts) > tolerance {
        return Err(format!(
            "`webhook-timestamp` is more than {tolerance_secs}s away from now"
        ));
    }
    let expected = mac(secret, msg_id, ts, body)?;
    let matches = signatures
        .split_whitespace()
        .filter_map(|s| s.strip_prefix("v1,"))
        .filter_map(|b64| BASE64.decode(b64).ok())
        .any(|tag| expected.clone().verify_slice(&tag).is_ok());
    if matches {
        Ok(())
    } else {
        Err("no `webhook-signature` matches".to_string())
    }
}

fn mac(secret: &str, msg_id: &str, timestamp: i64, body: &[u8]) -> Result<HmacSha256, String> {
    let key = match secret.strip_prefix(SECRET_PREFIX) {
        Some(b64) => BASE64.decode(b64.trim()).map_err(|_| {
            format!("the signing secret starts with `{SECRET_PREFIX}` but the rest is not base64")
        })?,
        None => secret.as_bytes().to_vec(),
    };
    if key.is_empty() {
        return Err("the signing secret is empty".to_string());
    }
    let mut mac = HmacSha256::new_from_slice(&key)
        .map_err(|_| "the signing secret cannot be used as an HMAC key".to_string())?;
    mac.update(format!("{msg_id}.{timestamp}.").as_bytes());
    mac.update(body);
    Ok(mac)
}

/// Why a call to `ip` is refused without an allow-list entry (`"loopback"`), or `None` for a public
/// address. IPv4 addresses embedded in IPv6 ones (mapped, compatible, NAT64, 6to4) are judged as the
/// IPv4 address they carry.
pub fn internal_address_kind(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => v4_kind(v4),
        IpAddr::V6(v6) => v6_kind(v6),
    }
}

fn v4_kind(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    let kind = match (a, b, c) {
        _ if ip == Ipv4Addr::new(169, 254, 169, 254) => "cloud metadata",
        _ if ip.is_broadcast() => "broadcast",
        (0, _, _) => "unspecified (\"this network\")",
        (127, _, _) => "loopback",
        (10, _, _) | (172, 16..=31, _) | (192, 168, _) => "private",
        (100, 64..=127, _) => "carrier-grade NAT",
        (169, 254, _) => "link-local",
        (192, 0, 0) => "IETF protocol assignment",
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => "documentation",
        (198, 18..=19, _) => "benchmarking",
        (224..=239, _, _) => "multicast",
        (240..=255, _, _) => "reserved",
        _ => return None,
    };
    Some(kind)
}

fn v6_kind(ip: Ipv6Addr) -> Option<&'static str> {
    let s = ip.segments();
    let embedded =
        |hi: u16, lo: u16| Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8);
    if let Some(v4) = ip.to_ipv4_mapped() {
        return v4_kind(v4);
    }
    let kind = match s {
        _ if ip.is_unspecified() => "unspecified",
        _ if ip.is_loopback() => "loopback",
        [0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x0254] => "cloud metadata",
        // IPv4-compatible (deprecated) and NAT64 addresses carry an IPv4 address in the last 32 bits.
        [0, 0, 0, 0, 0, 0, hi, lo] | [0x0064, 0xff9b, 0, 0, 0, 0, hi, lo] => {
            return v4_kind(embedded(hi, lo));
        }
        // 6to4 carries it in bits 16..48.
        [0x2002, hi, lo, ..] => return v4_kind(embedded(hi, lo)),
        [first, ..] if first & 0xffc0 == 0xfe80 => "link-local",
        [first, ..] if first & 0xfe00 == 0xfc00 => "unique-local (private)",
        [first, ..] if first & 0xff00 == 0xff00 => "multicast",
        [0x2001, 0x0db8, ..] => "documentation",
        _ => return None,
    };
    Some(kind)
}

/// One request's failure: its message, and whether trying the same request again may help (used
/// while polling).
struct Failure {
    message: String,
    transient: bool,
}

impl Failure {
    fn fatal(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            transient: false,
        }
    }

    fn transient(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            transient: true,
        }
    }
}

/// Where to connect: the addresses that passed the check, pinned for the host name (if any).
struct Target {
    domain: Option<String>,
    addrs: Vec<SocketAddr>,
}

/// What came back.
struct Answer {
    status: StatusCode,
    location: Option<String>,
    body: Vec<u8>,
    /// The body was longer than [`MAX_ANSWER_BYTES`] and was cut.
    truncated: bool,
    json: Option<Value>,
    elapsed: Duration,
}

impl Answer {
    /// `202 Accepted`.
    fn status_words(&self) -> String {
        match self.status.canonical_reason() {
            Some(reason) => format!("{} {reason}", self.status.as_u16()),
            None => self.status.as_u16().to_string(),
        }
    }

    /// Non-2xx answers as failures: redirects are never followed, 429 and 5xx may pass.
    fn require_success(self) -> Result<Self, Failure> {
        let status = self.status;
        if status.is_success() {
            return Ok(self);
        }
        let words = self.status_words();
        if status.is_redirection() {
            let msg = match &self.location {
                Some(to) => {
                    format!("answered {words} with a redirect to {to}; redirects are not followed")
                }
                None => format!("answered {words}; redirects are not followed"),
            };
            return Err(Failure::fatal(msg));
        }
        let msg = format!("answered {words}");
        if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
            Err(Failure::transient(msg))
        } else {
            Err(Failure::fatal(msg))
        }
    }
}

/// One call in progress: settings, the call, where its log goes.
struct Run<'a> {
    settings: &'a WebhookSettings,
    call: &'a WebhookCall,
    sink: &'a dyn LogSink,
    redactor: &'a Redactor,
    /// The latest status seen while polling, for the deadline message.
    last_status: &'a Mutex<Option<String>>,
}

impl Run<'_> {
    async fn log(&self, text: &str) {
        self.sink
            .line(Stream::System, &self.redactor.redact(text))
            .await;
    }

    async fn execute(&self) -> Result<Vec<Output>, String> {
        if self.settings.signing_secret.is_none() {
            self.log("no signing secret is configured: this call is not signed")
                .await;
        }
        let url = parse_url(&self.call.url)?;
        let body = match &self.call.body {
            Some(v) => Some(
                serde_json::to_vec(v).map_err(|e| format!("the body is not valid JSON: {e}"))?,
            ),
            None => None,
        };
        self.log(&format!("{} {url}", self.call.method.as_str()))
            .await;
        let sent = self
            .send(self.call.method, &url, body.as_deref(), &self.call.headers)
            .await;
        let answer = match sent {
            Ok(answer) => answer,
            Err(f) => {
                self.log(&f.message).await;
                return Err(f.message);
            }
        };
        self.log_answer(&answer).await;
        let answer = answer.require_success().map_err(|f| f.message)?;
        match &self.call.poll {
            None => Ok(self.outputs_of(&answer).await),
            Some(poll) => self.follow(poll, &url, &answer).await,
        }
    }

    /// Polls the status URL named in `first` until the job reports an outcome.
    async fn follow(
        &self,
        poll: &WebhookPoll,
        url: &Url,
        first: &Answer,
    ) -> Result<Vec<Output>, String> {
        let raw = first
            .json
            .as_ref()
            .and_then(|v| v.pointer(&poll.status_url))
            .and_then(Value::as_str)
            .ok_or_else(|| {
                format!(
                    "the answer has no status URL at `{}`, so the job cannot be followed",
                    poll.status_url
                )
            })?;
        // A relative status URL is relative to the URL that was called.
        let status_url = url
            .join(raw)
            .map_err(|e| format!("the status URL `{raw}` is not valid: {e}"))
            .and_then(|u| parse_url(u.as_str()))?;
        let interval =
            Duration::from_secs(poll.interval.as_secs()).max(self.settings.poll_interval_floor);
        self.log(&format!(
            "following the job at {status_url} every {}",
            human(interval)
        ))
        .await;
        // Custom headers (often credentials) go only to the origin they were written for.
        let no_headers = BTreeMap::new();
        let headers = if status_url.origin() == url.origin() {
            &self.call.headers
        } else {
            &no_headers
        };
        let mut errors = 0;
        let mut last: Option<String> = None;
        loop {
            tokio::time::sleep(interval).await;
            let result = match self.send(HttpMethod::Get, &status_url, None, headers).await {
                // Routine answers stay out of the log; error answers go in.
                Ok(a) if a.status.is_success() => Ok(a),
                Ok(a) => {
                    self.log_answer(&a).await;
                    a.require_success()
                }
                Err(f) => Err(f),
            };
            let answer = match result {
                Ok(a) => {
                    errors = 0;
                    a
                }
                Err(f) => {
                    errors += 1;
                    self.poll_error(f, errors).await?;
                    continue;
                }
            };
            let Some(status) = answer
                .json
                .as_ref()
                .and_then(|v| v.pointer(&poll.status))
                .map(|v| runway_domain::template::value_text(Some(v)))
            else {
                self.log_answer(&answer).await;
                return Err(format!(
                    "the status answer has no status at `{}`",
                    poll.status
                ));
            };
            if last.as_deref() != Some(status.as_str()) {
                self.log(&format!("status: {status}")).await;
                if let Ok(mut shared) = self.last_status.lock() {
                    *shared = Some(status.clone());
                }
                last = Some(status.clone());
            }
            if poll.success.contains(&status) {
                self.log_answer(&answer).await;
                let mut outputs = self.outputs_of(&answer).await;
                if !outputs.iter().any(|o| o.name == "status_url") {
                    outputs.push(Output {
                        name: "status_url".to_string(),
                        label: Some("Pipeline status".to_string()),
                        value: status_url.to_string(),
                        kind: OutputKind::Link,
                    });
                }
                return Ok(outputs);
            }
            if poll.failure.contains(&status) {
                self.log_answer(&answer).await;
                return Err(format!("the pipeline reported {status}"));
            }
        }
    }

    /// Logs a failed status request; gives up (`Err`) unless it may pass and few failed in a row.
    async fn poll_error(&self, failure: Failure, in_a_row: u32) -> Result<(), String> {
        if failure.transient && in_a_row < MAX_POLL_ERRORS {
            let msg = format!("status request failed ({}); trying again", failure.message);
            self.log(&msg).await;
            Ok(())
        } else {
            let msg = format!("status request failed: {}", failure.message);
            self.log(&msg).await;
            Err(msg)
        }
    }

    /// One signed request to a checked address. Logs nothing: the caller decides what is worth it.
    async fn send(
        &self,
        method: HttpMethod,
        url: &Url,
        body: Option<&[u8]>,
        headers: &BTreeMap<String, String>,
    ) -> Result<Answer, Failure> {
        let target = self.checked_target(url).await?;
        let client = self.client(&target)?;
        let mut request_headers = HeaderMap::new();
        for (name, value) in headers {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| Failure::fatal(format!("`{name}` is not a valid header name")))?;
            let value = HeaderValue::from_str(value).map_err(|_| {
                Failure::fatal(format!("the value of header `{name}` is not valid in HTTP"))
            })?;
            request_headers.insert(name, value);
        }
        if body.is_some() {
            request_headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
        self.sign_into(&mut request_headers, body.unwrap_or_default())?;
        let mut request = client
            .request(reqwest_method(method), url.clone())
            .headers(request_headers);
        if let Some(body) = body {
            request = request.body(body.to_vec());
        }
        let started = Instant::now();
        let mut response = request
            .send()
            .await
            .map_err(|e| self.transport_failure(e, url))?;
        let status = response.status();
        let location = response
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let mut body = Vec::new();
        let mut truncated = false;
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| self.transport_failure(e, url))?
        {
            let room = MAX_ANSWER_BYTES - body.len();
            if chunk.len() > room {
                body.extend_from_slice(&chunk[..room]);
                truncated = true;
                break;
            }
            body.extend_from_slice(&chunk);
        }
        let json = serde_json::from_slice(&body).ok();
        Ok(Answer {
            status,
            location,
            body,
            truncated,
            json,
            elapsed: started.elapsed(),
        })
    }

    /// Adds the Standard Webhooks headers (a fresh timestamp on every request).
    fn sign_into(&self, headers: &mut HeaderMap, body: &[u8]) -> Result<(), Failure> {
        let Some(secret) = &self.settings.signing_secret else {
            return Ok(());
        };
        let id = &self.call.message_id;
        let timestamp = chrono::Utc::now().timestamp();
        let signature = sign(secret, id, timestamp, body).map_err(Failure::fatal)?;
        let value = |text: &str| {
            HeaderValue::from_str(text)
                .map_err(|_| Failure::fatal(format!("`{text}` cannot be sent as a webhook header")))
        };
        headers.insert("webhook-id", value(id)?);
        headers.insert("webhook-timestamp", value(&timestamp.to_string())?);
        headers.insert("webhook-signature", value(&signature)?);
        Ok(())
    }

    /// Resolves the URL's host and refuses internal addresses unless the host is allow-listed.
    async fn checked_target(&self, url: &Url) -> Result<Target, Failure> {
        let port = url
            .port_or_known_default()
            .ok_or_else(|| Failure::fatal(format!("{url} names no port")))?;
        let (domain, ips): (Option<String>, Vec<IpAddr>) = match url.host() {
            None => return Err(Failure::fatal(format!("{url} names no host"))),
            Some(Host::Ipv4(ip)) => (None, vec![IpAddr::V4(ip)]),
            Some(Host::Ipv6(ip)) => (None, vec![IpAddr::V6(ip)]),
            Some(Host::Domain(domain)) => {
                let found = tokio::net::lookup_host((domain, port))
                    .await
                    .map_err(|e| Failure::transient(format!("could not resolve {domain}: {e}")))?;
                let mut ips: Vec<IpAddr> = Vec::new();
                for addr in found {
                    if !ips.contains(&addr.ip()) {
                        ips.push(addr.ip());
                    }
                }
                (Some(domain.to_string()), ips)
            }
        };
        let host = url.host_str().unwrap_or_default();
        if ips.is_empty() {
            return Err(Failure::transient(format!("{host} resolves to no address")));
        }
        if !self.is_allowed(host, port) {
            for ip in &ips {
                if let Some(kind) = internal_address_kind(*ip) {
                    return Err(Failure::fatal(format!(
                        "refused to call {host}: it resolves to {ip} ({kind} address); \
                         an operator can allow the host in webhooks.allow_hosts"
                    )));
                }
            }
        }
        Ok(Target {
            domain,
            addrs: ips
                .into_iter()
                .map(|ip| SocketAddr::new(ip, port))
                .collect(),
        })
    }

    fn is_allowed(&self, host: &str, port: u16) -> bool {
        let with_port = format!("{host}:{port}");
        self.settings.allow_hosts.iter().any(|entry| {
            let entry = entry.trim();
            entry.eq_ignore_ascii_case(host) || entry.eq_ignore_ascii_case(&with_port)
        })
    }

    /// A client for this one request: pinned to the checked addresses, no proxy, no redirects.
    fn client(&self, target: &Target) -> Result<reqwest::Client, Failure> {
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(self.settings.timeout)
            .connect_timeout(self.settings.connect_timeout)
            .user_agent(USER_AGENT);
        if let Some(domain) = &target.domain {
            builder = builder.resolve_to_addrs(domain, &target.addrs);
        }
        builder
            .build()
            .map_err(|e| Failure::fatal(format!("could not prepare the HTTP client: {e}")))
    }

    fn transport_failure(&self, error: reqwest::Error, url: &Url) -> Failure {
        let host = url.host_str().unwrap_or_default();
        let message = if error.is_connect() && error.is_timeout() {
            format!(
                "could not connect to {host} within {}",
                human(self.settings.connect_timeout)
            )
        } else if error.is_timeout() {
            format!("no answer within {}", human(self.settings.timeout))
        } else if error.is_connect() {
            format!("could not connect to {host}: {}", error_chain(&error))
        } else {
            format!("the request to {host} failed: {}", error_chain(&error))
        };
        Failure::transient(message)
    }

    /// Logs `answered 202 Accepted in 35 ms` and the start of the body.
    async fn log_answer(&self, answer: &Answer) {
        self.log(&format!(
            "answered {} in {} ms",
            answer.status_words(),
            answer.elapsed.as_millis()
        ))
        .await;
        if answer.body.is_empty() {
            return;
        }
        // Secret outputs in the answer are shown to the requester once, never in the log.
        let mut redactor = self.redactor.clone();
        let outputs = answer
            .json
            .as_ref()
            .and_then(|v| v.get("outputs"))
            .and_then(Value::as_array);
        for item in outputs.into_iter().flatten() {
            if item.get("kind").and_then(Value::as_str) == Some("secret") {
                if let Some(secret) = item.get("value").and_then(Value::as_str) {
                    redactor.add(secret);
                    // As it appears inside the JSON text, quotes and backslashes escaped.
                    let escaped = Value::String(secret.to_string()).to_string();
                    redactor.add(escaped.trim_matches('"'));
                }
            }
        }
        let text = redactor.redact(&String::from_utf8_lossy(&answer.body));
        let mut cut = self.settings.log_body_cap.min(text.len());
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        for line in text[..cut].lines() {
            self.sink.line(Stream::System, line).await;
        }
        if cut < text.len() || answer.truncated {
            let more = if answer.truncated {
                "the rest of the answer".to_string()
            } else {
                format!("{} more bytes", text.len() - cut)
            };
            self.sink
                .line(Stream::System, &format!("… ({more} not logged)"))
                .await;
        }
    }

    /// The outputs an answer reports (`{"outputs": [...]}` among its fields). A malformed list is
    /// logged and ignored: the remote work is done, and failing would only make a retry redo it.
    async fn outputs_of(&self, answer: &Answer) -> Vec<Output> {
        let Some(list) = answer.json.as_ref().and_then(|v| v.get("outputs")) else {
            return Vec::new();
        };
        match parse_outputs(&serde_json::json!({ "outputs": list }).to_string()) {
            Ok(outputs) => outputs,
            Err(e) => {
                self.log(&format!("ignored the outputs in the answer: {e}"))
                    .await;
                Vec::new()
            }
        }
    }
}

/// An absolute http(s) URL.
fn parse_url(text: &str) -> Result<Url, String> {
    let url = Url::parse(text.trim()).map_err(|e| format!("`{text}` is not a valid URL: {e}"))?;
    match url.scheme() {
        "http" | "https" => Ok(url),
        other => Err(format!(
            "only http and https URLs can be called, not {other}"
        )),
    }
}

fn reqwest_method(method: HttpMethod) -> reqwest::Method {
    match method {
        HttpMethod::Get => reqwest::Method::GET,
        HttpMethod::Post => reqwest::Method::POST,
        HttpMethod::Put => reqwest::Method::PUT,
        HttpMethod::Patch => reqwest::Method::PATCH,
        HttpMethod::Delete => reqwest::Method::DELETE,
    }
}

/// The error and its causes, without the URL (which may carry values the caller redacts anyway).
fn error_chain(error: &reqwest::Error) -> String {
    let mut parts = Vec::new();
    let mut source = std::error::Error::source(error);
    while let Some(e) = source {
        let text = e.to_string();
        if !parts.contains(&text) {
            parts.push(text);
        }
        source = e.source();
    }
    if parts.is_empty() {
        "unknown error".to_string()
    } else {
        parts.join(": ")
    }
}

use runway_domain::duration::elapsed as human;
