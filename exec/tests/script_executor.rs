//! The script executor with real processes: values stay data, the environment is cleared, scripts
//! run as the unprivileged run user, timeouts and cancellations stop every process the script
//! started, secrets never reach the log, outputs files are read, and the log is capped.
//!
//! On a machine where the tests run as root (CI), scripts really run as each action's own uid (or
//! `nobody`), so every directory a script needs is made readable (0755) or writable (0777) for it.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed expectation is a failed test"
)]

use runway_exec::script::{run, ScriptRun, ScriptSettings, UidRange};
use runway_exec::{MemorySink, OutputKind, Redactor, Stream};
use serde_json::{json, Map, Value};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

const GRACE: Duration = Duration::from_millis(300);

/// A directory holding test scripts, the work root and a state directory.
struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        chmod(dir.path(), 0o755);
        Self { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// A `/bin/sh` script (the script's own choice of language; Runway starts it without a shell).
    fn script(&self, name: &str, body: &str) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        chmod(&path, 0o755);
        path
    }

    /// A directory anyone may write: where a shell injection would leave its marker files.
    fn open_dir(&self, name: &str) -> PathBuf {
        let path = self.path(name);
        std::fs::create_dir(&path).unwrap();
        chmod(&path, 0o777);
        path
    }

    fn settings(&self) -> ScriptSettings {
        ScriptSettings {
            kill_grace: GRACE,
            work_root: self.path("runs"),
            ..ScriptSettings::default()
        }
    }

    fn run(&self, program: PathBuf, args: &[&str], inputs: Value) -> ScriptRun {
        self.run_of("test-action", program, args, inputs)
    }

    /// A run of the action `action`, with its state directory under `state/`.
    fn run_of(&self, action: &str, program: PathBuf, args: &[&str], inputs: Value) -> ScriptRun {
        let Value::Object(inputs) = inputs else {
            panic!("inputs must be a JSON object")
        };
        ScriptRun {
            program,
            args: args.iter().map(|a| a.to_string()).collect(),
            inputs,
            secret_inputs: Map::new(),
            timeout: Duration::from_secs(20),
            state_dir: Some(self.path("state").join(action)),
            request_id: 42,
            action_id: action.to_string(),
        }
    }

    fn state_file(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.path("state/test-action").join(name)).unwrap()
    }
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

async fn execute(
    settings: &ScriptSettings,
    script_run: &ScriptRun,
    redactor: &Redactor,
) -> (Result<Vec<runway_exec::Output>, String>, MemorySink) {
    let sink = MemorySink::default();
    let result = run(
        settings,
        script_run,
        &sink,
        redactor,
        &CancellationToken::new(),
    )
    .await;
    (result, sink)
}

/// `NAME=value` pairs of an `env -0` dump.
fn parse_env(dump: &[u8]) -> Vec<(String, String)> {
    dump.split(|&b| b == 0)
        .filter(|e| !e.is_empty())
        .map(|e| {
            let text = String::from_utf8(e.to_vec()).unwrap();
            let (k, v) = text.split_once('=').unwrap();
            (k.to_string(), v.to_string())
        })
        .collect()
}

fn env_value<'a>(env: &'a [(String, String)], name: &str) -> Option<&'a str> {
    env.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// Whether a process is gone (or only a zombie waiting for a parent that may never reap it).
fn is_dead(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with(['Z', 'X'])),
    }
}

/// Waits until `pid` is dead, up to `within`.
async fn dies_within(pid: u32, within: Duration) -> bool {
    let until = Instant::now() + within;
    while Instant::now() < until {
        if is_dead(pid) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    is_dead(pid)
}

/// A script that starts a child ignoring SIGTERM (so only SIGKILL stops it), records the child's
/// pid, and then waits.
fn stubborn_script(fx: &Fixture) -> PathBuf {
    fx.script(
        "stubborn.sh",
        r#"(trap '' TERM; exec sleep 300) &
echo $! > "$RUNWAY_STATE_DIR/child.tmp"
mv "$RUNWAY_STATE_DIR/child.tmp" "$RUNWAY_STATE_DIR/child"
sleep 300"#,
    )
}

fn hostile_values(markers: &Path) -> Vec<String> {
    vec![
        "; rm -rf /".to_string(),
        format!("; touch {}/semicolon", markers.display()),
        format!("$(touch {}/dollar)", markers.display()),
        format!("`touch {}/backtick`", markers.display()),
        format!("| touch {}/pipe", markers.display()),
        "a\nb".to_string(),
        "-rf".to_string(),
        "--help".to_string(),
        "@/etc/passwd".to_string(),
        r#"it's "quoted" \ back\slash"#.to_string(),
        "*".to_string(),
        String::new(),
        "  spaced  out  ".to_string(),
        "ünïcødé ✓".to_string(),
        "x".repeat(100_000),
    ]
}

#[tokio::test]
async fn hostile_values_arrive_byte_exact_as_single_arguments_and_variables() {
    let fx = Fixture::new();
    let markers = fx.open_dir("markers");
    let hostile = hostile_values(&markers);
    let script = fx.script(
        "argv.sh",
        r#"printf '%s\0' "$@" > "$RUNWAY_STATE_DIR/argv"
env -0 > "$RUNWAY_STATE_DIR/env""#,
    );
    let args: Vec<&str> = hostile.iter().map(String::as_str).collect();
    let inputs: Map<String, Value> = hostile
        .iter()
        .enumerate()
        .map(|(i, v)| (format!("value_{i}"), Value::String(v.clone())))
        .collect();

    let (result, sink) = execute(
        &fx.settings(),
        &fx.run(script, &args, Value::Object(inputs)),
        &Redactor::default(),
    )
    .await;

    assert_eq!(result, Ok(vec![]), "log:\n{}", sink.text());
    let expected: Vec<u8> = hostile.iter().flat_map(|v| v.bytes().chain([0])).collect();
    assert!(
        fx.state_file("argv") == expected,
        "argv differs from the arguments given"
    );
    let env = parse_env(&fx.state_file("env"));
    for (i, value) in hostile.iter().enumerate() {
        assert_eq!(
            env_value(&env, &format!("RUNWAY_INPUT_VALUE_{i}")),
            Some(value.as_str()),
            "input {i}"
        );
    }
    let left: Vec<_> = std::fs::read_dir(&markers).unwrap().collect();
    assert!(left.is_empty(), "a value was interpreted: {left:?}");
    let system = sink.lines()[0].clone();
    assert_eq!(
        system.0,
        Stream::System,
        "the first line is Runway's own note"
    );
    assert!(system
        .1
        .ends_with(&format!("({} arguments)", hostile.len())));
    assert!(system.1.len() < 500, "argument values are not logged");
}

#[tokio::test]
async fn an_argument_with_a_nul_byte_is_an_error_not_a_panic() {
    let fx = Fixture::new();
    let markers = fx.open_dir("markers");
    let script = fx.script("touch.sh", &format!("touch {}/ran", markers.display()));

    let (arg, _) = execute(
        &fx.settings(),
        &fx.run(script.clone(), &["fine", "bad\0value"], json!({})),
        &Redactor::default(),
    )
    .await;
    let (input, _) = execute(
        &fx.settings(),
        &fx.run(script, &[], json!({"name": "bad\u{0}value"})),
        &Redactor::default(),
    )
    .await;

    let arg = arg.unwrap_err();
    assert!(arg.contains("argument 2") && arg.contains("NUL"), "{arg}");
    let input = input.unwrap_err();
    assert!(input.contains("`name`") && input.contains("NUL"), "{input}");
    assert!(!markers.join("ran").exists(), "the script must not start");
}

#[tokio::test]
async fn the_environment_is_cleared_and_inputs_arrive_on_stdin() {
    // Set in this test process: must not reach the script.
    std::env::set_var("RUNWAY_TEST_LEAK", "1");
    let fx = Fixture::new();
    let script = fx.script(
        "env.sh",
        r#"env -0 > "$RUNWAY_STATE_DIR/env"
cat > "$RUNWAY_STATE_DIR/stdin""#,
    );
    let mut settings = fx.settings();
    settings
        .env
        .insert("RUNWAY_REPOS_DIR".to_string(), "/srv/repos".to_string());
    let inputs = json!({"repo_name": "billing", "private": true, "teams": ["a", "b"], "count": 3});

    let (result, sink) = execute(
        &settings,
        &fx.run(script, &[], inputs.clone()),
        &Redactor::default(),
    )
    .await;

    assert_eq!(result, Ok(vec![]), "log:\n{}", sink.text());
    let env = parse_env(&fx.state_file("env"));
    assert_eq!(env_value(&env, "RUNWAY_TEST_LEAK"), None);
    for name in ["PATH", "LANG", "LC_ALL", "TZ"] {
        let ours = std::env::var(name).ok();
        assert_eq!(env_value(&env, name), ours.as_deref(), "{name}");
    }
    assert!(env_value(&env, "PATH").is_some(), "PATH is allowed");
    assert_eq!(env_value(&env, "RUNWAY_REPOS_DIR"), Some("/srv/repos"));
    assert_eq!(env_value(&env, "RUNWAY_INPUT_REPO_NAME"), Some("billing"));
    assert_eq!(env_value(&env, "RUNWAY_INPUT_PRIVATE"), Some("true"));
    assert_eq!(env_value(&env, "RUNWAY_INPUT_TEAMS"), Some("a,b"));
    assert_eq!(env_value(&env, "RUNWAY_INPUT_COUNT"), Some("3"));
    assert_eq!(env_value(&env, "RUNWAY_REQUEST_ID"), Some("42"));
    assert_eq!(env_value(&env, "RUNWAY_ACTION_ID"), Some("test-action"));
    let state = fx.path("state/test-action");
    assert_eq!(env_value(&env, "RUNWAY_STATE_DIR"), state.to_str());
    let home = env_value(&env, "HOME").unwrap();
    assert!(
        home.starts_with(fx.path("runs").to_str().unwrap()),
        "{home}"
    );
    assert_eq!(env_value(&env, "TMPDIR"), Some(home));
    assert_eq!(
        env_value(&env, "RUNWAY_OUTPUTS"),
        Some(format!("{home}/outputs.json").as_str())
    );
    // Nothing else, apart from what the shell itself exports.
    let expected_prefixes = ["RUNWAY_INPUT_"];
    let known = [
        "PATH",
        "LANG",
        "LC_ALL",
        "TZ",
        "HOME",
        "TMPDIR",
        "RUNWAY_OUTPUTS",
        "RUNWAY_REQUEST_ID",
        "RUNWAY_ACTION_ID",
        "RUNWAY_STATE_DIR",
        "RUNWAY_REPOS_DIR",
        "PWD",
        "OLDPWD",
        "SHLVL",
        "_",
    ];
    for (k, _) in &env {
        assert!(
            known.contains(&k.as_str()) || expected_prefixes.iter().any(|p| k.starts_with(p)),
            "unexpected variable {k}"
        );
    }
    let stdin: Value = serde_json::from_slice(&fx.state_file("stdin")).unwrap();
    assert_eq!(stdin, inputs);
}

#[tokio::test]
async fn scripts_run_as_the_run_user_in_a_private_working_directory_removed_afterwards() {
    let fx = Fixture::new();
    let script = fx.script(
        "whoami.sh",
        r#"printf '{"outputs": [{"name": "uid", "value": "%s"}, {"name": "workdir", "value": "%s"}, {"name": "mode", "value": "%s"}]}' \
  "$(id -u)" "$(pwd)" "$(stat -c %a .)" > "$RUNWAY_OUTPUTS""#,
    );

    let (result, sink) = execute(
        &fx.settings(),
        &fx.run(script, &[], json!({})),
        &Redactor::default(),
    )
    .await;

    let outputs = result.unwrap_or_else(|e| panic!("{e}\nlog:\n{}", sink.text()));
    let value = |name: &str| {
        outputs
            .iter()
            .find(|o| o.name == name)
            .map(|o| o.value.clone())
            .unwrap()
    };
    assert_ne!(value("uid"), "0", "scripts never run as root");
    let state = std::fs::metadata(fx.path("state/test-action")).unwrap();
    if nix::unistd::geteuid().is_root() {
        let uid: u32 = value("uid").parse().unwrap();
        assert!(
            (61000..=61999).contains(&uid),
            "the action's own uid: {uid}"
        );
        assert_eq!(state.uid(), uid, "the state dir is handed over");
        assert_eq!(state.mode() & 0o777, 0o700);
    } else {
        assert_eq!(value("uid"), nix::unistd::geteuid().to_string());
    }
    assert_eq!(value("mode"), "700");
    let workdir = PathBuf::from(value("workdir"));
    assert!(
        workdir.starts_with(fx.path("runs")),
        "{}",
        workdir.display()
    );
    assert!(!workdir.exists(), "the working directory is removed");
}

#[tokio::test]
async fn a_timeout_stops_every_process_of_the_script() {
    let fx = Fixture::new();
    let script = stubborn_script(&fx);
    let mut script_run = fx.run(script, &[], json!({}));
    script_run.timeout = Duration::from_secs(2);

    let started = Instant::now();
    let (result, sink) = execute(&fx.settings(), &script_run, &Redactor::default()).await;
    let took = started.elapsed();

    assert_eq!(
        result,
        Err("timed out after 2s".to_string()),
        "log:\n{}",
        sink.text()
    );
    assert!(
        took < Duration::from_secs(2) + GRACE + Duration::from_secs(2),
        "took {took:?}"
    );
    assert!(sink
        .text()
        .contains("timed out after 2s: stopping the script"));
    let child: u32 = String::from_utf8(fx.state_file("child"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(
        dies_within(child, GRACE + Duration::from_secs(1)).await,
        "the background child {child} survived the timeout"
    );
}

#[tokio::test]
async fn a_cancellation_stops_every_process_of_the_script() {
    let fx = Fixture::new();
    let script = stubborn_script(&fx);
    let mut script_run = fx.run(script, &[], json!({}));
    script_run.timeout = Duration::from_secs(60);
    let cancel = CancellationToken::new();
    let child_file = fx.path("state/test-action/child");
    let canceller = {
        let cancel = cancel.clone();
        tokio::spawn(async move {
            // Cancel once the script has started its child (or after 20 s, failing below).
            for _ in 0..1000 {
                if child_file.exists() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            cancel.cancel();
        })
    };
    let sink = MemorySink::default();

    let started = Instant::now();
    let result = run(
        &fx.settings(),
        &script_run,
        &sink,
        &Redactor::default(),
        &cancel,
    )
    .await;
    let took = started.elapsed();
    canceller.await.unwrap();

    assert_eq!(
        result,
        Err("cancelled".to_string()),
        "log:\n{}",
        sink.text()
    );
    assert!(took < Duration::from_secs(20), "took {took:?}");
    let child: u32 = String::from_utf8(fx.state_file("child"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(
        dies_within(child, GRACE + Duration::from_secs(1)).await,
        "the background child {child} survived the cancellation"
    );
}

#[tokio::test]
async fn stragglers_are_killed_when_the_script_exits() {
    let fx = Fixture::new();
    let script = fx.script(
        "straggler.sh",
        r#"sleep 300 >/dev/null 2>&1 &
echo $! > "$RUNWAY_STATE_DIR/child""#,
    );

    let (result, sink) = execute(
        &fx.settings(),
        &fx.run(script, &[], json!({})),
        &Redactor::default(),
    )
    .await;

    assert_eq!(result, Ok(vec![]), "log:\n{}", sink.text());
    let child: u32 = String::from_utf8(fx.state_file("child"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(dies_within(child, Duration::from_secs(1)).await);
}

#[tokio::test]
async fn secrets_never_reach_the_log_in_any_encoding() {
    let fx = Fixture::new();
    let secret = "s3cr3t-Pa55/word+?&=";
    let url_encoded: String = url_encode(secret);
    let script = fx.script(
        "leak.sh",
        r#"echo "plain: $RUNWAY_INPUT_PASSWORD"
printf '%s' "$RUNWAY_INPUT_PASSWORD" | base64
printf '%s' "$RUNWAY_INPUT_PASSWORD" | base64 | tr '+/' '-_' | tr -d '='
echo "url: $1"
cat
echo "stderr: $RUNWAY_INPUT_PASSWORD" >&2
echo "fatal: wrong password $RUNWAY_INPUT_PASSWORD" >&2
exit 3"#,
    );
    let redactor = Redactor::new([secret]);

    let (result, sink) = execute(
        &fx.settings(),
        &fx.run(
            script,
            &[&url_encoded],
            json!({"user": "ana", "password": secret}),
        ),
        &redactor,
    )
    .await;

    assert_eq!(
        result,
        Err("exited with status 3: fatal: wrong password [redacted]".to_string())
    );
    let log = sink.text();
    use base64::Engine as _;
    for leaked in [
        secret.to_string(),
        base64::engine::general_purpose::STANDARD.encode(secret),
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret),
        url_encoded.clone(),
        "Pa55".to_string(),
    ] {
        assert!(!log.contains(&leaked), "{leaked} leaked into:\n{log}");
    }
    assert!(log.matches("[redacted]").count() >= 6, "{log}");
    assert!(log.contains("\"user\":\"ana\""), "stdin was echoed: {log}");
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test]
async fn the_outputs_file_is_parsed() {
    let fx = Fixture::new();
    let script = fx.script(
        "outputs.sh",
        r#"cat > "$RUNWAY_OUTPUTS" <<'EOF'
{"outputs": [
  {"name": "clone_url", "label": "Clone URL", "value": "https://git.example/billing.git", "kind": "link"},
  {"name": "note", "value": "line one\nline two"}
]}
EOF"#,
    );

    let (result, sink) = execute(
        &fx.settings(),
        &fx.run(script, &[], json!({})),
        &Redactor::default(),
    )
    .await;

    let outputs = result.unwrap_or_else(|e| panic!("{e}\nlog:\n{}", sink.text()));
    assert_eq!(outputs.len(), 2);
    assert_eq!(outputs[0].name, "clone_url");
    assert_eq!(outputs[0].label.as_deref(), Some("Clone URL"));
    assert_eq!(outputs[0].kind, OutputKind::Link);
    assert_eq!(outputs[1].value, "line one\nline two");
    assert_eq!(outputs[1].kind, OutputKind::Text);
}

#[tokio::test]
async fn an_invalid_outputs_file_is_a_clear_error() {
    let fx = Fixture::new();
    let invalid = fx.script("invalid.sh", r#"echo '{"outputs": [' > "$RUNWAY_OUTPUTS""#);
    let link = fx.script("symlink.sh", r#"ln -s /etc/passwd "$RUNWAY_OUTPUTS""#);

    let (invalid, _) = execute(
        &fx.settings(),
        &fx.run(invalid, &[], json!({})),
        &Redactor::default(),
    )
    .await;
    let (link, _) = execute(
        &fx.settings(),
        &fx.run(link, &[], json!({})),
        &Redactor::default(),
    )
    .await;

    let invalid = invalid.unwrap_err();
    assert!(
        invalid.starts_with("the outputs file is not valid"),
        "{invalid}"
    );
    let link = link.unwrap_err();
    assert!(link.contains("symbolic link"), "{link}");
}

#[tokio::test]
async fn a_failing_script_reports_its_status_and_last_error_line() {
    let fx = Fixture::new();
    let failing = fx.script(
        "fail.sh",
        r#"echo "checking billing"
echo "create-repo: repository billing exists" >&2
echo "more stdout"
exit 64"#,
    );
    let silent = fx.script("silent.sh", "exit 2");
    let signalled = fx.script("signalled.sh", "kill -9 $$");

    let (failing, _) = execute(
        &fx.settings(),
        &fx.run(failing, &[], json!({})),
        &Redactor::default(),
    )
    .await;
    let (silent, _) = execute(
        &fx.settings(),
        &fx.run(silent, &[], json!({})),
        &Redactor::default(),
    )
    .await;
    let (signalled, _) = execute(
        &fx.settings(),
        &fx.run(signalled, &[], json!({})),
        &Redactor::default(),
    )
    .await;

    assert_eq!(
        failing,
        Err("exited with status 64: create-repo: repository billing exists".to_string())
    );
    assert_eq!(silent, Err("exited with status 2".to_string()));
    assert_eq!(signalled, Err("killed by signal SIGKILL (9)".to_string()));
}

#[tokio::test]
async fn resource_limits_are_applied() {
    let fx = Fixture::new();
    let script = fx.script(
        "limits.sh",
        r#"grep -E '^Max (cpu time|address space|processes)' /proc/self/limits"#,
    );
    let settings = ScriptSettings {
        cpu_seconds: 7,
        memory_mb: 256,
        max_processes: 64,
        ..fx.settings()
    };

    let (result, sink) = execute(
        &settings,
        &fx.run(script, &[], json!({})),
        &Redactor::default(),
    )
    .await;

    assert_eq!(result, Ok(vec![]), "log:\n{}", sink.text());
    let limits: Vec<Vec<String>> = sink
        .lines()
        .into_iter()
        .filter(|(s, _)| *s == Stream::Stdout)
        .map(|(_, l)| l.split_whitespace().map(String::from).collect())
        .collect();
    let soft = |what: &str| {
        limits
            .iter()
            .find(|l| l.join(" ").starts_with(what))
            .map(|l| l[what.split(' ').count()].clone())
            .unwrap_or_else(|| panic!("no {what} in {limits:?}"))
    };
    assert_eq!(soft("Max cpu time"), "7");
    assert_eq!(
        soft("Max address space"),
        (256u64 * 1024 * 1024).to_string()
    );
    assert_eq!(soft("Max processes"), "64");
}

#[tokio::test]
async fn the_log_is_capped_and_long_lines_are_split() {
    let fx = Fixture::new();
    // 2.6 MB: far more than a pipe holds, so the run only ends if the pipes are drained.
    let noisy = fx.script(
        "noisy.sh",
        r#"yes 'a line of output' | head -n 150000
echo "the end" >&2"#,
    );
    let long = fx.script("long.sh", "head -c 20000 /dev/zero | tr '\\0' x");
    let settings = ScriptSettings {
        log_cap_kb: 4,
        ..fx.settings()
    };

    let (noisy, noisy_log) = execute(
        &settings,
        &fx.run(noisy, &[], json!({})),
        &Redactor::default(),
    )
    .await;
    let (long, long_log) = execute(
        &fx.settings(),
        &fx.run(long, &[], json!({})),
        &Redactor::default(),
    )
    .await;

    assert_eq!(noisy, Ok(vec![]));
    let lines = noisy_log.lines();
    let kept: usize = lines
        .iter()
        .filter(|(s, _)| *s != Stream::System)
        .map(|(_, l)| l.len() + 1)
        .sum();
    assert!(kept <= 4096, "{kept} bytes kept");
    assert!(kept > 4000, "the log is filled up to the cap: {kept}");
    let notes: Vec<_> = lines
        .iter()
        .filter(|(s, l)| *s == Stream::System && l.contains("log truncated"))
        .collect();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(!noisy_log.text().contains("the end"));

    assert_eq!(long, Ok(vec![]));
    let out: Vec<usize> = long_log
        .lines()
        .into_iter()
        .filter(|(s, _)| *s == Stream::Stdout)
        .map(|(_, l)| l.len())
        .collect();
    assert_eq!(out, vec![8192, 8192, 20000 - 2 * 8192]);
}

#[tokio::test]
async fn a_missing_run_user_is_refused() {
    if !nix::unistd::geteuid().is_root() {
        return; // Only root switches users.
    }
    let fx = Fixture::new();
    let script = fx.script("ok.sh", "true");
    let settings = ScriptSettings {
        run_as_user: "no-such-user-runway".to_string(),
        uid_range: UidRange::shared(),
        ..fx.settings()
    };
    let root = ScriptSettings {
        run_as_user: "root".to_string(),
        uid_range: UidRange::shared(),
        ..fx.settings()
    };

    let (missing, _) = execute(
        &settings,
        &fx.run(script.clone(), &[], json!({})),
        &Redactor::default(),
    )
    .await;
    let (as_root, _) = execute(&root, &fx.run(script, &[], json!({})), &Redactor::default()).await;

    assert!(missing.unwrap_err().contains("does not exist"));
    assert!(as_root.unwrap_err().contains("never run as root"));
}

fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// The script's stdout lines.
fn stdout_lines(sink: &MemorySink) -> Vec<String> {
    sink.lines()
        .into_iter()
        .filter(|(s, _)| *s == Stream::Stdout)
        .map(|(_, l)| l)
        .collect()
}

#[tokio::test]
async fn two_actions_run_as_their_own_users_and_cannot_read_each_others_state() {
    if !is_root() {
        return; // Only root switches users.
    }
    let fx = Fixture::new();
    let keep = fx.script(
        "keep.sh",
        r#"id -u
printf 'ca key' > "$RUNWAY_STATE_DIR/ca.key"
chmod 644 "$RUNWAY_STATE_DIR/ca.key""#,
    );
    let snoop = fx.script(
        "snoop.sh",
        r#"id -u
cat "$1""#,
    );
    let settings = fx.settings();

    let (kept, keep_log) = execute(
        &settings,
        &fx.run_of("tls-certificate", keep, &[], json!({})),
        &Redactor::default(),
    )
    .await;
    let key = fx.path("state/tls-certificate/ca.key");
    let (snooped, snoop_log) = execute(
        &settings,
        &fx.run_of("create-repo", snoop, &[key.to_str().unwrap()], json!({})),
        &Redactor::default(),
    )
    .await;

    assert_eq!(kept, Ok(vec![]), "{}", keep_log.text());
    let err = snooped.unwrap_err();
    assert!(
        err.contains("Permission denied"),
        "{err}\n{}",
        snoop_log.text()
    );
    let (a, b) = (stdout_lines(&keep_log), stdout_lines(&snoop_log));
    assert_ne!(a.first(), b.first(), "each action has its own uid");
    let state = |action: &str| std::fs::metadata(fx.path("state").join(action)).unwrap();
    assert_eq!(state("tls-certificate").uid().to_string(), a[0]);
    assert_eq!(state("tls-certificate").mode() & 0o777, 0o700);
    assert_eq!(state("create-repo").uid().to_string(), b[0]);
    assert_eq!(
        std::fs::metadata(fx.path("state")).unwrap().mode() & 0o777,
        0o711,
        "the state root can be passed through, not listed"
    );
}

#[tokio::test]
async fn an_action_keeps_its_uid_and_a_colliding_action_gets_another() {
    if !is_root() {
        return; // Only root switches users.
    }
    let fx = Fixture::new();
    let whoami = fx.script("whoami.sh", "id -u");
    // A range of two: the second action takes whichever the first did not.
    let settings = ScriptSettings {
        uid_range: UidRange::new(61500, 61501),
        ..fx.settings()
    };
    let uid_of = |action: &'static str| {
        let run = fx.run_of(action, whoami.clone(), &[], json!({}));
        let settings = settings.clone();
        async move {
            let (result, sink) = execute(&settings, &run, &Redactor::default()).await;
            assert_eq!(result, Ok(vec![]), "{}", sink.text());
            stdout_lines(&sink).first().cloned().unwrap()
        }
    };

    let first = uid_of("alpha").await;
    let second = uid_of("beta").await;
    let first_again = uid_of("alpha").await;

    assert_ne!(first, second);
    assert_eq!(first, first_again);
    for uid in [&first, &second] {
        assert!(["61500", "61501"].contains(&uid.as_str()), "{uid}");
    }
}

#[tokio::test]
async fn secret_inputs_are_not_in_the_environment_but_on_stdin_and_in_a_private_file() {
    let fx = Fixture::new();
    let secret = "hunter2-Pa55word";
    let script = fx.script(
        "secret.sh",
        r#"from_file=$(cat "$RUNWAY_INPUT_PASSWORD_FILE")
if tr '\0' '\n' < /proc/$$/environ | grep -qF -- "$from_file"; then echo in-environ; else echo not-in-environ; fi
if env | grep -q '^RUNWAY_INPUT_PASSWORD='; then echo variable; else echo no-variable; fi
stat -c 'file %a %u' "$RUNWAY_INPUT_PASSWORD_FILE"
id -u
if grep -qF -- "$from_file" ; then echo on-stdin; fi
printf '%s' "$RUNWAY_INPUT_USER""#,
    );
    let mut script_run = fx.run(script, &[], json!({"user": "ana"}));
    script_run
        .secret_inputs
        .insert("password".into(), Value::String(secret.into()));

    let (result, sink) = execute(&fx.settings(), &script_run, &Redactor::new([secret])).await;

    assert_eq!(result, Ok(vec![]), "{}", sink.text());
    let lines = stdout_lines(&sink);
    let uid = &lines[3];
    assert_eq!(
        lines,
        vec![
            "not-in-environ".to_string(),
            "no-variable".to_string(),
            format!("file 600 {uid}"),
            uid.clone(),
            "on-stdin".to_string(),
            "ana".to_string(),
        ]
    );
}

#[tokio::test]
async fn a_run_of_another_action_cannot_read_a_runs_environment() {
    if !is_root() {
        return; // Only root switches users.
    }
    let fx = Fixture::new();
    let waiting = fx.script("waiting.sh", "echo \"pid $$\"\nsleep 20");
    let snoop = fx.script("snoop.sh", "tr '\\0' '\\n' < \"/proc/$1/environ\"");
    let settings = fx.settings();
    let first_sink = MemorySink::default();
    let cancel = CancellationToken::new();
    let first_run = fx.run_of("first", waiting, &[], json!({"ticket": "INC-1"}));
    let redactor = Redactor::default();
    let first = run(&settings, &first_run, &first_sink, &redactor, &cancel);
    let second = async {
        let until = Instant::now() + Duration::from_secs(10);
        let pid = loop {
            let pid = stdout_lines(&first_sink)
                .iter()
                .find_map(|l| l.strip_prefix("pid ").map(str::to_string));
            if let Some(pid) = pid {
                break pid;
            }
            assert!(Instant::now() < until, "the first run never started");
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        let result = execute(
            &settings,
            &fx.run_of("second", snoop, &[&pid], json!({})),
            &Redactor::default(),
        )
        .await;
        cancel.cancel();
        result
    };

    let (_, (snooped, sink)) = tokio::join!(first, second);

    let err = snooped.unwrap_err();
    assert!(err.contains("Permission denied"), "{err}\n{}", sink.text());
    assert!(!sink.text().contains("INC-1"), "{}", sink.text());
}

#[tokio::test]
async fn per_action_variables_reach_only_that_action() {
    let fx = Fixture::new();
    let script = fx.script(
        "show.sh",
        "printf '%s' \"${RUNWAY_DEMO_POSTGRES_URL:-unset}\"",
    );
    let mut settings = fx.settings();
    settings.action_env.insert(
        // As read from `RUNWAY_SCRIPTS__ACTION_ENV__SERVICE_DATABASE__…`.
        "service_database".to_string(),
        [(
            "runway_demo_postgres_url".to_string(),
            "postgres://admin@db/postgres".to_string(),
        )]
        .into_iter()
        .collect(),
    );
    let shown = |action: &'static str| {
        let run = fx.run_of(action, script.clone(), &[], json!({}));
        let settings = settings.clone();
        async move {
            let (result, sink) = execute(&settings, &run, &Redactor::default()).await;
            assert_eq!(result, Ok(vec![]), "{}", sink.text());
            stdout_lines(&sink).join("\n")
        }
    };

    assert_eq!(
        shown("service-database").await,
        "postgres://admin@db/postgres"
    );
    assert_eq!(shown("create-repo").await, "unset");
}

#[tokio::test]
async fn the_work_root_is_made_private_and_refused_when_not_runways_own() {
    let fx = Fixture::new();
    let root = fx.path("runs");
    std::fs::create_dir(&root).unwrap();
    chmod(&root, 0o755);
    let script = fx.script("ok.sh", "true");
    let (result, sink) = execute(
        &fx.settings(),
        &fx.run(script.clone(), &[], json!({})),
        &Redactor::default(),
    )
    .await;
    result.unwrap_or_else(|e| panic!("{e}\nlog:\n{}", sink.text()));
    // Only a run user other than Runway's own needs to pass through (to its own directory).
    let private = if nix::unistd::geteuid().is_root() {
        0o711
    } else {
        0o700
    };
    let mode = std::fs::metadata(&root).unwrap().mode() & 0o777;
    assert_eq!(mode, private, "mode {mode:o}");

    // A symbolic link (someone else's, or pointing anywhere) is refused, not followed.
    std::fs::remove_dir(&root).unwrap();
    let elsewhere = fx.path("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &root).unwrap();
    let (result, _) = execute(
        &fx.settings(),
        &fx.run(script.clone(), &[], json!({})),
        &Redactor::default(),
    )
    .await;
    let error = result.unwrap_err();
    assert!(error.contains("scripts.work_root"), "{error}");

    // A directory another user created first is refused.
    if nix::unistd::geteuid().is_root() {
        std::fs::remove_file(&root).unwrap();
        std::fs::create_dir(&root).unwrap();
        let nobody = nix::unistd::User::from_name("nobody").unwrap().unwrap();
        std::os::unix::fs::chown(&root, Some(nobody.uid.as_raw()), None).unwrap();
        let (result, _) = execute(
            &fx.settings(),
            &fx.run(script, &[], json!({})),
            &Redactor::default(),
        )
        .await;
        let error = result.unwrap_err();
        assert!(error.contains("owned by Runway's user"), "{error}");
    }
}
