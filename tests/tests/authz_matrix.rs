//! The authorization matrix: every route and server function × every kind of caller, against the
//! expected status. A route added without a row here fails `every_route_has_a_rule`.

use crate::support::{Backend, TestApp};

/// Callers: anonymous, developer of team A (payments), developer of team B (search), lead of team A,
/// admin.
const WHO: [Option<&str>; 5] = [None, Some("dana"), Some("sam"), Some("lee"), Some("ada")];

/// (method, route pattern, concrete path, form body, expected status per caller in WHO order).
/// `deploy-pipeline` is a beta rolled out to payments and data: team B must not learn it exists.
/// Sign-out comes last: it ends the session.
const MATRIX: &[(&str, &str, &str, &str, [u16; 5])] = &[
    ("GET", "/", "/", "", [303, 200, 200, 200, 200]),
    (
        "GET",
        "/actions/{id}",
        "/actions/create-repo",
        "",
        [303, 200, 200, 200, 200],
    ),
    (
        "GET",
        "/actions/{id}",
        "/actions/deploy-pipeline",
        "",
        [303, 200, 404, 200, 200],
    ),
    // An action's history: admins and the owning team (platform: nobody here but the admin).
    (
        "GET",
        "/actions/{id}/history",
        "/actions/create-repo/history",
        "",
        [303, 404, 404, 404, 200],
    ),
    (
        "GET",
        "/actions/{id}/history",
        "/actions/deploy-pipeline/history",
        "",
        [303, 404, 404, 404, 200],
    ),
    (
        "GET",
        "/admin/catalog",
        "/admin/catalog",
        "",
        [303, 403, 403, 403, 200],
    ),
    (
        "GET",
        "/admin/audit",
        "/admin/audit",
        "",
        [303, 403, 403, 403, 200],
    ),
    (
        "GET",
        "/admin/audit.csv",
        "/admin/audit.csv",
        "",
        [303, 403, 403, 403, 200],
    ),
    (
        "POST",
        "/api/admin/audit",
        "/api/admin/audit",
        "query=kind%3Dsign_in",
        [401, 403, 403, 403, 200],
    ),
    (
        "GET",
        "/admin/discover",
        "/admin/discover",
        "",
        [303, 403, 403, 403, 200],
    ),
    (
        "POST",
        "/admin/discover/{source}/groups/{group}/draft",
        "/admin/discover/jira/groups/g-000000000000/draft",
        "",
        [401, 403, 403, 403, 404],
    ),
    (
        "POST",
        "/admin/discover/{source}/groups/{group}/decide",
        "/admin/discover/jira/groups/g-000000000000/decide",
        "kind=colour",
        [401, 403, 403, 403, 400],
    ),
    (
        "POST",
        "/admin/discover/upload",
        "/admin/discover/upload",
        "",
        [401, 403, 403, 403, 400],
    ),
    (
        "GET",
        "/admin/discover/map",
        "/admin/discover/map?upload=00000000000000000000000000000000&file=x.csv",
        "",
        [303, 403, 403, 403, 404],
    ),
    (
        "POST",
        "/admin/discover/uploads/{token}/map",
        "/admin/discover/uploads/00000000000000000000000000000000/map",
        "title=a&created=b",
        [401, 403, 403, 403, 400],
    ),
    (
        "POST",
        "/api/discover/upload-columns",
        "/api/discover/upload-columns",
        "upload=00000000000000000000000000000000",
        [401, 403, 403, 403, 404],
    ),
    (
        "POST",
        "/api/discover/report",
        "/api/discover/report",
        "",
        [401, 403, 403, 403, 200],
    ),
    ("GET", "/signin", "/signin", "", [200, 200, 200, 200, 200]),
    ("GET", "/inbox", "/inbox", "", [303, 200, 200, 200, 200]),
    (
        "GET",
        "/teams/{team}",
        "/teams/payments",
        "",
        [303, 200, 404, 200, 200],
    ),
    (
        "POST",
        "/api/teams/get",
        "/api/teams/get",
        "team=payments",
        [401, 200, 404, 200, 200],
    ),
    (
        "GET",
        "/requests/{id}/log.txt",
        "/requests/999999/log.txt",
        "",
        [303, 404, 404, 404, 404],
    ),
    (
        "POST",
        "/api/requests/log",
        "/api/requests/log",
        "id=999999&before=10",
        [401, 404, 404, 404, 404],
    ),
    (
        "POST",
        "/requests/{id}/retry",
        "/requests/999999/retry",
        "",
        [401, 404, 404, 404, 404],
    ),
    (
        "GET",
        "/requests/{id}/events",
        "/requests/999999/events",
        "",
        [303, 404, 404, 404, 404],
    ),
    (
        "GET",
        "/requests",
        "/requests",
        "",
        [303, 200, 200, 200, 200],
    ),
    (
        "GET",
        "/requests",
        "/requests?scope=all",
        "",
        [303, 403, 403, 403, 200],
    ),
    (
        "GET",
        "/requests.csv",
        "/requests.csv?scope=team&team=payments",
        "",
        [303, 200, 403, 200, 403],
    ),
    (
        "POST",
        "/api/requests/history",
        "/api/requests/history",
        "query=scope%3Dall",
        [401, 403, 403, 403, 200],
    ),
    (
        "GET",
        "/approvals",
        "/approvals",
        "",
        [303, 200, 200, 200, 200],
    ),
    (
        "POST",
        "/api/requests/approvals",
        "/api/requests/approvals",
        "",
        [401, 200, 200, 200, 200],
    ),
    (
        "POST",
        "/api/requests/counts",
        "/api/requests/counts",
        "",
        [401, 200, 200, 200, 200],
    ),
    (
        "POST",
        "/requests/{id}/approve",
        "/requests/999999/approve",
        "comment=ok",
        [401, 404, 404, 404, 404],
    ),
    (
        "POST",
        "/requests/{id}/reject",
        "/requests/999999/reject",
        "comment=no",
        [401, 404, 404, 404, 404],
    ),
    (
        "GET",
        "/requests/{id}",
        "/requests/999999",
        "",
        [303, 404, 404, 404, 404],
    ),
    (
        "POST",
        "/api/requests/get",
        "/api/requests/get",
        "id=999999",
        [401, 404, 404, 404, 404],
    ),
    (
        "POST",
        "/api/requests/inbox",
        "/api/requests/inbox",
        "",
        [401, 200, 200, 200, 200],
    ),
    // An empty form: refused per field, back to the form (303); a beta action stays hidden (404).
    (
        "POST",
        "/actions/{id}/submit",
        "/actions/create-repo/submit",
        "",
        [401, 303, 303, 303, 303],
    ),
    (
        "POST",
        "/actions/{id}/submit",
        "/actions/deploy-pipeline/submit",
        "",
        [401, 303, 404, 303, 303],
    ),
    (
        "POST",
        "/requests/{id}/cancel",
        "/requests/999999/cancel",
        "",
        [401, 404, 404, 404, 404],
    ),
    (
        "POST",
        "/requests/{id}/take",
        "/requests/999999/take",
        "",
        [401, 404, 404, 404, 404],
    ),
    (
        "POST",
        "/requests/{id}/fulfil",
        "/requests/999999/fulfil",
        "",
        [401, 404, 404, 404, 404],
    ),
    (
        "POST",
        "/requests/{id}/secrets/{name}",
        "/requests/999999/secrets/password",
        "",
        [401, 404, 404, 404, 404],
    ),
    ("GET", "/healthz", "/healthz", "", [200, 200, 200, 200, 200]),
    ("GET", "/readyz", "/readyz", "", [200, 200, 200, 200, 200]),
    (
        "GET",
        "/auth/login",
        "/auth/login",
        "",
        [303, 303, 303, 303, 303],
    ),
    (
        "GET",
        "/auth/callback",
        "/auth/callback?code=x&state=y",
        "",
        [404, 404, 404, 404, 404],
    ),
    (
        "POST",
        "/api/auth/whoami",
        "/api/auth/whoami",
        "",
        [200, 200, 200, 200, 200],
    ),
    (
        "POST",
        "/api/auth/options",
        "/api/auth/options",
        "",
        [200, 200, 200, 200, 200],
    ),
    (
        "POST",
        "/api/catalog/list",
        "/api/catalog/list",
        "",
        [401, 200, 200, 200, 200],
    ),
    // The catalogue editor. Every body here is refused before anything is written: the matrix runs
    // against the shipped demo catalogue directory.
    (
        "GET",
        "/actions/{id}/edit",
        "/actions/create-repo/edit",
        "",
        [303, 404, 404, 404, 200],
    ),
    (
        "GET",
        "/catalog/new",
        "/catalog/new",
        "",
        [303, 403, 403, 200, 200],
    ),
    (
        "POST",
        "/catalog/publish",
        "/catalog/publish",
        "yaml=id%3A+x&note=x",
        [401, 403, 403, 422, 422],
    ),
    (
        "POST",
        "/catalog/draft",
        "/catalog/draft",
        "yaml=",
        [401, 403, 403, 422, 422],
    ),
    (
        "POST",
        "/actions/{id}/rollback",
        "/actions/create-repo/rollback",
        "hash=0000&note=x",
        [401, 404, 404, 404, 404],
    ),
    (
        "POST",
        "/actions/{id}/rollout",
        "/actions/create-repo/rollout",
        "visible_to=Not+A+Team",
        [401, 404, 404, 404, 400],
    ),
    (
        "POST",
        "/actions/{id}/lifecycle",
        "/actions/create-repo/lifecycle",
        "status=bogus",
        [401, 404, 404, 404, 400],
    ),
    (
        "POST",
        "/admin/discover/{source}/groups/{group}/edit",
        "/admin/discover/jira/groups/g-000000000000/edit",
        "",
        [401, 403, 403, 403, 404],
    ),
    (
        "POST",
        "/api/catalog/editor/open",
        "/api/catalog/editor/open",
        "id=create-repo",
        [401, 404, 404, 404, 200],
    ),
    (
        "POST",
        "/api/catalog/editor/new",
        "/api/catalog/editor/new",
        "kind=manual",
        [401, 403, 403, 200, 200],
    ),
    (
        "POST",
        "/api/catalog/editor/check",
        "/api/catalog/editor/check",
        "yaml=x",
        [401, 403, 403, 200, 200],
    ),
    (
        "POST",
        "/api/catalog/editor/drafts",
        "/api/catalog/editor/drafts",
        "",
        [401, 200, 200, 200, 200],
    ),
    (
        "POST",
        "/api/catalog/editor/markdown",
        "/api/catalog/editor/markdown",
        "text=hi",
        [401, 403, 403, 200, 200],
    ),
    (
        "POST",
        "/api/catalog/action",
        "/api/catalog/action",
        "id=create-repo",
        [401, 200, 200, 200, 200],
    ),
    (
        "POST",
        "/api/catalog/action",
        "/api/catalog/action",
        "id=deploy-pipeline",
        [401, 200, 404, 200, 200],
    ),
    (
        "POST",
        "/api/catalog/history",
        "/api/catalog/history",
        "id=create-repo&query=",
        [401, 404, 404, 404, 200],
    ),
    (
        "POST",
        "/api/catalog/health",
        "/api/catalog/health",
        "",
        [401, 403, 403, 403, 200],
    ),
    // Impact: admins and the teams that own actions (platform, security, data here: only the admin).
    ("GET", "/impact", "/impact", "", [303, 403, 403, 403, 200]),
    ("GET", "/pulse", "/pulse", "", [303, 200, 200, 200, 200]),
    (
        "POST",
        "/api/impact/report",
        "/api/impact/report",
        "days=90",
        [401, 403, 403, 403, 200],
    ),
    (
        "POST",
        "/api/impact/pulses",
        "/api/impact/pulses",
        "",
        [401, 200, 200, 200, 200],
    ),
    (
        "POST",
        "/requests/{id}/rating",
        "/requests/999999/rating",
        "score=5",
        [401, 404, 404, 404, 404],
    ),
    (
        "POST",
        "/admin/impact/baselines",
        "/admin/impact/baselines",
        "action=create-repo&kind=stated",
        [401, 403, 403, 403, 400],
    ),
    (
        "POST",
        "/admin/impact/baselines/{action}/remove",
        "/admin/impact/baselines/create-repo/remove",
        "",
        [401, 403, 403, 403, 404],
    ),
    (
        "POST",
        "/admin/pulses",
        "/admin/pulses",
        "title=",
        [401, 403, 403, 403, 400],
    ),
    (
        "POST",
        "/admin/pulses/{id}/stop",
        "/admin/pulses/999999/stop",
        "",
        [401, 403, 403, 403, 404],
    ),
    (
        "POST",
        "/pulse/{round}/answer",
        "/pulse/999999/answer",
        "s0=1",
        [401, 409, 409, 409, 409],
    ),
    (
        "GET",
        "/impact.csv",
        "/impact.csv?table=actions",
        "",
        [303, 404, 404, 404, 200],
    ),
    (
        "GET",
        "/impact.json",
        "/impact.json",
        "",
        [303, 404, 404, 404, 200],
    ),
    // API tokens: everyone manages their own; service tokens are for a team's lead and admins.
    (
        "GET",
        "/settings/tokens",
        "/settings/tokens",
        "",
        [303, 200, 200, 200, 200],
    ),
    (
        "POST",
        "/api/tokens/page",
        "/api/tokens/page",
        "",
        [401, 200, 200, 200, 200],
    ),
    (
        "POST",
        "/settings/tokens",
        "/settings/tokens",
        "name=&scopes=read",
        [401, 400, 400, 400, 400],
    ),
    (
        "POST",
        "/settings/tokens/service",
        "/settings/tokens/service",
        "team=payments&name=&scopes=read",
        [401, 403, 403, 400, 400],
    ),
    (
        "POST",
        "/settings/tokens/{id}/revoke",
        "/settings/tokens/999999/revoke",
        "",
        [401, 404, 404, 404, 404],
    ),
    // Notification choices: everyone's own; the delivery report inside the page is for admins.
    (
        "GET",
        "/settings/notifications",
        "/settings/notifications",
        "",
        [303, 200, 200, 200, 200],
    ),
    (
        "POST",
        "/api/notifications/page",
        "/api/notifications/page",
        "",
        [401, 200, 200, 200, 200],
    ),
    (
        "POST",
        "/settings/notifications",
        "/settings/notifications",
        "on=finished%3Aemail",
        [401, 303, 303, 303, 303],
    ),
    // Slack and Jira sign their calls; neither is set up here, so there is no endpoint, and a
    // session cookie changes nothing (channels::* test the signatures).
    (
        "POST",
        "/hooks/jira",
        "/hooks/jira",
        "{}",
        [404, 404, 404, 404, 404],
    ),
    (
        "POST",
        "/hooks/slack/commands",
        "/hooks/slack/commands",
        "text=",
        [404, 404, 404, 404, 404],
    ),
    (
        "POST",
        "/hooks/slack/interactions",
        "/hooks/slack/interactions",
        "payload=%7B%7D",
        [404, 404, 404, 404, 404],
    ),
    // Prometheus presents metrics.token; none is configured here, so there is no endpoint.
    ("GET", "/metrics", "/metrics", "", [404, 404, 404, 404, 404]),
    // The public API takes bearer tokens only: a session cookie is no credential there (see
    // TOKEN_MATRIX for the API with tokens). Its document and reference are public.
    (
        "GET",
        "/api/v1/me",
        "/api/v1/me",
        "",
        [401, 401, 401, 401, 401],
    ),
    (
        "GET",
        "/api/v1/actions",
        "/api/v1/actions",
        "",
        [401, 401, 401, 401, 401],
    ),
    (
        "GET",
        "/api/v1/actions/{id}",
        "/api/v1/actions/create-repo",
        "",
        [401, 401, 401, 401, 401],
    ),
    (
        "POST",
        "/api/v1/actions/{id}/requests",
        "/api/v1/actions/create-repo/requests",
        "",
        [401, 401, 401, 401, 401],
    ),
    (
        "GET",
        "/api/v1/requests",
        "/api/v1/requests",
        "",
        [401, 401, 401, 401, 401],
    ),
    (
        "GET",
        "/api/v1/requests/{id}",
        "/api/v1/requests/1",
        "",
        [401, 401, 401, 401, 401],
    ),
    (
        "GET",
        "/api/v1/requests/{id}/log",
        "/api/v1/requests/1/log",
        "",
        [401, 401, 401, 401, 401],
    ),
    (
        "GET",
        "/api/v1/requests/{id}/events",
        "/api/v1/requests/1/events",
        "",
        [401, 401, 401, 401, 401],
    ),
    (
        "POST",
        "/api/v1/requests/{id}/cancel",
        "/api/v1/requests/1/cancel",
        "",
        [401, 401, 401, 401, 401],
    ),
    (
        "POST",
        "/api/v1/requests/{id}/retry",
        "/api/v1/requests/1/retry",
        "",
        [401, 401, 401, 401, 401],
    ),
    (
        "POST",
        "/api/v1/requests/{id}/secrets/{name}",
        "/api/v1/requests/1/secrets/password",
        "",
        [401, 401, 401, 401, 401],
    ),
    (
        "GET",
        "/api/v1/approvals",
        "/api/v1/approvals",
        "",
        [401, 401, 401, 401, 401],
    ),
    (
        "POST",
        "/api/v1/requests/{id}/approve",
        "/api/v1/requests/1/approve",
        "",
        [401, 401, 401, 401, 401],
    ),
    (
        "POST",
        "/api/v1/requests/{id}/reject",
        "/api/v1/requests/1/reject",
        "",
        [401, 401, 401, 401, 401],
    ),
    (
        "GET",
        "/api/v1/openapi.json",
        "/api/v1/openapi.json",
        "",
        [200, 200, 200, 200, 200],
    ),
    (
        "GET",
        "/api/v1/docs",
        "/api/v1/docs",
        "",
        [200, 200, 200, 200, 200],
    ),
    (
        "POST",
        "/auth/dev-login",
        "/auth/dev-login",
        "login=dana",
        [303, 303, 303, 303, 303],
    ),
    (
        "POST",
        "/auth/logout",
        "/auth/logout",
        "",
        [303, 303, 303, 303, 303],
    ),
];

#[tokio::test]
async fn every_route_has_a_rule() {
    let covered: std::collections::BTreeSet<(String, String)> = MATRIX
        .iter()
        .map(|(m, route, ..)| (m.to_string(), route.to_string()))
        .collect();
    let served: std::collections::BTreeSet<(String, String)> =
        runway_server::routes::route_inventory()
            .into_iter()
            .collect();
    let missing: Vec<_> = served.difference(&covered).collect();
    assert!(
        missing.is_empty(),
        "routes without an authorization rule: {missing:?}"
    );
    let stale: Vec<_> = covered.difference(&served).collect();
    assert!(
        stale.is_empty(),
        "rules for routes that no longer exist: {stale:?}"
    );
}

async fn request(app: &TestApp, method: &str, path: &str, body: &str) -> u16 {
    let url = app.url(path);
    let req = if method == "GET" {
        app.client.get(url)
    } else {
        app.client
            .post(url)
            .header("origin", &app.address)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.to_string())
    };
    req.send().await.unwrap().status().as_u16()
}

async fn every_caller_gets_exactly_the_expected_status(backend: Backend) {
    let mut failures = Vec::new();
    for (i, who) in WHO.iter().enumerate() {
        let app = TestApp::spawn(backend).await;
        if let Some(login) = who {
            app.sign_in(login).await;
        }
        for (method, _, path, body, expected) in MATRIX {
            // Development sign-in as someone else would change who is asking: keep the caller.
            let body = match (*path, who) {
                ("/auth/dev-login", Some(login)) => format!("login={login}"),
                _ => body.to_string(),
            };
            let got = request(&app, method, path, &body).await;
            if got != expected[i] {
                failures.push(format!(
                    "{method} {path} as {}: expected {}, got {got}",
                    who.unwrap_or("anonymous"),
                    expected[i]
                ));
            }
        }
        app.stop().await;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// API callers: no token; dana with `read`; dana, sam, lee and ada with every scope; a payments
/// service token with `read request`.
const TOKEN_CALLERS: usize = 7;

/// (method, route pattern, concrete path, JSON body, expected status per API caller).
const TOKEN_MATRIX: &[(&str, &str, &str, &str, [u16; TOKEN_CALLERS])] = &[
    (
        "GET",
        "/api/v1/me",
        "/api/v1/me",
        "",
        [401, 200, 200, 200, 200, 200, 200],
    ),
    (
        "GET",
        "/api/v1/actions",
        "/api/v1/actions?q=repo",
        "",
        [401, 200, 200, 200, 200, 200, 200],
    ),
    (
        "GET",
        "/api/v1/actions/{id}",
        "/api/v1/actions/deploy-pipeline",
        "",
        [401, 200, 200, 404, 200, 200, 200],
    ),
    (
        "POST",
        "/api/v1/actions/{id}/requests",
        "/api/v1/actions/create-repo/requests",
        r#"{"inputs": {}}"#,
        [401, 403, 422, 422, 422, 422, 422],
    ),
    (
        "POST",
        "/api/v1/actions/{id}/requests",
        "/api/v1/actions/deploy-pipeline/requests",
        r#"{"inputs": {}}"#,
        [401, 403, 422, 404, 422, 422, 422],
    ),
    (
        "GET",
        "/api/v1/requests",
        "/api/v1/requests",
        "",
        [401, 200, 200, 200, 200, 200, 200],
    ),
    (
        "GET",
        "/api/v1/requests",
        "/api/v1/requests?scope=all",
        "",
        [401, 403, 403, 403, 403, 200, 403],
    ),
    (
        "GET",
        "/api/v1/requests",
        "/api/v1/requests?scope=team&team=payments",
        "",
        [401, 200, 200, 403, 200, 403, 200],
    ),
    (
        "GET",
        "/api/v1/requests/{id}",
        "/api/v1/requests/999999",
        "",
        [401, 404, 404, 404, 404, 404, 404],
    ),
    (
        "GET",
        "/api/v1/requests/{id}/log",
        "/api/v1/requests/999999/log",
        "",
        [401, 404, 404, 404, 404, 404, 404],
    ),
    (
        "GET",
        "/api/v1/requests/{id}/events",
        "/api/v1/requests/999999/events",
        "",
        [401, 404, 404, 404, 404, 404, 404],
    ),
    (
        "POST",
        "/api/v1/requests/{id}/cancel",
        "/api/v1/requests/999999/cancel",
        "",
        [401, 403, 404, 404, 404, 404, 404],
    ),
    (
        "POST",
        "/api/v1/requests/{id}/retry",
        "/api/v1/requests/999999/retry",
        "",
        [401, 403, 404, 404, 404, 404, 404],
    ),
    (
        "POST",
        "/api/v1/requests/{id}/secrets/{name}",
        "/api/v1/requests/999999/secrets/password",
        "",
        [401, 403, 410, 410, 410, 410, 410],
    ),
    (
        "GET",
        "/api/v1/approvals",
        "/api/v1/approvals",
        "",
        [401, 200, 200, 200, 200, 200, 200],
    ),
    (
        "POST",
        "/api/v1/requests/{id}/approve",
        "/api/v1/requests/999999/approve",
        "",
        [401, 403, 404, 404, 404, 404, 403],
    ),
    (
        "POST",
        "/api/v1/requests/{id}/reject",
        "/api/v1/requests/999999/reject",
        r#"{"comment": "no"}"#,
        [401, 403, 404, 404, 404, 404, 403],
    ),
    (
        "GET",
        "/api/v1/openapi.json",
        "/api/v1/openapi.json",
        "",
        [200, 200, 200, 200, 200, 200, 200],
    ),
    (
        "GET",
        "/api/v1/docs",
        "/api/v1/docs",
        "",
        [200, 200, 200, 200, 200, 200, 200],
    ),
];

#[test]
fn every_api_route_has_a_token_rule() {
    let covered: std::collections::BTreeSet<(&str, &str)> = TOKEN_MATRIX
        .iter()
        .map(|(m, route, ..)| (*m, *route))
        .collect();
    let served = runway_server::api::api_routes();
    let served: std::collections::BTreeSet<(&str, &str)> = served
        .iter()
        .map(|(m, p)| (m.as_str(), p.as_str()))
        .collect();
    assert_eq!(covered, served);
}

async fn every_token_gets_exactly_the_expected_status(backend: Backend) {
    use runway_core::tokens::{self, NewTokenInput};
    use runway_domain::token::{Scope, Scopes};
    let app = TestApp::spawn(backend).await;
    for login in ["dana", "sam", "lee", "ada"] {
        app.sign_in(login).await;
    }
    let user = |login: &'static str| {
        let rw = app.runway.clone();
        async move {
            let id: i64 = runway_core::on_pool!(&rw.db, pool =>
                sqlx::query_scalar("SELECT id FROM users WHERE subject = $1").bind(login).fetch_one(pool).await)
            .unwrap();
            rw.user(id).await.unwrap().unwrap()
        }
    };
    let input = |scopes: Vec<Scope>| NewTokenInput {
        name: "matrix".into(),
        scopes: Scopes::new(scopes),
        days: None,
    };
    let mut callers: Vec<Option<String>> = vec![None];
    callers.push(Some(
        tokens::create_personal(&app.runway, &user("dana").await, &input(vec![Scope::Read]))
            .await
            .unwrap()
            .token,
    ));
    for login in ["dana", "sam", "lee", "ada"] {
        callers.push(Some(
            tokens::create_personal(&app.runway, &user(login).await, &input(Scope::ALL.to_vec()))
                .await
                .unwrap()
                .token,
        ));
    }
    callers.push(Some(
        tokens::create_service(
            &app.runway,
            &user("lee").await,
            "payments",
            &input(vec![Scope::Read, Scope::Request]),
        )
        .await
        .unwrap()
        .token,
    ));
    assert_eq!(callers.len(), TOKEN_CALLERS);
    let client = reqwest::Client::new();
    let mut failures = Vec::new();
    for (method, _, path, body, expected) in TOKEN_MATRIX {
        for (i, token) in callers.iter().enumerate() {
            let mut req = if *method == "GET" {
                client.get(app.url(path))
            } else {
                client
                    .post(app.url(path))
                    .header("content-type", "application/json")
                    .body(body.to_string())
            };
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            let got = req.send().await.unwrap().status().as_u16();
            if got != expected[i] {
                failures.push(format!(
                    "{method} {path} as caller {i}: expected {}, got {got}",
                    expected[i]
                ));
            }
        }
    }
    app.stop().await;
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

both_backends!(
    every_caller_gets_exactly_the_expected_status,
    every_token_gets_exactly_the_expected_status,
);
