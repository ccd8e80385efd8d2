use super::*;
use crate::parse::parse_action;
use crate::spec::{FieldKind, Visibility};
use proptest::prelude::*;

const BASE: &str = "# Owned by the platform team.\nid: grant-access\ntitle: Grant access\n# Shown on the card.\nsummary: Access to a system.\ncategory: Access\nowner: platform\napproval: none\ninputs:\n  - name: system\n    label: System\n    type: string\n    required: true\nrun:\n  kind: manual\n";

#[test]
fn splicing_one_key_keeps_every_other_line_and_comment() {
    let out = splice(BASE, "title", Some("title: Grant access to a system\n"));
    assert_eq!(
        out,
        BASE.replace("title: Grant access\n", "title: Grant access to a system\n")
    );
    // The comment above `summary` stays with summary when the key before it changes.
    assert!(out.contains("# Shown on the card.\nsummary:"));
}

#[test]
fn splicing_a_missing_key_appends_it_and_none_removes_it() {
    let out = splice(BASE, "estimate", Some("estimate: 1d\n"));
    assert!(out.ends_with("kind: manual\nestimate: 1d\n"));
    let out = splice(&out, "estimate", None);
    assert_eq!(out, BASE);
    let out = splice("title: x", "owner", Some("owner: a\n"));
    assert_eq!(out, "title: x\nowner: a\n");
}

#[test]
fn structured_edits_of_a_manual_action_produce_a_valid_spec() {
    let mut doc = EditDoc::from_yaml(BASE).expect("reads");
    assert_eq!(doc.inputs.len(), 1);
    assert_eq!(doc.run_kind, "manual");
    doc.inputs.push(EditField {
        name: "level".into(),
        label: "Access level".into(),
        kind: "select".into(),
        required: true,
        options: "read = Read only\nwrite = Read and write".into(),
        default: "read".into(),
        ..EditField::default()
    });
    doc.inputs.push(EditField {
        name: "why".into(),
        label: "Why do you need write access?".into(),
        kind: "text".into(),
        required: true,
        min_length: "10".into(),
        visible_if_field: "level".into(),
        visible_if_equals: "write".into(),
        ..EditField::default()
    });
    doc.visible_to_all = false;
    doc.visible_teams = "payments, search".into();
    doc.approval_from = "team-lead".into();
    doc.approval_when_field = "level".into();
    doc.approval_when_equals = "write".into();
    let mut yaml = BASE.to_string();
    for key in ["inputs", "visible_to", "approval"] {
        yaml = doc.apply(&yaml, key);
    }
    let spec = parse_action("x.yaml", &yaml).unwrap_or_else(|p| panic!("{p:?}\n{yaml}"));
    assert_eq!(spec.inputs.len(), 3);
    assert!(
        matches!(&spec.inputs[1].kind, FieldKind::Select { options } if options.len() == 2 && options[1].label == "Read and write")
    );
    assert_eq!(
        spec.inputs[2].visible_if.as_ref().map(|c| c.field.as_str()),
        Some("level")
    );
    assert!(matches!(&spec.visible_to, Visibility::Teams(t) if t.len() == 2));
    assert!(spec.approval_when.is_some());
    assert!(yaml.starts_with("# Owned by the platform team.\n"));
    // And reading it back gives the same document.
    let again = EditDoc::from_yaml(&yaml).expect("reads");
    assert_eq!(again.inputs, doc.inputs);
    assert_eq!(again.visible_teams, "payments, search");
}

#[test]
fn a_multiline_description_is_written_as_a_literal_block() {
    let doc = EditDoc {
        description: "First line.\n\n- a list item\n".into(),
        ..EditDoc::default()
    };
    let yaml = doc.apply(BASE, "description");
    assert!(
        yaml.contains("description: |\n  First line.\n\n  - a list item\n"),
        "{yaml}"
    );
    assert_eq!(
        EditDoc::from_yaml(&yaml).map(|d| d.description),
        Some(doc.description)
    );
}

#[test]
fn every_template_is_a_readable_document_and_the_manual_one_is_valid() {
    for kind in [
        ExecutorKind::Manual,
        ExecutorKind::Script,
        ExecutorKind::Webhook,
    ] {
        let yaml = template(kind, "payments");
        let doc = EditDoc::from_yaml(&yaml).expect("reads");
        assert_eq!(doc.owner, "payments");
        assert_eq!(doc.run_kind, kind.as_str());
        // The script template names a script the admin must create; the parser itself accepts it.
        parse_action("t.yaml", &yaml).unwrap_or_else(|p| panic!("{kind:?}: {p:?}"));
    }
}

#[test]
fn a_field_that_does_not_validate_yet_still_reads_and_is_reported_at_its_path() {
    let mut doc = EditDoc::from_yaml(BASE).expect("reads");
    doc.inputs.push(EditField {
        kind: "string".into(),
        ..EditField::default()
    });
    let yaml = doc.apply(BASE, "inputs");
    let again = EditDoc::from_yaml(&yaml).expect("reads");
    assert_eq!(again.inputs.len(), 2);
    let problems = parse_action("x.yaml", &yaml).expect_err("a field without a name");
    assert!(
        problems.iter().any(|p| p.field == "inputs[1].name"),
        "{problems:?}"
    );
}

#[test]
fn text_that_is_not_yaml_gives_no_document() {
    assert_eq!(EditDoc::from_yaml("title: [unclosed"), None);
    assert_eq!(EditDoc::from_yaml("- a list"), None);
}

proptest! {
    /// Whatever an admin types in a box reads back exactly (quoting where YAML would change it).
    #[test]
    fn typed_text_round_trips_through_the_yaml(s in "\\PC{1,40}", d in "(\\PC{0,20}\n?){1,4}") {
        let doc = EditDoc { title: s.clone(), description: d.clone(), ..EditDoc::default() };
        let yaml = doc.apply(&doc.apply(BASE, "title"), "description");
        let back = EditDoc::from_yaml(&yaml).expect("reads");
        if !s.trim().is_empty() {
            prop_assert_eq!(back.title, s);
        }
        prop_assert_eq!(back.description, d);
        prop_assert_eq!(back.owner, "platform");
    }

    #[test]
    fn splice_never_panics(yaml in "\\PC{0,200}", key in "[a-z_]{1,10}", block in proptest::option::of("[a-z]{1,5}: [a-z]{1,5}\n")) {
        let _ = splice(&yaml, &key, block.as_deref());
    }
}

#[test]
fn a_dry_run_shows_the_rendered_run_with_secrets_masked_and_variables_by_name() {
    let yaml = "id: x\ntitle: X\nsummary: S\ncategory: C\nowner: platform\ninputs:\n  - name: name\n    label: Name\n    type: string\n  - name: token\n    label: Token\n    type: secret\nrun:\n  kind: webhook\n  method: POST\n  url: \"https://ci.example.com/{{config.org}}/hooks\"\n  body:\n    name: \"{{name}}\"\n    token: \"{{token}}\"\n";
    let spec = parse_action("x.yaml", yaml).unwrap_or_else(|p| panic!("{p:?}"));
    let raw = vec![
        ("name".to_string(), "a b; rm -rf /".to_string()),
        ("token".to_string(), "hunter2".to_string()),
    ];
    let valid = crate::form::validate(&spec.inputs, &raw, &[]).expect("valid values");
    let lines = dry_run(&spec, &valid).join("\n");
    assert!(
        lines.contains("Would call POST https://ci.example.com/{{config.org}}/hooks"),
        "{lines}"
    );
    assert!(lines.contains("a b; rm -rf /"), "{lines}");
    assert!(!lines.contains("hunter2"));
    let manual =
        parse_action("t.yaml", &template(ExecutorKind::Manual, "payments")).expect("valid");
    let valid = crate::form::validate(
        &manual.inputs,
        &vec![("name".to_string(), "n".to_string())],
        &[],
    )
    .expect("valid");
    assert!(dry_run(&manual, &valid)[0].contains("payments team's inbox"));
}

#[test]
fn a_description_whose_first_text_line_is_indented_reads_back_exactly() {
    // Found by the round-trip property: YAML takes a literal block's indentation from its first
    // non-empty line, so an indented first line after an empty one must be quoted instead.
    for d in ["\n x", "\n\n  two\nthree", "\n\tx\n"] {
        let doc = EditDoc {
            title: "T".into(),
            description: d.into(),
            ..EditDoc::default()
        };
        let yaml = doc.apply(BASE, "description");
        let back = EditDoc::from_yaml(&yaml).expect("reads");
        assert_eq!(back.description, d, "{yaml}");
    }
}
