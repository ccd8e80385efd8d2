//! The team page: figures computed from a seeded history, per action lead times and approval waits,
//! the server-rendered chart, and access for the team's members and admins only.

use crate::support::{Backend, TestApp};

async fn insert(
    app: &TestApp,
    action: &str,
    status: &str,
    created: chrono::DateTime<chrono::Utc>,
    lead_secs: Option<i64>,
    approval_secs: Option<i64>,
) {
    let finished = lead_secs.map(|s| created + chrono::Duration::seconds(s));
    let id: i64 = runway_core::on_pool!(&app.runway.db, pool => sqlx::query_scalar(
        "INSERT INTO requests (action_id, action_hash, team, inputs, status, executor, created_at, updated_at, finished_at)
         VALUES ($1, 'h', 'payments', '{}', $2, 'script', $3, $3, $4) RETURNING id")
        .bind(action).bind(status).bind(created).bind(finished).fetch_one(pool).await).unwrap();
    if let Some(wait) = approval_secs {
        for (kind, at) in [
            ("approval_requested", created),
            ("approved", created + chrono::Duration::seconds(wait)),
        ] {
            runway_core::on_pool!(&app.runway.db, pool => sqlx::query(
                "INSERT INTO request_events (request_id, at, kind) VALUES ($1, $2, $3)")
                .bind(id).bind(at).bind(kind).execute(pool).await.map(|_| ()))
            .unwrap();
        }
    }
}

async fn team_figures_come_from_the_teams_history(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    let now = chrono::Utc::now();
    // create-repo: lead times 60..=600 s (10 requests): median 300, p90 540.
    for i in 1..=10 {
        insert(
            &app,
            "create-repo",
            "succeeded",
            now - chrono::Duration::minutes(i),
            Some(60 * i),
            None,
        )
        .await;
    }
    // service-database: two failed, approval waits of 100 and 300 s.
    insert(
        &app,
        "service-database",
        "failed",
        now - chrono::Duration::minutes(30),
        Some(900),
        Some(100),
    )
    .await;
    insert(
        &app,
        "service-database",
        "failed",
        now - chrono::Duration::minutes(40),
        Some(1200),
        Some(300),
    )
    .await;
    app.sign_in("dana").await;
    let (status, html) = app.get_text("/teams/payments").await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("data-figure=\"week\">12<") || html.contains("data-figure=\"month\">12<"),
        "{html}"
    );
    assert!(
        html.contains("data-figure=\"success\">83%<"),
        "10 of 12 succeeded: {html}"
    );
    let resp = app.post_form("/api/teams/get", "team=payments").await;
    let page: serde_json::Value = resp.json().await.unwrap();
    let repo = page["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["action_id"] == "create-repo")
        .unwrap();
    assert_eq!(repo["requests"], 10);
    assert_eq!(repo["lead_median"], 300);
    assert_eq!(repo["lead_p90"], 540);
    let db = page["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["action_id"] == "service-database")
        .unwrap();
    assert_eq!(db["approval_median"], 100);
    assert_eq!(db["approval_p90"], 300);
    assert!(
        html.contains("data-testid=\"weekly-chart\""),
        "the SVG chart is in the HTML"
    );
    // Another team's member may not see it.
    app.new_browser();
    app.sign_in("sam").await;
    let (status, _) = app.get_text("/teams/payments").await;
    assert_eq!(status, 404);
    app.stop().await;
}

both_backends!(team_figures_come_from_the_teams_history);
