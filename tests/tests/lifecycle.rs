//! Versions, rollout and retirement (issue #13): deprecated and retired actions, the loader's check
//! of replacements, and an action's history page with its diff, on both backends.

use crate::support::{Backend, TestApp};
use std::fs;
use std::path::Path;

/// A manual action owned by payments (dana is a member, lee its lead, sam outside, ada an admin).
fn write_action(dir: &Path, id: &str, title: &str, extra: &str) {
    let text = format!(
        "id: {id}\ntitle: {title}\nsummary: Summary of {id}.\ncategory: Delivery\nowner: payments\nrun: {{kind: manual}}\n{extra}"
    );
    fs::write(dir.join(format!("{id}.yaml")), text).expect("write action");
}

fn lifecycle(status: &str, replacement: &str, note: &str) -> String {
    format!("lifecycle:\n  status: {status}\n  replacement: {replacement}\n  note: {note}\n")
}

async fn catalog_app(backend: Backend, dir: &Path) -> TestApp {
    TestApp::builder(backend).with_catalog(dir).spawn().await
}

async fn a_deprecated_action_shows_its_notice_and_a_badge_on_its_card(backend: Backend) {
    let dir = tempfile::tempdir().expect("tempdir");
    write_action(dir.path(), "new-pipeline", "New pipeline", "");
    write_action(
        dir.path(),
        "old-pipeline",
        "Old pipeline",
        &lifecycle("deprecated", "new-pipeline", "Goes away in March."),
    );
    let app = catalog_app(backend, dir.path()).await;
    app.sign_in("sam").await;

    let (status, html) = app.get_text("/").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("Old pipeline"),
        "a deprecated action is still listed"
    );
    assert_eq!(
        crate::support::count(&html, "badge-deprecated"),
        1,
        "its card, and only its card, has the badge"
    );

    let (status, html) = app.get_text("/actions/old-pipeline").await;
    assert_eq!(status, 200);
    assert!(html.contains("This action is deprecated."), "{html}");
    assert!(html.contains("href=\"/actions/new-pipeline\""));
    assert!(html.contains("Goes away in March."));
    assert!(
        html.contains("id=\"form\""),
        "a deprecated action still takes requests"
    );
    let resp = app.post_form("/actions/old-pipeline/submit", "").await;
    assert_eq!(resp.status(), 303, "and a submit is accepted");
    app.stop().await;
}

async fn a_retired_action_is_hidden_refuses_requests_and_keeps_its_past_requests_readable(
    backend: Backend,
) {
    let dir = tempfile::tempdir().expect("tempdir");
    write_action(dir.path(), "new-pipeline", "New pipeline", "");
    write_action(dir.path(), "old-pipeline", "Old pipeline", "");
    let app = catalog_app(backend, dir.path()).await;
    app.sign_in("dana").await;
    let resp = app.post_form("/actions/old-pipeline/submit", "").await;
    assert_eq!(resp.status(), 303);
    let old_request = resp.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_string();

    write_action(
        dir.path(),
        "old-pipeline",
        "Old pipeline",
        &lifecycle("retired", "new-pipeline", "Use the new one."),
    );
    app.runway.catalog.reload().await.expect("reload");

    for who in ["dana", "ada"] {
        app.sign_in(who).await;
        let (_, html) = app.get_text("/").await;
        assert!(
            !html.contains("Old pipeline") && html.contains("New pipeline"),
            "no card for {who}"
        );
        let (_, html) = app.get_text("/?q=old").await;
        assert!(
            !html.contains("Old pipeline"),
            "not found by search for {who}"
        );
        let list = app.post_form("/api/catalog/list", "").await;
        assert!(!list.text().await.expect("body").contains("old-pipeline"));
    }

    app.sign_in("dana").await;
    let (status, html) = app.get_text("/actions/old-pipeline").await;
    assert_eq!(status, 200, "a retired action's page still opens");
    assert!(html.contains("This action is retired"), "{html}");
    assert!(html.contains("href=\"/actions/new-pipeline\""));
    assert!(!html.contains("id=\"form\""), "and offers no form");

    let before = runway_core::db::action_history::adoption(
        &app.runway.db,
        "old-pipeline",
        chrono::Utc::now() - chrono::Duration::days(1),
    )
    .await
    .expect("adoption");
    let resp = app.post_form("/actions/old-pipeline/submit", "").await;
    assert_eq!(
        resp.status(),
        410,
        "a retired action is gone for new requests"
    );
    let page = resp.text().await.expect("body");
    assert!(page.contains("This action is retired"), "{page}");
    assert!(
        page.contains("<a href=\"/actions/new-pipeline\">New pipeline</a>"),
        "{page}"
    );
    let after = runway_core::db::action_history::adoption(
        &app.runway.db,
        "old-pipeline",
        chrono::Utc::now() - chrono::Duration::days(1),
    )
    .await
    .expect("adoption");
    assert_eq!(before, after, "nothing was recorded");
    assert_eq!(
        runway_core::db::jobs::count(&app.runway.db)
            .await
            .expect("count"),
        0,
        "nothing was queued"
    );

    let (status, html) = app.get_text(&old_request).await;
    assert_eq!(
        status, 200,
        "an old request of a retired action stays readable"
    );
    assert!(html.contains("Old pipeline"));
    let (status, html) = app.get_text("/requests").await;
    assert_eq!(status, 200);
    assert!(html.contains("Old pipeline"), "and stays in the history");

    app.sign_in("ada").await;
    let (status, html) = app.get_text("/actions/old-pipeline/history").await;
    assert_eq!(
        status, 200,
        "an admin finds a retired action on its history page"
    );
    // Without Leptos' hydration markers.
    let html = html.replace("<!>", "");
    let row = html
        .split("<th scope=\"row\">payments</th>")
        .nth(1)
        .unwrap_or_else(|| panic!("an adoption row for payments: {html}"));
    let cells: String = row.chars().take(40).collect();
    assert!(
        cells.starts_with("<td>1</td><td>1</td>"),
        "one request by one person in 30 days: {cells}"
    );
    assert!(
        html.contains("Status") && html.contains(">retired<"),
        "{html}"
    );
    app.stop().await;
}

async fn the_loader_reports_a_replacement_that_does_not_exist(backend: Backend) {
    let dir = tempfile::tempdir().expect("tempdir");
    write_action(
        dir.path(),
        "old-pipeline",
        "Old pipeline",
        &lifecycle("deprecated", "nowhere", "Soon."),
    );
    let app = catalog_app(backend, dir.path()).await;
    let problems: Vec<String> = app
        .runway
        .catalog
        .snapshot()
        .problems
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].contains("lifecycle.replacement: `nowhere` is not an action in the catalogue"),
        "{problems:?}"
    );
    let recorded = runway_core::db::catalog::problems(&app.runway.db)
        .await
        .expect("problems");
    assert_eq!(
        recorded.len(),
        1,
        "the problem is recorded for the health page"
    );
    app.sign_in("dana").await;
    let (status, html) = app.get_text("/actions/old-pipeline").await;
    assert_eq!(status, 200, "the action still loads");
    assert!(html.contains("This action is deprecated."));
    app.stop().await;
}

/// The changes listed are the `action_changes` rows a reload records (`db::catalog::sync` inserts a
/// `files` row for each new or changed action).
async fn the_history_page_lists_changes_and_diffs_two_versions(backend: Backend) {
    let dir = tempfile::tempdir().expect("tempdir");
    write_action(dir.path(), "deploy", "Deploy", "tags: [ci]\n");
    let app = catalog_app(backend, dir.path()).await;
    let first = app.runway.catalog.snapshot().actions["deploy"]
        .content_hash
        .clone();
    write_action(dir.path(), "deploy", "Deploy", "estimate: 2m\n");
    app.runway.catalog.reload().await.expect("reload");
    let second = app.runway.catalog.snapshot().actions["deploy"]
        .content_hash
        .clone();
    assert_ne!(first, second);

    app.sign_in("ada").await;
    let (status, html) = app.get_text("/actions/deploy/history").await;
    assert_eq!(status, 200, "{html}");
    assert_eq!(
        crate::support::count(&html, "<tr data-change="),
        2,
        "both versions are listed: {html}"
    );
    assert!(
        html.find(&second[..12]) < html.find(&first[..12]),
        "newest first"
    );
    assert!(html.contains("from the files"));
    assert!(
        html.contains("Roll back to this version"),
        "an admin may roll back"
    );
    assert!(html.contains("Change rollout") && html.contains("Change lifecycle"));

    let (status, html) = app
        .get_text(&format!("/actions/deploy/history?from={first}&to={second}"))
        .await;
    assert_eq!(status, 200);
    assert!(html.contains("<table class=\"diff\""), "{html}");
    assert!(
        html.contains("<del>") && html.contains("tags: [ci]"),
        "a removed line"
    );
    assert!(
        html.contains("<ins>") && html.contains("estimate: 2m"),
        "an added line"
    );
    assert!(html.contains("1 added, 1 removed"), "{html}");

    let (status, _) = app.get_text("/actions/old/history").await;
    assert_eq!(status, 404, "no history of an action that never was");

    app.sign_in("dana").await;
    let (status, html) = app.get_text("/actions/deploy/history").await;
    assert_eq!(status, 200, "a member of the owning team sees the history");
    assert!(
        !html.contains("Roll back to this version"),
        "but may not roll back"
    );
    let (_, html) = app.get_text("/actions/deploy").await;
    assert!(
        html.contains("href=\"/actions/deploy/history\""),
        "linked from the action page"
    );

    app.sign_in("lee").await;
    let (_, html) = app.get_text("/actions/deploy/history").await;
    assert!(
        html.contains("Roll back to this version"),
        "the owning team's lead may"
    );

    app.sign_in("sam").await;
    let (status, _) = app.get_text("/actions/deploy/history").await;
    assert_eq!(status, 404, "a developer outside the owning team gets 404");
    let (_, html) = app.get_text("/actions/deploy").await;
    assert!(!html.contains("/actions/deploy/history"), "and no link");
    let resp = app
        .post_form("/api/catalog/history", "id=deploy&query=")
        .await;
    assert_eq!(resp.status(), 404);
    app.stop().await;
}

both_backends!(
    a_deprecated_action_shows_its_notice_and_a_badge_on_its_card,
    a_retired_action_is_hidden_refuses_requests_and_keeps_its_past_requests_readable,
    the_loader_reports_a_replacement_that_does_not_exist,
    the_history_page_lists_changes_and_diffs_two_versions,
);
