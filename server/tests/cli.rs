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
            "./create-repo.yaml:10: inputs[2].pattern: invalid regex `(`: error: unclosed group",
            "./two.yaml:7: retries: expected a whole number from 0 to 10, found `many`",
            "./two.yaml:8: timeout: expected a duration such as `30s`, `15m`, `1h30m` or `2d`, found `forever`",
            "3 files checked: 1 actions valid, 2 files with problems (3 problems)",
        ]
    );
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
