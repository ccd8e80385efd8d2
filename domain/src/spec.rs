//! The action specification: what one catalogue file declares.
//!
//! These types are the *validated* form. [`crate::parse`] builds them from YAML and refuses anything
//! inconsistent, so code that holds an [`ActionSpec`] may rely on its invariants: field names are unique,
//! `visible_if` and templates refer to fields that exist, patterns compile, ranges are ordered, defaults
//! satisfy their own field's rules.

use crate::duration::HumanDuration;
use crate::ids::{ActionId, FieldName, TeamName};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One self-service action from the catalogue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionSpec {
    pub id: ActionId,
    pub title: String,
    /// One sentence shown on the catalogue card.
    pub summary: String,
    /// Markdown shown on the action page (rendered and sanitised by the server).
    pub description: String,
    pub category: String,
    pub tags: Vec<String>,
    /// The team that owns and fulfils this action.
    pub owner: TeamName,
    pub inputs: Vec<FieldSpec>,
    pub run: RunSpec,
    pub approval: ApprovalPolicy,
    /// `approval.when`: the approval is needed only for requests whose values meet this condition
    /// (`{field: environment, equals: production}`); `None` = for every request. Absent in specs
    /// stored before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval_when: Option<Condition>,
    /// How long one attempt may run before it is stopped.
    pub timeout: HumanDuration,
    /// How many times a failed attempt is retried (0 = run once).
    pub retries: u32,
    /// At most this many jobs of this action run at once, across all workers; `None` = no cap.
    pub concurrency: Option<u32>,
    pub visible_to: Visibility,
    /// The ticket type this action replaces ("JIRA PLAT: New repository"), free text.
    pub replaces: Option<String>,
    /// How long the action usually takes end to end, as told to developers.
    pub estimate: Option<HumanDuration>,
    /// Active, deprecated or retired, with the action to use instead. Absent in specs stored
    /// before it existed, which are active.
    #[serde(default, skip_serializing_if = "Lifecycle::is_active_plain")]
    pub lifecycle: Lifecycle,
    /// `jira:`: the Jira tickets that become requests of this action.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jira: Option<JiraTrigger>,
}

impl ActionSpec {
    /// The approval a request with these (validated) values needs: [`ActionSpec::approval`], or
    /// none when `approval.when` does not hold for them.
    pub fn approval_for(
        &self,
        values: &serde_json::Map<String, serde_json::Value>,
    ) -> ApprovalPolicy {
        match &self.approval_when {
            Some(when) if !when.holds(values.get(when.field.as_str())) => ApprovalPolicy::None,
            _ => self.approval.clone(),
        }
    }

    /// The approval policy in plain words, with its condition, as shown on the action page.
    pub fn approval_in_words(&self) -> String {
        let policy = self.approval.in_words();
        let Some(when) = &self.approval_when else {
            return policy;
        };
        if self.approval == ApprovalPolicy::None {
            return policy;
        }
        let field = self.inputs.iter().find(|f| f.name == when.field);
        let label = field.map_or(when.field.as_str(), |f| f.label.as_str());
        let value = crate::template::value_text(Some(&when.equals));
        let value = match field.map(|f| &f.kind) {
            Some(FieldKind::Select { options } | FieldKind::Multiselect { options }) => options
                .iter()
                .find(|o| o.value == value)
                .map_or(value, |o| o.label.clone()),
            _ => value,
        };
        format!(
            "{}, when {label} is {value}; otherwise it runs as soon as you submit.",
            policy.trim_end_matches('.')
        )
    }
}

/// Where an action is in its life: `lifecycle:` in the catalogue file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lifecycle {
    pub status: LifecycleStatus,
    /// The action to use instead; checked against the catalogue by the loader, not the parser.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replacement: Option<ActionId>,
    /// Free text for people ("this one goes away in March").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Lifecycle {
    /// The longest `lifecycle.note`.
    pub const MAX_NOTE_CHARS: usize = 500;

    /// Active with nothing else said: the default, left out of stored JSON so that specs stored
    /// before lifecycles existed hash and compare the same.
    pub fn is_active_plain(&self) -> bool {
        *self == Lifecycle::default()
    }
}

/// `lifecycle.status`: deprecated actions are still listed and usable (with a notice); retired ones
/// are hidden from the catalogue and refuse new requests, while their pages and past requests stay
/// readable.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LifecycleStatus {
    #[default]
    Active,
    Deprecated,
    Retired,
}

impl LifecycleStatus {
    pub const NAMES: [&'static str; 3] = ["active", "deprecated", "retired"];

    pub fn as_str(self) -> &'static str {
        match self {
            LifecycleStatus::Active => "active",
            LifecycleStatus::Deprecated => "deprecated",
            LifecycleStatus::Retired => "retired",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "active" => Some(LifecycleStatus::Active),
            "deprecated" => Some(LifecycleStatus::Deprecated),
            "retired" => Some(LifecycleStatus::Retired),
            _ => None,
        }
    }
}

/// Who may see and use an action: everyone, or a beta rollout to some early-adopter teams.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "teams", rename_all = "snake_case")]
pub enum Visibility {
    All,
    Teams(Vec<TeamName>),
}

impl Visibility {
    pub fn is_beta(&self) -> bool {
        matches!(self, Visibility::Teams(_))
    }
}

/// Who must approve a request before it runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ApprovalPolicy {
    /// Runs as soon as it is submitted.
    None,
    /// `count` approvals from leads of the requester's team.
    TeamLead { count: u32 },
    /// `count` approvals from members of any of `groups`.
    Groups { groups: Vec<String>, count: u32 },
}

impl ApprovalPolicy {
    /// The policy in plain words, as shown on the action page.
    pub fn in_words(&self) -> String {
        fn approvals(count: u32) -> String {
            if count == 1 {
                "one approval".to_string()
            } else {
                format!("{count} approvals")
            }
        }
        match self {
            ApprovalPolicy::None => "No approval needed: runs as soon as you submit.".to_string(),
            ApprovalPolicy::TeamLead { count } => format!(
                "Needs {} from a lead of your team before it runs.",
                approvals(*count)
            ),
            ApprovalPolicy::Groups { groups, count } => format!(
                "Needs {} from members of {} before it runs.",
                approvals(*count),
                groups.join(", ")
            ),
        }
    }
}

/// How a request for this action is carried out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RunSpec {
    /// A program in the catalogue directory, given inputs as argv elements, env vars and JSON on stdin.
    Script {
        /// Path relative to the catalogue directory.
        command: String,
        /// Each element becomes exactly one argv element; `{{field}}` is replaced by the field's value.
        args: Vec<String>,
    },
    /// An HTTP call, signed per the Standard Webhooks spec.
    Webhook {
        method: HttpMethod,
        url: String,
        headers: BTreeMap<String, String>,
        /// JSON template; string values may contain `{{field}}` references (JSON-encoded on use).
        body: Option<serde_json::Value>,
        /// For systems that answer "accepted" and finish later: where to find the run's status.
        /// `None` = the first 2xx answer is the result. Absent in specs stored before it existed.
        #[serde(default)]
        poll: Option<WebhookPoll>,
    },
    /// A person on the owning team fulfils it from their inbox.
    Manual { instructions: Option<String> },
}

impl RunSpec {
    pub fn kind(&self) -> ExecutorKind {
        match self {
            RunSpec::Script { .. } => ExecutorKind::Script,
            RunSpec::Webhook { .. } => ExecutorKind::Webhook,
            RunSpec::Manual { .. } => ExecutorKind::Manual,
        }
    }
}

/// The executor kinds, for display and dispatch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExecutorKind {
    Script,
    Webhook,
    Manual,
}

impl ExecutorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ExecutorKind::Script => "script",
            ExecutorKind::Webhook => "webhook",
            ExecutorKind::Manual => "manual",
        }
    }

    pub fn in_words(self) -> &'static str {
        match self {
            ExecutorKind::Script => "Automated: runs a script.",
            ExecutorKind::Webhook => "Automated: calls another system.",
            ExecutorKind::Manual => "Fulfilled by a person on the owning team.",
        }
    }
}

/// How a webhook follows a long-running job after the call was accepted: the answer names a status
/// URL, which is fetched every `interval` until the status field reads one of `success` or
/// `failure` (or the action's timeout passes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookPoll {
    /// JSON pointer (RFC 6901) to the status URL in the first answer's body.
    pub status_url: String,
    /// JSON pointer to the status in each status answer's body.
    pub status: String,
    /// Status values that mean the job finished well.
    pub success: Vec<String>,
    /// Status values that mean the job failed.
    pub failure: Vec<String>,
    /// Time between two status requests.
    pub interval: HumanDuration,
}

impl Default for WebhookPoll {
    fn default() -> Self {
        let strings = |xs: &[&str]| xs.iter().map(|x| (*x).to_string()).collect();
        Self {
            status_url: "/status_url".to_string(),
            status: "/status".to_string(),
            success: strings(&["succeeded", "success"]),
            failure: strings(&["failed", "failure", "error", "cancelled"]),
            interval: HumanDuration::from_secs(5),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum HttpMethod {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl HttpMethod {
    /// The method as sent on the wire (`POST`).
    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
            HttpMethod::Put => "PUT",
            HttpMethod::Patch => "PATCH",
            HttpMethod::Delete => "DELETE",
        }
    }
}

/// One input of an action's form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldSpec {
    pub name: FieldName,
    pub label: String,
    pub help: Option<String>,
    pub placeholder: Option<String>,
    pub required: bool,
    /// Default value, already checked against the field's own rules.
    pub default: Option<serde_json::Value>,
    pub kind: FieldKind,
    /// Shown (and required) only when another field has a given value.
    pub visible_if: Option<Condition>,
}

/// `visible_if: {field: visibility, equals: private}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Condition {
    pub field: FieldName,
    pub equals: serde_json::Value,
}

impl Condition {
    /// Does the field's value (`None` when it is unset or hidden) meet the condition? A list
    /// (multiselect) meets it when it holds the value; an unset boolean counts as `false`.
    pub fn holds(&self, value: Option<&serde_json::Value>) -> bool {
        match value {
            Some(serde_json::Value::Array(items)) => items.contains(&self.equals),
            Some(v) => match (v.as_f64(), self.equals.as_f64()) {
                (Some(x), Some(y)) => x == y,
                _ => *v == self.equals,
            },
            None => self.equals == serde_json::Value::Bool(false),
        }
    }
}

/// A field's type and its type-specific rules.
///
/// JSON: `{"type": "<snake_case variant>", ...its rules}`. Serialised by serde's derive; read back
/// by a hand-written reader of the same shape (see `FlatFieldKind`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FieldKind {
    String {
        /// Anchored regular expression the whole value must match.
        pattern: Option<String>,
        min_length: Option<u32>,
        max_length: Option<u32>,
    },
    Text {
        min_length: Option<u32>,
        max_length: Option<u32>,
    },
    Integer {
        min: Option<i64>,
        max: Option<i64>,
        step: Option<i64>,
    },
    Number {
        min: Option<f64>,
        max: Option<f64>,
        step: Option<f64>,
    },
    Boolean,
    Select {
        options: Vec<SelectOption>,
    },
    Multiselect {
        options: Vec<SelectOption>,
    },
    /// One of the requester's teams.
    Team,
    /// A calendar date, `YYYY-MM-DD`.
    Date,
    /// Masked; never stored with the request and never logged.
    Secret {
        min_length: Option<u32>,
        max_length: Option<u32>,
    },
}

/// [`FieldKind`] as its JSON reads: the type and every rule any type may have. The browser reads
/// every action's fields this way: serde's reader for an internally tagged enum buffers each value
/// and has one copy of the code per type, 18 KB of the front end's WebAssembly; this is one struct.
/// Rules another type would have are ignored, as serde's derive ignores unknown fields.
#[derive(Deserialize)]
struct FlatFieldKind {
    #[serde(rename = "type")]
    kind: String,
    pattern: Option<String>,
    min_length: Option<u32>,
    max_length: Option<u32>,
    min: Option<serde_json::Number>,
    max: Option<serde_json::Number>,
    step: Option<serde_json::Number>,
    options: Option<Vec<SelectOption>>,
}

impl<'de> Deserialize<'de> for FieldKind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let f = FlatFieldKind::deserialize(d)?;
        let int = |n: Option<serde_json::Number>, name: &str| {
            n.map(|n| {
                n.as_i64()
                    .ok_or_else(|| D::Error::custom(format!("`{name}` must be a whole number")))
            })
            .transpose()
        };
        let float = |n: Option<serde_json::Number>| n.and_then(|n| n.as_f64());
        let options =
            |o: Option<Vec<SelectOption>>| o.ok_or_else(|| D::Error::missing_field("options"));
        Ok(match f.kind.as_str() {
            "string" => FieldKind::String {
                pattern: f.pattern,
                min_length: f.min_length,
                max_length: f.max_length,
            },
            "text" => FieldKind::Text {
                min_length: f.min_length,
                max_length: f.max_length,
            },
            "integer" => FieldKind::Integer {
                min: int(f.min, "min")?,
                max: int(f.max, "max")?,
                step: int(f.step, "step")?,
            },
            "number" => FieldKind::Number {
                min: float(f.min),
                max: float(f.max),
                step: float(f.step),
            },
            "boolean" => FieldKind::Boolean,
            "select" => FieldKind::Select {
                options: options(f.options)?,
            },
            "multiselect" => FieldKind::Multiselect {
                options: options(f.options)?,
            },
            "team" => FieldKind::Team,
            "date" => FieldKind::Date,
            "secret" => FieldKind::Secret {
                min_length: f.min_length,
                max_length: f.max_length,
            },
            other => return Err(D::Error::unknown_variant(other, &FieldKind::TYPE_NAMES)),
        })
    }
}

impl FieldKind {
    pub fn type_name(&self) -> &'static str {
        match self {
            FieldKind::String { .. } => "string",
            FieldKind::Text { .. } => "text",
            FieldKind::Integer { .. } => "integer",
            FieldKind::Number { .. } => "number",
            FieldKind::Boolean => "boolean",
            FieldKind::Select { .. } => "select",
            FieldKind::Multiselect { .. } => "multiselect",
            FieldKind::Team => "team",
            FieldKind::Date => "date",
            FieldKind::Secret { .. } => "secret",
        }
    }

    pub const TYPE_NAMES: [&'static str; 10] = [
        "string",
        "text",
        "integer",
        "number",
        "boolean",
        "select",
        "multiselect",
        "team",
        "date",
        "secret",
    ];
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SelectOption {
    pub value: String,
    pub label: String,
}

/// `jira:`: which Jira tickets become requests of this action, how their fields fill its form, and
/// where the ticket moves when the request ends. A ticket matches when it has every condition
/// given (`label`, `project`, `issue_type`); at least a label or a project is required, so no
/// action takes every ticket of a site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JiraTrigger {
    /// A label the ticket carries (`runway:create-repo`), at creation or added later.
    pub label: Option<String>,
    /// The project key (`PLAT`).
    pub project: Option<String>,
    /// The issue type's name (`Task`, `Service Request`).
    pub issue_type: Option<String>,
    /// Input name to where its value comes from, in the order written.
    pub inputs: Vec<(String, JiraSource)>,
    /// The transition (by name) to take when the request succeeds.
    pub on_success: Option<String>,
    /// The transition (by name) to take when the request fails, is rejected, expires or is
    /// cancelled.
    pub on_failure: Option<String>,
}

/// Where an input's value comes from in a ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JiraSource {
    Summary,
    Description,
    /// The ticket's labels (every one, for a multi-select; the first, for one value), without the
    /// trigger label.
    Labels,
    /// The components' names.
    Components,
    /// A field by id (`customfield_10010`, `priority`, `duedate`): its text, its `value` or
    /// `name`, or each item's, for lists.
    Field(String),
    /// A `Key: value` line in the description (`Repository name: billing-api`); the key is matched
    /// without regard to case.
    Line(String),
}

impl JiraSource {
    /// Reads the forms a `jira.inputs` value may take: `summary`, `description`, `labels`,
    /// `components`, `customfield_10010`, `field:<id>`, `line:<key>`.
    pub fn parse(s: &str) -> Option<JiraSource> {
        let s = s.trim();
        Some(match s {
            "summary" => JiraSource::Summary,
            "description" => JiraSource::Description,
            "labels" => JiraSource::Labels,
            "components" => JiraSource::Components,
            _ => {
                if let Some(key) = s.strip_prefix("line:") {
                    let key = key.trim();
                    if key.is_empty() {
                        return None;
                    }
                    JiraSource::Line(key.to_string())
                } else {
                    let id = s.strip_prefix("field:").unwrap_or(s).trim();
                    let ok = !id.is_empty()
                        && id
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
                    if !ok || (!s.starts_with("field:") && !id.starts_with("customfield_")) {
                        return None;
                    }
                    JiraSource::Field(id.to_string())
                }
            }
        })
    }
}

#[cfg(test)]
mod field_kind_json {
    use super::*;

    fn back(kind: &FieldKind) -> FieldKind {
        let json = serde_json::to_string(kind).unwrap();
        serde_json::from_str(&json).unwrap_or_else(|e| panic!("{json}: {e}"))
    }

    #[test]
    fn every_type_reads_back_what_serde_writes() {
        let options = vec![SelectOption {
            value: "eu".into(),
            label: "Europe".into(),
        }];
        let kinds = [
            FieldKind::String {
                pattern: Some("^[a-z]+$".into()),
                min_length: Some(1),
                max_length: Some(40),
            },
            FieldKind::String {
                pattern: None,
                min_length: None,
                max_length: None,
            },
            FieldKind::Text {
                min_length: Some(0),
                max_length: Some(u32::MAX),
            },
            FieldKind::Integer {
                min: Some(i64::MIN),
                max: Some(i64::MAX),
                step: Some(5),
            },
            FieldKind::Number {
                min: Some(-0.5),
                max: Some(1e300),
                step: Some(0.25),
            },
            FieldKind::Boolean,
            FieldKind::Select {
                options: options.clone(),
            },
            FieldKind::Multiselect { options },
            FieldKind::Team,
            FieldKind::Date,
            FieldKind::Secret {
                min_length: Some(12),
                max_length: None,
            },
        ];
        for kind in &kinds {
            assert_eq!(&back(kind), kind);
        }
        // Whole numbers are numbers too.
        let n: FieldKind = serde_json::from_str(r#"{"type":"number","min":2}"#).unwrap();
        assert_eq!(
            n,
            FieldKind::Number {
                min: Some(2.0),
                max: None,
                step: None
            }
        );
    }

    #[test]
    fn wrong_json_is_refused_with_a_reason() {
        let err = |json: &str| {
            serde_json::from_str::<FieldKind>(json)
                .unwrap_err()
                .to_string()
        };
        assert!(err(r#"{"type":"colour"}"#).contains("unknown variant `colour`"));
        assert!(err(r#"{"min":1}"#).contains("missing field `type`"));
        assert!(err(r#"{"type":"select"}"#).contains("missing field `options`"));
        assert!(err(r#"{"type":"integer","min":1.5}"#).contains("`min` must be a whole number"));
        assert!(err(r#"{"type":"string","max_length":-1}"#).contains("invalid value"));
    }
}
