//! The `[scripts]` and `[webhooks]` settings, catalogue variables and the key that seals secrets.

use super::Secret;
use runway_domain::duration::HumanDuration;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `[scripts]`: how the script executor runs catalogue programs.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScriptsSettings {
    /// When Runway runs as root, scripts run as this (unprivileged) user. Never root.
    pub run_as_user: String,
    /// CPU seconds one run may use.
    pub cpu_seconds: u64,
    /// Address-space limit of one run, in MiB.
    pub memory_mb: u64,
    /// Most processes the run user may have at once.
    pub max_processes: u64,
    /// After a timeout or cancellation: time between SIGTERM and SIGKILL.
    pub kill_grace: String,
    /// Log kept per attempt, in KiB; the rest is dropped with a note.
    pub log_cap_kb: usize,
    /// Extra environment variables for every script (`RUNWAY_REPOS_DIR`, `RUNWAY_DEMO_POSTGRES_URL`).
    /// From the environment: `RUNWAY_SCRIPTS__ENV__RUNWAY_REPOS_DIR=/srv/git` (names are upper-cased).
    pub env: BTreeMap<String, String>,
}

impl Default for ScriptsSettings {
    fn default() -> Self {
        Self {
            run_as_user: "nobody".into(),
            cpu_seconds: 300,
            memory_mb: 1024,
            max_processes: 256,
            kill_grace: "5s".into(),
            log_cap_kb: 1024,
            env: BTreeMap::new(),
        }
    }
}

/// `[webhooks]`: how the webhook executor calls other systems.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhooksSettings {
    /// Standard Webhooks signing secret (`whsec_…`); empty = requests are sent unsigned.
    pub signing_secret: Secret,
    /// Hosts (or `host:port`) that may resolve to loopback or private addresses.
    pub allow_hosts: Vec<String>,
    /// Timeout of one HTTP request.
    pub timeout: String,
}

impl Default for WebhooksSettings {
    fn default() -> Self {
        Self {
            signing_secret: Secret::default(),
            allow_hosts: Vec::new(),
            timeout: "30s".into(),
        }
    }
}

pub(super) fn duration(key: &str, env: &str, value: &str) -> Result<std::time::Duration, String> {
    HumanDuration::parse(value)
        .map(|d| std::time::Duration::from_secs(d.as_secs()))
        .map_err(|e| format!("{key} ({env}): {e}"))
}

impl ScriptsSettings {
    pub(super) fn validate(&self) -> Result<(), String> {
        if self.run_as_user.trim().is_empty() || self.run_as_user == "root" {
            return Err("scripts.run_as_user (RUNWAY_SCRIPTS__RUN_AS_USER): expected an unprivileged user such as `nobody`".into());
        }
        for (key, v) in [
            ("cpu_seconds", self.cpu_seconds),
            ("memory_mb", self.memory_mb),
            ("max_processes", self.max_processes),
        ] {
            if v == 0 {
                return Err(format!(
                    "scripts.{key} (RUNWAY_SCRIPTS__{}): expected at least 1",
                    key.to_uppercase()
                ));
            }
        }
        duration(
            "scripts.kill_grace",
            "RUNWAY_SCRIPTS__KILL_GRACE",
            &self.kill_grace,
        )?;
        Ok(())
    }

    /// The script executor's settings; `work_root` holds the per-run working directories.
    pub fn executor(&self, work_root: std::path::PathBuf) -> crate::exec::script::ScriptSettings {
        crate::exec::script::ScriptSettings {
            run_as_user: self.run_as_user.clone(),
            cpu_seconds: self.cpu_seconds,
            memory_mb: self.memory_mb,
            max_processes: self.max_processes,
            kill_grace: duration("", "", &self.kill_grace)
                .unwrap_or(std::time::Duration::from_secs(5)),
            log_cap_bytes: self.log_cap_kb.saturating_mul(1024),
            extra_env: self
                .env
                .iter()
                .map(|(k, v)| (k.to_ascii_uppercase(), v.clone()))
                .collect(),
            work_root,
            ..crate::exec::script::ScriptSettings::default()
        }
    }
}

impl WebhooksSettings {
    pub(super) fn validate(&self) -> Result<(), String> {
        duration(
            "webhooks.timeout",
            "RUNWAY_WEBHOOKS__TIMEOUT",
            &self.timeout,
        )?;
        Ok(())
    }

    pub fn executor(&self) -> crate::exec::webhook::WebhookSettings {
        let secret = self.signing_secret.expose();
        crate::exec::webhook::WebhookSettings {
            signing_secret: (!secret.is_empty()).then(|| secret.to_string()),
            allow_hosts: self.allow_hosts.clone(),
            timeout: duration("", "", &self.timeout).unwrap_or(std::time::Duration::from_secs(30)),
            ..crate::exec::webhook::WebhookSettings::default()
        }
    }
}
