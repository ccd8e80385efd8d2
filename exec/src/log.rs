//! Where an executor's log goes: [`LogSink`] receives each (already redacted) line with its
//! [`Stream`]; [`MemorySink`] collects them for tests and for callers that store a log at the end.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// Which stream a log line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stream {
    Stdout,
    Stderr,
    /// Runway's own notes about the run ("started scripts/x.sh", "HTTP 202 Accepted", ...).
    System,
}

impl Stream {
    pub fn as_str(self) -> &'static str {
        match self {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
            Stream::System => "system",
        }
    }
}

/// Where an executor writes its log. Lines arrive already redacted (executors call
/// [`Redactor::redact`](crate::Redactor::redact) before `line`); implementations store them (the
/// request log) or collect them (tests).
#[async_trait]
pub trait LogSink: Send + Sync {
    async fn line(&self, stream: Stream, text: &str);
}

/// Collects lines in memory: for tests and for callers that store a log at the end.
#[derive(Default)]
pub struct MemorySink(pub std::sync::Mutex<Vec<(Stream, String)>>);

impl MemorySink {
    pub fn lines(&self) -> Vec<(Stream, String)> {
        self.0.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// Every line's text joined with newlines (for assertions and searches).
    pub fn text(&self) -> String {
        self.lines()
            .into_iter()
            .map(|(_, t)| t)
            .collect::<Vec<_>>()
            .join("\n")
    }
}

#[async_trait]
impl LogSink for MemorySink {
    async fn line(&self, stream: Stream, text: &str) {
        if let Ok(mut l) = self.0.lock() {
            l.push((stream, text.to_string()));
        }
    }
}
