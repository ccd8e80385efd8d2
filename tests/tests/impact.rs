//! Impact (issue #14): every figure the page shows equals the same figure computed by a plain SQL
//! query, on both backends; "not enough data" instead of a number; the ease question is the
//! requester's alone; pulse results stay hidden below five answers; baselines and pulses are for
//! admins; bad input is refused in words.

use crate::support::{Backend, TestApp};
use chrono::{DateTime, Duration, Utc};
use runway_core::on_pool;
use serde_json::Value;

/// Seconds since the epoch of `col`, in the test backend's dialect.
fn epoch(app: &TestApp, col: &str) -> String {
    match &app.runway.db {
        runway_core::db::Db::Sqlite(_) => format!("unixepoch({col})"),
        runway_core::db::Db::Postgres(_) => format!("EXTRACT(EPOCH FROM {col})::BIGINT"),
    }
}

async fn scalar(app: &TestApp, sql: &str) -> Option<i64> {
    on_pool!(&app.runway.db, pool => sqlx::query_scalar::<_, Option<i64>>(sql).fetch_one(pool).await)
        .unwrap()
}

/// Nearest-rank median and p90 of `secs` over the rows of `samples` (a query selecting `secs`), in
/// plain SQL.
async fn sql_quantiles(app: &TestApp, samples: &str) -> (Option<i64>, Option<i64>) {
    let q = |rank: &str| {
        format!(
            "WITH s AS ({samples}) SELECT secs FROM s ORDER BY secs LIMIT 1 OFFSET (SELECT ({rank}) - 1 FROM s)"
        )
    };
    let median = on_pool!(&app.runway.db, pool => sqlx::query_scalar::<_, i64>(&q("(COUNT(*) + 1) / 2")).fetch_optional(pool).await).unwrap();
    let p90 = on_pool!(&app.runway.db, pool => sqlx::query_scalar::<_, i64>(&q("(9 * COUNT(*) + 9) / 10")).fetch_optional(pool).await).unwrap();
    (median, p90)
}

async fn user_id(app: &TestApp, login: &str) -> i64 {
    on_pool!(&app.runway.db, pool => sqlx::query_scalar::<_, i64>("SELECT id FROM users WHERE subject = $1")
        .bind(login).fetch_one(pool).await)
    .unwrap()
}

/// A finished (or not) request of `action` with its queued and started events (`assigned`, taken
/// from the inbox, for the manual `access-request`).
#[allow(clippy::too_many_arguments)]
async fn request(
    app: &TestApp,
    action: &str,
    team: &str,
    requester: Option<i64>,
    status: &str,
    created: DateTime<Utc>,
    lead: Option<i64>,
    queue_wait: i64,
) -> i64 {
    let finished = lead.map(|s| created + Duration::seconds(s));
    let (executor, start) = if action == "access-request" {
        ("manual", "assigned")
    } else {
        ("script", "started")
    };
    let id: i64 = on_pool!(&app.runway.db, pool => sqlx::query_scalar(
        "INSERT INTO requests (action_id, action_hash, requester_id, team, inputs, status, executor, created_at, updated_at, finished_at)
         VALUES ($1, 'h', $2, $3, '{}', $4, $7, $5, $5, $6) RETURNING id")
        .bind(action).bind(requester).bind(team).bind(status).bind(created).bind(finished).bind(executor)
        .fetch_one(pool).await)
    .unwrap();
    for (kind, at) in [
        ("queued", created),
        (start, created + Duration::seconds(queue_wait)),
    ] {
        on_pool!(&app.runway.db, pool => sqlx::query("INSERT INTO request_events (request_id, at, kind) VALUES ($1, $2, $3)")
            .bind(id).bind(at).bind(kind).execute(pool).await.map(|_| ()))
        .unwrap();
    }
    id
}

async fn report(app: &TestApp, days: u32) -> Value {
    let resp = app
        .post_form("/api/impact/report", &format!("days={days}"))
        .await;
    assert_eq!(resp.status(), 200);
    resp.json().await.unwrap()
}

fn action<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["action_id"] == id)
        .unwrap_or_else(|| panic!("no {id} in {report}"))
}

/// Imports `n_before` resolved tickets "create repository <name>" created before `launch` and
/// `n_after` created after it; returns the group's id.
async fn import_tickets(
    app: &TestApp,
    launch: DateTime<Utc>,
    n_before: i64,
    n_after: i64,
) -> String {
    use runway_discover::ticket::Ticket;
    const NAMES: [&str; 16] = [
        "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india",
        "juliet", "kilo", "lima", "mike", "november", "oscar", "papa",
    ];
    let mut tickets = Vec::new();
    for i in 0..(n_before + n_after) {
        let created = if i < n_before {
            launch - Duration::days(20 + i)
        } else {
            launch + Duration::days(1 + i - n_before)
        };
        tickets.push(Ticket {
            key: format!("PLAT-{i}"),
            title: format!("create repository {}", NAMES[i as usize % NAMES.len()]),
            created,
            resolved: Some(created + Duration::seconds(3600 * (i + 1))),
            team: Some(if i % 2 == 0 { "payments" } else { "search" }.to_string()),
            labels: vec![],
            components: vec![],
            issue_type: None,
            status: None,
            description: None,
            reporter: None,
            link: None,
        });
    }
    runway_core::discover::store_import(
        &app.runway.db,
        runway_core::discover::ImportParams {
            source: Some("jira"),
            file_name: "export.csv",
            format: runway_discover::import::Format::JiraCsv,
            tickets,
            rows_skipped: 0,
            imported_by: "test",
        },
    )
    .await
    .unwrap();
    let analysis = runway_core::discover::analysis(
        &app.runway.db,
        "jira",
        runway_core::discover::RankBy::Waiting,
    )
    .await
    .unwrap();
    let group = analysis
        .groups
        .iter()
        .max_by_key(|g| g.members.len())
        .unwrap();
    assert_eq!(group.members.len() as i64, n_before + n_after, "one group");
    group.id.to_string()
}

async fn before_and_after_figures_equal_plain_sql(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    app.sign_in("ada").await;
    let now = Utc::now();
    // The empty case: no requests, no baseline: no number anywhere.
    let empty = report(&app, 90).await;
    assert_eq!(empty["headline"]["requests"], 0);
    assert!(empty["headline"]["lead_median"].is_null());
    assert!(action(&empty, "create-repo")["saved_secs"].is_null());
    let (_, html) = app.get_text("/impact").await;
    assert!(html.contains("no baseline"), "{html}");

    // create-repo: 12 finished (lead 600..7200 s), one running; service-database: 3 finished.
    for i in 1..=12 {
        request(
            &app,
            "create-repo",
            if i % 3 == 0 { "search" } else { "payments" },
            None,
            if i == 5 { "failed" } else { "succeeded" },
            now - Duration::days(i),
            Some(600 * i),
            5 * i,
        )
        .await;
    }
    request(
        &app,
        "create-repo",
        "payments",
        None,
        "running",
        now - Duration::hours(1),
        None,
        30,
    )
    .await;
    for i in 1..=3 {
        request(
            &app,
            "service-database",
            "payments",
            None,
            "succeeded",
            now - Duration::days(i),
            Some(900),
            3,
        )
        .await;
    }
    // access-request is manual: taken after 100, 200, 300 s, done 1,000 s after submission.
    for i in 1..=3 {
        request(
            &app,
            "access-request",
            "search",
            None,
            "succeeded",
            now - Duration::days(i),
            Some(1_000),
            100 * i,
        )
        .await;
    }
    // An old request outside the 90 days does not count.
    request(
        &app,
        "create-repo",
        "payments",
        None,
        "succeeded",
        now - Duration::days(200),
        Some(5),
        1,
    )
    .await;

    let launch = now - Duration::days(30);
    let group = import_tickets(&app, launch, 12, 2).await;
    let launched = launch.date_naive().to_string();
    let resp = app
        .post_form(
            "/admin/impact/baselines",
            &format!("action=create-repo&kind=group&source=jira&group={group}&launched={launched}"),
        )
        .await;
    assert_eq!(resp.status(), 303, "{}", resp.text().await.unwrap());

    let r = report(&app, 90).await;
    let since = (now - Duration::days(90)).to_rfc3339();
    let repo = action(&r, "create-repo");

    // Runway's side, from the requests table.
    let (median, p90) = sql_quantiles(&app, &format!(
        "SELECT {} - {} AS secs FROM requests WHERE action_id = 'create-repo' AND finished_at IS NOT NULL AND created_at >= '{since}'",
        epoch(&app, "finished_at"), epoch(&app, "created_at"))).await;
    assert_eq!(repo["lead"]["median"].as_i64(), median);
    assert_eq!(repo["lead"]["p90"].as_i64(), p90);
    assert_eq!(repo["finished"], 12);
    assert_eq!(repo["requests"], 13);
    let (qmed, _) = sql_quantiles(&app, &format!(
        "SELECT {} - {} AS secs FROM request_events s JOIN request_events q ON q.request_id = s.request_id AND q.kind = 'queued'
         JOIN requests r ON r.id = s.request_id
         WHERE s.kind = 'started' AND r.action_id = 'create-repo' AND r.created_at >= '{since}'",
        epoch(&app, "s.at"), epoch(&app, "q.at"))).await;
    assert_eq!(repo["queue_wait"]["median"].as_i64(), qmed);
    // 11 succeeded, 1 failed.
    let ok = scalar(&app, &format!("SELECT COUNT(*) FROM requests WHERE action_id = 'create-repo' AND status = 'succeeded' AND created_at >= '{since}'")).await.unwrap();
    let bad = scalar(&app, &format!("SELECT COUNT(*) FROM requests WHERE action_id = 'create-repo' AND status = 'failed' AND created_at >= '{since}'")).await.unwrap();
    let rate = repo["success_rate"].as_f64().unwrap();
    assert!((rate - 100.0 * ok as f64 / (ok + bad) as f64).abs() < 1e-9);

    // Hands-on time of the manual action: taken (assigned) to done.
    let (hands, _) = sql_quantiles(&app, &format!(
        "SELECT {} - {} AS secs FROM requests r JOIN request_events a ON a.request_id = r.id AND a.kind = 'assigned'
         WHERE r.action_id = 'access-request' AND r.created_at >= '{since}'",
        epoch(&app, "r.finished_at"), epoch(&app, "a.at"))).await;
    let access = action(&r, "access-request");
    assert_eq!(access["hands_on"]["median"].as_i64(), hands);
    assert_eq!(hands, Some(800));
    assert!(
        access["run_time"]["median"].is_null(),
        "manual: hands-on, not run time"
    );

    // Adoption: the weeks add up to the period's requests; the current week's distinct teams; each
    // team's first use of create-repo.
    let weeks = r["adoption_weeks"].as_array().unwrap();
    let summed: i64 = weeks.iter().map(|w| w["requests"].as_i64().unwrap()).sum();
    let in_period = scalar(
        &app,
        &format!("SELECT COUNT(*) FROM requests WHERE created_at >= '{since}'"),
    )
    .await;
    assert_eq!(Some(summed), in_period);
    let last = weeks.last().unwrap();
    let monday = format!("{}T00:00:00+00:00", last["week"].as_str().unwrap());
    let teams_now = scalar(
        &app,
        &format!(
            "SELECT COUNT(DISTINCT team) FROM requests WHERE created_at >= '{}'",
            chrono::DateTime::parse_from_rfc3339(&monday)
                .unwrap()
                .with_timezone(&Utc)
                .to_rfc3339()
        ),
    )
    .await;
    assert_eq!(last["teams"].as_i64(), teams_now);
    let adoption = r["adoption"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["action_id"] == "create-repo")
        .unwrap();
    let search_since = scalar(
        &app,
        &format!(
            "SELECT MIN({}) FROM requests WHERE action_id = 'create-repo' AND team = 'search'",
            epoch(&app, "created_at")
        ),
    )
    .await
    .unwrap();
    let since_day = chrono::DateTime::from_timestamp(search_since, 0)
        .unwrap()
        .date_naive()
        .to_string();
    assert!(
        adoption["teams"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["team"] == "search" && t["since"] == since_day.as_str()),
        "{adoption}"
    );

    // The baseline's side, from the linked tickets created before the launch.
    let base = &repo["baseline"];
    assert_eq!(base["kind"], "tickets");
    let before_sql = format!(
        "SELECT {} - {} AS secs FROM baseline_tickets b JOIN tickets t ON t.id = b.ticket_id
         WHERE b.action_id = 'create-repo' AND t.created_at < '{}' AND t.resolved_at IS NOT NULL",
        epoch(&app, "t.resolved_at"),
        epoch(&app, "t.created_at"),
        launch
            .date_naive()
            .and_hms_opt(0, 0, 0)
            .unwrap()
            .and_utc()
            .to_rfc3339()
    );
    let (bmed, bp90) = sql_quantiles(&app, &before_sql).await;
    assert_eq!(base["median"].as_i64(), bmed);
    assert_eq!(base["p90"].as_i64(), bp90);
    assert_eq!(base["tickets"], 12);
    assert_eq!(
        base["tickets_after"], 2,
        "tickets still arriving after the launch"
    );
    // A later import (one more ticket since the launch) reaches the linked baseline.
    let again = import_tickets(&app, launch, 12, 3).await;
    assert_eq!(again, group, "the same group id after a re-import");
    let refreshed = runway_core::impact::baseline::refresh_source(&app.runway.db, "jira")
        .await
        .unwrap();
    assert_eq!(refreshed, 1);
    app.runway.impact.clear();
    let later = report(&app, 90).await;
    assert_eq!(
        action(&later, "create-repo")["baseline"]["tickets_after"],
        3
    );
    // Waiting time saved = (baseline median − Runway median) × finished requests.
    assert_eq!(
        repo["saved_secs"].as_i64(),
        Some((bmed.unwrap() - median.unwrap()) * 12)
    );
    assert_eq!(
        r["headline"]["saved_secs"].as_i64(),
        repo["saved_secs"].as_i64()
    );
    let total = scalar(
        &app,
        &format!("SELECT COUNT(*) FROM requests WHERE created_at >= '{since}'"),
    )
    .await;
    assert_eq!(r["headline"]["requests"].as_i64(), total);

    // Too few requests: no number, even with a baseline.
    let resp = app
        .post_form("/admin/impact/baselines", "action=service-database&kind=stated&median_hours=48&p90_hours=96&per_week=3&source_note=Service+desk+report+2025")
        .await;
    assert_eq!(resp.status(), 303);
    let r = report(&app, 90).await;
    let sdb = action(&r, "service-database");
    assert_eq!(sdb["baseline"]["kind"], "stated");
    assert_eq!(sdb["baseline"]["median"], 48 * 3600);
    assert!(
        sdb["saved_secs"].is_null(),
        "3 requests are not enough: {sdb}"
    );
    let (_, html) = app.get_text("/impact").await;
    assert!(
        html.contains("stated: Service desk report 2025"),
        "stated, never mixed up: {html}"
    );
    assert!(html.contains("not enough data"), "{html}");
    assert!(html.contains("data-testid=\"adoption-chart\""));

    // Downloads: every table as CSV, the whole as JSON.
    for table in ["actions", "adoption", "weeks", "shares", "effort", "pulses"] {
        let resp = app.get(&format!("/impact.csv?table={table}&days=90")).await;
        assert_eq!(resp.status(), 200, "{table}");
        assert!(resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv"));
    }
    let csv = app
        .get("/impact.csv?table=actions")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        csv.lines()
            .any(|l| l.starts_with("create-repo,") && l.contains(&repo["saved_secs"].to_string())),
        "{csv}"
    );
    assert_eq!(app.get("/impact.csv?table=passwords").await.status(), 400);
    let json: Value = app.get("/impact.json?days=30").await.json().await.unwrap();
    assert_eq!(json["days"], 30);

    // The team shares: requests through Runway since the launch against the group's later tickets.
    let shares = r["team_shares"].as_array().unwrap();
    let payments = shares.iter().find(|s| s["team"] == "payments").unwrap();
    let runway_payments = scalar(&app, &format!(
        "SELECT COUNT(*) FROM requests WHERE action_id = 'create-repo' AND team = 'payments' AND created_at >= '{}' AND created_at >= '{since}'",
        launch.date_naive().and_hms_opt(0, 0, 0).unwrap().and_utc().to_rfc3339())).await;
    assert_eq!(payments["runway"].as_i64(), runway_payments);

    // Bad input is refused in words, and only admins set baselines.
    for (body, status) in [
        (
            "action=create-repo&kind=stated&median_hours=abc&source_note=x",
            400,
        ),
        ("action=create-repo&kind=stated&median_hours=5", 400),
        (
            "action=create-repo&kind=stated&median_hours=-1&source_note=x",
            400,
        ),
        (
            "action=create-repo&kind=stated&median_hours=5&p90_hours=1&source_note=x",
            400,
        ),
        (
            "action=create-repo&kind=stated&median_hours=5&source_note=x&launched=yesterday",
            400,
        ),
        ("action=create-repo&kind=sideways", 400),
        (
            "action=no-such-action&kind=stated&median_hours=5&source_note=x",
            404,
        ),
        (
            "action=create-repo&kind=group&source=jira&group=g-000000000000",
            404,
        ),
    ] {
        let resp = app.post_form("/admin/impact/baselines", body).await;
        assert_eq!(resp.status(), status, "{body}");
    }
    app.new_browser();
    app.sign_in("dana").await;
    let resp = app
        .post_form(
            "/admin/impact/baselines",
            "action=create-repo&kind=stated&median_hours=5&source_note=x",
        )
        .await;
    assert_eq!(resp.status(), 403);
    assert_eq!(
        app.post_form("/admin/impact/baselines/create-repo/remove", "")
            .await
            .status(),
        403
    );
    // dana's team owns no action: the Impact page and its downloads are not hers.
    assert_eq!(
        app.post_form("/api/impact/report", "days=90")
            .await
            .status(),
        403
    );
    assert_eq!(app.get("/impact.csv?table=actions").await.status(), 404);
    app.stop().await;
}

async fn the_ease_question_is_the_requesters_once_it_ended(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    app.sign_in("dana").await;
    let dana = user_id(&app, "dana").await;
    let now = Utc::now();
    let done = request(
        &app,
        "create-repo",
        "payments",
        Some(dana),
        "succeeded",
        now - Duration::hours(2),
        Some(60),
        1,
    )
    .await;
    let running = request(
        &app,
        "create-repo",
        "payments",
        Some(dana),
        "running",
        now,
        None,
        1,
    )
    .await;

    let resp = app
        .post_form("/api/requests/get", &format!("id={done}"))
        .await;
    let view: Value = resp.json().await.unwrap();
    let view = &view["rating"];
    assert_eq!(view["can_rate"], true);
    assert!(view["score"].is_null());
    let (_, html) = app.get_text(&format!("/requests/{done}")).await;
    assert!(
        html.contains("Overall, how easy or difficult was this?"),
        "{html}"
    );
    let (_, html) = app.get_text(&format!("/requests/{running}")).await;
    assert!(
        !html.contains("Overall, how easy or difficult was this?"),
        "not before it ended"
    );

    for (id, body, status) in [
        (running, "score=6", 400),
        (done, "score=0", 400),
        (done, "score=8", 400),
        (done, "score=six", 400),
        (done, "", 400),
        (999_999, "score=6", 404),
    ] {
        let resp = app.post_form(&format!("/requests/{id}/rating"), body).await;
        assert_eq!(resp.status(), status, "{id} {body}");
    }
    let long = "x".repeat(2001);
    assert_eq!(
        app.post_form(
            &format!("/requests/{done}/rating"),
            &format!("score=5&comment={long}")
        )
        .await
        .status(),
        400
    );

    let resp = app
        .post_form(
            &format!("/requests/{done}/rating"),
            "score=6&comment=Quick+and+clear",
        )
        .await;
    assert_eq!(resp.status(), 303);
    let (_, html) = app.get_text(&format!("/requests/{done}")).await;
    assert!(html.contains("You answered 6 of 7"), "{html}");
    // Changeable for a while: one answer per request, the latest counts.
    let resp = app
        .post_form(&format!("/requests/{done}/rating"), "score=5&comment=Quick")
        .await;
    assert_eq!(resp.status(), 303);
    let stored = scalar(
        &app,
        &format!("SELECT score FROM request_ratings WHERE request_id = {done}"),
    )
    .await;
    assert_eq!(stored, Some(5));
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) FROM request_ratings").await,
        Some(1)
    );

    // Nobody else answers for the requester.
    app.new_browser();
    app.sign_in("lee").await;
    assert_eq!(
        app.post_form(&format!("/requests/{done}/rating"), "score=1")
            .await
            .status(),
        404
    );
    let resp = app
        .post_form("/api/requests/get", &format!("id={done}"))
        .await;
    assert_eq!(
        resp.json::<Value>().await.unwrap()["rating"],
        Value::Null,
        "not lee's to answer"
    );

    // The owning team and admins see the mean and the comment; the action page shows the ease to
    // everyone who may see the action.
    app.new_browser();
    app.sign_in("ada").await;
    let r = report(&app, 90).await;
    let effort = r["effort"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action_id"] == "create-repo")
        .unwrap()
        .clone();
    let avg = on_pool!(&app.runway.db, pool => sqlx::query_scalar::<_, f64>(
        "SELECT CAST(AVG(score) AS DOUBLE PRECISION) FROM request_ratings WHERE action_id = 'create-repo'").fetch_one(pool).await);
    let avg = avg.unwrap();
    assert!((effort["mean"].as_f64().unwrap() - avg).abs() < 1e-9);
    assert_eq!(effort["distribution"][4], 1);
    assert_eq!(effort["comments"][0]["comment"], "Quick");
    // Sol's team (security) owns actions, so sol sees the Impact page, but not the comments on
    // create-repo, which platform owns.
    app.new_browser();
    app.sign_in("sol").await;
    let r = report(&app, 90).await;
    let theirs = r["effort"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action_id"] == "create-repo")
        .unwrap();
    assert_eq!(theirs["answers"], 1);
    assert_eq!(theirs["comments"], serde_json::json!([]));
    assert_eq!(r["can_manage"], false);
    app.new_browser();
    app.sign_in("sam").await;
    let detail: Value = app
        .post_form("/api/catalog/action", "id=create-repo")
        .await
        .json()
        .await
        .unwrap();
    let figures = &detail["figures"];
    assert_eq!(figures["ease_answers"], 1);
    assert_eq!(figures["ease_mean"], 5.0);
    assert_eq!(figures["requests"], 2);
    // Fewer than 10 finished: the action page says so instead of a lead time.
    let (_, html) = app.get_text("/actions/create-repo").await;
    assert!(html.contains("not enough data yet"), "{html}");

    // A week after the first answer it stays as it is.
    on_pool!(&app.runway.db, pool => sqlx::query("UPDATE request_ratings SET rated_at = $1")
        .bind(now - Duration::days(8)).execute(pool).await.map(|_| ()))
    .unwrap();
    app.new_browser();
    app.sign_in("dana").await;
    assert_eq!(
        app.post_form(&format!("/requests/{done}/rating"), "score=7")
            .await
            .status(),
        400
    );
    app.stop().await;
}

/// The navigation's pulse badge: rounds waiting for the signed-in person's answer.
async fn pulse_badge(app: &TestApp) -> i64 {
    let counts: Value = app
        .post_form("/api/requests/counts", "")
        .await
        .json()
        .await
        .unwrap();
    counts["pulse"]
        .as_i64()
        .unwrap_or_else(|| panic!("{counts}"))
}

async fn pulse_results_show_only_from_five_answers(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    app.sign_in("dana").await;
    // Nothing open: the badge is 0, and this process now remembers that no round is open.
    assert_eq!(pulse_badge(&app).await, 0);
    assert_eq!(
        app.post_form(
            "/admin/pulses",
            "title=Load&statement=a&statement=b&statement=c&team=payments"
        )
        .await
        .status(),
        403,
        "only admins start a pulse"
    );
    app.new_browser();
    app.sign_in("ada").await;
    for body in [
        "title=Load&statement=a&statement=b&team=payments",
        "title=&statement=a&statement=b&statement=c&team=payments",
        "title=Load&statement=a&statement=b&statement=c&team=",
        "title=Load&statement=a&statement=b&statement=c&team=Not+A+Team",
        "title=Load&statement=a&statement=b&statement=c&team=payments&cadence=hourly",
        "title=Load&statement=a&statement=b&statement=c&team=payments&open_days=0",
    ] {
        assert_eq!(
            app.post_form("/admin/pulses", body).await.status(),
            400,
            "{body}"
        );
    }
    let resp = app
        .post_form("/admin/pulses", "title=Team+load&statement=Deploying+is+easy&statement=We+rarely+wait&statement=Infra+is+simple&team=payments,search&cadence=quarterly&open_days=14")
        .await;
    assert_eq!(resp.status(), 303);

    // sam (search) sees it; ada's team is not asked.
    let open: Value = app
        .post_form("/api/impact/pulses", "")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(open, serde_json::json!([]));

    let answers = [
        ("dana", [5, 4, 3]),
        ("lee", [4, 4, 2]),
        ("pia", [3, 5, 1]),
        ("raj", [2, 3, 3]),
        ("kai", [5, 5, 5]),
    ];
    let mut round = 0;
    for (k, (login, scores)) in answers.iter().enumerate() {
        app.new_browser();
        app.sign_in(login).await;
        let open: Value = app
            .post_form("/api/impact/pulses", "")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(open.as_array().unwrap().len(), 1, "{login}: {open}");
        // The round started a moment ago shows in the badge at once, remembered or not.
        assert_eq!(pulse_badge(&app).await, 1, "{login}");
        round = open[0]["round_id"].as_i64().unwrap();
        assert_eq!(open[0]["teams"], serde_json::json!(["payments"]));
        if k == 0 {
            assert_eq!(
                app.post_form(&format!("/pulse/{round}/answer"), "s0=5&s1=9&s2=3")
                    .await
                    .status(),
                400
            );
            assert_eq!(
                app.post_form(&format!("/pulse/{round}/answer"), "s0=5&s1=4")
                    .await
                    .status(),
                400
            );
        }
        let body = format!("s0={}&s1={}&s2={}", scores[0], scores[1], scores[2]);
        assert_eq!(
            app.post_form(&format!("/pulse/{round}/answer"), &body)
                .await
                .status(),
            303
        );
        assert_eq!(
            app.post_form(&format!("/pulse/{round}/answer"), &body)
                .await
                .status(),
            409,
            "once"
        );
        let (_, html) = app.get_text("/pulse").await;
        assert!(html.contains("Nothing to answer right now"), "{html}");
        assert_eq!(pulse_badge(&app).await, 0, "{login} answered");

        app.new_browser();
        app.sign_in("ada").await;
        let r = report(&app, 90).await;
        let cells = r["pulses"][0]["cells"].as_array().unwrap();
        let payments = cells.iter().find(|c| c["who"] == "payments").unwrap();
        assert_eq!(payments["answered"], k + 1);
        if k < 4 {
            assert!(
                payments["means"].is_null(),
                "hidden at {} answers: {payments}",
                k + 1
            );
            assert!(
                cells.iter().all(|c| c["means"].is_null()),
                "pooled figures hide it too: {cells:?}"
            );
            let (_, html) = app.get_text("/impact").await;
            assert!(html.contains("from 5 answers"), "{html}");
        } else {
            // Five answers, but the round is open: nothing shows yet (watching the results change
            // answer by answer would give each answer away).
            assert!(payments["means"].is_null(), "hidden while open: {payments}");
            assert_eq!(payments["open"], true);
            let (_, html) = app.get_text("/impact").await;
            assert!(html.contains("Shown once this round closes"), "{html}");
            // The round closes: its results show.
            on_pool!(&app.runway.db, pool => sqlx::query("UPDATE pulse_rounds SET closes_at = $1 WHERE id = $2")
                .bind(Utc::now() - Duration::seconds(1)).bind(round).execute(pool).await.map(|_| ())).unwrap();
            app.runway.impact.clear();
            let r = report(&app, 90).await;
            let cells = r["pulses"][0]["cells"].as_array().unwrap().clone();
            let payments = cells.iter().find(|c| c["who"] == "payments").unwrap();
            assert_eq!(payments["open"], false);
            // The aggregate equals plain SQL over the tallies.
            for statement in 0..3 {
                let sum = scalar(&app, &format!("SELECT CAST(SUM(score * answers) AS BIGINT) FROM pulse_tallies WHERE round_id = {round} AND team = 'payments' AND statement = {statement}")).await.unwrap();
                let n = scalar(&app, &format!("SELECT CAST(SUM(answers) AS BIGINT) FROM pulse_tallies WHERE round_id = {round} AND team = 'payments' AND statement = {statement}")).await.unwrap();
                let shown = payments["means"][statement].as_f64().unwrap();
                assert!((shown - sum as f64 / n as f64).abs() < 1e-9);
                let mean = answers
                    .iter()
                    .map(|(_, s)| s[statement] as f64)
                    .sum::<f64>()
                    / 5.0;
                assert!((shown - mean).abs() < 1e-9);
            }
            let search = cells.iter().find(|c| c["who"] == "search").unwrap();
            assert!(search["means"].is_null(), "search has no answers");
        }
    }
    // Anonymous by construction: no stored row names a person next to a score.
    let people_with_scores = scalar(&app, "SELECT COUNT(*) FROM pulse_tallies WHERE answers = 1")
        .await
        .unwrap();
    let participants = scalar(
        &app,
        &format!("SELECT COUNT(*) FROM pulse_participants WHERE round_id = {round}"),
    )
    .await
    .unwrap();
    assert_eq!(participants, 5);
    assert!(people_with_scores < 15, "scores are counts, not answers");
    let json = app.get("/impact.json").await.text().await.unwrap();
    for name in ["Dana", "Pia", "Raj", "Kai", "Lee Lead"] {
        assert!(!json.contains(name), "{name} in the report");
    }
    // A quarterly pulse opens its next round when it is due (once, however often it is asked).
    let id = scalar(&app, "SELECT MAX(id) FROM pulses").await.unwrap();
    let first = Utc::now() - Duration::days(100);
    on_pool!(&app.runway.db, pool => sqlx::query("UPDATE pulse_rounds SET opens_at = $1, closes_at = $2 WHERE pulse_id = $3")
        .bind(first).bind(first + Duration::days(14)).bind(id).execute(pool).await.map(|_| ())).unwrap();
    for _ in 0..2 {
        runway_core::impact::pulse::open_due_rounds(&app.runway, Utc::now())
            .await
            .unwrap();
    }
    assert_eq!(
        scalar(
            &app,
            &format!("SELECT COUNT(*) FROM pulse_rounds WHERE pulse_id = {id}")
        )
        .await,
        Some(2)
    );
    app.new_browser();
    app.sign_in("dana").await;
    let open: Value = app
        .post_form("/api/impact/pulses", "")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        open.as_array().unwrap().len(),
        1,
        "the new round asks again: {open}"
    );
    assert_ne!(open[0]["round_id"].as_i64(), Some(round));
    app.new_browser();
    app.sign_in("ada").await;
    // Stopping closes the round.
    assert_eq!(
        app.post_form(&format!("/admin/pulses/{id}/stop"), "")
            .await
            .status(),
        303
    );
    app.new_browser();
    app.sign_in("sam").await;
    let open: Value = app
        .post_form("/api/impact/pulses", "")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(open, serde_json::json!([]), "closed once stopped");
    assert_eq!(pulse_badge(&app).await, 0, "no badge once stopped");
    app.stop().await;
}

both_backends!(
    before_and_after_figures_equal_plain_sql,
    the_ease_question_is_the_requesters_once_it_ended,
    pulse_results_show_only_from_five_answers,
);
