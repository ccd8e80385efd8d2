//! Each export format read from a fixture of its real shape, bad rows, and hostile bytes.

use super::*;
use crate::ticket::Ticket;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn read_all(bytes: &[u8], options: &ImportOptions) -> (Format, Vec<Ticket>, Vec<Skipped>) {
    let mut import = open(bytes, options).unwrap();
    let format = import.format();
    let (mut kept, mut skipped) = (Vec::new(), Vec::new());
    for row in import.by_ref() {
        match row {
            Ok(t) => kept.push(t),
            Err(s) => skipped.push(s),
        }
    }
    import.finish().unwrap();
    (format, kept, skipped)
}

#[test]
fn jira_all_fields_csv_keeps_repeated_labels_components_team_and_multiline_descriptions() {
    let options = ImportOptions {
        description_lines: 2,
        reporter: ReporterPolicy::Keep,
        ..Default::default()
    };
    let (format, kept, _) = read_all(&fixture("jira-all-fields.csv"), &options);
    assert_eq!(format, Format::JiraCsv);
    let first = &kept[0];
    assert_eq!(first.key, "PLAT-101");
    assert_eq!(first.title, "New starter Jane Doe");
    assert_eq!(first.labels, vec!["onboarding", "hr"]);
    assert_eq!(first.components, vec!["Onboarding", "Accounts"]);
    assert_eq!(first.team.as_deref(), Some("Finance"));
    assert_eq!(first.issue_type.as_deref(), Some("Service Request"));
    assert_eq!(
        first.description.as_deref(),
        Some("Please set up accounts for Jane.\nShe starts on Monday in Finance.")
    );
    assert_eq!(first.reporter.as_deref(), Some("Hiring Manager"));
    assert_eq!(first.resolve_secs(), Some((17 * 60 + 56) * 60));
    assert_eq!(kept[1].title, "New starter: J. Smith (finance)");
    assert_eq!(kept[2].reporter.as_deref(), Some("Dev, Some"));
    assert_eq!(kept[2].resolved, None);
}

#[test]
fn jira_csv_rows_without_title_or_with_bad_dates_are_skipped_with_their_lines() {
    let (_, kept, skipped) = read_all(&fixture("jira-all-fields.csv"), &ImportOptions::default());
    let keys: Vec<&str> = kept.iter().map(|t| t.key.as_str()).collect();
    assert_eq!(keys, vec!["PLAT-101", "PLAT-102", "PLAT-103", "PLAT-106"]);
    let lines: Vec<String> = skipped.iter().map(ToString::to_string).collect();
    assert_eq!(
        lines,
        vec![
            "line 7: no title",
            "line 8: unreadable date in created: `next tuesday`"
        ]
    );
}

#[test]
fn reporters_are_dropped_unless_asked_for() {
    let (_, kept, _) = read_all(&fixture("jira-all-fields.csv"), &ImportOptions::default());
    assert!(kept
        .iter()
        .all(|t| t.reporter.is_none() && t.description.is_none()));
}

#[test]
fn jira_current_fields_csv_reads_iso_and_jira_dates_and_reports_broken_quoting() {
    let (format, kept, skipped) = read_all(
        &fixture("jira-current-fields.csv"),
        &ImportOptions::default(),
    );
    assert_eq!(format, Format::JiraCsv);
    assert_eq!(kept.len(), 3);
    assert_eq!(kept[0].labels, vec!["tls", "certs"]);
    assert_eq!(kept[0].components, vec!["Security"]);
    assert_eq!(kept[2].created.to_rfc3339(), "2026-11-27T15:04:00+00:00");
    assert_eq!(skipped.len(), 1);
    assert_eq!(skipped[0].line, 5);
    assert!(matches!(
        skipped[0].reason,
        SkipReason::Ragged { expected: 13, .. }
    ));
}

#[test]
fn jira_search_json_is_read_issue_by_issue_with_links_teams_and_adf_descriptions() {
    let options = ImportOptions {
        map: Some("team=customfield_10001".parse().unwrap()),
        description_lines: 1,
        ..Default::default()
    };
    let (format, kept, skipped) = read_all(&fixture("jira-search.json"), &options);
    assert_eq!(format, Format::JiraJson);
    assert_eq!(kept.len(), 2);
    let first = &kept[0];
    assert_eq!(first.key, "PLAT-1");
    assert_eq!(
        first.title,
        "Please create a new repository for \"billing-worker\""
    );
    assert_eq!(
        first.link.as_deref(),
        Some("https://jira.example.com/browse/PLAT-1")
    );
    assert_eq!(first.team.as_deref(), Some("Billing"));
    assert_eq!(first.components, vec!["SCM"]);
    assert_eq!(
        first.description.as_deref(),
        Some("We need a repo, thanks [sic] { ]")
    );
    assert_eq!(first.resolve_secs(), Some(86_400));
    assert_eq!(kept[1].created.to_rfc3339(), "2026-12-01T07:00:00+00:00");
    assert_eq!(
        kept[1].description.as_deref(),
        Some("Plain text description")
    );
    let lines: Vec<String> = skipped.iter().map(ToString::to_string).collect();
    assert_eq!(
        lines,
        vec![
            "line 26: no title",
            "line 51: unreadable date in created: `sometime`"
        ]
    );
}

#[test]
fn github_issue_lists_are_read_with_team_labels_and_skip_untitled_issues() {
    let (format, kept, skipped) = read_all(&fixture("github.json"), &ImportOptions::default());
    assert_eq!(format, Format::Github);
    assert_eq!(kept.len(), 2);
    assert_eq!(kept[0].key, "#4242");
    assert_eq!(kept[0].team.as_deref(), Some("platform"));
    assert_eq!(kept[0].labels, vec!["ci", "team:platform"]);
    assert_eq!(kept[0].resolve_secs(), Some(2 * 86_400 + 30 * 60));
    assert_eq!(kept[1].resolved, None);
    assert_eq!(skipped.len(), 1);
    assert_eq!(skipped[0].reason, SkipReason::MissingTitle);
}

#[test]
fn linear_csv_splits_labels_and_reads_javascript_dates() {
    let (format, kept, skipped) = read_all(&fixture("linear.csv"), &ImportOptions::default());
    assert_eq!(format, Format::Linear);
    assert_eq!(kept.len(), 2);
    assert_eq!(kept[0].key, "INF-12");
    assert_eq!(kept[0].team.as_deref(), Some("Infrastructure"));
    assert_eq!(kept[0].labels, vec!["dns", "networking"]);
    assert_eq!(kept[0].resolve_secs(), Some(86_400));
    assert_eq!(kept[1].created.to_rfc3339(), "2026-11-09T10:00:00+00:00");
    assert_eq!(skipped[0].to_string(), "line 4: no created date");
}

#[test]
fn a_generic_csv_needs_a_column_map_and_is_read_through_it() {
    let bytes = fixture("servicenow.csv");
    assert!(matches!(
        open(&bytes[..], &ImportOptions::default()),
        Err(ImportError::NeedsMap)
    ));
    let options = ImportOptions {
        map: Some(
            "title=short_description,created=opened_at,resolved=closed_at,team=assignment_group,labels=category,key=number"
                .parse()
                .unwrap(),
        ),
        ..Default::default()
    };
    let (format, kept, skipped) = read_all(&bytes, &options);
    assert_eq!(format, Format::Csv);
    assert!(skipped.is_empty());
    assert_eq!(kept.len(), 3);
    assert_eq!(kept[0].key, "INC0010001");
    assert_eq!(kept[0].team.as_deref(), Some("Service Desk"));
    assert_eq!(kept[0].labels, vec!["Access"]);
    assert_eq!(kept[0].resolve_secs(), Some(1800));
}

#[test]
fn a_map_naming_a_missing_column_is_refused_with_the_column() {
    let options = ImportOptions {
        map: Some("title=subject,created=opened_at".parse().unwrap()),
        ..Default::default()
    };
    let err = open(&fixture("servicenow.csv")[..], &options)
        .err()
        .unwrap();
    assert_eq!(err.to_string(), "the csv header has no `subject` column");
}

#[test]
fn rows_without_a_key_get_the_same_derived_key_at_every_import() {
    let csv = "title,created\nNeed a db,2026-01-01\nNeed a db,2026-01-02\n";
    let options = ImportOptions {
        map: Some("title=title,created=created".parse().unwrap()),
        ..Default::default()
    };
    let (_, a, _) = read_all(csv.as_bytes(), &options);
    let (_, b, _) = read_all(csv.as_bytes(), &options);
    assert_eq!(a[0].key, b[0].key);
    assert_ne!(a[0].key, a[1].key);
}

#[test]
fn column_maps_reject_unknown_names_and_empty_columns() {
    assert!("title=a,colour=b".parse::<ColumnMap>().is_err());
    assert!("title=".parse::<ColumnMap>().is_err());
    assert!("title".parse::<ColumnMap>().is_err());
}

#[test]
fn empty_and_truncated_files_are_clear_errors() {
    assert!(matches!(
        open(&b"  \n"[..], &ImportOptions::default()),
        Err(ImportError::Empty)
    ));
    let mut import = open(
        &br#"[{"number": 1, "title": "x"#[..],
        &ImportOptions::default(),
    )
    .unwrap();
    assert!(import.next().is_none());
    assert!(matches!(import.finish(), Err(ImportError::Truncated(1))));
    assert!(matches!(
        open(&br#"{"total": 0}"#[..], &ImportOptions::default()),
        Err(ImportError::NoIssues)
    ));
}

#[test]
fn a_byte_order_mark_does_not_hide_the_header() {
    let mut bytes = vec![0xEF, 0xBB, 0xBF];
    bytes.extend(fixture("jira-current-fields.csv"));
    let (format, kept, _) = read_all(&bytes, &ImportOptions::default());
    assert_eq!(format, Format::JiraCsv);
    assert_eq!(kept.len(), 3);
}

mod hostile {
    use super::*;
    use proptest::prelude::*;

    fn drain(bytes: &[u8], format: Option<Format>) {
        let options = ImportOptions {
            format,
            map: Some("title=a,created=b".parse().unwrap()),
            ..Default::default()
        };
        if let Ok(mut import) = open(bytes, &options) {
            for _ in import.by_ref() {}
            let _ = import.finish();
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn random_bytes_never_panic_in_any_format(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            drain(&bytes, None);
            for format in Format::ALL {
                drain(&bytes, Some(format));
            }
        }

        #[test]
        fn mangled_real_exports_never_panic(
            cut in 0usize..2000,
            flip in 0usize..2000,
            byte in any::<u8>(),
            name in prop::sample::select(vec!["jira-all-fields.csv", "jira-search.json", "github.json", "linear.csv"]),
        ) {
            let mut bytes = fixture(name);
            if !bytes.is_empty() {
                let at = flip % bytes.len();
                bytes[at] = byte;
                bytes.truncate(cut.max(1).min(bytes.len()));
            }
            drain(&bytes, None);
        }
    }
}
