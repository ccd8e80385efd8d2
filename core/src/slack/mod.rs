//! The Slack app: a slash command and interactive modals and buttons over the same catalogue,
//! forms, validation, permissions and queue as the portal.
//!
//! - [`signature`]: verifying every call from Slack before anything reads it.
//! - [`api`]: the Web API methods Runway calls with its bot token.
//! - [`modal`]: an action's form as a Block Kit modal, and the modal's state back as form values.
//! - [`app`]: the use cases: `/runway` (list, search, open a form), submitting a modal, approving
//!   and rejecting from a message.

pub mod api;
pub mod app;
pub mod modal;
pub mod signature;

/// Slack's escaping for text it formats (`&`, `<`, `>`).
pub(crate) use crate::notify::message::slack_escape as api_escape;
