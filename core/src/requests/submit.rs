//! Submitting an action's form: validation, sealing secret inputs, and recording the request (and
//! its job) through the queue.

use crate::auth::viewer;
use crate::db::jobs::{NewJob, NewRequest, Submitted};
use crate::db::DbError;
use crate::state::Runway;
use runway_domain::form::{self, FieldErrors, RawValues};
use runway_domain::request::Channel;
use runway_domain::spec::{ActionSpec, ApprovalPolicy, FieldKind, LifecycleStatus, RunSpec};
use runway_domain::user::User;
use runway_domain::view::ActionLink;
use serde::{Deserialize, Serialize};

/// Why a submission did not create a request.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// No such action, or not visible to this user.
    #[error("no such action, or not visible to the user")]
    NotFound,
    /// The action is retired: it takes no new requests. `replacement` is the action to use
    /// instead, when it names one the user may see.
    #[error("the action is retired")]
    Retired { replacement: Option<ActionLink> },
    /// The idempotency key already made request `request_id`, for another action or other values.
    #[error("the idempotency key was used for a different submission")]
    KeyReused { request_id: i64 },
    /// The form has mistakes: one message per field.
    #[error("the form has {} mistake(s)", .0.len())]
    Invalid(FieldErrors),
    /// Recording failed; sealing the secret inputs happens inside that transaction, so its
    /// failures arrive here too.
    #[error(transparent)]
    Db(#[from] DbError),
}

/// How long an idempotency key finds the request it made, whatever became of that request (while
/// the request is active, the key finds it however old it is).
pub const IDEMPOTENCY_HOURS: i64 = 24;

/// What the job of a script or webhook request carries: the request's secret inputs, sealed.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct JobPayload {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sealed_secrets: Option<String>,
}

/// Validates `raw` against the action's form and records the request (and its job, unless it waits
/// for approval or for a person). A repeated `idempotency_key` returns the request it created.
pub async fn submit(
    rw: &Runway,
    user: &User,
    action_id: &str,
    raw: &RawValues,
    idempotency_key: Option<String>,
) -> Result<i64, SubmitError> {
    submit_via(rw, user, action_id, raw, idempotency_key, Origin::portal())
        .await
        .map(|s| s.request_id)
}

/// Where a submission comes from, and who answers for it when its requester is a service account.
#[derive(Debug, Clone)]
pub struct Origin {
    pub channel: Channel,
    /// The person accountable (a service token's maker); they may not approve the request.
    pub made_by: Option<i64>,
    /// The Jira ticket it was made from.
    pub ticket: Option<crate::db::jobs::Ticket>,
}

impl Origin {
    pub fn portal() -> Self {
        Self {
            channel: Channel::Portal,
            made_by: None,
            ticket: None,
        }
    }
}

/// [`submit`] from any channel: says whether the request is new or one an earlier call with the
/// same key made.
pub async fn submit_via(
    rw: &Runway,
    user: &User,
    action_id: &str,
    raw: &RawValues,
    idempotency_key: Option<String>,
    origin: Origin,
) -> Result<Submitted, SubmitError> {
    let catalog = rw.catalog.snapshot();
    let who = viewer(user);
    let teams: Vec<String> = user.teams.iter().map(|m| m.team.clone()).collect();
    let visible = catalog
        .actions
        .get(action_id)
        .filter(|a| who.may_see(&a.spec));
    let idempotency_key = idempotency_key.map(|k| format!("{}:{k}", user.id));
    if let Some(key) = &idempotency_key {
        // A repeat gets the request the first call made, even if the action was retired since.
        let since = chrono::Utc::now() - chrono::Duration::hours(IDEMPOTENCY_HOURS);
        if let Some(request_id) =
            crate::db::requests::by_idempotency_key(&rw.db, key, since).await?
        {
            let valid = visible.and_then(|a| form::validate(&a.spec.inputs, raw, &teams).ok());
            return same_as_earlier(rw, request_id, action_id, valid.as_ref()).await;
        }
    }
    let action = visible.ok_or(SubmitError::NotFound)?.clone();
    if action.spec.lifecycle.status == LifecycleStatus::Retired {
        return Err(SubmitError::Retired {
            replacement: catalog.replacement_for(&action.spec, &who),
        });
    }
    let validated = form::validate(&action.spec.inputs, raw, &teams);
    let valid = validated.map_err(SubmitError::Invalid)?;
    let team = request_team(&action.spec, &valid.values, &teams);
    let inputs = serde_json::Value::Object(valid.values.clone()).to_string();
    let plain_secrets = (!valid.secrets.is_empty())
        .then(|| serde_json::Value::Object(valid.secrets.clone()).to_string());
    // Sealed once the request has its id, which is bound in as associated data: a payload copied
    // to another request's job does not open there.
    let secrets = rw.secrets.clone();
    let payload_for =
        move |request_id: i64| -> Result<String, Box<dyn std::error::Error + Send + Sync>> {
            let sealed_secrets = plain_secrets
                .as_ref()
                .map(|plain| secrets.seal(request_id, plain.as_bytes()))
                .transpose()?;
            Ok(serde_json::to_string(&JobPayload { sealed_secrets })?)
        };
    let spec = &action.spec;
    let executor = spec.run.kind().as_str().to_string();
    let job = match spec.run {
        RunSpec::Manual { .. } => None,
        _ => Some(NewJob {
            kind: executor.clone(),
            action_id: Some(spec.id.to_string()),
            concurrency_limit: spec.concurrency.map(i64::from),
            // Made by `payload_for` once the request has an id.
            payload: String::new(),
            run_at_ms: crate::queue::now_ms(),
            max_attempts: i64::from(spec.retries) + 1,
            timeout_ms: i64::try_from(spec.timeout.as_secs().saturating_mul(1000))
                .unwrap_or(i64::MAX),
        }),
    };
    let submitted = rw
        .queue
        .submit_with_payload(
            &NewRequest {
                action_id: spec.id.to_string(),
                action_hash: action.content_hash.clone(),
                requester_id: Some(user.id),
                team,
                inputs,
                idempotency_key,
                executor,
                job,
                needs_approval: spec.approval_for(&valid.values) != ApprovalPolicy::None,
                channel: origin.channel,
                made_by: origin.made_by,
                ticket: origin.ticket,
            },
            &payload_for,
        )
        .await?;
    if !submitted.created {
        // An active request with this key, older than the look-up above reaches, or made by a
        // concurrent call: the same rules as a repeat.
        return same_as_earlier(rw, submitted.request_id, action_id, Some(&valid)).await;
    }
    // Approvers' badges on this process count it at once.
    rw.waiting_versions.forget(&());
    Ok(submitted)
}

/// A repeat of the submission that made `request_id` (the same idempotency key): that request, when
/// the repeat asks for the same action with the same values. A repeat whose values no longer pass
/// the form (the form changed meanwhile) still gets the earlier request: it cannot be compared.
async fn same_as_earlier(
    rw: &Runway,
    request_id: i64,
    action_id: &str,
    valid: Option<&form::ValidInputs>,
) -> Result<Submitted, SubmitError> {
    let row = crate::db::requests::get(&rw.db, request_id)
        .await?
        .ok_or(SubmitError::NotFound)?;
    let stored: serde_json::Value = serde_json::from_str(&row.inputs).unwrap_or_default();
    let differs = row.action_id != action_id
        || valid.is_some_and(|v| serde_json::Value::Object(v.values.clone()) != stored);
    if differs {
        return Err(SubmitError::KeyReused { request_id });
    }
    Ok(Submitted {
        request_id,
        created: false,
    })
}

/// The team a request is for: the form's first team field, else the requester's only (or first) team.
fn request_team(
    spec: &ActionSpec,
    values: &serde_json::Map<String, serde_json::Value>,
    teams: &[String],
) -> Option<String> {
    spec.inputs
        .iter()
        .filter(|f| matches!(f.kind, FieldKind::Team))
        .find_map(|f| values.get(f.name.as_str()).and_then(|v| v.as_str()))
        .map(str::to_string)
        .or_else(|| teams.first().cloned())
}
