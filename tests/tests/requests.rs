//! Requests end to end over HTTP, with real workers, real scripts and the real demo receivers: the
//! demo catalogue's actions do their work, forms refuse mistakes per field, double submits create
//! one request, and secret outputs are shown once.

use crate::support::{Backend, TestApp};
use base64::Engine as _;

/// A copy of the demo catalogue that the scripts' unprivileged users can read (the checkout itself
/// may sit under a directory only root may enter), a data directory, and the scripts' state root.
pub(crate) struct Dirs {
    pub(crate) catalog: tempfile::TempDir,
    pub(crate) data: tempfile::TempDir,
    state: tempfile::TempDir,
    runs: tempfile::TempDir,
}

fn open_dir() -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let d = tempfile::tempdir().expect("temp dir");
    std::fs::set_permissions(d.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    d
}

pub(crate) fn copy_catalog(to: &std::path::Path) {
    let from = crate::support::demo_catalog();
    std::fs::create_dir_all(to.join("scripts")).expect("scripts dir");
    for entry in std::fs::read_dir(&from).expect("catalog") {
        let p = entry.expect("entry").path();
        if p.extension().is_some_and(|e| e == "yaml") {
            std::fs::copy(&p, to.join(p.file_name().expect("name"))).expect("copy yaml");
        }
    }
    for entry in std::fs::read_dir(from.join("scripts")).expect("scripts") {
        let p = entry.expect("entry").path();
        std::fs::copy(&p, to.join("scripts").join(p.file_name().expect("name")))
            .expect("copy script");
    }
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(to.join("scripts"), std::fs::Permissions::from_mode(0o755))
        .expect("chmod");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// Runway with in-process workers, the demo receivers, and the demo catalogue's variables pointing
/// at them.
pub(crate) async fn spawn_working(backend: Backend) -> (TestApp, Dirs) {
    spawn_working_with(backend, |_| {}).await
}

async fn spawn_working_with(
    backend: Backend,
    adjust: impl FnOnce(&mut runway_core::config::Settings),
) -> (TestApp, Dirs) {
    let dirs = Dirs {
        catalog: open_dir(),
        data: open_dir(),
        state: tempfile::tempdir().expect("temp dir"),
        runs: tempfile::tempdir().expect("temp dir"),
    };
    copy_catalog(dirs.catalog.path());
    let port = free_port();
    let data_dir = dirs.data.path().to_path_buf();
    let state_root = dirs.state.path().to_path_buf();
    let work_root = dirs.runs.path().to_path_buf();
    let app = TestApp::builder(backend)
        .with_catalog(dirs.catalog.path())
        .with_settings(move |s| configure_working(s, port, data_dir))
        .with_settings(move |s| {
            s.scripts.state_root = state_root;
            // Removed with the test, unlike the default `<data_dir>-runs` beside a temp directory.
            s.scripts.work_root = work_root;
        })
        .with_settings(adjust)
        .spawn()
        .await;
    (app, dirs)
}

/// In-process workers, the demo receivers, and the demo catalogue's variables pointing at them.
fn configure_working(
    s: &mut runway_core::config::Settings,
    port: u16,
    data_dir: std::path::PathBuf,
) {
    s.listen = format!("127.0.0.1:{port}").parse().expect("addr");
    s.data_dir = data_dir;
    s.worker.in_process = true;
    s.worker.poll_interval = std::time::Duration::from_secs(1);
    s.demo_receivers = true;
    let key = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
    s.webhooks.signing_secret = runway_core::config::Secret::new(format!("whsec_{key}"));
    s.webhooks.allow_hosts = vec!["127.0.0.1".into()];
    s.catalog_vars
        .insert("ci_url".into(), format!("http://127.0.0.1:{port}/demo/ci"));
    s.catalog_vars.insert(
        "secrets_url".into(),
        format!("http://127.0.0.1:{port}/demo/secrets"),
    );
}

/// Submits a form and returns the redirect target.
pub(crate) async fn submit(app: &TestApp, action: &str, body: &str) -> String {
    let resp = app
        .post_form(&format!("/actions/{action}/submit"), body)
        .await;
    assert_eq!(resp.status(), 303, "a submit answers with a redirect");
    resp.headers()
        .get("location")
        .expect("location")
        .to_str()
        .expect("ascii")
        .to_string()
}

pub(crate) fn request_id(location: &str) -> i64 {
    location
        .strip_prefix("/requests/")
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("expected /requests/<id>, got {location}"))
}

/// Waits until the request is final and returns its page.
pub(crate) async fn wait_final(app: &TestApp, id: i64) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let (status, html) = app.get_text(&format!("/requests/{id}")).await;
        assert_eq!(status, 200);
        let final_state = [
            "data-status=\"succeeded\"",
            "data-status=\"failed\"",
            "data-status=\"cancelled\"",
        ]
        .iter()
        .any(|s| html.contains(s));
        if final_state {
            return html;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "request {id} did not finish:\n{html}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

const REPO_FORM: &str = "_key=k1&name=billing-api&description=Bills+customers+every+month&team=payments&template=service&visibility=internal&default_branch=main&ci=false&ci=true";

async fn create_repo_runs_the_script_and_reports_the_clone_url(backend: Backend) {
    let (app, dirs) = spawn_working(backend).await;
    app.sign_in("dana").await;
    let location = submit(&app, "create-repo", REPO_FORM).await;
    let id = request_id(&location);
    // The same form posted again (a double click) is the same request.
    assert_eq!(submit(&app, "create-repo", REPO_FORM).await, location);
    let html = wait_final(&app, id).await;
    assert!(html.contains("data-status=\"succeeded\""), "{html}");
    assert!(html.contains("data-output=\"clone_url\""), "{html}");
    let repo = dirs
        .state
        .path()
        .join("create-repo/repositories/billing-api.git");
    assert!(repo.join("HEAD").is_file(), "bare repository created");
    let log = std::process::Command::new("git")
        .args(["--git-dir"])
        .arg(&repo)
        .args(["show", "HEAD:CODEOWNERS"])
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_PARAMETERS", "'safe.directory=*'")
        .output()
        .expect("git");
    assert!(
        String::from_utf8_lossy(&log.stdout).contains("@payments"),
        "CODEOWNERS names the team: {log:?}"
    );
    // A second repository with the same name is refused with a clear message, as a failed request.
    let again = request_id(&submit(&app, "create-repo", &REPO_FORM.replace("k1", "k2")).await);
    let html = wait_final(&app, again).await;
    assert!(html.contains("data-status=\"failed\""), "{html}");
    assert!(html.contains("already exists"), "{html}");
    app.stop().await;
}

async fn mistakes_come_back_per_field_with_the_values_kept(backend: Backend) {
    let (app, _dirs) = spawn_working(backend).await;
    app.sign_in("dana").await;
    let location = submit(
        &app,
        "create-repo",
        "_key=k3&name=Bad+Name&description=short&team=search&template=service&visibility=internal&default_branch=main",
    )
    .await;
    assert!(location.starts_with("/actions/create-repo?"), "{location}");
    assert!(location.contains("_invalid=1"));
    let (status, html) = app.get_text(location.split('#').next().unwrap()).await;
    assert_eq!(status, 200);
    assert!(html.contains("Must match the pattern"), "name error shown");
    assert!(
        html.contains("Must be at least 10 characters."),
        "description error shown"
    );
    assert!(
        html.contains("Choose one of your teams: payments."),
        "team error shown"
    );
    assert!(html.contains("value=\"Bad Name\""), "the value is kept");
    assert!(html.contains("aria-invalid=\"true\""));
    // Nothing was created.
    let count: i64 = runway_core::on_pool!(&app.runway.db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM requests").fetch_one(pool).await).unwrap();
    assert_eq!(count, 0);
    app.stop().await;
}

async fn certificates_are_signed_and_the_key_is_shown_once(backend: Backend) {
    let (app, _dirs) = spawn_working(backend).await;
    app.sign_in("dana").await;
    let id = request_id(
        &submit(
            &app,
            "tls-certificate",
            "_key=c1&common_name=api.payments.example.internal&dns_names=api.payments.svc.cluster.local&validity_days=30&key_type=ecdsa-p256&team=payments&own_csr=false",
        )
        .await,
    );
    let html = wait_final(&app, id).await;
    assert!(html.contains("data-status=\"succeeded\""), "{html}");
    assert!(html.contains("BEGIN CERTIFICATE"), "certificate shown");
    assert!(!html.contains("PRIVATE KEY"), "the key is not on the page");
    let reveal = format!("/requests/{id}/secrets/private_key");
    let first = app.post_form(&reveal, "").await;
    assert_eq!(first.status(), 200);
    let text = first.text().await.unwrap();
    assert!(text.contains("PRIVATE KEY"), "{text}");
    let second = app.post_form(&reveal, "").await;
    assert_eq!(second.status(), 404, "shown once, then deleted");
    // Nobody else can see the request at all.
    let mut other = app;
    other.new_browser();
    other.sign_in("sam").await;
    let (status, _) = other.get_text(&format!("/requests/{id}")).await;
    assert_eq!(status, 404);
    other.stop().await;
}

async fn deploy_pipeline_calls_the_signed_webhook_and_follows_the_run(backend: Backend) {
    let (app, _dirs) = spawn_working(backend).await;
    app.sign_in("dana").await;
    let id = request_id(
        &submit(
            &app,
            "deploy-pipeline",
            "_key=d1&service=payments-api&environment=staging&git_ref=main&dry_run=false",
        )
        .await,
    );
    let html = wait_final(&app, id).await;
    assert!(html.contains("data-status=\"succeeded\""), "{html}");
    assert!(html.contains("data-output=\"pipeline\""), "{html}");
    assert!(html.contains("answered 202"), "the call is logged: {html}");
    app.stop().await;
}

async fn certificates_for_another_teams_names_wait_for_security(backend: Backend) {
    let (mut app, _dirs) = spawn_working(backend).await;
    app.sign_in("dana").await;
    let form = "common_name=billing-api.prod.example.internal&dns_names=&validity_days=30&key_type=ecdsa-p256&team=payments&own_csr=false";
    let id = request_id(
        &submit(
            &app,
            "tls-certificate",
            &format!("_key=c2&{form}&names_outside_team=true"),
        )
        .await,
    );
    let (_, html) = app.get_text(&format!("/requests/{id}")).await;
    assert!(html.contains("data-status=\"pending_approval\""), "{html}");

    // Leaving the box unticked does not skip the approval: the script refuses the name.
    let unticked = request_id(&submit(&app, "tls-certificate", &format!("_key=c3&{form}")).await);
    let html = wait_final(&app, unticked).await;
    assert!(html.contains("data-status=\"failed\""), "{html}");
    assert!(html.contains("outside the payments team"), "{html}");

    app.new_browser();
    app.sign_in("sol").await;
    assert_eq!(
        app.post_form(&format!("/requests/{id}/approve"), "comment=ok")
            .await
            .status(),
        303
    );
    let html = wait_final(&app, id).await;
    assert!(html.contains("data-status=\"succeeded\""), "{html}");
    app.stop().await;
}

async fn production_deploys_wait_for_a_team_lead_and_staging_ones_do_not(backend: Backend) {
    let (mut app, _dirs) = spawn_working(backend).await;
    app.sign_in("dana").await;
    let staging = request_id(
        &submit(
            &app,
            "deploy-pipeline",
            "_key=d2&service=payments-api&environment=staging&git_ref=main&dry_run=false",
        )
        .await,
    );
    let production = request_id(
        &submit(
            &app,
            "deploy-pipeline",
            "_key=d3&service=payments-api&environment=production&git_ref=main&canary_percent=5&dry_run=false",
        )
        .await,
    );
    let html = wait_final(&app, staging).await;
    assert!(html.contains("data-status=\"succeeded\""), "{html}");
    let (_, html) = app.get_text(&format!("/requests/{production}")).await;
    assert!(html.contains("data-status=\"pending_approval\""), "{html}");

    app.new_browser();
    app.sign_in("lee").await;
    assert_eq!(
        app.post_form(&format!("/requests/{staging}/approve"), "comment=")
            .await
            .status(),
        409,
        "a staging deploy never waited for anyone"
    );
    assert_eq!(
        app.post_form(&format!("/requests/{production}/approve"), "comment=")
            .await
            .status(),
        303
    );
    let html = wait_final(&app, production).await;
    assert!(html.contains("data-status=\"succeeded\""), "{html}");
    app.stop().await;
}

both_backends!(
    certificates_for_another_teams_names_wait_for_security,
    production_deploys_wait_for_a_team_lead_and_staging_ones_do_not,
);

both_backends!(
    create_repo_runs_the_script_and_reports_the_clone_url,
    mistakes_come_back_per_field_with_the_values_kept,
    certificates_are_signed_and_the_key_is_shown_once,
    deploy_pipeline_calls_the_signed_webhook_and_follows_the_run,
);

const MANUAL_ACTION: &str = r#"id: grant-dashboard
title: Grant a dashboard
summary: A person on the search team creates a dashboard for you.
category: Observability
owner: search
inputs:
  - name: dashboard
    label: Dashboard name
    type: string
    required: true
  - name: team
    label: Team
    type: team
    required: true
run:
  kind: manual
  instructions: Create the dashboard and send the link.
"#;

async fn manual_requests_are_fulfilled_by_the_owning_team(backend: Backend) {
    let (app, dirs) = spawn_working(backend).await;
    std::fs::write(
        dirs.catalog.path().join("grant-dashboard.yaml"),
        MANUAL_ACTION,
    )
    .unwrap();
    app.runway.catalog.reload().await.unwrap();
    let mut app = app;
    app.sign_in("dana").await;
    let id = request_id(
        &submit(
            &app,
            "grant-dashboard",
            "_key=m1&dashboard=Checkout+latency&team=payments",
        )
        .await,
    );
    let (_, html) = app.get_text(&format!("/requests/{id}")).await;
    assert!(html.contains("data-status=\"queued\""), "{html}");
    // The requester's team does not own the action: no taking it.
    assert_eq!(
        app.post_form(&format!("/requests/{id}/take"), "")
            .await
            .status(),
        403
    );

    app.new_browser();
    app.sign_in("sam").await;
    let (_, inbox) = app.get_text("/inbox").await;
    assert!(
        inbox.contains(&format!("/requests/{id}")),
        "in the owning team's inbox: {inbox}"
    );
    assert_eq!(
        app.post_form(&format!("/requests/{id}/take"), "")
            .await
            .status(),
        303
    );
    let bad = app
        .post_form(
            &format!("/requests/{id}/fulfil"),
            "outcome=done&note=ok&outputs=not+a+pair",
        )
        .await;
    assert_eq!(bad.status(), 400, "a malformed result line is refused");
    assert!(bad.text().await.unwrap().contains("line 1"));
    let done = app
        .post_form(
            &format!("/requests/{id}/fulfil"),
            "outcome=done&note=Created+it&outputs=dashboard_url+%3D+https%3A%2F%2Fgrafana.example%2Fd%2F1",
        )
        .await;
    assert_eq!(done.status(), 303);
    let (_, html) = app.get_text(&format!("/requests/{id}")).await;
    assert!(html.contains("data-status=\"succeeded\""), "{html}");
    assert!(
        html.contains("href=\"https://grafana.example/d/1\""),
        "link output: {html}"
    );
    assert!(html.contains("Created it"), "the note is shown");
    // The requester's team lead sees it too.
    app.new_browser();
    app.sign_in("lee").await;
    let (status, _) = app.get_text(&format!("/requests/{id}")).await;
    assert_eq!(status, 200, "the requester's team lead sees the request");
    app.stop().await;
}

both_backends!(manual_requests_are_fulfilled_by_the_owning_team);

async fn approvals_gate_the_work_and_only_approvers_decide(backend: Backend) {
    let (mut app, dirs) = spawn_working(backend).await;
    let service = format!("svc{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    app.sign_in("dana").await;
    let form = format!(
        "_key=a1&service={service}&team=payments&engine=sqlite&size=small&environment=staging&backups=true&retention_days=14"
    );
    let id = request_id(&submit(&app, "service-database", &form).await);
    let (_, html) = app.get_text(&format!("/requests/{id}")).await;
    assert!(html.contains("data-status=\"pending_approval\""), "{html}");
    let own = app
        .post_form(&format!("/requests/{id}/approve"), "comment=")
        .await;
    assert_eq!(own.status(), 403, "nobody approves their own request");

    app.new_browser();
    app.sign_in("sam").await;
    let other = app
        .post_form(&format!("/requests/{id}/approve"), "comment=")
        .await;
    assert_eq!(
        other.status(),
        404,
        "another team's developer cannot even see it"
    );

    app.new_browser();
    app.sign_in("lee").await;
    let (_, approvals) = app.get_text("/approvals").await;
    assert!(
        approvals.contains(&format!("/requests/{id}")),
        "{approvals}"
    );
    let reject_without_reason = app
        .post_form(&format!("/requests/{id}/reject"), "comment=")
        .await;
    assert_eq!(
        reject_without_reason.status(),
        400,
        "a rejection needs a comment"
    );
    let ok = app
        .post_form(&format!("/requests/{id}/approve"), "comment=Go+ahead")
        .await;
    assert_eq!(ok.status(), 303);
    let again = app
        .post_form(&format!("/requests/{id}/approve"), "comment=")
        .await;
    assert_eq!(again.status(), 409, "decided once");
    let html = wait_final(&app, id).await;
    assert!(html.contains("data-status=\"succeeded\""), "{html}");
    assert!(html.contains("Go ahead"), "the comment is on the timeline");
    // Every event after the first says how long after the previous one it came.
    let events = html.matches("<li data-kind=").count();
    assert!(
        events >= 5,
        "submitted, approval asked, approved, queued, started, succeeded: {html}"
    );
    assert_eq!(
        html.matches("class=\"muted after\"").count(),
        events - 1,
        "{html}"
    );
    assert!(html.contains("ms later<"), "{html}");
    assert!(
        dirs.state
            .path()
            .join(format!("service-database/databases/{service}-staging.db"))
            .is_file(),
        "the SQLite database exists"
    );
    app.stop().await;
}

const TWO_GROUPS: &str = r#"id: big-change
title: A change two groups may approve
summary: Either security or platform approves; a person does the work.
category: Infrastructure
owner: platform
approval: {from: [security, platform], count: 1}
run:
  kind: manual
"#;

/// An approver who comes after the decision is told it is too late (409), not that the request
/// does not exist: once a request moves on, someone outside its team loses sight of it, but not of
/// what they were asked to decide.
async fn an_approver_after_the_decision_is_told_it_is_too_late(backend: Backend) {
    let (mut app, dirs) = spawn_working(backend).await;
    std::fs::write(dirs.catalog.path().join("big-change.yaml"), TWO_GROUPS).unwrap();
    app.runway.catalog.reload().await.unwrap();
    app.sign_in("dana").await;
    let id = request_id(&submit(&app, "big-change", "_key=late").await);
    app.new_browser();
    app.sign_in("ada").await;
    let first = app
        .post_form(&format!("/requests/{id}/approve"), "comment=ok")
        .await;
    assert_eq!(first.status(), 303, "the first approver decides");
    app.new_browser();
    app.sign_in("sol").await;
    let second = app
        .post_form(&format!("/requests/{id}/approve"), "comment=me+too")
        .await;
    assert_eq!(second.status(), 409, "the second approver is too late");
    app.stop().await;
}

async fn two_approvers_at_once_make_one_decision(backend: Backend) {
    let (mut app, dirs) = spawn_working(backend).await;
    std::fs::write(dirs.catalog.path().join("big-change.yaml"), TWO_GROUPS).unwrap();
    app.runway.catalog.reload().await.unwrap();
    app.sign_in("dana").await;
    let id = request_id(&submit(&app, "big-change", "_key=t1").await);
    let url = app.address.clone();
    let sol = crate::support::browser_client();
    let ada = crate::support::browser_client();
    for (client, login) in [(&sol, "sol"), (&ada, "ada")] {
        let r = client
            .post(format!("{url}/auth/dev-login"))
            .header("origin", &url)
            .form(&[("login", login), ("next", "/")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
    }
    let approve = |c: &reqwest::Client| {
        c.post(format!("{url}/requests/{id}/approve"))
            .header("origin", &url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("comment=ok")
            .send()
    };
    let (a, b) = tokio::join!(approve(&sol), approve(&ada));
    let mut codes = vec![a.unwrap().status().as_u16(), b.unwrap().status().as_u16()];
    codes.sort_unstable();
    assert_eq!(
        codes,
        vec![303, 409],
        "one decision wins, the other is told it is too late"
    );
    let kinds = runway_core::db::jobs::request_event_kinds(&app.runway.db, id)
        .await
        .unwrap();
    assert_eq!(
        kinds.iter().filter(|k| *k == "approved").count(),
        1,
        "{kinds:?}"
    );
    assert_eq!(
        kinds.iter().filter(|k| *k == "queued").count(),
        1,
        "{kinds:?}"
    );
    // Now in the platform team's inbox.
    app.new_browser();
    app.sign_in("ada").await;
    let (_, inbox) = app.get_text("/inbox").await;
    assert!(inbox.contains(&format!("/requests/{id}")), "{inbox}");

    // A request left waiting past the approval timeout expires.
    app.new_browser();
    app.sign_in("dana").await;
    let late = request_id(&submit(&app, "big-change", "_key=t2").await);
    let expired = runway_core::db::approvals::expire(
        &app.runway.db,
        chrono::Utc::now() + chrono::Duration::seconds(1),
    )
    .await
    .unwrap();
    assert_eq!(expired, vec![late]);
    let (_, html) = app.get_text(&format!("/requests/{late}")).await;
    assert!(html.contains("data-status=\"expired\""), "{html}");
    app.stop().await;
}

both_backends!(
    approvals_gate_the_work_and_only_approvers_decide,
    two_approvers_at_once_make_one_decision,
    an_approver_after_the_decision_is_told_it_is_too_late
);

async fn secret_inputs_reach_the_webhook_but_never_the_request_or_its_log(backend: Backend) {
    let (mut app, _dirs) = spawn_working(backend).await;
    app.sign_in("dana").await;
    let secret = "Sup3r-Secret-Value-42";
    let id = request_id(
        &submit(
            &app,
            "rotate-secret",
            &format!("_key=r1&service=payments-api&environment=staging&secret_name=stripe_key&new_value={secret}&restart=true"),
        )
        .await,
    );
    app.new_browser();
    app.sign_in("sol").await;
    assert_eq!(
        app.post_form(&format!("/requests/{id}/approve"), "comment=rotated+key")
            .await
            .status(),
        303
    );
    let html = wait_final(&app, id).await;
    assert!(html.contains("data-status=\"succeeded\""), "{html}");
    assert!(
        html.contains("answered 200"),
        "the secret store took it: {html}"
    );
    assert!(!html.contains(secret), "the secret is not on the page");
    let stored: String = runway_core::on_pool!(&app.runway.db, pool =>
        sqlx::query_scalar("SELECT inputs FROM requests WHERE id = $1")
            .bind(id).fetch_one(pool).await)
    .unwrap();
    assert!(
        !stored.contains(secret),
        "not stored with the request: {stored}"
    );
    let logs: Vec<String> = runway_core::on_pool!(&app.runway.db, pool =>
        sqlx::query_scalar("SELECT line FROM request_logs WHERE request_id = $1").bind(id).fetch_all(pool).await).unwrap();
    assert!(!logs.is_empty());
    assert!(logs.iter().all(|l| !l.contains(secret)), "{logs:?}");
    let events: Vec<Option<String>> = runway_core::on_pool!(&app.runway.db, pool =>
        sqlx::query_scalar("SELECT detail FROM request_events WHERE request_id = $1").bind(id).fetch_all(pool).await).unwrap();
    assert!(events.iter().flatten().all(|d| !d.contains(secret)));
    let jobs_left = runway_core::db::jobs::count(&app.runway.db).await.unwrap();
    assert_eq!(jobs_left, 0, "the job (with the sealed secret) is gone");
    app.stop().await;
}

async fn access_requests_are_approved_by_security_and_fulfilled_from_the_inbox(backend: Backend) {
    let (mut app, _dirs) = spawn_working(backend).await;
    app.sign_in("dana").await;
    let id = request_id(
        &submit(
            &app,
            "access-request",
            "_key=x1&system=grafana&access_level=read&environments=staging&environments=production&justification=Investigating+slow+dashboards+for+INC-2041&ticket=INC-2041&end_date=2030-01-31&team=payments",
        )
        .await,
    );
    app.new_browser();
    app.sign_in("sol").await;
    assert_eq!(
        app.post_form(&format!("/requests/{id}/approve"), "comment=fine")
            .await
            .status(),
        303
    );
    let (_, inbox) = app.get_text("/inbox").await;
    assert!(
        inbox.contains(&format!("/requests/{id}")),
        "security fulfils it: {inbox}"
    );
    assert_eq!(
        app.post_form(&format!("/requests/{id}/take"), "")
            .await
            .status(),
        303
    );
    assert_eq!(
        app.post_form(
            &format!("/requests/{id}/fulfil"),
            "outcome=done&note=Added+to+grafana-read&outputs=",
        )
        .await
        .status(),
        303
    );
    let (_, html) = app.get_text(&format!("/requests/{id}")).await;
    assert!(html.contains("data-status=\"succeeded\""), "{html}");
    app.stop().await;
}

both_backends!(
    secret_inputs_reach_the_webhook_but_never_the_request_or_its_log,
    access_requests_are_approved_by_security_and_fulfilled_from_the_inbox
);

async fn service_database_creates_a_real_postgres_database(backend: Backend) {
    let admin = crate::support::postgres_admin_url();
    let (mut app, _dirs) = spawn_working_with(backend, |s| {
        s.scripts
            .action_env
            .entry("service-database".into())
            .or_default()
            .insert("RUNWAY_DEMO_POSTGRES_URL".into(), admin.clone());
    })
    .await;
    let service = format!("svc{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    app.sign_in("dana").await;
    let id = request_id(
        &submit(
            &app,
            "service-database",
            &format!("_key=p1&service={service}&team=payments&engine=postgres&size=small&environment=development&backups=false"),
        )
        .await,
    );
    app.new_browser();
    app.sign_in("lee").await;
    assert_eq!(
        app.post_form(&format!("/requests/{id}/approve"), "comment=")
            .await
            .status(),
        303
    );
    let html = wait_final(&app, id).await;
    assert!(html.contains("data-status=\"succeeded\""), "{html}");
    app.new_browser();
    app.sign_in("dana").await;
    let shown = app
        .post_form(&format!("/requests/{id}/secrets/password"), "")
        .await;
    assert_eq!(shown.status(), 200);
    let page = shown.text().await.unwrap();
    let password = page
        .split("data-testid=\"secret-value\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .expect("the password is on the page")
        .to_string();
    // The generated credentials really open the new database.
    let role = format!("{service}_development");
    let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
    let host_part = base.split('@').nth(1).unwrap_or("127.0.0.1:5432");
    let url = format!("postgres://{role}:{password}@{host_part}/{role}");
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(&url)
        .await
        .expect("connect as the new role");
    let one: i32 = sqlx::query_scalar("SELECT 1")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(one, 1);
    conn.close().await.unwrap();
    // The password is in no log line.
    let logs: Vec<String> = runway_core::on_pool!(&app.runway.db, pool =>
        sqlx::query_scalar("SELECT line FROM request_logs WHERE request_id = $1").bind(id).fetch_all(pool).await).unwrap();
    assert!(logs.iter().all(|l| !l.contains(&password)));
    let mut admin_conn = sqlx::PgConnection::connect(&admin).await.unwrap();
    sqlx::query(&format!("DROP DATABASE IF EXISTS {role} WITH (FORCE)"))
        .execute(&mut admin_conn)
        .await
        .unwrap();
    sqlx::query(&format!("DROP ROLE IF EXISTS {role}"))
        .execute(&mut admin_conn)
        .await
        .unwrap();
    app.stop().await;
}

both_backends!(service_database_creates_a_real_postgres_database);

const SLOW_ACTION: &str = r#"id: slow-job
title: A slow job
summary: Runs for a long time, so it can be cancelled.
category: Testing
owner: platform
timeout: 5m
run:
  kind: script
  command: scripts/slow.sh
"#;

async fn cancelling_a_running_script_stops_it(backend: Backend) {
    let (mut app, dirs) = spawn_working(backend).await;
    let marker = dirs.data.path().join("slow-pid");
    let script = format!(
        "#!/bin/sh\nsleep 300 &\necho $! > {}\necho started\nwait\n",
        marker.display()
    );
    let path = dirs.catalog.path().join("scripts/slow.sh");
    std::fs::write(&path, script).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(dirs.data.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    std::fs::write(dirs.catalog.path().join("slow-job.yaml"), SLOW_ACTION).unwrap();
    app.runway.catalog.reload().await.unwrap();
    app.sign_in("dana").await;
    let id = request_id(&submit(&app, "slow-job", "_key=s1").await);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !marker.is_file() {
        assert!(
            std::time::Instant::now() < deadline,
            "the script never started"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let pid: u32 = std::fs::read_to_string(&marker)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    // Someone from another team may not cancel it; the requester may.
    app.new_browser();
    app.sign_in("sam").await;
    assert_eq!(
        app.post_form(&format!("/requests/{id}/cancel"), "")
            .await
            .status(),
        404
    );
    app.new_browser();
    app.sign_in("dana").await;
    assert_eq!(
        app.post_form(&format!("/requests/{id}/cancel"), "")
            .await
            .status(),
        303
    );
    let html = wait_final(&app, id).await;
    assert!(html.contains("data-status=\"cancelled\""), "{html}");
    let gone = |pid: u32| {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .map(|s| s.split(' ').nth(2) == Some("Z"))
            .unwrap_or(true)
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while !gone(pid) {
        assert!(
            std::time::Instant::now() < deadline,
            "the script's child {pid} still runs"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    app.stop().await;
}

both_backends!(cancelling_a_running_script_stops_it);

async fn the_live_stream_reports_progress_and_resumes_where_it_stopped(backend: Backend) {
    let (mut app, _dirs) = spawn_working(backend).await;
    app.sign_in("dana").await;
    let id = request_id(
        &submit(
            &app,
            "create-repo",
            &REPO_FORM.replace("billing-api", "live-api"),
        )
        .await,
    );
    // The stream ends on its own once the request is final.
    let body = app.get(&format!("/requests/{id}/events")).await;
    assert_eq!(body.status(), 200);
    assert!(body
        .headers()
        .get("content-type")
        .is_some_and(|v| v.to_str().unwrap_or("").starts_with("text/event-stream")));
    let text = body.text().await.unwrap();
    assert!(text.contains("event: done"), "{text}");
    assert!(text.contains("\"status\":\"succeeded\""), "{text}");
    assert!(text.contains("running "), "log lines are streamed: {text}");
    let last_id = text
        .lines()
        .filter_map(|l| l.strip_prefix("id: "))
        .next_back()
        .expect("messages carry ids")
        .to_string();
    // Reconnecting with Last-Event-ID sends nothing already seen.
    let again = app
        .client
        .get(app.url(&format!("/requests/{id}/events")))
        .header("last-event-id", &last_id)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(again.contains("event: done"), "{again}");
    assert!(again.contains("\"log\":[]"), "no log line twice: {again}");
    assert!(again.contains("\"events\":[]"), "no event twice: {again}");
    // Another team's developer gets nothing.
    app.new_browser();
    app.sign_in("sam").await;
    assert_eq!(
        app.get(&format!("/requests/{id}/events")).await.status(),
        404
    );
    app.stop().await;
}

both_backends!(the_live_stream_reports_progress_and_resumes_where_it_stopped);

const FLAKY_ACTION: &str = r#"id: flaky
title: Fails the first time
summary: Fails once, then works.
category: Testing
owner: platform
run:
  kind: script
  command: scripts/flaky.sh
"#;

async fn a_failed_request_is_retried_by_the_owning_team(backend: Backend) {
    let (mut app, dirs) = spawn_working(backend).await;
    let marker = dirs.data.path().join("flaky-ran");
    let path = dirs.catalog.path().join("scripts/flaky.sh");
    std::fs::write(
        &path,
        format!(
            "#!/bin/sh\nif [ -e {m} ]; then echo fine; exit 0; fi\n: > {m}\necho 'flaky: first run fails' >&2\nexit 1\n",
            m = marker.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(dirs.data.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    std::fs::write(dirs.catalog.path().join("flaky.yaml"), FLAKY_ACTION).unwrap();
    app.runway.catalog.reload().await.unwrap();
    app.sign_in("dana").await;
    let id = request_id(&submit(&app, "flaky", "_key=f1").await);
    let html = wait_final(&app, id).await;
    assert!(html.contains("data-status=\"failed\""), "{html}");
    assert!(
        html.contains("first run fails"),
        "the reason is shown: {html}"
    );
    assert_eq!(
        app.post_form(&format!("/requests/{id}/retry"), "")
            .await
            .status(),
        403,
        "the requester's team does not own the action"
    );
    app.new_browser();
    app.sign_in("ada").await;
    assert_eq!(
        app.post_form(&format!("/requests/{id}/retry"), "")
            .await
            .status(),
        303
    );
    let html = wait_final(&app, id).await;
    assert!(html.contains("data-status=\"succeeded\""), "{html}");
    assert_eq!(
        app.post_form(&format!("/requests/{id}/retry"), "")
            .await
            .status(),
        403,
        "only failed requests are retried"
    );
    app.stop().await;
}

both_backends!(a_failed_request_is_retried_by_the_owning_team);

const CHATTY_ACTION: &str = r#"id: chatty
title: Prints a lot
summary: Writes 1,200 numbered lines.
category: Testing
owner: platform
run:
  kind: script
  command: scripts/chatty.sh
"#;

async fn large_logs_show_the_tail_load_earlier_lines_and_download_whole(backend: Backend) {
    let (app, dirs) = spawn_working(backend).await;
    let path = dirs.catalog.path().join("scripts/chatty.sh");
    std::fs::write(
        &path,
        "#!/bin/sh\ni=1\nwhile [ $i -le 1200 ]; do echo \"line $i\"; i=$((i+1)); done\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(dirs.catalog.path().join("chatty.yaml"), CHATTY_ACTION).unwrap();
    app.runway.catalog.reload().await.unwrap();
    app.sign_in("dana").await;
    let id = request_id(&submit(&app, "chatty", "_key=c1").await);
    let html = wait_final(&app, id).await;
    assert!(html.contains("data-status=\"succeeded\""), "{html}");
    assert!(
        html.contains("line 1200"),
        "the tail is shown: {}",
        &html[html.find("data-testid=\"log\"").unwrap_or(0)..]
            .chars()
            .take(600)
            .collect::<String>()
    );
    assert!(!html.contains(">line 1<!"), "the head is not");
    assert!(html.contains("data-testid=\"earlier\""));
    let (status, full) = app.get_text(&format!("/requests/{id}/log.txt")).await;
    assert_eq!(status, 200);
    let numbered = full.lines().filter(|l| l.contains("] line ")).count();
    assert_eq!(numbered, 1200, "the download holds every line");
    // Earlier lines come 500 at a time, before the oldest one shown.
    let shown_oldest: i64 = html
        .split("data-log-id=")
        .nth(1)
        .and_then(|s| s.trim_start_matches('"').split('"').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let resp = app
        .post_form(
            "/api/requests/log",
            &format!("id={id}&before={shown_oldest}"),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let earlier: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(earlier.as_array().map(Vec::len), Some(500));
    app.stop().await;
}

both_backends!(large_logs_show_the_tail_load_earlier_lines_and_download_whole);

/// Adds an action and its script to the test's catalogue copy, and reloads.
pub(crate) async fn add_action(app: &TestApp, dirs: &Dirs, id: &str, yaml: &str, script: &str) {
    use std::os::unix::fs::PermissionsExt;
    let path = dirs.catalog.path().join(format!("scripts/{id}.sh"));
    std::fs::write(&path, script).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(dirs.catalog.path().join(format!("{id}.yaml")), yaml).unwrap();
    app.runway.catalog.reload().await.unwrap();
}

async fn log_lines(app: &TestApp, id: i64) -> Vec<String> {
    runway_core::on_pool!(&app.runway.db, pool =>
        sqlx::query_scalar("SELECT line FROM request_logs WHERE request_id = $1 ORDER BY id")
            .bind(id).fetch_all(pool).await)
    .unwrap()
}

const TRAPPED_ACTION: &str = r#"id: trapped
title: Cleans up when stopped
summary: Outlives its timeout, and cleans up on SIGTERM.
category: Testing
owner: platform
timeout: 1s
run:
  kind: script
  command: scripts/trapped.sh
"#;

/// The script executor's own timeout runs first (SIGTERM, a grace period, SIGKILL), so a script's
/// `trap` cleans up and the log says why it stopped; the worker's timer is only a backstop.
async fn a_script_that_times_out_gets_sigterm_and_its_trap_runs(backend: Backend) {
    let (app, dirs) = spawn_working(backend).await;
    let script = "#!/bin/sh\n\
        trap 'echo \"trap: cleaning up after TERM\"; exit 143' TERM\n\
        echo started\n\
        sleep 30 &\n\
        wait\n";
    add_action(&app, &dirs, "trapped", TRAPPED_ACTION, script).await;
    app.sign_in("dana").await;
    let id = request_id(&submit(&app, "trapped", "_key=t1").await);
    let html = wait_final(&app, id).await;
    assert!(html.contains("data-status=\"failed\""), "{html}");
    let lines = log_lines(&app, id).await;
    assert!(
        lines.iter().any(|l| l == "trap: cleaning up after TERM"),
        "the trap ran: {lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("timed out after 1s: stopping the script")),
        "the executor recorded the timeout: {lines:?}"
    );
    let (status, _, errors) = runway_core::db::jobs::request_status(&app.runway.db, id)
        .await
        .unwrap()
        .unwrap();
    assert!(status.is_final());
    assert!(errors.contains("timed out after 1s"), "{errors}");
    app.stop().await;
}

const PASSWORD_ACTION: &str = r#"id: make-password
title: Makes a password
summary: Prints it by mistake, and reports it as a secret output.
category: Testing
owner: platform
run:
  kind: script
  command: scripts/make-password.sh
"#;

/// A secret output is redacted from its run's log, lines stored before it was reported included.
async fn a_secret_output_never_stays_in_the_log(backend: Backend) {
    let (app, dirs) = spawn_working(backend).await;
    let password = "Gen3rated-Passw0rd-77";
    let script = format!(
        "#!/bin/sh\n\
         echo \"debug: the new password is {password}\"\n\
         echo \"{{\\\"password\\\": \\\"{password}\\\"}}\"\n\
         printf '{{\"outputs\": [{{\"name\": \"password\", \"value\": \"{password}\", \"kind\": \"secret\"}}]}}' > \"$RUNWAY_OUTPUTS\"\n"
    );
    add_action(&app, &dirs, "make-password", PASSWORD_ACTION, &script).await;
    app.sign_in("dana").await;
    let id = request_id(&submit(&app, "make-password", "_key=p1").await);
    let html = wait_final(&app, id).await;
    assert!(html.contains("data-status=\"succeeded\""), "{html}");
    let lines = log_lines(&app, id).await;
    assert!(
        lines
            .iter()
            .any(|l| l == "debug: the new password is [redacted]"),
        "{lines:?}"
    );
    assert!(lines.iter().all(|l| !l.contains(password)), "{lines:?}");
    assert!(
        !html.contains(password),
        "not on the page before it is revealed"
    );
    app.stop().await;
}

const SECRET_INPUT_ACTION: &str = r#"id: takes-a-secret
title: Takes a secret
summary: Has a secret input.
category: Testing
owner: platform
inputs:
  - name: token
    label: Token
    type: secret
    required: true
run:
  kind: script
  command: scripts/takes-a-secret.sh
"#;

/// A job's sealed secret inputs name their request as associated data: they open for that request
/// and for no other.
async fn a_sealed_job_payload_opens_only_for_its_own_request(backend: Backend) {
    let (app, dirs) = spawn_working_with(backend, |s| s.worker.in_process = false).await;
    add_action(
        &app,
        &dirs,
        "takes-a-secret",
        SECRET_INPUT_ACTION,
        "#!/bin/sh\ntrue\n",
    )
    .await;
    app.sign_in("dana").await;
    let id = request_id(&submit(&app, "takes-a-secret", "_key=k1&token=Tok3n-Value-0001").await);
    let db = &app.runway.db;
    let now = runway_core::queue::now_ms();
    let job = runway_core::db::jobs::claim(db, "probe", 1, now, 60_000)
        .await
        .unwrap()
        .remove(0);
    assert_eq!(job.request_id, Some(id));
    let payload: runway_core::requests::JobPayload = serde_json::from_str(&job.payload).unwrap();
    let sealed = payload.sealed_secrets.expect("the secret input is sealed");
    let opened = app
        .runway
        .secrets
        .open(id, &sealed)
        .expect("opens for its request");
    assert!(String::from_utf8_lossy(&opened).contains("Tok3n-Value-0001"));
    for other in [0, id + 1] {
        assert!(
            app.runway.secrets.open(other, &sealed).is_err(),
            "opens for request {other} too"
        );
    }
    runway_core::db::jobs::complete(
        db,
        &[runway_core::db::jobs::Completion {
            id: job.id,
            fence: job.fence,
            request_id: job.request_id,
            attempt: job.attempt,
            outcome: runway_core::db::jobs::Outcome::Cancelled,
        }],
    )
    .await
    .unwrap();
    app.stop().await;
}

both_backends!(
    a_script_that_times_out_gets_sigterm_and_its_trap_runs,
    a_secret_output_never_stays_in_the_log,
    a_sealed_job_payload_opens_only_for_its_own_request,
);
