//! Catalogue stories: loading into the database, reloading, broken files, sanitising, on both backends.

use crate::support::{Backend, TestApp};
use runway_core::db::catalog as sql;
use std::fs;
use std::path::Path;

fn write_manual(dir: &Path, id: &str, title: &str, extra: &str) {
    let text = format!(
        "id: {id}\ntitle: {title}\nsummary: Summary of {id}.\ncategory: Access\nowner: security\nrun: {{kind: manual}}\n{extra}"
    );
    fs::write(dir.join(format!("{id}.yaml")), text).expect("write action");
}

async fn reload_records_added_changed_and_removed_actions(backend: Backend) {
    let dir = tempfile::tempdir().expect("tempdir");
    write_manual(dir.path(), "alpha", "Alpha", "");
    write_manual(dir.path(), "beta", "Beta", "");
    let app = TestApp::builder(backend)
        .with_catalog(dir.path())
        .spawn()
        .await;
    app.sign_in("ada").await;
    let db = &app.runway.db;

    let stored = sql::current_actions(db).await.expect("query");
    assert_eq!(
        stored.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(),
        vec!["alpha", "beta"]
    );
    let alpha_v1 = stored[0].content_hash.clone();
    let spec = sql::version_spec(db, "alpha", &alpha_v1)
        .await
        .expect("query")
        .expect("version stored");
    let spec: serde_json::Value = serde_json::from_str(&spec).expect("spec json");
    assert_eq!(spec["title"], "Alpha");

    write_manual(dir.path(), "alpha", "Alpha, improved", "");
    fs::remove_file(dir.path().join("beta.yaml")).expect("remove");
    write_manual(dir.path(), "gamma", "Gamma", "");
    let report = app.runway.catalog.reload().await.expect("reload");
    assert_eq!(report.added, vec!["gamma"]);
    assert_eq!(report.changed, vec!["alpha"]);
    assert_eq!(report.removed, vec!["beta"]);

    let stored = sql::current_actions(db).await.expect("query");
    assert_eq!(
        stored.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(),
        vec!["alpha", "gamma"]
    );
    assert_ne!(
        stored[0].content_hash, alpha_v1,
        "a changed file is a new version"
    );
    assert_eq!(
        sql::version_count(db, "alpha").await.expect("query"),
        2,
        "old versions are kept"
    );
    assert!(sql::version_spec(
        db,
        "beta",
        &sql::current_actions(db).await.expect("q")[0].content_hash
    )
    .await
    .expect("q")
    .is_none());
    assert_eq!(
        sql::version_count(db, "beta").await.expect("query"),
        1,
        "removed actions keep their history"
    );

    let (status, html) = app.get_text("/").await;
    assert_eq!(status, 200);
    assert!(html.contains("Alpha, improved") && html.contains("Gamma") && !html.contains(">Beta<"));
    let (status, _) = app.get_text("/actions/beta").await;
    assert_eq!(status, 404, "a removed action is gone from the portal");

    let again = app.runway.catalog.reload().await.expect("reload");
    assert!(again.added.is_empty() && again.changed.is_empty() && again.removed.is_empty());
    app.stop().await;
}

async fn broken_files_are_skipped_recorded_and_shown_to_admins(backend: Backend) {
    let dir = tempfile::tempdir().expect("tempdir");
    write_manual(dir.path(), "good", "Good action", "");
    fs::write(dir.path().join("broken.yaml"), "id: broken\ntitle: Broken\nsummary: S\ncategory: C\nowner: Platform Team\nrun: {kind: teleport}\n").expect("write");
    let app = TestApp::builder(backend)
        .with_catalog(dir.path())
        .spawn()
        .await;
    app.sign_in("ada").await;

    let snapshot = app.runway.catalog.snapshot();
    assert_eq!(snapshot.actions.keys().collect::<Vec<_>>(), vec!["good"]);
    let problems = sql::problems(&app.runway.db).await.expect("query");
    let lines: Vec<String> = problems
        .iter()
        .map(|p| format!("{}: {}: {}", p.line.unwrap_or(0), p.field, p.message))
        .collect();
    assert_eq!(
        lines,
        vec![
            "5: owner: `Platform Team` is not a valid team name: use 1-64 lowercase letters, digits and single hyphens, starting with a letter or digit",
            "6: run.kind: unknown executor `teleport`; expected script, webhook or manual",
        ]
    );

    let (status, html) = app.get_text("/admin/catalog").await;
    assert_eq!(status, 200);
    assert!(html.contains("broken.yaml"));
    assert!(html.contains("unknown executor `teleport`"));
    assert!(html.contains("2 problem(s)"));

    let ready: serde_json::Value = app.get("/readyz").await.json().await.expect("json");
    assert_eq!(ready["catalog"]["problems"], 2);

    fs::remove_file(dir.path().join("broken.yaml")).expect("remove");
    app.runway.catalog.reload().await.expect("reload");
    assert!(
        sql::problems(&app.runway.db)
            .await
            .expect("query")
            .is_empty(),
        "fixed files clear their problems"
    );
    app.stop().await;
}

async fn descriptions_are_sanitised_before_they_reach_the_page(backend: Backend) {
    let dir = tempfile::tempdir().expect("tempdir");
    write_manual(
        dir.path(),
        "sneaky",
        "Sneaky",
        "description: |\n  # Hello\n  <script>alert('x')</script>\n  [click](javascript:alert(1)) <img src=x onerror=alert(2)>\n",
    );
    let app = TestApp::builder(backend)
        .with_catalog(dir.path())
        .spawn()
        .await;
    app.sign_in("ada").await;
    let (status, html) = app.get_text("/actions/sneaky").await;
    assert_eq!(status, 200);
    assert!(html.contains("<h1>Hello</h1>"), "Markdown is rendered");
    assert!(
        !html.contains("<script>alert"),
        "raw script tags never reach the page"
    );
    assert!(
        !html.contains("javascript:alert"),
        "javascript: links are removed"
    );
    assert!(!html.contains("<img src=x"), "raw HTML is not interpreted");
    app.stop().await;
}

both_backends!(
    reload_records_added_changed_and_removed_actions,
    broken_files_are_skipped_recorded_and_shown_to_admins,
    descriptions_are_sanitised_before_they_reach_the_page,
);
