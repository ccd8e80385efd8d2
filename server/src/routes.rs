//! The HTTP router: Leptos pages and server functions, health endpoints, static assets, request ids
//! and request logging.

use axum::extract::State;
use axum::http::{HeaderName, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use leptos::config::LeptosOptions;
use leptos_axum::{generate_route_list, LeptosRoutes};
use runway_app::{shell, App};
use runway_core::state::Runway;
use serde_json::json;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::services::ServeDir;
use tower_http::trace::TraceLayer;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Shared state for the non-Leptos handlers.
#[derive(Clone)]
struct AppState {
    runway: Runway,
    leptos: LeptosOptions,
}

impl axum::extract::FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos.clone()
    }
}

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

/// Builds the complete router.
pub fn router(runway: Runway) -> Router {
    let leptos = leptos_options(&runway);
    let routes = generate_route_list(App);
    let state = AppState {
        runway: runway.clone(),
        leptos: leptos.clone(),
    };
    let context_runway = runway.clone();
    let pkg_dir = runway.settings.site_root.join("pkg");

    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .nest_service("/pkg", ServeDir::new(pkg_dir))
        .leptos_routes_with_context(
            &state,
            routes,
            move || leptos::context::provide_context(context_runway.clone()),
            {
                let leptos = leptos.clone();
                move || shell(leptos.clone())
            },
        )
        .fallback(leptos_axum::file_and_error_handler_with_context::<AppState, _>(
            move || leptos::context::provide_context(runway.clone()),
            shell,
        ))
        .with_state(state)
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
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}

/// Liveness: the process is up and answering.
async fn healthz() -> impl IntoResponse {
    Json(json!({ "status": "ok" }))
}

/// Readiness: the database answers, every migration is applied, and the catalogue is loaded.
async fn readyz(State(state): State<AppState>) -> Response {
    let rw = &state.runway;
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
