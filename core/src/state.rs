//! The handle shared by the web layer and the commands: settings, database and catalogue.

use crate::catalog::CatalogStore;
use crate::config::Settings;
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
        let secrets = Arc::new(SecretBox::from_settings(&settings)?);
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
