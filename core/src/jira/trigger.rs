//! An inbound Jira webhook event, after its signature was checked: does a ticket become a request?
//!
//! A ticket matches an action whose `jira:` section it satisfies (label, project, issue type); a
//! label-triggered action also takes a ticket when the label is added later (`jira:issue_updated`
//! whose changelog adds it). The reporter is found in Runway by e-mail and acts as themselves: the
//! request goes through [`crate::requests::submit_via`] with the portal's validation and rights,
//! marked as coming from Jira, with an idempotency key per ticket and action. What cannot become
//! a request gets a comment on the ticket saying why, with a link that opens the form pre-filled.

use super::adf::{self, Block, Inline};
use super::{CommentJob, JiraApi, COMMENT_JOB};
use crate::db::jobs::{NewJob, Ticket};
use crate::db::DbError;
use crate::requests::{Origin, SubmitError};
use crate::state::Runway;
use runway_domain::form::RawValues;
use runway_domain::request::Channel;
use runway_domain::spec::{ActionSpec, FieldKind, JiraSource, JiraTrigger};
use serde_json::Value;

/// What became of a webhook event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    /// A delivery with this identifier was handled before.
    Duplicate,
    /// Nothing to do, and why (for the log and the answer).
    Ignored(&'static str),
    /// The ticket made this request.
    Requested { request_id: i64 },
    /// The ticket could not become a request; a comment says why.
    Commented(&'static str),
}

#[derive(Debug, thiserror::Error)]
pub enum TriggerError {
    /// The body is not a Jira issue event.
    #[error("{0}")]
    BadPayload(&'static str),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Handles one verified delivery. `identifier` is `X-Atlassian-Webhook-Identifier`.
pub async fn receive(
    rw: &Runway,
    identifier: Option<&str>,
    body: &[u8],
) -> Result<Received, TriggerError> {
    if let Some(id) = identifier {
        if crate::db::jira::seen(&rw.db, id).await? {
            return Ok(Received::Duplicate);
        }
    }
    let v: Value = serde_json::from_slice(body)
        .map_err(|_| TriggerError::BadPayload("the body is not JSON"))?;
    let outcome = handle(rw, &v).await?;
    if let Some(id) = identifier {
        crate::db::jira::remember(&rw.db, id).await?;
    }
    Ok(outcome)
}

/// The ticket's fields this module reads.
struct Issue<'a> {
    key: &'a str,
    id: String,
    fields: &'a Value,
    labels: Vec<&'a str>,
}

async fn handle(rw: &Runway, v: &Value) -> Result<Received, TriggerError> {
    let event = v["webhookEvent"].as_str().unwrap_or_default();
    let created = event == "jira:issue_created";
    if !created && event != "jira:issue_updated" {
        return Ok(Received::Ignored("not an issue created or updated event"));
    }
    let issue = &v["issue"];
    let key = issue["key"]
        .as_str()
        .filter(|k| !k.is_empty() && k.len() <= 64)
        .ok_or(TriggerError::BadPayload("the event has no issue key"))?;
    let id = match &issue["id"] {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return Err(TriggerError::BadPayload("the event has no issue id")),
    };
    let fields = &issue["fields"];
    let labels: Vec<&str> = fields["labels"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let issue = Issue {
        key,
        id,
        fields,
        labels,
    };
    let added = labels_added(v);
    let catalog = rw.catalog.snapshot();
    let mut candidates: Vec<&ActionSpec> = catalog
        .actions
        .values()
        .map(|a| &a.spec)
        .filter(|s| {
            s.jira
                .as_ref()
                .is_some_and(|j| matches(j, &issue, created, &added))
        })
        .collect();
    candidates.sort_by(|a, b| a.id.as_str().cmp(b.id.as_str()));
    let Some(spec) = candidates.first().copied() else {
        return Ok(Received::Ignored("no action takes this ticket"));
    };
    if candidates.len() > 1 {
        tracing::warn!(issue = %issue.key, action = %spec.id, "jira: several actions take this ticket; the first by id is used");
    }
    let Some(trigger) = spec.jira.as_ref() else {
        return Ok(Received::Ignored("no action takes this ticket"));
    };
    if crate::db::jira::request_of(&rw.db, &issue.id, spec.id.as_str())
        .await?
        .is_some()
    {
        return Ok(Received::Ignored("this ticket already made its request"));
    }
    let raw = values(spec, trigger, &issue);
    let base = rw.settings.public_origin(None);
    let base = base.trim_end_matches('/');
    let form_link = {
        let q = runway_domain::form::prefill_query(&spec.inputs, &raw);
        if q.is_empty() {
            format!("{base}/actions/{}", spec.id)
        } else {
            format!("{base}/actions/{}?{q}", spec.id)
        }
    };
    let reporter = &fields["reporter"];
    // The request is made as the reporter, so only the reporter's own act makes it: someone
    // allowed to set another person as reporter cannot make requests in their name.
    if same_person(&v["user"], reporter) == Some(false) {
        let mut text = vec![Inline::Text(format!(
            "Runway makes a {} request only when the ticket's reporter files it or adds the label, because the request is made in the reporter's name. The reporter can ",
            spec.title
        ))];
        text.extend(finish_in_portal(
            "make the request in the portal",
            &form_link,
        ));
        comment(rw, issue.key, vec![Block::Paragraph(text)]).await?;
        return Ok(Received::Commented(
            "the ticket was filed or labelled by someone other than its reporter",
        ));
    }
    let mut email = reporter["emailAddress"]
        .as_str()
        .filter(|e| !e.is_empty())
        .map(str::to_string);
    if email.is_none() {
        // Jira Cloud hides addresses in webhooks; the REST API shows them to apps allowed to.
        if let (Some(api), Some(account)) = (
            JiraApi::from_settings(&rw.settings.jira),
            reporter["accountId"].as_str(),
        ) {
            email = api.email_of(account).await.unwrap_or_else(|e| {
                tracing::warn!(issue = %issue.key, error = %e, "jira: cannot read the reporter's address");
                None
            });
        }
    }
    let user = match &email {
        Some(e) => rw.person_by_email(e).await?,
        None => None,
    };
    let Some(user) = user else {
        let who = reporter["displayName"].as_str().unwrap_or("The reporter");
        comment(
            rw,
            issue.key,
            vec![
                Block::Paragraph(vec![Inline::Text(format!(
                    "{who} has no Runway account Runway can match by e-mail, so this ticket did not become a {} request.",
                    spec.title
                ))]),
                Block::Paragraph(
                    std::iter::once(Inline::Text("Sign in to Runway once, then ".into()))
                        .chain(finish_in_portal("make the request in the portal", &form_link))
                        .collect(),
                ),
            ],
        )
        .await?;
        return Ok(Received::Commented("the reporter has no Runway account"));
    };
    let origin = Origin {
        channel: Channel::Jira,
        made_by: None,
        ticket: Some(Ticket {
            key: issue.key.to_string(),
            id: issue.id.clone(),
        }),
    };
    let key = format!("jira:{}:{}", issue.id, spec.id);
    match crate::requests::submit_via(rw, &user, spec.id.as_str(), &raw, Some(key), origin).await {
        Ok(s) => {
            tracing::info!(request.id = s.request_id, issue = %issue.key, action = %spec.id, "jira: ticket made a request");
            Ok(Received::Requested {
                request_id: s.request_id,
            })
        }
        Err(SubmitError::Invalid(errors)) => {
            let items: Vec<Vec<Inline>> = errors
                .iter()
                .map(|(field, message)| {
                    let label = spec
                        .inputs
                        .iter()
                        .find(|f| f.name.as_str() == field)
                        .map_or(field.as_str(), |f| f.label.as_str());
                    vec![
                        Inline::Strong(label.to_string()),
                        Inline::Text(format!(": {message}")),
                    ]
                })
                .collect();
            comment(
                rw,
                issue.key,
                vec![
                    Block::Paragraph(vec![Inline::Text(format!(
                        "This ticket did not become a {} request yet: some details are missing or need fixing.",
                        spec.title
                    ))]),
                    Block::Bullets(items),
                    Block::Paragraph(finish_in_portal("Finish the request in Runway", &form_link)),
                ],
            )
            .await?;
            Ok(Received::Commented(
                "the ticket's details do not pass the form",
            ))
        }
        Err(SubmitError::NotFound) => {
            comment(
                rw,
                issue.key,
                vec![Block::Paragraph(vec![Inline::Text(format!(
                    "{} may not use the Runway action {}, so this ticket did not become a request.",
                    user.name, spec.title
                ))])],
            )
            .await?;
            Ok(Received::Commented("the reporter may not use the action"))
        }
        Err(SubmitError::Retired { .. }) => {
            comment(
                rw,
                issue.key,
                vec![Block::Paragraph(vec![
                    Inline::Text(format!(
                        "The Runway action {} is retired and takes no new requests. ",
                        spec.title
                    )),
                    Inline::Link {
                        text: "See the catalogue".into(),
                        href: format!("{base}/"),
                    },
                ])],
            )
            .await?;
            Ok(Received::Commented("the action is retired"))
        }
        Err(SubmitError::KeyReused { .. }) => {
            Ok(Received::Ignored("this ticket already made its request"))
        }
        Err(SubmitError::Db(e)) => Err(e.into()),
    }
}

/// A link to the form filled in from the ticket, and a word saying so.
fn finish_in_portal(text: &str, form_link: &str) -> Vec<Inline> {
    vec![
        Inline::Link {
            text: text.to_string(),
            href: form_link.to_string(),
        },
        Inline::Text(" (the form is filled in from this ticket).".into()),
    ]
}

/// Are the event's actor and the reporter the same account? `None` when the payload does not say
/// (no actor, or no identifier both carry). Cloud names accounts by `accountId`; Data Center by
/// `key` or `name`.
fn same_person(actor: &Value, reporter: &Value) -> Option<bool> {
    ["accountId", "key", "name", "emailAddress"]
        .iter()
        .find_map(|k| match (actor[*k].as_str(), reporter[*k].as_str()) {
            (Some(a), Some(r)) => Some(a.eq_ignore_ascii_case(r)),
            _ => None,
        })
}

/// Does the ticket satisfy the trigger? A label trigger on an update needs the label just added.
fn matches(t: &JiraTrigger, issue: &Issue<'_>, created: bool, added: &[String]) -> bool {
    let fields = issue.fields;
    if let Some(p) = &t.project {
        if fields["project"]["key"].as_str() != Some(p.as_str()) {
            return false;
        }
    }
    if let Some(ty) = &t.issue_type {
        let name = fields["issuetype"]["name"].as_str().unwrap_or_default();
        if !name.eq_ignore_ascii_case(ty) {
            return false;
        }
    }
    match &t.label {
        Some(l) => issue.labels.contains(&l.as_str()) && (created || added.contains(l)),
        None => created,
    }
}

/// Labels an update added, from its changelog (`fromString` / `toString` are space-separated).
fn labels_added(v: &Value) -> Vec<String> {
    let Some(items) = v["changelog"]["items"].as_array() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for item in items
        .iter()
        .filter(|i| i["field"].as_str() == Some("labels"))
    {
        let before: Vec<&str> = item["fromString"]
            .as_str()
            .unwrap_or_default()
            .split_whitespace()
            .collect();
        for l in item["toString"]
            .as_str()
            .unwrap_or_default()
            .split_whitespace()
        {
            if !before.contains(&l) {
                out.push(l.to_string());
            }
        }
    }
    out
}

/// The form's values from the ticket, as a browser would post them.
fn values(spec: &ActionSpec, t: &JiraTrigger, issue: &Issue<'_>) -> RawValues {
    let mut raw = RawValues::new();
    for (name, source) in &t.inputs {
        let Some(field) = spec.inputs.iter().find(|f| f.name.as_str() == name) else {
            continue;
        };
        let found = read(source, t, issue);
        let many = matches!(field.kind, FieldKind::Multiselect { .. });
        for v in found.into_iter().take(if many { usize::MAX } else { 1 }) {
            raw.push((name.clone(), v));
        }
    }
    raw
}

fn read(source: &JiraSource, t: &JiraTrigger, issue: &Issue<'_>) -> Vec<String> {
    let fields = issue.fields;
    let one = |s: String| {
        let s = s.trim().to_string();
        if s.is_empty() {
            Vec::new()
        } else {
            vec![s]
        }
    };
    match source {
        JiraSource::Summary => one(fields["summary"].as_str().unwrap_or_default().to_string()),
        JiraSource::Description => one(adf::plain_text(&fields["description"])),
        JiraSource::Labels => issue
            .labels
            .iter()
            .filter(|l| t.label.as_deref() != Some(**l))
            .map(|l| l.to_string())
            .collect(),
        JiraSource::Components => fields["components"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|c| c["name"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
        JiraSource::Field(id) => field_texts(&fields[id.as_str()]),
        JiraSource::Line(key) => {
            let text = adf::plain_text(&fields["description"]);
            text.lines()
                .find_map(|line| {
                    let (k, v) = line.split_once(':')?;
                    let k = k
                        .trim()
                        .trim_matches(|c: char| c == '*' || c == '-' || c == '•' || c == '_')
                        .trim();
                    k.eq_ignore_ascii_case(key)
                        .then(|| v.trim().trim_matches('*').trim().to_string())
                })
                .map(one)
                .unwrap_or_default()
        }
    }
}

/// A field's value as text: a string or number as it is; an option, user or version by its
/// `value`, `name` or `displayName`; a list as each item's.
fn field_texts(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => vec![s.trim().to_string()],
        Value::Number(n) => vec![n.to_string()],
        Value::Bool(b) => vec![b.to_string()],
        Value::Object(o) => {
            if o.get("type").and_then(Value::as_str) == Some("doc") {
                let t = adf::plain_text(v);
                return if t.trim().is_empty() {
                    Vec::new()
                } else {
                    vec![t]
                };
            }
            ["value", "name", "displayName", "key"]
                .iter()
                .find_map(|k| o.get(*k).and_then(Value::as_str))
                .map(|s| vec![s.to_string()])
                .unwrap_or_default()
        }
        Value::Array(items) => items.iter().flat_map(field_texts).collect(),
        _ => Vec::new(),
    }
}

/// Queues a comment on the ticket (durable, retried).
async fn comment(rw: &Runway, issue_key: &str, blocks: Vec<Block>) -> Result<(), DbError> {
    let payload = serde_json::to_string(&CommentJob {
        issue_key: issue_key.to_string(),
        body: adf::doc(&blocks),
    })
    .map_err(|e| DbError::Corrupt(e.to_string()))?;
    rw.queue
        .enqueue(&[NewJob {
            kind: COMMENT_JOB.to_string(),
            action_id: None,
            concurrency_limit: None,
            payload,
            run_at_ms: crate::queue::now_ms(),
            max_attempts: 8,
            timeout_ms: 60_000,
        }])
        .await
        .map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn trigger() -> JiraTrigger {
        JiraTrigger {
            label: Some("runway:repo".into()),
            project: Some("PLAT".into()),
            issue_type: None,
            inputs: vec![],
            on_success: None,
            on_failure: None,
        }
    }

    #[test]
    fn a_label_trigger_takes_new_tickets_and_updates_that_add_the_label_only() {
        let fields = json!({"project": {"key": "PLAT"}, "labels": ["runway:repo"]});
        let issue = Issue {
            key: "PLAT-1",
            id: "1".into(),
            fields: &fields,
            labels: vec!["runway:repo"],
        };
        assert!(matches(&trigger(), &issue, true, &[]));
        assert!(!matches(&trigger(), &issue, false, &[]));
        assert!(matches(&trigger(), &issue, false, &["runway:repo".into()]));
        let other = json!({"project": {"key": "OPS"}, "labels": ["runway:repo"]});
        let issue = Issue {
            key: "OPS-1",
            id: "2".into(),
            fields: &other,
            labels: vec!["runway:repo"],
        };
        assert!(!matches(&trigger(), &issue, true, &[]));
    }

    #[test]
    fn the_actor_must_be_the_reporter_when_the_payload_says_who_both_are() {
        let cloud = json!({"accountId": "557058:a"});
        assert_eq!(
            same_person(&cloud, &json!({"accountId": "557058:a"})),
            Some(true)
        );
        assert_eq!(
            same_person(&cloud, &json!({"accountId": "557058:b"})),
            Some(false)
        );
        assert_eq!(
            same_person(
                &json!({"name": "dana", "key": "JIRAUSER1"}),
                &json!({"key": "JIRAUSER2"})
            ),
            Some(false)
        );
        assert_eq!(same_person(&Value::Null, &json!({"accountId": "x"})), None);
    }

    #[test]
    fn the_changelog_says_which_labels_an_update_added() {
        let v = json!({"changelog": {"items": [
            {"field": "labels", "fromString": "a b", "toString": "a b runway:repo"},
            {"field": "status", "fromString": "To Do", "toString": "Done"},
        ]}});
        assert_eq!(labels_added(&v), vec!["runway:repo".to_string()]);
    }

    #[test]
    fn fields_read_as_text_from_options_lists_documents_and_key_value_lines() {
        assert_eq!(
            field_texts(&json!({"value": "gold", "id": "1"})),
            vec!["gold"]
        );
        assert_eq!(
            field_texts(&json!([{"name": "a"}, {"name": "b"}])),
            vec!["a", "b"]
        );
        assert_eq!(field_texts(&json!(3)), vec!["3"]);
        assert!(field_texts(&json!(null)).is_empty());
        let fields =
            json!({"description": "Hello\n*Repository name*: billing-api\nTeam: payments"});
        let issue = Issue {
            key: "PLAT-1",
            id: "1".into(),
            fields: &fields,
            labels: vec![],
        };
        assert_eq!(
            read(
                &JiraSource::Line("repository NAME".into()),
                &trigger(),
                &issue
            ),
            vec!["billing-api"]
        );
        assert!(read(&JiraSource::Line("missing".into()), &trigger(), &issue).is_empty());
    }
}
