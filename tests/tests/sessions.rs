//! Sessions in the database: stored under a hash of the cookie's id, written only when they change,
//! and still ended by the idle timeout.

use crate::support::{Backend, TestApp};
use runway_core::auth::session_store::id_hash;
use runway_core::db::sessions;
use std::time::Duration;

/// Signs in as `login` and returns the session cookie's value.
async fn sign_in_cookie(app: &TestApp, login: &str) -> String {
    let resp = app
        .client
        .post(app.url("/auth/dev-login"))
        .header("origin", &app.address)
        .form(&[("login", login), ("next", "/")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303);
    let cookie = resp
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    cookie
        .strip_prefix("runway_session=")
        .and_then(|rest| rest.split(';').next())
        .unwrap_or_else(|| panic!("a session cookie: {cookie}"))
        .to_string()
}

async fn the_sessions_table_holds_a_hash_of_the_cookie_never_the_cookie(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let cookie = sign_in_cookie(&app, "dana").await;
    let stored = sessions::id_hashes(&app.runway.db).await.unwrap();
    assert_eq!(stored, vec![id_hash(&cookie)], "one row, keyed by the hash");
    assert!(!stored.contains(&cookie), "the cookie value is not stored");
    let (status, html) = app.get_text("/").await;
    assert_eq!(status, 200, "the cookie still signs the browser in");
    assert!(html.contains("Dana Developer"));
    app.stop().await;
}

async fn a_page_view_with_an_unchanged_session_writes_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let cookie = sign_in_cookie(&app, "dana").await;
    let key = id_hash(&cookie);
    let db = &app.runway.db;
    assert_eq!(app.get("/").await.status(), 200);
    let before = sessions::expiry(db, &key).await.unwrap().expect("stored");
    // Expiry is stored in whole seconds: let the clock pass one, so a save would show.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    for path in ["/", "/healthz", "/api/auth/whoami"] {
        let resp = if path.starts_with("/api/") {
            app.post_form(path, "").await
        } else {
            app.get(path).await
        };
        assert!(resp.status().is_success(), "{path}: {}", resp.status());
        assert!(
            resp.headers().get("set-cookie").is_none(),
            "{path}: no new cookie for an unchanged session"
        );
    }
    assert_eq!(
        sessions::expiry(db, &key).await.unwrap(),
        Some(before),
        "no request wrote the session row"
    );
    app.stop().await;
}

async fn a_session_used_within_its_idle_timeout_stays_and_an_idle_one_ends(backend: Backend) {
    // Idle timeout 4 s: a signed-in session is saved again once its last save is 2 s old.
    let app = TestApp::builder(backend)
        .with_settings(|s| s.auth.session_idle_timeout = std::time::Duration::from_secs(4))
        .spawn()
        .await;
    app.sign_in("dana").await;
    for _ in 0..3 {
        // Each wait is longer than the refresh interval and, in total, longer than the timeout.
        tokio::time::sleep(Duration::from_millis(2_200)).await;
        assert_eq!(
            app.get("/").await.status(),
            200,
            "a session in use stays signed in"
        );
    }
    tokio::time::sleep(Duration::from_millis(5_200)).await;
    assert_eq!(
        app.get("/").await.status(),
        303,
        "idle longer than the timeout: sign in again"
    );
    app.stop().await;
}

async fn signing_out_ends_the_session_at_once_although_sessions_are_cached(backend: Backend) {
    let app = TestApp::builder(backend)
        .with_settings(|s| s.auth.session_cache = Duration::from_secs(60))
        .spawn()
        .await;
    app.sign_in("dana").await;
    assert_eq!(app.get("/").await.status(), 200, "read, and now cached");
    let out = app.post_form("/auth/logout", "").await;
    assert!(out.status().is_redirection(), "{}", out.status());
    assert_eq!(
        app.get("/").await.status(),
        303,
        "the cached copy went with the sign-out"
    );
    app.stop().await;
}

async fn a_session_deleted_by_another_replica_ends_here_within_the_cache_time(backend: Backend) {
    let app = TestApp::builder(backend)
        .with_settings(|s| s.auth.session_cache = Duration::from_secs(1))
        .spawn()
        .await;
    let cookie = sign_in_cookie(&app, "dana").await;
    let cookie_header = format!("runway_session={cookie}");
    let get = || {
        app.client
            .get(app.url("/"))
            .header("cookie", &cookie_header)
            .send()
    };
    assert_eq!(get().await.unwrap().status(), 200);
    // What a sign-out through another `serve` process does to the shared table.
    sessions::delete(&app.runway.db, &id_hash(&cookie))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    assert_eq!(
        get().await.unwrap().status(),
        303,
        "signed out here too once auth.session_cache has passed"
    );
    app.stop().await;
}

both_backends!(
    signing_out_ends_the_session_at_once_although_sessions_are_cached,
    a_session_deleted_by_another_replica_ends_here_within_the_cache_time,
    the_sessions_table_holds_a_hash_of_the_cookie_never_the_cookie,
    a_page_view_with_an_unchanged_session_writes_nothing,
    a_session_used_within_its_idle_timeout_stays_and_an_idle_one_ends,
);
