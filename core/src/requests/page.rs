//! What the request page shows: the request as its viewer may see it (inputs, timeline, log tail,
//! outputs) and what they may do with it, and earlier log lines on demand.

use super::access::{may_approve, may_cancel, may_fulfil, may_retry, may_see, policy_of};
use super::approvals::has_decided;
use crate::db::requests as sql;
use crate::db::DbError;
use crate::state::Runway;
use runway_domain::form::{self, RawValues};
use runway_domain::spec::{ActionSpec, FieldKind, RunSpec};
use runway_domain::user::User;

/// Log lines a request page shows at first (the tail); earlier ones load on demand.
pub const LOG_TAIL: i64 = 500;

/// Earlier log lines of a request `user` may see: the `LOG_TAIL` lines before `before_id`.
pub async fn log_before(
    rw: &Runway,
    user: &User,
    id: i64,
    before_id: i64,
) -> Result<Option<Vec<runway_domain::view::LogLineView>>, DbError> {
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
) -> Result<Option<runway_domain::view::RequestView>, DbError> {
    use runway_domain::view::{EventView, InputValue, LogLineView, OutputView, RequestView};
    let Some(row) = sql::get(&rw.db, id).await? else {
        return Ok(None);
    };
    let policy = policy_of(rw, &row).await?;
    let can_approve = may_approve(&policy, user, &row) && !has_decided(rw, user, id).await?;
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
                inputs.push((label, InputValue::Secret));
                continue;
            }
            let Some(v) = values.get(f.name.as_str()) else {
                continue;
            };
            let shown = match (&f.kind, v) {
                (FieldKind::Boolean, serde_json::Value::Bool(b)) => InputValue::Bool(*b),
                (FieldKind::Multiselect { .. }, serde_json::Value::Array(items)) => {
                    InputValue::Text(
                        items
                            .iter()
                            .map(|i| runway_domain::template::value_text(Some(i)))
                            .collect::<Vec<_>>()
                            .join(", "),
                    )
                }
                _ => InputValue::Text(runway_domain::template::value_text(Some(v))),
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
            // Only details the page shows travel to the browser.
            let shown = matches!(
                e.kind.as_str(),
                "attempt_failed" | "approved" | "rejected" | "succeeded"
            );
            EventView {
                at: e.at.to_rfc3339(),
                detail: e.detail.filter(|_| shown),
                kind: e.kind,
                actor: e.actor_name,
                attempt: e.attempt,
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
    let rating = crate::impact::rating::of_row(rw, user, &row).await?;
    Ok(Some(RequestView {
        rating,
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
        requester: row.requester_name.clone(),
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
        origin: origin(rw, &row).await?,
        channel: row.channel.clone(),
    }))
}

/// Where `row` was made, in words, when not in the portal.
async fn origin(rw: &Runway, row: &sql::RequestRow) -> Result<Option<String>, DbError> {
    Ok(match row.channel.as_str() {
        "api" => Some("through the API".to_string()),
        "slack" => Some("from Slack".to_string()),
        "jira" => Some(match crate::db::notify::ticket_of(&rw.db, row.id).await? {
            Some((key, _)) => format!("from Jira ticket {key}"),
            None => "from a Jira ticket".to_string(),
        }),
        _ => None,
    })
}
