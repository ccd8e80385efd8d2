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

#[test]
fn durations_are_read_once_and_bad_ones_name_their_key() {
    let s = Settings::load(
        None,
        env(&[
            ("RUNWAY_SCRIPTS__KILL_GRACE", "10s"),
            ("RUNWAY_WEBHOOKS__TIMEOUT", "2m"),
            ("RUNWAY_WORKER__LEASE", "1m"),
            ("RUNWAY_APPROVAL_TIMEOUT", "1d"),
        ]),
    )
    .expect("valid");
    assert_eq!(s.scripts.kill_grace, Duration::from_secs(10));
    assert_eq!(s.webhooks.timeout, Duration::from_secs(120));
    assert_eq!(s.worker.lease, Duration::from_secs(60));
    assert_eq!(s.worker.grace, Duration::from_secs(30), "defaults stay");
    assert_eq!(s.approval_timeout, Duration::from_secs(86_400));

    for (key, name) in [
        ("scripts.kill_grace", "RUNWAY_SCRIPTS__KILL_GRACE"),
        ("webhooks.timeout", "RUNWAY_WEBHOOKS__TIMEOUT"),
        ("worker.heartbeat", "RUNWAY_WORKER__HEARTBEAT"),
        ("approval_timeout", "RUNWAY_APPROVAL_TIMEOUT"),
    ] {
        let e = Settings::load(None, env(&[(name, "soon")]))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            e.contains(&format!("{key} ({name}): expected a duration")),
            "{e}"
        );
    }
}

#[test]
fn executor_settings_keep_their_keys_and_hide_their_secret() {
    let s = Settings::load(
        None,
        env(&[
            ("RUNWAY_WEBHOOKS__SIGNING_SECRET", "whsec_c2VjcmV0a2V5"),
            ("RUNWAY_SCRIPTS__ENV__RUNWAY_REPOS_DIR", "/srv/git"),
            ("RUNWAY_SCRIPTS__LOG_CAP_KB", "8"),
            ("RUNWAY_SCRIPTS__WORK_ROOT", "/srv/runway/runs"),
        ]),
    )
    .expect("valid");
    assert_eq!(
        s.scripts.work_root,
        std::path::Path::new("/srv/runway/runs")
    );
    assert_eq!(s.webhooks.signing_secret.expose(), "whsec_c2VjcmV0a2V5");
    assert_eq!(
        s.scripts.env.get("runway_repos_dir").map(String::as_str),
        Some("/srv/git")
    );
    assert_eq!(s.scripts.log_cap_bytes(), 8 * 1024);
    assert!(!format!("{s:?}").contains("c2VjcmV0a2V5"));
    let printed = s.to_redacted_toml();
    assert!(!printed.contains("c2VjcmV0a2V5"), "{printed}");
    assert!(printed.contains("kill_grace = \"5s\""), "{printed}");
    assert!(
        printed.contains("work_root = \"/srv/runway/runs\""),
        "{printed}"
    );
}

#[test]
fn sessions_are_saved_again_after_five_minutes_or_half_a_short_idle_timeout() {
    let mut s = Settings::default();
    assert_eq!(s.auth.session_refresh_after(), Duration::from_secs(300));
    s.auth.session_idle_timeout = Duration::from_secs(4);
    assert_eq!(s.auth.session_refresh_after(), Duration::from_secs(2));
}

#[test]
fn allowed_hosts_come_from_the_environment_as_a_list() {
    let s = Settings::load(
        None,
        env(&[("RUNWAY_ALLOWED_HOSTS", "[runway.internal, 10.0.0.5:8080]")]),
    )
    .expect("valid");
    assert_eq!(s.allowed_hosts, vec!["runway.internal", "10.0.0.5:8080"]);
}

#[test]
fn an_allowed_host_that_is_not_a_host_is_refused_by_name() {
    for bad in [
        "https://runway.internal",
        "runway.internal:99999",
        "runway.internal/x",
    ] {
        let value = format!("[\"{bad}\"]");
        let err = Settings::load(None, env(&[("RUNWAY_ALLOWED_HOSTS", value.as_str())]))
            .expect_err(bad)
            .to_string();
        assert!(
            err.contains("allowed_hosts (RUNWAY_ALLOWED_HOSTS)"),
            "{bad}: {err}"
        );
    }
    for good in [
        "runway.internal",
        "runway.internal:8443",
        "[::1]:3000",
        "10.0.0.5",
    ] {
        let value = format!("[\"{good}\"]");
        Settings::load(None, env(&[("RUNWAY_ALLOWED_HOSTS", value.as_str())])).expect(good);
    }
}

#[test]
fn scripts_run_beside_the_data_directory_unless_configured_elsewhere() {
    let s = Settings::load(None, env(&[("RUNWAY_DATA_DIR", "/srv/runway")])).expect("valid");
    assert!(s.scripts.work_root.as_os_str().is_empty());
    assert_eq!(s.script_work_root(), PathBuf::from("/srv/runway-runs"));
    let chosen = Settings::load(
        None,
        env(&[
            ("RUNWAY_DATA_DIR", "/srv/runway"),
            ("RUNWAY_SCRIPTS__WORK_ROOT", "/scratch/runs"),
        ]),
    )
    .expect("valid");
    assert_eq!(chosen.script_work_root(), PathBuf::from("/scratch/runs"));
}

#[test]
fn script_state_lives_next_to_the_data_directory_never_inside_it() {
    let s = Settings::load(None, env(&[("RUNWAY_DATA_DIR", "/var/lib/runway")])).expect("valid");
    assert_eq!(
        s.script_state_root(),
        PathBuf::from("/var/lib/runway-state")
    );
    let chosen = Settings::load(
        None,
        env(&[
            ("RUNWAY_DATA_DIR", "/var/lib/runway"),
            ("RUNWAY_SCRIPTS__STATE_ROOT", "/srv/runway-state"),
        ]),
    )
    .expect("valid");
    assert_eq!(
        chosen.script_state_root(),
        PathBuf::from("/srv/runway-state")
    );
    let inside = Settings::load(
        None,
        env(&[
            ("RUNWAY_DATA_DIR", "/var/lib/runway"),
            ("RUNWAY_SCRIPTS__STATE_ROOT", "/var/lib/runway/state"),
        ]),
    );
    let Err(e) = inside else {
        panic!("a state root inside the data directory is refused")
    };
    assert!(e.to_string().contains("scripts.state_root"), "{e}");
}

#[test]
fn per_action_script_variables_and_the_uid_range_are_read_from_the_environment() {
    let s = Settings::load(
        None,
        env(&[
            (
                "RUNWAY_SCRIPTS__ACTION_ENV__SERVICE_DATABASE__RUNWAY_DEMO_POSTGRES_URL",
                "postgres://admin:hunter2@db/postgres",
            ),
            ("RUNWAY_SCRIPTS__UID_RANGE", "70000-70099"),
        ]),
    )
    .expect("valid");
    assert_eq!(
        s.scripts
            .action_env
            .get("service_database")
            .and_then(|vars| vars.get("runway_demo_postgres_url"))
            .map(String::as_str),
        Some("postgres://admin:hunter2@db/postgres")
    );
    assert_eq!(s.scripts.uid_range.bounds(), Some((70000, 70099)));
    assert!(!s.to_redacted_toml().contains("hunter2"));
    let defaults = Settings::load(None, env(&[])).expect("valid");
    assert_eq!(defaults.scripts.uid_range.bounds(), Some((61000, 61999)));
    let bad = Settings::load(None, env(&[("RUNWAY_SCRIPTS__UID_RANGE", "0-100")]));
    let Err(e) = bad else {
        panic!("a range with root in it is refused")
    };
    assert!(e.to_string().contains("scripts.uid_range"), "{e}");
}

#[test]
fn session_durations_are_typed_when_read_and_bad_ones_name_their_key() {
    let s = Settings::load(
        None,
        env(&[
            ("RUNWAY_AUTH__SESSION_IDLE_TIMEOUT", "30m"),
            ("RUNWAY_AUTH__SESSION_LIFETIME", "2d"),
        ]),
    )
    .expect("valid");
    assert_eq!(s.auth.idle_timeout(), Duration::from_secs(1800));
    assert_eq!(s.auth.lifetime(), Duration::from_secs(2 * 86_400));
    for (value, expected) in [
        ("soon", "auth.session_idle_timeout"),
        ("30s", "at least 1m"),
    ] {
        let Err(e) = Settings::load(None, env(&[("RUNWAY_AUTH__SESSION_IDLE_TIMEOUT", value)]))
        else {
            panic!("`{value}` is refused")
        };
        assert!(e.to_string().contains(expected), "{value}: {e}");
    }
}

#[test]
fn discover_reporters_are_dropped_by_default_and_the_salt_is_redacted() {
    let defaults = Settings::load(None, env(&[])).expect("valid");
    assert_eq!(defaults.discover.reporters, ReporterKeep::Drop);
    let s = Settings::load(
        None,
        env(&[
            ("RUNWAY_DISCOVER__REPORTERS", "hash"),
            ("RUNWAY_DISCOVER__REPORTER_SALT", "pepper-123"),
        ]),
    )
    .expect("valid");
    assert_eq!(s.discover.reporters, ReporterKeep::Hash);
    assert!(!format!("{s:?}").contains("pepper-123"));
    assert!(!s.to_redacted_toml().contains("pepper-123"));
    assert!(Settings::load(None, env(&[("RUNWAY_DISCOVER__REPORTERS", "names")])).is_err());
}

#[test]
fn the_client_address_comes_from_forwarded_for_only_behind_a_trusted_proxy() {
    let ip = |s: &str| s.parse::<std::net::IpAddr>().expect("ip");
    let plain = Settings::load(None, env(&[])).expect("valid");
    assert_eq!(
        plain.client_ip(ip("10.0.0.5"), Some("203.0.113.7")),
        ip("10.0.0.5"),
        "without trusted proxies the header is ignored"
    );
    let mut s = plain.clone();
    s.trusted_proxies = vec!["10.0.0.0/8".into(), "192.0.2.1".into()];
    assert_eq!(
        s.client_ip(ip("10.0.0.5"), Some("203.0.113.7")),
        ip("203.0.113.7")
    );
    // A client cannot forge its way past the proxies: the nearest untrusted hop wins.
    assert_eq!(
        s.client_ip(ip("10.0.0.5"), Some("1.1.1.1, 203.0.113.7, 192.0.2.1")),
        ip("203.0.113.7")
    );
    assert_eq!(
        s.client_ip(ip("198.51.100.2"), Some("1.1.1.1")),
        ip("198.51.100.2")
    );
    assert_eq!(s.client_ip(ip("10.0.0.5"), Some("garbage")), ip("10.0.0.5"));
    assert!(Settings::load(
        None,
        env(&[("RUNWAY_TRUSTED_PROXIES", "[\"10.0.0.0/33\"]")])
    )
    .is_err());
}

#[test]
fn channel_settings_are_checked_and_their_secrets_never_printed() {
    let bad = |pairs: &[(&str, &str)], key: &str| {
        let e = Settings::load(None, env(pairs))
            .expect_err("refused")
            .to_string();
        assert!(e.contains(key), "{e}");
    };
    bad(
        &[("RUNWAY_EMAIL__SMTP_URL", "http://mail")],
        "email.smtp_url",
    );
    bad(
        &[
            ("RUNWAY_EMAIL__SMTP_URL", "smtp://u:p@mail:587"),
            ("RUNWAY_EMAIL__FROM", "r@x.org"),
        ],
        "plain SMTP",
    );
    bad(
        &[
            ("RUNWAY_EMAIL__SMTP_URL", "smtp://localhost:25"),
            ("RUNWAY_EMAIL__FROM", "not an address"),
        ],
        "email.from",
    );
    bad(
        &[("RUNWAY_SLACK__BOT_TOKEN", "xoxb-1")],
        "slack.signing_secret",
    );
    bad(
        &[("RUNWAY_JIRA__BASE_URL", "https://acme.atlassian.net")],
        "jira.webhook_secret",
    );
    bad(
        &[
            ("RUNWAY_JIRA__BASE_URL", "https://acme.atlassian.net"),
            ("RUNWAY_JIRA__WEBHOOK_SECRET", "w"),
        ],
        "jira.api_token",
    );
    let s = Settings::load(
        None,
        env(&[
            (
                "RUNWAY_EMAIL__SMTP_URL",
                "smtps://runway:mailpass@mail.example.com:465",
            ),
            ("RUNWAY_EMAIL__FROM", "Runway <runway@example.com>"),
            ("RUNWAY_SLACK__BOT_TOKEN", "xoxb-slacktoken"),
            ("RUNWAY_SLACK__SIGNING_SECRET", "slacksigning"),
            ("RUNWAY_JIRA__BASE_URL", "https://acme.atlassian.net"),
            ("RUNWAY_JIRA__API_TOKEN", "jiratoken"),
            ("RUNWAY_JIRA__WEBHOOK_SECRET", "jirahook"),
        ]),
    )
    .expect("valid");
    assert!(s.email.enabled() && s.slack.enabled() && s.jira.enabled());
    let shown = s.to_redacted_toml();
    for secret in [
        "mailpass",
        "xoxb-slacktoken",
        "slacksigning",
        "jiratoken",
        "jirahook",
    ] {
        assert!(!shown.contains(secret), "{secret} printed");
        assert!(!format!("{s:?}").contains(secret), "{secret} in Debug");
    }
}
