//! The HTTP router: Leptos pages and server functions, health endpoints, static assets, request ids
//! and request logging.

use axum::extract::State;
use axum::http::{header, HeaderName, HeaderValue, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use leptos::config::LeptosOptions;
use leptos_axum::{generate_route_list, LeptosRoutes};
use runway_app::{shell, App};
use runway_core::state::Runway;
use serde_json::json;
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

use crate::state::AppState;
use crate::{auth_routes, edge, requests, security};
use axum::middleware::from_fn_with_state;
use axum::routing::post;
use runway_core::auth::oidc::Oidc;
use runway_core::auth::session_store::DbSessionStore;
use std::net::SocketAddr;
use std::sync::Arc;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Leptos options derived from Runway's settings (never from cargo-leptos environment variables, so
/// the binary behaves the same however it was started).
pub fn leptos_options(runway: &Runway) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("runway")
        .site_root(runway.settings.site_root.display().to_string())
        .site_pkg_dir("pkg")
        .site_addr(runway.settings.listen)
        .build()
}

/// Routes served by plain axum handlers; everything else is a Leptos page or a server function.
/// Keep in step with [`router`]: the authorization matrix test requests every route listed by
/// [`route_inventory`] and fails on one without an expectation.
pub const PLAIN_ROUTES: [(&str, &str); 41] = [
    ("GET", "/admin/audit.csv"),
    ("GET", "/requests/{id}/log.txt"),
    ("POST", "/requests/{id}/retry"),
    ("GET", "/requests/{id}/events"),
    ("GET", "/requests.csv"),
    ("POST", "/requests/{id}/cancel"),
    ("POST", "/requests/{id}/approve"),
    ("POST", "/requests/{id}/reject"),
    ("GET", "/healthz"),
    ("POST", "/actions/{id}/submit"),
    ("POST", "/requests/{id}/take"),
    ("POST", "/requests/{id}/fulfil"),
    ("POST", "/requests/{id}/secrets/{name}"),
    ("GET", "/readyz"),
    ("GET", "/auth/login"),
    ("GET", "/auth/callback"),
    ("POST", "/auth/dev-login"),
    ("POST", "/auth/logout"),
    ("POST", "/admin/discover/{source}/groups/{group}/decide"),
    ("POST", "/admin/discover/{source}/groups/{group}/draft"),
    ("POST", "/admin/discover/{source}/groups/{group}/edit"),
    ("POST", "/admin/discover/upload"),
    ("POST", "/admin/discover/uploads/{token}/map"),
    ("POST", "/catalog/publish"),
    ("POST", "/catalog/draft"),
    ("POST", "/actions/{id}/rollback"),
    ("POST", "/actions/{id}/rollout"),
    ("POST", "/actions/{id}/lifecycle"),
    ("POST", "/requests/{id}/rating"),
    ("POST", "/admin/impact/baselines"),
    ("POST", "/admin/impact/baselines/{action}/remove"),
    ("POST", "/admin/pulses"),
    ("POST", "/admin/pulses/{id}/stop"),
    ("POST", "/pulse/{round}/answer"),
    ("GET", "/impact.csv"),
    ("GET", "/impact.json"),
    ("POST", "/settings/tokens"),
    ("POST", "/settings/tokens/service"),
    ("POST", "/settings/tokens/{id}/revoke"),
    ("POST", "/settings/notifications"),
    ("GET", "/metrics"),
];

/// The Leptos page routes, generated once per process.
///
/// `generate_route_list` runs the app with resource loading suppressed through a *process-global*
/// flag (leptos issue #4773): a resource first polled by a page render on another thread at that
/// moment never resolves, and its response hangs forever. Generating the list exactly once, before
/// any router exists, means no render can ever overlap it, even with several servers in one process
/// (the integration tests run many).
fn page_routes() -> Vec<leptos_axum::AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> =
        std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// Every (method, path) the portal serves: plain routes, Leptos pages and server functions.
pub fn route_inventory() -> Vec<(String, String)> {
    let mut all: Vec<(String, String)> = PLAIN_ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    for route in page_routes() {
        all.push(("GET".to_string(), route.path().to_string()));
    }
    for (m, p) in crate::hooks::HOOK_ROUTES {
        all.push((m.to_string(), p.to_string()));
    }
    all.extend(crate::api::api_routes());
    for (path, method) in leptos::server_fn::axum::server_fn_paths() {
        all.push((method.to_string(), path.to_string()));
    }
    all.sort();
    all.dedup();
    all
}

/// The cookie that carries the session id: `__Host-` prefixed (and `Secure`) under https.
pub fn session_cookie_name(runway: &Runway) -> &'static str {
    if runway.settings.is_https() {
        "__Host-runway_session"
    } else {
        "runway_session"
    }
}

/// Context for every Leptos render: the Runway handle, and the page's Content-Security-Policy built
/// around the nonce Leptos puts on its scripts.
fn page_context(runway: Runway, form_targets: String) -> impl Fn() + Clone + Send + Sync + 'static {
    move || {
        leptos::context::provide_context(runway.clone());
        if let (Some(nonce), Some(options)) = (
            leptos::nonce::use_nonce(),
            leptos::context::use_context::<leptos_axum::ResponseOptions>(),
        ) {
            if let Ok(value) = HeaderValue::from_str(&security::page_csp(&nonce, &form_targets)) {
                options.insert_header(header::CONTENT_SECURITY_POLICY, value);
            }
        }
    }
}

/// What the router shares with the process serving it.
pub struct Lifetime {
    /// The API's open event streams, which the process gives back when it stops.
    pub streams: Arc<crate::api::limits::Streams>,
    /// Cancelled when the process starts shutting down: open event streams end then, so that
    /// graceful shutdown is not held open by them (clients reconnect, to another replica or to
    /// the next process).
    pub stopping: tokio_util::sync::CancellationToken,
}

/// Builds the complete router.
///
/// `bound` is the address the listener actually bound (its port, with `listen` on port 0, is what
/// loopback host names must carry).
pub fn router(
    runway: Runway,
    oidc: Option<Arc<Oidc>>,
    bound: SocketAddr,
    metrics: Arc<crate::metrics::Metrics>,
    lifetime: Lifetime,
) -> Router {
    let leptos = leptos_options(&runway);
    let assets = crate::assets::page_assets(&runway.settings.site_root);
    let routes = page_routes();
    // RP-initiated logout redirects from our sign-out form to the provider: CSP form-action allows it.
    let form_targets = if runway.settings.auth.dev_mode() {
        String::new()
    } else {
        format!(" {}", runway.settings.auth.issuer.trim_end_matches('/'))
    };
    let state = AppState::new(crate::state::AppStateInner {
        runway: runway.clone(),
        leptos: leptos.clone(),
        oidc,
        metrics: metrics.clone(),
        streams: lifetime.streams,
        stopping: lifetime.stopping,
        slack: runway_core::slack::api::SlackApi::from_settings(&runway.settings.slack),
    });

    let store = DbSessionStore::new(runway.db.clone(), runway.settings.auth.session_cache);
    store.spawn_cleanup(std::time::Duration::from_secs(600));
    runway_core::discover::staged::spawn_sweeper(
        runway.settings.data_dir.clone(),
        std::time::Duration::from_secs(600),
    );
    let idle = i64::try_from(runway.settings.auth.idle_timeout().as_secs()).unwrap_or(8 * 3600);
    let sessions = SessionManagerLayer::new(store)
        .with_name(session_cookie_name(&runway))
        .with_secure(runway.settings.is_https())
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_path("/")
        // Saved only when changed: `security::require_user` changes a signed-in session once its
        // last save is `auth.session_refresh_after()` old, which extends the idle expiry then.
        .with_expiry(Expiry::OnInactivity(time::Duration::seconds(idle)));

    let demo = demo_receivers(&runway);
    let host_check = edge::HostCheck {
        allowed: edge::AllowedHosts::from_settings(&runway.settings, bound),
        https: runway.settings.is_https(),
    };

    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/auth/login", get(auth_routes::login))
        .route("/auth/callback", get(auth_routes::callback))
        .route("/auth/dev-login", post(auth_routes::dev_login))
        .route("/auth/logout", post(auth_routes::logout))
        .route("/actions/{id}/submit", post(requests::submit))
        .route("/catalog/publish", post(crate::editor::publish))
        .route("/catalog/draft", post(crate::editor::save_draft))
        .route("/actions/{id}/rollback", post(crate::editor::rollback))
        .route("/actions/{id}/rollout", post(crate::editor::rollout))
        .route("/actions/{id}/lifecycle", post(crate::editor::lifecycle))
        .route("/requests.csv", get(requests::export_csv))
        .route("/requests/{id}/rating", post(crate::impact::rate))
        .route("/admin/impact/baselines", post(crate::impact::set_baseline))
        .route(
            "/admin/impact/baselines/{action}/remove",
            post(crate::impact::remove_baseline),
        )
        .route("/admin/pulses", post(crate::impact::start_pulse))
        .route("/admin/pulses/{id}/stop", post(crate::impact::stop_pulse))
        .route("/pulse/{round}/answer", post(crate::impact::answer_pulse))
        .route("/impact.csv", get(crate::impact::export_csv))
        .route("/impact.json", get(crate::impact::export_json))
        .route("/settings/tokens", post(crate::tokens::create_personal))
        .route(
            "/settings/tokens/service",
            post(crate::tokens::create_service),
        )
        .route(
            "/settings/tokens/{id}/revoke",
            post(crate::tokens::revoke),
        )
        .route("/settings/notifications", post(crate::notifications::save))
        .route("/admin/audit.csv", get(crate::audit::export_csv))
        .route("/requests/{id}/events", get(crate::live::stream))
        .route("/requests/{id}/take", post(requests::take))
        .route("/requests/{id}/cancel", post(requests::cancel))
        .route("/requests/{id}/retry", post(requests::retry))
        .route("/requests/{id}/log.txt", get(requests::download_log))
        .route("/requests/{id}/approve", post(requests::approve))
        .route("/requests/{id}/reject", post(requests::reject))
        .route("/requests/{id}/fulfil", post(requests::fulfil))
        .route("/requests/{id}/secrets/{name}", post(requests::reveal))
        .route(
            "/admin/discover/upload",
            post(crate::discover::upload).layer(axum::extract::DefaultBodyLimit::max(
                crate::discover::UPLOAD_LIMIT,
            )),
        )
        .route(
            "/admin/discover/uploads/{token}/map",
            post(crate::discover::map),
        )
        .route(
            "/admin/discover/{source}/groups/{group}/decide",
            post(crate::discover::decide),
        )
        .route(
            "/admin/discover/{source}/groups/{group}/draft",
            post(crate::discover::draft),
        )
        .route(
            "/admin/discover/{source}/groups/{group}/edit",
            post(crate::discover::edit_draft),
        )
        .leptos_routes_with_context(&state, routes, page_context(runway.clone(), form_targets.clone()), {
            let assets = assets.clone();
            move || shell(assets.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<AppState, _>(
            page_context(runway.clone(), form_targets),
            move |_| shell(assets.clone()),
        ))
        // Innermost first: who the user is, then CSRF, then the session they both read.
        .layer(from_fn_with_state(state.clone(), security::require_user))
        .layer(from_fn_with_state(state.clone(), security::same_origin))
        .layer(sessions)
        .with_state(state.clone())
        // The demo receivers are called by Runway's own webhook executor, not by a signed-in
        // browser: outside the sign-in and CSRF checks, and they verify webhook signatures instead.
        .merge(demo)
        // The public API authenticates with bearer tokens only: outside the session, sign-in and
        // CSRF layers (a cookie means nothing there), inside the host, size and header checks.
        .merge(crate::api::router(state.clone()))
        // Slack and Jira sign their calls: verified by signature, outside the session and CSRF
        // layers like the API.
        .merge(crate::hooks::router(state.clone()))
        // Prometheus presents `metrics.token`, not a session.
        .merge(
            Router::new()
                .route("/metrics", get(crate::metrics::guarded))
                .with_state(state.clone()),
        )
        // Static assets need no session: outside the session, sign-in and CSRF layers, so a page
        // load does not read the session table once per file.
        .nest_service("/pkg", crate::assets::router(&runway.settings.site_root))
        .layer(from_fn_with_state(state, security::security_headers))
        // Pages, JSON and downloads compressed on the fly at the fastest level (cheap on CPU, most of
        // the gain); event streams and already-encoded assets are left as they are.
        .layer(CompressionLayer::new().quality(CompressionLevel::Fastest))
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
                let id = req
                    .headers()
                    .get(REQUEST_ID)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-")
                    .to_string();
                tracing::info_span!("http", request.id = %id, method = %req.method(), path = %req.uri().path())
            }),
        )
        // Before sessions and every handler: first the host, then the size of the body.
        .layer(axum::middleware::from_fn(edge::limit_body))
        .layer(from_fn_with_state(host_check, edge::check_host))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        // Outermost, so refusals by the host and size checks are counted too.
        .layer(from_fn_with_state(metrics, crate::metrics::track))
}

/// Liveness: the process is up and answering.
pub(crate) async fn healthz() -> impl IntoResponse {
    Json(json!({ "status": "ok" }))
}

/// Readiness: the database answers, every migration is applied, and the catalogue is loaded.
async fn readyz(State(state): State<AppState>) -> Response {
    readiness(&state.runway).await
}

/// Ready to work: the database answers, its migrations are this build's, and the catalogue was
/// read. 200 with the details as JSON, or 503. `serve` answers it at `/readyz`, and so does a
/// `worker`'s metrics listener (`metrics.listen`).
pub async fn readiness(rw: &Runway) -> Response {
    let database = rw.db.ping().await.is_ok();
    let migrations = matches!(rw.db.migrations_applied().await, Ok(true));
    let snapshot = rw.catalog.snapshot();
    let catalog_loaded = snapshot.files_read > 0 || !snapshot.actions.is_empty();
    let ready = database && migrations && catalog_loaded;
    let body = Json(json!({
        "status": if ready { "ready" } else { "not ready" },
        "database": database,
        "migrations": migrations,
        "catalog": {
            "loaded": catalog_loaded,
            "actions": snapshot.actions.len(),
            "problems": snapshot.problems.len(),
        },
    }));
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, body).into_response()
}

/// The demo receivers when `demo_receivers` is on and this build has them (feature `demo`).
fn demo_receivers(runway: &Runway) -> Router {
    if !runway.settings.demo_receivers {
        return Router::new();
    }
    #[cfg(feature = "demo")]
    {
        let secret = runway.settings.webhooks.signing_secret.expose();
        crate::demo_ci::router((!secret.is_empty()).then(|| secret.to_string()))
    }
    #[cfg(not(feature = "demo"))]
    {
        tracing::warn!(
            "demo_receivers is on, but this build has no demo receivers (build with --features demo)"
        );
        Router::new()
    }
}
