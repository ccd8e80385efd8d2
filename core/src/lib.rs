//! Runway's server-side core: everything that performs I/O. The executors themselves live in the
//! `runway-exec` crate; this crate connects them to requests and the queue.
//!
//! - [`audit`]: the append-only audit log of changes, decisions, reveals and sign-ins.
//! - [`config`]: typed settings (data only) from compiled defaults, `runway.toml` and `RUNWAY_*`
//!   variables; the `[scripts]` and `[webhooks]` sections are `runway-exec`'s own settings types.
//! - [`db`]: the database handle (SQLite or Postgres, chosen once from the URL), migrations and all SQL.
//! - [`auth`]: OpenID Connect and development sign-in, groups to teams and roles, sessions.
//! - [`catalog`]: reads the catalogue directory, validates every file, keeps the loaded snapshot and
//!   records each action version in the database.
//! - [`queue`]: the durable job queue and the worker runtime.
//! - [`requests`]: submitting, seeing, approving and fulfilling requests; [`requests::run`] is the
//!   queue handler that runs a request's job through its executor.
//! - [`editor`]: managing the catalogue from the portal: publish (file, git commit, reload), drafts,
//!   rollback, rollout, lifecycle.
//! - [`discover`]: Discover's use cases: store an import of a ticket export, analyse a source with
//!   the decisions people made about its groups, record a decision.
//! - [`crypto`]: seals secret inputs and outputs at rest (the key from settings or a key file).
//! - [`data_dir`]: keeps Runway's data directory and files private (0700/0600), out of scripts' reach.
//! - [`markdown`]: renders action descriptions to sanitised HTML.
//! - [`tokens`]: API tokens (personal and service): made, listed, revoked, and checked at each use.
//! - [`notify`]: notifications: the outbox's `notify` job, fan-out to people by their choices,
//!   e-mail (`lettre`) and Slack direct messages, and the delivery record admins read.
//! - [`slack`]: the Slack app: verifying Slack's calls, `/runway`, modals built from forms,
//!   approvals from buttons; its Web API client.
//! - [`jira`]: the Jira trigger: verified webhooks become requests; comments and transitions back.
//! - [`state`]: the [`state::Runway`] handle that the web layer and commands share, and the
//!   start-up checks that need more than the settings' data.
//!
//! Module dependencies point one way: `config`, `crypto` and `markdown` import no other module;
//! `data_dir` and `db` use `config`; `catalog`, `queue` and `auth` build on `db`; `state` gathers them; `requests`
//! sits on top.

pub mod audit;
pub mod auth;
pub mod catalog;
pub mod config;
pub mod crypto;
pub mod data_dir;
pub mod db;
pub mod discover;
pub mod editor;
pub mod impact;
pub mod jira;
pub mod markdown;
pub mod notify;
pub mod queue;
pub mod requests;
pub mod slack;
pub mod state;
pub mod tokens;
