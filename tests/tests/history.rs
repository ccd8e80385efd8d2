//! Request history: filters and keyset pages return exactly the rows a plain query returns (ties on
//! time included), the CSV export matches the view, and nobody sees another team's requests.

use crate::support::{Backend, TestApp};

async fn user_id(app: &TestApp, name: &str) -> i64 {
    runway_core::on_pool!(&app.runway.db, pool => sqlx::query_scalar::<_, i64>("SELECT id FROM users WHERE name = $1")
        .bind(name).fetch_one(pool).await)
    .unwrap()
}

/// 130 requests: Dana (payments) and Sam (search) alternate; three share each timestamp.
async fn seed(app: &TestApp) {
    for login in ["dana", "sam", "ada"] {
        app.sign_in(login).await;
    }
    let dana = user_id(app, "Dana Developer").await;
    let sam = user_id(app, "Sam Searcher").await;
    let base = chrono::DateTime::parse_from_rfc3339("2026-03-01T08:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let statuses = ["succeeded", "failed", "queued", "cancelled", "succeeded"];
    for i in 0..130i64 {
        let (who, team) = if i % 2 == 0 {
            (dana, "payments")
        } else {
            (sam, "search")
        };
        let at = base + chrono::Duration::minutes((i / 3) * 90);
        let action = if i % 3 == 0 {
            "tls-certificate"
        } else {
            "create-repo"
        };
        let inputs = format!("{{\"name\":\"billing-{i}\"}}");
        let status = statuses[usize::try_from(i).unwrap() % statuses.len()];
        let search = runway_core::db::history::search_text(action, &inputs);
        let channel = [
            "portal", "api", "portal", "slack", "portal", "jira", "portal",
        ][usize::try_from(i).unwrap() % 7];
        runway_core::on_pool!(&app.runway.db, pool => sqlx::query(
            "INSERT INTO requests (action_id, action_hash, requester_id, team, inputs, status, executor, created_at, updated_at, search_text, channel)
             VALUES ($1, 'h', $2, $3, $4, $5, 'script', $6, $6, $7, $8)")
            .bind(action).bind(who).bind(team).bind(&inputs).bind(status).bind(at).bind(&search).bind(channel)
            .execute(pool)
            .await
            .map(|_| ())).unwrap();
    }
}

/// Every page of a view, following "older" cursors; the ids in order.
async fn all_pages(app: &TestApp, query: &str) -> Vec<i64> {
    let mut ids = Vec::new();
    let mut q = query.to_string();
    loop {
        let resp = app
            .post_form("/api/requests/history", &format!("query={}", urlencode(&q)))
            .await;
        assert_eq!(resp.status(), 200, "history {q}");
        let v: serde_json::Value = resp.json().await.unwrap();
        let page = &v["Ok"];
        assert!(page.is_object(), "{v}");
        for r in page["rows"].as_array().unwrap() {
            ids.push(r["id"].as_i64().unwrap());
        }
        match page["next"].as_str() {
            Some(n) => q = n.to_string(),
            None => return ids,
        }
    }
}

fn urlencode(s: &str) -> String {
    runway_domain::view::encode_query_value(s)
}

async fn expected(app: &TestApp, where_sql: &str) -> Vec<i64> {
    let sql = format!(
        "SELECT r.id FROM requests r LEFT JOIN users u ON u.id = r.requester_id WHERE {where_sql} ORDER BY r.created_at DESC, r.id DESC"
    );
    runway_core::on_pool!(&app.runway.db, pool => sqlx::query_scalar::<_, i64>(&sql).fetch_all(pool).await).unwrap()
}

async fn csv_ids(app: &TestApp, query: &str) -> Vec<i64> {
    let (status, body) = app.get_text(&format!("/requests.csv?{query}")).await;
    assert_eq!(status, 200);
    let mut lines = body.lines();
    assert_eq!(
        lines.next(),
        Some("id,action,requester,team,status,submitted,finished,channel")
    );
    lines
        .map(|l| l.split(',').next().unwrap().parse().unwrap())
        .collect()
}

async fn filters_and_pages_return_exactly_the_right_rows(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    seed(&app).await;
    let dana = user_id(&app, "Dana Developer").await;
    app.new_browser();
    app.sign_in("dana").await;
    let cases = [
        ("", format!("r.requester_id = {dana}")),
        (
            "status=failed",
            format!("r.requester_id = {dana} AND r.status = 'failed'"),
        ),
        (
            "scope=team&team=payments",
            "r.team = 'payments'".to_string(),
        ),
        (
            "scope=team&team=payments&action=tls-certificate",
            "r.team = 'payments' AND r.action_id = 'tls-certificate'".to_string(),
        ),
        (
            "scope=team&team=payments&from=2026-03-02&to=2026-03-03",
            "r.team = 'payments' AND r.created_at >= '2026-03-02' AND r.created_at < '2026-03-04'"
                .to_string(),
        ),
        (
            "scope=team&team=payments&q=BILLING-1",
            "r.team = 'payments' AND LOWER(r.inputs) LIKE '%billing-1%'".to_string(),
        ),
        // Short terms are not in the trigram index: the search walks the rows instead.
        (
            "scope=team&team=payments&q=ls",
            "r.team = 'payments' AND (LOWER(r.action_id) LIKE '%ls%' OR LOWER(r.inputs) LIKE '%ls%')"
                .to_string(),
        ),
        (
            "scope=team&team=payments&q=TLS-CERT",
            "r.team = 'payments' AND r.action_id = 'tls-certificate'".to_string(),
        ),
        (
            "scope=team&team=payments&requester=dana",
            "r.team = 'payments' AND LOWER(u.name) LIKE '%dana%'".to_string(),
        ),
        (
            "scope=team&team=payments&channel=slack",
            "r.team = 'payments' AND r.channel = 'slack'".to_string(),
        ),
        (
            "channel=api&status=succeeded",
            format!("r.requester_id = {dana} AND r.channel = 'api' AND r.status = 'succeeded'"),
        ),
    ];
    for (query, where_sql) in cases {
        // Postgres compares a text literal with TIMESTAMPTZ as a timestamp; SQLite compares text,
        // so give it the stored form.
        let where_sql = if backend == Backend::Sqlite {
            where_sql
                .replace("'2026-03-02'", "'2026-03-02T00:00:00+00:00'")
                .replace("'2026-03-04'", "'2026-03-04T00:00:00+00:00'")
        } else {
            where_sql
        };
        let want = expected(&app, &where_sql).await;
        assert!(!want.is_empty(), "the case {query} selects something");
        let got = all_pages(&app, query).await;
        assert_eq!(got, want, "pages of `{query}`");
        assert_eq!(csv_ids(&app, query).await, want, "CSV of `{query}`");
    }
    // A requester filter that names nobody finds nothing.
    assert_eq!(
        all_pages(&app, "scope=team&team=payments&requester=nobody").await,
        Vec::<i64>::new()
    );
    // Search text that means something to SQL, LIKE or FTS5 is just text: no error, no match.
    for q in ["%22billing", "bill%25", "billing_1", "a%22%22b%27"] {
        assert_eq!(
            all_pages(&app, &format!("scope=team&team=payments&q={q}")).await,
            Vec::<i64>::new(),
            "{q}"
        );
    }
    // SQLite looks rare terms up in its trigram index and walks the rows for common ones; both
    // ways return the same rows.
    let filter = runway_core::db::history::Filter {
        text: Some("billing-1".into()),
        ..Default::default()
    };
    let ids = |rows: Vec<runway_core::db::requests::RequestRow>| {
        rows.into_iter().map(|r| r.id).collect::<Vec<_>>()
    };
    let by_index =
        ids(
            runway_core::db::history::page_with_index_cap(&app.runway.db, &filter, 1000, 1000)
                .await
                .unwrap(),
        );
    let by_walk =
        ids(
            runway_core::db::history::page_with_index_cap(&app.runway.db, &filter, 1000, 1)
                .await
                .unwrap(),
        );
    assert_eq!(
        by_index,
        expected(&app, "LOWER(r.inputs) LIKE '%billing-1%'").await
    );
    assert_eq!(by_walk, by_index);
    // The rendered page shows the first 50 and a link to the older ones.
    let (status, html) = app.get_text("/requests?scope=team&team=payments").await;
    assert_eq!(status, 200);
    assert_eq!(html.matches("data-request=").count(), 50);
    assert!(html.contains("data-testid=\"older\""));
    // Where each request came from: a column on the page, a filter keeping it, a CSV field.
    let jira = expected(&app, "r.team = 'payments' AND r.channel = 'jira'").await;
    let (status, html) = app
        .get_text("/requests?scope=team&team=payments&channel=jira")
        .await;
    assert_eq!(status, 200);
    assert!(html.contains("<th scope=\"col\">Via</th>"), "{html}");
    assert_eq!(html.matches("data-request=").count(), jira.len());
    assert_eq!(html.matches("<td>Jira<!></td>").count(), jira.len());
    assert!(
        html.contains("<option value=\"jira\" selected"),
        "the filter shows its choice"
    );
    let (_, csv) = app
        .get_text("/requests.csv?scope=team&team=payments&channel=jira")
        .await;
    assert_eq!(
        csv.lines().skip(1).filter(|l| l.ends_with(",jira")).count(),
        jira.len()
    );
    app.stop().await;
}

async fn nobody_sees_another_teams_requests_in_any_list_or_export(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    seed(&app).await;
    app.new_browser();
    app.sign_in("sam").await;
    let forbidden = app
        .post_form(
            "/api/requests/history",
            "query=scope%3Dteam%26team%3Dpayments",
        )
        .await;
    assert_eq!(forbidden.status(), 403);
    let (status, _) = app.get_text("/requests.csv?scope=team&team=payments").await;
    assert_eq!(status, 403);
    let (status, _) = app.get_text("/requests.csv?scope=all").await;
    assert_eq!(status, 403, "only admins export everything");
    let mine = csv_ids(&app, "").await;
    let sams: Vec<i64> = expected(&app, "r.team = 'search'").await;
    assert_eq!(mine, sams, "Sam's own requests are exactly the search ones");
    let bad = app
        .post_form("/api/requests/history", "query=from%3Dyesterday")
        .await;
    assert_eq!(bad.status(), 400, "a malformed filter is a clear error");
    let (status, body) = app.get_text("/requests.csv?channel=fax").await;
    assert_eq!(status, 400, "an unknown channel is a clear error");
    assert!(body.contains("portal, api, slack or jira"), "{body}");
    let (status, _) = app.get_text("/requests.csv?q=billing%00").await;
    assert_eq!(
        status, 400,
        "a NUL in the search text is refused, not a server error"
    );
    app.new_browser();
    app.sign_in("ada").await;
    let everything = all_pages(&app, "scope=all").await;
    assert_eq!(everything.len(), 130, "admins see all requests");
    app.stop().await;
}

both_backends!(
    filters_and_pages_return_exactly_the_right_rows,
    nobody_sees_another_teams_requests_in_any_list_or_export
);
