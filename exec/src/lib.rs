//! Executors: what carries out a request. Each executor kind (`script`, `webhook`) has a module
//! here with a single entry point; [`crate::queue::handler`] dispatches jobs to them. `manual`
//! requests have no executor: a person fulfils them from the inbox.
//!
//! Shared pieces: [`LogSink`] (where output lines go), [`Redactor`] (removes secret values from
//! everything logged), and [`Output`] (what a run reports back: values, links and secrets).

pub mod handler;
pub mod script;
pub mod webhook;

use async_trait::async_trait;
use base64::Engine as _;
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
/// [`Redactor::redact`] before `line`); implementations store them (the request log) or collect
/// them (tests).
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

/// Replaces secret values in text with `[redacted]`: each secret in plain form, base64 (standard
/// and URL-safe, padded or not) and percent-encoded form. Secrets shorter than 4 characters are
/// ignored (redacting "a" would destroy every log line and protect nothing).
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    needles: Vec<String>,
}

pub const REDACTED: &str = "[redacted]";

impl Redactor {
    pub fn new<I, S>(secrets: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut r = Self::default();
        for s in secrets {
            r.add(s.as_ref());
        }
        r
    }

    /// Adds a secret (and its encoded forms) to redact from now on.
    pub fn add(&mut self, secret: &str) {
        if secret.chars().count() < 4 {
            return;
        }
        let b = secret.as_bytes();
        let forms = [
            secret.to_string(),
            base64::engine::general_purpose::STANDARD.encode(b),
            base64::engine::general_purpose::STANDARD_NO_PAD.encode(b),
            base64::engine::general_purpose::URL_SAFE.encode(b),
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b),
            url::form_urlencoded::byte_serialize(b).collect::<String>(),
            percent_encode_all(secret),
        ];
        for f in forms {
            if !f.is_empty() && !self.needles.contains(&f) {
                self.needles.push(f);
            }
        }
        // Longest first, so a form that contains another is replaced whole.
        self.needles.sort_by_key(|n| std::cmp::Reverse(n.len()));
    }

    pub fn is_empty(&self) -> bool {
        self.needles.is_empty()
    }

    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for n in &self.needles {
            if out.contains(n.as_str()) {
                out = out.replace(n.as_str(), REDACTED);
            }
        }
        out
    }
}

/// `%20`-style encoding of everything except unreserved characters (RFC 3986), as many clients use.
fn percent_encode_all(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// What kind of value an output is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum OutputKind {
    /// Plain text (shown as is; multi-line values such as certificates in a code block).
    #[default]
    Text,
    /// A URL, rendered as a link (http and https only).
    Link,
    /// Shown only to the requester, once; encrypted at rest and deleted after it was shown.
    Secret,
}

/// One result a run reports: `{"name": "clone_url", "label": "Clone URL", "value": "...",
/// "kind": "link"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Output {
    pub name: String,
    #[serde(default)]
    pub label: Option<String>,
    pub value: String,
    #[serde(default)]
    pub kind: OutputKind,
}

/// Most outputs one run may report, and the largest value (a certificate chain fits easily).
pub const MAX_OUTPUTS: usize = 50;
pub const MAX_OUTPUT_VALUE_BYTES: usize = 64 * 1024;

/// Parses the outputs file a script wrote (or a webhook's answer): `{"outputs": [Output, ...]}`.
/// Names are snake_case identifiers of at most 48 characters, unique; links must be http(s).
pub fn parse_outputs(json: &str) -> Result<Vec<Output>, String> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct File {
        outputs: Vec<Output>,
    }
    let file: File = serde_json::from_str(json).map_err(|e| {
        format!("the outputs file is not valid: {e} (expected {{\"outputs\": [{{\"name\": ..., \"value\": ..., \"kind\": \"text\"|\"link\"|\"secret\"}}]}})")
    })?;
    if file.outputs.len() > MAX_OUTPUTS {
        return Err(format!(
            "the outputs file lists {} outputs; at most {MAX_OUTPUTS} are kept",
            file.outputs.len()
        ));
    }
    let mut seen = std::collections::BTreeSet::new();
    for o in &file.outputs {
        let ok_name = !o.name.is_empty()
            && o.name.len() <= 48
            && o.name.starts_with(|c: char| c.is_ascii_lowercase())
            && o.name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !ok_name {
            return Err(format!(
                "output name `{}` must be snake_case (a-z, 0-9, _), starting with a letter, at most 48 characters",
                o.name
            ));
        }
        if !seen.insert(o.name.clone()) {
            return Err(format!("output `{}` is listed twice", o.name));
        }
        if o.value.len() > MAX_OUTPUT_VALUE_BYTES {
            return Err(format!(
                "output `{}` is larger than {MAX_OUTPUT_VALUE_BYTES} bytes",
                o.name
            ));
        }
        if o.kind == OutputKind::Link
            && !(o.value.starts_with("https://") || o.value.starts_with("http://"))
        {
            return Err(format!(
                "output `{}` is a link but its value is not an http(s) URL",
                o.name
            ));
        }
    }
    Ok(file.outputs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted_in_plain_base64_and_url_encoded_forms() {
        let secret = "p@ss w0rd/+=?";
        let r = Redactor::new([secret]);
        let b64 = base64::engine::general_purpose::STANDARD.encode(secret);
        let b64url = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret);
        let form = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect::<String>();
        let pct = percent_encode_all(secret);
        for leaked in [secret.to_string(), b64, b64url, form, pct] {
            let line = format!("token={leaked} end");
            let out = r.redact(&line);
            assert!(!out.contains(&leaked), "{leaked} survived in {out}");
            assert_eq!(out, format!("token={REDACTED} end"));
        }
        assert_eq!(r.redact("nothing secret here"), "nothing secret here");
    }

    #[test]
    fn outputs_files_are_checked() {
        let ok = parse_outputs(
            r#"{"outputs": [{"name": "clone_url", "value": "https://x/y", "kind": "link"},
                             {"name": "password", "value": "s3cret", "kind": "secret"},
                             {"name": "note", "value": "hi"}]}"#,
        )
        .expect("valid");
        assert_eq!(ok.len(), 3);
        assert_eq!(ok[2].kind, OutputKind::Text);
        assert!(parse_outputs("not json").is_err());
        assert!(parse_outputs(r#"{"outputs": [{"name": "Bad-Name", "value": "x"}]}"#).is_err());
        assert!(parse_outputs(
            r#"{"outputs": [{"name": "a", "value": "x"}, {"name": "a", "value": "y"}]}"#
        )
        .is_err());
        assert!(parse_outputs(
            r#"{"outputs": [{"name": "l", "value": "javascript:alert(1)", "kind": "link"}]}"#
        )
        .is_err());
    }
}
