//! The catalogue: loading the action files, the in-memory snapshot the portal serves from, and
//! recording what was loaded in the database.
//!
//! Loading never stops at a broken file: every file is read and validated, broken ones are skipped
//! with their problems recorded, and the rest of the catalogue loads. Each loaded action gets a content
//! hash over its YAML and (for scripts) the script itself, so a request can record exactly which
//! version it ran. [`CatalogStore::reload`] swaps in a new snapshot atomically (at start and on SIGHUP).

pub mod git;
pub mod history;
mod load;

pub use history::{action_history, ActionHistoryError, VersionPair};
pub use load::{check_source, load_dir, CatalogDirError, MAX_FILE_BYTES};

use crate::db::catalog::{self as sql, ActionRecord};
use crate::db::{Db, DbError};
use chrono::{DateTime, Utc};
use runway_domain::problem::Problem;
use runway_domain::spec::{ActionSpec, LifecycleStatus, Visibility};
use runway_domain::view::{ActionCard, ActionDetail, ActionLink, FieldPreview};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};

/// One action as loaded from its file.
#[derive(Debug, Clone)]
pub struct LoadedAction {
    pub spec: ActionSpec,
    /// File name relative to the catalogue directory.
    pub file: String,
    /// Hex SHA-256 over the YAML text and, for script actions, the script's bytes.
    pub content_hash: String,
    /// The YAML text as read.
    pub source: String,
    /// The description rendered to sanitised HTML.
    pub description_html: String,
}

/// A complete, immutable view of the catalogue at one load.
#[derive(Debug, Clone)]
pub struct Catalog {
    /// Actions by id.
    pub actions: BTreeMap<String, Arc<LoadedAction>>,
    /// Problems of the files that were skipped (and of duplicates), and of loaded actions whose
    /// `lifecycle.replacement` names no action (those still load).
    pub problems: Vec<Problem>,
    /// How many action files were read.
    pub files_read: usize,
    pub loaded_at: DateTime<Utc>,
}

impl Catalog {
    /// The title people read for action `id`; the id itself when the action has left the
    /// catalogue (old requests keep their history).
    pub fn title_of(&self, id: &str) -> String {
        self.actions
            .get(id)
            .map(|a| a.spec.title.clone())
            .unwrap_or_else(|| id.to_string())
    }
}

/// Who is looking, as far as the catalogue cares: which teams they are in, and whether they may see
/// everything. Sign-in fills this in; until then the portal uses [`Viewer::everyone`].
#[derive(Debug, Clone, Default)]
pub struct Viewer {
    pub teams: Vec<String>,
    pub sees_everything: bool,
}

impl Viewer {
    /// A viewer that sees every action, beta ones included.
    pub fn everyone() -> Self {
        Self {
            teams: Vec::new(),
            sees_everything: true,
        }
    }

    /// May this viewer open the action's history page? Admins and members of the owning team.
    pub fn may_see_history(&self, spec: &ActionSpec) -> bool {
        self.sees_everything || self.teams.iter().any(|t| t == spec.owner.as_str())
    }

    pub fn may_see(&self, spec: &ActionSpec) -> bool {
        match &spec.visible_to {
            Visibility::All => true,
            Visibility::Teams(teams) => {
                self.sees_everything
                    || teams
                        .iter()
                        .any(|t| self.teams.iter().any(|v| v == t.as_str()))
            }
        }
    }
}

impl Catalog {
    pub fn empty() -> Self {
        Self {
            actions: BTreeMap::new(),
            problems: Vec::new(),
            files_read: 0,
            loaded_at: Utc::now(),
        }
    }

    /// Cards for every action `viewer` may see, ordered by category then title. Retired actions
    /// have no card, for anyone: their pages still open by link (history, past requests).
    pub fn cards_for(&self, viewer: &Viewer) -> Vec<ActionCard> {
        let mut cards: Vec<ActionCard> = self
            .actions
            .values()
            .filter(|a| viewer.may_see(&a.spec))
            .filter(|a| a.spec.lifecycle.status != LifecycleStatus::Retired)
            .map(|a| ActionCard::from(&a.spec))
            .collect();
        cards.sort_by(|a, b| (&a.category, &a.title).cmp(&(&b.category, &b.title)));
        cards
    }

    /// The action page for `id`, or `None` when it does not exist *or* `viewer` may not see it
    /// (the two are indistinguishable on purpose).
    pub fn detail_for(&self, id: &str, viewer: &Viewer) -> Option<ActionDetail> {
        let action = self.actions.get(id).filter(|a| viewer.may_see(&a.spec))?;
        let spec = &action.spec;
        Some(ActionDetail {
            figures: None,
            card: ActionCard::from(spec),
            description_html: action.description_html.clone(),
            replaces: spec.replaces.clone(),
            approval: spec.approval_in_words(),
            executor: spec.run.kind().in_words().to_string(),
            timeout: spec.timeout.to_string(),
            retries: spec.retries,
            beta_teams: match &spec.visible_to {
                Visibility::All => Vec::new(),
                Visibility::Teams(t) => t.iter().map(ToString::to_string).collect(),
            },
            fields: spec.inputs.iter().map(FieldPreview::from).collect(),
            version: action.content_hash.chars().take(12).collect(),
            inputs: spec.inputs.clone(),
            teams: viewer.teams.clone(),
            form_key: String::new(),
            may_edit: false,
            lifecycle: spec.lifecycle.status,
            replacement: self.replacement_for(spec, viewer),
            lifecycle_note: spec.lifecycle.note.clone(),
            history: viewer.may_see_history(spec),
        })
    }

    /// The action to use instead of `spec`, when it names one that exists and `viewer` may see.
    pub fn replacement_for(&self, spec: &ActionSpec, viewer: &Viewer) -> Option<ActionLink> {
        let id = spec.lifecycle.replacement.as_ref()?;
        let other = self
            .actions
            .get(id.as_str())
            .filter(|a| viewer.may_see(&a.spec))?;
        Some(ActionLink {
            id: id.to_string(),
            title: other.spec.title.clone(),
        })
    }
}

impl Catalog {
    /// A SHA-256 over the sorted `(id, content_hash)` pairs of the loaded actions: equal for two
    /// snapshots with the same actions in the same versions, whatever else differs.
    pub fn fingerprint(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut hasher = Sha256::new();
        // `actions` is a BTreeMap: already in id order.
        for (id, action) in &self.actions {
            hasher.update(id.as_bytes());
            hasher.update([0]);
            hasher.update(action.content_hash.as_bytes());
            hasher.update([b'\n']);
        }
        format!("{:x}", hasher.finalize())
    }
}

/// What changed between two loads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReloadReport {
    pub added: Vec<String>,
    pub changed: Vec<String>,
    pub removed: Vec<String>,
    pub problems: usize,
    /// [`Catalog::fingerprint`] of the snapshot replaced and of the new one: the audit log's
    /// before and after for a reload.
    pub before_hash: String,
    pub after_hash: String,
}

/// Failures of a reload as a whole (a single broken file is not one of them).
#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    #[error(transparent)]
    Dir(#[from] CatalogDirError),
    #[error("cannot record the catalogue in the database: {0}")]
    Db(#[from] DbError),
    #[error("cannot encode an action spec: {0}")]
    Encode(serde_json::Error),
    #[error("catalogue loading stopped unexpectedly")]
    Join,
}

/// The live catalogue: the current snapshot plus what is needed to reload it.
pub struct CatalogStore {
    dir: PathBuf,
    db: Db,
    current: RwLock<Arc<Catalog>>,
    /// Serialises reloads so two SIGHUPs cannot interleave their database writes.
    reload_lock: tokio::sync::Mutex<()>,
    /// Serialises publishes from the portal: check the file, write it, reload (`crate::editor`).
    edit_lock: tokio::sync::Mutex<()>,
    /// Reloads that failed (the previous catalogue stayed), for the metrics.
    failed_reloads: std::sync::atomic::AtomicU64,
}

impl CatalogStore {
    pub fn new(dir: PathBuf, db: Db) -> Self {
        Self {
            dir,
            db,
            current: RwLock::new(Arc::new(Catalog::empty())),
            reload_lock: tokio::sync::Mutex::new(()),
            edit_lock: tokio::sync::Mutex::new(()),
            failed_reloads: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// How many reloads failed in this process (the directory could not be read, or the database
    /// refused the result); each kept the previous catalogue.
    pub fn failed_reloads(&self) -> u64 {
        self.failed_reloads
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Held by a publish from the portal from reading the current file to the reload after writing it.
    pub async fn edit_guard(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.edit_lock.lock().await
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The current snapshot. Cheap: clones an `Arc`.
    pub fn snapshot(&self) -> Arc<Catalog> {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Reads the directory into the snapshot without recording anything in the database: for
    /// read-only commands (`runway report impact`) that only need titles and owners.
    pub async fn read_only(&self) -> Result<(), ReloadError> {
        let dir = self.dir.clone();
        let catalog = tokio::task::spawn_blocking(move || load_dir(&dir))
            .await
            .map_err(|_| ReloadError::Join)??;
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(catalog);
        Ok(())
    }

    /// Reads the directory again, records the result in the database, then swaps the snapshot.
    /// Broken files are reported in the snapshot's problems and logged; the rest loads.
    pub async fn reload(&self) -> Result<ReloadReport, ReloadError> {
        self.reload_with(None).await
    }

    /// [`CatalogStore::reload`], recording `change` as the author of its action's new version
    /// (a publish from the portal) instead of "found in the files".
    #[tracing::instrument(skip_all, fields(dir = %self.dir.display()))]
    pub async fn reload_with(
        &self,
        change: Option<&sql::ChangeMeta>,
    ) -> Result<ReloadReport, ReloadError> {
        let result = self.load_and_swap(change).await;
        if result.is_err() {
            self.failed_reloads
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        result
    }

    async fn load_and_swap(
        &self,
        change: Option<&sql::ChangeMeta>,
    ) -> Result<ReloadReport, ReloadError> {
        let _guard = self.reload_lock.lock().await;
        let dir = self.dir.clone();
        let catalog = tokio::task::spawn_blocking(move || load_dir(&dir))
            .await
            .map_err(|_| ReloadError::Join)??;
        let mut records: Vec<ActionRecord<'_>> = Vec::with_capacity(catalog.actions.len());
        for a in catalog.actions.values() {
            records.push(ActionRecord {
                id: a.spec.id.as_str(),
                content_hash: &a.content_hash,
                file: &a.file,
                title: &a.spec.title,
                category: &a.spec.category,
                owner: a.spec.owner.as_str(),
                spec_json: serde_json::to_string(&a.spec).map_err(ReloadError::Encode)?,
                source: &a.source,
            });
        }
        sql::sync(
            &self.db,
            &records,
            &catalog.problems,
            catalog.loaded_at,
            change,
        )
        .await?;

        let previous = self.snapshot();
        let mut report = ReloadReport {
            problems: catalog.problems.len(),
            before_hash: previous.fingerprint(),
            after_hash: catalog.fingerprint(),
            ..Default::default()
        };
        for (id, action) in &catalog.actions {
            match previous.actions.get(id) {
                None => report.added.push(id.clone()),
                Some(old) if old.content_hash != action.content_hash => {
                    report.changed.push(id.clone())
                }
                Some(_) => {}
            }
        }
        report.removed = previous
            .actions
            .keys()
            .filter(|id| !catalog.actions.contains_key(*id))
            .cloned()
            .collect();
        for p in &catalog.problems {
            tracing::error!(file = %p.file, line = ?p.line, field = %p.field, "catalogue problem: {}", p.message);
        }
        let actions = catalog.actions.len();
        // Served first, then announced: whoever reads "catalogue loaded" gets the new catalogue.
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(catalog);
        tracing::info!(
            actions,
            added = report.added.len(),
            changed = report.changed.len(),
            removed = report.removed.len(),
            problems = report.problems,
            "catalogue loaded"
        );
        Ok(report)
    }
}

#[cfg(test)]
mod tests;
