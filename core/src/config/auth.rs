//! The `[auth]` settings: OpenID Connect, mapping groups to teams and roles, sessions.

use super::Secret;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

/// Where the groups claim is read from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupsSource {
    /// The verified ID token (Keycloak, Okta, Entra ID with "groups" claim configured).
    IdToken,
    /// The userinfo endpoint (providers that keep the ID token small).
    Userinfo,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    /// The OpenID Provider's issuer URL (discovery at `<issuer>/.well-known/openid-configuration`).
    /// Empty = development sign-in with demo users.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Secret,
    /// Where the provider sends people back; empty = `<public_url>/auth/callback`.
    pub redirect_url: String,
    /// Scopes to request; `openid` is always included.
    pub scopes: Vec<String>,
    /// The claim holding the user's groups (a list of strings).
    pub groups_claim: String,
    pub groups_from: GroupsSource,
    /// Only groups starting with this prefix are teams (the prefix is removed): `team-` turns
    /// `team-payments` into the team `payments`. Empty = every group that is a valid team name.
    pub team_prefix: String,
    /// Members of any of these groups are admins (the platform team).
    pub admin_groups: Vec<String>,
    /// A group named `<team><lead_suffix>` makes its members leads (and members) of `<team>`.
    pub lead_suffix: String,
    /// Explicit lead groups per team, for naming schemes the suffix cannot express:
    /// `lead_groups = { payments = ["payments-managers"] }`.
    pub lead_groups: BTreeMap<String, Vec<String>>,
    /// Allow development sign-in while listening on a non-loopback address (never in production).
    pub allow_dev_sign_in_on_network: bool,
    /// A session ends after this long without a request (e.g. `8h`).
    #[serde(with = "runway_domain::duration::text")]
    pub session_idle_timeout: Duration,
    /// A session ends this long after sign-in, however active (e.g. `24h`).
    #[serde(with = "runway_domain::duration::text")]
    pub session_lifetime: Duration,
    /// How long a `serve` process may reuse a session and its user read from the database before
    /// reading them again (e.g. `5s`; `0s` = read on every request). A sign-out or a change of teams
    /// made through another replica takes effect here within this time. At most `1m`.
    #[serde(with = "runway_domain::duration::text")]
    pub session_cache: Duration,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            issuer: String::new(),
            client_id: String::new(),
            client_secret: Secret::default(),
            redirect_url: String::new(),
            scopes: vec!["openid".into(), "profile".into(), "email".into()],
            groups_claim: "groups".into(),
            groups_from: GroupsSource::IdToken,
            team_prefix: String::new(),
            admin_groups: vec!["platform-admins".into()],
            lead_suffix: "-leads".into(),
            lead_groups: BTreeMap::new(),
            allow_dev_sign_in_on_network: false,
            session_idle_timeout: Duration::from_secs(8 * 3600),
            session_lifetime: Duration::from_secs(24 * 3600),
            session_cache: Duration::from_secs(5),
        }
    }
}

impl AuthSettings {
    /// True when no issuer is configured: the portal offers development sign-in.
    pub fn dev_mode(&self) -> bool {
        self.issuer.trim().is_empty()
    }

    pub fn idle_timeout(&self) -> Duration {
        self.session_idle_timeout
    }

    /// How old a session's last save may get before a request saves it again (extending its idle
    /// expiry and the cookie's): 5 minutes, or half the idle timeout when that is shorter. Saving
    /// only then, instead of on every request, spares a database write per page view, while a
    /// session used within `idle_timeout − refresh_after` of its last save never expires.
    pub fn session_refresh_after(&self) -> std::time::Duration {
        std::cmp::min(std::time::Duration::from_secs(300), self.idle_timeout() / 2)
    }

    pub fn lifetime(&self) -> Duration {
        self.session_lifetime
    }

    pub(super) fn validate(&self) -> Result<(), String> {
        for (key, value) in [
            ("session_idle_timeout", self.session_idle_timeout),
            ("session_lifetime", self.session_lifetime),
        ] {
            if value < Duration::from_secs(60) {
                return Err(format!(
                    "auth.{key} (RUNWAY_AUTH__{}): must be at least 1m",
                    key.to_uppercase()
                ));
            }
        }
        if self.session_cache > Duration::from_secs(60) {
            return Err(
                "auth.session_cache (RUNWAY_AUTH__SESSION_CACHE): must be at most 1m".into(),
            );
        }
        if !self.dev_mode() {
            if !(self.issuer.starts_with("https://") || self.issuer.starts_with("http://")) {
                return Err(format!(
                    "auth.issuer (RUNWAY_AUTH__ISSUER): expected an https:// URL, found `{}`",
                    self.issuer
                ));
            }
            if self.client_id.is_empty() {
                return Err(
                    "auth.client_id (RUNWAY_AUTH__CLIENT_ID): required when auth.issuer is set"
                        .into(),
                );
            }
            if self.groups_claim.is_empty() {
                return Err("auth.groups_claim (RUNWAY_AUTH__GROUPS_CLAIM): must name a claim, e.g. `groups`".into());
            }
        }
        if !(self.redirect_url.is_empty() || super::is_http_url(&self.redirect_url)) {
            return Err(format!("auth.redirect_url (RUNWAY_AUTH__REDIRECT_URL): expected an http(s) URL, found `{}`", self.redirect_url));
        }
        Ok(())
    }
}
