//! tower-sessions' store over Runway's own database, so sessions survive restarts and are shared by
//! every `serve` replica. The cookie carries only the random session id, and the table only its
//! SHA-256 ([`id_hash`]): reading the database (a backup, a replica) does not hand out sessions.

use super::recent::Recent;
use crate::db::{sessions as sql, Db};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::Arc;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{Error, Result, SessionStore};

/// Records read or written in the last `auth.session_cache` are served from memory (see
/// [`super::recent`]); every write goes to the database first.
#[derive(Clone)]
pub struct DbSessionStore {
    db: Db,
    recent: Arc<Recent<String, Record>>,
}

impl std::fmt::Debug for DbSessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DbSessionStore").finish_non_exhaustive()
    }
}

impl DbSessionStore {
    pub fn new(db: Db, cache_for: std::time::Duration) -> Self {
        Self {
            db,
            recent: Arc::new(Recent::new(cache_for)),
        }
    }

    /// Deletes expired sessions every `period`, for the life of the process.
    pub fn spawn_cleanup(&self, period: std::time::Duration) {
        let db = self.db.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(period);
            loop {
                tick.tick().await;
                match sql::delete_expired(&db, Utc::now()).await {
                    Ok(0) => {}
                    Ok(n) => tracing::debug!(sessions = n, "expired sessions deleted"),
                    Err(e) => tracing::warn!(error = %e, "cannot delete expired sessions"),
                }
            }
        });
    }
}

/// The key a session is stored under: the SHA-256, in hex, of its id as the cookie carries it.
/// Ids are 128 random bits, so a plain hash (no salt, no stretching) cannot be reversed or guessed.
pub fn id_hash(cookie_value: &str) -> String {
    use sha2::{Digest, Sha256};
    format!("{:x}", Sha256::digest(cookie_value.as_bytes()))
}

fn key(id: &Id) -> String {
    id_hash(&id.to_string())
}

fn expiry(record: &Record) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(record.expiry_date.unix_timestamp(), 0).unwrap_or_else(Utc::now)
}

fn encode(record: &Record) -> Result<String> {
    serde_json::to_string(&record.data).map_err(|e| Error::Encode(e.to_string()))
}

fn backend(e: impl std::fmt::Display) -> Error {
    Error::Backend(e.to_string())
}

#[async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> Result<()> {
        let data = encode(record)?;
        // Ids are 128 random bits; a collision is astronomically unlikely, but never overwrite one.
        loop {
            let hash = key(&record.id);
            if sql::insert(&self.db, &hash, &data, expiry(record))
                .await
                .map_err(backend)?
            {
                self.recent.put(hash, record.clone());
                return Ok(());
            }
            record.id = Id::default();
        }
    }

    async fn save(&self, record: &Record) -> Result<()> {
        let hash = key(&record.id);
        // Dropped first: should the write fail, no stale copy outlives it.
        self.recent.forget(&hash);
        sql::upsert(&self.db, &hash, &encode(record)?, expiry(record))
            .await
            .map_err(backend)?;
        self.recent.put(hash, record.clone());
        Ok(())
    }

    async fn load(&self, id: &Id) -> Result<Option<Record>> {
        let hash = key(id);
        if let Some(record) = self.recent.get(&hash) {
            if record.expiry_date > time::OffsetDateTime::now_utc() {
                return Ok(Some(record));
            }
            self.recent.forget(&hash);
        }
        let Some((data, expiry)) = sql::load(&self.db, &hash, Utc::now())
            .await
            .map_err(backend)?
        else {
            return Ok(None);
        };
        let data = serde_json::from_str(&data).map_err(|e| Error::Decode(e.to_string()))?;
        let expiry_date = time::OffsetDateTime::from_unix_timestamp(expiry.timestamp())
            .map_err(|e| Error::Decode(e.to_string()))?;
        let record = Record {
            id: *id,
            data,
            expiry_date,
        };
        self.recent.put(hash, record.clone());
        Ok(Some(record))
    }

    async fn delete(&self, id: &Id) -> Result<()> {
        let hash = key(id);
        self.recent.forget(&hash);
        sql::delete(&self.db, &hash).await.map_err(backend)
    }
}
