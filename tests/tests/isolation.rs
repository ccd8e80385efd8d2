//! Runway's own files are closed to the scripts it runs: after start-up the data directory is 0700
//! and the database 0600, and a script cannot open the database.

use crate::support::{Backend, TestApp};
use runway_exec::script::{self, ScriptRun};
use runway_exec::{MemorySink, Redactor};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .expect("exists")
        .permissions()
        .mode()
        & 0o777
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_data_directory_and_the_database_are_closed_to_scripts() {
    // Made as an earlier version (or a loose umask) would have left it: open to everyone.
    let data = tempfile::tempdir().expect("temp dir");
    std::fs::set_permissions(data.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let state = tempfile::tempdir().expect("temp dir");
    let scripts = tempfile::tempdir().expect("temp dir");
    std::fs::set_permissions(scripts.path(), std::fs::Permissions::from_mode(0o755))
        .expect("chmod");
    let (data_dir, state_root) = (data.path().to_path_buf(), state.path().to_path_buf());
    let app = TestApp::builder(Backend::Sqlite)
        .with_settings(move |s| {
            s.data_dir = data_dir;
            s.database_url = String::new();
            s.scripts.state_root = state_root;
        })
        .spawn()
        .await;
    let db = data.path().join("runway.db");

    assert_eq!(mode(data.path()), 0o700, "the data directory");
    assert_eq!(mode(&db), 0o600, "the database");
    assert_eq!(mode(&data.path().join("runway.db-wal")), 0o600, "its WAL");
    assert_eq!(mode(&data.path().join("secrets.key")), 0o600, "the key");

    let program = scripts.path().join("snoop.sh");
    std::fs::write(&program, "#!/bin/sh\nhead -c 16 \"$1\"\n").expect("script");
    std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let settings = &app.runway.settings;
    let mut script_settings = settings.scripts.clone();
    script_settings.work_root = settings.script_work_root();
    let run = ScriptRun {
        program,
        args: vec![db.display().to_string()],
        inputs: serde_json::Map::new(),
        secret_inputs: serde_json::Map::new(),
        timeout: std::time::Duration::from_secs(20),
        state_dir: Some(settings.script_state_root().join("snoop")),
        request_id: 1,
        action_id: "snoop".to_string(),
    };
    let sink = MemorySink::default();
    let result = script::run(
        &script_settings,
        &run,
        &sink,
        &Redactor::default(),
        &tokio_util::sync::CancellationToken::new(),
    )
    .await;

    if nix::unistd::geteuid().is_root() {
        let err = result.expect_err("the script cannot read the database");
        assert!(err.contains("Permission denied"), "{err}\n{}", sink.text());
        assert!(!sink.text().contains("SQLite format"), "{}", sink.text());
    }
    // Not root: scripts run as Runway's own user, which start-up warns about.
    app.stop().await;
}
