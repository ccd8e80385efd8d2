//! Approvals: deciding on a request that waits for approval, and the approver's inbox.

use super::access::{is_approver, may_approve, may_see, policy_of};
use crate::audit::{self, Actor, AuditEvent, AuditKind};
use crate::db::approvals::{self as db, Decided, Decision};
use crate::db::inbox::{self, ApproverScope};
use crate::db::requests as sql;
use crate::db::DbError;
use crate::state::Runway;
use runway_domain::spec::{ActionSpec, ApprovalPolicy};
use runway_domain::user::User;
use runway_domain::view::InboxPage;
use std::sync::Arc;

/// Why a decision was not taken.
#[derive(Debug, thiserror::Error)]
pub enum DecideError {
    /// No such request, or the caller may not see it.
    #[error("no such request, or the caller may not see it")]
    NotFound,
    /// The caller may see it but not decide (their own request, or not an approver).
    #[error("the caller may not decide on this request")]
    NotAllowed,
    /// Not waiting for approval any more.
    #[error("the request is not waiting for approval")]
    NotPending,
    /// The caller already decided.
    #[error("the caller already decided")]
    AlreadyDecided,
    #[error(transparent)]
    Db(#[from] DbError),
}

/// The longest comment a decision takes, in bytes.
pub const MAX_COMMENT: usize = 5_000;

/// What is wrong with a decision's comment, in words for the decider: too long, or missing on a
/// rejection (the requester needs to know what to change). Every channel checks with this.
pub fn comment_problem(decision: Decision, comment: &str) -> Option<&'static str> {
    if comment.len() > MAX_COMMENT {
        Some("Keep the comment under 5,000 characters.")
    } else if decision == Decision::Reject && comment.trim().is_empty() {
        Some("A rejection needs a comment, so the requester knows what to change.")
    } else {
        None
    }
}

/// Records an approval or rejection by `user`, with a comment.
pub async fn decide(
    rw: &Runway,
    user: &User,
    id: i64,
    decision: Decision,
    comment: &str,
) -> Result<Decided, DecideError> {
    let row = sql::get(&rw.db, id).await?.ok_or(DecideError::NotFound)?;
    let policy = policy_of(rw, &row).await?;
    // Approvers may see what they are asked to approve; one who comes second (the request already
    // moved on) is told it is too late, not that the request does not exist.
    if !(may_see(rw, user, &row) || is_approver(&policy, user, &row)) {
        return Err(DecideError::NotFound);
    }
    if row.status != "pending_approval" {
        return Err(DecideError::NotPending);
    }
    if !may_approve(&policy, user, &row) {
        return Err(DecideError::NotAllowed);
    }
    let decided = db::decide(
        &rw.db,
        id,
        user.id,
        decision,
        comment,
        approvals_needed(&policy),
        crate::queue::now_ms(),
    )
    .await?;
    match decided {
        Decided::NotPending => Err(DecideError::NotPending),
        Decided::AlreadyDecided => Err(DecideError::AlreadyDecided),
        other => {
            if matches!(other, Decided::Approved { queued: true, .. }) {
                rw.queue.wake();
            }
            let after = match other {
                Decided::Approved { queued: true, .. } => "queued",
                Decided::Rejected => "rejected",
                _ => "pending_approval",
            };
            let event = AuditEvent::new(
                Actor::person(user),
                AuditKind::ApprovalDecided,
                format!("request:{id}"),
            )
            .hashes(Some(row.status.clone()), Some(after.to_string()))
            .detail(serde_json::json!({
                "decision": match decision {
                    Decision::Approve => "approve",
                    Decision::Reject => "reject",
                },
                "comment": comment,
            }));
            audit::record_or_log(&rw.db, &event).await;
            Ok(other)
        }
    }
}

/// Has `user` already decided on request `id`?
pub(super) async fn has_decided(rw: &Runway, user: &User, id: i64) -> Result<bool, DbError> {
    Ok(db::decisions(&rw.db, id)
        .await?
        .iter()
        .any(|(who, _)| *who == user.id))
}

/// How many inbox rows one page shows.
pub const INBOX_PAGE: i64 = 50;

/// The action versions (`"<action id> <content hash>"`) of the requests waiting for approval, with
/// their approval policies.
pub type WaitingVersions = Arc<Vec<(String, ApprovalPolicy)>>;

/// Reads [`WaitingVersions`] from the database.
async fn waiting_versions(rw: &Runway) -> Result<WaitingVersions, DbError> {
    let mut out = Vec::new();
    for (action_id, hash, spec) in inbox::pending_versions(&rw.db).await? {
        let Ok(spec) = serde_json::from_str::<ActionSpec>(&spec) else {
            continue;
        };
        out.push((format!("{action_id} {hash}"), spec.approval));
    }
    Ok(Arc::new(out))
}

/// The caller's approval rights as the database filters by them: the versions of the waiting
/// requests' actions (few), with their policies, sorted into those the caller's teams decide on
/// as leads and as members of an approving group.
fn approver_scope(user: &User, versions: &[(String, ApprovalPolicy)]) -> ApproverScope {
    let mut scope = ApproverScope {
        user_id: user.id,
        lead_teams: user
            .teams
            .iter()
            .filter(|m| m.is_lead)
            .map(|m| m.team.clone())
            .collect(),
        ..ApproverScope::default()
    };
    for (version, policy) in versions {
        match policy {
            ApprovalPolicy::None => {}
            ApprovalPolicy::TeamLead { .. } => scope.lead_versions.push(version.clone()),
            ApprovalPolicy::Groups { groups, .. } => {
                if user.teams.iter().any(|m| groups.contains(&m.team)) {
                    scope.group_versions.push(version.clone());
                }
            }
        }
    }
    scope
}

/// [`approver_scope`] from the database, as the approvals page needs it (never from memory).
async fn live_scope(rw: &Runway, user: &User) -> Result<ApproverScope, DbError> {
    if user.teams.is_empty() {
        // Neither a lead nor in any approving group: nothing to read.
        return Ok(approver_scope(user, &[]));
    }
    Ok(approver_scope(user, &waiting_versions(rw).await?))
}

/// One page of the requests `user` may decide on now (not their own, not decided by them yet),
/// newest first, older than `before` if given.
pub async fn approvals_inbox(
    rw: &Runway,
    user: &User,
    before: Option<i64>,
) -> Result<InboxPage, DbError> {
    let scope = live_scope(rw, user).await?;
    let rows = inbox::approvals_page(&rw.db, &scope, before, INBOX_PAGE + 1).await?;
    let total = inbox::approvals_count(&rw.db, &scope).await?;
    Ok(super::inbox_page(rw, rows, total))
}

/// How many requests wait for `user`'s decision (the navigation badge, on every page).
///
/// The waiting versions come from memory when read less than `auth.session_cache` ago: most
/// people approve nothing, and then the badge costs no query at all. Versions kept that no longer
/// wait only make the count query run (it reads the requests themselves); a version that started
/// waiting since is missed for at most that long, and not at all when the request was made on this
/// process (submitting forgets the list).
pub async fn approvals_count(rw: &Runway, user: &User) -> Result<i64, DbError> {
    if user.teams.is_empty() {
        return Ok(0);
    }
    let versions = match rw.waiting_versions.get(&()) {
        Some(v) => v,
        None => {
            let v = waiting_versions(rw).await?;
            rw.waiting_versions.put((), v.clone());
            v
        }
    };
    inbox::approvals_count(&rw.db, &approver_scope(user, &versions)).await
}

fn approvals_needed(policy: &ApprovalPolicy) -> i64 {
    match policy {
        ApprovalPolicy::None => 0,
        ApprovalPolicy::TeamLead { count } | ApprovalPolicy::Groups { count, .. } => {
            i64::from(*count)
        }
    }
}
