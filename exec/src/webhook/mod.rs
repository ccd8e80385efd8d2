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
//! - **Secrets** stay out of the log: every logged line goes through the
//!   [`Redactor`](crate::Redactor), and secret outputs found in an answer are redacted from the
//!   answer body that is logged.
//!
//! Any 2xx answer is success; anything else is the attempt's error, and the worker retries per the
//! action's `retries`.
//!
//! Modules: [`signature`] (Standard Webhooks signing and verification), [`egress`] (which addresses
//! are internal), and the call itself with its poll loop (`run`, entered through [`call`]).

pub mod egress;
mod run;
pub mod signature;

pub use egress::internal_address_kind;
pub use run::call;
pub use signature::{sign, verify, verify_parts, DEFAULT_TOLERANCE_SECS, SECRET_PREFIX};

use runway_domain::secret::Secret;
use runway_domain::spec::{HttpMethod, WebhookPoll};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Duration;

/// `[webhooks]`: how webhooks are called, for every action. Read from the configuration
/// (`RUNWAY_WEBHOOKS__<KEY>`); the fields marked "not configurable" keep their defaults there and
/// exist for tests.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebhookSettings {
    /// The Standard Webhooks secret: `whsec_<base64 key>`, or any other string used as the key's raw
    /// bytes. Empty sends calls unsigned (and says so in each request's log).
    pub signing_secret: Secret,
    /// Hosts (`ci.internal`) or host:port pairs (`127.0.0.1:8080`) that may be called even though
    /// they resolve to internal addresses. Everything else internal is refused.
    pub allow_hosts: Vec<String>,
    /// Longest one HTTP request may take, answer body included.
    #[serde(with = "runway_domain::duration::text")]
    pub timeout: Duration,
    /// Longest a connection may take to open (not configurable).
    #[serde(skip)]
    pub connect_timeout: Duration,
    /// Bytes of each answer body copied into the request log (not configurable).
    #[serde(skip)]
    pub log_body_cap: usize,
    /// Shortest time between two status requests, whatever the catalogue says (not configurable).
    #[serde(skip)]
    pub poll_interval_floor: Duration,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            signing_secret: Secret::default(),
            allow_hosts: Vec::new(),
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            log_body_cap: 4096,
            poll_interval_floor: Duration::from_secs(1),
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_debug_output_hides_the_signing_secret() {
        let settings = WebhookSettings {
            signing_secret: Secret::new("whsec_c2VjcmV0"),
            ..WebhookSettings::default()
        };
        let shown = format!("{settings:?}");
        assert!(!shown.contains("c2VjcmV0"), "{shown}");
        assert!(shown.contains("[redacted]"), "{shown}");
    }

    #[test]
    fn settings_keep_unconfigurable_defaults_when_read() {
        let read: WebhookSettings =
            serde_json::from_str(r#"{"timeout": "2m"}"#).unwrap_or_default();
        assert_eq!(read.timeout, Duration::from_secs(120));
        assert_eq!(read.poll_interval_floor, Duration::from_secs(1));
        assert_eq!(read.log_body_cap, 4096);
    }
}
