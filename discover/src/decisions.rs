//! What people decided about groups, applied to a fresh grouping.
//!
//! Decisions are stored against stable group ids, so they are applied again after every analysis
//! and re-import: a pure function from groups and decisions to groups, linear in the tickets. A
//! decision whose group no longer exists (the data changed) is reported, not an error.

use crate::cluster::{Group, GroupId, Part, Template};
use crate::ticket::Ticket;
use serde::{Deserialize, Serialize};

/// One decision about a group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Decision {
    /// Call the group this.
    Rename { group: GroupId, label: String },
    /// Move every ticket of `group` into `into`.
    Merge { group: GroupId, into: GroupId },
    /// Tickets of `group` whose title has `word` become a group of their own.
    Split { group: GroupId, word: String },
    /// Not automatable: left out of the ranking.
    Dismiss { group: GroupId },
}

impl Decision {
    pub fn group(&self) -> &GroupId {
        match self {
            Decision::Rename { group, .. }
            | Decision::Merge { group, .. }
            | Decision::Split { group, .. }
            | Decision::Dismiss { group } => group,
        }
    }

    /// The id of the group a split makes: derived from its parent and word, so it is stable too.
    pub fn split_id(group: &GroupId, word: &str) -> GroupId {
        GroupId::from_parts([group.as_str(), "split", word])
    }
}

/// The groups after the decisions, and the decisions (by index) that found no group.
#[derive(Debug, Clone)]
pub struct Applied {
    pub groups: Vec<Group>,
    pub unmatched: Vec<usize>,
}

/// Applies `decisions` in order.
pub fn apply(mut groups: Vec<Group>, decisions: &[Decision], tickets: &[Ticket]) -> Applied {
    let mut unmatched = Vec::new();
    for (i, decision) in decisions.iter().enumerate() {
        let Some(at) = groups.iter().position(|g| g.id == *decision.group()) else {
            unmatched.push(i);
            continue;
        };
        match decision {
            Decision::Rename { label, .. } => groups[at].label = Some(label.clone()),
            Decision::Dismiss { .. } => groups[at].dismissed = true,
            Decision::Merge { into, .. } => {
                let Some(target) = groups.iter().position(|g| g.id == *into) else {
                    unmatched.push(i);
                    continue;
                };
                if target == at {
                    continue;
                }
                let moved = std::mem::take(&mut groups[at].members);
                let merged = &mut groups[target].members;
                merged.extend(moved);
                merged.sort_unstable();
                groups.remove(at);
            }
            Decision::Split { group, word } => {
                let word = word.to_lowercase();
                let (with, without): (Vec<u32>, Vec<u32>) =
                    groups[at].members.iter().partition(|&&m| {
                        tickets.get(m as usize).is_some_and(|t| {
                            crate::normalize::tokens(&t.title)
                                .iter()
                                .any(|tok| tok.to_string() == word)
                        })
                    });
                if with.is_empty() || without.is_empty() {
                    continue;
                }
                groups[at].members = without;
                let mut template = groups[at].template.0.clone();
                template.push(Part::Word(word.clone()));
                groups.push(Group {
                    id: Decision::split_id(group, &word),
                    template: Template(template),
                    words: vec![word],
                    members: with,
                    label: None,
                    dismissed: false,
                });
            }
        }
    }
    Applied { groups, unmatched }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::{cluster, Options};
    use crate::generate;
    use crate::rank::{rank, RankBy};

    fn setup() -> (Vec<Ticket>, Vec<Group>) {
        let data = generate::tickets(3_000, 1);
        let groups = cluster(&data.tickets, &Options::default());
        (data.tickets, groups)
    }

    #[test]
    fn a_merge_moves_every_ticket_and_removes_the_merged_group() {
        let (tickets, groups) = setup();
        let (a, b) = (groups[0].id.clone(), groups[1].id.clone());
        let total = groups[0].members.len() + groups[1].members.len();
        let applied = apply(
            groups,
            &[Decision::Merge {
                group: b.clone(),
                into: a.clone(),
            }],
            &tickets,
        );
        let merged = applied.groups.iter().find(|g| g.id == a).unwrap();
        assert_eq!(merged.members.len(), total);
        assert!(applied.groups.iter().all(|g| g.id != b));
        assert!(applied.unmatched.is_empty());
    }

    #[test]
    fn renames_and_dismissals_show_in_the_ranking() {
        let (tickets, groups) = setup();
        let (a, b) = (groups[0].id.clone(), groups[1].id.clone());
        let decisions = [
            Decision::Rename {
                group: a.clone(),
                label: "Onboarding".into(),
            },
            Decision::Dismiss { group: b.clone() },
        ];
        let applied = apply(groups, &decisions, &tickets);
        let report = rank(&tickets, &applied.groups, RankBy::Count);
        assert!(report
            .groups
            .iter()
            .any(|g| g.id == a && g.label == "Onboarding"));
        assert!(report.groups.iter().all(|g| g.id != b));
        assert_eq!(report.dismissed, 1);
    }

    #[test]
    fn a_split_makes_a_group_with_a_stable_id_of_the_tickets_with_the_word() {
        let tickets: Vec<Ticket> = generate::tickets(3_000, 1).tickets;
        let groups = cluster(&tickets, &Options::default());
        let starters = groups
            .iter()
            .find(|g| g.template.to_string().starts_with("new starter"))
            .unwrap()
            .clone();
        let decision = Decision::Split {
            group: starters.id.clone(),
            word: "Finance".into(),
        };
        let applied = apply(groups.clone(), std::slice::from_ref(&decision), &tickets);
        let split_id = Decision::split_id(&starters.id, "finance");
        let split = applied.groups.iter().find(|g| g.id == split_id).unwrap();
        assert!(!split.members.is_empty());
        assert!(split
            .members
            .iter()
            .all(|&m| tickets[m as usize].title.to_lowercase().contains("finance")));
        let again = apply(groups, &[decision], &tickets);
        assert!(again.groups.iter().any(|g| g.id == split_id));
    }

    #[test]
    fn decisions_about_vanished_groups_are_reported_not_fatal() {
        let (tickets, groups) = setup();
        let n = groups.len();
        let applied = apply(
            groups,
            &[Decision::Dismiss {
                group: GroupId("g-gone".into()),
            }],
            &tickets,
        );
        assert_eq!(applied.unmatched, vec![0]);
        assert_eq!(applied.groups.len(), n);
    }
}
