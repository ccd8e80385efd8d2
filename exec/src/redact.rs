//! Redaction: every line an executor logs, and every error it returns, passes through a
//! [`Redactor`] holding the run's secrets, so they never reach the request log.

use base64::Engine as _;

/// Replaces secret values in text with `[redacted]`: each secret in plain form, base64 (standard
/// and URL-safe, padded or not), percent-encoded form, and as it appears inside a JSON string
/// (quotes, backslashes and newlines escaped; also with non-ASCII as `\uXXXX` and `/` as `\/`,
/// as other encoders write them). Secrets shorter than 4 characters are ignored (redacting "a"
/// would destroy every log line and protect nothing).
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
        for f in forms.into_iter().chain(json_escaped(secret)) {
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

/// The secret as it appears between the quotes of a JSON string, in the forms encoders write:
/// minimal escaping (serde_json, `JSON.stringify`), non-ASCII as `\uXXXX` (Python's default),
/// and either with `/` escaped as `\/` (PHP).
fn json_escaped(secret: &str) -> Vec<String> {
    let minimal = serde_json::to_string(secret)
        .map(|quoted| quoted[1..quoted.len() - 1].to_string())
        .unwrap_or_default();
    let mut ascii = String::with_capacity(minimal.len());
    for c in minimal.chars() {
        if c.is_ascii() {
            ascii.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                ascii.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    let mut forms = vec![minimal, ascii];
    if secret.contains('/') {
        let slashed: Vec<String> = forms.iter().map(|f| f.replace('/', "\\/")).collect();
        forms.extend(slashed);
    }
    forms
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
    fn secrets_are_redacted_as_they_appear_inside_json_strings() {
        let secret = "pa\"ss\\wörd/\nline two";
        let r = Redactor::new([secret]);
        let minimal = serde_json::json!({ "password": secret }).to_string();
        assert!(minimal.contains("\\\""), "the quote is escaped: {minimal}");
        let ascii = minimal.replace('ö', "\\u00f6");
        let slashed = ascii.replace('/', "\\/");
        for line in [minimal, ascii, slashed] {
            let out = r.redact(&line);
            assert_eq!(
                out,
                format!("{{\"password\":\"{REDACTED}\"}}"),
                "from {line}"
            );
        }
    }
}
