//! The audit log: every change to the catalogue, every decision, cancel, retry and secret reveal,
//! every sign-in and sign-out, recorded as an append-only row (`audit_events`).
//!
//! Callers record *after* the change succeeded. A failure to record is returned to the caller, which
//! logs it; the change itself is not undone (the catalogue file is already written), so use cases
//! record as the last step.
//!
//! Reading it (the Audit page, the CSV export) is [`page`], for admins only.

pub mod page;

pub use page::{audit_filter, audit_page, AuditError};

use crate::catalog::ReloadReport;
use crate::db::audit::{self as sql, NewAuditRow};
use crate::db::{Db, DbError};
use chrono::Utc;
use runway_domain::user::User;

/// What happened. Stored as its snake_case name; the Audit page filters by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditKind {
    /// An action published from the portal (new or changed).
    CatalogPublish,
    /// An older version published again.
    CatalogRollback,
    /// `visible_to` changed: early-adopter teams, or everyone.
    CatalogRollout,
    CatalogDeprecate,
    CatalogRetire,
    /// A retired or deprecated action made active again.
    CatalogRestore,
    /// A draft saved (not yet published).
    CatalogDraftSaved,
    /// The catalogue read again from its files (start, SIGHUP, after a publish).
    CatalogReload,
    ApprovalDecided,
    RequestCancelled,
    RequestRetried,
    SecretRevealed,
    SignIn,
    SignOut,
    SettingChanged,
    TokenCreated,
    TokenRevoked,
    /// A request submitted through the API (portal submissions are their own record).
    RequestSubmitted,
    /// An action's baseline set (a ticket group or stated figures) or removed.
    BaselineSet,
    BaselineRemoved,
    /// A cognitive-load pulse started or stopped.
    PulseStarted,
    PulseStopped,
}

impl AuditKind {
    pub const ALL: [AuditKind; 22] = [
        AuditKind::CatalogPublish,
        AuditKind::CatalogRollback,
        AuditKind::CatalogRollout,
        AuditKind::CatalogDeprecate,
        AuditKind::CatalogRetire,
        AuditKind::CatalogRestore,
        AuditKind::CatalogDraftSaved,
        AuditKind::CatalogReload,
        AuditKind::ApprovalDecided,
        AuditKind::RequestCancelled,
        AuditKind::RequestRetried,
        AuditKind::SecretRevealed,
        AuditKind::SignIn,
        AuditKind::SignOut,
        AuditKind::SettingChanged,
        AuditKind::TokenCreated,
        AuditKind::TokenRevoked,
        AuditKind::RequestSubmitted,
        AuditKind::BaselineSet,
        AuditKind::BaselineRemoved,
        AuditKind::PulseStarted,
        AuditKind::PulseStopped,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuditKind::CatalogPublish => "catalog_publish",
            AuditKind::CatalogRollback => "catalog_rollback",
            AuditKind::CatalogRollout => "catalog_rollout",
            AuditKind::CatalogDeprecate => "catalog_deprecate",
            AuditKind::CatalogRetire => "catalog_retire",
            AuditKind::CatalogRestore => "catalog_restore",
            AuditKind::CatalogDraftSaved => "catalog_draft_saved",
            AuditKind::CatalogReload => "catalog_reload",
            AuditKind::ApprovalDecided => "approval_decided",
            AuditKind::RequestCancelled => "request_cancelled",
            AuditKind::RequestRetried => "request_retried",
            AuditKind::SecretRevealed => "secret_revealed",
            AuditKind::SignIn => "sign_in",
            AuditKind::SignOut => "sign_out",
            AuditKind::SettingChanged => "setting_changed",
            AuditKind::TokenCreated => "token_created",
            AuditKind::TokenRevoked => "token_revoked",
            AuditKind::RequestSubmitted => "request_submitted",
            AuditKind::BaselineSet => "baseline_set",
            AuditKind::BaselineRemoved => "baseline_removed",
            AuditKind::PulseStarted => "pulse_started",
            AuditKind::PulseStopped => "pulse_stopped",
        }
    }

    pub fn parse(s: &str) -> Option<AuditKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Who acted: a person (with the channel or service acting for them, if any), or Runway itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: Option<i64>,
    pub name: String,
    pub via: Option<String>,
}

tokio::task_local! {
    /// The channel a call came through when it is not the portal (`token:12 ci-bot`), set by the
    /// API around each call: every event a use case records while serving it names it, without
    /// each use case being told.
    pub static VIA: String;
}

impl Actor {
    /// `user`, acting through the channel of the call being served (see [`VIA`]), if any.
    pub fn person(user: &User) -> Self {
        Self {
            user_id: Some(user.id),
            name: user.name.clone(),
            via: VIA.try_with(Clone::clone).ok(),
        }
    }

    /// Runway itself: a reload at start or on SIGHUP, an expiry.
    pub fn system() -> Self {
        Self {
            user_id: None,
            name: "Runway".to_string(),
            via: None,
        }
    }

    /// The same person acting through another channel or service (`slack`, `token:ci-bot`).
    pub fn via(mut self, via: impl Into<String>) -> Self {
        self.via = Some(via.into());
        self
    }
}

/// One event to record.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    pub actor: Actor,
    pub kind: AuditKind,
    /// `action:<id>`, `request:<id>`, `user:<id>`, `setting:<key>`.
    pub object: String,
    pub before: Option<String>,
    pub after: Option<String>,
    /// Small JSON object (a note, a comment, a decision). Never a secret.
    pub detail: Option<serde_json::Value>,
}

impl AuditEvent {
    pub fn new(actor: Actor, kind: AuditKind, object: impl Into<String>) -> Self {
        Self {
            actor,
            kind,
            object: object.into(),
            before: None,
            after: None,
            detail: None,
        }
    }

    pub fn hashes(mut self, before: Option<String>, after: Option<String>) -> Self {
        self.before = before;
        self.after = after;
        self
    }

    pub fn detail(mut self, detail: serde_json::Value) -> Self {
        self.detail = Some(detail);
        self
    }
}

/// Appends `event` to the audit log.
pub async fn record(db: &Db, event: &AuditEvent) -> Result<(), DbError> {
    sql::insert(
        db,
        &NewAuditRow {
            at: Utc::now(),
            actor_id: event.actor.user_id,
            actor_name: &event.actor.name,
            via: event.actor.via.as_deref(),
            kind: event.kind.as_str(),
            object: &event.object,
            before_hash: event.before.as_deref(),
            after_hash: event.after.as_deref(),
            detail: event.detail.as_ref().map(ToString::to_string),
        },
    )
    .await
}

/// Records `event`, logging (never returning) a failure: for callers whose change already happened
/// and must not be reported as failed because its audit row could not be written.
pub async fn record_or_log(db: &Db, event: &AuditEvent) {
    if let Err(e) = record(db, event).await {
        tracing::error!(kind = event.kind.as_str(), object = %event.object, "cannot write the audit log: {e}");
    }
}

/// Records a reload of the catalogue from its files by `actor` (Runway itself at start and on
/// SIGHUP): before and after are the two snapshots' fingerprints, the detail names the actions
/// added, changed and removed.
pub async fn record_reload(db: &Db, actor: Actor, report: &ReloadReport) {
    let event = AuditEvent::new(actor, AuditKind::CatalogReload, "catalog")
        .hashes(
            Some(report.before_hash.clone()),
            Some(report.after_hash.clone()),
        )
        .detail(serde_json::json!({
            "added": report.added,
            "changed": report.changed,
            "removed": report.removed,
            "problems": report.problems,
        }));
    record_or_log(db, &event).await;
}
