//! Managing the catalogue from the portal: publishing an action's YAML into the catalogue directory
//! (and a git commit when it is a repository), drafts, rollback, rollout and lifecycle changes.
//!
//! The catalogue directory stays the source of truth. A publish validates the text with every check
//! the loader makes ([`crate::catalog::check_source`]), refuses when the file changed since the
//! editor read it (a conflict, never a silent overwrite) or has uncommitted changes in git, writes it
//! atomically (temporary file and rename), commits it, and reloads the catalogue recording who
//! changed what and why (`action_changes`, and the audit log).
//!
//! - [`drafts`]: saving and reading drafts (one per action id), visible to admins and the owning team.
//!
//! Who may edit: admins, and leads of the action's owning team (of both the old and the new owner
//! when a change moves an action to another team). How an action runs (`run`) is the admins' alone:
//! a lead's publish keeps the current `run`, and a lead's new action is a manual one. Members of the owning team may read drafts and
//! history.

pub mod drafts;

use crate::audit::{self, Actor, AuditEvent, AuditKind};
use crate::catalog::git::{self, GitError};
use crate::catalog::{check_source, ReloadError};
use crate::db::catalog::{self as catalog_sql, ChangeMeta};
use crate::db::DbError;
use crate::state::Runway;
use runway_domain::edit::{splice, EditDoc};
use runway_domain::problem::Problem;
use runway_domain::spec::Visibility;
use runway_domain::user::User;
use sha2::{Digest, Sha256};
use std::path::Path;

/// The longest change note kept (a commit message, not an essay).
pub const MAX_NOTE: usize = 2_000;

/// Why a catalogue change happened, as stored in `action_changes.kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    Publish,
    Rollback,
    Rollout,
    Deprecate,
    Retire,
    Restore,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Publish => "publish",
            ChangeKind::Rollback => "rollback",
            ChangeKind::Rollout => "rollout",
            ChangeKind::Deprecate => "deprecate",
            ChangeKind::Retire => "retire",
            ChangeKind::Restore => "restore",
        }
    }

    fn audit_kind(self) -> AuditKind {
        match self {
            ChangeKind::Publish => AuditKind::CatalogPublish,
            ChangeKind::Rollback => AuditKind::CatalogRollback,
            ChangeKind::Rollout => AuditKind::CatalogRollout,
            ChangeKind::Deprecate => AuditKind::CatalogDeprecate,
            ChangeKind::Retire => AuditKind::CatalogRetire,
            ChangeKind::Restore => AuditKind::CatalogRestore,
        }
    }
}

/// Every way a catalogue change can be refused or fail. Variants carry data; the web layer words them.
#[derive(Debug, thiserror::Error)]
pub enum EditError {
    /// No such action, or the caller may not see it.
    #[error("no such action")]
    NotFound,
    /// The caller may see the action but not change it (or not give it to that team).
    #[error("not allowed to change this action")]
    Forbidden,
    /// The text is not a valid action; every problem, located.
    #[error("the action has {} problem(s)", .0.len())]
    Invalid(Vec<Problem>),
    /// The file changed since the editor read it (or a new action's id is taken).
    #[error("the action changed since it was opened")]
    Conflict {
        /// The file as it is now (empty when it was removed).
        current: String,
        /// The base to send to publish over it deliberately.
        current_base: String,
    },
    /// The catalogue is a git repository and the file has uncommitted changes.
    #[error("{file} has uncommitted changes in the catalogue's git repository")]
    Dirty { file: String },
    /// Only admins set or change how an action runs (`run`); leads create manual actions.
    #[error("only admins may change how an action runs")]
    RunNeedsAdmin,
    #[error("a change note is required")]
    NoteRequired,
    #[error("the change note is longer than {MAX_NOTE} characters")]
    NoteTooLong,
    /// A value of a rollout or lifecycle form is not usable (the problem says which).
    #[error("invalid value: {0}")]
    BadValue(String),
    #[error("cannot write the catalogue file: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Git(#[from] GitError),
    #[error(transparent)]
    Reload(#[from] ReloadError),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// What the editor starts from: the file as it is on disk now, and its base token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// The action's file name in the catalogue directory.
    pub file: String,
    pub text: String,
    /// [`base_of`] the text: sent back with a publish to detect concurrent changes.
    pub base: String,
    /// The owning team as the file names it (read leniently: a broken file still has one).
    pub owner: String,
}

impl Source {
    /// A publish of `yaml` over this file of action `id`.
    fn replaced_by(&self, id: &str, yaml: String, note: String, kind: ChangeKind) -> Publish {
        Publish {
            yaml,
            original_id: Some(id.to_string()),
            base: Some(self.base.clone()),
            note,
            kind,
        }
    }
}

/// The token a publish compares to detect a concurrent change: SHA-256 of the file's text.
pub fn base_of(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// May `user` change an action owned by `owner`?
pub fn may_edit(user: &User, owner: &str) -> bool {
    user.is_admin || user.leads(owner)
}

/// May `user` read drafts and history of an action owned by `owner`?
pub fn may_read(user: &User, owner: &str) -> bool {
    user.is_admin || user.is_member(owner)
}

/// The action file's name for `id`: the one the snapshot loaded, or an existing `<id>.yml`, or
/// `<id>.yaml`.
fn file_for(rw: &Runway, id: &str) -> String {
    if let Some(a) = rw.catalog.snapshot().actions.get(id) {
        return a.file.clone();
    }
    let yml = format!("{id}.yml");
    if rw.catalog.dir().join(&yml).is_file() {
        yml
    } else {
        format!("{id}.yaml")
    }
}

fn read_file(dir: &Path, file: &str) -> Result<Option<String>, EditError> {
    match std::fs::read_to_string(dir.join(file)) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(EditError::Io(e)),
    }
}

/// The action's file as `user` may edit it now. `NotFound` when there is no such file or the user
/// may not read it; `Forbidden` when they may read but not edit.
pub fn source_for_edit(rw: &Runway, user: &User, id: &str) -> Result<Source, EditError> {
    let source = source_to_read(rw, user, id)?;
    if !may_edit(user, &source.owner) {
        return Err(EditError::Forbidden);
    }
    Ok(source)
}

/// The action's file, for those who may read it (admins and the owning team).
fn source_to_read(rw: &Runway, user: &User, id: &str) -> Result<Source, EditError> {
    if runway_domain::ids::ActionId::parse(id).is_err() {
        return Err(EditError::NotFound);
    }
    let file = file_for(rw, id);
    let text = read_file(rw.catalog.dir(), &file)?.ok_or(EditError::NotFound)?;
    let owner = owner_in(rw, id, &text);
    if !may_read(user, &owner) {
        return Err(EditError::NotFound);
    }
    Ok(Source {
        file,
        base: base_of(&text),
        text,
        owner,
    })
}

/// The owner of action `id`: as loaded, or as its (possibly broken) text names it.
fn owner_in(rw: &Runway, id: &str, text: &str) -> String {
    rw.catalog
        .snapshot()
        .actions
        .get(id)
        .map(|a| a.spec.owner.to_string())
        .or_else(|| EditDoc::from_yaml(text).map(|d| d.owner))
        .unwrap_or_default()
}

/// A change to publish.
#[derive(Debug, Clone)]
pub struct Publish {
    pub yaml: String,
    /// The id of the action the editor opened (`None` for a new action): a publish cannot rename.
    pub original_id: Option<String>,
    /// [`Source::base`] of the file the editor started from; `None` for a new action.
    pub base: Option<String>,
    pub note: String,
    pub kind: ChangeKind,
}

/// A published change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    pub id: String,
    pub content_hash: String,
    pub git_commit: Option<String>,
}

/// Publishes `change` into the catalogue directory, commits it when the directory is a git
/// repository, reloads the catalogue and records the change.
pub async fn publish(rw: &Runway, user: &User, change: Publish) -> Result<Published, EditError> {
    // Who asks comes first: a developer learns nothing about the text they sent.
    if !may_create(user) {
        return Err(EditError::Forbidden);
    }
    let note = change.note.trim().to_string();
    if note.is_empty() {
        return Err(EditError::NoteRequired);
    }
    if note.chars().count() > MAX_NOTE {
        return Err(EditError::NoteTooLong);
    }
    let dir = rw.catalog.dir().to_path_buf();
    // The id decides the file; the full check below reports a missing or bad id with the rest.
    let id = EditDoc::from_yaml(&change.yaml)
        .map(|d| d.id.trim().to_string())
        .filter(|id| runway_domain::ids::ActionId::parse(id).is_ok());
    let file = id
        .as_deref()
        .map_or_else(|| "action.yaml".to_string(), |id| file_for(rw, id));
    let checked = {
        let (dir, file, yaml) = (dir.clone(), file.clone(), change.yaml.clone());
        tokio::task::spawn_blocking(move || check_source(&dir, &file, &file, yaml))
            .await
            .map_err(|_| EditError::Reload(ReloadError::Join))?
    };
    let action = checked.map_err(EditError::Invalid)?;
    let id = action.spec.id.to_string();
    if let Some(original) = change.original_id.as_deref().filter(|o| *o != id) {
        return Err(EditError::BadValue(format!(
            "the id is the action's file name and cannot change from `{original}` to `{id}` here; \
             create a new action with the new id, then retire this one"
        )));
    }
    let new_owner = action.spec.owner.to_string();

    let _guard = rw.catalog.edit_guard().await;
    let current = read_file(&dir, &file)?;
    if let Some(text) = &current {
        let owner = owner_in(rw, &id, text);
        if !may_read(user, &owner) {
            return Err(EditError::NotFound);
        }
        if !may_edit(user, &owner) {
            return Err(EditError::Forbidden);
        }
    }
    if !may_edit(user, &new_owner) {
        return Err(EditError::Forbidden);
    }
    // How an action runs (the script and its arguments, the webhook's address and body, signed
    // with Runway's key) is the platform team's: a lead changes the form, texts and rollout, and
    // creates manual actions.
    if !user.is_admin {
        let current_run = rw
            .catalog
            .snapshot()
            .actions
            .get(&id)
            .map(|a| a.spec.run.clone());
        let allowed = match current_run {
            Some(run) => run == action.spec.run,
            None => matches!(action.spec.run, runway_domain::spec::RunSpec::Manual { .. }),
        };
        if !allowed {
            return Err(EditError::RunNeedsAdmin);
        }
    }
    let before = rw
        .catalog
        .snapshot()
        .actions
        .get(&id)
        .map(|a| a.content_hash.clone());
    let current_base = current.as_deref().map(base_of);
    if current_base != change.base {
        return Err(EditError::Conflict {
            current: current.unwrap_or_default(),
            current_base: current_base.unwrap_or_default(),
        });
    }
    let in_git = git::is_repo(&dir).await;
    if in_git && git::is_dirty(&dir, &file).await? {
        return Err(EditError::Dirty { file });
    }
    write_atomically(&dir, &file, &change.yaml)?;
    let git_commit = if in_git {
        let author = git::author(&user.name, user.email.as_deref(), user.id);
        match git::commit_file(&dir, &file, &author, &note).await {
            Ok(commit) => Some(commit),
            Err(e) => {
                // Put the file back as it was, so the directory and git agree again.
                let restored = match &current {
                    Some(text) => write_atomically(&dir, &file, text),
                    None => std::fs::remove_file(dir.join(&file)),
                };
                if let Err(r) = restored {
                    tracing::error!(
                        file,
                        "cannot restore the catalogue file after git failed: {r}"
                    );
                }
                let _ = git::unstage(&dir, &file).await;
                return Err(EditError::Git(e));
            }
        }
    } else {
        None
    };
    let meta = ChangeMeta {
        action_id: id.clone(),
        kind: change.kind.as_str(),
        actor_id: Some(user.id),
        actor_name: user.name.clone(),
        note: note.clone(),
        git_commit: git_commit.clone(),
    };
    rw.catalog.reload_with(Some(&meta)).await?;
    drafts::discard(rw, &id).await?;
    let content_hash = rw
        .catalog
        .snapshot()
        .actions
        .get(&id)
        .map(|a| a.content_hash.clone())
        .unwrap_or(action.content_hash);
    tracing::info!(action = %id, kind = change.kind.as_str(), commit = ?git_commit, "catalogue change published");
    audit::record_or_log(
        &rw.db,
        &AuditEvent::new(
            Actor::person(user),
            change.kind.audit_kind(),
            format!("action:{id}"),
        )
        .hashes(before, Some(content_hash.clone()))
        .detail(serde_json::json!({ "note": note, "git_commit": git_commit })),
    )
    .await;
    Ok(Published {
        id,
        content_hash,
        git_commit,
    })
}

/// Writes `text` to `dir/file` through a temporary file in the same directory and a rename, so a
/// reader (a reload, a replica) never sees half a file. Dot-files are ignored by the loader.
fn write_atomically(dir: &Path, file: &str, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let tmp = dir.join(format!(".{file}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, dir.join(file))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Publishes an earlier version's YAML again, as a new change with `note`.
pub async fn rollback(
    rw: &Runway,
    user: &User,
    id: &str,
    content_hash: &str,
    note: &str,
) -> Result<Published, EditError> {
    let current = source_for_edit(rw, user, id)?;
    let old = catalog_sql::version_source(&rw.db, id, content_hash)
        .await?
        .ok_or(EditError::NotFound)?;
    publish(
        rw,
        user,
        current.replaced_by(id, old, note.to_string(), ChangeKind::Rollback),
    )
    .await
}

/// Changes who sees the action: everyone (`all`), or the early-adopter teams listed.
pub async fn rollout(
    rw: &Runway,
    user: &User,
    id: &str,
    visible_to: &str,
    note: &str,
) -> Result<Published, EditError> {
    let current = source_for_edit(rw, user, id)?;
    let teams = runway_domain::edit::split_list(visible_to);
    let visibility = if teams.is_empty() || teams == ["all"] {
        Visibility::All
    } else {
        let mut parsed = Vec::new();
        for t in &teams {
            parsed.push(
                runway_domain::ids::TeamName::parse(t)
                    .map_err(|e| EditError::BadValue(format!("`{t}`: {e}")))?,
            );
        }
        Visibility::Teams(parsed)
    };
    let (block, words) = match &visibility {
        Visibility::All => ("visible_to: all\n".to_string(), "everyone".to_string()),
        Visibility::Teams(t) => {
            let names: Vec<&str> = t.iter().map(|t| t.as_str()).collect();
            (
                format!("visible_to: [{}]\n", names.join(", ")),
                format!("early adopters: {}", names.join(", ")),
            )
        }
    };
    let note = if note.trim().is_empty() {
        format!("Rollout: {words}")
    } else {
        note.to_string()
    };
    let yaml = splice(&current.text, "visible_to", Some(&block));
    publish(
        rw,
        user,
        current.replaced_by(id, yaml, note, ChangeKind::Rollout),
    )
    .await
}

/// Marks the action active, deprecated or retired, with an optional replacement and note.
pub async fn set_lifecycle(
    rw: &Runway,
    user: &User,
    id: &str,
    status: &str,
    replacement: &str,
    note: &str,
) -> Result<Published, EditError> {
    let current = source_for_edit(rw, user, id)?;
    let (kind, block) = match status {
        "active" => (ChangeKind::Restore, None),
        "deprecated" | "retired" => {
            let mut block = format!("lifecycle:\n  status: {status}\n");
            let replacement = replacement.trim();
            if !replacement.is_empty() {
                runway_domain::ids::ActionId::parse(replacement)
                    .map_err(|e| EditError::BadValue(format!("`{replacement}`: {e}")))?;
                block.push_str(&format!("  replacement: {replacement}\n"));
            }
            if !note.trim().is_empty() {
                block.push_str(&format!(
                    "  note: {}\n",
                    runway_domain::edit::scalar(note.trim())
                ));
            }
            let kind = if status == "retired" {
                ChangeKind::Retire
            } else {
                ChangeKind::Deprecate
            };
            (kind, Some(block))
        }
        other => return Err(EditError::BadValue(format!("unknown status `{other}`"))),
    };
    let note = if note.trim().is_empty() {
        format!("Lifecycle: {status}")
    } else {
        note.to_string()
    };
    let yaml = splice(&current.text, "lifecycle", block.as_deref());
    publish(rw, user, current.replaced_by(id, yaml, note, kind)).await
}

/// May `user` create actions at all (admins, and leads of some team for their teams)?
pub fn may_create(user: &User) -> bool {
    user.is_admin || user.teams.iter().any(|m| m.is_lead)
}

/// What the editor opens for action `id`.
#[derive(Debug, Clone)]
pub struct Opened {
    pub source: Source,
    /// The saved draft the text comes from, if any.
    pub draft: Option<catalog_sql::DraftRow>,
    /// The caller may read (a member of the owning team) but not change or publish it.
    pub read_only: bool,
}

/// What the editor opens for action `id`: its saved draft when there is one, else the file as it is
/// now. Members of the owning team may open it to read; admins and its leads to change it.
pub async fn open(rw: &Runway, user: &User, id: &str) -> Result<Opened, EditError> {
    let draft = drafts::get(rw, user, id).await?;
    let source = match (source_to_read(rw, user, id), &draft) {
        (Ok(source), Some(d)) => Source {
            text: d.source.clone(),
            base: d.base_hash.clone().unwrap_or(source.base.clone()),
            owner: d.owner.clone(),
            ..source
        },
        (Ok(source), None) => source,
        // A new action that exists only as a draft.
        (Err(EditError::NotFound), Some(d)) => Source {
            file: format!("{id}.yaml"),
            text: d.source.clone(),
            base: d.base_hash.clone().unwrap_or_default(),
            owner: d.owner.clone(),
        },
        (Err(e), _) => return Err(e),
    };
    let current_owner = rw
        .catalog
        .snapshot()
        .actions
        .get(id)
        .map(|a| a.spec.owner.to_string());
    let read_only =
        !may_edit(user, &source.owner) || current_owner.is_some_and(|o| !may_edit(user, &o));
    Ok(Opened {
        source,
        draft,
        read_only,
    })
}

/// Every problem publishing `yaml` would meet (the loader's checks included: the id matching the file
/// name, the script existing). For the editor's live check; `Forbidden` for people who edit nothing.
pub async fn check(rw: &Runway, user: &User, yaml: String) -> Result<Vec<Problem>, EditError> {
    if !may_create(user) {
        return Err(EditError::Forbidden);
    }
    let file = EditDoc::from_yaml(&yaml)
        .map(|d| d.id.trim().to_string())
        .filter(|id| runway_domain::ids::ActionId::parse(id).is_ok())
        .map_or_else(|| "action.yaml".to_string(), |id| file_for(rw, &id));
    let dir = rw.catalog.dir().to_path_buf();
    let result = tokio::task::spawn_blocking(move || check_source(&dir, &file, &file, yaml))
        .await
        .map_err(|_| EditError::Reload(ReloadError::Join))?;
    Ok(result.err().unwrap_or_default())
}
