//! The `[email]`, `[slack]` and `[jira]` settings: where notifications go and how the Slack app and
//! the Jira trigger talk to their services. Each section is off until its secrets are set.

use super::Secret;
use serde::{Deserialize, Serialize};

/// `[email]`: notification e-mail over SMTP.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EmailSettings {
    /// The SMTP server as a URL: `smtp://host:25` (plain, local relays only),
    /// `smtp://user:pass@host:587?tls=required` (STARTTLS) or `smtps://user:pass@host:465` (TLS).
    /// Empty: no e-mail is sent.
    pub smtp_url: Secret,
    /// The sender, e.g. `Runway <runway@example.com>`.
    pub from: String,
}

impl EmailSettings {
    pub fn enabled(&self) -> bool {
        self.smtp_url.configured().is_some()
    }

    pub(super) fn validate(&self) -> Result<(), String> {
        let Some(url) = self.smtp_url.configured() else {
            return Ok(());
        };
        if !(url.starts_with("smtp://") || url.starts_with("smtps://")) {
            return Err(
                "email.smtp_url (RUNWAY_EMAIL__SMTP_URL): expected an smtp:// or smtps:// URL"
                    .into(),
            );
        }
        let plain = url.starts_with("smtp://")
            && !(url.contains("tls=required") || url.contains("tls=opportunistic"));
        if plain && url.split('?').next().is_some_and(|u| u.contains('@')) {
            return Err("email.smtp_url (RUNWAY_EMAIL__SMTP_URL): credentials would travel over plain SMTP; add `?tls=required` (STARTTLS) or use `smtps://`".into());
        }
        if lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::from_url(url).is_err() {
            return Err("email.smtp_url (RUNWAY_EMAIL__SMTP_URL): not an SMTP URL lettre understands, such as `smtps://user:pass@smtp.example.com:465`".into());
        }
        if self.from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(format!(
                "email.from (RUNWAY_EMAIL__FROM): `{}` is not an address such as `Runway <runway@example.com>`",
                self.from
            ));
        }
        Ok(())
    }
}

/// `[slack]`: the Slack app (slash command, modals, buttons) and direct messages.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SlackSettings {
    /// The app's bot token (`xoxb-…`, OAuth & Permissions). Empty: Slack is off.
    pub bot_token: Secret,
    /// The app's signing secret (Basic Information), which every inbound call is verified with.
    pub signing_secret: Secret,
    /// Slack's Web API. Tests point it at a local fake.
    pub api_url: String,
}

impl Default for SlackSettings {
    fn default() -> Self {
        Self {
            bot_token: Secret::default(),
            signing_secret: Secret::default(),
            api_url: "https://slack.com/api".into(),
        }
    }
}

impl SlackSettings {
    pub fn enabled(&self) -> bool {
        self.bot_token.configured().is_some()
    }

    pub(super) fn validate(&self) -> Result<(), String> {
        if self.enabled() && self.signing_secret.configured().is_none() {
            return Err("slack.signing_secret (RUNWAY_SLACK__SIGNING_SECRET): required when slack.bot_token is set (every call from Slack is verified with it)".into());
        }
        if !super::is_http_url(&self.api_url) {
            return Err(format!(
                "slack.api_url (RUNWAY_SLACK__API_URL): expected an http:// or https:// URL, found `{}`",
                self.api_url
            ));
        }
        Ok(())
    }
}

/// `[jira]`: the Jira trigger (an inbound admin webhook) and its comments and transitions.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JiraSettings {
    /// The site, e.g. `https://acme.atlassian.net` or a Data Center base URL. Empty: Jira is off.
    pub base_url: String,
    /// Jira Cloud: the account the API token belongs to (Basic auth). Empty with Data Center, whose
    /// personal access token is sent as a bearer token.
    pub user_email: String,
    /// The API token (Cloud) or personal access token (Data Center).
    pub api_token: Secret,
    /// The secret the webhook was registered with; its HMAC signs every delivery.
    pub webhook_secret: Secret,
}

impl JiraSettings {
    pub fn enabled(&self) -> bool {
        !self.base_url.is_empty()
    }

    pub(super) fn validate(&self) -> Result<(), String> {
        if !self.enabled() {
            return Ok(());
        }
        if !super::is_http_url(&self.base_url) {
            return Err(format!(
                "jira.base_url (RUNWAY_JIRA__BASE_URL): expected an http:// or https:// URL, found `{}`",
                self.base_url
            ));
        }
        if self.webhook_secret.configured().is_none() {
            return Err("jira.webhook_secret (RUNWAY_JIRA__WEBHOOK_SECRET): required when jira.base_url is set (unsigned webhooks are refused)".into());
        }
        if self.api_token.configured().is_none() {
            return Err("jira.api_token (RUNWAY_JIRA__API_TOKEN): required when jira.base_url is set (Runway comments on tickets)".into());
        }
        Ok(())
    }
}
