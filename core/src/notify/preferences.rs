//! A person's notification choices: read with their defaults, and changed from the settings page.

use crate::db::notify as sql;
use crate::db::DbError;
use crate::state::Runway;
use runway_domain::notify::{Notification, NotifyChannel, Preferences};
use runway_domain::user::User;

/// `user_id`'s choices with the defaults filled in (`available` and `email` left empty).
pub async fn of_user(db: &crate::db::Db, user_id: i64) -> Result<Preferences, DbError> {
    let stored = sql::preferences(db, user_id).await?;
    let chosen: Vec<(Notification, NotifyChannel, bool)> = stored
        .iter()
        .filter_map(|(n, c, on)| Some((Notification::parse(n)?, NotifyChannel::parse(c)?, *on)))
        .collect();
    Ok(Preferences {
        choices: Preferences::with_choices(&chosen),
        available: Vec::new(),
        email: None,
    })
}

/// What the settings page shows the signed-in person.
pub async fn page(rw: &Runway, user: &User) -> Result<Preferences, DbError> {
    let mut p = of_user(&rw.db, user.id).await?;
    if rw.settings.email.enabled() {
        p.available.push(NotifyChannel::Email);
    }
    if rw.settings.slack.enabled() {
        p.available.push(NotifyChannel::Slack);
    }
    p.email = user.email.clone().filter(|e| !e.is_empty());
    Ok(p)
}

/// Stores the person's choices: every pair in `on` is switched on, every other pair off. Only
/// the caller's own choices change.
pub async fn save(
    rw: &Runway,
    user: &User,
    on: &[(Notification, NotifyChannel)],
) -> Result<(), DbError> {
    let mut rows = Vec::new();
    for n in Notification::ALL {
        for c in NotifyChannel::ALL {
            rows.push((n.as_str(), c.as_str(), on.contains(&(n, c))));
        }
    }
    sql::set_preferences(&rw.db, user.id, &rows).await
}

/// The settings page: the person's choices, and for admins the delivery report.
pub async fn settings_page(
    rw: &Runway,
    user: &User,
) -> Result<runway_domain::notify::NotificationsPage, DbError> {
    use runway_domain::notify::{DeliveryProblem, DeliveryReport, NotificationsPage};
    let preferences = page(rw, user).await?;
    let deliveries = if user.is_admin {
        let (sent, pending, failed) = sql::counts(&rw.db).await?;
        let problems = sql::problems(&rw.db)
            .await?
            .into_iter()
            .map(|p| DeliveryProblem {
                request_id: p.request_id,
                about: Notification::parse(&p.notification)
                    .map(|n| n.label().to_string())
                    .unwrap_or_else(|| match p.notification.as_str() {
                        "jira_created" => "Comment: the request was made".to_string(),
                        "jira_finished" => "Comment: the request ended".to_string(),
                        "jira_transition" => "Ticket transition".to_string(),
                        "approval_closed" => "Approval message: decided".to_string(),
                        other => other.to_string(),
                    }),
                channel: match p.channel.as_str() {
                    "email" => "E-mail",
                    "slack" => "Slack",
                    _ => "Jira",
                }
                .to_string(),
                recipient: p.recipient,
                given_up: p.status == "failed",
                attempts: p.attempts,
                error: p.last_error.unwrap_or_default(),
                created_at: p.created_at.to_rfc3339(),
            })
            .collect();
        let ticket_comments = crate::db::jira::comment_failures(&rw.db)
            .await?
            .into_iter()
            .map(|(key, error, at)| (key, error, at.to_rfc3339()))
            .collect();
        Some(DeliveryReport {
            sent,
            pending,
            failed,
            problems,
            ticket_comments,
        })
    } else {
        None
    };
    Ok(NotificationsPage {
        preferences,
        deliveries,
    })
}
