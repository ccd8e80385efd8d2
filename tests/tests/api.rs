//! HTTP stories against a running server, each on SQLite and on Postgres.

use crate::support::{count, Backend, TestApp};

async fn health_endpoints_report_liveness_and_readiness(backend: Backend) {
    let app = TestApp::spawn(backend).await;

    let resp = app.get("/healthz").await;
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers().contains_key("x-request-id"),
        "every response carries a request id"
    );
    let body: serde_json::Value = resp.json().await.expect("json");
    assert_eq!(body["status"], "ok");

    let resp = app.get("/readyz").await;
    assert_eq!(resp.status(), 200);
    let body: serde_json::Value = resp.json().await.expect("json");
    assert_eq!(body["status"], "ready");
    assert_eq!(body["database"], true);
    assert_eq!(body["migrations"], true);
    assert_eq!(body["catalog"]["loaded"], true);
    assert_eq!(body["catalog"]["problems"], 0);
    assert!(
        body["catalog"]["actions"].as_u64().unwrap_or(0) >= 5,
        "{body}"
    );
    app.stop().await;
}

async fn readiness_fails_when_the_database_is_gone(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.runway.db.close().await;
    let resp = app.get("/readyz").await;
    assert_eq!(resp.status(), 503);
    let body: serde_json::Value = resp.json().await.expect("json");
    assert_eq!(body["database"], false);
    app.stop().await;
}

async fn catalogue_page_shows_every_demo_action_as_a_card(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.sign_in("ada").await;
    let (status, html) = app.get_text("/").await;
    assert_eq!(status, 200);
    for title in [
        "Create a service repository",
        "Issue an internal TLS certificate",
        "Database for a service",
        "Request access to a system",
        "Trigger a deployment pipeline",
    ] {
        assert!(html.contains(title), "catalogue lists {title}");
    }
    let cards = count(&html, "class=\"card\"");
    assert_eq!(cards, app.runway.catalog.snapshot().actions.len());
    assert!(html.contains("Beta"), "the beta rollout is badged");
    assert!(
        html.contains("<form method=\"get\" action=\"/\" role=\"search\" class=\"search\">"),
        "search works as a plain form"
    );
    app.stop().await;
}

async fn search_and_category_filter_on_the_server_without_javascript(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.sign_in("ada").await;
    let (status, html) = app.get_text("/?q=certificate").await;
    assert_eq!(status, 200);
    assert_eq!(
        count(&html, "class=\"card\""),
        1,
        "only the TLS action matches"
    );
    assert!(html.contains("Issue an internal TLS certificate"));
    assert!(
        html.contains("value=\"certificate\""),
        "the search box keeps its text"
    );

    let (_, html) = app.get_text("/?q=zzzz-nothing").await;
    assert_eq!(count(&html, "class=\"card\""), 0);
    assert!(html.contains("No actions match"));

    let snapshot = app.runway.catalog.snapshot();
    let category = snapshot
        .actions
        .values()
        .next()
        .map(|a| a.spec.category.clone())
        .expect("an action");
    let expected = snapshot
        .actions
        .values()
        .filter(|a| a.spec.category == category)
        .count();
    let (_, html) = app
        .get_text(&format!(
            "/?category={}",
            category.replace(' ', "+").replace('&', "%26")
        ))
        .await;
    assert_eq!(
        count(&html, "class=\"card\""),
        expected,
        "category {category}"
    );
    app.stop().await;
}

async fn action_page_shows_description_facts_and_form_preview(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.sign_in("dana").await;
    let (status, html) = app.get_text("/actions/create-repo").await;
    assert_eq!(status, 200);
    let snapshot = app.runway.catalog.snapshot();
    let action = &snapshot.actions["create-repo"];
    assert!(html.contains(&action.spec.title));
    assert!(html.contains("class=\"description prose\""));
    assert!(
        html.contains("<h2>") || html.contains("<p>"),
        "description is rendered Markdown"
    );
    assert!(html.contains(&action.spec.approval_in_words()));
    assert!(
        html.contains(&action.content_hash[..12]),
        "the version is shown"
    );
    for field in &action.spec.inputs {
        assert!(
            html.contains(&field.label),
            "form preview lists {}",
            field.label
        );
    }
    if let Some(replaces) = &action.spec.replaces {
        assert!(html.contains(replaces.as_str()));
    }
    app.stop().await;
}

async fn unknown_actions_and_pages_answer_404(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.sign_in("dana").await;
    let (status, html) = app.get_text("/actions/no-such-action").await;
    assert_eq!(status, 404);
    assert!(html.contains("No such action"));
    let (status, _) = app.get_text("/definitely/not/here").await;
    assert_eq!(status, 404);
    app.stop().await;
}

async fn server_functions_answer_with_json(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.sign_in("ada").await;
    let resp = app.post_form("/api/catalog/list", "").await;
    assert_eq!(resp.status(), 200);
    let cards: serde_json::Value = resp.json().await.expect("json");
    assert_eq!(
        cards.as_array().map(Vec::len),
        Some(app.runway.catalog.snapshot().actions.len())
    );

    let resp = app
        .post_form("/api/catalog/action", "id=does-not-exist")
        .await;
    assert!(resp.status().is_server_error() || resp.status().is_client_error());
    let body = resp.text().await.expect("body");
    assert!(body.contains("NotFound"), "{body}");
    app.stop().await;
}

both_backends!(
    health_endpoints_report_liveness_and_readiness,
    readiness_fails_when_the_database_is_gone,
    catalogue_page_shows_every_demo_action_as_a_card,
    search_and_category_filter_on_the_server_without_javascript,
    action_page_shows_description_facts_and_form_preview,
    unknown_actions_and_pages_answer_404,
    server_functions_answer_with_json,
);
