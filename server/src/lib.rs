//! The `runway` binary's library: wiring only. Logic lives in `runway_core`; pages in `runway_app`.
//!
//! - [`cli`]: the command line (one subcommand per process role).
//! - [`startup`]: [`startup::Application`], which opens the database, loads the catalogue and binds
//!   the HTTP server; tests build it on port 0.
//! - [`routes`]: the axum router: Leptos pages and server functions, health endpoints, static files.
//! - [`telemetry`]: structured logging.
//! - [`commands`]: what each subcommand does.

pub mod cli;
pub mod commands;
pub mod routes;
pub mod startup;
pub mod telemetry;
