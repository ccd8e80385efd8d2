//! Who may do what with a request. Every use case asks here before it acts; the web layer asks here
//! to decide what a page offers. An invisible request is indistinguishable from a missing one.

use crate::db::requests::{self as sql, RequestRow};
use crate::db::DbError;
use crate::state::Runway;
use runway_domain::spec::{ActionSpec, ApprovalPolicy};
use runway_domain::user::User;

/// Why a request cannot be shown.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    /// No such request, or the caller may not see it.
    #[error("no such request, or the caller may not see it")]
    NotFound,
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Request `id` if `user` may see it; [`AccessError::NotFound`] otherwise. Every use case about
/// one request starts here.
pub async fn visible(rw: &Runway, user: &User, id: i64) -> Result<RequestRow, AccessError> {
    match sql::get(&rw.db, id).await? {
        Some(row) if may_see(rw, user, &row) => Ok(row),
        _ => Err(AccessError::NotFound),
    }
}

/// May `user` see this request? The requester, members of the request's team, members of the team
/// that owns the action (they fulfil it), and admins.
pub fn may_see(rw: &Runway, user: &User, row: &RequestRow) -> bool {
    if user.is_admin || row.requester_id == Some(user.id) {
        return true;
    }
    let in_team = |t: &str| user.teams.iter().any(|m| m.team == t);
    if row.team.as_deref().is_some_and(in_team) {
        return true;
    }
    owner_of(rw, &row.action_id).is_some_and(|o| in_team(&o))
}

/// The team that owns (and fulfils) an action, from the current catalogue.
pub fn owner_of(rw: &Runway, action_id: &str) -> Option<String> {
    rw.catalog
        .snapshot()
        .actions
        .get(action_id)
        .map(|a| a.spec.owner.to_string())
}

/// May `user` fulfil this manual request? Members of the owning team, and admins.
pub fn may_fulfil(rw: &Runway, user: &User, row: &RequestRow) -> bool {
    user.is_admin
        || owner_of(rw, &row.action_id).is_some_and(|o| user.teams.iter().any(|m| m.team == o))
}

/// May `user` approve (or reject) this request under `policy`? Never their own request; team-lead
/// policies need a lead of the request's team; group policies a member of one of the groups.
pub fn may_approve(policy: &ApprovalPolicy, user: &User, row: &RequestRow) -> bool {
    row.status == "pending_approval" && is_approver(policy, user, row)
}

/// Is `user` one of the people `policy` asks to decide on this request, whatever its status now?
/// Nobody approves their own request, nor one made with a service token they made.
pub fn is_approver(policy: &ApprovalPolicy, user: &User, row: &RequestRow) -> bool {
    if row.requester_id == Some(user.id) || row.made_by == Some(user.id) {
        return false;
    }
    match policy {
        ApprovalPolicy::None => false,
        ApprovalPolicy::TeamLead { .. } => row
            .team
            .as_deref()
            .is_some_and(|t| user.teams.iter().any(|m| m.team == t && m.is_lead)),
        ApprovalPolicy::Groups { groups, .. } => {
            user.teams.iter().any(|m| groups.contains(&m.team))
        }
    }
}

/// May `user` cancel this request? The requester, a lead of the request's team, and admins, while
/// it is not final.
pub fn may_cancel(user: &User, row: &RequestRow) -> bool {
    is_open(row) && may_cancel_any(user, row)
}

/// Has the request not finished yet?
pub fn is_open(row: &RequestRow) -> bool {
    row.status
        .parse::<runway_domain::request::RequestStatus>()
        .is_ok_and(|s| !s.is_final())
}

/// Is `user` one who may cancel this request while it is open: its requester, a lead of its team,
/// or an admin?
pub fn may_cancel_any(user: &User, row: &RequestRow) -> bool {
    user.is_admin
        || row.requester_id == Some(user.id)
        || row
            .team
            .as_deref()
            .is_some_and(|t| user.teams.iter().any(|m| m.team == t && m.is_lead))
}

/// May `user` retry this failed request? Admins and members of the team that owns the action.
pub fn may_retry(rw: &Runway, user: &User, row: &RequestRow) -> bool {
    row.status == "failed" && row.executor != "manual" && may_fulfil(rw, user, row)
}

/// The approval the request needed under the action version it was submitted against (none when
/// the policy's `when` did not hold for its inputs).
pub async fn policy_of(rw: &Runway, row: &RequestRow) -> Result<ApprovalPolicy, DbError> {
    let spec: Option<ActionSpec> =
        crate::db::catalog::version_spec(&rw.db, &row.action_id, &row.action_hash)
            .await?
            .and_then(|j| serde_json::from_str(&j).ok());
    let inputs: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&row.inputs).unwrap_or_default();
    Ok(spec.map_or(ApprovalPolicy::None, |s| s.approval_for(&inputs)))
}
