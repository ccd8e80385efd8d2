//! Discover: find the requests worth automating in a ticket export.
//!
//! Pure CPU work over a stream of bytes: no database, no network, no async. The `runway tickets`
//! commands run it without a server; `runway-core` stores what it finds.
//!
//! - [`ticket`]: the few fields of a ticket the analysis keeps, and how reporters are kept (or not).
//! - [`import`]: reads an export (Jira CSV or JSON, GitHub, Linear, any mapped CSV) as a stream of
//!   tickets, skipping and reporting bad rows with their line numbers.
//! - [`normalize`]: a title becomes the words that say what is asked, with the varying parts
//!   (numbers, keys, e-mails, hosts, ...) masked as typed placeholders.
//! - [`cluster`]: groups tickets that ask for the same thing, deterministically, with stable ids.
//! - [`rank`]: the figures of each group (count, share, resolve times, teams, weekly volume, trend)
//!   and their order.
//! - [`decisions`]: renames, merges, splits and dismissals people make, applied to the groups.
//! - [`generate`]: generated exports with known groups, for tests and the benchmark.
//! - [`draft`]: a group becomes a draft catalogue action (a manual executor) the catalogue accepts.

pub mod cluster;
pub mod decisions;
pub mod draft;
pub mod generate;
pub mod import;
pub mod normalize;
pub mod rank;
pub mod ticket;
