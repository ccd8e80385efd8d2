//! The public API (`/api/v1`), its tokens and the metrics endpoint, each story on SQLite and on
//! Postgres: tokens shown once and stored as hashes, refused when unknown, revoked or expired, never
//! accepted on pages (and cookies never accepted on the API), scopes, the owner's rights at the time
//! of use, service tokens, submissions validated like the portal's and idempotent, approvals,
//! problem details, the rate limit, the OpenAPI document, and the metrics after known work.

use crate::support::{Backend, TestApp, TestDb};
use runway_core::on_pool;
use serde_json::{json, Value};

const REPO_INPUTS: &str = r#"{"name": "billing-api", "description": "Bills customers every month", "team": "payments", "template": "service", "visibility": "internal", "default_branch": "main", "ci": true}"#;

/// Makes a personal token through the settings page's form, as `login`; returns the token.
async fn make_token(app: &TestApp, login: &str, name: &str, scopes: &[&str]) -> String {
    app.sign_in(login).await;
    let mut body = format!("name={name}&days=30");
    for s in scopes {
        body.push_str(&format!("&scopes={s}"));
    }
    let resp = app.post_form("/settings/tokens", &body).await;
    assert_eq!(resp.status(), 201, "the token is made");
    assert_eq!(resp.headers()["cache-control"], "no-store");
    let html = resp.text().await.unwrap();
    token_in(&html)
}

fn token_in(html: &str) -> String {
    let start = html
        .find("rw_pat_")
        .or_else(|| html.find("rw_svc_"))
        .expect("the page shows the token");
    html[start..start + 50].to_string()
}

/// A client without cookies: an API caller.
fn api_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn call(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: Option<&str>,
) -> (u16, Value, reqwest::header::HeaderMap) {
    let mut req = api_client()
        .request(method, app.url(path))
        .bearer_auth(token);
    if let Some(b) = body {
        req = req
            .header("content-type", "application/json")
            .body(b.to_string());
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
        headers,
    )
}

async fn get(app: &TestApp, path: &str, token: &str) -> (u16, Value) {
    let (s, v, _) = call(app, reqwest::Method::GET, path, token, None).await;
    (s, v)
}

async fn post(app: &TestApp, path: &str, token: &str, body: &str) -> (u16, Value) {
    let (s, v, _) = call(app, reqwest::Method::POST, path, token, Some(body)).await;
    (s, v)
}

async fn tokens_are_shown_once_stored_as_hashes_and_record_their_last_use(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = make_token(&app, "dana", "laptop", &["read"]).await;
    assert!(token.starts_with("rw_pat_"), "{token}");

    // The database holds a hash and a prefix, never the token.
    let rows: Vec<(String, String, String)> = on_pool!(&app.runway.db, pool =>
        sqlx::query_as("SELECT hash, prefix, scopes FROM api_tokens").fetch_all(pool).await)
    .unwrap();
    assert_eq!(rows.len(), 1);
    let (hash, prefix, scopes) = &rows[0];
    assert_eq!(hash, &runway_core::tokens::hash(&token));
    assert!(!hash.contains(&token[7..]) && token.starts_with(prefix.as_str()));
    assert!(prefix.len() < 16, "the prefix cannot be used as the token");
    assert_eq!(scopes, "read");

    let (status, me) = get(&app, "/api/v1/me", &token).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["name"], "Dana Developer");
    assert_eq!(me["scopes"], json!(["read"]));
    assert_eq!(me["token_kind"], "personal");
    let resp = api_client()
        .get(app.url("/api/v1/me"))
        .header("authorization", format!("BEARER {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "the scheme is case-insensitive");

    let user = app
        .runway
        .user(me_id(&app, "dana").await)
        .await
        .unwrap()
        .unwrap();
    let page = runway_core::tokens::page(&app.runway, &user).await.unwrap();
    let listed = &page.personal[0];
    assert_eq!(listed.name, "laptop");
    assert!(listed.last_used_at.is_some(), "the use is recorded");
    assert_eq!(listed.last_used_ip.as_deref(), Some("127.0.0.1"));

    // The tokens page lists it without the token.
    let (status, html) = app.get_text("/settings/tokens").await;
    assert_eq!(status, 200);
    assert!(html.contains("laptop") && !html.contains(&token));

    let kinds: Vec<String> = on_pool!(&app.runway.db, pool =>
        sqlx::query_scalar("SELECT kind FROM audit_events WHERE kind = 'token_created'").fetch_all(pool).await)
    .unwrap();
    assert_eq!(kinds.len(), 1, "making a token is audited");
    app.stop().await;
}

async fn me_id(app: &TestApp, login: &str) -> i64 {
    on_pool!(&app.runway.db, pool =>
        sqlx::query_scalar("SELECT id FROM users WHERE subject = $1").bind(login).fetch_one(pool).await)
    .unwrap()
}

async fn unknown_revoked_and_expired_tokens_and_cookies_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = make_token(&app, "dana", "ci", &["read"]).await;

    // No token: 401 with a problem and the challenge.
    let resp = api_client()
        .get(app.url("/api/v1/actions"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    assert_eq!(resp.headers()["content-type"], "application/problem+json");
    assert!(resp.headers().contains_key("www-authenticate"));
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["type"], "https://runway.dev/problems/unauthorized");
    assert_eq!(body["status"], 401);

    // A signed-in browser's session cookie is not a credential here (no CSRF through the API).
    let resp = app
        .client
        .get(app.url("/api/v1/actions"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        401,
        "a session cookie does not work on the API"
    );
    let resp = app
        .client
        .post(app.url("/api/v1/actions/create-repo/requests"))
        .header("origin", &app.address)
        .header("content-type", "application/json")
        .body(format!(r#"{{"inputs": {REPO_INPUTS}}}"#))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);

    // A token never opens a page or a form post.
    let resp = api_client()
        .get(app.url("/"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303, "pages still ask to sign in");
    let resp = api_client()
        .post(app.url("/settings/tokens"))
        .bearer_auth(&token)
        .header("origin", &app.address)
        .form(&[("name", "x"), ("scopes", "read")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401, "form posts need a session");

    // Unknown, tampered and malformed tokens.
    let mut tampered = token.clone();
    tampered.replace_range(20..21, if &token[20..21] == "A" { "B" } else { "A" });
    for bad in [
        tampered.as_str(),
        "rw_pat_short",
        "",
        "Basic abc",
        &"x".repeat(5000),
    ] {
        let (status, _) = get(&app, "/api/v1/me", bad).await;
        assert_eq!(status, 401, "{bad:.20} is refused");
    }

    // Expired: refused at once.
    on_pool!(&app.runway.db, pool => sqlx::query("UPDATE api_tokens SET expires_at = $1")
        .bind(chrono::Utc::now() - chrono::Duration::seconds(1)).execute(pool).await.map(|r| r.rows_affected()))
    .unwrap();
    assert_eq!(get(&app, "/api/v1/me", &token).await.0, 401);
    on_pool!(&app.runway.db, pool => sqlx::query("UPDATE api_tokens SET expires_at = $1")
        .bind(chrono::Utc::now() + chrono::Duration::days(1)).execute(pool).await.map(|r| r.rows_affected()))
    .unwrap();
    assert_eq!(get(&app, "/api/v1/me", &token).await.0, 200);

    // Revoked by its owner from the settings page: refused from then on; audited.
    let id: i64 = on_pool!(&app.runway.db, pool =>
        sqlx::query_scalar("SELECT id FROM api_tokens").fetch_one(pool).await)
    .unwrap();
    // Another person cannot revoke it (it is as if it did not exist).
    app.sign_in("sam").await;
    assert_eq!(
        app.post_form(&format!("/settings/tokens/{id}/revoke"), "")
            .await
            .status(),
        404
    );
    assert_eq!(get(&app, "/api/v1/me", &token).await.0, 200);
    // An admin sees it among everyone's tokens and can revoke it (a leak, a leaver).
    app.sign_in("ada").await;
    let ada = app
        .runway
        .user(me_id(&app, "ada").await)
        .await
        .unwrap()
        .unwrap();
    let page = runway_core::tokens::page(&app.runway, &ada).await.unwrap();
    assert!(page
        .others
        .iter()
        .any(|t| t.id == id && t.created_by == "Dana Developer"));
    let (_, html) = app.get_text("/settings/tokens").await;
    assert!(
        html.contains("Everyone&#x27;s personal tokens")
            || html.contains("Everyone's personal tokens")
    );
    app.sign_in("dana").await;
    let resp = app
        .post_form(&format!("/settings/tokens/{id}/revoke"), "")
        .await;
    assert_eq!(resp.status(), 303);
    assert_eq!(get(&app, "/api/v1/me", &token).await.0, 401);
    let revoked: i64 = on_pool!(&app.runway.db, pool =>
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE kind = 'token_revoked'").fetch_one(pool).await)
    .unwrap();
    assert_eq!(revoked, 1);
    app.stop().await;
}

async fn scopes_narrow_what_a_token_may_do(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let read = make_token(&app, "dana", "reader", &["read"]).await;
    let (status, list) = get(&app, "/api/v1/actions", &read).await;
    assert_eq!(status, 200);
    assert!(list
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["id"] == "create-repo"));
    let (status, body) = post(
        &app,
        "/api/v1/actions/create-repo/requests",
        &read,
        &format!(r#"{{"inputs": {REPO_INPUTS}}}"#),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(
        body["type"],
        "https://runway.dev/problems/insufficient-scope"
    );
    let requests: i64 = on_pool!(&app.runway.db, pool =>
        sqlx::query_scalar("SELECT COUNT(*) FROM requests").fetch_one(pool).await)
    .unwrap();
    assert_eq!(requests, 0, "nothing was made");

    let (status, body) = post(&app, "/api/v1/requests/1/approve", &read, "{}").await;
    assert_eq!(status, 403, "{body}");

    // Creating a token with a bad scope, no scope, or too long a life is refused on the page.
    for bad in [
        "name=x&days=30&scopes=admin",
        "name=x&days=30",
        "name=x&days=9999&scopes=read",
        "name=&days=30&scopes=read",
        "name=x&days=soon&scopes=read",
    ] {
        assert_eq!(
            app.post_form("/settings/tokens", bad).await.status(),
            400,
            "{bad}"
        );
    }
    app.stop().await;
}

async fn submissions_are_validated_like_the_portal_and_idempotent(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = make_token(&app, "dana", "ci", &["read", "request"]).await;

    // The form as JSON Schema.
    let (status, action) = get(&app, "/api/v1/actions/create-repo", &token).await;
    assert_eq!(status, 200);
    let schema = &action["input_schema"];
    assert_eq!(schema["type"], "object");
    assert!(schema["required"]
        .as_array()
        .unwrap()
        .contains(&json!("name")));
    assert_eq!(schema["properties"]["team"]["enum"], json!(["payments"]));
    assert!(action["form"].as_array().is_some_and(|f| !f.is_empty()));

    // Mistakes: every field named, nothing made.
    let (status, body) = post(
        &app,
        "/api/v1/actions/create-repo/requests",
        &token,
        r#"{"inputs": {"name": "Not A Slug!", "team": "search"}}"#,
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["type"], "https://runway.dev/problems/invalid-inputs");
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    for f in ["name", "team", "description"] {
        assert!(fields.contains(&f), "{f} in {fields:?}");
    }
    for (bad, want) in [
        ("not json", 400),
        (r#"{"inputs": [1]}"#, 400),
        (r#"{"inputs": {"name": {"x": 1}}}"#, 422),
    ] {
        let (status, body) = post(&app, "/api/v1/actions/create-repo/requests", &token, bad).await;
        assert_eq!(status, want, "{bad}: {body}");
        assert!(body["title"].is_string(), "a problem: {body}");
    }
    let (status, _) = post(
        &app,
        "/api/v1/actions/no-such-action/requests",
        &token,
        r#"{"inputs": {}}"#,
    )
    .await;
    assert_eq!(status, 404);

    // A valid submission, then the same key again: one request.
    let send = |key: &'static str| {
        api_client()
            .post(app.url("/api/v1/actions/create-repo/requests"))
            .bearer_auth(&token)
            .header("idempotency-key", key)
            .header("content-type", "application/json")
            .body(format!(r#"{{"inputs": {REPO_INPUTS}}}"#))
            .send()
    };
    let first = send("build-4711").await.unwrap();
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let again = send("build-4711").await.unwrap();
    assert_eq!(again.status(), 200, "a repeat is not a new request");
    let again: Value = again.json().await.unwrap();
    assert_eq!(first["id"], again["id"]);
    assert_eq!(again["created"], false);
    let id = first["id"].as_i64().unwrap();
    // The same key with other inputs is a mistake, not a new request.
    let other = api_client()
        .post(app.url("/api/v1/actions/create-repo/requests"))
        .bearer_auth(&token)
        .header("idempotency-key", "build-4711")
        .header("content-type", "application/json")
        .body(
            REPO_INPUTS
                .replace("billing-api", "other-api")
                .replace("{", r#"{"inputs": {"#)
                + "}",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 422);
    let other: Value = other.json().await.unwrap();
    assert_eq!(
        other["type"],
        "https://runway.dev/problems/idempotency-key-reused"
    );
    // A key must be short visible ASCII.
    let bad_key = api_client()
        .post(app.url("/api/v1/actions/create-repo/requests"))
        .bearer_auth(&token)
        .header("idempotency-key", "has spaces in it")
        .header("content-type", "application/json")
        .body(format!(r#"{{"inputs": {REPO_INPUTS}}}"#))
        .send()
        .await
        .unwrap();
    assert_eq!(bad_key.status(), 400, "a malformed key is refused");

    let (channel, count): (String, i64) = on_pool!(&app.runway.db, pool =>
        sqlx::query_as("SELECT MAX(channel), COUNT(*) FROM requests").fetch_one(pool).await)
    .unwrap();
    assert_eq!((channel.as_str(), count), ("api", 1));
    let via: Option<String> = on_pool!(&app.runway.db, pool =>
        sqlx::query_scalar("SELECT via FROM audit_events WHERE kind = 'request_submitted'").fetch_one(pool).await)
    .unwrap();
    assert!(via.is_some_and(|v| v.starts_with("token:") && v.ends_with(" ci")));

    // The request, its log, its place in history; someone else's token does not see it.
    let (status, req) = get(&app, &format!("/api/v1/requests/{id}"), &token).await;
    assert_eq!(status, 200);
    assert_eq!(req["action_id"], "create-repo");
    assert_eq!(req["status"], "queued");
    assert_eq!(req["channel"], "api");
    assert_eq!(req["origin"], "through the API");
    assert!(req["url"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/requests/{id}")));
    let (status, log) = get(&app, &format!("/api/v1/requests/{id}/log"), &token).await;
    assert_eq!(status, 200);
    assert!(log["lines"].is_array());
    let (status, page) = get(&app, "/api/v1/requests?status=queued", &token).await;
    assert_eq!(status, 200);
    assert_eq!(page["items"][0]["id"], id);
    let (status, _) = get(&app, "/api/v1/requests?from=yesterday", &token).await;
    assert_eq!(status, 400);
    let sams = make_token(&app, "sam", "sams", &["read", "request"]).await;
    assert_eq!(
        get(&app, &format!("/api/v1/requests/{id}"), &sams).await.0,
        404
    );
    assert_eq!(
        post(&app, &format!("/api/v1/requests/{id}/cancel"), &sams, "")
            .await
            .0,
        404
    );

    // Cancel through the API: audited with the token.
    let (status, body) = post(&app, &format!("/api/v1/requests/{id}/cancel"), &token, "").await;
    assert_eq!(status, 200, "{body}");
    let via: Option<String> = on_pool!(&app.runway.db, pool =>
        sqlx::query_scalar("SELECT via FROM audit_events WHERE kind = 'request_cancelled'").fetch_one(pool).await)
    .unwrap();
    assert!(via.is_some_and(|v| v.starts_with("token:")));
    // Cancelling it again is too late, not forbidden: 409 with its own problem type.
    let (status, body) = post(&app, &format!("/api/v1/requests/{id}/cancel"), &token, "").await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["type"], "https://runway.dev/problems/already-finished");
    let (status, body) = post(&app, &format!("/api/v1/requests/{id}/retry"), &token, "").await;
    assert_eq!(status, 403, "retrying is the owning team's: {body}");
    let ada = make_token(&app, "ada", "admin", &["read", "request"]).await;
    let (status, body) = post(&app, &format!("/api/v1/requests/{id}/retry"), &ada, "").await;
    assert_eq!(status, 403, "and only of a failed request: {body}");
    // Two calls at once with one key and different inputs: one request, one refusal.
    let racer = |name: &'static str| {
        api_client()
            .post(app.url("/api/v1/actions/create-repo/requests"))
            .bearer_auth(&token)
            .header("idempotency-key", "race-1")
            .header("content-type", "application/json")
            .body(format!(
                r#"{{"inputs": {}}}"#,
                REPO_INPUTS.replace("billing-api", name)
            ))
            .send()
    };
    let (a, b) = tokio::join!(racer("racer-one"), racer("racer-two"));
    let mut codes = [a.unwrap().status().as_u16(), b.unwrap().status().as_u16()];
    codes.sort_unstable();
    assert_eq!(codes, [201, 422], "exactly one request for one key");
    app.stop().await;
}

/// Dana's token and the event stream of a request she made with it.
async fn a_request_to_follow(app: &TestApp) -> (String, String) {
    let token = make_token(app, "dana", "ci", &["read", "request"]).await;
    let (status, made) = post(
        app,
        "/api/v1/actions/service-database/requests",
        &token,
        r#"{"inputs": {"service": "billing", "team": "payments", "engine": "postgres", "size": "small", "environment": "staging", "backups": false}}"#,
    )
    .await;
    assert_eq!(status, 201);
    (token, format!("/api/v1/requests/{}/events", made["id"]))
}

async fn a_token_holds_at_most_ten_event_streams(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (token, path) = a_request_to_follow(&app).await;
    let mut open = Vec::new();
    for _ in 0..10 {
        let resp = api_client()
            .get(app.url(&path))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.headers()["content-type"], "text/event-stream");
        open.push(resp);
    }
    let (status, body, headers) = call(&app, reqwest::Method::GET, &path, &token, None).await;
    assert_eq!(status, 429, "{body}");
    assert!(headers.contains_key("retry-after"));
    // The count holds across processes: a second `serve` on the same database (a replica behind a
    // load balancer) refuses the eleventh too.
    let replica = app.replica().await;
    let open_on = |base: String| {
        let (path, token) = (path.clone(), token.clone());
        async move {
            api_client()
                .get(format!("{base}{path}"))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap()
        }
    };
    assert_eq!(open_on(replica.address.clone()).await.status(), 429);
    let rows = || async {
        let n: i64 = on_pool!(&app.runway.db, pool =>
            sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM api_streams").fetch_one(pool).await)
        .unwrap();
        n
    };
    assert_eq!(rows().await, 10);
    // Closing one frees its place, on either process.
    drop(open.pop());
    let mut freed = None;
    for _ in 0..50 {
        let resp = open_on(replica.address.clone()).await;
        if resp.status() == 200 {
            freed = Some(resp);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let on_replica = freed.expect("a closed stream gives its place back");
    // A process that dies leaves its places taken only until their leases run out (here: made to
    // have run out); then they count no more, and housekeeping deletes them.
    on_pool!(&app.runway.db, pool =>
        sqlx::query("UPDATE api_streams SET expires_us = $1")
            .bind(chrono::Utc::now().timestamp_micros() - 1)
            .execute(pool).await.map(|r| r.rows_affected()))
    .unwrap();
    let fresh = open_on(app.address.clone()).await;
    assert_eq!(fresh.status(), 200);
    runway_server::startup::housekeeping(&app.runway, chrono::Utc::now()).await;
    assert_eq!(rows().await, 1, "only the stream opened since is left");
    // A process that stops gives back the places of the streams it still holds.
    drop(on_replica);
    replica.stop().await;
    drop(fresh);
    drop(open);
    app.stop().await;
}

async fn a_stopping_server_gives_back_its_event_streams(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (token, path) = a_request_to_follow(&app).await;
    let replica = app.replica().await;
    let url = format!("{}{path}", replica.address);
    let mut open = Vec::new();
    for _ in 0..3 {
        let resp = api_client()
            .get(&url)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        open.push(resp);
    }
    let count = || async {
        let n: i64 = on_pool!(&app.runway.db, pool =>
            sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM api_streams").fetch_one(pool).await)
        .unwrap();
        n
    };
    assert_eq!(count().await, 3);
    // The replica shuts down while its streams are open: they end (graceful shutdown waited for
    // them for as long as they lasted, up to an hour, before) and none is left counted.
    tokio::time::timeout(std::time::Duration::from_secs(30), replica.stop())
        .await
        .expect("a server with open event streams stops");
    drop(open);
    assert_eq!(count().await, 0);
    app.stop().await;
}

async fn event_stream_places_are_leases_kept_in_the_database(backend: Backend) {
    use runway_core::db::api_streams;
    let app = TestApp::spawn(backend).await;
    make_token(&app, "dana", "ci", &["read"]).await;
    let db = &app.runway.db;
    let token: i64 = on_pool!(db, pool =>
        sqlx::query_scalar("SELECT id FROM api_tokens").fetch_one(pool).await)
    .unwrap();
    let (now, lease) = (1_000_000_000_i64, 90_000_000_i64);
    let open =
        |instance: &'static str, at: i64| api_streams::open(db, token, instance, 2, at, at + lease);
    let a = open("a", now).await.unwrap().expect("first place");
    open("b", now).await.unwrap().expect("second place");
    assert_eq!(open("a", now).await.unwrap(), None, "two at most");
    // Leases that ran out count no more; housekeeping deletes them.
    let later = now + lease + 1;
    assert!(open("a", later).await.unwrap().is_some());
    assert_eq!(api_streams::forget_expired(db, later).await.unwrap(), 2);
    // A stream still open whose row went (its renewals failed for a whole lease) is counted again
    // at its next renewal, when a place is free.
    let renew = |id: i64, at: i64| api_streams::renew(db, id, token, "a", 2, at, at + lease);
    assert!(renew(a, later).await.unwrap(), "a place was free");
    assert_eq!(open("b", later).await.unwrap(), None);
    // A live lease is moved on.
    assert!(renew(a, later + 10).await.unwrap());
    // A closed stream, and a stopped process's streams, give their places back.
    api_streams::close(db, a).await.unwrap();
    let b = open("b", later).await.unwrap().expect("a's place");
    // A stream whose lease ran out while others took every place must end: its renewal is
    // refused, its row is gone, and the token holds its two places, no more.
    let at = later + lease + 1;
    let c = open("c", at).await.unwrap().expect("b's lease ran out");
    open("c", at).await.unwrap().expect("a second place");
    assert!(!renew(b, at).await.unwrap(), "no place is left for b");
    assert_eq!(api_streams::open_count(db, at).await.unwrap(), 2);
    assert!(!renew(b, at).await.unwrap(), "still none");
    // When one closes, the next renewal of a stream that lost its place may take it again.
    api_streams::close(db, c).await.unwrap();
    assert!(renew(b, at).await.unwrap());
    assert_eq!(api_streams::open_count(db, at).await.unwrap(), 2);
    // A stopped process's streams give their places back: "c"'s second, and on "a" the one
    // opened after the first leases ran out and b, renewed there.
    assert_eq!(api_streams::close_instance(db, "c").await.unwrap(), 1);
    assert_eq!(api_streams::close_instance(db, "a").await.unwrap(), 2);
    assert_eq!(api_streams::open_count(db, at).await.unwrap(), 0);
    app.stop().await;
}

/// A stream's renewal that cannot reach the database ends the stream (its place cannot be
/// vouched for), rather than letting it go on uncounted.
async fn an_event_stream_whose_lease_cannot_be_renewed_ends(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    make_token(&app, "dana", "ci", &["read"]).await;
    let db = app.runway.db.clone();
    let token: i64 = on_pool!(&db, pool =>
        sqlx::query_scalar("SELECT id FROM api_tokens").fetch_one(pool).await)
    .unwrap();
    let streams = std::sync::Arc::new(runway_server::api::limits::Streams::new(db.clone()));
    let slot = streams.acquire(token).await.unwrap().expect("a place");
    assert!(slot.renew().await, "a live lease is renewed");
    db.close().await;
    assert!(!slot.renew().await, "no database: the stream ends");
    drop(slot);
    app.stop().await;
}

async fn approvals_follow_the_portal_rules(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let dana = make_token(&app, "dana", "dana", &["read", "request", "approve"]).await;
    let lee = make_token(&app, "lee", "lee", &["read", "approve"]).await;
    let (status, made) = post(
        &app,
        "/api/v1/actions/service-database/requests",
        &dana,
        r#"{"inputs": {"service": "billing", "team": "payments", "engine": "postgres", "size": "small", "environment": "staging", "backups": false}}"#,
    )
    .await;
    assert_eq!(status, 201, "{made}");
    assert_eq!(made["status"], "pending_approval");
    let id = made["id"].as_i64().unwrap();

    // Nobody approves their own request.
    let (status, body) = post(&app, &format!("/api/v1/requests/{id}/approve"), &dana, "{}").await;
    assert_eq!(status, 403, "{body}");
    // The lead sees it waiting; a rejection needs a comment.
    let (status, inbox) = get(&app, "/api/v1/approvals", &lee).await;
    assert_eq!(status, 200);
    assert_eq!(inbox["items"][0]["id"], id);
    let (status, body) = post(&app, &format!("/api/v1/requests/{id}/reject"), &lee, "{}").await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["errors"][0]["field"], "comment");
    let (status, body) = post(
        &app,
        &format!("/api/v1/requests/{id}/approve"),
        &lee,
        r#"{"comment": "fine"}"#,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "queued");
    let (status, body) = post(&app, &format!("/api/v1/requests/{id}/approve"), &lee, "{}").await;
    assert_eq!(status, 409, "{body}");
    app.stop().await;
}

async fn a_tokens_rights_are_its_owners_at_the_time_of_use(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = make_token(&app, "dana", "ci", &["read"]).await;
    // deploy-pipeline is in beta for payments and data.
    assert_eq!(
        get(&app, "/api/v1/actions/deploy-pipeline", &token).await.0,
        200
    );
    let dana = me_id(&app, "dana").await;
    on_pool!(&app.runway.db, pool => sqlx::query("DELETE FROM team_memberships WHERE user_id = $1")
        .bind(dana).execute(pool).await.map(|r| r.rows_affected()))
    .unwrap();
    app.runway.forget_user(dana);
    assert_eq!(
        get(&app, "/api/v1/actions/deploy-pipeline", &token).await.0,
        404,
        "leaving the team takes its actions from the token"
    );
    let (_, me) = get(&app, "/api/v1/me", &token).await;
    assert_eq!(me["teams"], json!([]));

    // Teams come from the identity provider at sign-in: a personal token stops working once its
    // owner has not signed in for api.owner_sign_in_days (30), and works again after a sign-in.
    let long_ago = chrono::Utc::now() - chrono::Duration::days(31);
    on_pool!(&app.runway.db, pool => sqlx::query("UPDATE users SET last_login_at = $1 WHERE id = $2")
        .bind(long_ago).bind(dana).execute(pool).await.map(|r| r.rows_affected()))
    .unwrap();
    let (status, body) = get(&app, "/api/v1/me", &token).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["type"], "https://runway.dev/problems/sign-in-needed");
    assert!(body["detail"].as_str().unwrap().contains("30 days"));
    app.sign_in("dana").await;
    assert_eq!(get(&app, "/api/v1/me", &token).await.0, 200);
    app.stop().await;
}

async fn service_tokens_act_for_their_team_and_never_approve(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // A developer cannot make one for their team; its lead can.
    app.sign_in("dana").await;
    let resp = app
        .post_form(
            "/settings/tokens/service",
            "team=payments&name=ci-bot&days=30&scopes=read&scopes=request",
        )
        .await;
    assert_eq!(resp.status(), 403);
    app.sign_in("lee").await;
    let resp = app
        .post_form(
            "/settings/tokens/service",
            "team=payments&name=ci-bot&days=30&scopes=approve",
        )
        .await;
    assert_eq!(resp.status(), 400, "a service token cannot approve");
    let resp = app
        .post_form(
            "/settings/tokens/service",
            "team=search&name=ci-bot&days=30&scopes=read",
        )
        .await;
    assert_eq!(resp.status(), 403, "only for a team the lead leads");
    let resp = app
        .post_form(
            "/settings/tokens/service",
            "team=payments&name=ci-bot&days=30&scopes=read&scopes=request",
        )
        .await;
    assert_eq!(resp.status(), 201);
    let token = token_in(&resp.text().await.unwrap());
    assert!(token.starts_with("rw_svc_"));

    let (status, me) = get(&app, "/api/v1/me", &token).await;
    assert_eq!(status, 200);
    assert_eq!(me["name"], "ci-bot (service, payments)");
    assert_eq!(me["teams"], json!(["payments"]));
    assert_eq!(me["is_admin"], false);
    let (status, made) = post(
        &app,
        "/api/v1/actions/create-repo/requests",
        &token,
        &format!(r#"{{"inputs": {REPO_INPUTS}}}"#),
    )
    .await;
    assert_eq!(status, 201, "{made}");
    let (status, req) = get(&app, &format!("/api/v1/requests/{}", made["id"]), &token).await;
    assert_eq!(status, 200);
    assert_eq!(req["requester"], "ci-bot (service, payments)");
    assert_eq!(req["team"], "payments");
    // Its maker answers for what it requests: the lead cannot approve a request made with it.
    let (status, pending) = post(
        &app,
        "/api/v1/actions/service-database/requests",
        &token,
        r#"{"inputs": {"service": "billing", "team": "payments", "engine": "postgres", "size": "small", "environment": "staging", "backups": false}}"#,
    )
    .await;
    assert_eq!(status, 201, "{pending}");
    let lee = make_token(&app, "lee", "lee", &["read", "approve"]).await;
    let (_, inbox) = get(&app, "/api/v1/approvals", &lee).await;
    assert_eq!(inbox["total"], 0, "not in the maker's inbox: {inbox}");
    let (status, body) = post(
        &app,
        &format!("/api/v1/requests/{}/approve", pending["id"]),
        &lee,
        "{}",
    )
    .await;
    assert_eq!(status, 403, "the token's maker may not approve: {body}");
    app.sign_in("lee").await;
    // The lead sees it listed under the team's service tokens.
    let (status, html) = app.get_text("/settings/tokens").await;
    assert_eq!(status, 200);
    assert!(html.contains("ci-bot (payments)"), "listed for the lead");
    // Another team's service tokens are not listed for this lead (filtered in SQL); an admin's
    // page lists every team's.
    app.sign_in("ada").await;
    let resp = app
        .post_form(
            "/settings/tokens/service",
            "team=search&name=search-bot&days=30&scopes=read",
        )
        .await;
    assert_eq!(resp.status(), 201);
    let (_, html) = app.get_text("/settings/tokens").await;
    assert!(
        html.contains("ci-bot (payments)") && html.contains("search-bot (search)"),
        "an admin sees every team's"
    );
    app.sign_in("lee").await;
    let (_, html) = app.get_text("/settings/tokens").await;
    assert!(
        html.contains("ci-bot (payments)") && !html.contains("search-bot"),
        "only the lead's own teams'"
    );
    // The request page says who made it and how: by the service, for its team, through the API.
    let (status, html) = app.get_text(&format!("/requests/{}", made["id"])).await;
    assert_eq!(status, 200);
    let text = html.replace("<!>", "");
    assert!(
        text.contains("Requested by ci-bot (service, payments) for payments through the API"),
        "byline: {text}"
    );
    app.stop().await;
}

/// Polls a request through the API until it has finished; returns it.
async fn api_wait_final(app: &TestApp, id: i64, token: &str) -> Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let (status, req) = get(app, &format!("/api/v1/requests/{id}"), token).await;
        assert_eq!(status, 200, "{req}");
        if req["is_final"] == true {
            return req;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "request {id} did not finish: {req}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// The `via` of the newest audit event of `kind`.
async fn audit_via(app: &TestApp, kind: &str) -> String {
    let via: Option<String> = on_pool!(&app.runway.db, pool =>
        sqlx::query_scalar("SELECT via FROM audit_events WHERE kind = $1 ORDER BY id DESC LIMIT 1")
            .bind(kind).fetch_one(pool).await)
    .unwrap();
    via.unwrap_or_default()
}

async fn secrets_retries_and_rejections_through_the_api(backend: Backend) {
    let (app, _dirs) = crate::requests::spawn_working(backend).await;
    let dana = make_token(&app, "dana", "ci", &["read", "request"]).await;
    let sam = make_token(&app, "sam", "sams", &["read", "request"]).await;

    // A certificate: the key is a secret result, never in the request as read, revealed once.
    let (status, made) = post(
        &app,
        "/api/v1/actions/tls-certificate/requests",
        &dana,
        r#"{"inputs": {"common_name": "api.payments.example.internal", "dns_names": "api.payments.svc.cluster.local", "validity_days": 30, "key_type": "ecdsa-p256", "team": "payments", "own_csr": false}}"#,
    )
    .await;
    assert_eq!(status, 201, "{made}");
    let id = made["id"].as_i64().unwrap();
    let req = api_wait_final(&app, id, &dana).await;
    assert_eq!(req["status"], "succeeded", "{req}");
    let text = req.to_string();
    assert!(
        text.contains("BEGIN CERTIFICATE"),
        "the certificate is a result: {text}"
    );
    assert!(!text.contains("PRIVATE KEY"), "the key is not: {text}");
    let key = req["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == "private_key")
        .expect("the key is listed")
        .clone();
    assert_eq!(key["kind"], "secret");
    assert_eq!(key["value"], Value::Null);
    assert_eq!(key["secret_waiting"], true);
    let reveal = format!("/api/v1/requests/{id}/secrets/private_key");
    // Not the requester: nothing to reveal, and the key stays for its owner.
    let (status, body) = post(&app, &reveal, &sam, "").await;
    assert_eq!(status, 410, "{body}");
    let (status, body, headers) = call(&app, reqwest::Method::POST, &reveal, &dana, None).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["value"].as_str().unwrap().contains("PRIVATE KEY"));
    assert_eq!(headers["cache-control"], "no-store");
    assert!(audit_via(&app, "secret_revealed")
        .await
        .starts_with("token:"));
    let (status, body) = post(&app, &reveal, &dana, "").await;
    assert_eq!(status, 410, "shown once: {body}");
    assert_eq!(body["type"], "https://runway.dev/problems/secret-gone");

    // A failed request run again by an admin's token.
    let repo = format!(r#"{{"inputs": {REPO_INPUTS}}}"#);
    let (_, first) = post(&app, "/api/v1/actions/create-repo/requests", &dana, &repo).await;
    assert_eq!(
        api_wait_final(&app, first["id"].as_i64().unwrap(), &dana).await["status"],
        "succeeded"
    );
    let (_, again) = post(&app, "/api/v1/actions/create-repo/requests", &dana, &repo).await;
    let again = again["id"].as_i64().unwrap();
    let failed = api_wait_final(&app, again, &dana).await;
    assert_eq!(failed["status"], "failed");
    assert!(
        failed["errors"].to_string().contains("already exists"),
        "{failed}"
    );
    let ada = make_token(&app, "ada", "admin", &["read", "request"]).await;
    let (status, body) = post(&app, &format!("/api/v1/requests/{again}/retry"), &ada, "").await;
    assert_eq!(status, 200, "{body}");
    // Queued again, or already taken by the in-process worker.
    assert!(
        ["queued", "running", "failed"].contains(&body["status"].as_str().unwrap_or("")),
        "{body}"
    );
    assert!(audit_via(&app, "request_retried")
        .await
        .starts_with("token:"));
    api_wait_final(&app, again, &dana).await;

    // A rejection with its comment, by the lead's token.
    let (status, pending) = post(
        &app,
        "/api/v1/actions/service-database/requests",
        &dana,
        r#"{"inputs": {"service": "billing", "team": "payments", "engine": "postgres", "size": "small", "environment": "staging", "backups": false}}"#,
    )
    .await;
    assert_eq!(status, 201, "{pending}");
    let lee = make_token(&app, "lee", "lee", &["read", "approve"]).await;
    let (status, body) = post(
        &app,
        &format!("/api/v1/requests/{}/reject", pending["id"]),
        &lee,
        r#"{"comment": "Use the shared cluster instead."}"#,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "rejected");
    assert!(audit_via(&app, "approval_decided")
        .await
        .starts_with("token:"));
    let (_, req) = get(&app, &format!("/api/v1/requests/{}", pending["id"]), &dana).await;
    assert!(
        req["events"]
            .to_string()
            .contains("Use the shared cluster instead."),
        "{req}"
    );
    app.stop().await;
}

async fn history_pages_and_filters_through_the_api(backend: Backend) {
    let app = TestApp::builder(backend)
        .with_settings(|s| s.api.rate_per_minute = 1000)
        .spawn()
        .await;
    let dana = make_token(&app, "dana", "ci", &["read", "request"]).await;
    let mut made = Vec::new();
    for i in 0..55 {
        let inputs = REPO_INPUTS.replace("billing-api", &format!("repo-{i:02}"));
        let (status, body) = post(
            &app,
            "/api/v1/actions/create-repo/requests",
            &dana,
            &format!(r#"{{"inputs": {inputs}}}"#),
        )
        .await;
        assert_eq!(status, 201, "{body}");
        made.push(body["id"].as_i64().unwrap());
    }
    let (status, pending) = post(
        &app,
        "/api/v1/actions/service-database/requests",
        &dana,
        r#"{"inputs": {"service": "billing", "team": "payments", "engine": "postgres", "size": "small", "environment": "staging", "backups": false}}"#,
    )
    .await;
    assert_eq!(status, 201, "{pending}");
    // Newest first, 50 a page, then the rest from the cursor; nothing twice, nothing left out.
    let (status, page) = get(&app, "/api/v1/requests?action=create-repo", &dana).await;
    assert_eq!(status, 200, "{page}");
    let ids = |p: &Value| -> Vec<i64> {
        p["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_i64().unwrap())
            .collect()
    };
    let first = ids(&page);
    assert_eq!(first.len(), 50);
    let before = page["next_before"]
        .as_i64()
        .expect("a cursor to the next page");
    let (_, rest) = get(
        &app,
        &format!("/api/v1/requests?action=create-repo&before={before}"),
        &dana,
    )
    .await;
    let mut all = first.clone();
    all.extend(ids(&rest));
    assert_eq!(rest["next_before"], Value::Null, "the last page");
    let mut expected = made.clone();
    expected.reverse();
    assert_eq!(all, expected);
    // Filters: by action, by status, by words in the inputs, by team.
    let (_, db) = get(&app, "/api/v1/requests?action=service-database", &dana).await;
    assert_eq!(ids(&db), vec![pending["id"].as_i64().unwrap()]);
    let (_, waiting) = get(&app, "/api/v1/requests?status=pending_approval", &dana).await;
    assert_eq!(ids(&waiting), vec![pending["id"].as_i64().unwrap()]);
    let (_, found) = get(&app, "/api/v1/requests?q=repo-07", &dana).await;
    assert_eq!(ids(&found), vec![made[7]]);
    let lee = make_token(&app, "lee", "lee", &["read"]).await;
    let (status, team) = get(&app, "/api/v1/requests?scope=team&team=payments", &lee).await;
    assert_eq!(status, 200, "{team}");
    assert_eq!(ids(&team).len(), 50, "the lead sees the team's requests");
    let sam = make_token(&app, "sam", "sams", &["read"]).await;
    let (status, other) = get(&app, "/api/v1/requests?scope=team&team=payments", &sam).await;
    assert_eq!(status, 403, "not another team's: {other}");
    let (status, _) = get(&app, "/api/v1/requests?before=abc", &dana).await;
    assert_eq!(status, 400);
    app.stop().await;
}

async fn token_lifetimes_follow_the_settings(backend: Backend) {
    let app = TestApp::builder(backend)
        .with_settings(|s| {
            s.api.token_default_days = 3;
            s.api.token_max_days = 7;
        })
        .spawn()
        .await;
    app.sign_in("dana").await;
    let expires = |name: &'static str| {
        let db = app.runway.db.clone();
        async move {
            let at: chrono::DateTime<chrono::Utc> = on_pool!(&db, pool =>
                sqlx::query_scalar("SELECT expires_at FROM api_tokens WHERE name = $1").bind(name).fetch_one(pool).await)
            .unwrap();
            (at - chrono::Utc::now()).num_hours()
        }
    };
    // Left out: the installation's default.
    let resp = app
        .post_form("/settings/tokens", "name=plain&scopes=read")
        .await;
    assert_eq!(resp.status(), 201);
    assert!((71..=72).contains(&expires("plain").await));
    // The most the installation allows, and one day more.
    let resp = app
        .post_form("/settings/tokens", "name=longest&days=7&scopes=read")
        .await;
    assert_eq!(resp.status(), 201);
    assert!((167..=168).contains(&expires("longest").await));
    let resp = app
        .post_form("/settings/tokens", "name=toolong&days=8&scopes=read")
        .await;
    assert_eq!(resp.status(), 400);
    assert!(resp.text().await.unwrap().contains("from 1 to 7 days"));
    app.stop().await;
}

async fn calls_over_the_rate_limit_get_429_with_retry_after(backend: Backend) {
    let app = TestApp::builder(backend)
        .with_settings(|s| s.api.rate_per_minute = 3)
        .spawn()
        .await;
    let token = make_token(&app, "dana", "ci", &["read"]).await;
    for _ in 0..3 {
        assert_eq!(get(&app, "/api/v1/me", &token).await.0, 200);
    }
    let (status, body, headers) =
        call(&app, reqwest::Method::GET, "/api/v1/me", &token, None).await;
    assert_eq!(status, 429, "{body}");
    let wait: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    assert_eq!(body["type"], "https://runway.dev/problems/rate-limited");
    // Another person's token has its own budget.
    let other = make_token(&app, "sam", "sams", &["read"]).await;
    assert_eq!(get(&app, "/api/v1/me", &other).await.0, 200);
    app.stop().await;
}

async fn replicas_share_one_rate_limit_budget(backend: Backend) {
    // Two `serve` processes on one database, as behind a load balancer: calls spread over both
    // take from one budget, so a client cannot get N times the limit from N replicas.
    let app = TestApp::builder(backend)
        .with_settings(|s| {
            s.api.rate_per_minute = 4;
            s.api.rate_per_person_per_minute = 4;
        })
        .spawn()
        .await;
    let token = make_token(&app, "dana", "ci", &["read"]).await;
    let bucket_rows = || async {
        let rows: Vec<(String, i64)> = on_pool!(&app.runway.db, pool =>
            sqlx::query_as("SELECT bucket, tat_us FROM api_rate_limits ORDER BY bucket")
                .fetch_all(pool).await)
        .unwrap();
        rows
    };
    if backend == Backend::Sqlite {
        // SQLite serves from one process (no replicas): the buckets stay in its memory and a
        // call writes nothing.
        for _ in 0..4 {
            assert_eq!(get(&app, "/api/v1/me", &token).await.0, 200);
        }
        assert_eq!(get(&app, "/api/v1/me", &token).await.0, 429);
        assert!(bucket_rows().await.is_empty());
        app.stop().await;
        return;
    }
    let replica = app.replica().await;
    let me = |base: &str| {
        api_client()
            .get(format!("{base}/api/v1/me"))
            .bearer_auth(&token)
            .send()
    };
    for i in 0..4 {
        let base = if i % 2 == 0 {
            &app.address
        } else {
            &replica.address
        };
        assert_eq!(me(base).await.unwrap().status(), 200, "call {i}");
    }
    for base in [&app.address, &replica.address] {
        let resp = me(base).await.unwrap();
        assert_eq!(resp.status(), 429, "{base}");
        let wait: u64 = resp.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        // A budget of 4 a minute refills one call every 15 seconds.
        assert!((1..=15).contains(&wait), "{wait}");
    }
    // A refused call takes nothing: the bucket stands where the fourth call left it.
    let rows = bucket_rows().await;
    let now = chrono::Utc::now().timestamp_micros();
    let token_bucket = rows.iter().find(|(b, _)| b.starts_with("token:")).unwrap();
    let ahead = token_bucket.1 - now;
    assert!(ahead > 45_000_000 && ahead <= 60_000_000, "{rows:?}");
    // Housekeeping forgets only the buckets that are full again: these are not.
    runway_server::startup::housekeeping(&app.runway, chrono::Utc::now()).await;
    let left: i64 = on_pool!(&app.runway.db, pool =>
        sqlx::query_scalar("SELECT COUNT(*) FROM api_rate_limits").fetch_one(pool).await)
    .unwrap();
    assert_eq!(left, 2);
    on_pool!(&app.runway.db, pool =>
        sqlx::query("UPDATE api_rate_limits SET tat_us = $1").bind(now - 1).execute(pool).await.map(|r| r.rows_affected()))
    .unwrap();
    runway_server::startup::housekeeping(&app.runway, chrono::Utc::now()).await;
    let left: i64 = on_pool!(&app.runway.db, pool =>
        sqlx::query_scalar("SELECT COUNT(*) FROM api_rate_limits").fetch_one(pool).await)
    .unwrap();
    assert_eq!(left, 0);
    // A full bucket (no row) allows the whole burst again, on either replica.
    assert_eq!(me(&replica.address).await.unwrap().status(), 200);
    replica.stop().await;
    app.stop().await;
}

async fn rate_limit_buckets_move_all_or_none_under_concurrent_calls(backend: Backend) {
    // `rate_limits::take` itself, as every replica calls it at once: 40 calls race for a person's
    // 10 a minute through one token with room for 100.
    use runway_core::db::{rate_limits, Db};
    let test_db = TestDb::new(backend).await;
    let db = Db::connect(&test_db.url, 20).await.unwrap();
    db.migrate().await.unwrap();
    let now = chrono::Utc::now().timestamp_micros();
    let calls: Vec<_> = (0..40)
        .map(|_| {
            let db = db.clone();
            tokio::spawn(async move {
                rate_limits::take(&db, &[("token:a", 100), ("person:p", 10)], now).await
            })
        })
        .collect();
    let mut allowed = 0;
    for call in calls {
        match call.await.unwrap().unwrap() {
            None => allowed += 1,
            // 10 a minute refill one every 6 seconds; at the same instant, the wait is a whole one.
            Some(wait) => assert_eq!(wait, 6_000_000),
        }
    }
    assert_eq!(allowed, 10, "exactly the person's budget is handed out");
    let tat = |bucket: &'static str| {
        let db = db.clone();
        async move {
            let t: Option<i64> = on_pool!(&db, pool =>
                sqlx::query_scalar("SELECT tat_us FROM api_rate_limits WHERE bucket = $1")
                    .bind(bucket).fetch_optional(pool).await)
            .unwrap();
            t
        }
    };
    // The token's bucket moved once per allowed call (100 a minute: 0.6 s each), never for the 30
    // refused.
    assert_eq!(tat("token:a").await, Some(now + 10 * 600_000));
    assert_eq!(tat("person:p").await, Some(now + 60_000_000));
    // Refused by the person, a new token's bucket stays full (no row, or one whose time is now).
    assert_eq!(
        rate_limits::take(&db, &[("token:b", 100), ("person:p", 10)], now)
            .await
            .unwrap(),
        Some(6_000_000)
    );
    assert!(tat("token:b").await.is_none_or(|t| t <= now));
    // A refusing first bucket tells its own wait; six seconds on, the person has one call again.
    assert_eq!(
        rate_limits::take(&db, &[("person:p", 10)], now + 1_000_000)
            .await
            .unwrap(),
        Some(5_000_000)
    );
    assert_eq!(
        rate_limits::take(&db, &[("token:b", 100), ("person:p", 10)], now + 6_000_000)
            .await
            .unwrap(),
        None
    );
    assert_eq!(tat("token:b").await, Some(now + 6_000_000 + 600_000));
    // No bucket: nothing to refuse.
    assert_eq!(rate_limits::take(&db, &[], now).await.unwrap(), None);
}

async fn service_tokens_share_their_makers_budget(backend: Backend) {
    let app = TestApp::builder(backend)
        .with_settings(|s| {
            s.api.rate_per_minute = 100;
            s.api.rate_per_person_per_minute = 4;
        })
        .spawn()
        .await;
    // Lee makes two service tokens under two names (two service accounts): together they get
    // Lee's one per-person budget, not one each.
    app.sign_in("lee").await;
    let mut tokens = Vec::new();
    for name in ["bot-a", "bot-b"] {
        let resp = app
            .post_form(
                "/settings/tokens/service",
                &format!("team=payments&name={name}&days=30&scopes=read"),
            )
            .await;
        assert_eq!(resp.status(), 201);
        tokens.push(token_in(&resp.text().await.unwrap()));
    }
    for i in 0..4 {
        assert_eq!(
            get(&app, "/api/v1/me", &tokens[i % 2]).await.0,
            200,
            "call {i}"
        );
    }
    let buckets = || async {
        let rows: Vec<(String, i64)> = on_pool!(&app.runway.db, pool =>
            sqlx::query_as("SELECT bucket, tat_us FROM api_rate_limits ORDER BY bucket")
                .fetch_all(pool).await)
        .unwrap();
        rows
    };
    let before = buckets().await;
    assert_eq!(get(&app, "/api/v1/me", &tokens[0]).await.0, 429);
    assert_eq!(get(&app, "/api/v1/me", &tokens[1]).await.0, 429);
    if backend == Backend::Postgres {
        // Refused by Lee's budget, the calls took nothing from their tokens' budgets either (on
        // SQLite the buckets are in memory: `limits::tests`).
        assert_eq!(before.len(), 3, "two tokens and Lee: {before:?}");
        assert_eq!(buckets().await, before);
    }
    // Someone else is not affected.
    let sams = make_token(&app, "sam", "sams", &["read"]).await;
    assert_eq!(get(&app, "/api/v1/me", &sams).await.0, 200);
    app.stop().await;
}

async fn the_openapi_document_describes_exactly_the_api(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let resp = api_client()
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let doc: Value = resp.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let mut documented = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            documented.push((method.to_uppercase(), path.clone()));
            assert!(
                op["responses"].as_object().is_some_and(|r| !r.is_empty()),
                "{path}"
            );
            let meta = path.ends_with("openapi.json") || path.ends_with("/docs");
            assert_eq!(
                op.get("security").is_some(),
                !meta,
                "{method} {path} security"
            );
        }
    }
    documented.sort();
    // The router is built from the document, so it serves exactly these; every documented
    // operation has its handler.
    let mut served = runway_server::api::api_routes();
    served.sort();
    assert_eq!(documented, served, "every route documented, nothing else");
    assert_eq!(runway_server::api::unserved(), Vec::<String>::new());
    // Every referenced schema exists.
    let text = doc.to_string();
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for part in text.split("#/components/schemas/").skip(1) {
        let name: String = part.chars().take_while(|c| *c != '"').collect();
        assert!(schemas.contains_key(&name), "{name} is defined");
    }
    // A recorded input's value is text, a checkbox's true/false, or null for a secret field (the
    // document said "object" until `scripts/check-api` checked answers about real requests).
    let value = schemas["InputOut"]["properties"]["value"].to_string();
    assert!(
        value.contains("InputValueOut") && value.contains("null"),
        "{value}"
    );
    let kinds = schemas["InputValueOut"].to_string();
    assert!(
        kinds.contains(r#""type":"string""#) && kinds.contains(r#""type":"boolean""#),
        "{kinds}"
    );
    // Responses link to what can be done next with what they return (OpenAPI links, in the
    // specification's camel case), and every link names a documented operation.
    let operations: Vec<&str> = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        .filter_map(|op| op["operationId"].as_str())
        .collect();
    let submitted = &doc["paths"]["/api/v1/actions/{id}/requests"]["post"]["responses"]["201"];
    assert_eq!(
        submitted["links"]["getRequest"],
        json!({"operationId": "getRequest", "parameters": {"id": "$response.body#/id"}})
    );
    let mut links = 0;
    for item in doc["paths"].as_object().unwrap().values() {
        for op in item.as_object().unwrap().values() {
            for response in op["responses"].as_object().unwrap().values() {
                for link in response["links"]
                    .as_object()
                    .into_iter()
                    .flat_map(|l| l.values())
                {
                    links += 1;
                    let target = link["operationId"].as_str().unwrap_or_default();
                    assert!(operations.contains(&target), "{link}");
                    assert!(link.get("operation_id").is_none(), "{link}");
                }
            }
        }
    }
    assert!(links >= 10, "{links} links");
    // The reference page and the problem for an unknown endpoint.
    let (status, html) = app.get_text("/api/v1/docs").await;
    assert_eq!(status, 200);
    assert!(html.contains("POST /api/v1/actions/{id}/requests"));
    let resp = api_client()
        .get(app.url("/api/v1/nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    assert_eq!(resp.headers()["content-type"], "application/problem+json");
    let token = make_token(&app, "dana", "ci", &["read"]).await;
    let resp = api_client()
        .delete(app.url("/api/v1/actions"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 405);
    assert_eq!(resp.headers()["content-type"], "application/problem+json");
    app.stop().await;
}

async fn metrics_need_their_token_and_count_known_work(backend: Backend) {
    const SECRET: &str = "metrics-secret-0123456789";
    let app = TestApp::builder(backend)
        .with_settings(|s| s.metrics.token = runway_core::config::Secret::new(SECRET))
        .spawn()
        .await;
    let resp = api_client().get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(resp.status(), 401);
    let resp = api_client()
        .get(app.url("/metrics"))
        .bearer_auth("wrong-wrong-wrong-wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);

    let (token, waiting) = a_request_to_follow(&app).await;
    let (status, _) = post(
        &app,
        "/api/v1/actions/create-repo/requests",
        &token,
        &format!(r#"{{"inputs": {REPO_INPUTS}}}"#),
    )
    .await;
    assert_eq!(status, 201);
    for _ in 0..2 {
        assert_eq!(get(&app, "/api/v1/requests/999999", &token).await.0, 404);
    }
    // One event stream open while the metrics are read.
    let stream = api_client()
        .get(app.url(&waiting))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    // Made-up methods are counted as `other`, never as a label value each.
    let odd = reqwest::Method::from_bytes(b"R4ND0M").unwrap();
    let _ = api_client()
        .request(odd, app.url("/"))
        .send()
        .await
        .unwrap();

    let resp = api_client()
        .get(app.url("/metrics"))
        .bearer_auth(SECRET)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let text = resp.text().await.unwrap();
    for line in [
        r#"runway_requests{action="service-database",status="pending_approval",channel="api"} 1"#,
        r#"runway_requests{action="create-repo",status="queued",channel="api"} 1"#,
        r#"runway_approvals_pending{action="service-database"} 1"#,
        r#"runway_queue_jobs{action="create-repo",state="queued"} 1"#,
        r#"runway_http_requests_total{method="GET",route="/api/v1/requests/{id}",status="404"} 2"#,
        r#"runway_http_requests_total{method="POST",route="/api/v1/actions/{id}/requests",status="201"} 2"#,
        "\nrunway_api_event_streams_open 1\n",
    ] {
        assert!(text.contains(line), "{line} in:\n{text}");
    }
    for name in [
        "runway_http_request_duration_seconds_bucket",
        "runway_approval_oldest_age_seconds",
        "runway_db_pool_connections",
        "runway_catalog_actions",
        "runway_catalog_problems 0",
        "runway_queue_oldest_ready_age_seconds",
        "runway_notification_outbox_rows",
        "runway_build_info{version=",
    ] {
        assert!(text.contains(name), "{name}");
    }
    assert!(
        !text.contains("dana") && !text.contains("Dana"),
        "no person in a label"
    );
    assert!(text.trim_end().ends_with("# EOF"));
    app.stop().await;

    // Without a token there is no endpoint at all.
    let bare = TestApp::spawn(backend).await;
    assert_eq!(bare.get("/metrics").await.status(), 404);
    bare.stop().await;
}

/// `/metrics`, as Prometheus reads it with `metrics.token`.
async fn metrics_text(app: &TestApp, token: &str) -> String {
    api_client()
        .get(app.url("/metrics"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// The shipped Grafana dashboard and alert rules name only metrics Runway exports, and a broken
/// catalogue file shows in `runway_catalog_problems`.
async fn dashboards_and_alerts_use_only_exported_metrics(backend: Backend) {
    const SECRET: &str = "metrics-secret-0123456789";
    let catalog = tempfile::tempdir().unwrap();
    crate::requests::copy_catalog(catalog.path());
    std::fs::write(
        catalog.path().join("broken.yaml"),
        "id: broken\ntitle: [unclosed\n",
    )
    .unwrap();
    let app = TestApp::builder(backend)
        .with_catalog(catalog.path())
        .with_settings(|s| s.metrics.token = runway_core::config::Secret::new(SECRET))
        .spawn()
        .await;
    let text = metrics_text(&app, SECRET).await;
    assert!(text.contains("runway_catalog_problems 1"), "{text}");
    // Before any job has run, every job series the catalogue can produce is there at 0, so
    // `rate()` and failure alerts see the first count (manual actions run no job).
    for line in [
        r#"runway_jobs_finished_total{executor="script",action="create-repo",outcome="succeeded"} 0"#,
        r#"runway_jobs_finished_total{executor="script",action="create-repo",outcome="failed"} 0"#,
        r#"runway_jobs_finished_total{executor="script",action="create-repo",outcome="retry"} 0"#,
        r#"runway_jobs_finished_total{executor="script",action="create-repo",outcome="cancelled"} 0"#,
        r#"runway_executor_failures_total{executor="script",reason="timeout"} 0"#,
        r#"runway_executor_failures_total{executor="script",reason="error"} 0"#,
        r#"runway_job_run_seconds_count{executor="script"} 0"#,
        r#"runway_job_wait_seconds_count{executor="script"} 0"#,
    ] {
        assert!(text.contains(line), "{line} in:\n{text}");
    }
    assert!(
        !text.contains(r#"executor="manual""#),
        "no job series for manual actions:\n{text}"
    );

    assert!(
        text.contains("runway_catalog_reload_failures_total 0"),
        "{text}"
    );
    // A reload that cannot read the directory keeps the catalogue and is counted.
    let moved = catalog.path().with_extension("moved");
    std::fs::rename(catalog.path(), &moved).unwrap();
    assert!(app
        .runway
        .reload_catalog(runway_core::audit::Actor::system())
        .await
        .is_err());
    std::fs::rename(&moved, catalog.path()).unwrap();
    assert!(!app.runway.catalog.snapshot().actions.is_empty(), "kept");
    let text = metrics_text(&app, SECRET).await;
    assert!(
        text.contains("runway_catalog_reload_failures_total 1"),
        "{text}"
    );
    // Every family's name, from its TYPE line.
    let families: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(families.len() > 15, "{families:?}");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for file in [
        "deploy/grafana/runway-dashboard.json",
        "deploy/prometheus/runway-alerts.yaml",
    ] {
        let body = std::fs::read_to_string(root.join(file)).unwrap();
        let mut used: Vec<String> = Vec::new();
        let mut rest = body.as_str();
        while let Some(at) = rest.find("runway_") {
            let name: String = rest[at..]
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
                .collect();
            rest = &rest[at + name.len()..];
            used.push(name);
        }
        assert!(used.len() > 5, "{file} names metrics");
        for name in used {
            let known = if name.ends_with('_') {
                // A prefix in a regular expression (`runway_http_.*`).
                families.iter().any(|f| f.starts_with(&name))
            } else {
                let base = ["_bucket", "_count", "_sum", "_total", "_info"]
                    .iter()
                    .find_map(|suffix| name.strip_suffix(suffix))
                    .unwrap_or(&name);
                families.contains(&name.as_str()) || families.contains(&base)
            };
            assert!(known, "{file} uses {name}, which Runway does not export");
        }
    }
    // The dashboard is JSON and the rules have their alerts.
    let dashboard: Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("deploy/grafana/runway-dashboard.json")).unwrap(),
    )
    .unwrap();
    assert!(dashboard["panels"].as_array().is_some_and(|p| p.len() > 5));
    let rules = std::fs::read_to_string(root.join("deploy/prometheus/runway-alerts.yaml")).unwrap();
    for alert in [
        "RunwayQueueBacklogGrowing",
        "RunwayJobFailures",
        "RunwayApprovalTooOld",
        "RunwayCatalogReloadFailed",
    ] {
        assert!(rules.contains(&format!("alert: {alert}")), "{alert}");
    }
    app.stop().await;
}

both_backends!(
    tokens_are_shown_once_stored_as_hashes_and_record_their_last_use,
    unknown_revoked_and_expired_tokens_and_cookies_are_refused,
    scopes_narrow_what_a_token_may_do,
    submissions_are_validated_like_the_portal_and_idempotent,
    approvals_follow_the_portal_rules,
    a_token_holds_at_most_ten_event_streams,
    a_stopping_server_gives_back_its_event_streams,
    event_stream_places_are_leases_kept_in_the_database,
    an_event_stream_whose_lease_cannot_be_renewed_ends,
    a_tokens_rights_are_its_owners_at_the_time_of_use,
    service_tokens_act_for_their_team_and_never_approve,
    calls_over_the_rate_limit_get_429_with_retry_after,
    replicas_share_one_rate_limit_budget,
    rate_limit_buckets_move_all_or_none_under_concurrent_calls,
    service_tokens_share_their_makers_budget,
    secrets_retries_and_rejections_through_the_api,
    history_pages_and_filters_through_the_api,
    token_lifetimes_follow_the_settings,
    the_openapi_document_describes_exactly_the_api,
    metrics_need_their_token_and_count_known_work,
    dashboards_and_alerts_use_only_exported_metrics,
);
