//! The Slack app: Slack's Web API client ([`api`]).

pub mod api;
