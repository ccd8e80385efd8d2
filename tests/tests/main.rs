//! Runway's integration tests, one binary: API and database stories, each on SQLite and on Postgres.
//!
//! One test binary links the server once (instead of once per file) and shares `support`, the
//! [`support::TestApp`] builder every story starts Runway with.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed expectation is a failed test"
)]

#[macro_use]
mod support;

mod api;
mod audit;
mod auth;
mod authz_matrix;
mod catalog;
mod channels;
mod discover;
mod edge;
mod editor;
mod history;
mod impact;
mod inbox;
mod isolation;
mod lifecycle;
mod oidc;
mod queue;
mod requests;
mod rest;
mod sessions;
mod team;
