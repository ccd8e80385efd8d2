//! The `runway` binary's library: wiring only. Logic lives in `runway_core`; pages in `runway_app`.
//!
//! - [`cli`]: the command line (one subcommand per process role).
//! - [`startup`]: [`startup::Application`], which opens the database, loads the catalogue and binds
//!   the HTTP server; tests build it on port 0.
//! - [`routes`]: the axum router: Leptos pages and server functions, health endpoints, static files.
//! - [`assets`]: `/pkg`, the front end's files: content-hashed names cached for a year, precompressed
//!   copies sent as they are.
//! - [`edge`]: what is refused before anything else runs: hosts Runway does not answer to (DNS
//!   rebinding) and request bodies over the limit (413).
//! - [`security`]: sign-in required by default, CSRF (same-origin) checks, security headers.
//! - [`auth_routes`]: OIDC sign-in and callback, development sign-in, sign-out.
//! - [`state`]: [`state::AppState`], what every plain handler and guard receives.
//! - [`error`]: [`error::Error`], the one error type of plain handlers and guards, and the
//!   error-handling policy.
//! - [`html`]: the small HTML pages form posts answer with.
//! - [`requests`]: plain routes about requests: form posts (submit, take, fulfil, approve,
//!   reject, cancel, retry, reveal a secret once) and downloads (CSV, logs).
//! - [`live`]: a request's progress as server-sent events.
//! - [`audit`]: the audit log's CSV export for admins (`/admin/audit.csv`).
//! - [`editor`]: the catalogue editor's form posts (publish, draft, rollback, rollout, lifecycle).
//! - [`discover`]: the Discover page's form posts (decide about a group, draft an action).
//! - `demo_ci` (feature `demo`): built-in demo receivers (a CI system, a secret store) for the demo
//!   catalogue.
//! - [`telemetry`]: structured logging.
//! - [`impact`]: Impact's form posts (ease rating, baselines, pulses) and the report's downloads.
//! - [`report`]: `runway report impact`.
//! - [`tickets`]: `runway tickets analyze` (Discover on the command line, no server needed).
//! - [`commands`]: what each subcommand does.
//! - `bench`, `bench_history`, `bench_audit` and `bench_tickets` (feature `bench`): `runway bench
//!   queue`, `runway bench history`, `runway bench audit` and `runway bench tickets`.
//!
//! Features: `demo` and `bench` are for development, tests and benchmarks (scripts/dev and
//! scripts/test turn them on); a production build leaves them out.

pub mod api;
pub mod assets;
pub mod audit;
pub mod auth_routes;
#[cfg(feature = "bench")]
pub mod bench;
#[cfg(feature = "bench")]
pub mod bench_audit;
#[cfg(feature = "bench")]
pub mod bench_history;
#[cfg(feature = "bench")]
pub mod bench_impact;
#[cfg(feature = "bench")]
pub mod bench_tickets;
pub mod cli;
pub mod client;
pub mod commands;
#[cfg(feature = "demo")]
pub mod demo_ci;
pub mod discover;
pub mod edge;
pub mod editor;
pub mod error;
pub mod hooks;
pub mod html;
pub mod impact;
pub mod live;
pub mod metrics;
pub mod notifications;
pub mod report;
pub mod requests;
pub mod routes;
pub mod security;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod tickets;
pub mod tokens;
