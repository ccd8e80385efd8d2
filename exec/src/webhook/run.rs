//! One webhook call in progress: the signed request to a checked address, the answer and its
//! outputs, and the poll loop that follows a job until its status URL reports an outcome.

use super::egress::{internal_address_kind, is_allowed};
use super::signature::sign;
use super::{WebhookCall, WebhookSettings};
use crate::{parse_outputs, LogSink, Output, OutputKind, Redactor, Stream};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_TYPE, LOCATION};
use reqwest::StatusCode;
use runway_domain::duration::elapsed as human;
use runway_domain::spec::{HttpMethod, WebhookPoll};
use serde_json::Value;
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use url::{Host, Url};

/// Most bytes of one answer that are read; the rest is dropped (and said so in the log).
const MAX_ANSWER_BYTES: usize = 1024 * 1024;
/// Status requests that may fail in a row (connection errors, 429, 5xx) before polling gives up: a
/// long job should survive a blip of its status endpoint.
const MAX_POLL_ERRORS: u32 = 3;
const USER_AGENT: &str = concat!("Runway-Webhook/", env!("CARGO_PKG_VERSION"));

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
        if self.settings.signing_secret.configured().is_none() {
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
        let Some(secret) = self.settings.signing_secret.configured() else {
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
        if !is_allowed(&self.settings.allow_hosts, host, port) {
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
