//! [Standard Webhooks](https://www.standardwebhooks.com/) signatures: [`sign`] for the calls the
//! executor makes, [`verify`] for receivers (the demo CI system and the tests). The signed content is
//! `{id}.{timestamp}.{body}`, with HMAC-SHA256 under the secret (`whsec_<base64 key>`, or any other
//! string used as the key's raw bytes).

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use reqwest::header::HeaderMap;
use sha2::Sha256;

/// The prefix of a Standard Webhooks secret; the rest is the key in base64.
pub const SECRET_PREFIX: &str = "whsec_";
/// How far a `webhook-timestamp` may be from now for [`verify`], as the spec suggests.
pub const DEFAULT_TOLERANCE_SECS: i64 = 5 * 60;

type HmacSha256 = Hmac<Sha256>;

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
