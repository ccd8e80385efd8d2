//! What is refused before anything else runs: host names Runway does not answer to (DNS rebinding)
//! and request bodies over the limit.

use crate::support::{Backend, TestApp};
use runway_core::db::sessions;

/// The port the test server listens on.
fn port(app: &TestApp) -> String {
    app.address
        .rsplit(':')
        .next()
        .unwrap_or_default()
        .to_string()
}

async fn a_rebinding_page_cannot_sign_in_through_a_foreign_host_name(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let evil = format!("evil.test:{}", port(&app));
    // What a page on evil.test sends once its name resolves to 127.0.0.1: same-origin to the browser.
    let resp = app
        .client
        .post(app.url("/auth/dev-login"))
        .header("host", &evil)
        .header("sec-fetch-site", "same-origin")
        .form(&[("login", "ada")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 421, "misdirected: not a host Runway serves");
    assert!(resp.headers().get("set-cookie").is_none(), "no session");
    assert_eq!(sessions::count(&app.runway.db).await.unwrap(), 0);
    let page = app
        .client
        .get(app.url("/signin"))
        .header("host", &evil)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 421, "pages are refused too");
    let api = app
        .client
        .get(app.url("/api/v1/actions"))
        .header("host", &evil)
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), 421, "the API too");
    assert_eq!(api.headers()["content-type"], "application/problem+json");
    let problem: serde_json::Value = api.json().await.unwrap();
    assert_eq!(problem["type"], "https://runway.dev/problems/misdirected");

    let health = app
        .client
        .get(app.url("/healthz"))
        .header("host", &evil)
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200, "health checks answer any host");

    for ours in [
        format!("127.0.0.1:{}", port(&app)),
        format!("localhost:{}", port(&app)),
    ] {
        let resp = app
            .client
            .post(app.url("/auth/dev-login"))
            .header("host", &ours)
            .header("sec-fetch-site", "same-origin")
            .form(&[("login", "dana")])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 303, "{ours} is ours");
    }
    app.stop().await;
}

async fn allowed_hosts_and_public_url_name_the_hosts_runway_answers_to(backend: Backend) {
    let app = TestApp::builder(backend)
        .with_settings(|s| {
            s.public_url = "http://runway.example.com".into();
            s.allowed_hosts = vec!["runway.internal".into()];
        })
        .spawn()
        .await;
    let status = |host: String| {
        let req = app.client.get(app.url("/signin")).header("host", host);
        async move { req.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(status("runway.example.com".into()).await, 200);
    assert_eq!(status("runway.internal:8080".into()).await, 200);
    assert_eq!(status("evil.test".into()).await, 421);
    assert_eq!(
        status(format!("127.0.0.1:{}", port(&app))).await,
        200,
        "development sign-in: loopback stays allowed"
    );
    app.stop().await;
}

/// Sends a POST by hand and reads the status line of the answer. A server that refuses a body early
/// may close the connection while a client is still writing (an ordinary HTTP client then reports a
/// reset instead of the answer), so this writes only `sent` bytes of the body before reading.
async fn raw_post(app: &TestApp, path: &str, headers: &str, body: &[u8]) -> String {
    raw_post_answer(app, path, headers, body)
        .await
        .lines()
        .next()
        .unwrap_or_default()
        .to_string()
}

/// The whole answer to a raw POST (`Connection: close`, read to its end): the server may answer
/// and close before taking all of the body, which an HTTP client reports as a broken pipe.
async fn raw_post_answer(app: &TestApp, path: &str, headers: &str, body: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = app.address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nOrigin: {}\r\nConnection: close\r\n\
         Content-Type: application/x-www-form-urlencoded\r\n{headers}\r\n",
        app.address
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    // The server may answer and close before taking all of it: that is the point.
    let _ = stream.write_all(body).await;
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    let read = async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buf[..n]),
            }
        }
    };
    let _ = tokio::time::timeout(std::time::Duration::from_secs(10), read).await;
    String::from_utf8_lossy(&answer).into_owned()
}

async fn oversized_bodies_get_413_on_every_kind_of_route(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.sign_in("dana").await;
    let declared = 3 * 1024 * 1024;
    for path in [
        "/api/auth/whoami",
        "/api/catalog/list",
        "/auth/dev-login",
        "/actions/create-repo/submit",
        "/requests/1/approve",
        "/requests/1/fulfil",
    ] {
        // A declared length over the limit is refused before the body is read.
        let status = raw_post(
            &app,
            path,
            &format!("Content-Length: {declared}\r\n"),
            &[b'x'; 64 * 1024],
        )
        .await;
        assert_eq!(status, "HTTP/1.1 413 Payload Too Large", "{path}");
    }
    // Without a length (chunked), the body is read up to the limit and refused there.
    let chunk = format!("100000\r\n{}\r\n", "x".repeat(0x10_0000));
    let chunked = chunk.repeat(3) + "0\r\n\r\n";
    let status = raw_post(
        &app,
        "/api/auth/whoami",
        "Transfer-Encoding: chunked\r\n",
        chunked.as_bytes(),
    )
    .await;
    assert_eq!(status, "HTTP/1.1 413 Payload Too Large", "chunked");
    let resp = app.post_form("/api/auth/whoami", "").await;
    assert_eq!(resp.status(), 200, "a normal call still works");
    // The public API answers a problem document, as it answers every refusal.
    let answer = raw_post_answer(
        &app,
        "/api/v1/actions/create-repo/requests",
        &format!("Content-Length: {declared}\r\n"),
        &vec![b' '; declared],
    )
    .await;
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    assert!(head.starts_with("HTTP/1.1 413 "), "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/problem+json"),
        "{head}"
    );
    let problem: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(
        problem["type"],
        "https://runway.dev/problems/body-too-large"
    );
    app.stop().await;
}

both_backends!(
    a_rebinding_page_cannot_sign_in_through_a_foreign_host_name,
    allowed_hosts_and_public_url_name_the_hosts_runway_answers_to,
    oversized_bodies_get_413_on_every_kind_of_route,
);
