//! Grouping on hand-written titles and on generated data with known answers.

use super::*;
use crate::generate;
use chrono::{TimeZone, Utc};

fn ticket(key: &str, title: &str) -> Ticket {
    Ticket {
        key: key.to_string(),
        title: title.to_string(),
        created: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
        resolved: None,
        team: None,
        labels: vec![],
        components: vec![],
        issue_type: None,
        status: None,
        description: None,
        reporter: None,
        link: None,
    }
}

fn titled(titles: &[&str]) -> Vec<Ticket> {
    titles
        .iter()
        .enumerate()
        .map(|(i, t)| ticket(&format!("T-{i}"), t))
        .collect()
}

fn group_of(groups: &[Group], ticket: u32) -> &Group {
    groups.iter().find(|g| g.members.contains(&ticket)).unwrap()
}

/// Scores groups against the known kinds: the share of all (non-noise) tickets that sit in a group
/// made (at least 90 %) of their own kind, and the worst purity among the 20 largest groups. A kind
/// written with different verbs may be split over several groups, but no group may mix kinds.
pub(crate) fn scores(groups: &[Group], kinds: &[usize]) -> (f64, f64) {
    let kind_count = kinds.iter().max().map_or(1, |k| k + 1);
    let noise = generate::kind_names().len() - 1;
    let (mut well_placed, mut real) = (0usize, 0usize);
    let mut worst_purity: f64 = 1.0;
    for (rank, group) in groups.iter().enumerate() {
        let mut counts = vec![0usize; kind_count];
        for &m in &group.members {
            counts[kinds[m as usize]] += 1;
        }
        let (main, best) = counts
            .iter()
            .enumerate()
            .max_by_key(|(_, &c)| c)
            .map_or((0, 0), |(k, &c)| (k, c));
        let purity = best as f64 / group.members.len() as f64;
        if rank < 20 {
            worst_purity = worst_purity.min(purity);
        }
        let real_here = group.members.len() - counts.get(noise).copied().unwrap_or(0);
        real += real_here;
        if purity >= 0.9 && main != noise {
            well_placed += best;
        }
    }
    (well_placed as f64 / real.max(1) as f64, worst_purity)
}

#[test]
fn new_starters_with_different_names_land_in_one_group_with_a_varying_slot() {
    let mut titles = vec![
        "New starter Jane Doe",
        "New starter: J. Smith (finance)",
        "new starter Mary Jones",
        "New starter - Ahmed Khan",
        "Create repo billing-api",
        "Create repo search",
        "Create repo ledger-7",
        "Delete repo old-thing",
        "Delete repo legacy",
        "Delete repo attic",
    ];
    titles.extend(["Grant access to Grafana"; 3]);
    let tickets = titled(&titles);
    let groups = cluster(&tickets, &Options::default());
    let starters = group_of(&groups, 0);
    assert_eq!(starters.members, vec![0, 1, 2, 3]);
    assert_eq!(starters.template.to_string(), "new starter <*>");
    assert_ne!(group_of(&groups, 4).id, group_of(&groups, 7).id);
    assert_eq!(group_of(&groups, 4).members, vec![4, 5, 6]);
}

#[test]
fn titles_differing_only_in_numbers_hosts_and_keys_are_one_group() {
    let tickets = titled(&[
        "Reset VPN token for build-agent-17",
        "reset vpn token for build-agent-204",
        "Reset VPN token for ci-runner.prod.example.com",
        "Reset VPN token (see PLAT-991)",
        "Upgrade runner to 2.311.0",
        "Upgrade runner to v2.312.1",
        "Upgrade runner to 3.0.0",
    ]);
    let groups = cluster(&tickets, &Options::default());
    assert_eq!(group_of(&groups, 0).members, vec![0, 1, 2, 3]);
    assert_eq!(group_of(&groups, 4).members, vec![4, 5, 6]);
    assert_eq!(
        group_of(&groups, 4).template.to_string(),
        "upgrade runner <*>"
    );
}

#[test]
fn generated_tickets_land_in_groups_of_their_own_kind_and_the_top_groups_are_pure() {
    let data = generate::tickets(20_000, 7);
    let groups = cluster(&data.tickets, &Options::default());
    let (placed, purity) = scores(&groups, &data.kinds);
    assert!(placed >= 0.95, "tickets in mixed groups: {placed}");
    assert!(purity >= 0.9, "a top group mixes kinds: {purity}");
}

#[test]
fn the_same_input_gives_the_same_groups_and_ids_even_shuffled() {
    let data = generate::tickets(5_000, 11);
    let first = cluster(&data.tickets, &Options::default());
    let again = cluster(&data.tickets, &Options::default());
    assert_eq!(first, again);

    let mut shuffled = data.tickets.clone();
    let mut rng = generate::Rng::new(3);
    for i in (1..shuffled.len()).rev() {
        shuffled.swap(i, rng.below(i + 1));
    }
    let reshuffled = cluster(&shuffled, &Options::default());
    let by_keys = |groups: &[Group], tickets: &[Ticket]| {
        let mut out: Vec<(String, String, Vec<String>)> = groups
            .iter()
            .map(|g| {
                let mut keys: Vec<String> = g
                    .members
                    .iter()
                    .map(|&m| tickets[m as usize].key.clone())
                    .collect();
                keys.sort();
                (g.id.to_string(), g.template.to_string(), keys)
            })
            .collect();
        out.sort();
        out
    };
    assert_eq!(
        by_keys(&first, &data.tickets),
        by_keys(&reshuffled, &shuffled)
    );
}

#[test]
fn group_ids_are_unique() {
    let data = generate::tickets(5_000, 5);
    let groups = cluster(&data.tickets, &Options::default());
    let mut ids: Vec<&GroupId> = groups.iter().map(|g| &g.id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), groups.len());
}

#[test]
fn no_tickets_give_no_groups() {
    assert!(cluster(&[], &Options::default()).is_empty());
}
