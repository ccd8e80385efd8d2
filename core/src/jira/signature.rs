//! Verifying a Jira webhook: `X-Hub-Signature: sha256=<hex>`, the HMAC-SHA256 of the raw body with
//! the webhook's secret (the WebSub convention Jira Cloud and Data Center admin webhooks follow).
//! Checked before anything reads the body, in constant time.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// True when `header` is `sha256=<hex of HMAC-SHA256(secret, body)>`. An empty secret verifies
/// nothing.
pub fn verify(secret: &str, body: &[u8], header: Option<&str>) -> bool {
    if secret.is_empty() {
        return false;
    }
    let Some(hex_sig) = header.and_then(|h| h.trim().strip_prefix("sha256=")) else {
        return false;
    };
    let Ok(expected) = hex::decode(hex_sig) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

/// The header value for `body`, for tests and the fake Jira.
pub fn sign(secret: &str, body: &[u8]) -> String {
    // HMAC takes keys of any length; the error cannot happen.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_published_websub_style_example_verifies() {
        // RFC 4231 test case 2: HMAC-SHA256 with key "Jefe".
        let body = b"what do ya want for nothing?";
        let header = "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
        assert!(verify("Jefe", body, Some(header)));
        assert_eq!(sign("Jefe", body), header);
    }

    #[test]
    fn tampered_bodies_wrong_secrets_and_malformed_headers_are_refused() {
        let body = br#"{"webhookEvent":"jira:issue_created"}"#;
        let good = sign("s3cret", body);
        assert!(verify("s3cret", body, Some(&good)));
        assert!(!verify(
            "s3cret",
            br#"{"webhookEvent":"jira:issue_createD"}"#,
            Some(&good)
        ));
        assert!(!verify("other", body, Some(&good)));
        assert!(!verify("", body, Some(&sign("", body))));
        assert!(!verify("s3cret", body, None));
        assert!(!verify("s3cret", body, Some("sha1=abc")));
        assert!(!verify("s3cret", body, Some("sha256=zz")));
        assert!(!verify("s3cret", body, Some(&good[..good.len() - 2])));
    }
}
