//! Following a request until it ends, through its event stream (`/api/v1/requests/{id}/events`).
//! A dropped stream is opened again where it stopped (`Last-Event-ID`); when streams keep failing
//! the client falls back to reading the request every two seconds.

use super::{interactive, out, server_failure, Client, Failure};
use crate::api::model::RequestOut;
use futures_util::StreamExt;
use reqwest::Method;
use std::io::Write;
use std::time::Duration;

/// Marks a failure that trying again cannot fix.
const FATAL: &str = "\u{0}fatal:";

const SPINNER: [&str; 4] = ["|", "/", "-", "\\"];

/// What one `update`/`done` message says.
#[derive(Debug, serde::Deserialize)]
struct Update {
    status: String,
    #[serde(default)]
    log: Vec<Line>,
}

#[derive(Debug, serde::Deserialize, serde::Serialize)]
struct Line {
    #[serde(default)]
    id: i64,
    #[serde(default)]
    stream: String,
    line: String,
}

/// Whether, and how, to print the request's log lines while following it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrintLogs {
    /// Only a progress indicator (on a terminal).
    No,
    /// Each line as it is.
    Text,
    /// Each line as one JSON object: `{"id", "stream", "line"}`.
    Json,
}

struct Progress {
    on: bool,
    tick: usize,
    status: String,
}

impl Progress {
    fn show(&mut self, status: &str) {
        self.status = status.replace('_', " ");
        if !self.on {
            return;
        }
        self.tick = self.tick.wrapping_add(1);
        let mut err = std::io::stderr();
        let _ = write!(
            err,
            "\r{} {:<24}",
            SPINNER[self.tick % SPINNER.len()],
            self.status
        );
        let _ = err.flush();
    }

    fn clear(&self) {
        if self.on {
            let mut err = std::io::stderr();
            let _ = write!(err, "\r{:<28}\r", "");
            let _ = err.flush();
        }
    }
}

/// Follows request `id` until it is final, printing its log lines as `print_logs` says (and a
/// progress indicator on a terminal when it prints none); returns the finished request.
pub async fn until_final(
    client: &Client,
    id: i64,
    print_logs: PrintLogs,
) -> Result<RequestOut, Failure> {
    let mut progress = Progress {
        on: interactive() && print_logs == PrintLogs::No,
        tick: 0,
        status: String::new(),
    };
    let mut last_id: Option<String> = None;
    let mut failures = 0u32;
    loop {
        match stream_once(client, id, print_logs, &mut progress, &mut last_id).await {
            Ok(true) => break,
            Ok(false) => {
                // The server closed the stream early (a time limit, a restart): open it again
                // where it stopped, after a pause.
                failures = 0;
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Err(e) if e.message.starts_with(FATAL) => {
                progress.clear();
                return Err(Failure {
                    code: e.code,
                    message: e.message.trim_start_matches(FATAL).to_string(),
                });
            }
            Err(e) => {
                failures += 1;
                tracing::debug!(error = %e.message, failures, "event stream interrupted");
                if failures >= 5 {
                    // Streams keep failing (a proxy that buffers them, say): read the request.
                    let r: RequestOut = client.get(&format!("/api/v1/requests/{id}")).await?;
                    progress.show(&r.status);
                    if r.is_final {
                        break;
                    }
                }
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
        }
    }
    progress.clear();
    client.get(&format!("/api/v1/requests/{id}")).await
}

/// Reads one connection of the stream. `Ok(true)` once the request is final; `Ok(false)` when the
/// server closed the stream early (open it again).
async fn stream_once(
    client: &Client,
    id: i64,
    print_logs: PrintLogs,
    progress: &mut Progress,
    last_id: &mut Option<String>,
) -> Result<bool, Failure> {
    let mut req = client
        .request(Method::GET, &format!("/api/v1/requests/{id}/events"))
        .header("accept", "text/event-stream");
    if let Some(l) = last_id.as_deref() {
        req = req.header("last-event-id", l);
    }
    let resp = req
        .send()
        .await
        .map_err(|e| server_failure(format!("cannot follow request {id}: {e}")))?;
    if !resp.status().is_success() {
        let status = resp.status();
        let body = resp.bytes().await.unwrap_or_default();
        let f = super::problem_failure(status, &body);
        // Not found, not allowed or a refused token will not change by trying again.
        if status.is_client_error() && status.as_u16() != 429 {
            return Err(Failure {
                code: f.code,
                message: format!("{FATAL}{}", f.message),
            });
        }
        return Err(f);
    }
    let mut body = resp.bytes_stream();
    let mut buf = String::new();
    let mut ticker = tokio::time::interval(Duration::from_millis(200));
    loop {
        tokio::select! {
            chunk = body.next() => {
                let Some(chunk) = chunk else { return Ok(false) };
                let chunk = chunk.map_err(|e| server_failure(format!("the event stream broke off: {e}")))?;
                buf.push_str(&String::from_utf8_lossy(&chunk));
                // Messages end with a blank line.
                while let Some(end) = buf.find("\n\n") {
                    let message: String = buf.drain(..end + 2).collect();
                    if handle(&message, print_logs, progress, last_id)? {
                        return Ok(true);
                    }
                }
            }
            _ = ticker.tick() => {
                let status = progress.status.clone();
                progress.show(&status);
            }
        }
    }
}

/// One SSE message; true when it says the request is final.
fn handle(
    message: &str,
    print_logs: PrintLogs,
    progress: &mut Progress,
    last_id: &mut Option<String>,
) -> Result<bool, Failure> {
    let mut data = String::new();
    let mut kind = "message";
    for line in message.lines() {
        if let Some(v) = line.strip_prefix("data:") {
            data.push_str(v.trim_start());
        } else if let Some(v) = line.strip_prefix("id:") {
            *last_id = Some(v.trim().to_string());
        } else if let Some(v) = line.strip_prefix("event:") {
            kind = v.trim();
        }
    }
    if data.is_empty() {
        return Ok(false);
    }
    let update: Update = serde_json::from_str(&data)
        .map_err(|e| server_failure(format!("unexpected event from the server: {e}")))?;
    let mut o = out();
    for l in &update.log {
        match print_logs {
            PrintLogs::No => break,
            PrintLogs::Text => {
                let _ = writeln!(o, "{}", l.line);
            }
            PrintLogs::Json => {
                let _ = writeln!(o, "{}", serde_json::to_string(l).unwrap_or_default());
            }
        }
    }
    progress.show(&update.status);
    // `done` comes once everything is sent: a final request with more log lines to send gets
    // `update` messages (already marked final) first.
    Ok(kind == "done")
}
