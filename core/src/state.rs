//! The handle shared by the web layer and the commands: settings, database and catalogue.

use crate::auth::recent::Recent;
use crate::catalog::CatalogStore;
use crate::config::{ConfigError, Settings};
use crate::crypto::{KeyError, SecretBox};
use crate::db::users::{self, Identity};
use crate::db::{Db, DbError};
use crate::queue::Queue;
use runway_domain::user::User;
use std::sync::Arc;

/// Everything a request handler needs. Cheap to clone: one reference count ([`RunwayInner`] behind
/// an `Arc`); every page and call takes a copy or several.
#[derive(Clone)]
pub struct Runway(Arc<RunwayInner>);

impl std::ops::Deref for Runway {
    type Target = RunwayInner;
    fn deref(&self) -> &RunwayInner {
        &self.0
    }
}

/// What [`Runway`] holds.
pub struct RunwayInner {
    pub settings: Arc<Settings>,
    pub db: Db,
    pub catalog: Arc<CatalogStore>,
    /// The job queue; in-process workers share its wake-up.
    pub queue: Queue,
    /// Seals secret inputs and outputs at rest.
    pub secrets: Arc<SecretBox>,
    /// Signed-in users read in the last `auth.session_cache` (see [`crate::auth::recent`]).
    users: Arc<Recent<i64, User>>,
    /// Impact reports computed in the last minute, per period.
    pub impact: Arc<crate::impact::Cache>,
    /// The action versions waiting for approval, with their policies, read in the last
    /// `auth.session_cache` (the navigation's approvals badge; see
    /// [`crate::requests::approvals_count`]). Forgotten when a request starts waiting here.
    pub(crate) waiting_versions: Arc<Recent<(), crate::requests::WaitingVersions>>,
}

impl Runway {
    /// Fails only when the secrets key is unusable (malformed, or its file cannot be created).
    pub fn new(settings: Settings, db: Db) -> Result<Self, KeyError> {
        let secrets = Arc::new(SecretBox::load(
            settings.secrets_key.expose(),
            &settings.data_dir,
        )?);
        let catalog = Arc::new(CatalogStore::new(settings.catalog_dir.clone(), db.clone()));
        let queue = Queue::new(db.clone());
        let users = Arc::new(Recent::new(settings.auth.session_cache));
        let waiting_versions = Arc::new(Recent::new(settings.auth.session_cache));
        Ok(Self(Arc::new(RunwayInner {
            users,
            waiting_versions,
            impact: Arc::default(),
            settings: Arc::new(settings),
            db,
            catalog,
            queue,
            secrets,
        })))
    }
}

impl Runway {
    /// The user with `id` and their teams, as read from the database at most `auth.session_cache`
    /// ago: every signed-in request asks for it.
    pub async fn user(&self, id: i64) -> Result<Option<User>, DbError> {
        if let Some(user) = self.users.get(&id) {
            return Ok(Some(user));
        }
        let user = users::load(&self.db, id).await?;
        if let Some(u) = &user {
            self.users.put(id, u.clone());
        }
        Ok(user)
    }

    /// The person (never a service account) who signed in with this e-mail address, as they are
    /// now: how Slack and Jira users become Runway users.
    pub async fn person_by_email(&self, email: &str) -> Result<Option<User>, DbError> {
        match users::by_email(&self.db, email).await? {
            Some(id) => self.user(id).await,
            None => Ok(None),
        }
    }

    /// Drops `id` from the recent-users cache (its teams just changed here).
    pub fn forget_user(&self, id: i64) {
        self.users.forget(&id);
    }

    /// Reads the catalogue again from its files and records the reload in the audit log as done by
    /// `actor` (Runway itself at start and on SIGHUP, the person whose change wrote the files).
    /// A failed reload keeps the previous catalogue and records nothing.
    pub async fn reload_catalog(
        &self,
        actor: crate::audit::Actor,
    ) -> Result<crate::catalog::ReloadReport, crate::catalog::ReloadError> {
        let report = self.catalog.reload().await?;
        crate::audit::record_reload(&self.db, actor, &report).await;
        Ok(report)
    }

    /// Records a sign-in (see [`crate::auth::sign_in`]); the user's requests here see the teams
    /// it brought at once.
    pub async fn sign_in(&self, identity: &Identity) -> Result<User, DbError> {
        let user = crate::auth::sign_in(&self.db, identity).await?;
        self.users.put(user.id, user.clone());
        Ok(user)
    }
}

/// The start-up checks that need more than the settings' data: a configured `secrets_key` must be
/// a usable key. Run by the commands right after the settings are read, so a bad key is a
/// configuration error like any other.
pub fn check_settings(settings: &Settings) -> Result<(), ConfigError> {
    let key = settings.secrets_key.expose();
    if key.is_empty() {
        return Ok(());
    }
    SecretBox::from_base64(key)
        .map(drop)
        .map_err(|e| ConfigError::Invalid(format!("secrets_key (RUNWAY_SECRETS_KEY): {e}")))
}
