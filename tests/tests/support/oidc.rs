//! A real OpenID Provider for tests (npm `oidc-provider`, run by node from `tests/oidc/provider.mjs`)
//! and a driver that signs in through its login and consent pages like a browser would.

use super::TestApp;
use runway_core::config::Settings;
use std::io::BufRead;
use std::process::{Child, Command, Stdio};

pub struct Provider {
    pub issuer: String,
    child: Child,
    http: reqwest::Client,
}

impl Provider {
    pub async fn start() -> Provider {
        let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("oidc/provider.mjs");
        let mut child = Command::new("node")
            .arg(&script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node runs the test OpenID Provider (run scripts/test to install it)");
        let stdout = child.stdout.take().expect("stdout");
        let line = tokio::task::spawn_blocking(move || {
            let mut reader = std::io::BufReader::new(stdout);
            let mut line = String::new();
            let first = reader.read_line(&mut line).map(|_| line);
            // Keep draining, so the provider never writes into a closed pipe.
            std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
            first
        })
        .await
        .expect("join")
        .expect("provider prints its issuer");
        let issuer = serde_json::from_str::<serde_json::Value>(&line).expect("json")["issuer"]
            .as_str()
            .expect("issuer")
            .to_string();
        Provider {
            issuer,
            child,
            http: reqwest::Client::new(),
        }
    }

    /// Registers Runway (at `app_address`) as the provider's client.
    pub async fn register(&self, app_address: &str) {
        let body = serde_json::json!({
            "redirect_uri": format!("{app_address}/auth/callback"),
            "post_logout_redirect_uri": format!("{app_address}/signin?signed_out=1"),
        });
        let resp = self
            .http
            .post(format!("{}/__test/client", self.issuer))
            .json(&body)
            .send()
            .await
            .expect("register");
        assert!(resp.status().is_success());
    }

    /// Makes the provider misbehave (see provider.mjs for the modes).
    pub async fn set_mode(&self, mode: &str) {
        let resp = self
            .http
            .post(format!("{}/__test/mode", self.issuer))
            .json(&serde_json::json!({ "mode": mode }))
            .send()
            .await
            .expect("set mode");
        assert!(resp.status().is_success());
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Settings that make Runway sign in through `provider`.
pub(super) fn configure(settings: &mut Settings, provider: &Provider) {
    settings.auth.issuer = provider.issuer.clone();
    settings.auth.client_id = "runway".into();
    settings.auth.client_secret = runway_core::config::Secret::new("runway-test-secret");
}

fn location(resp: &reqwest::Response) -> Option<String> {
    resp.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

fn absolute(base: &str, location: &str) -> String {
    if location.starts_with("http://") || location.starts_with("https://") {
        location.to_string()
    } else {
        format!("{}{location}", base.trim_end_matches('/'))
    }
}

/// Fields of the first form on a page: (action, [(name, value)]).
fn first_form(html: &str) -> Option<(String, Vec<(String, String)>)> {
    let form_start = html.find("<form")?;
    let form = &html[form_start..html[form_start..].find("</form>").map(|e| form_start + e)?];
    let attr = |tag: &str, name: &str| {
        let needle = format!("{name}=\"");
        tag.find(&needle).map(|i| {
            let rest = &tag[i + needle.len()..];
            rest[..rest.find('"').unwrap_or(rest.len())].to_string()
        })
    };
    let action = attr(&form[..form.find('>')?], "action")?;
    let mut fields = Vec::new();
    for input in form.split("<input").skip(1) {
        let tag = &input[..input.find('>').unwrap_or(input.len())];
        if let Some(name) = attr(tag, "name") {
            fields.push((name, attr(tag, "value").unwrap_or_default()));
        }
    }
    Some((action, fields))
}

/// Starts sign-in at Runway and goes through the provider's login and consent pages as `login`.
/// Returns the callback URL the provider sends the browser back to (not yet visited).
pub async fn login_at_provider(
    app: &TestApp,
    provider: &Provider,
    login: &str,
    next: &str,
) -> String {
    let resp = app.get(&format!("/auth/login?next={next}")).await;
    assert_eq!(
        resp.status(),
        303,
        "sign-in starts with a redirect to the provider"
    );
    let mut url = location(&resp).expect("location");
    assert!(url.starts_with(&provider.issuer), "{url}");
    for _ in 0..20 {
        if url.starts_with(&app.address) {
            return url;
        }
        let resp = app.client.get(&url).send().await.expect("provider page");
        if let Some(next_url) = location(&resp) {
            url = absolute(&provider.issuer, &next_url);
            continue;
        }
        let html = resp.text().await.expect("html");
        let (action, mut fields) =
            first_form(&html).unwrap_or_else(|| panic!("no form at {url}:\n{html}"));
        for (name, value) in fields.iter_mut() {
            match name.as_str() {
                "login" => *value = login.to_string(),
                "password" => *value = "any password".to_string(),
                _ => {}
            }
        }
        let resp = app
            .client
            .post(absolute(&provider.issuer, &action))
            .form(&fields)
            .send()
            .await
            .expect("submit");
        url = absolute(
            &provider.issuer,
            &location(&resp).unwrap_or_else(|| panic!("form at {url} did not redirect")),
        );
    }
    panic!("the provider never sent us back to Runway");
}

/// Who Runway thinks is signed in (`null` when nobody).
pub async fn whoami(app: &TestApp) -> serde_json::Value {
    app.post_form("/api/auth/whoami", "")
        .await
        .json()
        .await
        .expect("json")
}
