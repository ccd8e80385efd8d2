//! The handle shared by the web layer and the commands: settings, database and catalogue.

use crate::catalog::CatalogStore;
use crate::config::{ConfigError, Settings};
use crate::crypto::{KeyError, SecretBox};
use crate::db::Db;
use crate::queue::Queue;
use std::sync::Arc;

/// Everything a request handler needs. Cheap to clone.
#[derive(Clone)]
pub struct Runway {
    pub settings: Arc<Settings>,
    pub db: Db,
    pub catalog: Arc<CatalogStore>,
    /// The job queue; in-process workers share its wake-up.
    pub queue: Queue,
    /// Seals secret inputs and outputs at rest.
    pub secrets: Arc<SecretBox>,
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
        Ok(Self {
            settings: Arc::new(settings),
            db,
            catalog,
            queue,
            secrets,
        })
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
