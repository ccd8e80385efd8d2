//! The approvals and fulfilment inboxes: filtered, counted and paged by the database, so nobody's
//! flood of requests hides a request from the people who should act on it.

use crate::support::{count, Backend, TestApp};
use std::fs;

/// A catalogue with a team-lead-approved manual action owned by search, and manual actions owned by
/// search and by payments.
fn inbox_catalog() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let action = |id: &str, owner: &str, approval: &str| {
        format!("id: {id}\ntitle: Title {id}\nsummary: S.\ncategory: C\nowner: {owner}\napproval: {approval}\nrun: {{kind: manual}}\n")
    };
    fs::write(
        dir.path().join("gated.yaml"),
        action("gated", "search", "team-lead"),
    )
    .unwrap();
    fs::write(
        dir.path().join("ops-task.yaml"),
        action("ops-task", "search", "none"),
    )
    .unwrap();
    fs::write(
        dir.path().join("pay-task.yaml"),
        action("pay-task", "payments", "none"),
    )
    .unwrap();
    dir
}

/// Submits `action` (no inputs) as the signed-in user; returns the request id.
async fn submit(app: &TestApp, action: &str) -> i64 {
    let key = uuid::Uuid::new_v4().simple().to_string();
    let resp = app
        .post_form(&format!("/actions/{action}/submit"), &format!("_key={key}"))
        .await;
    assert_eq!(resp.status(), 303, "{action} submitted");
    let location = resp.headers()["location"].to_str().unwrap().to_string();
    location
        .trim_start_matches("/requests/")
        .parse()
        .unwrap_or_else(|_| panic!("a request page: {location}"))
}

/// Inserts `n` copies of request `id` (same requester, team, action and status), newer than it.
async fn copies(app: &TestApp, id: i64, n: u32) {
    let sql = format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {n})
         INSERT INTO requests (action_id, action_hash, requester_id, team, inputs, status, executor, created_at, updated_at)
         SELECT r.action_id, r.action_hash, r.requester_id, r.team, r.inputs, r.status, r.executor, r.created_at, r.updated_at
         FROM requests r, n WHERE r.id = $1 ORDER BY n.i"
    );
    let db = &app.runway.db;
    runway_core::on_pool!(db, pool => {
        sqlx::query(&sql).bind(id).execute(pool).await.unwrap();
    });
}

/// The navigation badges: (approvals, fulfilment waiting).
async fn badges(app: &TestApp) -> (i64, i64) {
    let counts: serde_json::Value = app
        .post_form("/api/requests/counts", "")
        .await
        .json()
        .await
        .unwrap();
    (
        counts["approvals"].as_i64().unwrap(),
        counts["inbox"].as_i64().unwrap(),
    )
}

fn rows(html: &str) -> usize {
    count(html, "<td><a href=\"/requests/")
}

async fn thousands_of_other_requests_never_hide_a_leads_approval_or_a_teams_work(backend: Backend) {
    let catalog = inbox_catalog();
    let mut app = TestApp::builder(backend)
        .with_catalog(catalog.path())
        .spawn()
        .await;
    // Another team's developer floods both inboxes first (oldest ids).
    app.sign_in("sam").await;
    let gated = submit(&app, "gated").await;
    copies(&app, gated, 1_001).await;
    let ops = submit(&app, "ops-task").await;
    copies(&app, ops, 1_001).await;

    app.new_browser();
    app.sign_in("dana").await;
    let mine = submit(&app, "gated").await;
    let work = submit(&app, "pay-task").await;
    assert_eq!(
        badges(&app).await,
        (0, 1),
        "nobody approves their own request"
    );
    copies(&app, mine, 60).await;

    app.new_browser();
    app.sign_in("lee").await;
    assert_eq!(
        badges(&app).await,
        (61, 1),
        "counted by the database: the payments requests only"
    );
    let (status, first) = app.get_text("/approvals").await;
    assert_eq!(status, 200);
    assert!(first.contains("61 in all"), "{first}");
    assert_eq!(rows(&first), 50, "one page");
    assert!(
        !first.contains(&format!("href=\"/requests/{mine}\"")),
        "newest first: the oldest is on the next page"
    );
    let older = first
        .split("href=\"/approvals?before=")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("an older link")
        .to_string();
    let (_, second) = app.get_text(&format!("/approvals?before={older}")).await;
    assert_eq!(rows(&second), 11, "the rest");
    assert!(
        second.contains(&format!("href=\"/requests/{mine}\"")),
        "{second}"
    );
    assert!(!second.contains("?before="), "the last page");

    let (_, inbox) = app.get_text("/inbox").await;
    assert!(
        inbox.contains(&format!("href=\"/requests/{work}\"")),
        "{inbox}"
    );
    assert_eq!(rows(&inbox), 1, "only the payments team's work");

    let ok = app
        .post_form(&format!("/requests/{mine}/approve"), "comment=")
        .await;
    assert_eq!(ok.status(), 303);
    assert_eq!(
        badges(&app).await.0,
        60,
        "a decided request leaves the inbox"
    );

    app.new_browser();
    app.sign_in("sam").await;
    let (_, search) = app.get_text("/inbox").await;
    assert!(
        search.contains("1003 in all"),
        "the search team fulfils its own work: 1,002 tasks and the approved gated request"
    );
    app.stop().await;
}

/// The approvals badge reads the waiting action versions from memory (most people approve nothing);
/// a request made since still shows in its approver's badge at once, and leaves it when decided.
async fn a_new_request_shows_in_the_approvers_badge_at_once(backend: Backend) {
    let catalog = inbox_catalog();
    let mut app = TestApp::builder(backend)
        .with_catalog(catalog.path())
        .spawn()
        .await;
    app.sign_in("lee").await;
    assert_eq!(
        badges(&app).await.0,
        0,
        "nothing waits, and this is remembered"
    );
    app.new_browser();
    app.sign_in("dana").await;
    let id = submit(&app, "gated").await;
    app.new_browser();
    app.sign_in("lee").await;
    assert_eq!(badges(&app).await.0, 1, "the lead sees it at once");
    let ok = app
        .post_form(&format!("/requests/{id}/approve"), "comment=")
        .await;
    assert_eq!(ok.status(), 303);
    assert_eq!(badges(&app).await.0, 0, "decided: gone from the badge");
    app.stop().await;
}

both_backends!(
    thousands_of_other_requests_never_hide_a_leads_approval_or_a_teams_work,
    a_new_request_shows_in_the_approvers_badge_at_once,
);
