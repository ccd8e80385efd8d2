//! The `[api]` and `[metrics]` settings: token lifetimes, rate limits, and who may scrape metrics.

use super::Secret;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;

/// `[api]`: the public API under `/api/v1` and its tokens.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ApiSettings {
    /// A new token's lifetime when its maker does not choose one, in days.
    pub token_default_days: u32,
    /// The longest lifetime a token may be given, in days.
    pub token_max_days: u32,
    /// Calls one token may make per minute (a burst of this many, refilled evenly over the minute).
    pub rate_per_minute: u32,
    /// Calls one person may make per minute across all their tokens.
    pub rate_per_person_per_minute: u32,
    /// A personal token works only while its owner has signed in to the portal within this many
    /// days: teams and roles come from the identity provider at sign-in, so a leaver who never
    /// signs in again must not keep them through a token. 0 turns the check off.
    pub owner_sign_in_days: u32,
}

impl Default for ApiSettings {
    fn default() -> Self {
        Self {
            token_default_days: 30,
            token_max_days: 365,
            rate_per_minute: 120,
            rate_per_person_per_minute: 300,
            owner_sign_in_days: 30,
        }
    }
}

impl ApiSettings {
    pub(super) fn validate(&self) -> Result<(), String> {
        if self.token_max_days == 0 || self.token_max_days > 3650 {
            return Err(
                "api.token_max_days (RUNWAY_API__TOKEN_MAX_DAYS): expected 1 to 3650 days".into(),
            );
        }
        if self.token_default_days == 0 || self.token_default_days > self.token_max_days {
            return Err(format!(
                "api.token_default_days (RUNWAY_API__TOKEN_DEFAULT_DAYS): expected 1 to api.token_max_days ({})",
                self.token_max_days
            ));
        }
        if self.owner_sign_in_days > 3650 {
            return Err(
                "api.owner_sign_in_days (RUNWAY_API__OWNER_SIGN_IN_DAYS): expected 0 (off) to 3650 days"
                    .into(),
            );
        }
        for (key, value) in [
            ("rate_per_minute", self.rate_per_minute),
            (
                "rate_per_person_per_minute",
                self.rate_per_person_per_minute,
            ),
        ] {
            if value == 0 {
                return Err(format!(
                    "api.{key} (RUNWAY_API__{}): expected at least 1",
                    key.to_uppercase()
                ));
            }
        }
        Ok(())
    }
}

/// `[metrics]`: the Prometheus endpoint. Not public by default: served on its own address
/// (`listen`, for a scraper inside the cluster), or at `/metrics` on the main address to callers
/// that send `Authorization: Bearer <token>`. With neither set there is no metrics endpoint.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsSettings {
    /// A separate address serving only `/metrics`, without authentication (e.g. `0.0.0.0:9464`).
    pub listen: Option<SocketAddr>,
    /// The bearer token that `/metrics` on the main address requires (at least 16 characters).
    pub token: Secret,
}

impl MetricsSettings {
    pub(super) fn validate(&self) -> Result<(), String> {
        let token = self.token.expose();
        if !token.is_empty() && token.chars().count() < 16 {
            return Err(
                "metrics.token (RUNWAY_METRICS__TOKEN): expected at least 16 characters".into(),
            );
        }
        Ok(())
    }
}
