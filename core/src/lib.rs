//! Runway's server-side core: everything that performs I/O.
//!
//! - [`config`]: typed settings from compiled defaults, `runway.toml` and `RUNWAY_*` variables.
//! - [`db`]: the database handle (SQLite or Postgres, chosen once from the URL), migrations and all SQL.
//! - [`auth`]: OpenID Connect and development sign-in, groups to teams and roles, sessions.
//! - [`catalog`]: reads the catalogue directory, validates every file, keeps the loaded snapshot and
//!   records each action version in the database.
//! - [`queue`]: the durable job queue and the worker runtime.
//! - [`markdown`]: renders action descriptions to sanitised HTML.
//! - [`requests`]: the request use cases (submit, access, page, approvals, fulfil, cancel, retry,
//!   secrets, history, team), each with its own error enum.
//! - [`crypto`]: sealing secret inputs and outputs at rest.
//! - [`state`]: the [`state::Runway`] handle that the web layer and commands share.

pub mod auth;
pub mod catalog;
pub mod config;
pub mod crypto;
pub mod db;
pub mod exec;
pub mod markdown;
pub mod queue;
pub mod requests;
pub mod state;
