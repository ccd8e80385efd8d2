//! Notifications: telling people what happened to requests, by e-mail and Slack direct message,
//! and telling a Jira ticket what happened to the request made from it.
//!
//! The outbox: a trigger (migration `0016_notifications`) writes a `notification_outbox` row in the
//! transaction that writes each request event worth telling, so every path that writes one
//! (submit, claim, completion, approvals, cancel, expiry, retry) is covered, and an event never
//! exists without its outbox row. Workers move the rows into `notify` jobs
//! (`db::notify::relay`), and [`NotifyHandler`] runs each:
//!
//! 1. **Fan-out**: who hears about the event (`plan`), on which channels (their choices, the
//!    channels set up here), recorded as `notification_deliveries` rows, unique per event,
//!    notification, person and channel, so a retried or rescued job records nothing twice.
//! 2. **Delivery**: every row of the event not yet sent is sent and marked sent. A failed send is
//!    recorded on its row and the job fails, so the queue retries it with backoff; rows already
//!    sent are not sent again. After the job's last attempt the rows left are `failed`, and admins
//!    see them on the Notifications page. The request itself never waits for or fails with a
//!    notification.
//!
//! A crash after a message left but before its row was marked sends it once more on the retry (the
//! e-mail with the same Message-ID): delivery is at least once, and exactly once otherwise.

pub mod email;
pub mod message;
pub mod preferences;

use crate::db::notify::{self as sql, Delivery, NewDelivery, OutboxEvent};
use crate::db::requests::{OutputRow, RequestRow};
use crate::db::DbError;
use crate::jira::JiraApi;
use crate::queue::handler::{Handler, JobContext};
use crate::slack::api::SlackApi;
use crate::state::Runway;
use async_trait::async_trait;
use message::{About, Message};
use runway_domain::notify::{Notification, NotifyChannel};
use runway_domain::spec::ApprovalPolicy;

/// The job kind the outbox trigger enqueues.
pub const JOB_KIND: &str = "notify";

/// Deliveries that go to a Jira ticket rather than to a person (see `crate::jira::deliver`).
pub const JIRA_CREATED: &str = "jira_created";
pub const JIRA_FINISHED: &str = "jira_finished";
pub const JIRA_TRANSITION: &str = "jira_transition";
/// A Slack approval message changed to say who decided (or that the request closed).
pub const APPROVAL_CLOSED: &str = "approval_closed";

/// The events that end a request: its requester hears how it ended.
const FINISHED: [&str; 4] = ["succeeded", "failed", "cancelled", "expired"];

/// Runs `notify` jobs: fan-out, then delivery.
pub struct NotifyHandler {
    rw: Runway,
    mailer: Option<email::Mailer>,
    slack: Option<SlackApi>,
    jira: Option<JiraApi>,
}

impl NotifyHandler {
    pub fn new(rw: Runway) -> Self {
        Self {
            mailer: email::Mailer::from_settings(&rw.settings.email),
            slack: SlackApi::from_settings(&rw.settings.slack),
            jira: JiraApi::from_settings(&rw.settings.jira),
            rw,
        }
    }

    fn channels(&self) -> Vec<NotifyChannel> {
        let mut c = Vec::new();
        if self.mailer.is_some() {
            c.push(NotifyChannel::Email);
        }
        if self.slack.is_some() {
            c.push(NotifyChannel::Slack);
        }
        c
    }
}

#[derive(serde::Deserialize)]
struct Payload {
    event_id: i64,
}

/// Why one delivery did not go out.
enum DeliverError {
    /// Worth trying again (the server was down, Slack rate-limited us).
    Transient(String),
    /// Trying again cannot help (no address, no Slack account): failed at once.
    Permanent(String),
}

#[async_trait]
impl Handler for NotifyHandler {
    async fn run(&self, ctx: &JobContext) -> Result<(), String> {
        let p: Payload = serde_json::from_str(&ctx.job.payload)
            .map_err(|_| "the notification job's payload is not an event".to_string())?;
        let db = &self.rw.db;
        let internal = |e: DbError| {
            tracing::error!(error = %e, event = p.event_id, "notify: database error");
            "the database could not be read; retried".to_string()
        };
        // The request (and its events) may have been deleted since: nothing to tell.
        let Some(ev) = sql::event(db, p.event_id).await.map_err(internal)? else {
            return Ok(());
        };
        let Some(row) = crate::db::requests::get(db, ev.request_id)
            .await
            .map_err(internal)?
        else {
            return Ok(());
        };
        // A finished request's outputs, read once: whether a secret waits decides who hears, and
        // the results are part of what they read.
        let outputs = if FINISHED.contains(&ev.kind.as_str()) {
            crate::db::requests::outputs(db, row.id)
                .await
                .map_err(internal)?
        } else {
            Vec::new()
        };
        let planned = self.plan(&ev, &row, &outputs).await.map_err(internal)?;
        sql::record(db, ev.id, row.id, &planned)
            .await
            .map_err(internal)?;
        let unsent = sql::unsent(db, ev.id).await.map_err(internal)?;
        let final_try = ctx.job.attempt >= ctx.job.max_attempts;
        let mut failing = 0;
        // Each notification's message is the same for every recipient and channel: built once.
        let mut messages = Vec::new();
        for d in &unsent {
            match self.deliver(&ev, &row, &outputs, d, &mut messages).await {
                Ok(external_ref) => {
                    sql::mark_sent(db, d.id, external_ref.as_deref())
                        .await
                        .map_err(internal)?;
                    tracing::info!(request.id = row.id, notification = %d.notification, channel = %d.channel, "notification sent");
                }
                Err(DeliverError::Permanent(e)) => {
                    tracing::warn!(request.id = row.id, notification = %d.notification, channel = %d.channel, error = %e, "notification cannot be delivered");
                    sql::mark_failed(db, d.id, &e, true)
                        .await
                        .map_err(internal)?;
                }
                Err(DeliverError::Transient(e)) => {
                    tracing::warn!(request.id = row.id, notification = %d.notification, channel = %d.channel, error = %e, final_try, "notification delivery failed");
                    sql::mark_failed(db, d.id, &e, final_try)
                        .await
                        .map_err(internal)?;
                    failing += 1;
                }
            }
        }
        if failing > 0 {
            return Err(format!(
                "{failing} notification(s) could not be delivered yet"
            ));
        }
        Ok(())
    }
}

impl NotifyHandler {
    /// Who hears about `ev`, on which channels.
    async fn plan(
        &self,
        ev: &OutboxEvent,
        row: &RequestRow,
        outputs: &[OutputRow],
    ) -> Result<Vec<NewDelivery>, DbError> {
        let rw = &self.rw;
        let mut people: Vec<(Notification, Vec<i64>)> = Vec::new();
        let requester: Vec<i64> = row.requester_id.into_iter().collect();
        match ev.kind.as_str() {
            "queued" => {
                people.push((Notification::Queued, requester.clone()));
                if row.executor == "manual" && ev.detail.as_deref() != Some("retry") {
                    if let Some(team) = crate::requests::owner_of(rw, &row.action_id) {
                        let members = sql::members_of(&rw.db, &[team], false).await?;
                        people.push((Notification::ManualWaiting, members));
                    }
                }
            }
            "approval_requested" => {
                people.push((Notification::ApprovalNeeded, self.approvers(row).await?));
            }
            "approved" | "rejected" => {
                people.push((Notification::ApprovalDecided, requester.clone()));
            }
            kind if FINISHED.contains(&kind) => {
                people.push((Notification::Finished, requester.clone()));
                if ev.kind == "succeeded" && outputs.iter().any(|o| o.secret_waiting) {
                    people.push((Notification::SecretWaiting, requester.clone()));
                }
            }
            _ => {}
        }
        let channels = self.channels();
        let mut out = Vec::new();
        for (n, ids) in people {
            for id in ids {
                // Nobody is told what they did themselves (cancelling their own request), except
                // that the request they made is queued: that is its receipt.
                if ev.actor_id == Some(id) && n != Notification::Queued {
                    continue;
                }
                let choices = preferences::of_user(&rw.db, id).await?;
                for c in &channels {
                    if choices.is_on(n, *c) {
                        out.push(NewDelivery {
                            notification: n.as_str().to_string(),
                            user_id: Some(id),
                            channel: c.as_str(),
                        });
                    }
                }
            }
        }
        // A decision (or the end of the wait) changes the Slack approval messages already sent.
        if self.slack.is_some()
            && matches!(
                ev.kind.as_str(),
                "approved" | "rejected" | "expired" | "cancelled"
            )
        {
            for (_, user_id, _) in sql::slack_approval_messages(&rw.db, row.id).await? {
                out.push(NewDelivery {
                    notification: APPROVAL_CLOSED.to_string(),
                    user_id,
                    channel: "slack",
                });
            }
        }
        if self.jira.is_some() && sql::ticket_of(&rw.db, row.id).await?.is_some() {
            let first = matches!(ev.kind.as_str(), "queued" | "approval_requested") && {
                let before = sql::kinds_before(&rw.db, row.id, ev.id).await?;
                !before
                    .iter()
                    .any(|k| k == "queued" || k == "approval_requested")
            };
            let last = matches!(
                ev.kind.as_str(),
                "succeeded" | "failed" | "cancelled" | "expired" | "rejected"
            );
            for (yes, what) in [
                (first, JIRA_CREATED),
                (last, JIRA_FINISHED),
                (last, JIRA_TRANSITION),
            ] {
                if yes {
                    out.push(NewDelivery {
                        notification: what.to_string(),
                        user_id: None,
                        channel: "jira",
                    });
                }
            }
        }
        Ok(out)
    }

    /// The people the request's approval policy asks, as they are now (never the requester or the
    /// maker of the service token that made it).
    async fn approvers(&self, row: &RequestRow) -> Result<Vec<i64>, DbError> {
        let policy = crate::requests::policy_of(&self.rw, row).await?;
        let candidates = match &policy {
            ApprovalPolicy::None => return Ok(Vec::new()),
            ApprovalPolicy::TeamLead { .. } => {
                let teams: Vec<String> = row.team.clone().into_iter().collect();
                sql::members_of(&self.rw.db, &teams, true).await?
            }
            ApprovalPolicy::Groups { groups, .. } => {
                sql::members_of(&self.rw.db, groups, false).await?
            }
        };
        let mut ids = Vec::new();
        for id in candidates {
            if let Some(user) = self.rw.user(id).await? {
                if crate::requests::access::is_approver(&policy, &user, row) {
                    ids.push(id);
                }
            }
        }
        Ok(ids)
    }

    /// The message about `row` for this notification.
    fn message(
        &self,
        n: Notification,
        ev: &OutboxEvent,
        row: &RequestRow,
        outputs: &[OutputRow],
    ) -> Message {
        let rw = &self.rw;
        let title = rw.catalog.snapshot().title_of(&row.action_id);
        let results = if n == Notification::Finished {
            outputs
                .iter()
                .filter(|o| o.kind != "secret")
                .filter_map(|o| {
                    let label = o.label.clone().unwrap_or_else(|| o.name.clone());
                    Some((label, o.value.clone()?))
                })
                .collect()
        } else {
            Vec::new()
        };
        let errors: Vec<String> = serde_json::from_str(&row.errors).unwrap_or_default();
        let base = rw.settings.public_origin(None);
        message::compose(&About {
            notification: n,
            request_id: row.id,
            action_title: &title,
            requester: row.requester_name.as_deref().unwrap_or("Someone"),
            team: row.team.as_deref(),
            status: &ev.kind,
            actor: ev.actor_name.as_deref(),
            detail: ev.detail.as_deref(),
            error: errors.last().map(String::as_str),
            results,
            base_url: &base,
        })
    }

    /// Sends one delivery; `Ok` carries where the message lives, when it may be changed later.
    /// `messages` keeps the messages already built for this event.
    async fn deliver(
        &self,
        ev: &OutboxEvent,
        row: &RequestRow,
        outputs: &[OutputRow],
        d: &Delivery,
        messages: &mut Vec<(Notification, Message)>,
    ) -> Result<Option<String>, DeliverError> {
        let db_error = |e: DbError| {
            tracing::error!(error = %e, "notify: database error");
            DeliverError::Transient("the database could not be read".into())
        };
        if d.channel == "jira" {
            let Some(jira) = &self.jira else {
                return Err(DeliverError::Permanent("Jira is no longer set up".into()));
            };
            return crate::jira::deliver(&self.rw, jira, ev, row, &d.notification)
                .await
                .map(|()| None)
                .map_err(|e| {
                    if e.is_permanent() {
                        DeliverError::Permanent(e.to_string())
                    } else {
                        DeliverError::Transient(e.to_string())
                    }
                });
        }
        let Some(user_id) = d.user_id else {
            return Err(DeliverError::Permanent("no recipient".into()));
        };
        let user = self
            .rw
            .user(user_id)
            .await
            .map_err(db_error)?
            .ok_or_else(|| DeliverError::Permanent("the person no longer exists".into()))?;
        let Some(address) = user.email.clone().filter(|e| !e.is_empty()) else {
            return Err(DeliverError::Permanent(format!(
                "{} has no e-mail address",
                user.name
            )));
        };
        if d.notification == APPROVAL_CLOSED {
            return self.close_approval(ev, row, user_id).await.map(|()| None);
        }
        let n = Notification::parse(&d.notification)
            .ok_or_else(|| DeliverError::Permanent("unknown notification".into()))?;
        let m = match messages.iter().position(|(k, _)| *k == n) {
            Some(i) => &messages[i].1,
            None => {
                let m = self.message(n, ev, row, outputs);
                messages.push((n, m));
                &messages[messages.len() - 1].1
            }
        };
        match d.channel.as_str() {
            "email" => {
                let Some(mailer) = &self.mailer else {
                    return Err(DeliverError::Permanent("e-mail is no longer set up".into()));
                };
                mailer
                    .send(d.id, &address, m)
                    .await
                    .map(|()| None)
                    .map_err(DeliverError::Transient)
            }
            "slack" => {
                let Some(slack) = &self.slack else {
                    return Err(DeliverError::Permanent("Slack is no longer set up".into()));
                };
                let who = slack
                    .user_by_email(&address)
                    .await
                    .map_err(|e| DeliverError::Transient(e.to_string()))?
                    .ok_or_else(|| {
                        DeliverError::Permanent(format!("no Slack user has the address {address}"))
                    })?;
                let posted = slack
                    .post_message(&who.id, &m.subject, &message::slack_blocks(m))
                    .await
                    .map_err(|e| DeliverError::Transient(e.to_string()))?;
                Ok(Some(format!("{} {}", posted.channel, posted.ts)))
            }
            other => Err(DeliverError::Permanent(format!("unknown channel {other}"))),
        }
    }

    /// Changes the Slack approval message sent to `user_id` to say how the wait ended, without
    /// buttons.
    async fn close_approval(
        &self,
        ev: &OutboxEvent,
        row: &RequestRow,
        user_id: i64,
    ) -> Result<(), DeliverError> {
        let Some(slack) = &self.slack else {
            return Err(DeliverError::Permanent("Slack is no longer set up".into()));
        };
        let messages = sql::slack_approval_messages(&self.rw.db, row.id)
            .await
            .map_err(|_| DeliverError::Transient("the database could not be read".into()))?;
        let title = self.rw.catalog.snapshot().title_of(&row.action_id);
        let by = ev.actor_name.as_deref().unwrap_or("Runway");
        let how = match ev.kind.as_str() {
            "approved" => format!("Approved by {by}"),
            "rejected" => format!("Rejected by {by}"),
            "expired" => "Expired: nobody decided in time".to_string(),
            _ => format!("Cancelled by {by}"),
        };
        let text = format!("{title} #{}: {how}", row.id);
        let link = format!(
            "{}/requests/{}",
            self.rw.settings.public_origin(None).trim_end_matches('/'),
            row.id
        );
        let blocks = serde_json::json!([{
            "type": "section",
            "text": {"type": "mrkdwn", "text": format!("*{}*\n<{}|Open in Runway>", message::slack_escape(&text), link)},
        }]);
        for (_, _, external) in messages.iter().filter(|m| m.1 == Some(user_id)) {
            let Some((channel, ts)) = external.split_once(' ') else {
                continue;
            };
            slack
                .update_message(channel, ts, &text, &blocks)
                .await
                .map_err(|e| DeliverError::Transient(e.to_string()))?;
        }
        Ok(())
    }
}
