//! Sign-in, sessions and access control with development sign-in, on both backends.

use crate::support::{test_settings, Backend, TestApp, TestDb};
use runway_core::db::sessions;
use std::fs;

fn header<'a>(resp: &'a reqwest::Response, name: &str) -> &'a str {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

async fn anonymous_visitors_are_sent_to_sign_in(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let resp = app.get("/actions/create-repo?x=1").await;
    assert_eq!(resp.status(), 303);
    assert_eq!(
        header(&resp, "location"),
        "/signin?next=/actions/create-repo%3Fx%3D1"
    );

    let resp = app
        .client
        .post(app.url("/api/catalog/list"))
        .header("origin", &app.address)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401, "API calls get 401, not a redirect");

    let (status, html) = app.get_text("/signin").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("Development sign-in"),
        "development mode is clearly labelled"
    );
    for name in ["Dana Developer", "Lee Lead", "Ada Admin"] {
        assert!(html.contains(name), "{name} is offered");
    }
    assert_eq!(
        app.get("/healthz").await.status(),
        200,
        "health checks need no sign-in"
    );
    app.stop().await;
}

async fn signing_in_shows_who_you_are_and_signing_out_ends_the_session(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let resp = app
        .client
        .post(app.url("/auth/dev-login"))
        .header("origin", &app.address)
        .form(&[("login", "lee"), ("next", "/actions/create-repo")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303);
    assert_eq!(
        header(&resp, "location"),
        "/actions/create-repo",
        "back to the page asked for"
    );
    let cookie = header(&resp, "set-cookie").to_string();
    assert!(cookie.starts_with("runway_session="), "{cookie}");
    for attr in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attr), "cookie has {attr}: {cookie}");
    }
    assert!(
        !cookie.contains("Secure"),
        "plain http in tests: no Secure flag"
    );

    let (status, html) = app.get_text("/").await;
    assert_eq!(status, 200);
    assert!(html.contains("Lee Lead"));
    assert!(
        html.contains("team lead · payments (lead)"),
        "role and teams are shown"
    );
    assert!(
        html.contains("action=\"/auth/logout\""),
        "a sign-out button"
    );
    assert_eq!(sessions::count(&app.runway.db).await.unwrap(), 1);

    let resp = app.post_form("/auth/logout", "").await;
    assert_eq!(resp.status(), 303);
    assert_eq!(header(&resp, "location"), "/signin?signed_out=1");
    assert_eq!(
        sessions::count(&app.runway.db).await.unwrap(),
        0,
        "the session is deleted"
    );
    assert_eq!(app.get("/").await.status(), 303, "asked to sign in again");
    app.stop().await;
}

async fn sign_in_never_redirects_off_site(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for next in [
        "//evil.example",
        "/\\evil.example",
        "https:evil.example",
        "/%2F%2Fevil.example",
        "https://evil.example/x",
    ] {
        let resp = app
            .client
            .post(app.url("/auth/dev-login"))
            .header("origin", &app.address)
            .form(&[("login", "dana"), ("next", next)])
            .send()
            .await
            .unwrap();
        assert_eq!(header(&resp, "location"), "/", "{next}");
    }
    let resp = app.get("/auth/login?next=//evil.example").await;
    assert_eq!(header(&resp, "location"), "/signin?next=/");
    app.stop().await;
}

async fn cross_origin_posts_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.sign_in("dana").await;
    let post = |origin: Option<&str>, fetch_site: Option<&str>| {
        let mut req = app.client.post(app.url("/auth/logout"));
        if let Some(o) = origin {
            req = req.header("origin", o);
        }
        if let Some(s) = fetch_site {
            req = req.header("sec-fetch-site", s);
        }
        req.send()
    };
    assert_eq!(
        post(Some("https://evil.example"), None)
            .await
            .unwrap()
            .status(),
        403
    );
    assert_eq!(post(Some("null"), None).await.unwrap().status(), 403);
    assert_eq!(post(None, Some("cross-site")).await.unwrap().status(), 403);
    assert_eq!(
        post(Some(&app.address), Some("same-site"))
            .await
            .unwrap()
            .status(),
        403
    );
    assert_eq!(
        post(None, None).await.unwrap().status(),
        403,
        "no origin information: refused"
    );
    assert_eq!(
        sessions::count(&app.runway.db).await.unwrap(),
        1,
        "nothing changed"
    );
    let login = app
        .client
        .post(app.url("/auth/dev-login"))
        .header("origin", "https://evil.example")
        .form(&[("login", "ada")])
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 403, "login CSRF is refused too");
    assert_eq!(post(None, Some("same-origin")).await.unwrap().status(), 303);
    assert_eq!(sessions::count(&app.runway.db).await.unwrap(), 0);
    app.stop().await;
}

async fn pages_carry_a_nonce_csp_and_hardening_headers(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.sign_in("dana").await;
    let resp = app.get("/").await;
    let csp = header(&resp, "content-security-policy").to_string();
    assert_eq!(header(&resp, "x-content-type-options"), "nosniff");
    assert!(!header(&resp, "referrer-policy").is_empty());
    let html = resp.text().await.unwrap();
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|r| r.split('\'').next())
        .expect("CSP has a nonce");
    assert!(nonce.len() >= 16, "{csp}");
    assert!(
        csp.contains("'wasm-unsafe-eval'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert!(
        html.contains(&format!("nonce=\"{nonce}\"")),
        "Leptos' scripts carry the same nonce"
    );
    let again = app.get("/").await;
    assert_ne!(
        header(&again, "content-security-policy"),
        csp,
        "a fresh nonce per response"
    );
    assert!(
        !header(&app.get("/healthz").await, "content-security-policy").is_empty(),
        "every response has a CSP"
    );
    app.stop().await;
}

async fn beta_actions_are_invisible_to_other_teams_even_by_url(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let action = |id: &str, extra: &str| {
        format!("id: {id}\ntitle: Title {id}\nsummary: S.\ncategory: C\nowner: platform\nrun: {{kind: manual}}\n{extra}")
    };
    fs::write(dir.path().join("open.yaml"), action("open", "")).unwrap();
    fs::write(
        dir.path().join("beta.yaml"),
        action("beta", "visible_to: [payments]\n"),
    )
    .unwrap();
    let app = TestApp::builder(backend)
        .with_catalog(dir.path())
        .spawn()
        .await;

    app.sign_in("sam").await; // search team
    let (_, html) = app.get_text("/").await;
    assert!(html.contains("Title open") && !html.contains("Title beta"));
    assert_eq!(
        app.get_text("/actions/beta").await.0,
        404,
        "404, not 403: others cannot learn it exists"
    );
    let api = app.post_form("/api/catalog/action", "id=beta").await;
    assert!(api.text().await.unwrap().contains("NotFound"));
    let list: serde_json::Value = app
        .post_form("/api/catalog/list", "")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list.as_array().map(Vec::len), Some(1));

    app.sign_in("dana").await; // payments team
    let (status, html) = app.get_text("/actions/beta").await;
    assert_eq!(status, 200);
    assert!(html.contains("Title beta"));
    app.sign_in("ada").await; // admins see everything
    assert_eq!(app.get_text("/actions/beta").await.0, 200);
    app.stop().await;
}

async fn sessions_end_after_their_absolute_lifetime(backend: Backend) {
    // The session is edited in the database below: read it from there on every request.
    let app = TestApp::builder(backend)
        .with_settings(|s| s.auth.session_cache = std::time::Duration::ZERO)
        .spawn()
        .await;
    app.sign_in("dana").await;
    assert_eq!(app.get("/").await.status(), 200);
    // Pretend the sign-in happened 25 hours ago (the default lifetime is 24 hours).
    let db = &app.runway.db;
    runway_core::on_pool!(db, pool => {
        let (id, data): (String, String) = sqlx::query_as("SELECT id_hash, data FROM sessions").fetch_one(pool).await.unwrap();
        let mut value: serde_json::Value = serde_json::from_str(&data).unwrap();
        let at = value["user.signed_in_at"].as_i64().unwrap();
        value["user.signed_in_at"] = serde_json::json!(at - 25 * 3600);
        sqlx::query("UPDATE sessions SET data = $1 WHERE id_hash = $2").bind(value.to_string()).bind(id).execute(pool).await.unwrap();
    });
    assert_eq!(
        app.get("/").await.status(),
        303,
        "sign in again after the lifetime"
    );
    assert_eq!(sessions::count(db).await.unwrap(), 0);
    app.stop().await;
}

async fn development_sign_in_is_refused_on_a_network_address(backend: Backend) {
    let db = TestDb::new(backend).await;
    let mut settings = test_settings(&db, &crate::support::demo_catalog());
    settings.listen = "0.0.0.0:0".parse().unwrap();
    let err = runway_server::startup::Application::build(settings.clone())
        .await
        .err()
        .expect("refused");
    assert!(
        err.to_string().contains("refusing development sign-in"),
        "{err}"
    );
    settings.auth.allow_dev_sign_in_on_network = true;
    assert!(
        runway_server::startup::Application::build(settings)
            .await
            .is_ok(),
        "an explicit setting allows it"
    );
}

both_backends!(
    anonymous_visitors_are_sent_to_sign_in,
    signing_in_shows_who_you_are_and_signing_out_ends_the_session,
    sign_in_never_redirects_off_site,
    cross_origin_posts_are_refused,
    pages_carry_a_nonce_csp_and_hardening_headers,
    beta_actions_are_invisible_to_other_teams_even_by_url,
    sessions_end_after_their_absolute_lifetime,
    development_sign_in_is_refused_on_a_network_address,
);
