//! Who is signed in, as far as pages and permissions care.

use serde::{Deserialize, Serialize};

/// A signed-in person: identity, teams (from the SSO groups claim) and whether they are an admin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: i64,
    pub name: String,
    pub email: Option<String>,
    /// Admins (the platform team) manage the catalogue and see everything.
    pub is_admin: bool,
    pub teams: Vec<Membership>,
}

/// Membership of one team; leads approve their team's requests and see its history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    pub team: String,
    pub is_lead: bool,
}

impl User {
    pub fn is_member(&self, team: &str) -> bool {
        self.teams.iter().any(|m| m.team == team)
    }

    pub fn leads(&self, team: &str) -> bool {
        self.teams.iter().any(|m| m.team == team && m.is_lead)
    }

    /// "admin", "team lead" or "developer": the highest role, for the header.
    pub fn role_label(&self) -> &'static str {
        if self.is_admin {
            "admin"
        } else if self.teams.iter().any(|m| m.is_lead) {
            "team lead"
        } else {
            "developer"
        }
    }

    pub fn team_names(&self) -> Vec<String> {
        self.teams.iter().map(|m| m.team.clone()).collect()
    }
}
