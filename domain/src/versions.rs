//! What an action's history page (`/actions/{id}/history`) shows: every change of the action, a
//! side-by-side diff of two of its versions, its rollout with the adoption so far, and its
//! lifecycle. Built by `runway_core::catalog::history`; admins and the owning team see it.

use crate::spec::LifecycleStatus;
use crate::view::ActionLink;
use serde::{Deserialize, Serialize};

/// The history page of one action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionHistory {
    pub action_id: String,
    pub title: String,
    /// Is the action in the current catalogue? (A removed action keeps its history.)
    pub in_catalog: bool,
    /// The current version's hash (first 12), when the action is in the catalogue.
    pub current: Option<String>,
    /// Newest first.
    pub changes: Vec<ChangeView>,
    /// The versions one can compare, newest first (each content hash once).
    pub versions: Vec<VersionOption>,
    /// The diff asked for by `?from=&to=`, when both versions exist.
    pub diff: Option<DiffView>,
    /// May the viewer roll back, change the rollout and the lifecycle (admins, leads of the owning
    /// team)? Only then does the page show those forms.
    pub may_manage: bool,
    pub rollout: RolloutView,
    pub lifecycle: LifecycleView,
}

/// One row of `action_changes`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangeView {
    pub id: i64,
    /// `2026-11-29 17:40 UTC`.
    pub changed_at: String,
    /// The person's name; `None` for a change found in the files.
    pub actor: Option<String>,
    /// `files`, `publish`, `rollback`, `rollout`, `deprecate`, `retire`, `restore`, `removed`.
    pub kind: String,
    pub note: String,
    /// The full content hash (the rollback form posts it).
    pub content_hash: String,
    /// Its first 12 hex digits, as shown.
    pub short_hash: String,
    pub git_commit: Option<String>,
    /// Is this the version the catalogue holds now? (No rollback to it.)
    pub is_current: bool,
    /// Is its YAML source recorded? (`removed` rows and unknown hashes cannot be compared.)
    pub has_source: bool,
}

/// A version offered in the compare form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionOption {
    pub content_hash: String,
    /// `abcdef012345 · 2026-11-29 17:40 UTC`.
    pub label: String,
}

/// A line diff of two YAML sources, one row per line pair.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DiffView {
    pub from: String,
    pub to: String,
    pub rows: Vec<DiffRow>,
    pub added: usize,
    pub removed: usize,
}

/// One row of a side-by-side diff: the old line on the left, the new on the right.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiffRow {
    pub kind: DiffKind,
    /// Line number and text in the older version (`None`: nothing on that side).
    pub old: Option<(usize, String)>,
    pub new: Option<(usize, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DiffKind {
    Same,
    Removed,
    Added,
    /// A removed line beside the added line that replaced it.
    Changed,
}

/// Who sees the action now, and how much it is used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RolloutView {
    /// `None` = everyone; else the early-adopter teams.
    pub teams: Option<Vec<String>>,
    /// Per team, requests of the last [`ADOPTION_DAYS`] days.
    pub adoption: Vec<AdoptionRow>,
}

/// The window adoption is counted over.
pub const ADOPTION_DAYS: i64 = 30;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdoptionRow {
    /// `None`: requests recorded without a team.
    pub team: Option<String>,
    pub requests: i64,
    pub requesters: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LifecycleView {
    pub status: LifecycleStatus,
    pub replacement: Option<ActionLink>,
    pub note: Option<String>,
}
