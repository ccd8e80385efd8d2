//! Local stand-ins for the services tests cannot reach: Slack's Web API, Jira's REST API, and an
//! SMTP server. The fakes check every call against the shapes the services document (Block Kit
//! surfaces and their limits, Atlassian Document Format, REST bodies and authentication) and keep
//! what they received; a call that breaks a rule is answered with the service's own error and
//! recorded in `violations`, which the stories assert is empty.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

async fn serve(router: Router) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    format!("http://{addr}")
}

// ---------------------------------------------------------------------------------------------
// Slack

/// One call the fake Slack received.
#[derive(Debug, Clone)]
pub struct SlackCall {
    pub method: String,
    pub body: Value,
}

#[derive(Default)]
pub struct SlackState {
    pub calls: Vec<SlackCall>,
    pub violations: Vec<String>,
    /// Slack user id -> e-mail address.
    pub users: HashMap<String, String>,
    next_ts: u64,
    next_view: u64,
}

#[derive(Clone)]
pub struct FakeSlack {
    pub url: String,
    pub token: String,
    pub state: Arc<Mutex<SlackState>>,
}

impl FakeSlack {
    /// A fake Slack that knows these `(slack user id, e-mail)` pairs.
    pub async fn start(users: &[(&str, &str)]) -> FakeSlack {
        let state = Arc::new(Mutex::new(SlackState {
            users: users
                .iter()
                .map(|(u, e)| (u.to_string(), e.to_string()))
                .collect(),
            ..SlackState::default()
        }));
        let token = "xoxb-test-token".to_string();
        let app = Router::new()
            .route("/users.lookupByEmail", get(slack_lookup))
            .route("/users.info", get(slack_info))
            .route("/{method}", post(slack_post))
            .with_state((state.clone(), token.clone()));
        FakeSlack {
            url: serve(app).await,
            token,
            state,
        }
    }

    pub fn calls(&self, method: &str) -> Vec<Value> {
        self.state
            .lock()
            .unwrap()
            .calls
            .iter()
            .filter(|c| c.method == method)
            .map(|c| c.body.clone())
            .collect()
    }

    pub fn violations(&self) -> Vec<String> {
        self.state.lock().unwrap().violations.clone()
    }
}

type SlackShared = (Arc<Mutex<SlackState>>, String);

fn slack_auth(headers: &HeaderMap, token: &str) -> bool {
    headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(&format!("Bearer {token}"))
}

fn slack_error(s: &mut SlackState, method: &str, why: String) -> Response {
    s.violations.push(format!("{method}: {why}"));
    Json(json!({"ok": false, "error": "invalid_arguments"})).into_response()
}

async fn slack_lookup(
    State((state, token)): State<SlackShared>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let mut s = state.lock().unwrap();
    if !slack_auth(&headers, &token) {
        return Json(json!({"ok": false, "error": "not_authed"})).into_response();
    }
    let Some(email) = q.get("email") else {
        return slack_error(&mut s, "users.lookupByEmail", "no email".into());
    };
    s.calls.push(SlackCall {
        method: "users.lookupByEmail".into(),
        body: json!({"email": email}),
    });
    match s.users.iter().find(|(_, e)| e.eq_ignore_ascii_case(email)) {
        Some((id, _)) => Json(json!({"ok": true, "user": {"id": id, "profile": {"email": email}}}))
            .into_response(),
        None => Json(json!({"ok": false, "error": "users_not_found"})).into_response(),
    }
}

async fn slack_info(
    State((state, token)): State<SlackShared>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let mut s = state.lock().unwrap();
    if !slack_auth(&headers, &token) {
        return Json(json!({"ok": false, "error": "not_authed"})).into_response();
    }
    let Some(user) = q.get("user") else {
        return slack_error(&mut s, "users.info", "no user".into());
    };
    s.calls.push(SlackCall {
        method: "users.info".into(),
        body: json!({"user": user}),
    });
    match s.users.get(user) {
        Some(email) => Json(json!({"ok": true, "user": {"id": user, "profile": {"email": email}}}))
            .into_response(),
        None => Json(json!({"ok": false, "error": "user_not_found"})).into_response(),
    }
}

async fn slack_post(
    State((state, token)): State<SlackShared>,
    Path(method): Path<String>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let mut s = state.lock().unwrap();
    if !slack_auth(&headers, &token) {
        return Json(json!({"ok": false, "error": "not_authed"})).into_response();
    }
    let ct = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !ct.starts_with("application/json") {
        return slack_error(&mut s, &method, format!("content type {ct}"));
    }
    let Ok(v) = serde_json::from_str::<Value>(&body) else {
        return slack_error(&mut s, &method, "body is not JSON".into());
    };
    let problems = match method.as_str() {
        "chat.postMessage" => check_message(&v, false),
        "chat.update" => check_message(&v, true),
        "views.open" => {
            let mut p = check_view(&v["view"]);
            if v["trigger_id"].as_str().is_none_or(str::is_empty) {
                p.push("trigger_id missing".into());
            }
            p
        }
        "views.update" => {
            let mut p = check_view(&v["view"]);
            if v["view_id"].as_str().is_none_or(str::is_empty) && v["external_id"].is_null() {
                p.push("view_id missing".into());
            }
            p
        }
        other => vec![format!("unknown method {other}")],
    };
    if let Some(p) = problems.first() {
        return slack_error(&mut s, &method, p.clone());
    }
    s.calls.push(SlackCall {
        method: method.clone(),
        body: v.clone(),
    });
    match method.as_str() {
        "chat.postMessage" => {
            s.next_ts += 1;
            Json(json!({"ok": true, "channel": format!("D{}", v["channel"].as_str().unwrap_or_default()), "ts": format!("1700000000.{:06}", s.next_ts)})).into_response()
        }
        "views.open" => {
            s.next_view += 1;
            Json(json!({"ok": true, "view": {"id": format!("V{:04}", s.next_view)}}))
                .into_response()
        }
        _ => Json(json!({"ok": true})).into_response(),
    }
}

fn plain_text(v: &Value, max: usize, what: &str, out: &mut Vec<String>) {
    if v["type"] != "plain_text" {
        out.push(format!("{what}: not a plain_text object"));
    }
    match v["text"].as_str() {
        Some(t) if !t.is_empty() && t.chars().count() <= max => {}
        _ => out.push(format!("{what}: text missing or over {max} characters")),
    }
}

/// Block Kit blocks as messages and modals accept them.
fn check_blocks(blocks: &Value, max: usize, out: &mut Vec<String>) {
    let Some(list) = blocks.as_array() else {
        out.push("blocks is not an array".into());
        return;
    };
    if list.len() > max {
        out.push(format!("more than {max} blocks"));
    }
    for (i, b) in list.iter().enumerate() {
        if b["block_id"].as_str().is_some_and(|id| id.len() > 255) {
            out.push(format!("block {i}: block_id over 255"));
        }
        match b["type"].as_str().unwrap_or_default() {
            "section" => {
                let t = &b["text"];
                if !matches!(t["type"].as_str(), Some("mrkdwn" | "plain_text"))
                    || t["text"]
                        .as_str()
                        .is_none_or(|s| s.is_empty() || s.chars().count() > 3000)
                {
                    out.push(format!("block {i}: section text missing or over 3000"));
                }
            }
            "context" => {}
            "actions" => {
                let els = b["elements"].as_array().cloned().unwrap_or_default();
                if els.is_empty() || els.len() > 25 {
                    out.push(format!("block {i}: actions needs 1 to 25 elements"));
                }
                for e in &els {
                    if e["type"] != "button" {
                        out.push(format!("block {i}: unexpected element {}", e["type"]));
                        continue;
                    }
                    plain_text(&e["text"], 75, &format!("block {i} button"), out);
                    if e["action_id"]
                        .as_str()
                        .is_none_or(|a| a.is_empty() || a.len() > 255)
                    {
                        out.push(format!("block {i}: button action_id"));
                    }
                    if e["value"].as_str().is_some_and(|v| v.len() > 2000)
                        || e["url"].as_str().is_some_and(|v| v.len() > 3000)
                    {
                        out.push(format!("block {i}: button value or url too long"));
                    }
                    if let Some(st) = e["style"].as_str() {
                        if st != "primary" && st != "danger" {
                            out.push(format!("block {i}: style {st}"));
                        }
                    }
                }
            }
            "input" => {
                plain_text(&b["label"], 2000, &format!("block {i} label"), out);
                if !b["hint"].is_null() {
                    plain_text(&b["hint"], 2000, &format!("block {i} hint"), out);
                }
                let e = &b["element"];
                let kind = e["type"].as_str().unwrap_or_default();
                if ![
                    "plain_text_input",
                    "number_input",
                    "checkboxes",
                    "static_select",
                    "multi_static_select",
                    "datepicker",
                ]
                .contains(&kind)
                {
                    out.push(format!("block {i}: element {kind}"));
                }
                if e["action_id"]
                    .as_str()
                    .is_none_or(|a| a.is_empty() || a.len() > 255)
                {
                    out.push(format!("block {i}: element action_id"));
                }
                if matches!(kind, "checkboxes" | "static_select" | "multi_static_select") {
                    let opts = e["options"].as_array().cloned().unwrap_or_default();
                    if opts.is_empty() || opts.len() > 100 {
                        out.push(format!("block {i}: options must be 1 to 100"));
                    }
                    for o in &opts {
                        plain_text(&o["text"], 75, &format!("block {i} option"), out);
                        if o["value"]
                            .as_str()
                            .is_none_or(|v| v.is_empty() || v.len() > 150)
                        {
                            out.push(format!("block {i}: option value"));
                        }
                    }
                }
                if kind == "number_input" && e["is_decimal_allowed"].as_bool().is_none() {
                    out.push(format!("block {i}: number_input needs is_decimal_allowed"));
                }
                if kind == "datepicker" {
                    if let Some(d) = e["initial_date"].as_str() {
                        if d.len() != 10 {
                            out.push(format!("block {i}: initial_date {d}"));
                        }
                    }
                }
            }
            other => out.push(format!("block {i}: unknown type {other}")),
        }
    }
}

fn check_message(v: &Value, update: bool) -> Vec<String> {
    let mut out = Vec::new();
    if v["channel"].as_str().is_none_or(str::is_empty) {
        out.push("channel missing".into());
    }
    if update && v["ts"].as_str().is_none_or(str::is_empty) {
        out.push("ts missing".into());
    }
    if v["text"].as_str().is_none_or(str::is_empty) && v["blocks"].is_null() {
        out.push("text or blocks required".into());
    }
    if !v["blocks"].is_null() {
        check_blocks(&v["blocks"], 50, &mut out);
    }
    out
}

fn check_view(view: &Value) -> Vec<String> {
    let mut out = Vec::new();
    if view["type"] != "modal" {
        out.push("view type is not modal".into());
    }
    plain_text(&view["title"], 24, "title", &mut out);
    for k in ["submit", "close"] {
        if !view[k].is_null() {
            plain_text(&view[k], 24, k, &mut out);
        }
    }
    let has_input = view["blocks"]
        .as_array()
        .is_some_and(|b| b.iter().any(|b| b["type"] == "input"));
    if has_input && view["submit"].is_null() {
        out.push("a view with inputs needs submit".into());
    }
    if view["private_metadata"]
        .as_str()
        .is_some_and(|m| m.len() > 3000)
    {
        out.push("private_metadata over 3000".into());
    }
    if view["callback_id"].as_str().is_some_and(|m| m.len() > 255) {
        out.push("callback_id over 255".into());
    }
    check_blocks(&view["blocks"], 100, &mut out);
    out
}

// ---------------------------------------------------------------------------------------------
// Jira

#[derive(Default)]
pub struct JiraState {
    /// `(issue key, ADF body)`.
    pub comments: Vec<(String, Value)>,
    /// `(issue key, transition id)`.
    pub transitions: Vec<(String, String)>,
    pub violations: Vec<String>,
    /// Account id -> e-mail address (`GET /rest/api/3/user`).
    pub accounts: HashMap<String, String>,
}

#[derive(Clone)]
pub struct FakeJira {
    pub url: String,
    pub user: String,
    pub token: String,
    pub state: Arc<Mutex<JiraState>>,
}

/// The workflow's transitions the fake offers from any status.
pub const JIRA_TRANSITIONS: [(&str, &str); 3] =
    [("11", "To Do"), ("21", "In Progress"), ("31", "Done")];

type JiraShared = (Arc<Mutex<JiraState>>, String);

impl FakeJira {
    pub async fn start() -> FakeJira {
        let state = Arc::new(Mutex::new(JiraState::default()));
        let user = "runway-bot@example.com".to_string();
        let token = "jira-api-token".to_string();
        let expected = format!(
            "Basic {}",
            base64::Engine::encode(
                &base64::engine::general_purpose::STANDARD,
                format!("{user}:{token}")
            )
        );
        let app = Router::new()
            .route("/rest/api/3/issue/{key}/comment", post(jira_comment))
            .route(
                "/rest/api/3/issue/{key}/transitions",
                get(jira_transitions).post(jira_transition),
            )
            .route("/rest/api/3/user", get(jira_user))
            .with_state((state.clone(), expected));
        FakeJira {
            url: serve(app).await,
            user,
            token,
            state,
        }
    }

    pub fn comments(&self) -> Vec<(String, Value)> {
        self.state.lock().unwrap().comments.clone()
    }

    pub fn transitions(&self) -> Vec<(String, String)> {
        self.state.lock().unwrap().transitions.clone()
    }

    pub fn violations(&self) -> Vec<String> {
        self.state.lock().unwrap().violations.clone()
    }
}

fn jira_refuse(s: &mut JiraState, why: String, status: StatusCode) -> Response {
    s.violations.push(why.clone());
    (status, Json(json!({"errorMessages": [why], "errors": {}}))).into_response()
}

fn jira_authed(headers: &HeaderMap, expected: &str) -> bool {
    headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(expected)
}

/// An ADF document as Jira Cloud accepts it, for the nodes Runway writes.
fn check_adf(doc: &Value) -> Vec<String> {
    let mut out = Vec::new();
    if doc["type"] != "doc" || doc["version"] != 1 {
        out.push("not a version 1 doc".into());
    }
    fn inline(n: &Value, out: &mut Vec<String>) {
        match n["type"].as_str() {
            Some("text") => {
                if n["text"].as_str().is_none_or(str::is_empty) {
                    out.push("empty text node".into());
                }
                for m in n["marks"].as_array().into_iter().flatten() {
                    match m["type"].as_str() {
                        Some("strong" | "em" | "code") => {}
                        Some("link") => {
                            if !m["attrs"]["href"]
                                .as_str()
                                .is_some_and(|h| h.starts_with("http"))
                            {
                                out.push("link without href".into());
                            }
                        }
                        other => out.push(format!("mark {other:?}")),
                    }
                }
            }
            Some("hardBreak") => {}
            other => out.push(format!("inline node {other:?}")),
        }
    }
    fn block(n: &Value, out: &mut Vec<String>) {
        match n["type"].as_str() {
            Some("paragraph") => {
                for c in n["content"].as_array().into_iter().flatten() {
                    inline(c, out);
                }
            }
            Some("bulletList") => {
                let items = n["content"].as_array().cloned().unwrap_or_default();
                if items.is_empty() {
                    out.push("empty bulletList".into());
                }
                for i in &items {
                    if i["type"] != "listItem" {
                        out.push("bulletList child is not a listItem".into());
                    }
                    for c in i["content"].as_array().into_iter().flatten() {
                        block(c, out);
                    }
                }
            }
            other => out.push(format!("block node {other:?}")),
        }
    }
    match doc["content"].as_array() {
        Some(blocks) if !blocks.is_empty() => blocks.iter().for_each(|b| block(b, &mut out)),
        _ => out.push("doc without content".into()),
    }
    out
}

async fn jira_comment(
    State((state, expected)): State<JiraShared>,
    Path(key): Path<String>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let mut s = state.lock().unwrap();
    if !jira_authed(&headers, &expected) {
        return jira_refuse(
            &mut s,
            "comment without the right Basic auth".into(),
            StatusCode::UNAUTHORIZED,
        );
    }
    // Tickets whose key starts with GONE- were deleted: Jira answers 404, as documented.
    if key.starts_with("GONE-") {
        let body = json!({"errorMessages": ["Issue does not exist or you do not have permission to see it."], "errors": {}});
        return (StatusCode::NOT_FOUND, Json(body)).into_response();
    }
    if !headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("application/json"))
    {
        return jira_refuse(
            &mut s,
            "comment is not JSON".into(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        );
    }
    let Ok(v) = serde_json::from_str::<Value>(&body) else {
        return jira_refuse(
            &mut s,
            "comment body does not parse".into(),
            StatusCode::BAD_REQUEST,
        );
    };
    if let Some(p) = check_adf(&v["body"]).first() {
        return jira_refuse(
            &mut s,
            format!("comment on {key}: {p}"),
            StatusCode::BAD_REQUEST,
        );
    }
    s.comments.push((key.clone(), v["body"].clone()));
    (
        StatusCode::CREATED,
        Json(json!({"id": s.comments.len().to_string(), "body": v["body"]})),
    )
        .into_response()
}

async fn jira_transitions(
    State((state, expected)): State<JiraShared>,
    Path(_key): Path<String>,
    headers: HeaderMap,
) -> Response {
    let mut s = state.lock().unwrap();
    if !jira_authed(&headers, &expected) {
        return jira_refuse(
            &mut s,
            "transitions without auth".into(),
            StatusCode::UNAUTHORIZED,
        );
    }
    let list: Vec<Value> = JIRA_TRANSITIONS
        .iter()
        .map(|(id, name)| json!({"id": id, "name": name, "to": {"name": name}, "hasScreen": false}))
        .collect();
    Json(json!({"expand": "transitions", "transitions": list})).into_response()
}

async fn jira_transition(
    State((state, expected)): State<JiraShared>,
    Path(key): Path<String>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let mut s = state.lock().unwrap();
    if !jira_authed(&headers, &expected) {
        return jira_refuse(
            &mut s,
            "transition without auth".into(),
            StatusCode::UNAUTHORIZED,
        );
    }
    let v: Value = serde_json::from_str(&body).unwrap_or_default();
    let Some(id) = v["transition"]["id"].as_str() else {
        return jira_refuse(
            &mut s,
            "transition without transition.id".into(),
            StatusCode::BAD_REQUEST,
        );
    };
    if !JIRA_TRANSITIONS.iter().any(|(t, _)| *t == id) {
        return jira_refuse(
            &mut s,
            format!("unknown transition {id}"),
            StatusCode::BAD_REQUEST,
        );
    }
    s.transitions.push((key, id.to_string()));
    StatusCode::NO_CONTENT.into_response()
}

async fn jira_user(
    State((state, expected)): State<JiraShared>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let mut s = state.lock().unwrap();
    if !jira_authed(&headers, &expected) {
        return jira_refuse(
            &mut s,
            "user lookup without auth".into(),
            StatusCode::UNAUTHORIZED,
        );
    }
    match q.get("accountId").and_then(|a| s.accounts.get(a)) {
        Some(email) => {
            Json(json!({"accountId": q["accountId"], "emailAddress": email})).into_response()
        }
        None => (
            StatusCode::NOT_FOUND,
            Json(json!({"errorMessages": ["no such user"]})),
        )
            .into_response(),
    }
}

// ---------------------------------------------------------------------------------------------
// SMTP

/// One message the SMTP sink accepted.
#[derive(Debug, Clone)]
pub struct Mail {
    pub from: String,
    pub to: Vec<String>,
    pub data: String,
}

#[derive(Default)]
pub struct SmtpState {
    pub mails: Vec<Mail>,
    /// Answer this many DATA commands with a temporary failure first (451).
    pub fail_next: usize,
}

/// A small SMTP server (RFC 5321 without extensions) that keeps every message.
#[derive(Clone)]
pub struct SmtpSink {
    pub url: String,
    pub state: Arc<Mutex<SmtpState>>,
}

impl SmtpSink {
    pub async fn start() -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let state = Arc::new(Mutex::new(SmtpState::default()));
        let shared = state.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let state = shared.clone();
                tokio::spawn(async move {
                    let _ = smtp_session(stream, state).await;
                });
            }
        });
        SmtpSink {
            url: format!("smtp://{addr}"),
            state,
        }
    }

    pub fn mails(&self) -> Vec<Mail> {
        self.state.lock().unwrap().mails.clone()
    }

    pub fn fail_next(&self, n: usize) {
        self.state.lock().unwrap().fail_next = n;
    }
}

async fn smtp_session(
    stream: tokio::net::TcpStream,
    state: Arc<Mutex<SmtpState>>,
) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 sink.test ESMTP ready\r\n").await?;
    let (mut from, mut to) = (String::new(), Vec::new());
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let cmd = line.trim_end().to_string();
        let upper = cmd.to_ascii_uppercase();
        let reply: &[u8] = if upper.starts_with("EHLO") {
            b"250-sink.test\r\n250 8BITMIME\r\n"
        } else if upper.starts_with("HELO") || upper.starts_with("NOOP") {
            b"250 OK\r\n"
        } else if upper.starts_with("MAIL FROM:") {
            from = cmd[10..].trim().trim_matches(['<', '>']).to_string();
            b"250 OK\r\n"
        } else if upper.starts_with("RCPT TO:") {
            to.push(cmd[8..].trim().trim_matches(['<', '>']).to_string());
            b"250 OK\r\n"
        } else if upper == "DATA" {
            if from.is_empty() || to.is_empty() {
                b"503 need MAIL and RCPT first\r\n"
            } else {
                write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
                let mut data = String::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line).await? == 0 {
                        return Ok(());
                    }
                    if line == ".\r\n" {
                        break;
                    }
                    data.push_str(line.strip_prefix('.').unwrap_or(&line));
                }
                let fail = {
                    let mut s = state.lock().unwrap();
                    if s.fail_next > 0 {
                        s.fail_next -= 1;
                        true
                    } else {
                        s.mails.push(Mail {
                            from: from.clone(),
                            to: to.clone(),
                            data,
                        });
                        false
                    }
                };
                from.clear();
                to.clear();
                if fail {
                    b"451 4.3.0 try again later\r\n"
                } else {
                    b"250 OK queued\r\n"
                }
            }
        } else if upper == "RSET" {
            from.clear();
            to.clear();
            b"250 OK\r\n"
        } else if upper == "QUIT" {
            write.write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else {
            b"502 command not implemented\r\n"
        };
        write.write_all(reply).await?;
    }
}
