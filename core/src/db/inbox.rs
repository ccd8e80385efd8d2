//! SQL for the two inboxes: requests waiting for the caller's approval, and open manual requests
//! the caller's teams fulfil. The database filters, counts and pages (newest first, keyset on the
//! id, `before`), so one request of the caller's is never hidden behind thousands of others'.
//!
//! Lists (action versions, action ids, teams) are bound as one JSON array of strings and unpacked
//! in SQL (`json_each` on SQLite, `jsonb_array_elements_text` on Postgres), so each query has a
//! fixed number of parameters however long the lists are.

use super::requests::{RequestRow, ROW};
use super::{in_list, json_list, Db, DbError};
use crate::on_pool;

/// Whom the approvals inbox is for, as the caller's permissions translate into SQL.
#[derive(Debug, Clone, Default)]
pub struct ApproverScope {
    pub user_id: i64,
    /// Action versions (`"<action id> <content hash>"`) approved by leads of the request's team.
    pub lead_versions: Vec<String>,
    /// The teams the caller leads.
    pub lead_teams: Vec<String>,
    /// Action versions whose approval groups include one of the caller's teams.
    pub group_versions: Vec<String>,
}

impl ApproverScope {
    /// No request can match: the caller leads no team that has lead-approved versions waiting,
    /// and none of their teams is an approval group of a waiting version. Most callers, on most
    /// pages (the navigation counts every page shows), so the query is skipped.
    fn is_empty(&self) -> bool {
        (self.lead_versions.is_empty() || self.lead_teams.is_empty())
            && self.group_versions.is_empty()
    }
}

/// Whom the fulfilment inbox is for.
#[derive(Debug, Clone, Default)]
pub struct FulfillerScope {
    /// Admins fulfil every manual action.
    pub everything: bool,
    /// Otherwise the actions owned by the caller's teams (from the current catalogue).
    pub actions: Vec<String>,
}

impl FulfillerScope {
    /// Not an admin and no team of theirs owns an action: nothing to fulfil, no query needed.
    fn is_empty(&self) -> bool {
        !self.everything && self.actions.is_empty()
    }
}

/// The condition on `r` for requests `scope` may decide on now (parameters `$1` to `$4`).
fn approvable(db: &Db) -> String {
    format!(
        "r.status = 'pending_approval'
         AND (r.requester_id IS NULL OR r.requester_id <> $1)
         AND (r.made_by IS NULL OR r.made_by <> $1)
         AND NOT EXISTS (SELECT 1 FROM request_approvals d WHERE d.request_id = r.id AND d.approver_id = $1)
         AND ((r.action_id || ' ' || r.action_hash) IN {lead_versions} AND r.team IN {lead_teams}
              OR (r.action_id || ' ' || r.action_hash) IN {group_versions})",
        lead_versions = in_list(db, 2),
        lead_teams = in_list(db, 3),
        group_versions = in_list(db, 4),
    )
}

/// Distinct action versions (`(action id, content hash, spec JSON)`) of the requests waiting for
/// approval: few, however many requests wait.
#[tracing::instrument(skip_all)]
pub async fn pending_versions(db: &Db) -> Result<Vec<(String, String, String)>, DbError> {
    Ok(
        on_pool!(db, pool => sqlx::query_as::<_, (String, String, String)>(
        "SELECT v.action_id, v.content_hash, v.spec
         FROM (SELECT DISTINCT action_id, action_hash FROM requests WHERE status = 'pending_approval') p
         JOIN action_versions v ON v.action_id = p.action_id AND v.content_hash = p.action_hash"
    ).fetch_all(pool).await)?,
    )
}

/// One page of the requests `scope` may decide on, newest first, older than `before` if given.
#[tracing::instrument(skip_all)]
pub async fn approvals_page(
    db: &Db,
    scope: &ApproverScope,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<RequestRow>, DbError> {
    if scope.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "{ROW} WHERE {} AND r.id < $5 ORDER BY r.id DESC LIMIT $6",
        approvable(db)
    );
    Ok(on_pool!(db, pool => sqlx::query_as::<_, RequestRow>(&sql)
        .bind(scope.user_id)
        .bind(json_list(&scope.lead_versions))
        .bind(json_list(&scope.lead_teams))
        .bind(json_list(&scope.group_versions))
        .bind(before.unwrap_or(i64::MAX))
        .bind(limit)
        .fetch_all(pool).await)?)
}

/// How many requests `scope` may decide on.
#[tracing::instrument(skip_all)]
pub async fn approvals_count(db: &Db, scope: &ApproverScope) -> Result<i64, DbError> {
    if scope.is_empty() {
        return Ok(0);
    }
    let sql = format!("SELECT COUNT(*) FROM requests r WHERE {}", approvable(db));
    Ok(on_pool!(db, pool => sqlx::query_scalar::<_, i64>(&sql)
        .bind(scope.user_id)
        .bind(json_list(&scope.lead_versions))
        .bind(json_list(&scope.lead_teams))
        .bind(json_list(&scope.group_versions))
        .fetch_one(pool).await)?)
}

/// The condition on `r` for open manual requests `scope` fulfils (parameters `$1`, `$2`).
fn fulfillable(db: &Db) -> String {
    format!(
        "r.executor = 'manual' AND r.status IN ('queued', 'running')
         AND ($1 OR r.action_id IN {actions})",
        actions = in_list(db, 2),
    )
}

/// One page of the open manual requests `scope` fulfils, newest first, older than `before`.
#[tracing::instrument(skip_all)]
pub async fn fulfil_page(
    db: &Db,
    scope: &FulfillerScope,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<RequestRow>, DbError> {
    if scope.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "{ROW} WHERE {} AND r.id < $3 ORDER BY r.id DESC LIMIT $4",
        fulfillable(db)
    );
    Ok(on_pool!(db, pool => sqlx::query_as::<_, RequestRow>(&sql)
        .bind(scope.everything)
        .bind(json_list(&scope.actions))
        .bind(before.unwrap_or(i64::MAX))
        .bind(limit)
        .fetch_all(pool).await)?)
}

/// How many open manual requests `scope` fulfils: `(all, not yet taken)`.
#[tracing::instrument(skip_all)]
pub async fn fulfil_counts(db: &Db, scope: &FulfillerScope) -> Result<(i64, i64), DbError> {
    if scope.is_empty() {
        return Ok((0, 0));
    }
    let sql = format!(
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN r.assignee_id IS NULL THEN 1 ELSE 0 END), 0)
         FROM requests r WHERE {}",
        fulfillable(db)
    );
    Ok(on_pool!(db, pool => sqlx::query_as::<_, (i64, i64)>(&sql)
        .bind(scope.everything)
        .bind(json_list(&scope.actions))
        .fetch_one(pool).await)?)
}
