//! The Jira trigger: tickets become requests, and requests report back on their tickets.
//!
//! - [`signature`]: verifying `X-Hub-Signature` on inbound webhooks.
//! - [`trigger`]: an inbound webhook event: which action's `jira:` section it matches, who the
//!   reporter is in Runway, the form filled from the ticket, and the request made through the
//!   portal's own submit (or a comment saying what is missing).
//! - [`adf`]: Atlassian Document Format for comments.
//! - [`JiraApi`]: the REST v3 calls Runway makes: comments and transitions.
//! - [`deliver`]: the outbox's Jira deliveries (a comment with the request's link when it is made,
//!   its outcome when it ends, and the ticket's transition).

pub mod adf;
pub mod signature;
pub mod trigger;

use crate::config::JiraSettings;
use crate::db::notify::OutboxEvent;
use crate::db::requests::RequestRow;
use crate::notify::{JIRA_CREATED, JIRA_FINISHED, JIRA_TRANSITION};
use crate::queue::handler::{Handler, JobContext};
use crate::state::Runway;
use adf::{Block, Inline};
use async_trait::async_trait;
use runway_domain::secret::Secret;
use runway_domain::spec::ActionSpec;
use serde_json::{json, Value};
use std::time::Duration;

/// Why a call to Jira failed, worded for the admins' delivery list.
#[derive(Debug, Clone, thiserror::Error)]
pub enum JiraError {
    #[error("Jira could not be reached: {0}")]
    Unreachable(String),
    #[error("Jira answered {what} with HTTP {status}")]
    Status { what: String, status: u16 },
    #[error(
        "the ticket has no transition named `{wanted}` from its status (it offers: {offered})"
    )]
    NoTransition { wanted: String, offered: String },
    #[error("{0}")]
    Other(String),
}

impl JiraError {
    /// Failures a retry cannot fix: the ticket is gone, we may not touch it, the workflow has no
    /// such transition.
    pub fn is_permanent(&self) -> bool {
        match self {
            JiraError::Status { status, .. } => matches!(status, 400 | 401 | 403 | 404),
            JiraError::NoTransition { .. } | JiraError::Other(_) => true,
            JiraError::Unreachable(_) => false,
        }
    }
}

#[derive(Clone)]
enum Auth {
    /// Jira Cloud: account e-mail and API token.
    Basic { user: String, token: Secret },
    /// Data Center: a personal access token.
    Bearer(Secret),
}

/// The Jira REST calls Runway makes.
#[derive(Clone)]
pub struct JiraApi {
    http: reqwest::Client,
    base: String,
    auth: Auth,
}

impl JiraApi {
    /// The client for these settings, or `None` when Jira is not set up.
    pub fn from_settings(s: &JiraSettings) -> Option<Self> {
        if !s.enabled() {
            return None;
        }
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .ok()?;
        let auth = if s.user_email.is_empty() {
            Auth::Bearer(s.api_token.clone())
        } else {
            Auth::Basic {
                user: s.user_email.clone(),
                token: s.api_token.clone(),
            }
        };
        Some(Self {
            http,
            base: s.base_url.trim_end_matches('/').to_string(),
            auth,
        })
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let b = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("accept", "application/json");
        match &self.auth {
            Auth::Basic { user, token } => b.basic_auth(user, Some(token.expose())),
            Auth::Bearer(t) => b.bearer_auth(t.expose()),
        }
    }

    async fn send(&self, what: &str, b: reqwest::RequestBuilder) -> Result<Value, JiraError> {
        let answer = b
            .send()
            .await
            .map_err(|e| JiraError::Unreachable(e.without_url().to_string()))?;
        let status = answer.status();
        if !status.is_success() {
            return Err(JiraError::Status {
                what: what.to_string(),
                status: status.as_u16(),
            });
        }
        // 204 No Content (a transition) has no body.
        let text = answer
            .text()
            .await
            .map_err(|e| JiraError::Unreachable(e.without_url().to_string()))?;
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    fn issue_path(key: &str, tail: &str) -> String {
        let key: String = url::form_urlencoded::byte_serialize(key.as_bytes()).collect();
        format!("/rest/api/3/issue/{key}{tail}")
    }

    /// Adds a comment (an ADF document) to the ticket.
    pub async fn comment(&self, issue_key: &str, body: &Value) -> Result<(), JiraError> {
        let b = self
            .request(
                reqwest::Method::POST,
                &Self::issue_path(issue_key, "/comment"),
            )
            .json(&json!({ "body": body }));
        self.send("the comment", b).await.map(drop)
    }

    /// Moves the ticket along the transition called `name` (compared without regard to case).
    pub async fn transition(&self, issue_key: &str, name: &str) -> Result<(), JiraError> {
        let path = Self::issue_path(issue_key, "/transitions");
        let offered = self
            .send(
                "the list of transitions",
                self.request(reqwest::Method::GET, &path),
            )
            .await?;
        let list = offered["transitions"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let found = list.iter().find(|t| {
            t["name"]
                .as_str()
                .is_some_and(|n| n.trim().eq_ignore_ascii_case(name.trim()))
        });
        let Some(id) = found.and_then(|t| t["id"].as_str()) else {
            let offered: Vec<&str> = list.iter().filter_map(|t| t["name"].as_str()).collect();
            return Err(JiraError::NoTransition {
                wanted: name.to_string(),
                offered: if offered.is_empty() {
                    "none".into()
                } else {
                    offered.join(", ")
                },
            });
        };
        let b = self
            .request(reqwest::Method::POST, &path)
            .json(&json!({"transition": {"id": id}}));
        self.send("the transition", b).await.map(drop)
    }

    /// The e-mail address of an account (`GET /rest/api/3/user`), when Jira shows it.
    pub async fn email_of(&self, account_id: &str) -> Result<Option<String>, JiraError> {
        let b = self
            .request(reqwest::Method::GET, "/rest/api/3/user")
            .query(&[("accountId", account_id)]);
        let v = self.send("the reporter's profile", b).await?;
        Ok(v["emailAddress"]
            .as_str()
            .filter(|e| !e.is_empty())
            .map(str::to_string))
    }
}

/// Sends one of the outbox's Jira deliveries about `row`.
pub async fn deliver(
    rw: &Runway,
    api: &JiraApi,
    ev: &OutboxEvent,
    row: &RequestRow,
    notification: &str,
) -> Result<(), JiraError> {
    let db_error = |e: crate::db::DbError| {
        tracing::error!(error = %e, "jira: database error");
        JiraError::Unreachable("the database could not be read".into())
    };
    let Some((key, _)) = crate::db::notify::ticket_of(&rw.db, row.id)
        .await
        .map_err(db_error)?
    else {
        return Err(JiraError::Other("the request has no ticket".into()));
    };
    let title = rw.catalog.snapshot().title_of(&row.action_id);
    let link = format!(
        "{}/requests/{}",
        rw.settings.public_origin(None).trim_end_matches('/'),
        row.id
    );
    let request_link = Inline::Link {
        text: format!("{title} #{}", row.id),
        href: link.clone(),
    };
    match notification {
        JIRA_CREATED => {
            let waits = if ev.kind == "approval_requested" {
                "It waits for approval; this ticket hears when it ends."
            } else {
                "It is queued; this ticket hears when it ends."
            };
            let body = adf::doc(&[Block::Paragraph(vec![
                Inline::Text("Runway made the request ".into()),
                request_link,
                Inline::Text(format!(" from this ticket. {waits}")),
            ])]);
            api.comment(&key, &body).await
        }
        JIRA_FINISHED => {
            let outcome = match ev.kind.as_str() {
                "succeeded" => "succeeded".to_string(),
                "failed" => "failed".to_string(),
                "rejected" => format!(
                    "was rejected{}",
                    ev.actor_name
                        .as_deref()
                        .map(|a| format!(" by {a}"))
                        .unwrap_or_default()
                ),
                "expired" => "expired: nobody approved it in time".to_string(),
                _ => "was cancelled".to_string(),
            };
            let mut blocks = vec![Block::Paragraph(vec![
                Inline::Text("The request ".into()),
                request_link,
                Inline::Text(format!(" {outcome}.")),
            ])];
            if ev.kind == "rejected" {
                if let Some(c) = ev.detail.as_deref().filter(|c| !c.is_empty()) {
                    blocks.push(Block::Paragraph(vec![Inline::Text(format!(
                        "Comment: {c}"
                    ))]));
                }
            }
            if ev.kind == "failed" {
                let errors: Vec<String> = serde_json::from_str(&row.errors).unwrap_or_default();
                if let Some(e) = errors.last() {
                    blocks.push(Block::Paragraph(vec![Inline::Text(format!("Error: {e}"))]));
                }
            }
            if ev.kind == "succeeded" {
                let outputs = crate::db::requests::outputs(&rw.db, row.id)
                    .await
                    .map_err(db_error)?;
                let shown: Vec<Vec<Inline>> = outputs
                    .iter()
                    .filter(|o| o.kind != "secret")
                    .filter_map(|o| {
                        let v = o.value.clone()?;
                        Some(vec![
                            Inline::Strong(o.label.clone().unwrap_or_else(|| o.name.clone())),
                            Inline::Text(format!(": {v}")),
                        ])
                    })
                    .collect();
                if !shown.is_empty() {
                    blocks.push(Block::Bullets(shown));
                }
                if outputs.iter().any(|o| o.secret_waiting) {
                    blocks.push(Block::Paragraph(vec![Inline::Text(
                        "A secret result waits on the request's page for its requester (shown once, for 24 hours).".into(),
                    )]));
                }
            }
            api.comment(&key, &adf::doc(&blocks)).await
        }
        JIRA_TRANSITION => {
            let spec = spec_of(rw, row).await.map_err(db_error)?;
            let jira = spec.and_then(|s| s.jira);
            let name = match ev.kind.as_str() {
                "succeeded" => jira.and_then(|j| j.on_success),
                _ => jira.and_then(|j| j.on_failure),
            };
            match name {
                Some(name) => api.transition(&key, &name).await,
                None => Ok(()),
            }
        }
        other => Err(JiraError::Other(format!("unknown Jira delivery {other}"))),
    }
}

/// The action version the request was made against.
async fn spec_of(rw: &Runway, row: &RequestRow) -> Result<Option<ActionSpec>, crate::db::DbError> {
    Ok(
        crate::db::catalog::version_spec(&rw.db, &row.action_id, &row.action_hash)
            .await?
            .and_then(|j| serde_json::from_str(&j).ok()),
    )
}

/// The job kind of a comment about a ticket that made no request (what is missing, who is
/// unknown): durable and retried like every delivery.
pub const COMMENT_JOB: &str = "jira_comment";

#[derive(serde::Serialize, serde::Deserialize)]
pub struct CommentJob {
    pub issue_key: String,
    pub body: Value,
}

/// Runs `jira_comment` jobs. A comment Jira refuses for good (or still fails at the job's last
/// attempt) is recorded for the admins' delivery report.
pub struct CommentHandler {
    api: Option<JiraApi>,
    db: crate::db::Db,
}

impl CommentHandler {
    pub fn new(rw: &Runway) -> Self {
        Self {
            api: JiraApi::from_settings(&rw.settings.jira),
            db: rw.db.clone(),
        }
    }

    async fn record(&self, issue_key: &str, error: &JiraError) {
        if let Err(e) =
            crate::db::jira::comment_failed(&self.db, issue_key, &error.to_string()).await
        {
            tracing::error!(error = %e, "jira: cannot record a refused comment");
        }
    }
}

#[async_trait]
impl Handler for CommentHandler {
    async fn run(&self, ctx: &JobContext) -> Result<(), String> {
        let Some(api) = &self.api else {
            return Err("Jira is not set up on this worker".into());
        };
        let job: CommentJob = serde_json::from_str(&ctx.job.payload)
            .map_err(|_| "the comment job's payload is not a comment".to_string())?;
        match api.comment(&job.issue_key, &job.body).await {
            Ok(()) => Ok(()),
            Err(e) if e.is_permanent() => {
                tracing::warn!(issue = %job.issue_key, error = %e, "jira: comment refused");
                self.record(&job.issue_key, &e).await;
                Ok(())
            }
            Err(e) => {
                if ctx.job.attempt >= ctx.job.max_attempts {
                    self.record(&job.issue_key, &e).await;
                }
                Err(e.to_string())
            }
        }
    }
}
