//! What the API answers and accepts: its own types, separate from the pages' views, so the pages
//! can change without breaking scripts. Every type here is in the OpenAPI document.

use runway_domain::view::{ActionCard, HistoryRow, InboxItem, InputValue, RequestView};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An action in the catalogue list.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ActionSummary {
    pub id: String,
    pub title: String,
    pub summary: String,
    pub category: String,
    /// The team that owns the action.
    pub owner: String,
    pub tags: Vec<String>,
    /// Visible to early-adopter teams only.
    pub beta: bool,
    pub deprecated: bool,
}

impl From<ActionCard> for ActionSummary {
    fn from(c: ActionCard) -> Self {
        Self {
            id: c.id,
            title: c.title,
            summary: c.summary,
            category: c.category,
            owner: c.owner,
            tags: c.tags,
            beta: c.beta,
            deprecated: c.deprecated,
        }
    }
}

/// One action with its form.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ActionOut {
    #[serde(flatten)]
    pub summary: ActionSummary,
    /// The action's description, as sanitised HTML.
    pub description_html: String,
    /// Who approves, in words.
    pub approval: String,
    /// `script`, `webhook` or `manual`, in words.
    pub executor: String,
    /// The first 12 hex digits of the version a request records now.
    pub version: String,
    /// `active`, `deprecated` or `retired`.
    pub lifecycle: String,
    /// JSON Schema (draft 2020-12) of `inputs` for this caller: types, required fields, patterns,
    /// choices, and fields required only when another field has a value.
    #[schema(value_type = Object)]
    pub input_schema: serde_json::Value,
    /// The form in Runway's own terms (the field specs the portal validates with); the command-line
    /// client validates against these before sending.
    #[schema(value_type = Vec<Object>)]
    pub form: serde_json::Value,
}

/// A new request.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SubmitIn {
    /// Field name to value: text, a number, true/false, or a list for multi-choice fields.
    #[schema(value_type = Object)]
    pub inputs: serde_json::Map<String, serde_json::Value>,
}

/// What a submission made.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Submitted {
    pub id: i64,
    /// `queued` or `pending_approval`, or the state of the earlier request this key made.
    pub status: String,
    /// False when an earlier call with the same `Idempotency-Key` made this request.
    pub created: bool,
    /// The request's page in the portal.
    pub url: String,
}

/// A request input as recorded (secret fields are listed without a value).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct InputOut {
    pub label: String,
    /// Text, true/false, or null for a secret field.
    pub value: Option<InputValueOut>,
    pub secret: bool,
}

/// A recorded input's value: text (every kind of field but a checkbox), or a checkbox's
/// true/false.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum InputValueOut {
    Text(String),
    Bool(bool),
}

/// A step in a request's timeline.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct EventOut {
    /// RFC 3339.
    pub at: String,
    /// `submitted`, `approved`, `started`, `attempt_failed`, `succeeded`…
    pub kind: String,
    pub actor: Option<String>,
    pub attempt: Option<i64>,
    pub detail: Option<String>,
}

/// A result of a request.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OutputOut {
    pub name: String,
    pub label: String,
    /// `text`, `link` or `secret`.
    pub kind: String,
    /// The value; never for secrets (reveal them once with the secrets endpoint).
    pub value: Option<String>,
    /// A secret still waiting to be revealed by the requester.
    pub secret_waiting: bool,
}

/// A request: its state, timeline and results.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RequestOut {
    pub id: i64,
    pub action_id: String,
    pub action_title: String,
    /// `pending_approval`, `queued`, `running`, `succeeded`, `failed`, `cancelled`, `rejected`,
    /// `expired`.
    pub status: String,
    pub is_final: bool,
    /// Who asked: a person's name, or for a service token `<name> (service, <team>)`.
    pub requester: Option<String>,
    pub team: Option<String>,
    /// Where it was made: `portal`, `api`, `slack` or `jira`.
    #[serde(default)]
    pub channel: String,
    /// The same in words when not in the portal: "through the API", "from Slack", "from Jira
    /// ticket PLAT-7".
    pub origin: Option<String>,
    /// RFC 3339.
    pub created_at: String,
    pub finished_at: Option<String>,
    /// The first 12 hex digits of the action version it ran.
    pub version: String,
    pub inputs: Vec<InputOut>,
    pub events: Vec<EventOut>,
    pub outputs: Vec<OutputOut>,
    /// Every failed attempt's error, once the request has failed for good.
    pub errors: Vec<String>,
    pub url: String,
}

impl RequestOut {
    pub fn from_view(v: RequestView, public: &str) -> Self {
        Self {
            url: format!("{public}/requests/{}", v.id),
            id: v.id,
            action_id: v.action_id,
            action_title: v.action_title,
            status: v.status,
            is_final: v.is_final,
            requester: v.requester,
            team: v.team,
            channel: v.channel,
            origin: v.origin,
            created_at: v.created_at,
            finished_at: v.finished_at,
            version: v.version,
            inputs: v
                .inputs
                .into_iter()
                .map(|(label, value)| match value {
                    InputValue::Secret => InputOut {
                        label,
                        value: None,
                        secret: true,
                    },
                    InputValue::Bool(b) => InputOut {
                        label,
                        value: Some(InputValueOut::Bool(b)),
                        secret: false,
                    },
                    InputValue::Text(t) => InputOut {
                        label,
                        value: Some(InputValueOut::Text(t)),
                        secret: false,
                    },
                })
                .collect(),
            events: v
                .events
                .into_iter()
                .map(|e| EventOut {
                    at: e.at,
                    kind: e.kind,
                    actor: e.actor,
                    attempt: e.attempt,
                    detail: e.detail,
                })
                .collect(),
            outputs: v
                .outputs
                .into_iter()
                .map(|o| OutputOut {
                    name: o.name,
                    label: o.label,
                    kind: o.kind,
                    value: o.value,
                    secret_waiting: o.secret_waiting,
                })
                .collect(),
            errors: v.errors,
        }
    }
}

/// One log line.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LogLine {
    /// Increasing; pass the last one as `after` to read on.
    pub id: i64,
    pub attempt: i64,
    /// `stdout`, `stderr` or `runway`.
    pub stream: String,
    pub line: String,
}

/// A page of log lines.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LogPage {
    pub lines: Vec<LogLine>,
    /// The `after` of the next page; absent when this page reached the end so far.
    pub next_after: Option<i64>,
}

/// A request in a list.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RequestSummary {
    pub id: i64,
    pub action_id: String,
    pub action_title: String,
    pub requester: String,
    pub team: Option<String>,
    pub status: String,
    pub created_at: String,
    pub finished_at: Option<String>,
    /// Where it was made: `portal`, `api`, `slack` or `jira`.
    pub channel: String,
}

impl From<HistoryRow> for RequestSummary {
    fn from(r: HistoryRow) -> Self {
        Self {
            id: r.id,
            action_id: r.action_id,
            action_title: r.action_title,
            requester: r.requester,
            team: r.team,
            status: r.status,
            created_at: r.created_at,
            finished_at: r.finished_at,
            channel: r.channel,
        }
    }
}

/// A page of requests, newest first.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RequestPage {
    pub items: Vec<RequestSummary>,
    /// Pass as `before` for the next (older) page; absent on the last page.
    pub next_before: Option<i64>,
}

/// A request waiting for the caller's approval.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ApprovalItem {
    pub id: i64,
    pub action_title: String,
    pub requester: Option<String>,
    pub team: Option<String>,
    pub created_at: String,
}

impl From<InboxItem> for ApprovalItem {
    fn from(i: InboxItem) -> Self {
        Self {
            id: i.id,
            action_title: i.action_title,
            requester: i.requester,
            team: i.team,
            created_at: i.created_at,
        }
    }
}

/// A page of the approvals inbox.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ApprovalPage {
    pub items: Vec<ApprovalItem>,
    /// How many requests wait for the caller in all.
    pub total: i64,
    pub next_before: Option<i64>,
}

/// A decision's comment.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
pub struct DecisionIn {
    /// Why; required to reject.
    #[serde(default)]
    pub comment: String,
}

/// What a decision did.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DecisionOut {
    pub id: i64,
    /// The request's state after the decision.
    pub status: String,
}

/// A secret result, shown once.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SecretOut {
    pub name: String,
    pub value: String,
}

/// Who the token acts for.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct WhoAmI {
    pub name: String,
    pub teams: Vec<String>,
    pub is_admin: bool,
    /// `personal` or `service`.
    pub token_kind: String,
    pub token_name: String,
    pub scopes: Vec<String>,
}
