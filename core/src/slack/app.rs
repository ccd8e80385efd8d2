//! The Slack app's use cases, after the call's signature was checked (`server::hooks::slack`).
//!
//! Who is calling is the Slack user's e-mail address (`users.info`) matched to a Runway person
//! who signed in before; they get exactly the rights they have in the portal, because every step
//! calls the portal's use cases: the catalogue's visibility, [`crate::requests::submit_via`] with
//! its validation, [`crate::requests::decide`] with its rules. Someone Runway cannot match gets a
//! polite message with the portal's address.

use super::api::SlackApi;
use super::modal;
use crate::auth::viewer;
use crate::db::approvals::Decision;
use crate::db::DbError;
use crate::requests::{DecideError, Origin, SubmitError};
use crate::state::Runway;
use runway_domain::request::Channel;
use runway_domain::user::User;
use serde_json::{json, Value};

/// What Runway answers Slack with: a JSON body, or an empty 200.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    Empty,
    Json(Value),
}

fn ephemeral(text: String) -> Answer {
    Answer::Json(json!({"response_type": "ephemeral", "text": text}))
}

/// The Runway person behind a Slack user id, as they are now.
pub async fn person(
    rw: &Runway,
    api: &SlackApi,
    slack_user: &str,
) -> Result<Option<User>, DbError> {
    let email = match api.email_of(slack_user).await {
        Ok(Some(e)) => e,
        Ok(None) => return Ok(None),
        Err(e) => {
            tracing::warn!(error = %e, "slack: cannot read the user's e-mail address");
            return Ok(None);
        }
    };
    rw.person_by_email(&email).await
}

fn unknown_person(rw: &Runway) -> String {
    format!(
        "Runway does not know you yet. Sign in once at {} with the same e-mail address as your Slack account, then try again.",
        rw.settings.public_origin(None)
    )
}

/// `/runway [words]`: lists the actions the caller may use (those matching the words), or opens
/// the form when the words name one action. `form` is the slash command's form body.
pub async fn command(
    rw: &Runway,
    api: &SlackApi,
    form: &[(String, String)],
) -> Result<Answer, DbError> {
    let get = |k: &str| {
        form.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
            .unwrap_or_default()
    };
    let text = get("text").trim().to_string();
    let trigger = get("trigger_id").to_string();
    let slack_user = get("user_id").to_string();
    // The catalogue alone says whether the words name an action: then the modal opens at once
    // (the trigger lasts three seconds), and the rest happens while it shows "Loading".
    let catalog = rw.catalog.snapshot();
    if !text.is_empty() && catalog.actions.contains_key(text.as_str()) && !trigger.is_empty() {
        let loading = modal::notice("Runway", "Loading the form…");
        let view_id = match api.open_view(&trigger, &loading).await {
            Ok(id) => id,
            Err(e) => {
                tracing::warn!(error = %e, "slack: cannot open the modal");
                return Ok(ephemeral(
                    "Slack did not let Runway open the form; please try again.".into(),
                ));
            }
        };
        let (rw, api) = (rw.clone(), api.clone());
        tokio::spawn(async move {
            let view = match person(&rw, &api, &slack_user).await {
                Ok(Some(user)) => form_for(&rw, &user, &text),
                Ok(None) => modal::notice("Runway", &unknown_person(&rw)),
                Err(e) => {
                    tracing::error!(error = %e, "slack: database error");
                    modal::notice(
                        "Runway",
                        "Runway cannot answer right now; please try again.",
                    )
                }
            };
            if let Err(e) = api.update_view(&view_id, &view).await {
                tracing::warn!(error = %e, "slack: cannot show the form");
            }
        });
        return Ok(Answer::Empty);
    }
    let Some(user) = person(rw, api, &slack_user).await? else {
        return Ok(ephemeral(unknown_person(rw)));
    };
    let cards = catalog.cards_for(&viewer(&user));
    let found = runway_domain::view::filter(&cards, &text, None);
    if found.len() == 1 && !text.is_empty() && !trigger.is_empty() {
        let view = form_for(rw, &user, found[0].id.as_str());
        return Ok(match api.open_view(&trigger, &view).await {
            Ok(_) => Answer::Empty,
            Err(e) => {
                tracing::warn!(error = %e, "slack: cannot open the modal");
                ephemeral("Slack did not let Runway open the form; please try again.".into())
            }
        });
    }
    let base = rw.settings.public_origin(None);
    let base = base.trim_end_matches('/');
    if found.is_empty() {
        let words =
            format!("No action you may use matches “{text}”. See the whole catalogue at {base}/");
        // Answered the way an action one may not see is (in a modal), so the answer does not
        // tell whether a hidden action has that id.
        if !trigger.is_empty()
            && api
                .open_view(&trigger, &modal::notice("Runway", &words))
                .await
                .is_ok()
        {
            return Ok(Answer::Empty);
        }
        return Ok(ephemeral(words));
    }
    let mut blocks = vec![json!({"type": "section", "text": {"type": "mrkdwn", "text":
        if text.is_empty() { "Actions you can use. Type `/runway <id>` to open one's form.".to_string() }
        else { format!("Actions matching “{}”. Type `/runway <id>` to open one's form.", super::api_escape(&text)) }}})];
    for c in found.iter().take(20) {
        blocks.push(json!({"type": "section", "text": {"type": "mrkdwn", "text": format!(
            "*<{base}/actions/{id}|{title}>*  `{id}`\n{summary}",
            id = c.id, title = super::api_escape(&c.title), summary = super::api_escape(&c.summary)
        )}}));
    }
    if found.len() > 20 {
        blocks.push(json!({"type": "context", "elements": [{"type": "mrkdwn", "text": format!("{} more: add words to narrow the list, or browse {base}/", found.len() - 20)}]}));
    }
    Ok(Answer::Json(json!({
        "response_type": "ephemeral",
        "text": format!("{} action(s)", found.len()),
        "blocks": blocks,
    })))
}

/// The form modal for `action_id` as `user` sees it, or a notice when they may not use it.
fn form_for(rw: &Runway, user: &User, action_id: &str) -> Value {
    let catalog = rw.catalog.snapshot();
    let who = viewer(user);
    match catalog
        .actions
        .get(action_id)
        .filter(|a| who.may_see(&a.spec))
    {
        Some(a) if a.spec.lifecycle.status == runway_domain::spec::LifecycleStatus::Retired => {
            modal::notice(
                "Runway",
                &format!("{} is retired and takes no new requests.", a.spec.title),
            )
        }
        Some(a) => modal::form_view(&a.spec, &user.team_names(), &Vec::new()),
        None => modal::notice(
            "Runway",
            &format!(
                "No action you may use matches “{action_id}”. See the whole catalogue at {}/",
                rw.settings.public_origin(None).trim_end_matches('/')
            ),
        ),
    }
}

/// An interaction: a button in a message or a modal, a modal submitted. `payload` is the JSON in
/// the `payload` form field.
pub async fn interaction(rw: &Runway, api: &SlackApi, payload: &Value) -> Result<Answer, DbError> {
    let slack_user = payload["user"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    match payload["type"].as_str().unwrap_or_default() {
        "block_actions" => block_actions(rw, api, payload, &slack_user).await,
        "view_submission" => view_submission(rw, api, payload, &slack_user).await,
        _ => Ok(Answer::Empty),
    }
}

async fn block_actions(
    rw: &Runway,
    api: &SlackApi,
    payload: &Value,
    slack_user: &str,
) -> Result<Answer, DbError> {
    let action = &payload["actions"][0];
    let action_id = action["action_id"].as_str().unwrap_or_default();
    // A change inside the form modal: show the fields its values reveal.
    if payload["view"]["callback_id"] == modal::FORM {
        let view = &payload["view"];
        let meta: Value = serde_json::from_str(view["private_metadata"].as_str().unwrap_or("{}"))
            .unwrap_or_default();
        let Some(user) = person(rw, api, slack_user).await? else {
            return Ok(Answer::Empty);
        };
        let catalog = rw.catalog.snapshot();
        let who = viewer(&user);
        if let Some(a) = meta["action"]
            .as_str()
            .and_then(|id| catalog.actions.get(id))
            .filter(|a| who.may_see(&a.spec))
        {
            let raw = modal::values(&view["state"]);
            let mut next = modal::form_view(&a.spec, &user.team_names(), &raw);
            if let Some(h) = view["hash"].as_str() {
                next["hash"] = json!(h);
            }
            if let Some(id) = view["id"].as_str() {
                if let Err(e) = api.update_view(id, &next).await {
                    tracing::warn!(error = %e, "slack: cannot update the form");
                }
            }
        }
        return Ok(Answer::Empty);
    }
    let request_id: Option<i64> = action["value"].as_str().and_then(|v| v.parse().ok());
    match (action_id, request_id) {
        ("approve", Some(id)) => {
            let Some(user) = person(rw, api, slack_user).await? else {
                tell(api, slack_user, &unknown_person(rw)).await;
                return Ok(Answer::Empty);
            };
            match crate::requests::decide(rw, &user, id, Decision::Approve, "").await {
                // The outbox changes the message to say who decided.
                Ok(_) => {}
                Err(DecideError::Db(e)) => return Err(e),
                Err(e) => {
                    tell(
                        api,
                        slack_user,
                        &format!("Request #{id}: {}", decide_words(&e)),
                    )
                    .await
                }
            }
            Ok(Answer::Empty)
        }
        ("reject", Some(id)) => {
            let trigger = payload["trigger_id"].as_str().unwrap_or_default();
            let title = match crate::db::requests::get(&rw.db, id).await? {
                Some(row) => rw.catalog.snapshot().title_of(&row.action_id),
                None => "the request".into(),
            };
            if let Err(e) = api
                .open_view(trigger, &modal::reject_view(id, &title))
                .await
            {
                tracing::warn!(error = %e, "slack: cannot open the rejection modal");
            }
            Ok(Answer::Empty)
        }
        _ => Ok(Answer::Empty),
    }
}

async fn view_submission(
    rw: &Runway,
    api: &SlackApi,
    payload: &Value,
    slack_user: &str,
) -> Result<Answer, DbError> {
    let view = &payload["view"];
    let Some(user) = person(rw, api, slack_user).await? else {
        return Ok(Answer::Json(
            json!({"response_action": "update", "view": modal::notice("Runway", &unknown_person(rw))}),
        ));
    };
    match view["callback_id"].as_str().unwrap_or_default() {
        modal::FORM => {
            let meta: Value =
                serde_json::from_str(view["private_metadata"].as_str().unwrap_or("{}"))
                    .unwrap_or_default();
            let action_id = meta["action"].as_str().unwrap_or_default().to_string();
            let raw = modal::values(&view["state"]);
            // Slack sends a retried submission of one view with the same view id: one request.
            let key = view["id"].as_str().map(|id| format!("slack:{id}"));
            let origin = Origin {
                channel: Channel::Slack,
                made_by: None,
                ticket: None,
            };
            match crate::requests::submit_via(rw, &user, &action_id, &raw, key, origin).await {
                Ok(s) => {
                    let link = format!(
                        "{}/requests/{}",
                        rw.settings.public_origin(None).trim_end_matches('/'),
                        s.request_id
                    );
                    Ok(Answer::Json(
                        json!({"response_action": "update", "view": modal::notice(
                            "Request sent",
                            &format!("Request #{} is made. You will get a direct message as it moves on; its page is {link}", s.request_id),
                        )}),
                    ))
                }
                Err(SubmitError::Invalid(errors)) => Ok(Answer::Json(modal::errors(view, &errors))),
                Err(SubmitError::Db(e)) => Err(e),
                Err(e) => Ok(Answer::Json(
                    json!({"response_action": "update", "view": modal::notice("Runway", &submit_words(&e))}),
                )),
            }
        }
        modal::REJECT => {
            let id: i64 = view["private_metadata"]
                .as_str()
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            let comment = modal::values(&view["state"])
                .into_iter()
                .find(|(k, _)| k == "comment")
                .map(|(_, v)| v)
                .unwrap_or_default();
            if let Some(problem) = crate::requests::comment_problem(Decision::Reject, &comment) {
                return Ok(Answer::Json(
                    json!({"response_action": "errors", "errors": {"comment": problem}}),
                ));
            }
            match crate::requests::decide(rw, &user, id, Decision::Reject, &comment).await {
                Ok(_) => Ok(Answer::Json(json!({"response_action": "clear"}))),
                Err(DecideError::Db(e)) => Err(e),
                Err(e) => Ok(Answer::Json(
                    json!({"response_action": "errors", "errors": {"comment": decide_words(&e)}}),
                )),
            }
        }
        _ => Ok(Answer::Empty),
    }
}

/// A direct message to the Slack user (errors from buttons have nowhere else to go).
async fn tell(api: &SlackApi, slack_user: &str, text: &str) {
    let blocks =
        json!([{"type": "section", "text": {"type": "mrkdwn", "text": super::api_escape(text)}}]);
    if let Err(e) = api.post_message(slack_user, text, &blocks).await {
        tracing::warn!(error = %e, "slack: cannot send a message");
    }
}

fn decide_words(e: &DecideError) -> String {
    match e {
        DecideError::NotFound => "no such request, or you may not see it.".into(),
        DecideError::NotAllowed => "you may not decide on this request (nobody approves their own).".into(),
        DecideError::NotPending => "it is not waiting for approval any more: someone decided, it expired, or it was cancelled.".into(),
        DecideError::AlreadyDecided => "you already decided on it.".into(),
        DecideError::Db(_) => "Runway cannot answer right now; please try again.".into(),
    }
}

fn submit_words(e: &SubmitError) -> String {
    match e {
        SubmitError::NotFound => "No action you may use has that id.".into(),
        SubmitError::Retired { .. } => "This action is retired and takes no new requests.".into(),
        SubmitError::KeyReused { request_id } => {
            format!("This form already made request #{request_id}.")
        }
        SubmitError::Invalid(_) | SubmitError::Db(_) => {
            "Runway cannot answer right now; please try again.".into()
        }
    }
}
