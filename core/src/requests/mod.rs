//! Requests: submitting a form, and what people do with requests afterwards (seeing them,
//! fulfilling manual ones, revealing secret outputs). The web layer calls these after it knows who
//! is asking; every function here checks that the caller may do what they ask.

use crate::auth::viewer;
use crate::db::jobs::{NewJob, NewRequest};
use crate::db::requests::{self as sql, NewOutput, RequestRow};
use crate::state::Runway;
use runway_domain::form::{self, FieldErrors, RawValues};
use runway_domain::spec::{ActionSpec, ApprovalPolicy, FieldKind, RunSpec};
use runway_domain::user::User;
use serde::{Deserialize, Serialize};

/// Why a submission did not create a request.
#[derive(Debug)]
pub enum SubmitError {
    /// No such action, or not visible to this user.
    NotFound,
    /// The form has mistakes: one message per field.
    Invalid(FieldErrors),
    /// Something on our side; logged, shown generically.
    Internal(String),
}

/// What the job of a script or webhook request carries: the request's secret inputs, sealed.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct JobPayload {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sealed_secrets: Option<String>,
}

/// The additional authenticated data for secrets sealed before the request has an id.
pub const PAYLOAD_SEAL_ID: i64 = 0;

/// Validates `raw` against the action's form and records the request (and its job, unless it waits
/// for approval or for a person). A repeated `idempotency_key` returns the request it created.
pub async fn submit(
    rw: &Runway,
    user: &User,
    action_id: &str,
    raw: &RawValues,
    idempotency_key: Option<String>,
) -> Result<i64, SubmitError> {
    let catalog = rw.catalog.snapshot();
    let who = viewer(user);
    let action = catalog
        .actions
        .get(action_id)
        .filter(|a| who.may_see(&a.spec))
        .ok_or(SubmitError::NotFound)?
        .clone();
    let teams: Vec<String> = user.teams.iter().map(|m| m.team.clone()).collect();
    let valid = form::validate(&action.spec.inputs, raw, &teams).map_err(SubmitError::Invalid)?;
    let team = request_team(&action.spec, &valid.values, &teams);
    let inputs = serde_json::Value::Object(valid.values.clone()).to_string();
    let sealed_secrets = if valid.secrets.is_empty() {
        None
    } else {
        let plain = serde_json::Value::Object(valid.secrets.clone()).to_string();
        Some(
            rw.secrets
                .seal(PAYLOAD_SEAL_ID, plain.as_bytes())
                .map_err(SubmitError::Internal)?,
        )
    };
    let spec = &action.spec;
    let executor = spec.run.kind().as_str().to_string();
    let job = match spec.run {
        RunSpec::Manual { .. } => None,
        _ => Some(NewJob {
            kind: executor.clone(),
            action_id: Some(spec.id.to_string()),
            concurrency_limit: spec.concurrency.map(i64::from),
            payload: serde_json::to_string(&JobPayload { sealed_secrets })
                .map_err(|e| SubmitError::Internal(e.to_string()))?,
            run_at_ms: crate::queue::now_ms(),
            max_attempts: i64::from(spec.retries) + 1,
            timeout_ms: i64::try_from(spec.timeout.as_secs().saturating_mul(1000))
                .unwrap_or(i64::MAX),
        }),
    };
    let submitted = rw
        .queue
        .submit(&NewRequest {
            action_id: spec.id.to_string(),
            action_hash: action.content_hash.clone(),
            requester_id: Some(user.id),
            team,
            inputs,
            idempotency_key: idempotency_key.map(|k| format!("{}:{k}", user.id)),
            executor,
            job,
            needs_approval: !matches!(spec.approval, ApprovalPolicy::None),
        })
        .await
        .map_err(|e| SubmitError::Internal(e.to_string()))?;
    Ok(submitted.request_id)
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

/// May `user` see this request? The requester, members of the request's team, members of the team
/// that owns the action (they fulfil it), and admins.
pub fn may_see(rw: &Runway, user: &User, row: &RequestRow) -> bool {
    if user.is_admin || row.requester_id == Some(user.id) {
        return true;
    }
    let in_team = |t: &str| user.teams.iter().any(|m| m.team == t);
    if row.team.as_deref().is_some_and(in_team) {
        return true;
    }
    owner_of(rw, &row.action_id).is_some_and(|o| in_team(&o))
}

/// The team that owns (and fulfils) an action, from the current catalogue.
pub fn owner_of(rw: &Runway, action_id: &str) -> Option<String> {
    rw.catalog
        .snapshot()
        .actions
        .get(action_id)
        .map(|a| a.spec.owner.to_string())
}

/// May `user` fulfil this manual request? Members of the owning team, and admins.
pub fn may_fulfil(rw: &Runway, user: &User, row: &RequestRow) -> bool {
    user.is_admin
        || owner_of(rw, &row.action_id).is_some_and(|o| user.teams.iter().any(|m| m.team == o))
}

/// Reveals a secret output to its requester, once: the sealed value is deleted as it is read.
pub async fn reveal_secret(
    rw: &Runway,
    user: &User,
    request_id: i64,
    name: &str,
) -> Result<Option<String>, String> {
    let Some(row) = sql::get(&rw.db, request_id)
        .await
        .map_err(|e| e.to_string())?
    else {
        return Ok(None);
    };
    if row.requester_id != Some(user.id) {
        return Ok(None);
    }
    let Some(sealed) = sql::take_secret_output(&rw.db, request_id, name)
        .await
        .map_err(|e| e.to_string())?
    else {
        return Ok(None);
    };
    let plain = rw.secrets.open(request_id, &sealed)?;
    Ok(Some(String::from_utf8_lossy(&plain).into_owned()))
}

/// Turns reported outputs into rows, sealing secret ones for `request_id`.
pub fn seal_outputs(
    rw: &Runway,
    request_id: i64,
    outputs: &[crate::exec::Output],
) -> Result<Vec<NewOutput>, String> {
    outputs
        .iter()
        .map(|o| {
            let kind = match o.kind {
                crate::exec::OutputKind::Text => "text",
                crate::exec::OutputKind::Link => "link",
                crate::exec::OutputKind::Secret => "secret",
            };
            let (value, sealed) = if o.kind == crate::exec::OutputKind::Secret {
                (None, Some(rw.secrets.seal(request_id, o.value.as_bytes())?))
            } else {
                (Some(o.value.clone()), None)
            };
            Ok(NewOutput {
                name: o.name.clone(),
                label: o.label.clone(),
                kind: kind.to_string(),
                value,
                sealed,
            })
        })
        .collect()
}

/// Log lines a request page shows at first (the tail); earlier ones load on demand.
pub const LOG_TAIL: i64 = 500;

/// Earlier log lines of a request `user` may see: the `LOG_TAIL` lines before `before_id`.
pub async fn log_before(
    rw: &Runway,
    user: &User,
    id: i64,
    before_id: i64,
) -> Result<Option<Vec<runway_domain::view::LogLineView>>, crate::db::DbError> {
    let Some(row) = sql::get(&rw.db, id).await? else {
        return Ok(None);
    };
    if !may_see(rw, user, &row) {
        return Ok(None);
    }
    Ok(Some(
        sql::log_tail(&rw.db, id, Some(before_id), LOG_TAIL)
            .await?
            .into_iter()
            .map(|l| runway_domain::view::LogLineView {
                id: l.id,
                stream: l.stream,
                line: l.line,
            })
            .collect(),
    ))
}

/// The request page's data, if `user` may see request `id`.
pub async fn view(
    rw: &Runway,
    user: &User,
    id: i64,
) -> Result<Option<runway_domain::view::RequestView>, crate::db::DbError> {
    use runway_domain::view::{EventView, LogLineView, OutputView, RequestView};
    let Some(row) = sql::get(&rw.db, id).await? else {
        return Ok(None);
    };
    let policy = policy_of(rw, &row).await?;
    let can_approve = may_approve(&policy, user, &row)
        && !crate::db::approvals::decisions(&rw.db, id)
            .await?
            .iter()
            .any(|(who, _)| *who == user.id);
    if !(may_see(rw, user, &row) || can_approve) {
        return Ok(None);
    }
    let spec: Option<ActionSpec> =
        crate::db::catalog::version_spec(&rw.db, &row.action_id, &row.action_hash)
            .await?
            .and_then(|j| serde_json::from_str(&j).ok());
    let values: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&row.inputs).unwrap_or_default();
    let mut inputs = Vec::new();
    let mut raw: RawValues = Vec::new();
    if let Some(spec) = &spec {
        for f in &spec.inputs {
            let label = f.label.clone();
            if matches!(f.kind, FieldKind::Secret { .. }) {
                inputs.push((label, "(secret: not stored)".to_string()));
                continue;
            }
            let Some(v) = values.get(f.name.as_str()) else {
                continue;
            };
            let shown = match (&f.kind, v) {
                (FieldKind::Boolean, serde_json::Value::Bool(b)) => {
                    if *b { "Yes" } else { "No" }.to_string()
                }
                (FieldKind::Multiselect { .. }, serde_json::Value::Array(items)) => items
                    .iter()
                    .map(|i| runway_domain::template::value_text(Some(i)))
                    .collect::<Vec<_>>()
                    .join(", "),
                _ => runway_domain::template::value_text(Some(v)),
            };
            match v {
                serde_json::Value::Array(items) => {
                    for i in items {
                        raw.push((
                            f.name.to_string(),
                            runway_domain::template::value_text(Some(i)),
                        ));
                    }
                }
                other => raw.push((
                    f.name.to_string(),
                    runway_domain::template::value_text(Some(other)),
                )),
            }
            inputs.push((label, shown));
        }
    }
    let run_again = match &spec {
        Some(s) => {
            let q = form::prefill_query(&s.inputs, &raw);
            if q.is_empty() {
                format!("/actions/{}", row.action_id)
            } else {
                format!("/actions/{}?{q}", row.action_id)
            }
        }
        None => format!("/actions/{}", row.action_id),
    };
    let mut previous: Option<chrono::DateTime<chrono::Utc>> = None;
    let events = sql::events(&rw.db, id)
        .await?
        .into_iter()
        .map(|e| {
            let after = previous
                .and_then(|p| (e.at - p).to_std().ok())
                .map(runway_domain::duration::elapsed);
            previous = Some(e.at);
            EventView {
                at: e.at.to_rfc3339(),
                text: event_text(&e),
                kind: e.kind,
                after,
            }
        })
        .collect();
    let log = sql::log_tail(&rw.db, id, None, LOG_TAIL)
        .await?
        .into_iter()
        .map(|l| LogLineView {
            id: l.id,
            stream: l.stream,
            line: l.line,
        })
        .collect();
    let outputs = sql::outputs(&rw.db, id)
        .await?
        .into_iter()
        .map(|o| OutputView {
            label: o.label.clone().unwrap_or_else(|| o.name.replace('_', " ")),
            name: o.name,
            value: (o.kind != "secret").then_some(o.value).flatten(),
            kind: o.kind,
            secret_waiting: o.secret_waiting,
        })
        .collect();
    let status: Option<runway_domain::request::RequestStatus> = row.status.parse().ok();
    let lead_time = row.finished_at.map(|f| {
        let secs = (f - row.created_at).num_seconds().max(0);
        runway_domain::duration::HumanDuration::from_secs(u64::try_from(secs).unwrap_or(0))
            .to_string()
    });
    Ok(Some(RequestView {
        id,
        action_title: spec
            .as_ref()
            .map(|s| s.title.clone())
            .unwrap_or_else(|| row.action_id.clone()),
        action_id: row.action_id.clone(),
        status_label: status
            .map(|s| s.label().to_string())
            .unwrap_or_else(|| row.status.clone()),
        is_final: status.is_some_and(|s| s.is_final()),
        status: row.status.clone(),
        executor: row.executor.clone(),
        requester: row
            .requester_name
            .clone()
            .unwrap_or_else(|| "someone".into()),
        team: row.team.clone(),
        created_at: row.created_at.to_rfc3339(),
        finished_at: row.finished_at.map(|f| f.to_rfc3339()),
        lead_time,
        version: row.action_hash.chars().take(12).collect(),
        inputs,
        run_again,
        events,
        log,
        outputs,
        errors: serde_json::from_str(&row.errors).unwrap_or_default(),
        instructions: spec.as_ref().and_then(|s| match &s.run {
            RunSpec::Manual { instructions } => instructions.clone(),
            _ => None,
        }),
        assignee: row.assignee_name.clone(),
        note: row.note.clone(),
        can_fulfil: row.executor == "manual" && may_fulfil(rw, user, &row),
        is_requester: row.requester_id == Some(user.id),
        can_approve,
        can_cancel: may_cancel(user, &row),
        can_retry: may_retry(rw, user, &row),
        approval: policy.in_words(),
    }))
}

fn event_text(e: &sql::EventRow) -> String {
    let who = e.actor_name.clone().unwrap_or_default();
    let by = if who.is_empty() {
        String::new()
    } else {
        format!(" by {who}")
    };
    let attempt = e
        .attempt
        .map(|a| format!(" (attempt {a})"))
        .unwrap_or_default();
    match e.kind.as_str() {
        "submitted" => format!("Submitted{by}"),
        "queued" => "Queued".to_string(),
        "approval_requested" => "Waiting for approval".to_string(),
        "started" => format!("Started{attempt}"),
        "assigned" => format!("Taken{by}"),
        "attempt_failed" => format!(
            "Attempt failed{attempt}: {}",
            e.detail.clone().unwrap_or_default()
        ),
        "retry_scheduled" => "Retry scheduled".to_string(),
        "approved" | "rejected" => {
            let verb = if e.kind == "approved" {
                "Approved"
            } else {
                "Rejected"
            };
            match e.detail.as_deref().filter(|d| !d.is_empty()) {
                Some(comment) => format!("{verb}{by}: {comment}"),
                None => format!("{verb}{by}"),
            }
        }
        "expired" => "Expired: nobody approved it in time".to_string(),
        "rescued" => "Worker lost; put back on the queue".to_string(),
        "released" => "Released at worker shutdown; will run again".to_string(),
        "succeeded" => match &e.detail {
            Some(note) if !note.is_empty() => format!("Done{by}: {note}"),
            _ => format!("Succeeded{by}"),
        },
        "failed" => format!("Failed{by}"),
        "cancel_requested" => format!("Cancellation asked{by}"),
        "cancelled" => format!("Cancelled{by}"),
        other => format!("{other}{by}"),
    }
}

/// Open manual requests `user` may fulfil: those of actions their teams own (all, for admins).
pub async fn inbox(
    rw: &Runway,
    user: &User,
) -> Result<Vec<runway_domain::view::InboxItem>, crate::db::DbError> {
    let catalog = rw.catalog.snapshot();
    Ok(sql::open_manual(&rw.db)
        .await?
        .into_iter()
        .filter(|r| may_fulfil(rw, user, r))
        .map(|r| inbox_item(&catalog, r))
        .collect())
}

/// A request as the fulfilment and approvals inboxes list it.
fn inbox_item(
    catalog: &crate::catalog::Catalog,
    r: sql::RequestRow,
) -> runway_domain::view::InboxItem {
    runway_domain::view::InboxItem {
        id: r.id,
        action_title: catalog.title_of(&r.action_id),
        requester: r.requester_name.unwrap_or_else(|| "someone".into()),
        team: r.team,
        status: r.status,
        assignee: r.assignee_name,
        created_at: r.created_at.to_rfc3339(),
    }
}

/// May `user` approve (or reject) this request under `policy`? Never their own request; team-lead
/// policies need a lead of the request's team; group policies a member of one of the groups.
pub fn may_approve(policy: &ApprovalPolicy, user: &User, row: &RequestRow) -> bool {
    if row.requester_id == Some(user.id) || row.status != "pending_approval" {
        return false;
    }
    match policy {
        ApprovalPolicy::None => false,
        ApprovalPolicy::TeamLead { .. } => row
            .team
            .as_deref()
            .is_some_and(|t| user.teams.iter().any(|m| m.team == t && m.is_lead)),
        ApprovalPolicy::Groups { groups, .. } => {
            user.teams.iter().any(|m| groups.contains(&m.team))
        }
    }
}

fn approvals_needed(policy: &ApprovalPolicy) -> i64 {
    match policy {
        ApprovalPolicy::None => 0,
        ApprovalPolicy::TeamLead { count } | ApprovalPolicy::Groups { count, .. } => {
            i64::from(*count)
        }
    }
}

/// The approval policy recorded with the action version a request was submitted against.
pub async fn policy_of(
    rw: &Runway,
    row: &RequestRow,
) -> Result<ApprovalPolicy, crate::db::DbError> {
    let spec: Option<ActionSpec> =
        crate::db::catalog::version_spec(&rw.db, &row.action_id, &row.action_hash)
            .await?
            .and_then(|j| serde_json::from_str(&j).ok());
    Ok(spec.map(|s| s.approval).unwrap_or(ApprovalPolicy::None))
}

/// Why a decision was not taken.
#[derive(Debug)]
pub enum DecideError {
    /// No such request, or the caller may not see it.
    NotFound,
    /// The caller may see it but not decide (their own request, or not an approver).
    NotAllowed,
    /// Not waiting for approval any more, or the caller already decided.
    TooLate(String),
    Internal(String),
}

/// Records an approval or rejection by `user`, with a comment.
pub async fn decide(
    rw: &Runway,
    user: &User,
    id: i64,
    decision: crate::db::approvals::Decision,
    comment: &str,
) -> Result<crate::db::approvals::Decided, DecideError> {
    use crate::db::approvals::{self as approvals, Decided};
    let internal = |e: crate::db::DbError| DecideError::Internal(e.to_string());
    let row = sql::get(&rw.db, id)
        .await
        .map_err(internal)?
        .ok_or(DecideError::NotFound)?;
    let policy = policy_of(rw, &row).await.map_err(internal)?;
    // Approvers may see what they are asked to approve.
    if !(may_see(rw, user, &row) || may_approve(&policy, user, &row)) {
        return Err(DecideError::NotFound);
    }
    if row.status != "pending_approval" {
        return Err(DecideError::TooLate(
            "This request is not waiting for approval any more.".into(),
        ));
    }
    if !may_approve(&policy, user, &row) {
        return Err(DecideError::NotAllowed);
    }
    let decided = approvals::decide(
        &rw.db,
        id,
        user.id,
        decision,
        comment,
        approvals_needed(&policy),
        crate::queue::now_ms(),
    )
    .await
    .map_err(internal)?;
    match decided {
        Decided::NotPending => Err(DecideError::TooLate(
            "This request is not waiting for approval any more.".into(),
        )),
        Decided::AlreadyDecided => Err(DecideError::TooLate(
            "You already decided on this request.".into(),
        )),
        other => {
            if matches!(other, Decided::Approved { queued: true, .. }) {
                rw.queue.wake();
            }
            Ok(other)
        }
    }
}

/// Requests `user` may approve now (for the approvals inbox and its count).
pub async fn approvals_inbox(
    rw: &Runway,
    user: &User,
) -> Result<Vec<runway_domain::view::InboxItem>, crate::db::DbError> {
    let catalog = rw.catalog.snapshot();
    let mut out = Vec::new();
    let mut policies: std::collections::HashMap<(String, String), ApprovalPolicy> =
        std::collections::HashMap::new();
    for r in crate::db::approvals::pending(&rw.db).await? {
        let key = (r.action_id.clone(), r.action_hash.clone());
        let policy = match policies.get(&key) {
            Some(p) => p.clone(),
            None => {
                let p = policy_of(rw, &r).await?;
                policies.insert(key, p.clone());
                p
            }
        };
        if !may_approve(&policy, user, &r) {
            continue;
        }
        let mine: bool = crate::db::approvals::decisions(&rw.db, r.id)
            .await?
            .iter()
            .any(|(who, _)| *who == user.id);
        if mine {
            continue;
        }
        out.push(inbox_item(&catalog, r));
    }
    Ok(out)
}

/// May `user` cancel this request? The requester, a lead of the request's team, and admins, while
/// it is not final.
pub fn may_cancel(user: &User, row: &RequestRow) -> bool {
    let open = row
        .status
        .parse::<runway_domain::request::RequestStatus>()
        .is_ok_and(|s| !s.is_final());
    open && (user.is_admin
        || row.requester_id == Some(user.id)
        || row
            .team
            .as_deref()
            .is_some_and(|t| user.teams.iter().any(|m| m.team == t && m.is_lead)))
}

/// Why a history view cannot be shown.
#[derive(Debug)]
pub enum HistoryError {
    /// A filter is malformed (the message names it).
    BadInput(String),
    /// Not the caller's team, or "all" for a non-admin.
    Forbidden(String),
    Internal(String),
}

/// The database filter for `q` as `user` may see it: mine, one of my teams, or everything (admins).
pub async fn history_filter(
    rw: &Runway,
    user: &User,
    q: &runway_domain::view::HistoryQuery,
) -> Result<crate::db::history::Filter, HistoryError> {
    use runway_domain::view::HistoryScope;
    let internal = |e: crate::db::DbError| HistoryError::Internal(e.to_string());
    let mut f = crate::db::history::Filter::default();
    match q.scope() {
        HistoryScope::Mine => f.requester_id = Some(user.id),
        HistoryScope::Team(t) => {
            if !user.teams.iter().any(|m| m.team == t) {
                return Err(HistoryError::Forbidden(if t.is_empty() {
                    "Choose one of your teams.".into()
                } else {
                    format!("You are not in the team `{t}`.")
                }));
            }
            f.team = Some(t);
        }
        HistoryScope::All => {
            if !user.is_admin {
                return Err(HistoryError::Forbidden(
                    "Only admins see all requests.".into(),
                ));
            }
            if !q.team.is_empty() {
                f.team = Some(q.team.clone());
            }
        }
    }
    let day = |d: &str| -> Result<Option<chrono::DateTime<chrono::Utc>>, HistoryError> {
        if d.is_empty() {
            return Ok(None);
        }
        chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| Some(t.and_utc()))
            .ok_or_else(|| HistoryError::BadInput(format!("`{d}` is not a date")))
    };
    f.from = day(&q.from)?;
    f.until = day(&q.to)?.map(|t| t + chrono::Duration::days(1));
    let nonempty = |s: &str| (!s.is_empty()).then(|| s.to_string());
    f.status = nonempty(&q.status);
    f.action_id = nonempty(&q.action);
    f.requester_name = nonempty(&q.requester);
    f.text = nonempty(&q.q);
    if let Some(b) = q.before {
        f.before = Some(
            crate::db::history::position(&rw.db, b)
                .await
                .map_err(internal)?
                .ok_or_else(|| HistoryError::BadInput(format!("before: no request {b}")))?,
        );
    }
    Ok(f)
}

/// Turns stored rows into list rows (titles from the current catalogue).
pub fn history_rows(rw: &Runway, rows: Vec<RequestRow>) -> Vec<runway_domain::view::HistoryRow> {
    let catalog = rw.catalog.snapshot();
    rows.into_iter()
        .map(|r| {
            let status: Option<runway_domain::request::RequestStatus> = r.status.parse().ok();
            runway_domain::view::HistoryRow {
                id: r.id,
                action_title: catalog.title_of(&r.action_id),
                action_id: r.action_id,
                requester: r.requester_name.unwrap_or_default(),
                team: r.team,
                status_label: status
                    .map(|s| s.label().to_string())
                    .unwrap_or_else(|| r.status.clone()),
                status: r.status,
                created_at: r.created_at.to_rfc3339(),
                finished_at: r.finished_at.map(|t| t.to_rfc3339()),
            }
        })
        .collect()
}

/// One page (50 rows) of a history view.
pub async fn history(
    rw: &Runway,
    user: &User,
    q: runway_domain::view::HistoryQuery,
) -> Result<runway_domain::view::HistoryPage, HistoryError> {
    use runway_domain::view::HistoryScope;
    const PAGE: i64 = 50;
    let f = history_filter(rw, user, &q).await?;
    let mut rows = crate::db::history::page(&rw.db, &f, PAGE + 1)
        .await
        .map_err(|e| HistoryError::Internal(e.to_string()))?;
    let more = rows.len() > usize::try_from(PAGE).unwrap_or(50);
    rows.truncate(usize::try_from(PAGE).unwrap_or(50));
    let next = if more {
        rows.last().map(|r| q.to_query(Some(r.id)))
    } else {
        None
    };
    let title = match q.scope() {
        HistoryScope::Mine => "My requests".to_string(),
        HistoryScope::Team(t) => format!("Team requests: {t}"),
        HistoryScope::All => "All requests".to_string(),
    };
    Ok(runway_domain::view::HistoryPage {
        rows: history_rows(rw, rows),
        next,
        title,
        teams: user.team_names(),
        is_admin: user.is_admin,
        query: q,
    })
}

/// May `user` retry this failed request? Admins and members of the team that owns the action.
pub fn may_retry(rw: &Runway, user: &User, row: &RequestRow) -> bool {
    row.status == "failed" && row.executor != "manual" && may_fulfil(rw, user, row)
}

/// Retries a failed request with the action version it was submitted against. Requests with
/// secret inputs cannot be retried (their secrets were never kept): submit them again instead.
pub async fn retry(rw: &Runway, user: &User, id: i64) -> Result<(), DecideError> {
    let internal = |e: crate::db::DbError| DecideError::Internal(e.to_string());
    let row = sql::get(&rw.db, id)
        .await
        .map_err(internal)?
        .ok_or(DecideError::NotFound)?;
    if !may_see(rw, user, &row) {
        return Err(DecideError::NotFound);
    }
    if !may_retry(rw, user, &row) {
        return Err(DecideError::NotAllowed);
    }
    let spec: ActionSpec =
        crate::db::catalog::version_spec(&rw.db, &row.action_id, &row.action_hash)
            .await
            .map_err(internal)?
            .and_then(|j| serde_json::from_str(&j).ok())
            .ok_or_else(|| {
                DecideError::TooLate("The action version of this request is not recorded.".into())
            })?;
    if spec
        .inputs
        .iter()
        .any(|f| matches!(f.kind, FieldKind::Secret { .. }))
    {
        return Err(DecideError::TooLate(
            "This request had secret inputs, which Runway never keeps: use “Run again” and enter them anew.".into(),
        ));
    }
    let job = NewJob {
        kind: row.executor.clone(),
        action_id: Some(row.action_id.clone()),
        concurrency_limit: spec.concurrency.map(i64::from),
        payload: "{}".into(),
        run_at_ms: crate::queue::now_ms(),
        max_attempts: i64::from(spec.retries) + 1,
        timeout_ms: i64::try_from(spec.timeout.as_secs().saturating_mul(1000)).unwrap_or(i64::MAX),
    };
    if sql::retry(&rw.db, id, user.id, &job)
        .await
        .map_err(internal)?
    {
        rw.queue.wake();
        Ok(())
    } else {
        Err(DecideError::TooLate(
            "Only failed requests can be retried.".into(),
        ))
    }
}

/// The team page's figures, for a member of `team` (or an admin). `None` if the caller may not see
/// the team.
pub async fn team_stats(
    rw: &Runway,
    user: &User,
    team: &str,
) -> Result<Option<runway_domain::view::TeamPage>, crate::db::DbError> {
    use chrono::{Datelike, Duration, Utc};
    use runway_domain::view::{ActionStats, TeamPage};
    use std::collections::BTreeMap;
    if !(user.is_admin || user.teams.iter().any(|m| m.team == team)) {
        return Ok(None);
    }
    let now = Utc::now();
    let today = now.date_naive();
    let monday = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
    let week_start = monday
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc())
        .unwrap_or(now);
    let month_start = today
        .with_day(1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
        .unwrap_or(now);
    let windows = crate::db::stats::Windows {
        week: week_start,
        month: month_start,
        recent: now - Duration::days(30),
        quarter: now - Duration::days(90),
        first_week: week_start - Duration::weeks(11),
    };
    let counts = crate::db::stats::counts(&rw.db, team, &windows).await?;
    let this_week = counts.iter().map(|c| c.this_week).sum::<i64>();
    let this_month = counts.iter().map(|c| c.this_month).sum::<i64>();
    let ok = counts.iter().map(|c| c.succeeded_recent).sum::<i64>();
    let bad = counts.iter().map(|c| c.failed_recent).sum::<i64>();
    let success_rate = (ok + bad > 0).then(|| 100.0 * ok as f64 / (ok + bad) as f64);
    let secs = |v: Option<i64>| v.map(|s| u64::try_from(s).unwrap_or(0));
    let leads: BTreeMap<String, (Option<u64>, Option<u64>)> =
        crate::db::stats::lead_quantiles(&rw.db, team, windows.quarter)
            .await?
            .into_iter()
            .map(|(a, m, p)| (a, (secs(m), secs(p))))
            .collect();
    let waits: BTreeMap<String, (Option<u64>, Option<u64>)> =
        crate::db::stats::approval_quantiles(&rw.db, team, windows.quarter)
            .await?
            .into_iter()
            .map(|(a, m, p)| (a, (secs(m), secs(p))))
            .collect();
    let catalog = rw.catalog.snapshot();
    let title = |id: &str| catalog.title_of(id);
    let actions = counts
        .iter()
        .filter(|c| c.quarter > 0)
        .map(|c| {
            let (lead_median, lead_p90) = leads.get(&c.action_id).copied().unwrap_or_default();
            let (approval_median, approval_p90) =
                waits.get(&c.action_id).copied().unwrap_or_default();
            ActionStats {
                action_title: title(&c.action_id),
                requests: u64::try_from(c.quarter).unwrap_or(0),
                lead_median,
                lead_p90,
                approval_median,
                approval_p90,
                action_id: c.action_id.clone(),
            }
        })
        .collect();
    // Requests per week by action, the last 12 weeks.
    let weeks: Vec<String> = (0..12)
        .map(|i| {
            (windows.first_week + Duration::weeks(i))
                .date_naive()
                .to_string()
        })
        .collect();
    let mut per: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for (action, week, n) in crate::db::stats::per_week(&rw.db, team, windows.first_week).await? {
        let idx = usize::try_from(week).unwrap_or(0).min(11);
        per.entry(title(&action)).or_insert_with(|| vec![0; 12])[idx] +=
            u64::try_from(n).unwrap_or(0);
    }
    let pending = crate::db::history::page(
        &rw.db,
        &crate::db::history::Filter {
            team: Some(team.to_string()),
            status: Some("pending_approval".into()),
            ..Default::default()
        },
        50,
    )
    .await?;
    Ok(Some(TeamPage {
        team: team.to_string(),
        this_week: u64::try_from(this_week).unwrap_or(0),
        this_month: u64::try_from(this_month).unwrap_or(0),
        success_rate,
        actions,
        weeks,
        per_week: per.into_iter().collect(),
        pending_approvals: history_rows(rw, pending),
    }))
}
