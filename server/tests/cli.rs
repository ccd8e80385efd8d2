//! The `runway` binary as users run it: real processes, real exit codes, real output.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed expectation is a failed test"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn runway() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_runway"));
    // A clean environment: only what each test sets, so the developer's RUNWAY_* cannot leak in.
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default());
    cmd.current_dir(std::env::temp_dir());
    cmd
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn demo_catalog() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../catalog")
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("runway runs")
}

#[test]
fn help_explains_each_subcommand() {
    let out = run(runway().arg("--help"));
    assert!(out.status.success());
    let help = text(&out.stdout);
    for sub in ["serve", "migrate", "catalog"] {
        assert!(help.contains(sub), "{help}");
    }
    let out = run(runway().args(["catalog", "check", "--help"]));
    assert!(text(&out.stdout).contains("FILE:LINE: FIELD: MESSAGE"));
}

#[test]
fn catalog_check_passes_the_shipped_demo_catalogue() {
    let out = run(runway().arg("catalog").arg("check").arg(demo_catalog()));
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("0 files with problems"), "{stdout}");
}

#[test]
fn catalog_check_prints_every_problem_and_exits_1() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("create-repo.yaml"),
        "id: create-repo\ntitle: Repo\nsummary: S\ncategory: C\nowner: platform\nrun: {kind: manual}\ninputs:\n  - {name: a, label: A, type: string}\n  - {name: b, label: B, type: string}\n  - {name: c, label: C, type: string, pattern: \"(\"}\n",
    )
    .expect("write");
    std::fs::write(
        dir.path().join("ok.yaml"),
        "id: ok\ntitle: OK\nsummary: S\ncategory: C\nowner: platform\nrun: {kind: manual}\n",
    )
    .expect("write");
    std::fs::write(dir.path().join("two.yaml"), "id: two\ntitle: T\nsummary: S\ncategory: C\nowner: platform\nrun: {kind: manual}\nretries: many\ntimeout: forever\n").expect("write");
    let out = run(runway()
        .current_dir(dir.path())
        .args(["catalog", "check", "."]));
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines,
        vec![
            "./create-repo.yaml:10: inputs[2].pattern: invalid regex `(`: found open group without closing ')'",
            "./two.yaml:7: retries: expected a whole number from 0 to 10, found `many`",
            "./two.yaml:8: timeout: expected a duration such as `30s`, `15m`, `1h30m` or `2d`, found `forever`",
            "3 files checked: 1 actions valid, 2 files with problems (3 problems)",
        ]
    );
}

#[test]
fn catalog_check_needs_no_settings() {
    // A setting that would stop `serve` does not concern a check of catalogue files.
    let out = run(runway()
        .env("RUNWAY_NOT_A_SETTING", "x")
        .arg("catalog")
        .arg("check")
        .arg(demo_catalog()));
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn catalog_check_of_a_missing_directory_exits_2() {
    let out = run(runway().args(["catalog", "check", "/nonexistent/catalogue"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("cannot read the catalogue directory /nonexistent/catalogue")
    );
}

#[test]
fn print_config_shows_effective_settings_with_secrets_redacted() {
    let out = run(runway()
        .env(
            "RUNWAY_DATABASE_URL",
            "postgres://runway:topsecret@db.internal/runway",
        )
        .env("RUNWAY_LISTEN", "127.0.0.1:4321")
        .args(["serve", "--print-config"]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("listen = \"127.0.0.1:4321\""), "{stdout}");
    assert!(
        stdout.contains("postgres://runway:[redacted]@db.internal/runway"),
        "{stdout}"
    );
    assert!(!stdout.contains("topsecret"));
}

#[test]
fn a_bad_setting_stops_start_up_naming_the_key() {
    let out = run(runway().env("RUNWAY_LISTEN", "everywhere").arg("serve"));
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("listen (RUNWAY_LISTEN)"), "{stderr}");

    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("runway.toml");
    std::fs::write(&config, "[log]\nformat = \"yaml\"\n").expect("write");
    let out = run(runway().arg("--config").arg(&config).arg("migrate"));
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("log.format (RUNWAY_LOG__FORMAT)"),
        "{stderr}"
    );
}

fn migrate_creates_the_schema(url: &str) {
    let out = run(runway().env("RUNWAY_DATABASE_URL", url).arg("migrate"));
    assert!(out.status.success(), "{}", text(&out.stderr));
    // Running it again is a no-op, not an error.
    let out = run(runway().env("RUNWAY_DATABASE_URL", url).arg("migrate"));
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn migrate_applies_migrations_on_sqlite() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("nested").join("runway.db");
    migrate_creates_the_schema(&format!("sqlite://{}", db.display()));
    assert!(
        db.exists(),
        "the database file and its directory are created"
    );
}

#[test]
fn migrate_applies_migrations_on_postgres() {
    let admin = std::env::var("RUNWAY_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string());
    let name = format!("runway_cli_{}", std::process::id());
    let psql = |sql: &str| {
        Command::new("psql")
            .args([admin.as_str(), "-qc", sql])
            .output()
            .expect("psql runs")
    };
    assert!(psql(&format!("DROP DATABASE IF EXISTS {name}"))
        .status
        .success());
    assert!(psql(&format!("CREATE DATABASE {name}")).status.success());
    let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
    migrate_creates_the_schema(&format!("{base}/{name}"));
    psql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
}

/// A `runway serve` child process on a free port, with its stderr (JSON logs) read line by line.
struct Served {
    child: std::process::Child,
    address: String,
    lines: std::sync::mpsc::Receiver<String>,
}

fn serve(catalog: &Path, data: &Path) -> Served {
    serve_with(catalog, data, &[])
}

fn serve_with(catalog: &Path, data: &Path, env: &[(&str, String)]) -> Served {
    use std::io::BufRead;
    let mut cmd = runway();
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd
        .env("RUNWAY_LISTEN", "127.0.0.1:0")
        .env("RUNWAY_CATALOG_DIR", catalog)
        .env("RUNWAY_DATA_DIR", data)
        .args(["--log-format", "json", "serve"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn runway serve");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut served = Served {
        child,
        address: String::new(),
        lines: rx,
    };
    let line = served.wait_for("\"listening\"");
    let event: serde_json::Value = serde_json::from_str(&line).expect("json log line");
    served.address = event["address"]
        .as_str()
        .expect("address field")
        .to_string();
    served
}

impl Drop for Served {
    /// A failed test must not leave a server running (it would hold the test runner's pipes open).
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

impl Served {
    /// Waits (up to 60 s) for a log line containing `needle` and returns it.
    fn wait_for(&mut self, needle: &str) -> String {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if line.contains(needle) => return line,
                Ok(_) => continue,
                Err(_) => panic!("no log line containing {needle} within 60 s"),
            }
        }
    }

    fn signal(&self, name: &str) {
        let ok = Command::new("kill")
            .args(["-s", name, &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(ok.success());
    }

    /// A minimal HTTP/1.1 GET, returning (status, body).
    fn get(&self, path: &str) -> (u16, String) {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(&self.address).expect("connect");
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.address
        )
        .expect("send");
        let mut response = String::new();
        stream.read_to_string(&mut response).expect("read");
        let status = response
            .get(9..12)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        (status, response)
    }
}

#[cfg(unix)]
#[test]
fn sighup_reloads_the_catalogue_and_sigterm_stops_gracefully() {
    let catalog = tempfile::tempdir().expect("tempdir");
    let data = tempfile::tempdir().expect("tempdir");
    let action = |id: &str| {
        format!("id: {id}\ntitle: Title {id}\nsummary: S\ncategory: C\nowner: platform\nrun: {{kind: manual}}\n")
    };
    std::fs::write(catalog.path().join("first.yaml"), action("first")).expect("write");
    let mut served = serve(catalog.path(), data.path());
    let actions = |served: &Served| {
        let (status, response) = served.get("/readyz");
        assert_eq!(status, 200);
        let body = response
            .split("\r\n\r\n")
            .nth(1)
            .unwrap_or_default()
            .to_string();
        let ready: serde_json::Value = serde_json::from_str(&body).expect("readyz json");
        ready["catalog"]["actions"].as_u64().unwrap_or(0)
    };
    assert_eq!(actions(&served), 1);

    std::fs::write(catalog.path().join("second.yaml"), action("second")).expect("write");
    served.signal("HUP");
    let reloaded = served.wait_for("catalogue loaded");
    assert!(reloaded.contains("\"added\":1"), "{reloaded}");
    assert_eq!(
        actions(&served),
        2,
        "the new file is served without a restart"
    );

    served.signal("TERM");
    served.wait_for("SIGTERM received");
    let status = served.child.wait().expect("wait");
    assert!(
        status.success(),
        "graceful shutdown exits 0, got {status:?}"
    );
    assert!(
        data.path().join("runway.db").exists(),
        "SQLite lives in the data directory by default"
    );
}

fn discover_fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../discover/tests/fixtures")
        .join(name)
}

#[test]
fn tickets_analyze_ranks_a_jira_export_without_settings_or_a_database() {
    let out = run(runway()
        .args(["tickets", "analyze"])
        .arg(discover_fixture("jira-all-fields.csv")));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    assert!(
        table.contains("(jira-csv): 4 tickets, 2 skipped"),
        "{table}"
    );
    assert!(table.contains("new starter <*>"), "{table}");
    assert!(table.contains("Finance 2"), "{table}");
    let errors = text(&out.stderr);
    assert!(errors.contains("skipped line 7: no title"), "{errors}");
    assert!(
        errors.contains("skipped line 8: unreadable date in created"),
        "{errors}"
    );
}

#[test]
fn tickets_analyze_prints_json_for_a_mapped_csv() {
    let out = run(runway()
        .args(["tickets", "analyze", "--json", "--top", "1", "--map"])
        .arg("title=short_description,created=opened_at,resolved=closed_at,team=assignment_group")
        .arg(discover_fixture("servicenow.csv")));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["format"], "csv");
    let groups = json["report"]["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0]["template"], "unlock ad account user <*>");
    assert_eq!(groups[0]["tickets"], 2);
}

#[test]
fn tickets_analyze_explains_an_unknown_csv_and_exits_2() {
    let out = run(runway()
        .args(["tickets", "analyze"])
        .arg(discover_fixture("servicenow.csv")));
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--map title=COLUMN"));
    let missing = run(runway().args(["tickets", "analyze", "/nonexistent/export.csv"]));
    assert_eq!(missing.status.code(), Some(2));
    assert!(text(&missing.stderr).contains("cannot open /nonexistent/export.csv"));
}

#[test]
fn tickets_analyze_writes_draft_actions_the_catalogue_check_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let drafts = dir.path().join("drafts");
    let out = run(runway()
        .args([
            "tickets", "analyze", "--top", "2", "--owner", "identity", "--drafts",
        ])
        .arg(&drafts)
        .arg(discover_fixture("jira-all-fields.csv")));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let draft = std::fs::read_to_string(drafts.join("new-starter.yaml")).unwrap();
    assert!(draft.contains("kind: manual"), "{draft}");
    assert!(draft.contains("owner: identity"), "{draft}");
    assert!(draft.contains("- name: name"), "{draft}");

    let check = run(runway().args(["catalog", "check"]).arg(&drafts));
    assert!(check.status.success(), "{}", text(&check.stdout));
    assert!(
        text(&check.stdout).contains("2 actions valid"),
        "{}",
        text(&check.stdout)
    );

    // A second run keeps the files people may have started to edit.
    std::fs::write(drafts.join("new-starter.yaml"), "edited").unwrap();
    let again = run(runway()
        .args(["tickets", "analyze", "--top", "1", "--drafts"])
        .arg(&drafts)
        .arg(discover_fixture("jira-all-fields.csv")));
    assert!(again.status.success());
    assert!(text(&again.stderr).contains("draft kept (file exists)"));
    assert_eq!(
        std::fs::read_to_string(drafts.join("new-starter.yaml")).unwrap(),
        "edited"
    );
}

#[test]
fn tickets_import_stores_an_export_and_a_second_import_adds_nothing_new() {
    let dir = tempfile::tempdir().unwrap();
    let import = || {
        run(runway()
            .env("RUNWAY_DATA_DIR", dir.path().join("data"))
            .env("RUNWAY_DISCOVER__REPORTERS", "hash")
            .env("RUNWAY_DISCOVER__REPORTER_SALT", "pepper")
            .args(["tickets", "import"])
            .arg(discover_fixture("jira-all-fields.csv")))
    };
    let first = import();
    assert!(first.status.success(), "{}", text(&first.stderr));
    assert!(
        text(&first.stdout)
            .contains("import #1 into source `jira`: 4 tickets (4 new, 0 updated), 2 rows skipped"),
        "{}",
        text(&first.stdout)
    );
    let second = import();
    assert!(
        text(&second.stdout).contains("import #2 into source `jira`: 4 tickets (0 new, 4 updated)"),
        "{}",
        text(&second.stdout)
    );
}

#[test]
fn tickets_import_refuses_hashed_reporters_without_a_salt() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(runway()
        .env("RUNWAY_DATA_DIR", dir.path().join("data"))
        .env("RUNWAY_DISCOVER__REPORTERS", "hash")
        .args(["tickets", "import"])
        .arg(discover_fixture("jira-all-fields.csv")));
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("discover.reporter_salt is required"));
}

/// `runway report impact` against `url`: the text report, `--json`, and a bad period.
fn report_impact_prints_the_same_report_as_text_and_json(url: &str, data: &Path) {
    let report = |args: &[&str]| {
        run(runway()
            .env("RUNWAY_DATABASE_URL", url)
            .env("RUNWAY_DATA_DIR", data)
            .env("RUNWAY_CATALOG_DIR", demo_catalog())
            .args(["report", "impact"])
            .args(args))
    };
    let out = report(&[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("(90 days)"), "{stdout}");
    assert!(stdout.contains("0 requests"), "{stdout}");
    assert!(
        stdout.lines().any(|l| l.starts_with("create-repo")
            && l.contains("not enough data")
            && l.contains("no baseline")),
        "{stdout}"
    );
    let json = report(&["--since", "12w", "--json"]);
    assert!(json.status.success(), "{}", text(&json.stderr));
    let parsed: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
    assert_eq!(parsed["days"], 84);
    assert!(parsed["actions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["action_id"] == "create-repo" && a["title"] == "Create a service repository"));
    let bad = report(&["--since", "soon"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        text(&bad.stderr).contains("is not a period"),
        "{}",
        text(&bad.stderr)
    );
}

#[test]
fn report_impact_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("runway.db").display());
    report_impact_prints_the_same_report_as_text_and_json(&url, &dir.path().join("data"));
}

#[test]
fn report_impact_on_postgres() {
    let admin = std::env::var("RUNWAY_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string());
    let name = format!("runway_report_{}", std::process::id());
    let psql = |sql: &str| {
        Command::new("psql")
            .args([admin.as_str(), "-qc", sql])
            .output()
            .expect("psql runs")
    };
    assert!(psql(&format!("CREATE DATABASE {name}")).status.success());
    let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
    let dir = tempfile::tempdir().unwrap();
    report_impact_prints_the_same_report_as_text_and_json(
        &format!("{base}/{name}"),
        &dir.path().join("data"),
    );
    psql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
}

const GREET: &str = "id: greet\ntitle: Greet someone\nsummary: Says hello.\ncategory: Testing\nowner: platform\ninputs:\n  - {name: who, label: Who, type: string, required: true, pattern: '[a-z]+'}\nrun:\n  kind: script\n  command: scripts/greet.sh\n  args: [\"{{who}}\"]\n";
const GREET_SH: &str = "#!/bin/sh\necho \"greeting $1\"\nprintf '{\"outputs\": [{\"name\": \"greeting\", \"label\": \"Greeting\", \"kind\": \"text\", \"value\": \"hello %s\"}]}' \"$1\" > \"$RUNWAY_OUTPUTS\"\n";
const BROKEN: &str = "id: broken\ntitle: Always fails\nsummary: Fails.\ncategory: Testing\nowner: platform\nretries: 0\nrun:\n  kind: script\n  command: scripts/broken.sh\n";
const CHATTY: &str = "id: chatty\ntitle: Talks a lot\nsummary: Prints 1200 lines.\ncategory: Testing\nowner: platform\nrun:\n  kind: script\n  command: scripts/chatty.sh\n";
const CHATTY_SH: &str =
    "#!/bin/sh\ni=1\nwhile [ $i -le 1200 ]; do echo \"line $i\"; i=$((i+1)); done\n";
const BROKEN_SH: &str = "#!/bin/sh\necho 'no luck' >&2\nexit 3\n";
const SLOW: &str = "id: slow\ntitle: Takes its time\nsummary: Two lines, two seconds apart.\ncategory: Testing\nowner: platform\nrun:\n  kind: script\n  command: scripts/slow.sh\n";
const SLOW_SH: &str = "#!/bin/sh\necho 'step one'\nsleep 2\necho 'step two'\n";
const GATED: &str = "id: gated\ntitle: Needs the lead\nsummary: Waits for approval.\ncategory: Testing\nowner: platform\napproval: team-lead\ninputs:\n  - {name: team, label: Team, type: team, required: true}\nrun:\n  kind: script\n  command: scripts/slow.sh\n";

fn open_dir() -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let d = tempfile::tempdir().expect("tempdir");
    std::fs::set_permissions(d.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    d
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// Signs in as a demo user and makes a personal token through the settings page's form.
fn token_for(address: &str, login: &str) -> String {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        let base = format!("http://{address}");
        let resp = client
            .post(format!("{base}/auth/dev-login"))
            .header("origin", &base)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("login={login}&next=/"))
            .send()
            .await
            .expect("sign in");
        let cookie = resp.headers()["set-cookie"]
            .to_str()
            .expect("cookie")
            .split(';')
            .next()
            .expect("pair")
            .to_string();
        let html = client
            .post(format!("{base}/settings/tokens"))
            .header("origin", &base)
            .header("cookie", cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("name=cli&days=7&scopes=read&scopes=request&scopes=approve")
            .send()
            .await
            .expect("make token")
            .text()
            .await
            .expect("body");
        let start = html.find("rw_pat_").expect("token shown");
        html[start..start + 50].to_string()
    })
}

fn metrics_text(port: u16) -> String {
    listener_get(port, "/metrics")
}

/// The whole HTTP answer (status line, headers, body) of `GET path` on the metrics listener.
fn listener_get(port: u16, path: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    response
}

/// The client against a real `runway serve` with its in-process workers: login, search, local
/// validation (nothing sent), `--wait` exiting 0 on success and 1 on failure, history, logs; and
/// the job metrics on the separate metrics address afterwards.
fn client_story(database_url: Option<String>) {
    use std::os::unix::fs::PermissionsExt;
    let catalog = open_dir();
    let scripts = catalog.path().join("scripts");
    std::fs::create_dir(&scripts).expect("scripts");
    std::fs::set_permissions(&scripts, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    for (id, yaml, sh) in [
        ("greet", GREET, GREET_SH),
        ("broken", BROKEN, BROKEN_SH),
        ("chatty", CHATTY, CHATTY_SH),
        ("slow", SLOW, SLOW_SH),
        ("gated", GATED, SLOW_SH),
    ] {
        std::fs::write(catalog.path().join(format!("{id}.yaml")), yaml).expect("yaml");
        let script = scripts.join(format!("{id}.sh"));
        std::fs::write(&script, sh).expect("script");
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    let data = tempfile::tempdir().expect("tempdir");
    let state = tempfile::tempdir().expect("tempdir");
    let runs = tempfile::tempdir().expect("tempdir");
    let home = tempfile::tempdir().expect("tempdir");
    let metrics_port = free_port();
    let mut env = vec![
        (
            "RUNWAY_SCRIPTS__STATE_ROOT",
            state.path().display().to_string(),
        ),
        (
            "RUNWAY_SCRIPTS__WORK_ROOT",
            runs.path().display().to_string(),
        ),
        (
            "RUNWAY_METRICS__LISTEN",
            format!("127.0.0.1:{metrics_port}"),
        ),
        ("RUNWAY_WORKER__POLL_INTERVAL", "1s".to_string()),
    ];
    if let Some(url) = &database_url {
        env.push(("RUNWAY_DATABASE_URL", url.clone()));
    }
    let served = serve_with(catalog.path(), data.path(), &env);
    let token = token_for(&served.address, "dana");
    let client_file = home.path().join("runway").join("client.toml");
    let client = || {
        let mut cmd = runway();
        cmd.env("RUNWAY_CLIENT_CONFIG", &client_file);
        cmd
    };

    let out = run(client()
        .args(["login", "--server"])
        .arg(format!("http://{}", served.address))
        .args(["--token", &token]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("Dana Developer"),
        "{}",
        text(&out.stdout)
    );
    let mode = std::fs::metadata(&client_file)
        .expect("saved")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "the client file is private");

    let out = run(client().args(["actions", "greet", "--json"]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(list[0]["id"], "greet");
    let out = run(client().args(["actions"]));
    assert!(text(&out.stdout).starts_with("ID"), "a table");

    // A mistake is caught before anything is sent.
    let out = run(client().args(["request", "greet", "who=Not Valid"]));
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("who:") && err.contains("nothing was sent"),
        "{err}"
    );
    let out = run(client().args(["request", "greet", "whom=x"]));
    assert_eq!(out.status.code(), Some(2), "an unknown input is named");
    let out = run(client().args(["requests", "--json"]));
    let page: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(
        page["items"].as_array().map(Vec::len),
        Some(0),
        "no request was made"
    );

    // --wait follows the request to its end and prints the results.
    let out = run(client().args(["request", "greet", "who=world", "--wait"]));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("succeeded") && stdout.contains("Greeting: hello world"),
        "{stdout}"
    );
    let out = run(client().args(["request", "broken", "--wait", "--json"]));
    assert_eq!(out.status.code(), Some(1), "a failed request exits 1");
    let failed: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(failed["status"], "failed");

    let out = run(client().args(["requests", "--status", "succeeded", "--json"]));
    let page: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let id = page["items"][0]["id"].as_i64().expect("one succeeded");
    assert_eq!(page["items"][0]["channel"], "api");
    // Requests made here came through the API: the channel filter and the VIA column say so.
    let out = run(client().args(["requests", "--channel", "api"]));
    let table = text(&out.stdout);
    assert!(
        table.lines().next().is_some_and(|h| h.ends_with("VIA"))
            && table
                .lines()
                .nth(1)
                .is_some_and(|l| l.trim_end().ends_with("API")),
        "{table}"
    );
    let out = run(client().args(["requests", "--channel", "portal", "--json"]));
    let page: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(page["items"].as_array().map(Vec::len), Some(0));
    let out = run(client().args(["requests", "--channel", "fax"]));
    assert_ne!(out.status.code(), Some(0));
    assert!(
        text(&out.stderr).contains("portal, api, slack or jira"),
        "{}",
        text(&out.stderr)
    );
    let out = run(client().args(["logs", &id.to_string()]));
    assert!(
        text(&out.stdout).contains("greeting world"),
        "{}",
        text(&out.stdout)
    );

    // A refused token exits 4; a server that is not there exits 3.
    let out = run(client().args([
        "actions",
        "--token",
        "rw_pat_0000000000000000000000000000000000000000000",
    ]));
    assert_eq!(out.status.code(), Some(4));
    let out = run(client().args(["actions", "--server", "http://127.0.0.1:9"]));
    assert_eq!(
        out.status.code(),
        Some(2),
        "the saved token never goes to another server"
    );
    assert!(
        text(&out.stderr).contains("belongs to another server"),
        "{}",
        text(&out.stderr)
    );
    let out = run(client().args([
        "actions",
        "--server",
        "http://127.0.0.1:9",
        "--token",
        &token,
    ]));
    assert_eq!(out.status.code(), Some(3));

    // Following a finished request's long log prints every line, in order.
    let out = run(client().args(["request", "chatty", "--wait"]));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = run(client().args(["requests", "--json"]));
    let page: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let chatty = page["items"][0]["id"].as_i64().expect("newest");
    let out = run(client().args(["logs", &chatty.to_string(), "--follow"]));
    assert_eq!(out.status.code(), Some(0));
    let lines: Vec<String> = text(&out.stdout)
        .lines()
        .filter(|l| l.starts_with("line "))
        .map(str::to_string)
        .collect();
    assert_eq!(lines.len(), 1200, "every line of a long log");
    assert_eq!(lines[1199], "line 1200");

    // The metrics listener also answers the probes (a worker's only HTTP port).
    let health = listener_get(metrics_port, "/healthz");
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    let ready = listener_get(metrics_port, "/readyz");
    assert!(
        ready.starts_with("HTTP/1.1 200") && ready.contains(r#""status":"ready""#),
        "{ready}"
    );
    let metrics = metrics_text(metrics_port);
    for line in [
        r#"runway_jobs_finished_total{executor="script",action="greet",outcome="succeeded"} 1"#,
        r#"runway_jobs_finished_total{executor="script",action="broken",outcome="failed"} 1"#,
        r#"runway_executor_failures_total{executor="script",reason="error"} 1"#,
        r#"runway_job_run_seconds_count{executor="script"} 3"#,
        r#"runway_requests{action="greet",status="succeeded",channel="api"} 1"#,
    ] {
        assert!(metrics.contains(line), "{line} in:\n{metrics}");
    }

    // Following a running request's log as JSON: each line as it comes, one object a line.
    let out = run(client().args(["request", "slow", "--json"]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let made: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let slow = made["id"].as_i64().expect("id");
    let out = run(client().args(["logs", &slow.to_string(), "--follow", "--json"]));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let lines: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    let said: Vec<&str> = lines
        .iter()
        .filter(|l| l["stream"] == "stdout")
        .filter_map(|l| l["line"].as_str())
        .collect();
    assert_eq!(said, ["step one", "step two"], "{lines:?}");
    assert!(lines
        .iter()
        .all(|l| l["id"].as_i64().is_some_and(|n| n > 0)));
    assert!(
        lines
            .last()
            .is_some_and(|l| l["line"] == "exited with status 0"),
        "{lines:?}"
    );

    // Approvals from the command line: the lead lists, rejects (a comment is required) and
    // approves; the approved request then runs.
    let lee = token_for(&served.address, "lee");
    let server = format!("http://{}", served.address);
    let as_lee = |args: &[&str]| {
        let mut cmd = client();
        cmd.args(args).args(["--server", &server, "--token", &lee]);
        run(&mut cmd)
    };
    let mut waiting = Vec::new();
    for _ in 0..2 {
        let out = run(client().args(["request", "gated", "team=payments", "--json"]));
        assert!(out.status.success(), "{}", text(&out.stderr));
        let made: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        assert_eq!(made["status"], "pending_approval");
        waiting.push(made["id"].as_i64().expect("id").to_string());
    }
    let out = as_lee(&["approvals", "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let inbox: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(inbox["total"], 2, "{inbox}");
    let out = as_lee(&["approvals"]);
    assert!(
        text(&out.stdout).contains("Needs the lead"),
        "a table: {}",
        text(&out.stdout)
    );
    let out = as_lee(&["reject", &waiting[0]]);
    assert_eq!(out.status.code(), Some(2), "a rejection needs a comment");
    let out = as_lee(&["reject", &waiting[0], "--comment", "Not this week."]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = as_lee(&["approve", &waiting[1], "--comment", "Go ahead.", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let decided: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    // Approved: queued, or already taken by the in-process worker.
    assert!(
        ["queued", "running", "succeeded"].contains(&decided["status"].as_str().unwrap_or("")),
        "{decided}"
    );
    let out = run(client().args(["request", "gated", "team=payments"]));
    assert!(out.status.success());
    // Dana may not approve (her own request; no lead).
    let out = run(client().args(["approvals", "--json"]));
    let inbox: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(inbox["total"], 0);
    let out = run(client().args(["logs", &waiting[1], "--follow"]));
    assert_eq!(out.status.code(), Some(0), "the approved request ran");
    assert!(text(&out.stdout).contains("step two"));
    let out = run(client().args(["requests", "--status", "rejected", "--json"]));
    let page: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(page["items"][0]["id"].to_string(), waiting[0]);

    // The team's requests, as its lead, a page at a time.
    let out = as_lee(&["requests", "--team", "payments", "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let team: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let ids: Vec<i64> = team["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|r| r["id"].as_i64())
        .collect();
    assert!(ids.len() >= 3, "{team}");
    let out = as_lee(&[
        "requests",
        "--team",
        "payments",
        "--before",
        &ids[1].to_string(),
        "--json",
    ]);
    let older: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(
        older["items"][0]["id"].as_i64(),
        Some(ids[2]),
        "older than the cursor"
    );
    let out = run(client().args(["requests", "--team", "search"]));
    assert_ne!(out.status.code(), Some(0), "not Dana's team");
}

#[test]
fn the_client_requests_follows_and_reports_on_sqlite() {
    client_story(None);
}

#[test]
fn the_client_requests_follows_and_reports_on_postgres() {
    let admin = std::env::var("RUNWAY_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string());
    let name = format!("runway_client_{}", std::process::id());
    let psql = |sql: &str| {
        Command::new("psql")
            .args([admin.as_str(), "-qc", sql])
            .output()
            .expect("psql runs")
    };
    psql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
    assert!(psql(&format!("CREATE DATABASE {name}")).status.success());
    let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
    client_story(Some(format!("{base}/{name}")));
    psql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
}
