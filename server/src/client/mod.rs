//! The command-line client: `runway login`, `actions`, `request`, `requests`, `logs`, `approve`,
//! `reject`, against a Runway server's API (`/api/v1`) with a token.
//!
//! Output is a readable table by default and JSON with `--json`. Exit codes: 0 done (with `--wait`:
//! the request succeeded), 1 the request failed, was rejected, cancelled or expired, 2 a mistake
//! in the command or the inputs (nothing was sent), 3 the server or the network failed, 4 the
//! token was refused.
//!
//! `runway request` validates the inputs locally with the same code the portal runs (the form
//! comes from the server) before anything is sent, and sends an `Idempotency-Key`, so a retry
//! after a dropped connection cannot make a second request.

pub mod config;
mod follow;

use crate::api::model::{
    ActionOut, ActionSummary, ApprovalPage, DecisionOut, LogPage, RequestOut, RequestPage,
    Submitted, WhoAmI,
};
use clap::Args;
use reqwest::{Method, StatusCode};
use runway_domain::form::{self, RawValues};
use runway_domain::spec::FieldSpec;
use serde::de::DeserializeOwned;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Where and as whom: shared by every client command.
#[derive(Debug, Clone, Args)]
pub struct Conn {
    /// The Runway server, e.g. https://runway.example.com (default: from `runway login`).
    #[arg(long, env = "RUNWAY_SERVER", global = true)]
    pub server: Option<String>,
    /// An API token (default: from `runway login`). Prefer the environment or the file: a flag is
    /// visible to other users in the process list.
    #[arg(long, env = "RUNWAY_TOKEN", hide_env_values = true, global = true)]
    pub token: Option<String>,
    /// The client file `runway login` writes.
    #[arg(long, env = "RUNWAY_CLIENT_CONFIG", global = true)]
    pub client_config: Option<PathBuf>,
    /// JSON instead of tables, for scripts.
    #[arg(long, global = true)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct LoginArgs {
    #[command(flatten)]
    pub conn: Conn,
}

#[derive(Debug, Args)]
pub struct ActionsArgs {
    /// Words that must all appear (title, summary, category, owner, id, tags).
    pub search: Vec<String>,
    #[command(flatten)]
    pub conn: Conn,
}

#[derive(Debug, Args)]
pub struct RequestArgs {
    /// The action's id, e.g. `create-repo` (see `runway actions`).
    pub action: String,
    /// Inputs as NAME=VALUE; repeat a name for several choices; NAME=@FILE reads the value from a
    /// file (for secrets: keeps them out of the process list and shell history).
    pub inputs: Vec<String>,
    /// Follow the request until it ends; exit 0 when it succeeded, 1 when not.
    #[arg(long)]
    pub wait: bool,
    #[command(flatten)]
    pub conn: Conn,
}

#[derive(Debug, Args)]
pub struct RequestsArgs {
    /// A team's requests (you must be in it) instead of your own.
    #[arg(long)]
    pub team: Option<String>,
    /// Only requests in this state, e.g. `failed`.
    #[arg(long)]
    pub status: Option<String>,
    /// Every request (admins).
    #[arg(long)]
    pub all: bool,
    /// Only requests made through this channel: portal, api, slack or jira.
    #[arg(long)]
    pub channel: Option<String>,
    /// The next page: requests older than this number (the table's last line says it).
    #[arg(long)]
    pub before: Option<i64>,
    #[command(flatten)]
    pub conn: Conn,
}

#[derive(Debug, Args)]
pub struct LogsArgs {
    /// The request's number.
    pub id: i64,
    /// Keep printing new lines until the request ends.
    #[arg(long, short)]
    pub follow: bool,
    #[command(flatten)]
    pub conn: Conn,
}

#[derive(Debug, Args)]
pub struct DecideArgs {
    /// The request's number.
    pub id: i64,
    /// Why (required to reject).
    #[arg(long, default_value = "")]
    pub comment: String,
    #[command(flatten)]
    pub conn: Conn,
}

/// A failed command: what to print, and the exit code.
pub struct Failure {
    code: u8,
    message: String,
}

fn usage(message: impl Into<String>) -> Failure {
    Failure {
        code: 2,
        message: message.into(),
    }
}

fn server_failure(message: impl Into<String>) -> Failure {
    Failure {
        code: 3,
        message: message.into(),
    }
}

/// Runs a client command on its own small runtime and turns its result into an exit code.
pub fn run<F, Fut>(f: F) -> ExitCode
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<u8, Failure>>,
{
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "runway: cannot start: {e}");
            return ExitCode::from(3);
        }
    };
    match rt.block_on(f()) {
        Ok(code) => ExitCode::from(code),
        Err(failure) => {
            let _ = writeln!(std::io::stderr(), "runway: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}

/// An API client for one server and token.
pub struct Client {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Client {
    /// From flags, the environment, then the login file. The file's token goes only to the file's
    /// server: naming another server (a repository's `.envrc` setting `RUNWAY_SERVER`, say) never
    /// sends it there.
    pub fn from(conn: &Conn) -> Result<Client, Failure> {
        let file = match config::path(conn.client_config.clone()) {
            Some(p) => config::read(&p).map_err(usage)?,
            None => None,
        };
        let same =
            |a: &str, b: &str| a.trim().trim_end_matches('/') == b.trim().trim_end_matches('/');
        let nonempty = |s: &Option<String>| s.clone().filter(|v| !v.trim().is_empty());
        let (server, token) = match (nonempty(&conn.server), nonempty(&conn.token), file) {
            (Some(s), Some(t), _) => (s, t),
            (None, Some(t), Some(f)) => (f.server, t),
            (Some(s), None, Some(f)) if same(&s, &f.server) => (s, f.token),
            (Some(s), None, Some(_)) => {
                return Err(usage(format!(
                    "no token for {s}: the saved token belongs to another server; set RUNWAY_TOKEN or run `runway login --server {s}`"
                )))
            }
            (None, None, Some(f)) => (f.server, f.token),
            (None, _, None) => {
                return Err(usage(
                    "no server: pass --server URL, set RUNWAY_SERVER, or run `runway login`",
                ))
            }
            (Some(_), None, None) => {
                return Err(usage("no token: set RUNWAY_TOKEN, or run `runway login`"))
            }
        };
        Client::new(&server, &token)
    }

    pub fn new(server: &str, token: &str) -> Result<Client, Failure> {
        let base = server.trim().trim_end_matches('/').to_string();
        if !runway_core::config::is_http_url(&base) {
            return Err(usage(format!(
                "`{base}` is not a server address: expected http:// or https://"
            )));
        }
        if base.starts_with("http://") && !is_loopback(&base) {
            let _ = writeln!(
                std::io::stderr(),
                "runway: warning: {base} is plain http; the token travels unencrypted"
            );
        }
        let http = reqwest::Client::builder()
            .user_agent(concat!("runway-cli/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| server_failure(format!("cannot set up HTTP: {e}")))?;
        Ok(Client {
            http,
            base,
            token: token.trim().to_string(),
        })
    }

    fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token)
    }

    /// Sends `req` (retrying network failures of idempotent calls) and reads a JSON answer, or the
    /// problem the server answered with.
    async fn call<T: DeserializeOwned>(
        &self,
        req: reqwest::RequestBuilder,
        retries: u32,
    ) -> Result<(StatusCode, T), Failure> {
        let mut attempt = 0;
        let mut limited = 0;
        let resp = loop {
            let Some(r) = req.try_clone() else {
                return Err(server_failure("cannot repeat this call"));
            };
            match r.timeout(Duration::from_secs(60)).send().await {
                // Over the rate limit: wait as told (at most a minute), a few times.
                Ok(resp) if resp.status() == StatusCode::TOO_MANY_REQUESTS && limited < 3 => {
                    limited += 1;
                    let wait = resp
                        .headers()
                        .get(reqwest::header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.parse::<u64>().ok())
                        .unwrap_or(5)
                        .clamp(1, 60);
                    tokio::time::sleep(Duration::from_secs(wait)).await;
                }
                Ok(resp) => break resp,
                Err(e) if attempt < retries => {
                    attempt += 1;
                    tracing::debug!(error = %e, attempt, "retrying");
                    tokio::time::sleep(Duration::from_millis(500 * u64::from(attempt))).await;
                }
                Err(e) => {
                    return Err(server_failure(format!(
                        "cannot reach {}: {}",
                        self.base,
                        root_cause(&e)
                    )))
                }
            }
        };
        let status = resp.status();
        let body = resp
            .bytes()
            .await
            .map_err(|e| server_failure(format!("the answer broke off: {e}")))?;
        if !status.is_success() {
            return Err(problem_failure(status, &body));
        }
        serde_json::from_slice(&body)
            .map(|t| (status, t))
            .map_err(|e| server_failure(format!("unexpected answer from the server: {e}")))
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, Failure> {
        self.call(self.request(Method::GET, path), 2)
            .await
            .map(|(_, t)| t)
    }
}

/// `http://127.0.0.1:3000`, `http://localhost`, `http://[::1]:8080`.
fn is_loopback(base: &str) -> bool {
    let host = base
        .split_once("://")
        .map(|(_, rest)| rest)
        .unwrap_or(base)
        .split('/')
        .next()
        .unwrap_or("");
    let host = host.rsplit_once(':').map_or(host, |(h, port)| {
        if port.chars().all(|c| c.is_ascii_digit()) {
            h
        } else {
            host
        }
    });
    host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cause: &dyn std::error::Error = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

/// The server's problem details as one message (and the field errors below it).
fn problem_failure(status: StatusCode, body: &[u8]) -> Failure {
    let v: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    let title = v["title"].as_str().unwrap_or("error");
    let mut message = match v["detail"].as_str() {
        Some(d) => format!("{title}: {d}"),
        None => format!("{title} ({status})"),
    };
    if let Some(errors) = v["errors"].as_array() {
        for e in errors {
            message.push_str(&format!(
                "\n  {}: {}",
                e["field"].as_str().unwrap_or("?"),
                e["message"].as_str().unwrap_or("")
            ));
        }
    }
    let code = match status {
        StatusCode::UNAUTHORIZED => 4,
        StatusCode::TOO_MANY_REQUESTS => 3,
        s if s.is_client_error() => 2,
        _ => 3,
    };
    Failure { code, message }
}

fn out() -> std::io::StdoutLock<'static> {
    std::io::stdout().lock()
}

fn print_json<T: serde::Serialize>(value: &T) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(value).map_err(|e| server_failure(e.to_string()))?;
    let _ = writeln!(out(), "{text}");
    Ok(())
}

/// Prints rows as aligned columns under a header.
fn table(header: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut o = out();
    let line = |cells: Vec<String>| -> String {
        cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    let _ = writeln!(
        o,
        "{}",
        line(header.iter().map(|h| h.to_string()).collect())
    );
    for row in rows {
        let _ = writeln!(o, "{}", line(row.clone()));
    }
}

/// `runway login`: asks for the server (unless given) and the token, checks them, and saves them.
pub async fn login(args: LoginArgs) -> Result<u8, Failure> {
    let path = config::path(args.conn.client_config.clone())
        .ok_or_else(|| usage("cannot tell where to save: set HOME or RUNWAY_CLIENT_CONFIG"))?;
    let server = match args.conn.server.clone() {
        Some(s) => s,
        None => prompt("Runway server (https://…): ")?,
    };
    let token = match args.conn.token.clone() {
        Some(t) => t,
        None => {
            // Not echoed: a pasted token stays out of the terminal's scrollback.
            let t = rpassword::prompt_password(
                "Paste a token from Settings → API tokens (not shown): ",
            )
            .map_err(|e| usage(format!("cannot read the token: {e}")))?;
            if t.trim().is_empty() {
                return Err(usage("nothing entered"));
            }
            t
        }
    };
    let client = Client::new(&server, &token)?;
    let me: WhoAmI = client.get("/api/v1/me").await?;
    config::write(
        &path,
        &config::ClientFile {
            server: client.base.clone(),
            token: client.token.clone(),
        },
    )
    .map_err(server_failure)?;
    if args.conn.json {
        print_json(&me)?;
    } else {
        let _ = writeln!(
            out(),
            "Signed in to {} as {} ({} token `{}`: {}). Saved to {}.",
            client.base,
            me.name,
            me.token_kind,
            me.token_name,
            me.scopes.join(", "),
            path.display()
        );
    }
    Ok(0)
}

fn prompt(question: &str) -> Result<String, Failure> {
    let mut err = std::io::stderr();
    let _ = write!(err, "{question}");
    let _ = err.flush();
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| usage(format!("cannot read the answer: {e}")))?;
    let line = line.trim().to_string();
    if line.is_empty() {
        return Err(usage("nothing entered"));
    }
    Ok(line)
}

/// `runway actions [search…]`.
pub async fn actions(args: ActionsArgs) -> Result<u8, Failure> {
    let client = Client::from(&args.conn)?;
    let q = args.search.join(" ");
    let path = format!(
        "/api/v1/actions?q={}",
        runway_domain::view::encode_query_value(&q)
    );
    let list: Vec<ActionSummary> = client.get(&path).await?;
    if args.conn.json {
        print_json(&list)?;
        return Ok(0);
    }
    if list.is_empty() {
        let _ = writeln!(out(), "No actions match.");
        return Ok(0);
    }
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|a| {
            let mut note = String::new();
            if a.beta {
                note.push_str(" [beta]");
            }
            if a.deprecated {
                note.push_str(" [deprecated]");
            }
            vec![
                a.id.clone(),
                format!("{}{note}", a.title),
                a.category.clone(),
                a.owner.clone(),
            ]
        })
        .collect();
    table(&["ID", "TITLE", "CATEGORY", "OWNER"], &rows);
    Ok(0)
}

/// `NAME=VALUE` arguments as form values; `NAME=@FILE` reads the file (one trailing newline off).
fn parse_inputs(args: &[String]) -> Result<RawValues, Failure> {
    let mut raw = RawValues::new();
    for arg in args {
        let Some((name, value)) = arg.split_once('=') else {
            return Err(usage(format!(
                "`{arg}`: inputs are NAME=VALUE (or NAME=@FILE)"
            )));
        };
        let value = match value.strip_prefix('@') {
            Some(file) => {
                let text = std::fs::read_to_string(file)
                    .map_err(|e| usage(format!("{name}: cannot read {file}: {e}")))?;
                text.strip_suffix('\n')
                    .map(|t| t.strip_suffix('\r').unwrap_or(t))
                    .unwrap_or(&text)
                    .to_string()
            }
            None => value.to_string(),
        };
        raw.push((name.trim().to_string(), value));
    }
    Ok(raw)
}

/// `runway request ACTION NAME=VALUE… [--wait]`.
pub async fn request(args: RequestArgs) -> Result<u8, Failure> {
    let client = Client::from(&args.conn)?;
    let action: ActionOut = client
        .get(&format!(
            "/api/v1/actions/{}",
            runway_domain::view::encode_query_value(&args.action)
        ))
        .await?;
    let me: WhoAmI = client.get("/api/v1/me").await?;
    let fields: Vec<FieldSpec> = serde_json::from_value(action.form.clone()).map_err(|e| {
        server_failure(format!(
            "the server described a form this client cannot read (update the client?): {e}"
        ))
    })?;
    let raw = parse_inputs(&args.inputs)?;
    let known: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
    if let Some((unknown, _)) = raw.iter().find(|(k, _)| !known.contains(&k.as_str())) {
        return Err(usage(format!(
            "`{unknown}` is not an input of {}; its inputs: {}",
            action.summary.id,
            known.join(", ")
        )));
    }
    // The same validation as the portal, before anything is sent.
    let valid = form::validate(&fields, &raw, &me.teams).map_err(|errors| {
        let mut message = format!(
            "the inputs for {} need fixing (nothing was sent):",
            action.summary.id
        );
        for (field, error) in errors {
            message.push_str(&format!("\n  {field}: {error}"));
        }
        usage(message)
    })?;
    let key = uuid::Uuid::new_v4().to_string();
    let body = serde_json::json!({ "inputs": valid.all() });
    let req = client
        .request(
            Method::POST,
            &format!("/api/v1/actions/{}/requests", action.summary.id),
        )
        .header("Idempotency-Key", &key)
        .json(&body);
    // Safe to retry: the key makes a repeat return the same request.
    let (_, made): (_, Submitted) = client.call(req, 3).await?;
    if !args.wait {
        if args.conn.json {
            print_json(&made)?;
        } else {
            let _ = writeln!(
                out(),
                "Request {} made ({}): {}",
                made.id,
                made.status.replace('_', " "),
                made.url
            );
        }
        return Ok(0);
    }
    if !args.conn.json {
        let _ = writeln!(std::io::stderr(), "Request {} made: {}", made.id, made.url);
    }
    let done = follow::until_final(&client, made.id, follow::PrintLogs::No).await?;
    report_final(&done, args.conn.json)
}

/// Prints a finished request's outcome and results; 0 when it succeeded.
fn report_final(r: &RequestOut, json: bool) -> Result<u8, Failure> {
    let code = if r.status == "succeeded" { 0 } else { 1 };
    if json {
        print_json(r)?;
        return Ok(code);
    }
    let mut o = out();
    let _ = writeln!(o, "Request {} {}.", r.id, r.status.replace('_', " "));
    for output in &r.outputs {
        match (&output.value, output.secret_waiting) {
            (Some(v), _) => {
                let _ = writeln!(o, "  {}: {v}", output.label);
            }
            (None, true) => {
                let _ = writeln!(
                    o,
                    "  {}: secret, reveal it once on the request's page: {}",
                    output.label, r.url
                );
            }
            (None, false) => {}
        }
    }
    for e in &r.errors {
        let _ = writeln!(o, "  error: {e}");
    }
    Ok(code)
}

/// `runway requests [--team T] [--status S] [--channel C] [--all]`.
pub async fn requests(args: RequestsArgs) -> Result<u8, Failure> {
    let client = Client::from(&args.conn)?;
    let mut query = Vec::new();
    if args.all {
        query.push("scope=all".to_string());
    } else if let Some(t) = &args.team {
        query.push("scope=team".to_string());
        query.push(format!(
            "team={}",
            runway_domain::view::encode_query_value(t)
        ));
    }
    if let Some(s) = &args.status {
        query.push(format!(
            "status={}",
            runway_domain::view::encode_query_value(s)
        ));
    }
    if let Some(c) = &args.channel {
        query.push(format!(
            "channel={}",
            runway_domain::view::encode_query_value(c)
        ));
    }
    if let Some(b) = args.before {
        query.push(format!("before={b}"));
    }
    let page: RequestPage = client
        .get(&format!("/api/v1/requests?{}", query.join("&")))
        .await?;
    if args.conn.json {
        print_json(&page)?;
        return Ok(0);
    }
    if page.items.is_empty() {
        let _ = writeln!(out(), "No requests.");
        return Ok(0);
    }
    let rows: Vec<Vec<String>> = page
        .items
        .iter()
        .map(|r| {
            vec![
                r.id.to_string(),
                r.action_title.clone(),
                r.status.replace('_', " "),
                r.requester.clone(),
                r.team.clone().unwrap_or_default(),
                r.created_at
                    .get(..16)
                    .unwrap_or(&r.created_at)
                    .replace('T', " "),
                runway_domain::request::Channel::parse(&r.channel)
                    .map_or(r.channel.as_str(), |c| c.label())
                    .to_string(),
            ]
        })
        .collect();
    table(
        &[
            "ID",
            "ACTION",
            "STATUS",
            "REQUESTER",
            "TEAM",
            "CREATED",
            "VIA",
        ],
        &rows,
    );
    if let Some(next) = page.next_before {
        let _ = writeln!(out(), "More: add --before {next}");
    }
    Ok(0)
}

/// `runway logs ID [--follow]`.
pub async fn logs(args: LogsArgs) -> Result<u8, Failure> {
    let client = Client::from(&args.conn)?;
    if args.follow {
        let print = if args.conn.json {
            follow::PrintLogs::Json
        } else {
            follow::PrintLogs::Text
        };
        let done = follow::until_final(&client, args.id, print).await?;
        return Ok(if done.status == "succeeded" { 0 } else { 1 });
    }
    let mut after = 0;
    loop {
        let page: LogPage = client
            .get(&format!(
                "/api/v1/requests/{}/log?after={after}&limit=5000",
                args.id
            ))
            .await?;
        let mut o = out();
        for l in &page.lines {
            if args.conn.json {
                let _ = writeln!(
                    o,
                    "{}",
                    serde_json::json!({"id": l.id, "attempt": l.attempt, "stream": l.stream, "line": l.line})
                );
            } else {
                let _ = writeln!(o, "{}", l.line);
            }
        }
        match page.next_after {
            Some(n) => after = n,
            None => return Ok(0),
        }
    }
}

/// `runway approve ID` / `runway reject ID --comment …`.
pub async fn decide(args: DecideArgs, approve: bool) -> Result<u8, Failure> {
    let client = Client::from(&args.conn)?;
    if !approve && args.comment.trim().is_empty() {
        return Err(usage(
            "a rejection needs --comment, so the requester knows what to change",
        ));
    }
    let verb = if approve { "approve" } else { "reject" };
    let req = client
        .request(
            Method::POST,
            &format!("/api/v1/requests/{}/{verb}", args.id),
        )
        .json(&serde_json::json!({ "comment": args.comment }));
    let (_, done): (_, DecisionOut) = client.call(req, 0).await?;
    if args.conn.json {
        print_json(&done)?;
    } else {
        let _ = writeln!(
            out(),
            "Request {}: {}d; it is now {}.",
            done.id,
            verb,
            done.status.replace('_', " ")
        );
    }
    Ok(0)
}

/// `runway approvals`: what waits for the caller.
pub async fn approvals(conn: Conn) -> Result<u8, Failure> {
    let client = Client::from(&conn)?;
    let page: ApprovalPage = client.get("/api/v1/approvals").await?;
    if conn.json {
        print_json(&page)?;
        return Ok(0);
    }
    if page.items.is_empty() {
        let _ = writeln!(out(), "Nothing waits for your approval.");
        return Ok(0);
    }
    let rows: Vec<Vec<String>> = page
        .items
        .iter()
        .map(|i| {
            vec![
                i.id.to_string(),
                i.action_title.clone(),
                i.requester.clone().unwrap_or_default(),
                i.team.clone().unwrap_or_default(),
                i.created_at
                    .get(..16)
                    .unwrap_or(&i.created_at)
                    .replace('T', " "),
            ]
        })
        .collect();
    table(&["ID", "ACTION", "REQUESTER", "TEAM", "SUBMITTED"], &rows);
    Ok(0)
}

/// True when a progress indicator should be drawn (stderr is a terminal).
fn interactive() -> bool {
    std::io::stderr().is_terminal()
}
