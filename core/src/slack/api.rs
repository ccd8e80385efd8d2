//! The few Slack Web API methods Runway calls, with the bot token: finding a person by e-mail,
//! posting and updating direct messages, and opening or updating modals.
//! <https://api.slack.com/web>. Every answer is checked for `"ok": true`.

use crate::config::SlackSettings;
use runway_domain::secret::Secret;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Slack's error, worded for the admins' delivery list (never holds the token).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlackError {
    #[error("Slack could not be reached: {0}")]
    Unreachable(String),
    #[error("Slack answered {method} with HTTP {status}")]
    Status { method: String, status: u16 },
    #[error("Slack answered {method} with the error `{error}`")]
    Api { method: String, error: String },
}

/// A message posted: where it lives, to update it later.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posted {
    pub channel: String,
    pub ts: String,
}

#[derive(Clone)]
pub struct SlackApi {
    http: reqwest::Client,
    base: String,
    token: Secret,
    /// `users.info` answers, by Slack user id (see [`SlackApi::email_of`]).
    emails: Arc<Mutex<Emails>>,
}

/// Slack user id → when it was asked, and the address Slack gave (if any).
type Emails = HashMap<String, (Instant, Option<String>)>;

/// How long a Slack user's e-mail address is taken as known: one `users.info` call per person
/// per five minutes however many clicks and commands they send (Slack limits the method to about
/// a hundred calls a minute). A changed address is seen after at most this long.
const EMAIL_TTL: Duration = Duration::from_secs(300);
/// At most this many addresses are kept; the expired ones go first, then all.
const EMAILS_KEPT: usize = 10_000;

impl SlackApi {
    /// The client for these settings, or `None` when Slack is not set up.
    pub fn from_settings(s: &SlackSettings) -> Option<Self> {
        if !s.enabled() {
            return None;
        }
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .ok()?;
        Some(Self {
            http,
            base: s.api_url.trim_end_matches('/').to_string(),
            token: s.bot_token.clone(),
            emails: Arc::default(),
        })
    }

    /// Calls a method that takes JSON (`chat.postMessage`, `views.open`, ...).
    async fn post(&self, method: &str, body: &Value) -> Result<Value, SlackError> {
        let answer = self
            .http
            .post(format!("{}/{method}", self.base))
            .bearer_auth(self.token.expose())
            .header("content-type", "application/json; charset=utf-8")
            .body(body.to_string())
            .send()
            .await;
        Self::read(method, answer).await
    }

    async fn read(
        method: &str,
        answer: Result<reqwest::Response, reqwest::Error>,
    ) -> Result<Value, SlackError> {
        let answer = answer.map_err(|e| SlackError::Unreachable(e.without_url().to_string()))?;
        let status = answer.status();
        if !status.is_success() {
            return Err(SlackError::Status {
                method: method.to_string(),
                status: status.as_u16(),
            });
        }
        let v: Value = answer
            .json()
            .await
            .map_err(|e| SlackError::Unreachable(e.without_url().to_string()))?;
        if v["ok"].as_bool() == Some(true) {
            Ok(v)
        } else {
            Err(SlackError::Api {
                method: method.to_string(),
                error: v["error"].as_str().unwrap_or("unknown").to_string(),
            })
        }
    }

    /// The Slack user with this e-mail address (`users.lookupByEmail`), `None` when there is none.
    pub async fn user_by_email(&self, email: &str) -> Result<Option<SlackUser>, SlackError> {
        let answer = self
            .http
            .get(format!("{}/users.lookupByEmail", self.base))
            .bearer_auth(self.token.expose())
            .query(&[("email", email)])
            .send()
            .await;
        match Self::read("users.lookupByEmail", answer).await {
            Ok(v) => Ok(Some(SlackUser {
                id: v["user"]["id"].as_str().unwrap_or_default().to_string(),
            })),
            Err(SlackError::Api { error, .. }) if error == "users_not_found" => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The e-mail address of a Slack user (`users.info`; needs `users:read.email`). Answers are
    /// kept for [`EMAIL_TTL`] by this client (and its clones); failures are not kept.
    pub async fn email_of(&self, user_id: &str) -> Result<Option<String>, SlackError> {
        let cached = self
            .emails
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(user_id)
            .filter(|(at, _)| at.elapsed() < EMAIL_TTL)
            .map(|(_, email)| email.clone());
        if let Some(email) = cached {
            return Ok(email);
        }
        let answer = self
            .http
            .get(format!("{}/users.info", self.base))
            .bearer_auth(self.token.expose())
            .query(&[("user", user_id)])
            .send()
            .await;
        let v = Self::read("users.info", answer).await?;
        let email = v["user"]["profile"]["email"].as_str().map(str::to_string);
        let mut emails = self.emails.lock().unwrap_or_else(PoisonError::into_inner);
        if emails.len() >= EMAILS_KEPT {
            emails.retain(|_, (at, _)| at.elapsed() < EMAIL_TTL);
            if emails.len() >= EMAILS_KEPT {
                emails.clear();
            }
        }
        emails.insert(user_id.to_string(), (Instant::now(), email.clone()));
        Ok(email)
    }

    /// Posts a message (to a user id: the app's direct message with them).
    pub async fn post_message(
        &self,
        channel: &str,
        text: &str,
        blocks: &Value,
    ) -> Result<Posted, SlackError> {
        let v = self
            .post(
                "chat.postMessage",
                &json!({"channel": channel, "text": text, "blocks": blocks, "unfurl_links": false}),
            )
            .await?;
        Ok(Posted {
            channel: v["channel"].as_str().unwrap_or(channel).to_string(),
            ts: v["ts"].as_str().unwrap_or_default().to_string(),
        })
    }

    /// Replaces a message posted earlier.
    pub async fn update_message(
        &self,
        channel: &str,
        ts: &str,
        text: &str,
        blocks: &Value,
    ) -> Result<(), SlackError> {
        self.post(
            "chat.update",
            &json!({"channel": channel, "ts": ts, "text": text, "blocks": blocks}),
        )
        .await
        .map(drop)
    }

    /// Opens a modal for the interaction that sent `trigger_id` (valid for 3 seconds).
    pub async fn open_view(&self, trigger_id: &str, view: &Value) -> Result<String, SlackError> {
        let v = self
            .post(
                "views.open",
                &json!({"trigger_id": trigger_id, "view": view}),
            )
            .await?;
        Ok(v["view"]["id"].as_str().unwrap_or_default().to_string())
    }

    /// Replaces an open modal.
    pub async fn update_view(&self, view_id: &str, view: &Value) -> Result<(), SlackError> {
        self.post("views.update", &json!({"view_id": view_id, "view": view}))
            .await
            .map(drop)
    }
}

/// A Slack user, as Runway needs one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlackUser {
    pub id: String,
}
