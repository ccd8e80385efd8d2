//! Approvals: deciding on a request that waits for approval, and the approver's inbox.

use super::access::{is_approver, may_approve, may_see, policy_of};
use crate::db::approvals::{self as db, Decided, Decision};
use crate::db::requests as sql;
use crate::db::DbError;
use crate::state::Runway;
use runway_domain::spec::ApprovalPolicy;
use runway_domain::user::User;
use runway_domain::view::InboxItem;
use std::collections::HashMap;

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

/// Requests `user` may approve now (for the approvals inbox and its count).
pub async fn approvals_inbox(rw: &Runway, user: &User) -> Result<Vec<InboxItem>, DbError> {
    let catalog = rw.catalog.snapshot();
    let mut out = Vec::new();
    let mut policies: HashMap<(String, String), ApprovalPolicy> = HashMap::new();
    for r in db::pending(&rw.db).await? {
        let key = (r.action_id.clone(), r.action_hash.clone());
        let policy = match policies.get(&key) {
            Some(p) => p.clone(),
            None => {
                let p = policy_of(rw, &r).await?;
                policies.insert(key, p.clone());
                p
            }
        };
        if !may_approve(&policy, user, &r) || has_decided(rw, user, r.id).await? {
            continue;
        }
        out.push(super::inbox_item(&catalog, r));
    }
    Ok(out)
}

fn approvals_needed(policy: &ApprovalPolicy) -> i64 {
    match policy {
        ApprovalPolicy::None => 0,
        ApprovalPolicy::TeamLead { count } | ApprovalPolicy::Groups { count, .. } => {
            i64::from(*count)
        }
    }
}
