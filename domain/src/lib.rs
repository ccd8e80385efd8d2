//! Runway's shared vocabulary: the types and rules that both the server and the browser use.
//!
//! Nothing here performs I/O, so the crate compiles to `wasm32` as well as natively, and the browser
//! validates with exactly the code the server runs.
//!
//! - [`ids`]: validated identifiers (action ids, team names, field names).
//! - [`edit`]: the structured catalogue editor's view of an action's YAML, and splicing one key back.
//! - [`form`]: request forms: the one validation the browser and the server both run.
//! - [`audit`]: the Audit page's filters and rows (shared by the page and the CSV export).
//! - [`duration`]: human durations such as `90s`, `15m`, `1h30m` (and their serde form in settings).
//! - [`spec`]: the action specification: inputs, executor, approval policy, rollout.
//! - [`parse`]: reads one catalogue YAML file into an [`spec::ActionSpec`], reporting *every* problem
//!   with its line and field path.
//! - [`notify`]: notifications people can choose, per channel, and their defaults.
//! - [`request`]: the request lifecycle states.
//! - [`secret`]: a configured secret value that never shows in `Debug` output.
//! - [`problem`]: one located problem in a catalogue file.
//! - [`template`]: fills `{{field}}` references in run templates (argv, env, URLs, JSON bodies).
//! - [`token`]: API token scopes and kinds, and a token as the settings page lists it.
//! - [`user`]: the signed-in user, their teams and role.
//! - [`versions`]: what an action's history page shows: its changes, a side-by-side diff of two
//!   versions, its rollout with adoption, and its lifecycle.
//! - [`view`]: what the catalogue pages show (cards, action details) and the search that filters them.

pub mod audit;
pub mod duration;
pub mod edit;
pub mod form;
pub mod ids;
pub mod impact;
pub mod notify;
pub mod parse;
pub mod problem;
pub mod request;
pub mod secret;
pub mod spec;
pub mod template;
pub mod token;
pub mod user;
pub mod versions;
pub mod view;
