//! Sessions in the database: stored under a hash of the cookie's id, never the id itself.

use crate::support::{Backend, TestApp};
use runway_core::auth::session_store::id_hash;
use runway_core::db::sessions;

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

both_backends!(the_sessions_table_holds_a_hash_of_the_cookie_never_the_cookie);
