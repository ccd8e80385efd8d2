//! Notifications: what a person can be told about, on which channel, and what they chose. The
//! settings page and the server's delivery share these.

use serde::{Deserialize, Serialize};

/// Something a person may want to hear about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Notification {
    /// My request was queued (accepted, and waiting to run or for a person).
    Queued,
    /// My request finished: succeeded, failed, was cancelled, or expired waiting for approval.
    Finished,
    /// A request waits for my approval.
    ApprovalNeeded,
    /// Someone approved or rejected my request.
    ApprovalDecided,
    /// A manual request waits in my team's fulfilment inbox.
    ManualWaiting,
    /// My request produced a secret result that I must reveal (within 24 hours).
    SecretWaiting,
}

impl Notification {
    pub const ALL: [Notification; 6] = [
        Notification::ApprovalNeeded,
        Notification::ApprovalDecided,
        Notification::ManualWaiting,
        Notification::Queued,
        Notification::Finished,
        Notification::SecretWaiting,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Notification::Queued => "queued",
            Notification::Finished => "finished",
            Notification::ApprovalNeeded => "approval_needed",
            Notification::ApprovalDecided => "approval_decided",
            Notification::ManualWaiting => "manual_waiting",
            Notification::SecretWaiting => "secret_waiting",
        }
    }

    pub fn parse(s: &str) -> Option<Notification> {
        Notification::ALL.into_iter().find(|n| n.as_str() == s)
    }

    /// What the settings page calls it.
    pub fn label(self) -> &'static str {
        match self {
            Notification::Queued => "My request was queued",
            Notification::Finished => {
                "My request finished (succeeded, failed, cancelled or expired)"
            }
            Notification::ApprovalNeeded => "A request needs my approval",
            Notification::ApprovalDecided => "My request was approved or rejected",
            Notification::ManualWaiting => "A manual request waits in my team's inbox",
            Notification::SecretWaiting => "A secret result waits for me to reveal it",
        }
    }

    /// Without a choice of their own, people hear about everything that needs them or ends their
    /// wait; only "queued" stays out of the mailbox (Slack shows it as a quiet direct message).
    pub fn default_on(self, channel: NotifyChannel) -> bool {
        !(self == Notification::Queued && channel == NotifyChannel::Email)
    }
}

/// Where a person is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotifyChannel {
    Email,
    Slack,
}

impl NotifyChannel {
    pub const ALL: [NotifyChannel; 2] = [NotifyChannel::Email, NotifyChannel::Slack];

    pub fn as_str(self) -> &'static str {
        match self {
            NotifyChannel::Email => "email",
            NotifyChannel::Slack => "slack",
        }
    }

    pub fn parse(s: &str) -> Option<NotifyChannel> {
        NotifyChannel::ALL.into_iter().find(|c| c.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            NotifyChannel::Email => "E-mail",
            NotifyChannel::Slack => "Slack",
        }
    }
}

/// One person's choices, as the settings page shows them: every notification on every channel,
/// with the default where they chose nothing, and which channels this Runway has set up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Preferences {
    /// `(notification, channel, on)` for every pair, in [`Notification::ALL`] order.
    pub choices: Vec<(Notification, NotifyChannel, bool)>,
    /// Channels configured on this server (others are shown, but say they are not set up).
    pub available: Vec<NotifyChannel>,
    /// The address e-mail goes to (from the identity provider).
    pub email: Option<String>,
}

impl Preferences {
    /// Every pair with its default, then `chosen` applied.
    pub fn with_choices(
        chosen: &[(Notification, NotifyChannel, bool)],
    ) -> Vec<(Notification, NotifyChannel, bool)> {
        let mut all = Vec::new();
        for n in Notification::ALL {
            for c in NotifyChannel::ALL {
                let on = chosen
                    .iter()
                    .find(|(cn, cc, _)| *cn == n && *cc == c)
                    .map_or(n.default_on(c), |(_, _, on)| *on);
                all.push((n, c, on));
            }
        }
        all
    }

    pub fn is_on(&self, n: Notification, c: NotifyChannel) -> bool {
        self.choices
            .iter()
            .any(|(cn, cc, on)| *cn == n && *cc == c && *on)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_defaults_keep_queued_out_of_the_mailbox() {
        for n in Notification::ALL {
            assert_eq!(Notification::parse(n.as_str()), Some(n));
        }
        for c in NotifyChannel::ALL {
            assert_eq!(NotifyChannel::parse(c.as_str()), Some(c));
        }
        assert!(!Notification::Queued.default_on(NotifyChannel::Email));
        assert!(Notification::Queued.default_on(NotifyChannel::Slack));
        assert!(Notification::ApprovalNeeded.default_on(NotifyChannel::Email));
    }

    #[test]
    fn a_choice_overrides_only_its_own_pair() {
        let all =
            Preferences::with_choices(&[(Notification::Finished, NotifyChannel::Email, false)]);
        assert_eq!(all.len(), 12);
        let p = Preferences {
            choices: all,
            available: vec![],
            email: None,
        };
        assert!(!p.is_on(Notification::Finished, NotifyChannel::Email));
        assert!(p.is_on(Notification::Finished, NotifyChannel::Slack));
        assert!(p.is_on(Notification::ApprovalNeeded, NotifyChannel::Email));
    }
}

/// The notifications settings page: the person's choices, and for admins how delivery goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationsPage {
    pub preferences: Preferences,
    /// Admins only.
    pub deliveries: Option<DeliveryReport>,
}

/// How notification delivery goes, for admins.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryReport {
    pub sent: i64,
    pub pending: i64,
    pub failed: i64,
    /// The newest deliveries that failed for good or are being retried after a failure.
    pub problems: Vec<DeliveryProblem>,
    /// Comments on tickets that made no request, refused by Jira for good: `(issue key, error,
    /// when)`, newest first.
    #[serde(default)]
    pub ticket_comments: Vec<(String, String, String)>,
}

/// One delivery that failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryProblem {
    pub request_id: i64,
    /// What it was about, in words.
    pub about: String,
    /// `E-mail`, `Slack` or `Jira`.
    pub channel: String,
    /// The person it was for (none for a Jira ticket).
    pub recipient: Option<String>,
    /// True when it will not be tried again.
    pub given_up: bool,
    pub attempts: i64,
    pub error: String,
    pub created_at: String,
}
