//! A request's lifecycle:
//! `submitted -> (pending_approval -> approved | rejected | expired) -> queued -> running ->
//! succeeded | failed | cancelled`. Stored as text with a CHECK constraint listing exactly these.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    Submitted,
    PendingApproval,
    Approved,
    Rejected,
    Expired,
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

impl RequestStatus {
    pub const ALL: [RequestStatus; 10] = [
        Self::Submitted,
        Self::PendingApproval,
        Self::Approved,
        Self::Rejected,
        Self::Expired,
        Self::Queued,
        Self::Running,
        Self::Succeeded,
        Self::Failed,
        Self::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Submitted => "submitted",
            Self::PendingApproval => "pending_approval",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
            Self::Expired => "expired",
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }

    /// What people read: "Waiting for approval", "Running", "Succeeded".
    pub fn label(self) -> &'static str {
        match self {
            Self::Submitted => "Submitted",
            Self::PendingApproval => "Waiting for approval",
            Self::Approved => "Approved",
            Self::Rejected => "Rejected",
            Self::Expired => "Expired",
            Self::Queued => "Queued",
            Self::Running => "Running",
            Self::Succeeded => "Succeeded",
            Self::Failed => "Failed",
            Self::Cancelled => "Cancelled",
        }
    }

    /// Final states never change again (and free the request's idempotency key).
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Self::Succeeded | Self::Failed | Self::Cancelled | Self::Rejected | Self::Expired
        )
    }
}

impl fmt::Display for RequestStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a request status")]
pub struct UnknownStatus(pub String);

impl FromStr for RequestStatus {
    type Err = UnknownStatus;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| UnknownStatus(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_round_trips_through_its_text() {
        for status in RequestStatus::ALL {
            assert_eq!(status.as_str().parse::<RequestStatus>(), Ok(status));
        }
        assert!("done".parse::<RequestStatus>().is_err());
    }

    #[test]
    fn the_schema_check_constraints_list_exactly_these_statuses() {
        for schema in [
            include_str!("../../migrations/sqlite/0003_queue.sql"),
            include_str!("../../migrations/postgres/0003_queue.sql"),
        ] {
            let check = schema
                .split("status IN (")
                .nth(1)
                .and_then(|r| r.split(')').next())
                .unwrap_or_default();
            let listed: Vec<&str> = check
                .split(',')
                .map(|s| s.trim().trim_matches('\''))
                .collect();
            let ours: Vec<&str> = RequestStatus::ALL.iter().map(|s| s.as_str()).collect();
            assert_eq!(listed, ours);
        }
    }
}

/// Where a request was made. Stored with the request; impact and history count channels by it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    /// The portal's pages.
    #[default]
    Portal,
    /// The REST API, and the command-line client that uses it.
    Api,
    Slack,
    Jira,
}

impl Channel {
    pub const ALL: [Channel; 4] = [Channel::Portal, Channel::Api, Channel::Slack, Channel::Jira];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Portal => "portal",
            Channel::Api => "api",
            Channel::Slack => "slack",
            Channel::Jira => "jira",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// How the pages name it.
    pub fn label(self) -> &'static str {
        match self {
            Channel::Portal => "Portal",
            Channel::Api => "API",
            Channel::Slack => "Slack",
            Channel::Jira => "Jira",
        }
    }
}
