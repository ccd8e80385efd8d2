//! Verifying a call from Slack: `X-Slack-Signature: v0=<hex>`, the HMAC-SHA256 of
//! `v0:{X-Slack-Request-Timestamp}:{raw body}` with the app's signing secret, compared in constant
//! time; timestamps more than five minutes from now are refused, so a captured call cannot be
//! replayed later. <https://api.slack.com/authentication/verifying-requests-from-slack>

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How far a request's timestamp may be from now.
pub const MAX_SKEW_SECS: i64 = 5 * 60;

/// Why a call was refused (for the log; the caller only learns it was refused).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("no signing secret is configured")]
    NoSecret,
    #[error("the timestamp header is missing or not a number")]
    NoTimestamp,
    #[error("the timestamp is more than five minutes from now")]
    Stale,
    #[error("the signature header is missing or malformed")]
    NoSignature,
    #[error("the signature does not match")]
    Mismatch,
}

/// Checks one call. `now` is the current Unix time in seconds.
pub fn verify(
    secret: &str,
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    now: i64,
) -> Result<(), Refused> {
    if secret.is_empty() {
        return Err(Refused::NoSecret);
    }
    let ts_text = timestamp.map(str::trim).ok_or(Refused::NoTimestamp)?;
    let ts: i64 = ts_text.parse().map_err(|_| Refused::NoTimestamp)?;
    if (now - ts).abs() > MAX_SKEW_SECS {
        return Err(Refused::Stale);
    }
    let hex_sig = signature
        .and_then(|s| s.trim().strip_prefix("v0="))
        .ok_or(Refused::NoSignature)?;
    let expected = hex::decode(hex_sig).map_err(|_| Refused::NoSignature)?;
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).map_err(|_| Refused::NoSecret)?;
    mac.update(b"v0:");
    mac.update(ts_text.as_bytes());
    mac.update(b":");
    mac.update(body);
    mac.verify_slice(&expected).map_err(|_| Refused::Mismatch)
}

/// The signature header for `body` at `timestamp`, for tests and the fake Slack.
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(format!("v0:{timestamp}:").as_bytes());
    mac.update(body);
    format!("v0={}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    // The worked example of Slack's "Verifying requests from Slack" page.
    const SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";
    const TS: i64 = 1_531_420_618;
    const BODY: &str = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    const SIG: &str = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";

    #[test]
    fn the_documentations_example_verifies() {
        assert_eq!(sign(SECRET, TS, BODY.as_bytes()), SIG);
        assert_eq!(
            verify(
                SECRET,
                Some("1531420618"),
                Some(SIG),
                BODY.as_bytes(),
                TS + 10
            ),
            Ok(())
        );
    }

    #[test]
    fn tampered_bodies_wrong_secrets_stale_times_and_bad_headers_are_all_refused() {
        let b = BODY.as_bytes();
        let ts = Some("1531420618");
        let now = TS + 1;
        let mut tampered = BODY.to_string();
        tampered.push('x');
        assert_eq!(
            verify(SECRET, ts, Some(SIG), tampered.as_bytes(), now),
            Err(Refused::Mismatch)
        );
        assert_eq!(
            verify("another-secret", ts, Some(SIG), b, now),
            Err(Refused::Mismatch)
        );
        assert_eq!(verify("", ts, Some(SIG), b, now), Err(Refused::NoSecret));
        assert_eq!(
            verify(SECRET, ts, Some(SIG), b, TS + MAX_SKEW_SECS + 1),
            Err(Refused::Stale)
        );
        assert_eq!(
            verify(SECRET, ts, Some(SIG), b, TS - MAX_SKEW_SECS - 1),
            Err(Refused::Stale)
        );
        assert_eq!(
            verify(SECRET, None, Some(SIG), b, now),
            Err(Refused::NoTimestamp)
        );
        assert_eq!(
            verify(SECRET, Some("soon"), Some(SIG), b, now),
            Err(Refused::NoTimestamp)
        );
        assert_eq!(verify(SECRET, ts, None, b, now), Err(Refused::NoSignature));
        assert_eq!(
            verify(SECRET, ts, Some("v1=abc"), b, now),
            Err(Refused::NoSignature)
        );
        assert_eq!(
            verify(SECRET, ts, Some("v0=zz"), b, now),
            Err(Refused::NoSignature)
        );
        // The same body signed for another time does not pass with this time.
        let other = sign(SECRET, TS + 1, b);
        assert_eq!(
            verify(SECRET, ts, Some(&other), b, now),
            Err(Refused::Mismatch)
        );
    }
}
