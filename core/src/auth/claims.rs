//! From the provider's groups claim to Runway's teams and roles.
//!
//! Evaluated at every sign-in, so a change in the directory (joining a team, losing admin) takes effect
//! at the next sign-in.

use crate::config::AuthSettings;
use runway_domain::ids::TeamName;
use runway_domain::user::Membership;
use std::collections::BTreeMap;

/// What the groups claim grants.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Grants {
    pub is_admin: bool,
    /// Sorted by team name.
    pub teams: Vec<Membership>,
}

/// Maps `groups` to teams, leads and the admin role per `settings`:
/// - a group in `admin_groups` makes an admin;
/// - a group `<team><lead_suffix>` or listed in `lead_groups[team]` makes a lead (and member) of team;
/// - any other group (after removing `team_prefix`, when set) that is a valid team name is a team.
pub fn grants(settings: &AuthSettings, groups: &[String]) -> Grants {
    let mut teams: BTreeMap<String, bool> = BTreeMap::new();
    let mut is_admin = false;
    for raw in groups {
        let group = normalise(raw);
        if settings.admin_groups.iter().any(|g| normalise(g) == group) {
            is_admin = true;
            continue;
        }
        if let Some((team, _)) = settings
            .lead_groups
            .iter()
            .find(|(_, lead_groups)| lead_groups.iter().any(|g| normalise(g) == group))
        {
            teams.insert(team.clone(), true);
            continue;
        }
        let Some(name) = strip_prefix(settings, &group) else {
            continue;
        };
        if !settings.lead_suffix.is_empty() {
            if let Some(team) = name.strip_suffix(settings.lead_suffix.as_str()) {
                if TeamName::parse(team).is_ok() {
                    teams.insert(team.to_string(), true);
                    continue;
                }
            }
        }
        if TeamName::parse(name).is_ok() {
            teams.entry(name.to_string()).or_insert(false);
        }
    }
    Grants {
        is_admin,
        teams: teams
            .into_iter()
            .map(|(team, is_lead)| Membership { team, is_lead })
            .collect(),
    }
}

/// Groups may arrive as paths (`/payments` from Keycloak's full-path option); compare without the
/// leading slash.
fn normalise(group: &str) -> String {
    group.trim().trim_start_matches('/').to_string()
}

fn strip_prefix<'a>(settings: &AuthSettings, group: &'a str) -> Option<&'a str> {
    if settings.team_prefix.is_empty() {
        Some(group)
    } else {
        group.strip_prefix(settings.team_prefix.as_str())
    }
}

/// Reads a groups claim value: a list of strings, or one space/comma separated string.
pub fn groups_from_claim(value: Option<&serde_json::Value>) -> Vec<String> {
    match value {
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        Some(serde_json::Value::String(s)) => s
            .split([',', ' '])
            .filter(|g| !g.is_empty())
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn groups(list: &[&str]) -> Vec<String> {
        list.iter().map(|g| g.to_string()).collect()
    }

    fn member(team: &str, is_lead: bool) -> Membership {
        Membership {
            team: team.into(),
            is_lead,
        }
    }

    #[test]
    fn groups_become_teams_leads_and_admin() {
        let settings = AuthSettings::default();
        let g = grants(
            &settings,
            &groups(&["payments", "search-leads", "platform-admins", "Not A Team"]),
        );
        assert!(g.is_admin);
        assert_eq!(
            g.teams,
            vec![member("payments", false), member("search", true)]
        );
    }

    #[test]
    fn a_lead_group_makes_a_lead_even_when_the_member_group_is_listed_too() {
        let settings = AuthSettings::default();
        let g = grants(&settings, &groups(&["payments-leads", "payments"]));
        assert_eq!(g.teams, vec![member("payments", true)]);
        assert!(!g.is_admin);
    }

    #[test]
    fn prefixes_paths_and_explicit_lead_groups_are_honoured() {
        let mut settings = AuthSettings {
            team_prefix: "team-".into(),
            ..AuthSettings::default()
        };
        settings
            .lead_groups
            .insert("payments".into(), vec!["payments-managers".into()]);
        let g = grants(
            &settings,
            &groups(&[
                "/team-search",
                "payments-managers",
                "everyone",
                "team-data-leads",
            ]),
        );
        assert_eq!(
            g.teams,
            vec![
                member("data", true),
                member("payments", true),
                member("search", false)
            ]
        );
    }

    #[test]
    fn groups_claims_may_be_lists_or_strings() {
        let list = serde_json::json!(["a", "b", 3]);
        assert_eq!(groups_from_claim(Some(&list)), vec!["a", "b"]);
        let text = serde_json::json!("a b,c");
        assert_eq!(groups_from_claim(Some(&text)), vec!["a", "b", "c"]);
        assert!(groups_from_claim(None).is_empty());
    }
}
