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

/// A site laid out as `scripts/build-site --release` lays it out: hashed names listed in
/// `hash.txt`, the plain stylesheet, and brotli/gzip copies.
fn built_site() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let pkg = dir.path().join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::write(
        dir.path().join("hash.txt"),
        "js: 00112233aabbccdd\nwasm: 0123456789abcdef\ncss: fedcba9876543210\n",
    )
    .unwrap();
    std::fs::write(pkg.join("runway.00112233aabbccdd.js"), "export default 1;").unwrap();
    std::fs::write(pkg.join("runway.0123456789abcdef.wasm"), b"\0asm").unwrap();
    let css = "body { color: black; }\n".repeat(50);
    std::fs::write(pkg.join("runway.fedcba9876543210.css"), &css).unwrap();
    std::fs::write(pkg.join("runway.fedcba9876543210.css.br"), b"brotli bytes").unwrap();
    std::fs::write(pkg.join("runway.css"), &css).unwrap();
    dir
}

async fn pages_name_hashed_assets_that_are_cached_for_a_year_and_sent_precompressed(
    backend: Backend,
) {
    let site = built_site();
    let root = site.path().to_path_buf();
    let app = TestApp::builder(backend)
        .with_settings(move |s| s.site_root = root)
        .spawn()
        .await;

    // The sign-in page (no session needed) names this build's files.
    let (status, html) = app.get_text("/signin").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("/pkg/runway.fedcba9876543210.css"),
        "the page links the hashed stylesheet: {html}"
    );
    assert!(
        html.contains("runway.00112233aabbccdd") && html.contains("runway.0123456789abcdef"),
        "the hydration script loads the hashed js and wasm: {html}"
    );

    // The names are read once, at start-up: a page rendered after the hash file has gone still
    // names this build's files, and its script starts them (Leptos's own `HydrationScripts` read
    // the file again for every page).
    std::fs::remove_file(site.path().join("hash.txt")).unwrap();
    let (status, html) = app.get_text("/signin").await;
    assert_eq!(status, 200);
    assert!(
        html.contains(r#"<link rel="modulepreload" href="/pkg/runway.00112233aabbccdd.js""#),
        "{html}"
    );
    assert!(
        html.contains(r#"import("/pkg/runway.00112233aabbccdd.js")"#)
            && html.contains(r#"module_or_path: "/pkg/runway.0123456789abcdef.wasm""#),
        "{html}"
    );

    // A hashed file: a year, immutable; the brotli copy when the browser accepts it.
    let resp = app
        .client
        .get(app.url("/pkg/runway.fedcba9876543210.css"))
        .header("accept-encoding", "br, gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(resp.headers()["content-encoding"], "br");
    assert_eq!(resp.bytes().await.unwrap().as_ref(), b"brotli bytes");

    // Without Accept-Encoding: the file itself.
    let resp = app.get("/pkg/runway.00112233aabbccdd.js").await;
    assert_eq!(resp.status(), 200);
    assert!(resp.headers().get("content-encoding").is_none());
    assert_eq!(resp.text().await.unwrap(), "export default 1;");

    // An unhashed name is revalidated, and compressed on the fly when large enough.
    let resp = app
        .client
        .get(app.url("/pkg/runway.css"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["cache-control"], "no-cache");
    assert_eq!(resp.headers()["content-encoding"], "gzip");

    // Assets never touch the session table: no cookie is set or needed.
    let resp = app.get("/pkg/runway.0123456789abcdef.wasm").await;
    assert_eq!(resp.status(), 200);
    assert!(resp.headers().get("set-cookie").is_none());
    app.stop().await;
}

/// The `<link>` tags of a page's `<head>`.
fn head_links(html: &str) -> Vec<&str> {
    let head = &html[..html.find("</head>").expect("a head")];
    head.match_indices("<link ")
        .map(|(i, _)| &head[i..i + head[i..].find('>').expect("a closed tag")])
        .collect()
}

/// A lazily loaded page names its modules and their loader in its `<head>` every time it is
/// rendered, so the browser fetches them with the main module. (Leptos's own list was filled in a
/// race with the render and was there in about one page in three.) Everyday pages name none.
async fn lazy_pages_name_their_modules_in_the_head_every_time(backend: Backend) {
    let site = built_site();
    let hashes = std::fs::read_to_string(site.path().join("hash.txt")).unwrap();
    std::fs::write(
        site.path().join("hash.txt"),
        format!("{hashes}manifest: 00112233aabbccdd\nsplit: 00112233aabbccdd001122\n"),
    )
    .unwrap();
    std::fs::write(
        site.path().join("pkg/__wasm_split_manifest.00112233aabbccdd.json"),
        r#"{"__tokens_view_7": ["chunk_1.00112233aabbccdd", "split___tokens_view_7.00112233aabbccdd"],
            "__impact_view_7": ["chunk_1.00112233aabbccdd", "split___impact_view_7.00112233aabbccdd"]}"#,
    )
    .unwrap();
    let root = site.path().to_path_buf();
    let app = TestApp::builder(backend)
        .with_settings(move |s| s.site_root = root)
        .spawn()
        .await;
    app.sign_in("dana").await;

    for round in 0..20 {
        let (status, html) = app.get_text("/settings/tokens").await;
        assert_eq!(status, 200);
        let links = head_links(&html);
        for module in ["chunk_1", "split___tokens_view_7"] {
            let href = format!(r#"href="/pkg/{module}.00112233aabbccdd.wasm""#);
            assert!(
                links.iter().any(|l| l.contains(r#"rel="preload""#)
                    && l.contains(&href)
                    && l.contains(r#"as="fetch""#)),
                "round {round}: the page preloads {module}: {links:?}"
            );
        }
        assert!(
            links.iter().any(|l| l.contains(r#"rel="modulepreload""#)
                && l.contains(r#"href="/pkg/__wasm_split.00112233aabbccdd001122.js""#)),
            "round {round}: the loader: {links:?}"
        );
        assert!(
            !links.iter().any(|l| l.contains("impact_view")),
            "another page's module: {links:?}"
        );
    }

    // The catalogue is in the main module: nothing lazy.
    let (status, html) = app.get_text("/").await;
    assert_eq!(status, 200);
    let links = head_links(&html);
    assert!(
        !links
            .iter()
            .any(|l| l.contains("split_") || l.contains("chunk_")),
        "{links:?}"
    );
    app.stop().await;
}

async fn pages_are_compressed_for_browsers_that_accept_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.sign_in("dana").await;
    let resp = app
        .client
        .get(app.url("/"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-encoding"], "gzip");
    let resp = app.get("/").await;
    assert!(
        resp.headers().get("content-encoding").is_none(),
        "identity when nothing is accepted"
    );
    app.stop().await;
}

/// A Postgres URL asking for TLS gets an encrypted connection (the test server has TLS on, with a
/// self-signed certificate: `require` encrypts without checking it, as libpq does).
#[tokio::test]
async fn postgres_connections_use_tls_when_the_url_asks_for_it() {
    let db = crate::support::TestDb::new(Backend::Postgres).await;
    let url = format!("{}?sslmode=require", db.url);
    let pool = runway_core::db::Db::connect(&url, 1)
        .await
        .expect("connects over TLS");
    let encrypted: bool = runway_core::on_pool!(&pool, p => sqlx::query_scalar(
        "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
    ).fetch_one(p).await)
    .expect("query");
    assert!(encrypted, "the connection is encrypted");
    pool.close().await;
}

both_backends!(
    pages_name_hashed_assets_that_are_cached_for_a_year_and_sent_precompressed,
    pages_are_compressed_for_browsers_that_accept_it,
    lazy_pages_name_their_modules_in_the_head_every_time,
    health_endpoints_report_liveness_and_readiness,
    readiness_fails_when_the_database_is_gone,
    catalogue_page_shows_every_demo_action_as_a_card,
    search_and_category_filter_on_the_server_without_javascript,
    action_page_shows_description_facts_and_form_preview,
    unknown_actions_and_pages_answer_404,
    server_functions_answer_with_json,
);
