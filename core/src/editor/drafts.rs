//! Drafts: an action's YAML saved from the editor without publishing it. One per action id (a new
//! action's too); visible to admins and the owning team, saved by those who may edit. A draft need
//! not be valid yet: it is the work in progress. Publishing the action discards its draft.

use super::{may_edit, may_read, EditError};
use crate::audit::{self, Actor, AuditEvent, AuditKind};
use crate::db::catalog::{self as sql, DraftRow};
use crate::state::Runway;
use chrono::Utc;
use runway_domain::edit::EditDoc;
use runway_domain::ids::{ActionId, TeamName};
use runway_domain::user::User;

/// A draft's text may be at most this long (the loader's limit for action files).
pub const MAX_DRAFT: usize = crate::catalog::MAX_FILE_BYTES as usize;

/// Saves `yaml` as the draft of the action it names. The id and owner must be readable, since they
/// decide who sees the draft; the rest may still have problems.
pub async fn save(
    rw: &Runway,
    user: &User,
    yaml: &str,
    base: Option<String>,
) -> Result<String, EditError> {
    if !super::may_create(user) {
        return Err(EditError::Forbidden);
    }
    if yaml.len() > MAX_DRAFT {
        return Err(EditError::BadValue(format!(
            "the draft is longer than {MAX_DRAFT} bytes"
        )));
    }
    let doc = EditDoc::from_yaml(yaml).ok_or_else(|| {
        EditError::BadValue("the draft is not YAML with an id and an owner yet".to_string())
    })?;
    let id = ActionId::parse(doc.id.trim())
        .map_err(|e| EditError::BadValue(format!("id: {e}")))?
        .to_string();
    let owner = TeamName::parse(doc.owner.trim())
        .map_err(|e| EditError::BadValue(format!("owner: {e}")))?
        .to_string();
    if !may_edit(user, &owner) {
        return Err(EditError::Forbidden);
    }
    // An existing action's owners decide too: a draft cannot take an action away from its team.
    if let Some(current) = rw.catalog.snapshot().actions.get(&id) {
        if !may_edit(user, current.spec.owner.as_str()) {
            return Err(EditError::Forbidden);
        }
    }
    if let Some(existing) = sql::draft(&rw.db, &id).await? {
        if !may_edit(user, &existing.owner) {
            return Err(EditError::Forbidden);
        }
    }
    sql::save_draft(
        &rw.db,
        &DraftRow {
            action_id: id.clone(),
            source: yaml.to_string(),
            base_hash: base.filter(|b| !b.is_empty()),
            owner,
            saved_by: user.id,
            saved_at: Utc::now(),
        },
    )
    .await?;
    audit::record_or_log(
        &rw.db,
        &AuditEvent::new(
            Actor::person(user),
            AuditKind::CatalogDraftSaved,
            format!("action:{id}"),
        )
        .hashes(None, Some(super::base_of(yaml))),
    )
    .await;
    Ok(id)
}

/// The draft of `id`, if there is one and `user` may read it.
pub async fn get(rw: &Runway, user: &User, id: &str) -> Result<Option<DraftRow>, EditError> {
    Ok(sql::draft(&rw.db, id)
        .await?
        .filter(|d| may_read(user, &d.owner)))
}

/// The drafts `user` may read, newest first.
pub async fn list(rw: &Runway, user: &User) -> Result<Vec<DraftRow>, EditError> {
    Ok(sql::drafts(&rw.db)
        .await?
        .into_iter()
        .filter(|d| may_read(user, &d.owner))
        .collect())
}

/// Drops the draft of `id` (it was published).
pub(crate) async fn discard(rw: &Runway, id: &str) -> Result<(), EditError> {
    sql::delete_draft(&rw.db, id).await?;
    Ok(())
}
