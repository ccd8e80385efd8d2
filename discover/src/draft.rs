//! A group becomes a draft catalogue action the platform team can finish.
//!
//! The thinnest automation there is: a **manual** action, so the request reaches the owning team
//! with a proper form instead of a free-text ticket, and its lead time is measured from day one.
//! The title comes from the group, `replaces` names the group (its stable id and template, so the
//! impact figures can compare the tickets' times with Runway's), and each varying part of the
//! template suggests an input (`new starter <*>` suggests a `name` field). Until the team widens it,
//! only the owning team (and admins) see the draft. The YAML is written for the catalogue loader
//! and checked by it in the tests.

use crate::cluster::{Group, Part};
use crate::normalize::Placeholder;
use crate::rank::GroupReport;

/// Where the draft goes in the catalogue.
#[derive(Debug, Clone)]
pub struct DraftOptions {
    /// The team that will own the action (a catalogue team name).
    pub owner: String,
    pub category: String,
}

impl Default for DraftOptions {
    fn default() -> Self {
        Self {
            owner: "platform".to_string(),
            category: "Requests".to_string(),
        }
    }
}

/// A draft action: its id (the file name without `.yaml`) and its YAML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub id: String,
    pub yaml: String,
}

/// A suggested input: name, label, and what it is for.
struct Input {
    name: String,
    label: String,
    help: String,
}

fn input_for(kind: Option<Placeholder>) -> (&'static str, &'static str) {
    match kind {
        None => ("name", "Name"),
        Some(Placeholder::Email) => ("email", "E-mail address"),
        Some(Placeholder::Host) => ("host", "Host name"),
        Some(Placeholder::Url) => ("url", "Address (URL)"),
        Some(Placeholder::Version) => ("version", "Version"),
        Some(Placeholder::Number) => ("number", "Number"),
        Some(Placeholder::Id) => ("identifier", "Identifier"),
        Some(Placeholder::Key) => ("ticket", "Related ticket"),
        Some(Placeholder::Path) => ("path", "Path"),
        Some(Placeholder::File) => ("file", "File"),
        Some(Placeholder::Quoted) => ("value", "Value"),
        Some(Placeholder::Mention) => ("person", "Person"),
    }
}

fn inputs(group: &Group) -> Vec<Input> {
    let mut out: Vec<Input> = Vec::new();
    for (position, part) in group.template.0.iter().enumerate() {
        let Part::Varies(kind) = part else {
            continue;
        };
        let (base, label) = input_for(*kind);
        let taken = out.iter().filter(|i| i.name.starts_with(base)).count();
        let (name, label) = if taken == 0 {
            (base.to_string(), label.to_string())
        } else {
            (
                format!("{base}_{}", taken + 1),
                format!("{label} ({})", taken + 1),
            )
        };
        out.push(Input {
            name,
            label,
            help: format!(
                "What varied at position {} of the tickets' titles (`{}`).",
                position + 1,
                group.template
            ),
        });
    }
    out
}

/// The template's words as an action id: `new-starter`; a group of varying parts only gets one
/// from its id.
fn action_id(group: &Group) -> String {
    let mut id = String::new();
    for part in &group.template.0 {
        let Part::Word(w) = part else { continue };
        let slug: String = w
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_lowercase())
            .collect();
        if slug.is_empty() || id.len() + slug.len() + 1 > 50 {
            continue;
        }
        if !id.is_empty() {
            id.push('-');
        }
        id.push_str(&slug);
    }
    if id.is_empty() {
        format!("discover-{}", group.id.as_str().trim_start_matches("g-"))
    } else {
        id
    }
}

/// A duration as the catalogue writes it (`3d`, `5h`, `20m`), rounded up.
fn human(secs: i64) -> String {
    let minutes = (secs + 59) / 60;
    if minutes >= 48 * 60 {
        format!("{}d", (minutes + 24 * 60 - 1) / (24 * 60))
    } else if minutes >= 120 {
        format!("{}h", (minutes + 59) / 60)
    } else {
        format!("{}m", minutes.max(1))
    }
}

/// A YAML double-quoted scalar (JSON's string escapes are valid YAML).
fn quoted(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".to_string())
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max.saturating_sub(1)).collect();
    format!("{}…", cut.trim_end())
}

/// The draft for `group`, with its figures when the ranking has them.
pub fn draft(group: &Group, figures: Option<&GroupReport>, options: &DraftOptions) -> Draft {
    let id = action_id(group);
    let words: Vec<&str> = group
        .template
        .0
        .iter()
        .filter_map(|p| match p {
            Part::Word(w) => Some(w.as_str()),
            Part::Varies(_) => None,
        })
        .collect();
    let title = group.label.clone().unwrap_or_else(|| {
        let mut t = words.join(" ");
        if let Some(first) = t.get(..1) {
            t = first.to_uppercase() + &t[1..];
        }
        if t.is_empty() {
            format!("Request from group {}", group.id)
        } else {
            t
        }
    });
    let title = truncate(&title, 80);
    let count = figures.map_or(group.members.len(), |f| f.tickets);
    let summary = truncate(
        &format!(
            "Replaces the \"{}\" tickets ({count} in the analysed export).",
            group.template
        ),
        200,
    );
    let mut description = format!(
        "Drafted by Discover from ticket group `{}` (`{}`): {count} tickets.\n",
        group.id, group.template
    );
    if let Some(f) = figures {
        if let (Some(median), Some(p90)) = (f.median_secs, f.p90_secs) {
            description.push_str(&format!(
                "\nAs tickets they took {} to resolve (median; 90th percentile {}).\n",
                human(median),
                human(p90)
            ));
        }
        if !f.examples.is_empty() {
            description.push_str("\nExample tickets:\n\n");
            for e in &f.examples {
                description.push_str(&format!("- {}: {}\n", e.key, e.title));
            }
        }
    }
    description
        .push_str("\nFinish this draft: check the inputs, the owner and the instructions.\n");
    let inputs = inputs(group);

    let mut y = String::new();
    y.push_str("# A draft from `runway tickets analyze`: review before publishing.\n");
    y.push_str(&format!("id: {id}\n"));
    y.push_str(&format!("title: {}\n", quoted(&title)));
    y.push_str(&format!("summary: {}\n", quoted(&summary)));
    y.push_str(&format!("description: {}\n", quoted(&description)));
    y.push_str(&format!(
        "category: {}\n",
        quoted(&truncate(&options.category, 40))
    ));
    y.push_str("tags: [discover]\n");
    y.push_str(&format!("owner: {}\n", options.owner));
    // A draft is seen by its owning team (and admins) only, until they widen it.
    y.push_str(&format!("visible_to: [{}]\n", options.owner));
    y.push_str(&format!(
        "replaces: {}\n",
        quoted(&format!("Discover group {}: {}", group.id, group.template))
    ));
    if let Some(median) = figures.and_then(|f| f.median_secs) {
        y.push_str(&format!("estimate: {}\n", human(median)));
    }
    y.push_str("inputs:\n");
    for input in &inputs {
        y.push_str(&format!("  - name: {}\n", input.name));
        y.push_str(&format!("    label: {}\n", quoted(&input.label)));
        y.push_str("    type: string\n    required: true\n");
        y.push_str(&format!("    help: {}\n", quoted(&input.help)));
    }
    y.push_str("  - name: details\n    label: \"Anything else the team should know\"\n");
    y.push_str("    type: text\n    required: false\n");
    y.push_str("run:\n  kind: manual\n");
    y.push_str(&format!(
        "  instructions: {}\n",
        quoted("Do what the tickets of this group asked for, with the values above; then mark the request done.")
    ));
    Draft { id, yaml: y }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::{cluster, GroupId, Options, Template};
    use crate::generate;
    use crate::rank::{rank, RankBy};
    use runway_domain::spec::RunSpec;

    fn parse(d: &Draft) -> runway_domain::spec::ActionSpec {
        match runway_domain::parse::parse_action(&format!("{}.yaml", d.id), &d.yaml) {
            Ok(spec) => spec,
            Err(problems) => panic!("{problems:?}\n{}", d.yaml),
        }
    }

    #[test]
    fn a_new_starter_group_drafts_a_manual_action_with_a_name_field_the_catalogue_accepts() {
        let group = Group {
            id: GroupId("g-0123456789ab".into()),
            template: Template(vec![
                Part::Word("new".into()),
                Part::Word("starter".into()),
                Part::Varies(None),
            ]),
            words: vec!["starter".into()],
            members: vec![0, 1, 2],
            label: None,
            dismissed: false,
        };
        let d = draft(&group, None, &DraftOptions::default());
        assert_eq!(d.id, "new-starter");
        let spec = parse(&d);
        assert_eq!(spec.title, "New starter");
        assert_eq!(
            spec.visible_to,
            runway_domain::spec::Visibility::Teams(vec![runway_domain::ids::TeamName::parse(
                "platform"
            )
            .unwrap()])
        );
        assert!(matches!(spec.run, RunSpec::Manual { .. }));
        assert_eq!(
            spec.replaces.as_deref(),
            Some("Discover group g-0123456789ab: new starter <*>")
        );
        let names: Vec<&str> = spec.inputs.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, vec!["name", "details"]);
    }

    #[test]
    fn every_top_group_of_generated_data_drafts_a_valid_action() {
        let data = generate::tickets(5_000, 2);
        let groups = cluster(&data.tickets, &Options::default());
        let report = rank(&data.tickets, &groups, RankBy::Waiting);
        for figures in report.groups.iter().take(20) {
            let group = groups.iter().find(|g| g.id == figures.id).unwrap();
            let spec = parse(&draft(group, Some(figures), &DraftOptions::default()));
            assert!(spec.estimate.is_some());
            assert!(spec.description.contains(figures.id.as_str()));
        }
    }

    #[test]
    fn typed_slots_suggest_typed_names_and_repeated_slots_are_numbered() {
        let group = Group {
            id: GroupId("g-aaaaaaaaaaaa".into()),
            template: Template(vec![
                Part::Word("add".into()),
                Part::Varies(Some(Placeholder::Email)),
                Part::Word("group".into()),
                Part::Varies(None),
                Part::Word("on".into()),
                Part::Varies(None),
            ]),
            words: vec![],
            members: vec![],
            label: Some("Add \"someone\" to a group: a long name that goes on and on and on and on past eighty".into()),
            dismissed: false,
        };
        let spec = parse(&draft(&group, None, &DraftOptions::default()));
        let names: Vec<&str> = spec.inputs.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, vec!["email", "name", "name_2", "details"]);
        assert!(spec.title.chars().count() <= 80);
    }

    #[test]
    fn durations_are_written_as_the_catalogue_reads_them() {
        assert_eq!(human(30), "1m");
        assert_eq!(human(3 * 3600), "3h");
        assert_eq!(human(50 * 3600), "3d");
    }
}
