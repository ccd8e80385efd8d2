//! Sign-in through a real OpenID Provider (npm `oidc-provider`), and every way it must fail.
//! Each story runs on SQLite and on Postgres.

use crate::support::oidc::{login_at_provider, whoami, Provider};
use crate::support::{Backend, TestApp};
use runway_core::db::sessions;

fn location(resp: &reqwest::Response) -> String {
    resp.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

/// Visits the callback and returns Runway's redirect target.
async fn finish(app: &TestApp, callback: &str) -> String {
    let resp = app.client.get(callback).send().await.unwrap();
    assert_eq!(resp.status(), 303);
    location(&resp)
}

async fn sso_sign_in_brings_teams_and_roles_from_claims(backend: Backend) {
    let provider = Provider::start().await;
    let mut app = TestApp::builder(backend)
        .with_provider(&provider)
        .spawn()
        .await;

    let (_, html) = app.get_text("/signin?next=/actions/create-repo").await;
    assert!(html.contains("Sign in with SSO") && !html.contains("Development sign-in"));

    let callback = login_at_provider(&app, &provider, "alice", "/actions/create-repo").await;
    assert_eq!(
        finish(&app, &callback).await,
        "/actions/create-repo",
        "back to the page asked for"
    );
    let me = whoami(&app).await;
    assert_eq!(me["name"], "Alice Payments");
    assert_eq!(me["email"], "alice@example.com");
    assert_eq!(me["is_admin"], false);
    assert_eq!(
        me["teams"],
        serde_json::json!([{ "team": "payments", "is_lead": false }])
    );
    let (status, html) = app.get_text("/actions/create-repo").await;
    assert_eq!(status, 200);
    assert!(html.contains("Alice Payments"));

    for (login, admin, teams) in [
        (
            "lena",
            false,
            serde_json::json!([{ "team": "payments", "is_lead": true }]),
        ),
        (
            "root",
            true,
            serde_json::json!([{ "team": "platform", "is_lead": false }]),
        ),
    ] {
        app.new_browser();
        let callback = login_at_provider(&app, &provider, login, "/").await;
        assert_eq!(finish(&app, &callback).await, "/");
        let me = whoami(&app).await;
        assert_eq!(me["is_admin"], admin, "{login}");
        assert_eq!(me["teams"], teams, "{login}");
    }
    app.stop().await;
}

async fn groups_can_come_from_the_userinfo_endpoint(backend: Backend) {
    let provider = Provider::start().await;
    let app = TestApp::builder(backend)
        .with_provider(&provider)
        .with_settings(|s| s.auth.groups_from = runway_core::config::GroupsSource::Userinfo)
        .spawn()
        .await;
    let callback = login_at_provider(&app, &provider, "lena", "/").await;
    assert_eq!(finish(&app, &callback).await, "/");
    assert_eq!(
        whoami(&app).await["teams"],
        serde_json::json!([{ "team": "payments", "is_lead": true }])
    );
    app.stop().await;
}

async fn the_session_id_is_renewed_at_sign_in(backend: Backend) {
    let provider = Provider::start().await;
    let app = TestApp::builder(backend)
        .with_provider(&provider)
        .spawn()
        .await;
    let start = app.get("/auth/login?next=/").await;
    let before = start
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .to_string();
    assert!(
        before.starts_with("runway_session="),
        "a pre-login session holds state, nonce and verifier"
    );
    let callback = login_at_provider(&app, &provider, "alice", "/").await;
    let resp = app.client.get(&callback).send().await.unwrap();
    let after = resp
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .to_string();
    assert!(
        after.starts_with("runway_session=") && after != before,
        "{before} then {after}"
    );
    app.stop().await;
}

/// Each misbehaviour of the provider (or of an attacker in between) must be refused, leaving nobody
/// signed in.
async fn forged_and_broken_id_tokens_are_refused(backend: Backend) {
    let provider = Provider::start().await;
    let app = TestApp::builder(backend)
        .with_provider(&provider)
        .spawn()
        .await;
    for mode in [
        "wrong-nonce",
        "wrong-aud",
        "expired",
        "alg-none",
        "unknown-key",
        "tamper-pkce",
    ] {
        provider.set_mode(mode).await;
        let callback = login_at_provider(&app, &provider, "alice", "/").await;
        assert_eq!(
            finish(&app, &callback).await,
            "/signin?error=failed",
            "{mode} is refused"
        );
        assert!(whoami(&app).await.is_null(), "{mode}: nobody is signed in");
        assert_eq!(
            app.get("/").await.status(),
            303,
            "{mode}: still asked to sign in"
        );
    }
    provider.set_mode("normal").await;
    let callback = login_at_provider(&app, &provider, "alice", "/").await;
    assert_eq!(
        finish(&app, &callback).await,
        "/",
        "a good token still works afterwards"
    );
    app.stop().await;
}

async fn a_rotated_signing_key_is_fetched_and_accepted(backend: Backend) {
    let provider = Provider::start().await;
    let mut app = TestApp::builder(backend)
        .with_provider(&provider)
        .spawn()
        .await;
    // First sign-in caches the provider's keys.
    let callback = login_at_provider(&app, &provider, "alice", "/").await;
    assert_eq!(finish(&app, &callback).await, "/");
    // Now the provider signs with a new key, published in its JWKS only from now on.
    provider.set_mode("rotated-key").await;
    app.new_browser();
    let callback = login_at_provider(&app, &provider, "bob", "/").await;
    assert_eq!(
        finish(&app, &callback).await,
        "/",
        "the unknown kid triggers a JWKS refetch"
    );
    assert_eq!(whoami(&app).await["name"], "Bob Search");
    app.stop().await;
}

async fn wrong_or_replayed_state_is_refused(backend: Backend) {
    let provider = Provider::start().await;
    let app = TestApp::builder(backend)
        .with_provider(&provider)
        .spawn()
        .await;
    let callback = login_at_provider(&app, &provider, "alice", "/").await;
    let (base, query) = callback.split_once('?').unwrap();
    let forged: Vec<String> = query
        .split('&')
        .map(|kv| {
            if kv.starts_with("state=") {
                "state=forged".to_string()
            } else {
                kv.to_string()
            }
        })
        .collect();
    assert_eq!(
        finish(&app, &format!("{base}?{}", forged.join("&"))).await,
        "/signin?error=failed"
    );
    assert!(whoami(&app).await.is_null());
    // The pending sign-in was used up by the failed attempt: the genuine callback no longer works.
    assert_eq!(finish(&app, &callback).await, "/signin?error=expired");
    assert!(whoami(&app).await.is_null());

    // A successful callback replayed from another browser (no pending sign-in there) is refused.
    let callback = login_at_provider(&app, &provider, "alice", "/").await;
    assert_eq!(finish(&app, &callback).await, "/");
    let attacker = crate::support::browser_client();
    let resp = attacker.get(&callback).send().await.unwrap();
    assert_eq!(location(&resp), "/signin?error=expired");
    let me: serde_json::Value = attacker
        .post(app.url("/api/auth/whoami"))
        .header("origin", &app.address)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(me.is_null(), "the replay signs nobody in");
    app.stop().await;
}

async fn a_replayed_authorization_code_is_refused(backend: Backend) {
    let provider = Provider::start().await;
    let app = TestApp::builder(backend)
        .with_provider(&provider)
        .spawn()
        .await;
    let callback = login_at_provider(&app, &provider, "alice", "/").await;
    assert_eq!(finish(&app, &callback).await, "/");
    let code = callback
        .split(['?', '&'])
        .find_map(|kv| kv.strip_prefix("code="))
        .unwrap()
        .to_string();

    // A new browser starts its own sign-in (so Runway holds a fresh state), then smuggles in the old code.
    let other = crate::support::browser_client();
    let resp = other
        .get(app.url("/auth/login?next=/"))
        .send()
        .await
        .unwrap();
    let authorize = location(&resp);
    let state = authorize
        .split(['?', '&'])
        .find_map(|kv| kv.strip_prefix("state="))
        .unwrap()
        .to_string();
    let replay = format!("{}/auth/callback?code={code}&state={state}", app.address);
    let resp = other.get(&replay).send().await.unwrap();
    assert_eq!(
        location(&resp),
        "/signin?error=failed",
        "the provider refuses a used code"
    );
    let me: serde_json::Value = other
        .post(app.url("/api/auth/whoami"))
        .header("origin", &app.address)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(me.is_null(), "nobody is signed in by the replay");
    app.stop().await;
}

async fn sign_out_ends_the_provider_session_too(backend: Backend) {
    let provider = Provider::start().await;
    let app = TestApp::builder(backend)
        .with_provider(&provider)
        .spawn()
        .await;
    let callback = login_at_provider(&app, &provider, "alice", "/").await;
    assert_eq!(finish(&app, &callback).await, "/");
    let resp = app.post_form("/auth/logout", "").await;
    assert_eq!(resp.status(), 303);
    let target = location(&resp);
    assert!(
        target.starts_with(&format!("{}/session/end", provider.issuer)),
        "{target}"
    );
    assert!(
        target.contains("id_token_hint=") && target.contains("post_logout_redirect_uri="),
        "{target}"
    );
    assert_eq!(sessions::count(&app.runway.db).await.unwrap(), 0);
    assert!(whoami(&app).await.is_null());
    app.stop().await;
}

both_backends!(
    sso_sign_in_brings_teams_and_roles_from_claims,
    groups_can_come_from_the_userinfo_endpoint,
    the_session_id_is_renewed_at_sign_in,
    forged_and_broken_id_tokens_are_refused,
    a_rotated_signing_key_is_fetched_and_accepted,
    wrong_or_replayed_state_is_refused,
    a_replayed_authorization_code_is_refused,
    sign_out_ends_the_provider_session_too,
);
