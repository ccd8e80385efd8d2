//! The audit log: every sign-in, sign-out, decision, cancel, retry, secret reveal and catalogue
//! reload leaves a row after the real action; admins read it filtered, page by page and as CSV;
//! nobody else can; and no route and no SQL statement can change or remove a row.

use crate::requests::{add_action, request_id, spawn_working, submit, wait_final};
use crate::support::{Backend, TestApp};
use chrono::{DateTime, TimeZone, Utc};
use runway_core::audit::Actor;
use runway_core::db::audit::{self as sql, AuditEventRow, Filter, NewAuditRow};

/// Every stored event, oldest first.
async fn all_events(app: &TestApp) -> Vec<AuditEventRow> {
    runway_core::on_pool!(&app.runway.db, pool => sqlx::query_as::<_, AuditEventRow>(
        "SELECT id, at, actor_id, actor_name, via, kind, object, before_hash, after_hash, detail \
         FROM audit_events ORDER BY id",
    )
    .fetch_all(pool)
    .await)
    .unwrap()
}

/// The events of one kind, newest first.
async fn events_of(app: &TestApp, kind: &str) -> Vec<AuditEventRow> {
    let filter = Filter {
        kind: Some(kind.to_string()),
        ..Filter::default()
    };
    sql::page(&app.runway.db, &filter, 1_000).await.unwrap()
}

fn detail(row: &AuditEventRow) -> serde_json::Value {
    serde_json::from_str(row.detail.as_deref().unwrap_or("null")).unwrap()
}

async fn sign_in_and_sign_out_are_recorded_for_the_person(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.sign_in("dana").await;
    let signed_in = events_of(&app, "sign_in").await;
    assert_eq!(signed_in.len(), 1, "{signed_in:?}");
    let dana = &signed_in[0];
    assert_eq!(dana.actor_name, "Dana Developer");
    let id = dana.actor_id.expect("a person");
    assert_eq!(dana.object, format!("user:{id}"));
    assert_eq!(detail(dana)["method"], "development");
    assert!(events_of(&app, "sign_out").await.is_empty());

    assert_eq!(app.post_form("/auth/logout", "").await.status(), 303);
    let signed_out = events_of(&app, "sign_out").await;
    assert_eq!(signed_out.len(), 1, "{signed_out:?}");
    assert_eq!(signed_out[0].actor_id, Some(id));
    assert_eq!(signed_out[0].object, format!("user:{id}"));
    // Signing out without a session is no one's sign-out.
    assert_eq!(app.post_form("/auth/logout", "").await.status(), 303);
    assert_eq!(events_of(&app, "sign_out").await.len(), 1);
    app.stop().await;
}

async fn sso_sign_in_and_sign_out_are_recorded_too(backend: Backend) {
    use crate::support::oidc::{login_at_provider, Provider};
    let provider = Provider::start().await;
    let app = TestApp::builder(backend)
        .with_provider(&provider)
        .spawn()
        .await;
    let callback = login_at_provider(&app, &provider, "alice", "/").await;
    assert_eq!(app.client.get(callback).send().await.unwrap().status(), 303);
    let signed_in = events_of(&app, "sign_in").await;
    assert_eq!(signed_in.len(), 1, "{signed_in:?}");
    assert_eq!(signed_in[0].actor_name, "Alice Payments");
    assert_eq!(detail(&signed_in[0])["method"], "oidc");
    assert_eq!(app.post_form("/auth/logout", "").await.status(), 303);
    let signed_out = events_of(&app, "sign_out").await;
    assert_eq!(signed_out.len(), 1, "{signed_out:?}");
    assert_eq!(signed_out[0].actor_id, signed_in[0].actor_id);
    app.stop().await;
}

const SLOW_ACTION: &str = r#"id: slow
title: Takes its time
summary: Sleeps for a minute.
category: Testing
owner: platform
run:
  kind: script
  command: scripts/slow.sh
"#;

const BROKEN_ACTION: &str = r#"id: broken
title: Always fails
summary: Exits with an error.
category: Testing
owner: platform
run:
  kind: script
  command: scripts/broken.sh
"#;

const PRODUCTION_DEPLOY: &str =
    "service=payments-api&environment=production&git_ref=main&canary_percent=5&dry_run=false";

async fn decisions_cancels_retries_and_reveals_are_recorded_after_the_real_action(
    backend: Backend,
) {
    let (mut app, dirs) = spawn_working(backend).await;
    add_action(&app, &dirs, "slow", SLOW_ACTION, "#!/bin/sh\nsleep 60\n").await;
    add_action(
        &app,
        &dirs,
        "broken",
        BROKEN_ACTION,
        "#!/bin/sh\necho broken >&2\nexit 1\n",
    )
    .await;
    app.sign_in("dana").await;
    let approved = request_id(
        &submit(
            &app,
            "deploy-pipeline",
            &format!("_key=a1&{PRODUCTION_DEPLOY}"),
        )
        .await,
    );
    let rejected = request_id(
        &submit(
            &app,
            "deploy-pipeline",
            &format!("_key=a2&{PRODUCTION_DEPLOY}"),
        )
        .await,
    );
    let slow = request_id(&submit(&app, "slow", "_key=s1").await);
    let broken = request_id(&submit(&app, "broken", "_key=b1").await);
    let certificate = request_id(
        &submit(
            &app,
            "tls-certificate",
            "_key=c1&common_name=api.payments.example.internal&dns_names=api.payments.svc.cluster.local&validity_days=30&key_type=ecdsa-p256&team=payments&own_csr=false",
        )
        .await,
    );
    // Nothing is recorded for what was refused.
    assert_eq!(
        app.post_form(&format!("/requests/{approved}/approve"), "comment=mine")
            .await
            .status(),
        403,
        "nobody approves their own request"
    );
    assert!(events_of(&app, "approval_decided").await.is_empty());

    assert_eq!(
        app.post_form(&format!("/requests/{slow}/cancel"), "")
            .await
            .status(),
        303
    );
    assert!(wait_final(&app, certificate)
        .await
        .contains("data-status=\"succeeded\""));
    let reveal = app
        .post_form(&format!("/requests/{certificate}/secrets/private_key"), "")
        .await;
    assert_eq!(reveal.status(), 200);
    assert!(wait_final(&app, broken)
        .await
        .contains("data-status=\"failed\""));

    app.new_browser();
    app.sign_in("lee").await;
    assert_eq!(
        app.post_form(&format!("/requests/{approved}/approve"), "comment=Ship+it")
            .await
            .status(),
        303
    );
    assert_eq!(
        app.post_form(
            &format!("/requests/{rejected}/reject"),
            "comment=Not+on+a+Friday"
        )
        .await
        .status(),
        303
    );
    app.new_browser();
    app.sign_in("ada").await;
    assert_eq!(
        app.post_form(&format!("/requests/{broken}/retry"), "")
            .await
            .status(),
        303
    );

    let decisions = events_of(&app, "approval_decided").await;
    assert_eq!(decisions.len(), 2, "{decisions:?}");
    let reject = &decisions[0];
    assert_eq!(reject.actor_name, "Lee Lead");
    assert_eq!(reject.object, format!("request:{rejected}"));
    assert_eq!(detail(reject)["decision"], "reject");
    assert_eq!(detail(reject)["comment"], "Not on a Friday");
    assert_eq!(reject.before_hash.as_deref(), Some("pending_approval"));
    assert_eq!(reject.after_hash.as_deref(), Some("rejected"));
    let approve = &decisions[1];
    assert_eq!(approve.object, format!("request:{approved}"));
    assert_eq!(detail(approve)["decision"], "approve");
    assert_eq!(detail(approve)["comment"], "Ship it");

    let cancels = events_of(&app, "request_cancelled").await;
    assert_eq!(cancels.len(), 1, "{cancels:?}");
    assert_eq!(cancels[0].actor_name, "Dana Developer");
    assert_eq!(cancels[0].object, format!("request:{slow}"));

    let retries = events_of(&app, "request_retried").await;
    assert_eq!(retries.len(), 1, "{retries:?}");
    assert_eq!(retries[0].actor_name, "Ada Admin");
    assert_eq!(retries[0].object, format!("request:{broken}"));
    assert_eq!(retries[0].before_hash.as_deref(), Some("failed"));

    let reveals = events_of(&app, "secret_revealed").await;
    assert_eq!(reveals.len(), 1, "{reveals:?}");
    assert_eq!(reveals[0].actor_name, "Dana Developer");
    assert_eq!(reveals[0].object, format!("request:{certificate}"));
    assert_eq!(detail(&reveals[0])["output"], "private_key");
    let everything = format!("{:?}", all_events(&app).await);
    assert!(
        !everything.contains("PRIVATE KEY"),
        "the secret itself is never in the audit log"
    );
    app.stop().await;
    drop(dirs);
}

async fn catalogue_reloads_record_both_fingerprints_and_what_changed(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    crate::requests::copy_catalog(dir.path());
    let app = TestApp::builder(backend)
        .with_catalog(dir.path())
        .spawn()
        .await;
    let at_start = events_of(&app, "catalog_reload").await;
    assert_eq!(at_start.len(), 1, "the start-up load is recorded");
    let start = &at_start[0];
    assert_eq!(
        (start.actor_id, start.actor_name.as_str()),
        (None, "Runway")
    );
    assert_eq!(start.object, "catalog");
    assert_eq!(
        start.before_hash.as_deref(),
        Some(
            runway_core::catalog::Catalog::empty()
                .fingerprint()
                .as_str()
        )
    );
    assert_eq!(
        start.after_hash.as_deref(),
        Some(app.runway.catalog.snapshot().fingerprint().as_str())
    );
    assert!(detail(start)["added"]
        .as_array()
        .unwrap()
        .contains(&serde_json::json!("create-repo")));

    // What SIGHUP does, after a change in the files.
    std::fs::remove_file(dir.path().join("rotate-secret.yaml")).unwrap();
    let repo = std::fs::read_to_string(dir.path().join("create-repo.yaml")).unwrap();
    std::fs::write(
        dir.path().join("create-repo.yaml"),
        repo.replacen("title:", "# edited by hand\ntitle:", 1),
    )
    .unwrap();
    app.runway.reload_catalog(Actor::system()).await.unwrap();
    let reloads = events_of(&app, "catalog_reload").await;
    assert_eq!(reloads.len(), 2);
    let reload = &reloads[0];
    assert_eq!(
        reload.before_hash, start.after_hash,
        "before is the previous after"
    );
    assert_ne!(reload.before_hash, reload.after_hash);
    assert_eq!(
        detail(reload)["changed"],
        serde_json::json!(["create-repo"])
    );
    assert_eq!(
        detail(reload)["removed"],
        serde_json::json!(["rotate-secret"])
    );
    assert_eq!(detail(reload)["added"], serde_json::json!([]));
    app.stop().await;
}

fn day(d: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, d, hour, 0, 0).unwrap()
}

async fn user_id(app: &TestApp, name: &str) -> i64 {
    runway_core::on_pool!(&app.runway.db, pool => sqlx::query_scalar("SELECT id FROM users WHERE name = $1")
        .bind(name).fetch_one(pool).await)
    .unwrap()
}

/// 96 events over four days of January 2026, one an hour: every fourth an approval decision (the
/// rest cancels), actors alternating between Ada and Lee, objects `action:a<n>` every third, else
/// `request:<n>`.
async fn seed(app: &TestApp, ada: i64, lee: i64) {
    for i in 0..96u32 {
        let (actor_id, actor_name) = if i % 2 == 0 {
            (ada, "Ada Admin")
        } else {
            (lee, "Lee Lead")
        };
        let object = if i % 3 == 0 {
            format!("action:a{i}")
        } else {
            format!("request:{i}")
        };
        sql::insert(
            &app.runway.db,
            &NewAuditRow {
                at: day(1 + i / 24, i % 24),
                actor_id: Some(actor_id),
                actor_name,
                via: None,
                kind: if i % 4 == 0 {
                    "approval_decided"
                } else {
                    "request_cancelled"
                },
                object: &object,
                before_hash: None,
                after_hash: None,
                detail: Some(format!("{{\"n\":{i}}}")),
            },
        )
        .await
        .unwrap();
    }
}

/// The page for `query` through the server function, as the page loads it: rows and next cursor.
async fn audit_api(app: &TestApp, query: &str) -> (Vec<i64>, Option<String>) {
    let resp = app
        .client
        .post(app.url("/api/admin/audit"))
        .header("origin", &app.address)
        .form(&[("query", query)])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{query}");
    let body: serde_json::Value = resp.json().await.unwrap();
    let page = &body["Ok"];
    let ids = page["rows"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    (ids, page["next"].as_str().map(str::to_string))
}

/// Every id over every page of `query`, following the next-page cursors.
async fn all_pages(app: &TestApp, query: &str) -> Vec<i64> {
    let mut ids = Vec::new();
    let mut next = Some(query.to_string());
    while let Some(q) = next {
        let (page, n) = audit_api(app, &q).await;
        assert!(page.len() <= 50);
        ids.extend(page);
        next = n;
    }
    ids
}

async fn filters_and_keyset_pages_select_exactly_the_matching_events(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    app.sign_in("lee").await;
    app.new_browser();
    app.sign_in("ada").await;
    let (ada, lee) = (
        user_id(&app, "Ada Admin").await,
        user_id(&app, "Lee Lead").await,
    );
    seed(&app, ada, lee).await;
    let seeded: Vec<AuditEventRow> = all_events(&app)
        .await
        .into_iter()
        .filter(|r| r.at < day(5, 0))
        .collect();
    assert_eq!(seeded.len(), 96);
    let expect = |keep: &dyn Fn(&AuditEventRow) -> bool| -> Vec<i64> {
        let mut ids: Vec<i64> = seeded.iter().filter(|r| keep(r)).map(|r| r.id).collect();
        ids.reverse();
        ids
    };
    let january = "from=2026-01-01&to=2026-01-31";

    // Unfiltered: newest first (today's sign-ins and start-up reload first), 50 a page, no repeats.
    let all = all_pages(&app, "").await;
    assert_eq!(
        all.len(),
        96 + 3,
        "the seeded events, the start-up reload, two sign-ins"
    );
    assert_eq!(&all[3..], expect(&|_| true).as_slice());
    let (first, next) = audit_api(&app, "").await;
    assert_eq!(first.len(), 50);
    assert_eq!(
        next.as_deref(),
        Some(format!("before={}", first[49]).as_str())
    );

    assert_eq!(
        all_pages(&app, &format!("{january}&kind=approval_decided")).await,
        expect(&|r| r.kind == "approval_decided")
    );
    assert_eq!(
        all_pages(&app, &format!("{january}&who=lee")).await,
        expect(&|r| r.actor_name == "Lee Lead"),
        "part of a name, any case"
    );
    assert_eq!(
        all_pages(&app, &format!("{january}&who=user:{ada}")).await,
        expect(&|r| r.actor_id == Some(ada))
    );
    assert_eq!(
        all_pages(&app, "object=action:").await,
        expect(&|r| r.object.starts_with("action:"))
    );
    assert_eq!(
        all_pages(&app, "object=request:1*").await,
        expect(&|r| r.object.starts_with("request:1"))
    );
    assert_eq!(
        all_pages(&app, "object=request:7").await,
        expect(&|r| r.object == "request:7")
    );
    assert_eq!(
        all_pages(&app, "from=2026-01-02&to=2026-01-03").await,
        expect(&|r| r.at >= day(2, 0) && r.at < day(4, 0)),
        "both days included"
    );
    assert_eq!(
        all_pages(
            &app,
            "who=lee&kind=request_cancelled&object=request:&from=2026-01-04"
        )
        .await,
        expect(&|r| r.actor_name == "Lee Lead"
            && r.kind == "request_cancelled"
            && r.object.starts_with("request:")
            && r.at >= day(4, 0)),
        "filters combine"
    );
    assert!(all_pages(&app, "who=nobody-at-all").await.is_empty());
    let runway_itself: Vec<i64> = all_events(&app)
        .await
        .into_iter()
        .rev()
        .filter(|r| r.actor_id.is_none())
        .map(|r| r.id)
        .collect();
    assert_eq!(runway_itself.len(), 1, "the start-up reload");
    assert_eq!(all_pages(&app, "who=runway").await, runway_itself);
    // SQLite reads a rare prefix through the object index and a common one walking the time
    // index: both ways give the same rows, at every cursor.
    for prefix in ["action:", "request:", "request:1"] {
        for before in [None, Some(seeded[60].id)] {
            let filter = Filter {
                object: Some(sql::ObjectMatch::Prefix(prefix.to_string())),
                before,
                ..Filter::default()
            };
            let by_object = sql::page_with_prefix_cap(&app.runway.db, &filter, 20, i64::MAX).await;
            let by_time = sql::page_with_prefix_cap(&app.runway.db, &filter, 20, 0).await;
            let ids = |rows: Vec<AuditEventRow>| rows.into_iter().map(|r| r.id).collect::<Vec<_>>();
            let by_object = ids(by_object.unwrap());
            assert_eq!(
                by_object,
                ids(by_time.unwrap()),
                "{prefix} before {before:?}"
            );
            let cut = before.unwrap_or(i64::MAX);
            let mut expected = expect(&|r| r.object.starts_with(prefix) && r.id < cut);
            expected.truncate(20);
            assert_eq!(by_object, expected, "{prefix} before {before:?}");
        }
    }

    // A filter that means nothing is answered in words, with 400.
    let resp = app
        .client
        .post(app.url("/api/admin/audit"))
        .header("origin", &app.address)
        .form(&[("query", "kind=coffee")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    assert!(resp.text().await.unwrap().contains("not an audit kind"));

    // The page itself: the form's labels, the table's headers, the links.
    let (status, html) = app.get_text("/admin/audit?kind=approval_decided").await;
    assert_eq!(status, 200);
    for text in ["Who", "Kind", "Object", "From", "To", "<caption>"] {
        assert!(html.contains(text), "{text} on the page");
    }
    for th in [
        "When", "Who", "What", "Object", "Before", "After", "Details",
    ] {
        assert!(
            html.contains(&format!("<th scope=\"col\">{th}</th>")),
            "{th} header"
        );
    }
    assert!(
        html.contains("href=\"/admin/audit.csv?kind=approval_decided\""),
        "{html}"
    );
    assert_eq!(crate::support::count(&html, "data-event="), 24);
    assert!(!html.contains("Next page"), "24 events fit on one page");
    let (_, html) = app.get_text("/admin/audit").await;
    assert!(html.contains("Next page"));
    assert!(
        html.contains("href=\"/admin/audit\""),
        "the navigation links the page"
    );
    app.stop().await;
}

async fn the_csv_export_streams_every_matching_event_to_admins_only(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    // More than one database page (1,000) of one kind.
    for i in 0..1_200i64 {
        sql::insert(
            &app.runway.db,
            &NewAuditRow {
                at: day(1, 0) + chrono::Duration::seconds(i),
                actor_id: None,
                actor_name: "=cmd|' /C calc'!A0",
                via: Some("token:ci-bot"),
                kind: "setting_changed",
                object: &format!("setting:s{i}"),
                before_hash: Some("old"),
                after_hash: Some("new"),
                detail: Some("{\"note\":\"a, b\"}".to_string()),
            },
        )
        .await
        .unwrap();
    }
    app.sign_in("ada").await;
    let resp = app.get("/admin/audit.csv?kind=setting_changed").await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "text/csv; charset=utf-8");
    assert_eq!(
        resp.headers()["content-disposition"],
        "attachment; filename=\"audit.csv\""
    );
    let body = resp.text().await.unwrap();
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(lines[0], "id,at,who,kind,object,before,after,detail");
    assert_eq!(lines.len(), 1 + 1_200);
    assert!(
        lines[1].contains("setting:s1199"),
        "newest first: {}",
        lines[1]
    );
    assert!(
        lines[1].contains(",'=cmd|' /C calc'!A0 via token:ci-bot,"),
        "never a formula: {}",
        lines[1]
    );
    assert!(
        lines[1].ends_with(",old,new,\"{\"\"note\"\":\"\"a, b\"\"}\""),
        "{}",
        lines[1]
    );
    let (_, narrow) = app.get_text("/admin/audit.csv?object=setting:s119*").await;
    assert_eq!(narrow.lines().count(), 1 + 11, "s119 and s1190..s1199");

    for login in ["dana", "lee"] {
        app.new_browser();
        app.sign_in(login).await;
        let (_, home) = app.get_text("/").await;
        assert!(
            !home.contains("href=\"/admin/audit\""),
            "no Audit link for {login}"
        );
        assert_eq!(app.get("/admin/audit.csv").await.status(), 403, "{login}");
        assert_eq!(app.get("/admin/audit").await.status(), 403, "{login}");
        let (status, _) = app.get_text("/admin/audit?kind=sign_in").await;
        assert_eq!(status, 403, "{login}");
    }
    app.stop().await;
}

async fn the_database_refuses_to_update_or_delete_audit_rows(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let before = all_events(&app).await;
    assert!(!before.is_empty(), "the start-up reload");
    let db = &app.runway.db;
    let update = runway_core::on_pool!(db, pool => sqlx::query("UPDATE audit_events SET actor_name = 'Mallory'")
        .execute(pool).await.map(|_| ()));
    let delete = runway_core::on_pool!(db, pool => sqlx::query("DELETE FROM audit_events")
        .execute(pool).await.map(|_| ()));
    for result in [update, delete] {
        let e = result.expect_err("refused");
        assert!(e.to_string().contains("append-only"), "{e}");
    }
    if backend == Backend::Postgres {
        let truncate = runway_core::on_pool!(db, pool => sqlx::query("TRUNCATE audit_events")
            .execute(pool).await.map(|_| ()));
        assert!(truncate
            .expect_err("refused")
            .to_string()
            .contains("append-only"));
    }
    assert_eq!(all_events(&app).await, before);
    app.stop().await;
}

/// A concrete path for a route pattern, naming things that exist.
fn concrete(pattern: &str, request: i64) -> String {
    pattern
        .replace("/actions/{id}", "/actions/deploy-pipeline")
        .replace("{id}", &request.to_string())
        .replace("{name}", "private_key")
        .replace("{team}", "payments")
        .replace("{source}", "jira")
        .replace("{group}", "g-000000000000")
        .replace("{token}", "00000000000000000000000000000000")
}

async fn no_route_changes_or_removes_an_audit_row(backend: Backend) {
    // A copy of the catalogue: an admin's calls may publish or roll out (the editor writes the
    // files, and commits when the directory is a git repository, as the checkout is).
    let catalog = tempfile::tempdir().unwrap();
    crate::requests::copy_catalog(catalog.path());
    let mut app = TestApp::builder(backend)
        .with_catalog(catalog.path())
        .spawn()
        .await;
    app.sign_in("dana").await;
    let request = request_id(
        &submit(
            &app,
            "deploy-pipeline",
            &format!("_key=n1&{PRODUCTION_DEPLOY}"),
        )
        .await,
    );
    app.new_browser();
    let mut seen = all_events(&app).await;
    let methods = ["GET", "POST", "PUT", "PATCH", "DELETE"];
    let routes = runway_server::routes::route_inventory();
    assert!(routes.len() > 20);
    for (_, pattern) in &routes {
        for method in methods {
            // Signed in as an admin before every call: sign-out and sign-in are routes too.
            app.sign_in("ada").await;
            let path = concrete(pattern, request);
            let resp = app
                .client
                .request(method.parse().unwrap(), app.url(&path))
                .header("origin", &app.address)
                .header("content-type", "application/x-www-form-urlencoded")
                .body("comment=audit&login=ada&query=")
                .send()
                .await
                .unwrap();
            // Read the whole answer, so a streamed one has done its work (a live event stream
            // never ends: it is only opened).
            if !path.ends_with("/events") {
                let _ = resp.bytes().await;
            }
            let now = all_events(&app).await;
            assert!(
                now.len() >= seen.len() && now[..seen.len()] == seen[..],
                "{method} {path} changed or removed audit rows"
            );
            seen = now;
        }
    }
    assert_eq!(
        events_of(&app, "request_cancelled").await.len(),
        1,
        "the calls did real work (an admin cancelled), and it was only appended"
    );
    app.stop().await;
}

both_backends!(
    sign_in_and_sign_out_are_recorded_for_the_person,
    sso_sign_in_and_sign_out_are_recorded_too,
    decisions_cancels_retries_and_reveals_are_recorded_after_the_real_action,
    catalogue_reloads_record_both_fingerprints_and_what_changed,
    filters_and_keyset_pages_select_exactly_the_matching_events,
    the_csv_export_streams_every_matching_event_to_admins_only,
    the_database_refuses_to_update_or_delete_audit_rows,
    no_route_changes_or_removes_an_audit_row,
);
