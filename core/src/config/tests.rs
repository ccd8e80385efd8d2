use super::*;

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn defaults_serve_sqlite_on_loopback_port_3000() {
    let s = Settings::load(None, env(&[])).expect("defaults load");
    assert_eq!(s.listen.to_string(), "127.0.0.1:3000");
    assert_eq!(s.backend(), Backend::Sqlite);
    assert_eq!(s.effective_database_url(), "sqlite://data/runway.db");
}

#[test]
fn environment_overrides_top_level_and_section_keys() {
    let s = Settings::load(
        None,
        env(&[
            ("RUNWAY_LISTEN", "0.0.0.0:8080"),
            ("RUNWAY_DATABASE_URL", "postgres://runway:pw@db/runway"),
            ("RUNWAY_LOG__FORMAT", "json"),
            ("RUNWAY_DATABASE_MAX_CONNECTIONS", "25"),
            ("UNRELATED", "x"),
        ]),
    )
    .expect("valid env");
    assert_eq!(s.listen.port(), 8080);
    assert_eq!(s.backend(), Backend::Postgres);
    assert_eq!(s.log.format, LogFormat::Json);
    assert_eq!(s.database_max_connections, 25);
}

#[test]
fn the_config_file_sits_between_defaults_and_environment() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("runway.toml");
    std::fs::write(
        &path,
        "catalog_dir = \"/srv/catalog\"\nlisten = \"127.0.0.1:4000\"\n[log]\nfilter = \"debug\"\n",
    )
    .expect("write");
    let s =
        Settings::load(Some(&path), env(&[("RUNWAY_LISTEN", "127.0.0.1:5000")])).expect("valid");
    assert_eq!(s.catalog_dir, PathBuf::from("/srv/catalog"));
    assert_eq!(s.listen.port(), 5000);
    assert_eq!(s.log.filter, "debug");
}

#[test]
fn bad_values_name_the_key_and_what_is_expected() {
    let err = |pairs: &[(&str, &str)]| {
        Settings::load(None, env(pairs))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    };
    let e = err(&[("RUNWAY_LISTEN", "not-an-address")]);
    assert!(
        e.contains("listen (RUNWAY_LISTEN)") && e.contains("socket address"),
        "{e}"
    );
    let e = err(&[("RUNWAY_DATABASE_MAX_CONNECTIONS", "many")]);
    assert!(
        e.contains("database_max_connections (RUNWAY_DATABASE_MAX_CONNECTIONS): expected"),
        "{e}"
    );
    let e = err(&[("RUNWAY_LOG__FORMAT", "xml")]);
    assert!(
        e.contains("log.format (RUNWAY_LOG__FORMAT)") && e.contains("text") && e.contains("json"),
        "{e}"
    );
    let e = err(&[("RUNWAY_DATABASE_URL", "mysql://root:hunter2@db/x")]);
    assert!(
        e.contains("database_url (RUNWAY_DATABASE_URL)") && !e.contains("hunter2"),
        "{e}"
    );
    let e = err(&[("RUNWAY_LISTNE", "1")]);
    assert!(e.contains("unknown setting `listne`"), "{e}");
    let e = err(&[("RUNWAY_LOG__FILTER", "info,=x=")]);
    assert!(e.contains("log.filter"), "{e}");
}

#[test]
fn a_missing_explicit_config_file_is_an_error() {
    let e = Settings::load(Some(Path::new("/nonexistent/runway.toml")), env(&[])).err();
    assert!(matches!(e, Some(ConfigError::File { .. })));
}

#[test]
fn secrets_are_redacted_from_debug_and_printed_config() {
    let s = Settings::load(
        None,
        env(&[(
            "RUNWAY_DATABASE_URL",
            "postgres://runway:s3cret@db:5432/runway",
        )]),
    )
    .expect("valid");
    assert!(!format!("{s:?}").contains("s3cret"));
    let printed = s.to_redacted_toml();
    assert!(
        printed.contains("postgres://runway:[redacted]@db:5432/runway"),
        "{printed}"
    );
    assert!(!printed.contains("s3cret"));
    assert_eq!(
        redact_url("sqlite://data/runway.db"),
        "sqlite://data/runway.db"
    );
}
