//! Checks made before anything else runs (outside sessions, sign-in and CSRF): the request names a
//! host Runway answers to, and its body is not larger than any handler reads.
//!
//! - [`check_host`]: DNS rebinding. A page on `evil.test` whose name a resolver has re-pointed at
//!   `127.0.0.1` talks to a development server as its own origin (`Sec-Fetch-Site: same-origin`),
//!   so without this check it could sign in as the admin demo user and run actions. Only the hosts
//!   of [`AllowedHosts`] are served; others get 421 Misdirected Request. `/healthz`, `/readyz` and
//!   `/metrics` stay host-agnostic: load balancers, orchestrators and Prometheus reach pods by
//!   address, and none of them reads a session or changes anything (`/metrics` needs its own
//!   bearer token, which a rebinding page does not have).
//! - [`limit_body`]: a request body is read up to [`BODY_LIMIT`] before the router sees it; a larger
//!   one gets 413 (server functions would otherwise fail to deserialise it and answer 500). The one
//!   exception is Discover's upload (`POST /admin/discover/upload`), streamed to a file under
//!   `discover::UPLOAD_LIMIT`.

use crate::api::problem::Problem;
use crate::error::Error;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use runway_core::config::Settings;
use std::net::SocketAddr;
use std::sync::Arc;

/// The largest request body Runway reads (axum's default limit for its extractors, 2 MiB).
pub const BODY_LIMIT: usize = 2 * 1024 * 1024;

/// One host Runway answers to: a lower-case name (IPv6 in brackets) and, if fixed, its port.
#[derive(Debug, Clone, PartialEq, Eq)]
struct HostRule {
    name: String,
    /// `None`: any port.
    port: Option<u16>,
}

/// The hosts a request may name in `Host` (or the HTTP/2 authority).
#[derive(Debug, Clone)]
pub struct AllowedHosts {
    rules: Arc<Vec<HostRule>>,
}

impl AllowedHosts {
    /// `public_url`'s host (its port, or the scheme's default), every `allowed_hosts` entry, and,
    /// in development or without `public_url`, `127.0.0.1`, `localhost` and `[::1]` on the port
    /// actually bound (`bound`), plus the listen address itself when it is a specific one.
    pub fn from_settings(settings: &Settings, bound: SocketAddr) -> Self {
        let mut rules = Vec::new();
        if !settings.public_url.is_empty() {
            let origin = settings.public_origin(None);
            let default_port = if settings.is_https() { 443 } else { 80 };
            let authority = origin.split_once("://").map_or(origin.as_str(), |(_, a)| a);
            if let Some((name, port)) = runway_core::config::split_authority(authority) {
                rules.push(HostRule {
                    name,
                    port: Some(port.unwrap_or(default_port)),
                });
            }
        }
        for entry in &settings.allowed_hosts {
            if let Some((name, port)) = runway_core::config::split_authority(entry) {
                rules.push(HostRule { name, port });
            }
        }
        if settings.public_url.is_empty() || settings.auth.dev_mode() {
            let port = Some(bound.port());
            for name in ["127.0.0.1", "localhost", "[::1]"] {
                rules.push(HostRule {
                    name: name.to_string(),
                    port,
                });
            }
            if !bound.ip().is_unspecified() && !bound.ip().is_loopback() {
                let name = match bound {
                    SocketAddr::V4(a) => a.ip().to_string(),
                    SocketAddr::V6(a) => format!("[{}]", a.ip()),
                };
                rules.push(HostRule { name, port });
            }
        }
        Self {
            rules: Arc::new(rules),
        }
    }

    /// True when `authority` (`name[:port]`, as in `Host`) is one of ours. A missing port means the
    /// scheme's default, which only a rule without a port, or with that default, matches.
    pub fn allows(&self, authority: &str, https: bool) -> bool {
        let Some((name, port)) = runway_core::config::split_authority(authority) else {
            return false;
        };
        let port = port.unwrap_or(if https { 443 } else { 80 });
        self.rules
            .iter()
            .any(|r| r.name == name && r.port.is_none_or(|p| p == port))
    }
}

/// State of [`check_host`].
#[derive(Clone)]
pub struct HostCheck {
    pub allowed: AllowedHosts,
    pub https: bool,
}

/// Refuses requests naming a host Runway does not answer to (421), except the health endpoints and
/// the metrics.
pub async fn check_host(
    State(check): State<HostCheck>,
    req: Request,
    next: Next,
) -> Result<Response, Error> {
    if matches!(req.uri().path(), "/healthz" | "/readyz" | "/metrics") {
        return Ok(next.run(req).await);
    }
    // HTTP/2 carries the host in the request target; HTTP/1.1 in `Host`.
    let host = req
        .uri()
        .authority()
        .map(|a| a.as_str().to_string())
        .or_else(|| {
            req.headers()
                .get(header::HOST)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        });
    match host {
        Some(h) if check.allowed.allows(&h, check.https) => Ok(next.run(req).await),
        host => {
            tracing::warn!(host = ?host, path = %req.uri().path(), "request for a host Runway does not serve refused");
            let detail = "Refused: Runway does not answer to this host name. Use the address your administrator gave you (or add the name to allowed_hosts).";
            if is_public_api(req.uri().path()) {
                return Ok(Problem::new(
                    StatusCode::MISDIRECTED_REQUEST,
                    "misdirected",
                    "Unknown host name",
                )
                .detail(detail)
                .into_response());
            }
            Err(Error::text(StatusCode::MISDIRECTED_REQUEST, detail))
        }
    }
}

/// Reads the request body up to [`BODY_LIMIT`]; a larger one is refused with 413 before any
/// handler or server function runs (a problem document on the public API, JSON for server
/// functions, text elsewhere).
pub async fn limit_body(req: Request, next: Next) -> Result<Response, Error> {
    // Discover's upload streams its (large) export to a file under its own limit; the sign-in and
    // CSRF guards still run before its handler reads a byte.
    if req.method() == axum::http::Method::POST && req.uri().path() == "/admin/discover/upload" {
        return Ok(next.run(req).await);
    }
    let path = req.uri().path().to_string();
    let too_large = move || -> Result<Response, Error> {
        if is_public_api(&path) {
            return Ok(Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body-too-large",
                "Request body too large",
            )
            .detail(format!(
                "Runway accepts request bodies up to {BODY_LIMIT} bytes."
            ))
            .into_response());
        }
        if path.starts_with("/api/") {
            return Err(Error::json(
                StatusCode::PAYLOAD_TOO_LARGE,
                "request body too large",
            ));
        }
        Err(Error::text(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Refused: the request is larger than Runway accepts.",
        ))
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > BODY_LIMIT as u64) {
        return too_large();
    }
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, BODY_LIMIT).await {
        Ok(bytes) => bytes,
        Err(e) => {
            // Over the limit without a Content-Length (chunked), or the client went away.
            tracing::debug!(error = %e, "request body refused");
            return too_large();
        }
    };
    Ok(next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await)
}

/// Is `path` on the public API (`/api/v1`), which answers every refusal as a problem document?
fn is_public_api(path: &str) -> bool {
    path == "/api/v1" || path.starts_with("/api/v1/")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(public_url: &str, issuer: &str, extra: &[&str]) -> Settings {
        let mut s = Settings {
            public_url: public_url.to_string(),
            allowed_hosts: extra.iter().map(|h| h.to_string()).collect(),
            ..Settings::default()
        };
        s.auth.issuer = issuer.to_string();
        s
    }

    fn bound() -> SocketAddr {
        "127.0.0.1:3000".parse().unwrap()
    }

    #[test]
    fn development_answers_to_loopback_names_on_the_bound_port_only() {
        let hosts = AllowedHosts::from_settings(&settings("", "", &[]), bound());
        for ok in [
            "127.0.0.1:3000",
            "localhost:3000",
            "LOCALHOST:3000",
            "[::1]:3000",
        ] {
            assert!(hosts.allows(ok, false), "{ok}");
        }
        for refused in [
            "evil.test:3000",
            "evil.test",
            "127.0.0.1:3001",
            "127.0.0.1",
            "localhost.evil.test:3000",
            "user@127.0.0.1:3000",
            "",
        ] {
            assert!(!hosts.allows(refused, false), "{refused}");
        }
    }

    #[test]
    fn public_url_names_the_host_with_its_default_port() {
        let hosts = AllowedHosts::from_settings(
            &settings("https://Runway.Example.com/", "https://idp.example", &[]),
            bound(),
        );
        assert!(hosts.allows("runway.example.com", true));
        assert!(hosts.allows("runway.example.com:443", true));
        assert!(hosts.allows("runway.example.com.", true));
        assert!(!hosts.allows("runway.example.com:8443", true));
        assert!(
            !hosts.allows("127.0.0.1:3000", true),
            "with an identity provider and a public URL, loopback names are not ours"
        );
    }

    #[test]
    fn allowed_hosts_add_names_on_any_port_or_one() {
        let hosts = AllowedHosts::from_settings(
            &settings(
                "https://runway.example.com",
                "https://idp.example",
                &["runway.internal", "10.0.0.5:8080"],
            ),
            bound(),
        );
        assert!(hosts.allows("runway.internal:3000", false));
        assert!(hosts.allows("runway.internal", false));
        assert!(hosts.allows("10.0.0.5:8080", false));
        assert!(!hosts.allows("10.0.0.5:8081", false));
    }
}
