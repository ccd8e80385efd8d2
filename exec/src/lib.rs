//! Runway's executors: what carries out a request. A leaf crate: it knows actions only through
//! `runway-domain`, and nothing of the database, the queue or the web layer. The queue handler in
//! `runway-core` (`core::requests::run`) loads a job's request, renders its templates and calls in
//! here. `manual` requests have no executor: a person fulfils them from the inbox.
//!
//! - [`script`]: runs an action's program directly (no shell), as an unprivileged user, under
//!   resource limits and a timeout, killing its whole process group on timeout or cancellation;
//!   [`script::ScriptSettings`] is the `[scripts]` section of the configuration.
//! - [`webhook`]: one signed HTTP call and, for jobs that finish later, polling their status URL;
//!   [`webhook::signature`] signs and verifies Standard Webhooks, [`webhook::egress`] decides which
//!   addresses may not be called; [`webhook::WebhookSettings`] is the `[webhooks]` section.
//! - [`log`]: where output lines go ([`LogSink`]), and an in-memory sink ([`MemorySink`]).
//! - [`redact`]: removes secret values (and their encoded forms) from everything logged.
//! - [`outputs`]: what a run reports back (values, links, secrets) and the check of an outputs
//!   file.
//!
//! Settings are plain `serde` types whose durations are parsed once, when the configuration is read
//! (`runway_domain::duration::text`); each default is written once, in their `Default`.

pub mod log;
pub mod outputs;
pub mod redact;
pub mod script;
pub mod webhook;

pub use log::{LogSink, MemorySink, Stream};
pub use outputs::{parse_outputs, Output, OutputKind, MAX_OUTPUTS, MAX_OUTPUT_VALUE_BYTES};
pub use redact::{Redactor, REDACTED};
