//! Typed configuration: compiled defaults, then `runway.toml` (or the file named by `--config` /
//! `RUNWAY_CONFIG`), then `RUNWAY_*` environment variables.
//!
//! Top-level keys map to `RUNWAY_<KEY>` (`RUNWAY_DATABASE_URL`, `RUNWAY_LISTEN`); keys inside a
//! section map to `RUNWAY_<SECTION>__<KEY>` (`RUNWAY_LOG__FORMAT`). This is the only module that reads
//! the process environment for settings. Values that can hold secrets (database URLs with passwords)
//! are redacted from `Debug` and from `runway serve --print-config`.

use figment::providers::{Format, Serialized, Toml};
use figment::Figment;

mod api;
mod auth;
mod channels;
pub use api::{ApiSettings, MetricsSettings};
pub use auth::{AuthSettings, GroupsSource};
pub use channels::{EmailSettings, JiraSettings, SlackSettings};
pub use runway_domain::secret::Secret;
use runway_exec::script::ScriptSettings;
use runway_exec::webhook::WebhookSettings;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Every setting Runway reads, with its compiled default.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Address the web server binds, e.g. `127.0.0.1:3000` (port 0 picks a free port).
    pub listen: SocketAddr,
    /// Directory for Runway's own files; the default SQLite database lives here.
    pub data_dir: PathBuf,
    /// Directory of action YAML files (usually a git checkout).
    pub catalog_dir: PathBuf,
    /// `sqlite://path/to/file.db` or `postgres://user:pass@host/db`; empty = `<data_dir>/runway.db`.
    pub database_url: String,
    /// Directory holding the compiled web assets (`pkg/`, `hash.txt`), as `scripts/build-site` lays them out.
    pub site_root: PathBuf,
    /// Maximum database connections in the pool.
    pub database_max_connections: u32,
    /// The URL people use to reach Runway (`https://runway.example.com`). Decides the OIDC redirect
    /// URL, the expected `Origin` of state-changing requests, and (for https) secure cookies and HSTS.
    /// Empty = `http://<listen address>` and same-host origin checks.
    pub public_url: String,
    /// More host names (`name` for any port, or `name:port`) that requests may carry in `Host`, for
    /// names a proxy or an internal DNS uses besides `public_url`'s. Every other host is refused
    /// with 421 (DNS rebinding). Without `public_url` (or in development), `127.0.0.1`, `localhost`
    /// and `[::1]` on the bound port are allowed too.
    pub allowed_hosts: Vec<String>,
    /// Reverse proxies (addresses or ranges: `10.0.0.0/8`, `127.0.0.1`) whose `X-Forwarded-For`
    /// Runway believes: a client's address (an API token's "last used from") is then the nearest
    /// address in that header that is not one of them. Empty = the peer's own address.
    pub trusted_proxies: Vec<String>,
    pub log: LogSettings,
    pub auth: AuthSettings,
    pub worker: WorkerSettings,
    /// Key that seals secret inputs (while their job waits) and secret outputs (until shown): 32
    /// bytes, base64. Empty = a key generated once in `<data_dir>/secrets.key`. Every `serve` and
    /// `worker` of one installation needs the same key.
    pub secrets_key: Secret,
    /// `[scripts]`: the script executor's settings (its type, defaults and checks live with it).
    pub scripts: ScriptSettings,
    /// `[webhooks]`: the webhook executor's settings.
    pub webhooks: WebhookSettings,
    /// Values for `{{config.<name>}}` references in catalogue templates (`deploy_url = "https://…"`).
    /// From the environment: `RUNWAY_CATALOG_VARS__DEPLOY_URL=…`.
    pub catalog_vars: std::collections::BTreeMap<String, String>,
    /// Requests still waiting for approval after this long end as `expired` (a duration: `7d`).
    #[serde(with = "runway_domain::duration::text")]
    pub approval_timeout: Duration,
    /// Serve the built-in demo receivers under `/demo/` (a CI system and a secret store that the demo
    /// catalogue's webhook actions call). For demos and tests only.
    pub demo_receivers: bool,
    /// `[discover]`: what imports of ticket exports keep.
    pub discover: DiscoverSettings,
    /// `[api]`: API tokens and rate limits.
    pub api: ApiSettings,
    /// `[metrics]`: where Prometheus metrics are served, and to whom.
    pub metrics: MetricsSettings,
    /// `[email]`: notification e-mail.
    pub email: EmailSettings,
    /// `[slack]`: the Slack app and direct messages.
    pub slack: SlackSettings,
    /// `[jira]`: the Jira trigger.
    pub jira: JiraSettings,
}

/// What `runway tickets import` stores of a ticket's reporter. Names are personal data the
/// analysis does not need; the requesting team is kept in any case.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReporterKeep {
    /// Nothing about the reporter.
    #[default]
    Drop,
    /// A salted SHA-256 of the name: "the same person asked again" stays visible, the name does not.
    Hash,
    /// The name as the export gives it.
    Keep,
}

/// The `[discover]` settings.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DiscoverSettings {
    /// `drop` (default), `hash` or `keep`.
    pub reporters: ReporterKeep,
    /// The salt of `reporters = "hash"` (required then): hashes compare within one installation.
    pub reporter_salt: Secret,
    /// The teams whose members may use Discover besides admins: the team that owns the catalogue
    /// (default `["platform"]`).
    pub teams: Vec<String>,
}

impl Default for DiscoverSettings {
    fn default() -> Self {
        Self {
            reporters: ReporterKeep::default(),
            reporter_salt: Secret::default(),
            teams: vec!["platform".to_string()],
        }
    }
}

/// The `[worker]` settings, used by `runway worker` and the in-process workers of `runway serve`:
/// the worker runtime (`queue::worker::Worker`) runs with them as they are. Durations are parsed
/// when the configuration is read; the fields marked "not configurable" keep their defaults there,
/// and tests and benchmarks shorten them.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WorkerSettings {
    /// Whether `runway serve` also runs workers (turn off when separate `runway worker`s run).
    pub in_process: bool,
    /// Jobs one worker process runs at once.
    pub concurrency: usize,
    /// How long a claim is valid without a heartbeat (a crashed worker's jobs run again after it).
    #[serde(with = "runway_domain::duration::text")]
    pub lease: Duration,
    /// How often running jobs' leases are extended and cancellations noticed.
    #[serde(with = "runway_domain::duration::text")]
    pub heartbeat: Duration,
    /// Backstop poll for missed wake-ups and expired leases.
    #[serde(with = "runway_domain::duration::text")]
    pub poll_interval: Duration,
    /// On shutdown, how long running jobs may finish before they are released to other workers.
    #[serde(with = "runway_domain::duration::text")]
    pub grace: Duration,
    /// First retry delay; later ones double, with jitter (not configurable).
    #[serde(skip)]
    pub backoff_base: Duration,
    /// Longest retry delay (not configurable).
    #[serde(skip)]
    pub backoff_max: Duration,
    /// At most this many outcomes are recorded per transaction (not configurable).
    #[serde(skip)]
    pub completion_batch: usize,
    /// Jobs claimed ahead of free slots and kept in a local buffer (leases held), so that one claim
    /// serves many slots under load. 0 = claim only for free slots (not configurable).
    #[serde(skip)]
    pub prefetch: usize,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        Self {
            in_process: true,
            concurrency: 8,
            lease: Duration::from_secs(30),
            heartbeat: Duration::from_secs(5),
            poll_interval: Duration::from_secs(1),
            grace: Duration::from_secs(30),
            backoff_base: Duration::from_secs(5),
            backoff_max: Duration::from_secs(600),
            completion_batch: 500,
            prefetch: 0,
        }
    }
}

impl WorkerSettings {
    fn validate(&self) -> Result<(), String> {
        if self.concurrency == 0 || self.concurrency > 1_000 {
            return Err(
                "worker.concurrency (RUNWAY_WORKER__CONCURRENCY): expected 1 to 1000".into(),
            );
        }
        if self.heartbeat.as_secs() == 0 || self.heartbeat >= self.lease {
            return Err("worker.heartbeat (RUNWAY_WORKER__HEARTBEAT): must be at least 1s and shorter than worker.lease".into());
        }
        if self.poll_interval.as_secs() == 0 {
            return Err(
                "worker.poll_interval (RUNWAY_WORKER__POLL_INTERVAL): must be at least 1s".into(),
            );
        }
        Ok(())
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    /// `text` (human-readable) or `json` (one object per line, for log collectors).
    pub format: LogFormat,
    /// A tracing filter such as `info` or `runway=debug,sqlx=warn`.
    pub filter: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 3000)),
            data_dir: PathBuf::from("data"),
            catalog_dir: PathBuf::from("catalog"),
            database_url: String::new(),
            site_root: PathBuf::from("target/site"),
            database_max_connections: 10,
            public_url: String::new(),
            allowed_hosts: Vec::new(),
            trusted_proxies: Vec::new(),
            log: LogSettings {
                format: LogFormat::Text,
                filter: "info".to_string(),
            },
            auth: AuthSettings::default(),
            worker: WorkerSettings::default(),
            secrets_key: Secret::default(),
            scripts: ScriptSettings::default(),
            webhooks: WebhookSettings::default(),
            catalog_vars: std::collections::BTreeMap::new(),
            approval_timeout: Duration::from_secs(7 * 86_400),
            demo_receivers: false,
            discover: DiscoverSettings::default(),
            api: ApiSettings::default(),
            metrics: MetricsSettings::default(),
            email: EmailSettings::default(),
            slack: SlackSettings::default(),
            jira: JiraSettings::default(),
        }
    }
}

/// Why the configuration could not be used. Each message names the key and what is expected.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration file {path} could not be read: {message}")]
    File { path: String, message: String },
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

impl Settings {
    /// Loads settings from defaults, the optional file, and the given environment variables.
    ///
    /// `config_file`: an explicit path (must exist), or `None` for `./runway.toml` if present.
    /// `env` is passed in (rather than read here) so that tests can supply their own.
    pub fn load(
        config_file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        match config_file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| ConfigError::File {
                    path: path.display().to_string(),
                    message: e.to_string(),
                })?;
                figment = figment.merge(Toml::string(&text));
            }
            None => {
                if Path::new("runway.toml").is_file() {
                    figment = figment.merge(Toml::file("runway.toml"));
                }
            }
        }
        let vars: Vec<(String, String)> = env
            .into_iter()
            .filter(|(k, _)| k.starts_with("RUNWAY_") && k != "RUNWAY_CONFIG")
            .collect();
        figment = figment.merge(EnvList(vars).provider());
        let settings: Settings = figment.extract().map_err(|e| {
            let mut msgs: Vec<String> = e.into_iter().map(|e| describe(&e)).collect();
            msgs.dedup();
            ConfigError::Invalid(msgs.join("; "))
        })?;
        settings.validate()?;
        Ok(settings)
    }

    /// Settings from the real process environment (the only place Runway reads it).
    pub fn from_process(config_file: Option<&Path>) -> Result<Self, ConfigError> {
        let explicit = config_file
            .map(Path::to_path_buf)
            .or_else(|| std::env::var_os("RUNWAY_CONFIG").map(PathBuf::from));
        Self::load(explicit.as_deref(), std::env::vars())
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if !self.database_url.is_empty() {
            let ok = ["sqlite:", "postgres://", "postgresql://"]
                .iter()
                .any(|p| self.database_url.starts_with(p));
            if !ok {
                return Err(ConfigError::Invalid(format!(
                    "database_url (RUNWAY_DATABASE_URL): expected a `sqlite://…` or `postgres://…` URL, found `{}`",
                    redact_url(&self.database_url)
                )));
            }
        }
        let state_root = self.script_state_root();
        let data = std::path::absolute(&self.data_dir).unwrap_or_else(|_| self.data_dir.clone());
        let state = std::path::absolute(&state_root).unwrap_or(state_root);
        if state.starts_with(&data) || data.starts_with(&state) {
            return Err(ConfigError::Invalid(format!(
                "scripts.state_root (RUNWAY_SCRIPTS__STATE_ROOT): `{}` must not be inside the data directory `{}` (scripts may not enter it), nor contain it",
                state.display(),
                data.display()
            )));
        }
        if self.database_max_connections == 0 {
            return Err(ConfigError::Invalid(
                "database_max_connections (RUNWAY_DATABASE_MAX_CONNECTIONS): expected at least 1"
                    .into(),
            ));
        }
        if !(self.public_url.is_empty() || is_http_url(&self.public_url)) {
            return Err(ConfigError::Invalid(format!(
                "public_url (RUNWAY_PUBLIC_URL): expected an http:// or https:// URL, found `{}`",
                self.public_url
            )));
        }
        if let Some(bad) = self
            .allowed_hosts
            .iter()
            .find(|h| split_authority(h).is_none())
        {
            return Err(ConfigError::Invalid(format!(
                "allowed_hosts (RUNWAY_ALLOWED_HOSTS): `{bad}` is not a host name with an optional port, such as `runway.example.com` or `runway.internal:8443`"
            )));
        }
        if let Some(bad) = self.trusted_proxies.iter().find(|p| parse_net(p).is_none()) {
            return Err(ConfigError::Invalid(format!(
                "trusted_proxies (RUNWAY_TRUSTED_PROXIES): `{bad}` is not an address or a range such as `10.0.0.0/8`"
            )));
        }
        self.auth.validate().map_err(ConfigError::Invalid)?;
        self.worker.validate().map_err(ConfigError::Invalid)?;
        self.scripts.validate().map_err(ConfigError::Invalid)?;
        self.api.validate().map_err(ConfigError::Invalid)?;
        self.metrics.validate().map_err(ConfigError::Invalid)?;
        self.email.validate().map_err(ConfigError::Invalid)?;
        self.slack.validate().map_err(ConfigError::Invalid)?;
        self.jira.validate().map_err(ConfigError::Invalid)?;
        // `secrets_key` is checked where the key is made (`crypto`), by start-up.
        if self.log.filter.parse::<LogFilterCheck>().is_err() {
            return Err(ConfigError::Invalid(format!(
                "log.filter (RUNWAY_LOG__FILTER): `{}` is not a valid filter such as `info` or `runway=debug`",
                self.log.filter
            )));
        }
        Ok(())
    }

    /// The effective database URL: the configured one, or SQLite in the data directory.
    pub fn effective_database_url(&self) -> String {
        if self.database_url.is_empty() {
            format!("sqlite://{}", self.data_dir.join("runway.db").display())
        } else {
            self.database_url.clone()
        }
    }

    /// Where the actions' state directories live: `scripts.state_root`, or when it is empty the
    /// data directory's sibling `<data_dir>-state` (`/var/lib/runway` -> `/var/lib/runway-state`).
    /// Never inside the data directory, which scripts may not enter.
    pub fn script_state_root(&self) -> PathBuf {
        if self.scripts.state_root.as_os_str().is_empty() {
            self.data_dir_sibling("-state")
        } else {
            self.scripts.state_root.clone()
        }
    }

    /// Where script runs get their working directories: `scripts.work_root`, or when it is empty
    /// the data directory's sibling `<data_dir>-runs`. Not inside the data directory (scripts
    /// running as another user must not enter it); not in a shared temporary directory, where
    /// anyone could create it first.
    pub fn script_work_root(&self) -> PathBuf {
        if self.scripts.work_root.as_os_str().is_empty() {
            self.data_dir_sibling("-runs")
        } else {
            self.scripts.work_root.clone()
        }
    }

    /// `<data_dir><suffix>` beside the data directory, absolute.
    fn data_dir_sibling(&self, suffix: &str) -> PathBuf {
        let data = std::path::absolute(&self.data_dir).unwrap_or_else(|_| self.data_dir.clone());
        let mut name = data
            .file_name()
            .map(std::ffi::OsStr::to_os_string)
            .unwrap_or_else(|| "runway".into());
        name.push(suffix);
        data.with_file_name(name)
    }

    /// The settings as TOML with secrets redacted, for `runway serve --print-config`.
    pub fn to_redacted_toml(&self) -> String {
        let mut shown = self.clone();
        shown.database_url = redact_url(&self.effective_database_url());
        shown.public_url = self.public_origin(None);
        if !shown.auth.client_secret.expose().is_empty() {
            shown.auth.client_secret = Secret::new("[redacted]");
        }
        if !shown.secrets_key.expose().is_empty() {
            shown.secrets_key = Secret::new("[redacted]");
        }
        if !shown.webhooks.signing_secret.expose().is_empty() {
            shown.webhooks.signing_secret = Secret::new("[redacted]");
        }
        for secret in [
            &mut shown.email.smtp_url,
            &mut shown.slack.bot_token,
            &mut shown.slack.signing_secret,
            &mut shown.jira.api_token,
            &mut shown.jira.webhook_secret,
        ] {
            if !secret.expose().is_empty() {
                *secret = Secret::new("[redacted]");
            }
        }
        if !shown.discover.reporter_salt.expose().is_empty() {
            shown.discover.reporter_salt = Secret::new("[redacted]");
        }
        let action_vars = shown
            .scripts
            .action_env
            .values_mut()
            .flat_map(|m| m.iter_mut());
        for (k, v) in shown.scripts.env.iter_mut().chain(action_vars) {
            if k.to_ascii_lowercase().contains("url") || k.to_ascii_lowercase().contains("pass") {
                *v = redact_url(v);
            }
        }
        toml::to_string(&shown).unwrap_or_else(|e| format!("# cannot show settings: {e}\n"))
    }

    /// True when Runway is served over https (secure cookies, `__Host-` prefix, HSTS).
    pub fn is_https(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    /// `scheme://host[:port]` people reach Runway at. Without `public_url`, `host` (the request's
    /// Host header) or else the listen address is used.
    pub fn public_origin(&self, host: Option<&str>) -> String {
        if !self.public_url.is_empty() {
            let url = self.public_url.trim_end_matches('/');
            let after_scheme = url.find("://").map(|i| i + 3).unwrap_or(0);
            return match url[after_scheme..].find('/') {
                Some(slash) => url[..after_scheme + slash].to_string(),
                None => url.to_string(),
            };
        }
        match host {
            Some(h) => format!("http://{h}"),
            None => format!("http://{}", self.listen),
        }
    }

    /// The OIDC redirect URL: configured, or `<public origin>/auth/callback`.
    pub fn oidc_redirect_url(&self, host: Option<&str>) -> String {
        if self.auth.redirect_url.is_empty() {
            format!("{}/auth/callback", self.public_origin(host))
        } else {
            self.auth.redirect_url.clone()
        }
    }
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir)
            .field("catalog_dir", &self.catalog_dir)
            .field("database_url", &redact_url(&self.database_url))
            .field("site_root", &self.site_root)
            .field("database_max_connections", &self.database_max_connections)
            .field("public_url", &self.public_url)
            .field("allowed_hosts", &self.allowed_hosts)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("log", &self.log)
            .field("auth", &self.auth)
            .field("worker", &self.worker)
            .field("secrets_key", &self.secrets_key)
            .field("scripts.run_as_user", &self.scripts.run_as_user)
            .field("webhooks.signing_secret", &self.webhooks.signing_secret)
            .field("webhooks.allow_hosts", &self.webhooks.allow_hosts)
            .field("catalog_vars", &self.catalog_vars)
            .field("approval_timeout", &self.approval_timeout)
            .field("demo_receivers", &self.demo_receivers)
            .field("discover", &self.discover)
            .field("api", &self.api)
            .field("metrics", &self.metrics)
            .field("email", &self.email)
            .field("slack", &self.slack)
            .field("jira", &self.jira)
            .finish()
    }
}

/// `10.0.0.0/8`, or one address as a range of one.
fn parse_net(text: &str) -> Option<ipnet::IpNet> {
    let text = text.trim();
    text.parse::<ipnet::IpNet>().ok().or_else(|| {
        text.parse::<std::net::IpAddr>()
            .ok()
            .map(ipnet::IpNet::from)
    })
}

impl Settings {
    /// The client's address: the peer's, or, when the peer is a trusted proxy, the nearest address
    /// in `X-Forwarded-For` (read right to left) that is not a trusted proxy.
    pub fn client_ip(
        &self,
        peer: std::net::IpAddr,
        forwarded_for: Option<&str>,
    ) -> std::net::IpAddr {
        let nets: Vec<ipnet::IpNet> = self
            .trusted_proxies
            .iter()
            .filter_map(|p| parse_net(p))
            .collect();
        let trusted = |ip: &std::net::IpAddr| nets.iter().any(|n| n.contains(ip));
        if !trusted(&peer) {
            return peer;
        }
        let mut client = peer;
        for hop in forwarded_for.unwrap_or("").rsplit(',') {
            match hop.trim().parse::<std::net::IpAddr>() {
                Ok(ip) => {
                    client = ip;
                    if !trusted(&ip) {
                        break;
                    }
                }
                Err(_) => break,
            }
        }
        client
    }
}

/// True for `http://…` and `https://…` URLs.
pub fn is_http_url(url: &str) -> bool {
    url.starts_with("http://") || url.starts_with("https://")
}

/// Replaces the password in `scheme://user:password@host/...` with `[redacted]`.
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_string();
    };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    match (authority.rfind('@'), authority.find(':')) {
        (Some(at), Some(colon)) if colon < at => format!(
            "{}{}:[redacted]{}",
            &url[..scheme_end + 3],
            &authority[..colon],
            &rest[at..]
        ),
        _ => url.to_string(),
    }
}

/// The same validation `tracing_subscriber::EnvFilter` applies, without depending on it here:
/// comma-separated `target=level` or `level` directives.
struct LogFilterCheck;

impl std::str::FromStr for LogFilterCheck {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        const LEVELS: [&str; 6] = ["trace", "debug", "info", "warn", "error", "off"];
        for directive in s.split(',').map(str::trim).filter(|d| !d.is_empty()) {
            let level = directive.rsplit('=').next().unwrap_or(directive);
            let has_target = directive.contains('=');
            let valid_level = LEVELS.contains(&level.to_ascii_lowercase().as_str());
            if !valid_level && (has_target || !is_target(level)) {
                return Err(());
            }
        }
        Ok(LogFilterCheck)
    }
}

fn is_target(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// Environment variables mapped to settings keys: `RUNWAY_LOG__FORMAT` -> `log.format`.
struct EnvList(Vec<(String, String)>);

impl EnvList {
    fn provider(self) -> Figment {
        let mut f = Figment::new();
        for (key, value) in self.0 {
            let Some(rest) = key.strip_prefix("RUNWAY_") else {
                continue;
            };
            let path = rest.to_ascii_lowercase().replace("__", ".");
            f = f.merge(Serialized::global(&path, env_value(&value)));
        }
        f
    }
}

fn env_value(value: &str) -> figment::value::Value {
    use figment::value::Value;
    let trimmed = value.trim();
    if trimmed.starts_with('[') && trimmed.ends_with(']') {
        // `[a, "b c"]`: a list of strings (group names, scopes).
        let inner = &trimmed[1..trimmed.len() - 1];
        let items: Vec<Value> = inner
            .split(',')
            .map(|item| item.trim().trim_matches('"').to_string())
            .filter(|item| !item.is_empty())
            .map(Value::from)
            .collect();
        return Value::from(items);
    }
    if let Ok(n) = value.parse::<i64>() {
        Value::from(n)
    } else if value == "true" || value == "false" {
        Value::from(value == "true")
    } else {
        Value::from(value.to_string())
    }
}

fn describe(e: &figment::Error) -> String {
    let key = e.path.join(".");
    let env_name = if key.is_empty() {
        String::new()
    } else {
        format!(" (RUNWAY_{})", key.to_ascii_uppercase().replace('.', "__"))
    };
    let what = match &e.kind {
        figment::error::Kind::InvalidType(actual, expected) => {
            format!("expected {expected}, found {actual}")
        }
        figment::error::Kind::InvalidValue(actual, expected) => {
            format!("expected {expected}, found {actual}")
        }
        figment::error::Kind::UnknownField(field, _) => {
            // The error path already ends with the unknown field's name.
            let name = if key.is_empty() { field.clone() } else { key };
            return format!("unknown setting `{name}`");
        }
        figment::error::Kind::Message(m) => m.clone(),
        other => other.to_string(),
    };
    if key.is_empty() {
        what
    } else {
        format!("{key}{env_name}: {what}")
    }
}

/// Splits `name[:port]` into a lower-case name (without a trailing dot) and the port. `None` for
/// anything that is not a plain authority (a scheme, user info, paths, a bad port, an empty name).
/// Used for `allowed_hosts` here and for `Host` headers by the server's host check.
pub fn split_authority(authority: &str) -> Option<(String, Option<u16>)> {
    let a = authority.trim();
    if a.is_empty() || a.contains(['/', '@', '?', '#', ' ']) {
        return None;
    }
    let (name, port) = if a.starts_with('[') {
        let end = a.find(']')?;
        let rest = &a[end + 1..];
        let port = match rest.strip_prefix(':') {
            Some(p) => Some(p.parse::<u16>().ok()?),
            None if rest.is_empty() => None,
            None => return None,
        };
        (&a[..=end], port)
    } else {
        match a.rsplit_once(':') {
            Some((name, p)) => (name, Some(p.parse::<u16>().ok()?)),
            None => (a, None),
        }
    };
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    if name.is_empty() || (name.contains(':') && !name.starts_with('[')) {
        return None;
    }
    Some((name, port))
}

#[cfg(test)]
mod tests;
