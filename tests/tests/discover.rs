//! Discover's storage on SQLite and Postgres: imports, re-imports that update instead of
//! duplicating, skipped rows counted, and decisions about groups that survive a re-import.

use crate::support::{Backend, TestApp, TestDb};
use runway_core::db::discover as sql;
use runway_core::db::Db;
use runway_core::discover::{self, DiscoverError, ImportParams, Imported};
use runway_discover::decisions::Decision;
use runway_discover::generate;
use runway_discover::import::{self, Format, ImportOptions};
use runway_discover::rank::RankBy;
use runway_discover::ticket::Ticket;

async fn open(backend: Backend) -> (TestDb, Db) {
    let test_db = TestDb::new(backend).await;
    let db = Db::connect(&test_db.url, 5).await.unwrap();
    db.migrate().await.unwrap();
    (test_db, db)
}

fn fixture(name: &str) -> (Format, Vec<Ticket>, usize) {
    let path = format!(
        "{}/../discover/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let bytes = std::fs::read(path).unwrap();
    let import = import::open(&bytes[..], &ImportOptions::default()).unwrap();
    let format = import.format();
    let (mut tickets, mut skipped) = (Vec::new(), 0);
    for row in import {
        match row {
            Ok(t) => tickets.push(t),
            Err(_) => skipped += 1,
        }
    }
    (format, tickets, skipped)
}

async fn store(
    db: &Db,
    file: &str,
    format: Format,
    tickets: Vec<Ticket>,
    skipped: usize,
) -> Imported {
    discover::store_import(
        db,
        ImportParams {
            source: None,
            file_name: file,
            format,
            tickets,
            rows_skipped: skipped,
            imported_by: "cli:tester",
        },
    )
    .await
    .unwrap()
}

async fn import_stores_tickets_and_records_the_import_with_its_skipped_rows(backend: Backend) {
    let (_t, db) = open(backend).await;
    let (format, tickets, skipped) = fixture("jira-all-fields.csv");

    let imported = store(&db, "jira-all-fields.csv", format, tickets, skipped).await;

    assert_eq!((imported.rows_ok, imported.rows_skipped), (4, 2));
    assert_eq!((imported.tickets_new, imported.tickets_updated), (4, 0));
    assert_eq!(imported.source, "jira");
    let imports = sql::imports(&db, "jira").await.unwrap();
    assert_eq!(imports.len(), 1);
    let row = &imports[0];
    assert_eq!(
        (
            row.file_name.as_str(),
            row.format.as_str(),
            row.rows_ok,
            row.rows_skipped
        ),
        ("jira-all-fields.csv", "jira-csv", 4, 2)
    );
    assert_eq!(row.imported_by, "cli:tester");
    let stored = sql::tickets(&db, "jira").await.unwrap();
    let first = stored.iter().find(|t| t.key == "PLAT-101").unwrap();
    assert_eq!(first.labels, vec!["onboarding", "hr"]);
    assert_eq!(first.components, vec!["Onboarding", "Accounts"]);
    assert_eq!(first.team.as_deref(), Some("Finance"));
    assert!(first.resolved.is_some());
}

async fn reimporting_the_same_export_updates_its_tickets_instead_of_duplicating_them(
    backend: Backend,
) {
    let (_t, db) = open(backend).await;
    let (format, tickets, skipped) = fixture("jira-all-fields.csv");
    store(&db, "a.csv", format, tickets.clone(), skipped).await;

    let mut changed = tickets;
    changed[0].title = "New starter Jane Doe (renamed)".to_string();
    let again = store(&db, "a.csv", format, changed, skipped).await;

    assert_eq!((again.tickets_new, again.tickets_updated), (0, 4));
    let stored = sql::tickets(&db, "jira").await.unwrap();
    assert_eq!(stored.len(), 4);
    assert!(stored
        .iter()
        .any(|t| t.title == "New starter Jane Doe (renamed)"));
    assert_eq!(sql::imports(&db, "jira").await.unwrap().len(), 2);
}

async fn jira_csv_and_jira_json_share_a_source_and_other_sources_stay_apart(backend: Backend) {
    let (_t, db) = open(backend).await;
    let (format, tickets, skipped) = fixture("jira-all-fields.csv");
    store(&db, "a.csv", format, tickets, skipped).await;
    let (format, tickets, skipped) = fixture("jira-search.json");
    let json = store(&db, "search.json", format, tickets, skipped).await;
    let (format, tickets, skipped) = fixture("github.json");
    let github = store(&db, "issues.json", format, tickets, skipped).await;

    assert_eq!((json.source.as_str(), json.tickets_new), ("jira", 2));
    assert_eq!(sql::tickets(&db, "jira").await.unwrap().len(), 6);
    assert_eq!((github.source.as_str(), github.tickets_new), ("github", 2));
}

async fn a_key_repeated_within_one_export_is_stored_once_with_its_last_row(backend: Backend) {
    let (_t, db) = open(backend).await;
    let (format, mut tickets, _) = fixture("jira-all-fields.csv");
    let mut twin = tickets[0].clone();
    twin.title = "The later row".to_string();
    tickets.push(twin);

    let imported = store(&db, "dup.csv", format, tickets, 0).await;

    assert_eq!((imported.rows_ok, imported.tickets_new), (5, 4));
    let stored = sql::tickets(&db, "jira").await.unwrap();
    assert!(stored.iter().any(|t| t.title == "The later row"));
}

async fn decisions_about_groups_survive_a_reimport_with_more_tickets(backend: Backend) {
    let (_t, db) = open(backend).await;
    let first = generate::tickets(2_000, 21).tickets;
    store(&db, "year1.csv", Format::JiraCsv, first, 0).await;
    let before = discover::analysis(&db, "jira", RankBy::Count)
        .await
        .unwrap();
    let top = before.report.groups[0].id.clone();
    let second = before.report.groups[1].id.clone();
    let third = before.report.groups[2].id.clone();
    let top_count = before.report.groups[0].tickets;
    let third_count = before.report.groups[2].tickets;
    for decision in [
        Decision::Rename {
            group: top.clone(),
            label: "Our biggest chore".into(),
        },
        Decision::Dismiss {
            group: second.clone(),
        },
        Decision::Merge {
            group: third.clone(),
            into: top.clone(),
        },
    ] {
        discover::decide(&db, "jira", &decision, "admin")
            .await
            .unwrap();
    }

    // The same tickets and 500 more (the generator is sequential: the first 2,000 are the same).
    let more = generate::tickets(2_500, 21).tickets;
    let again = store(&db, "year1-and-more.csv", Format::JiraCsv, more, 0).await;
    assert_eq!((again.tickets_new, again.tickets_updated), (500, 2_000));
    let after = discover::analysis(&db, "jira", RankBy::Count)
        .await
        .unwrap();

    assert_eq!(after.unmatched_decisions, 0);
    let renamed = after.report.groups.iter().find(|g| g.id == top).unwrap();
    assert_eq!(renamed.label, "Our biggest chore");
    assert!(renamed.tickets > top_count + third_count);
    assert!(after
        .report
        .groups
        .iter()
        .all(|g| g.id != second && g.id != third));
    assert_eq!(after.report.dismissed, 1);
}

async fn hashed_reporters_are_stored_without_their_names(backend: Backend) {
    let (_t, db) = open(backend).await;
    let settings = runway_core::config::DiscoverSettings {
        reporters: runway_core::config::ReporterKeep::Hash,
        reporter_salt: runway_core::config::Secret::new("pepper"),
        ..Default::default()
    };
    let options = ImportOptions {
        reporter: discover::reporter_policy(&settings).unwrap(),
        ..Default::default()
    };
    let path = format!(
        "{}/../discover/tests/fixtures/jira-all-fields.csv",
        env!("CARGO_MANIFEST_DIR")
    );
    let bytes = std::fs::read(path).unwrap();
    let tickets: Vec<Ticket> = import::open(&bytes[..], &options)
        .unwrap()
        .filter_map(Result::ok)
        .collect();

    store(&db, "a.csv", Format::JiraCsv, tickets, 0).await;

    let stored = sql::tickets(&db, "jira").await.unwrap();
    let reporters: Vec<&str> = stored
        .iter()
        .filter_map(|t| t.reporter.as_deref())
        .collect();
    assert_eq!(reporters.len(), 4);
    assert!(reporters
        .iter()
        .all(|r| r.starts_with("h:") && !r.contains("Manager")));
    // The same person hashes the same: PLAT-101 and PLAT-102 were both the hiring manager.
    assert_eq!(reporters[0], reporters[1]);
}

async fn a_group_drafts_an_action_the_catalogue_loads_and_a_second_draft_is_refused(
    backend: Backend,
) {
    let (_t, db) = open(backend).await;
    store(
        &db,
        "gen.csv",
        Format::JiraCsv,
        generate::tickets(1_000, 3).tickets,
        0,
    )
    .await;
    let analysis = discover::analysis(&db, "jira", RankBy::Waiting)
        .await
        .unwrap();
    let top = &analysis.report.groups[0];
    let catalog = tempfile::tempdir().unwrap();

    let path = discover::draft_action(&db, catalog.path(), "jira", &top.id, "platform")
        .await
        .unwrap();

    let loaded = runway_core::catalog::load_dir(catalog.path()).unwrap();
    assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
    assert_eq!(loaded.actions.len(), 1);
    let spec = &loaded.actions.values().next().unwrap().spec;
    assert!(spec.replaces.as_deref().unwrap().contains(top.id.as_str()));
    assert!(matches!(
        spec.run,
        runway_domain::spec::RunSpec::Manual { .. }
    ));
    assert!(path.ends_with(format!("{}.yaml", spec.id.as_str())));
    let again = discover::draft_action(&db, catalog.path(), "jira", &top.id, "platform").await;
    assert!(matches!(again, Err(DiscoverError::DraftExists(_))));

    let sources = discover::sources(&db).await.unwrap();
    assert_eq!(sources.len(), 1);
    assert_eq!(
        (sources[0].source.as_str(), sources[0].tickets),
        ("jira", 1_000)
    );
}

async fn admins_see_the_ranked_groups_on_the_discover_page_and_developers_do_not(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, empty) = {
        app.sign_in("ada").await;
        app.get_text("/admin/discover").await
    };
    assert!(empty.contains("No tickets imported yet"), "{empty}");
    let (format, tickets, skipped) = fixture("jira-all-fields.csv");
    store(&app.runway.db, "a.csv", format, tickets, skipped).await;
    store(
        &app.runway.db,
        "gen.csv",
        Format::Csv,
        generate::tickets(500, 5).tickets,
        0,
    )
    .await;

    let (status, html) = app.get_text("/admin/discover?source=jira").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("new starter &lt;*&gt;") || html.contains("new starter <*>"),
        "{html}"
    );
    assert!(
        html.contains("jira (4)") && html.contains("csv (500)"),
        "{html}"
    );
    assert!(html.contains("Finance 2"), "{html}");
    assert!(html.contains("data-testid=\"discover-chart\""), "{html}");
    assert!(html.contains("<polyline"), "{html}");

    // A group opens onto its tickets, newest first, linked to the tracker when the export says.
    assert!(html.contains("<details class=\"group-tickets\""), "{html}");
    assert!(html.contains("newest 2 of 2 tickets"), "{html}");
    // Another order: by ticket count, and by trend, each marked as the current one.
    let (status, by_count) = app.get_text("/admin/discover?source=csv&by=count").await;
    assert_eq!(status, 200);
    let current = |html: &str, label: &str| {
        html.split("<a class=\"chip\"")
            .any(|chip| chip.contains("aria-current=\"page\"") && chip.contains(label))
    };
    assert!(current(&by_count, "Tickets"), "{by_count}");
    let counts: Vec<usize> = by_count
        .split("<tr>")
        .skip(2)
        .filter_map(|row| {
            row.split("<td>")
                .nth(3)
                .and_then(|cell| cell.split('<').next())
                .and_then(|n| n.trim().parse().ok())
        })
        .collect();
    assert!(counts.len() > 2, "{by_count}");
    assert!(
        counts.windows(2).all(|w| w[0] >= w[1]),
        "ordered by tickets: {counts:?}"
    );
    let (status, by_trend) = app.get_text("/admin/discover?source=csv&by=trend").await;
    assert_eq!(status, 200);
    assert!(current(&by_trend, "Trend"), "{by_trend}");
    let (status, unknown) = app.get_text("/admin/discover?source=csv&by=colour").await;
    assert_eq!(status, 200, "an unknown order shows the default");
    assert!(current(&unknown, "Waiting time"), "{unknown}");

    let developer = TestApp::spawn(backend).await;
    developer.sign_in("dana").await;
    let (status, _) = developer.get_text("/admin/discover").await;
    assert_eq!(status, 403);
}

async fn an_admin_decides_and_drafts_from_the_page_and_finds_the_draft_in_the_catalogue(
    backend: Backend,
) {
    let catalog = tempfile::tempdir().unwrap();
    let app = TestApp::builder(backend)
        .with_catalog(catalog.path())
        .spawn()
        .await;
    app.sign_in("ada").await;
    store(
        &app.runway.db,
        "gen.csv",
        Format::JiraCsv,
        generate::tickets(800, 8).tickets,
        0,
    )
    .await;
    let analysis = discover::analysis(&app.runway.db, "jira", RankBy::Waiting)
        .await
        .unwrap();
    let (top, second) = (&analysis.report.groups[0], &analysis.report.groups[1]);

    let renamed = app
        .post_form(
            &format!("/admin/discover/jira/groups/{}/decide", top.id),
            "kind=rename&value=Onboarding+chores",
        )
        .await;
    assert_eq!(renamed.status(), 303);
    let dismissed = app
        .post_form(
            &format!("/admin/discover/jira/groups/{}/decide", second.id),
            "kind=dismiss",
        )
        .await;
    assert_eq!(dismissed.status(), 303);
    let (_, html) = app.get_text("/admin/discover?source=jira").await;
    assert!(html.contains("Onboarding chores"), "{html}");
    assert!(html.contains("(1 dismissed)"), "{html}");

    let drafted = app
        .post_form(
            &format!("/admin/discover/jira/groups/{}/draft", top.id),
            "owner=identity",
        )
        .await;
    assert_eq!(drafted.status(), 303);
    let location = drafted.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with("/actions/"), "{location}");
    let (status, page) = app.get_text(&location).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Onboarding chores"), "{page}");
    assert!(page.contains(top.id.as_str()), "{page}");

    let again = app
        .post_form(&format!("/admin/discover/jira/groups/{}/draft", top.id), "")
        .await;
    assert_eq!(again.status(), 409);
}

async fn an_admin_uploads_an_export_from_the_page_and_bad_files_are_explained(backend: Backend) {
    // A data directory of its own: the check for leftover upload files must not see other tests'.
    let data = tempfile::tempdir().unwrap();
    let data_dir = data.path().join("data");
    let app = TestApp::builder(backend)
        .with_settings(|s| s.data_dir = data_dir.clone())
        .spawn()
        .await;
    app.sign_in("ada").await;
    let upload = |file: &'static str, bytes: Vec<u8>, map: &'static str| {
        let form = reqwest::multipart::Form::new()
            .text("source", "")
            .text("format", "")
            .text("map", map)
            .part(
                "file",
                reqwest::multipart::Part::bytes(bytes).file_name(file),
            );
        app.client
            .post(app.url("/admin/discover/upload"))
            .header("origin", &app.address)
            .multipart(form)
            .send()
    };
    // Larger than the 2 MiB every other route accepts: the upload streams.
    let generated = generate::tickets(30_000, 4).tickets;
    let mut csv = Vec::new();
    generate::write_jira_csv(&generated, &mut csv).unwrap();
    assert!(csv.len() > 2 * 1024 * 1024);

    let resp = upload("year.csv", csv, "").await.unwrap();
    assert_eq!(resp.status(), 303);
    assert_eq!(resp.headers()["location"], "/admin/discover?source=jira");
    let imports = sql::imports(&app.runway.db, "jira").await.unwrap();
    assert_eq!(
        (imports[0].file_name.as_str(), imports[0].rows_ok),
        ("year.csv", 30_000)
    );
    assert_eq!(imports[0].imported_by, "Ada Admin");

    let resp = upload("broken.json", b"{\"nothing\": []}".to_vec(), "")
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let body = resp.text().await.unwrap();
    assert!(body.contains("broken.json: no `issues` array"), "{body}");
    assert!(!body.contains(".part"), "{body}");
    let leftovers: Vec<_> = std::fs::read_dir(&app.runway.settings.data_dir)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("discover-upload-")
        })
        .collect();
    assert!(leftovers.is_empty(), "temporary upload files are removed");
}

async fn a_csv_of_unknown_shape_is_imported_once_an_admin_chooses_its_columns(backend: Backend) {
    let data = tempfile::tempdir().unwrap();
    let data_dir = data.path().join("data");
    let app = TestApp::builder(backend)
        .with_settings(|s| s.data_dir = data_dir.clone())
        .spawn()
        .await;
    app.sign_in("ada").await;
    let csv = "Number,Short_Description,Opened At,Closed At,Assignment Group\n\
               INC1,Reset VPN token for ana,2026-01-05 09:00,2026-01-05 12:00,payments\n\
               INC2,Reset VPN token for bo,2026-01-06 09:00,2026-01-06 10:00,search\n\
               INC3,New laptop for cy,2026-01-07 09:00,,payments\n";
    let form = reqwest::multipart::Form::new().text("source", "desk").part(
        "file",
        reqwest::multipart::Part::bytes(csv.as_bytes().to_vec()).file_name("desk.csv"),
    );
    let resp = app
        .client
        .post(app.url("/admin/discover/upload"))
        .header("origin", &app.address)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303, "on to the mapping step");
    let to = resp.headers()["location"].to_str().unwrap().to_string();
    assert!(to.starts_with("/admin/discover/map?upload="), "{to}");
    assert!(
        to.contains("file=desk.csv") && to.contains("source=desk"),
        "{to}"
    );
    let token: String = to["/admin/discover/map?upload=".len()..]
        .chars()
        .take_while(|c| c.is_ascii_hexdigit())
        .collect();
    assert!(sql::imports(&app.runway.db, "desk")
        .await
        .unwrap()
        .is_empty());

    // The form offers the file's own columns, with a first guess chosen.
    let (status, html) = app.get_text(&to).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Choose the columns"), "{html}");
    assert!(html.contains("Assignment Group"), "{html}");
    let guessed = html
        .split("<option")
        .find(|o| o.contains("value=\"Short_Description\""))
        .unwrap_or_default();
    assert!(guessed.contains("selected"), "title guessed: {guessed}");

    // Someone who is not an admin can neither see nor use it.
    let dev = crate::support::browser_client();
    let signed = dev
        .post(app.url("/auth/dev-login"))
        .header("origin", &app.address)
        .form(&[("login", "dana"), ("next", "/")])
        .send()
        .await
        .unwrap();
    assert_eq!(signed.status(), 303);
    let refused = dev
        .post(app.url(&format!("/admin/discover/uploads/{token}/map")))
        .header("origin", &app.address)
        .form(&[("title", "Short_Description"), ("created", "Opened At")])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    assert_eq!(dev.get(app.url(&to)).send().await.unwrap().status(), 403);

    let post_map = |token: String, fields: Vec<(&'static str, &'static str)>| {
        app.client
            .post(app.url(&format!("/admin/discover/uploads/{token}/map")))
            .header("origin", &app.address)
            .form(&fields)
            .send()
    };
    let missing = post_map(token.clone(), vec![("title", "Short_Description")])
        .await
        .unwrap();
    assert_eq!(missing.status(), 400, "the creation time is required");
    let done = post_map(
        token.clone(),
        vec![
            ("title", "Short_Description"),
            ("created", "Opened At"),
            ("resolved", "Closed At"),
            ("team", "Assignment Group"),
            ("key", "Number"),
            ("file", "desk.csv"),
            ("source", "desk"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(done.status(), 303);
    assert_eq!(done.headers()["location"], "/admin/discover?source=desk");
    let imports = sql::imports(&app.runway.db, "desk").await.unwrap();
    assert_eq!(
        (imports[0].file_name.as_str(), imports[0].rows_ok),
        ("desk.csv", 3)
    );
    let again = post_map(
        token,
        vec![("title", "Short_Description"), ("created", "Opened At")],
    )
    .await
    .unwrap();
    assert_eq!(again.status(), 400, "imported once; the kept file is gone");
    assert!(again
        .text()
        .await
        .unwrap()
        .contains("Upload the export again"));
    let traversal = post_map(
        "..%2F..%2Fsecrets.key".to_string(),
        vec![("title", "a"), ("created", "b")],
    )
    .await
    .unwrap();
    assert_eq!(
        traversal.status(),
        400,
        "a token names nothing but a kept upload"
    );
}

async fn members_of_the_team_that_owns_the_catalogue_use_discover_as_admins_do(backend: Backend) {
    // Here the payments team owns the catalogue: Dana (payments) may, Sam (search) may not.
    let app = TestApp::builder(backend)
        .with_settings(|s| s.discover.teams = vec!["payments".to_string()])
        .spawn()
        .await;
    app.sign_in("dana").await;
    let (status, html) = app.get_text("/admin/discover").await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("href=\"/admin/discover\""),
        "the link is in the navigation"
    );
    let nav: serde_json::Value = app
        .post_form("/api/requests/counts", "")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(nav["discover"], serde_json::json!(true));
    app.sign_in("sam").await;
    let (status, html) = app.get_text("/admin/discover").await;
    assert_eq!(status, 403);
    assert!(
        !html.contains("href=\"/admin/discover\""),
        "no link for others"
    );
    let refused = app
        .post_form(
            "/admin/discover/jira/groups/g-000000000000/decide",
            "kind=dismiss",
        )
        .await;
    assert_eq!(refused.status(), 403);
}

/// An import reads the source's ticket count before it writes: on SQLite it must take the write
/// lock first, or it fails with "database is locked" whenever another connection commits between
/// its read and its first write (a worker, a script's log lines).
async fn an_import_succeeds_while_another_connection_writes_continuously(backend: Backend) {
    let (_t, db) = open(backend).await;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (db, stop) = (db.clone(), stop.clone());
        tokio::spawn(async move {
            let mut n = 0u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let decision = Decision::Rename {
                    group: runway_discover::cluster::GroupId(format!("g-{n:012}")),
                    label: "busy".into(),
                };
                discover::decide(&db, "other", &decision, "writer")
                    .await
                    .unwrap();
                n += 1;
            }
            n
        })
    };
    for i in 0..30 {
        let tickets = generate::tickets(200, i).tickets;
        store(&db, &format!("export-{i}.csv"), Format::Csv, tickets, 0).await;
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let writes = writer.await.unwrap();
    assert!(writes > 0, "the other connection wrote meanwhile");
}

async fn bad_decisions_are_refused_before_they_are_stored(backend: Backend) {
    let (_t, db) = open(backend).await;
    let group = runway_discover::cluster::GroupId("g-000000000000".into());
    let empty = Decision::Rename {
        group: group.clone(),
        label: " ".into(),
    };
    assert!(matches!(
        discover::decide(&db, "jira", &empty, "admin").await,
        Err(DiscoverError::BadLabel)
    ));
    let two_words = Decision::Split {
        group,
        word: "two words".into(),
    };
    assert!(matches!(
        discover::decide(&db, "jira", &two_words, "admin").await,
        Err(DiscoverError::BadWord)
    ));
    assert!(sql::decisions(&db, "jira").await.unwrap().is_empty());
}

both_backends!(
    import_stores_tickets_and_records_the_import_with_its_skipped_rows,
    reimporting_the_same_export_updates_its_tickets_instead_of_duplicating_them,
    jira_csv_and_jira_json_share_a_source_and_other_sources_stay_apart,
    a_key_repeated_within_one_export_is_stored_once_with_its_last_row,
    decisions_about_groups_survive_a_reimport_with_more_tickets,
    bad_decisions_are_refused_before_they_are_stored,
    hashed_reporters_are_stored_without_their_names,
    a_group_drafts_an_action_the_catalogue_loads_and_a_second_draft_is_refused,
    admins_see_the_ranked_groups_on_the_discover_page_and_developers_do_not,
    an_admin_decides_and_drafts_from_the_page_and_finds_the_draft_in_the_catalogue,
    an_admin_uploads_an_export_from_the_page_and_bad_files_are_explained,
    a_csv_of_unknown_shape_is_imported_once_an_admin_chooses_its_columns,
    members_of_the_team_that_owns_the_catalogue_use_discover_as_admins_do,
    an_import_succeeds_while_another_connection_writes_continuously,
);
