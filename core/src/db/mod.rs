//! The database: one handle over SQLite or Postgres, chosen once from the URL.
//!
//! All SQL lives under this module. Queries are written once where the SQL is portable (sqlx accepts
//! `$1` placeholders on both backends) and dispatched with [`on_pool!`]; a backend-specific query is
//! written only where the semantics differ. Each backend has its own migration folder with the same
//! numbering (`migrations/sqlite`, `migrations/postgres`).

pub mod action_history;
pub mod api_streams;
pub mod approvals;
pub mod audit;
pub mod catalog;
pub mod discover;
pub mod history;
pub mod impact;
pub mod inbox;
pub mod jira;
pub mod jobs;
pub mod metrics;
pub mod notify;
pub mod rate_limits;
pub mod requests;
#[cfg(feature = "bench")]
pub mod seed;
pub mod sessions;
pub mod stats;
pub mod tokens;
pub mod users;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};
use std::os::unix::fs::DirBuilderExt;
use std::str::FromStr;
use std::time::Duration;

/// The backend a database URL selects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// `postgres://…` and `postgresql://…` are Postgres; anything else (`sqlite:…`) is SQLite.
pub fn backend_of(url: &str) -> Backend {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Backend::Postgres
    } else {
        Backend::Sqlite
    }
}

/// A pooled connection to Runway's database.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs the same body against whichever pool `db` holds. The body is compiled once per backend, so
/// it must only use SQL and types both support.
#[macro_export]
macro_rules! on_pool {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite($pool) => $body,
            $crate::db::Db::Postgres($pool) => $body,
        }
    };
}

/// `(SELECT …)` listing the strings of the JSON array bound as parameter `$n`, for `col IN …` on
/// this backend (bind it with [`json_list`]): one statement for any number of values.
pub(crate) fn in_list(db: &Db, n: u8) -> String {
    match db {
        Db::Sqlite(_) => format!("(SELECT value FROM json_each(${n}))"),
        Db::Postgres(_) => format!("(SELECT jsonb_array_elements_text(CAST(${n} AS jsonb)))"),
    }
}

/// A list of strings as the JSON array [`in_list`] reads (and list columns store).
pub(crate) fn json_list(items: &[String]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".to_string())
}

/// Database failures. Details are for logs; users are shown a generic message.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot open the database at {url}: {source}")]
    Connect { url: String, source: sqlx::Error },
    #[error("cannot prepare the database's directory or files at {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error("migrations failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error(transparent)]
    Query(#[from] sqlx::Error),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

/// Makes the database file and its WAL and shared-memory files 0600, whatever the umask was when
/// SQLite created them (SQLite gives files it creates later the database file's mode).
fn restrict_sqlite_files(file: &std::path::Path) -> Result<(), DbError> {
    use std::os::unix::fs::PermissionsExt;
    if file.as_os_str().is_empty() || file.as_os_str() == ":memory:" {
        return Ok(());
    }
    for suffix in ["", "-wal", "-shm"] {
        let mut name = file.as_os_str().to_os_string();
        name.push(suffix);
        let path = std::path::PathBuf::from(name);
        match std::fs::metadata(&path) {
            Ok(meta) if meta.permissions().mode() & 0o777 != 0o600 => {
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).map_err(
                    |source| DbError::DataDir {
                        path: path.display().to_string(),
                        source,
                    },
                )?;
            }
            _ => {}
        }
    }
    Ok(())
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/postgres");

impl Db {
    /// Opens a pool for `url`. SQLite files (and their directory) are created when missing, with WAL,
    /// foreign keys, a busy timeout and `synchronous=FULL` so a commit survives power loss.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Db, DbError> {
        let shown = crate::config::redact_url(url);
        match backend_of(url) {
            Backend::Sqlite => {
                let options = SqliteConnectOptions::from_str(url)
                    .map_err(|source| DbError::Connect {
                        url: shown.clone(),
                        source,
                    })?
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Full)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(10));
                let file = options.get_filename().to_path_buf();
                if let Some(parent) = file.parent() {
                    if !parent.as_os_str().is_empty() {
                        std::fs::DirBuilder::new()
                            .recursive(true)
                            .mode(0o700)
                            .create(parent)
                            .map_err(|source| DbError::DataDir {
                                path: parent.display().to_string(),
                                source,
                            })?;
                    }
                }
                // No ping before handing out a connection: an SQLite connection is a file handle
                // in this process and cannot drop like a network peer, and the ping is a round trip
                // to the connection's worker thread on every query (measured: docs/benchmarks.md).
                let pool = SqlitePoolOptions::new()
                    .max_connections(max_connections)
                    .test_before_acquire(false)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(options)
                    .await
                    .map_err(|source| DbError::Connect { url: shown, source })?;
                restrict_sqlite_files(&file)?;
                Ok(Db::Sqlite(pool))
            }
            Backend::Postgres => {
                let options =
                    PgConnectOptions::from_str(url).map_err(|source| DbError::Connect {
                        url: shown.clone(),
                        source,
                    })?;
                let pool = PgPoolOptions::new()
                    .max_connections(max_connections)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(options)
                    .await
                    .map_err(|source| DbError::Connect { url: shown, source })?;
                Ok(Db::Postgres(pool))
            }
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite(_) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// The statement opening a transaction that reads before it writes (`pool.begin_with(..)`).
    /// SQLite takes the write lock at once (`BEGIN IMMEDIATE`), waiting for it under the busy
    /// timeout: a deferred transaction that read first cannot become a writer once another
    /// connection has committed since, and fails with "database is locked" at once, whatever the
    /// busy timeout (a chatty script writing its log is enough). Postgres: a plain `BEGIN`.
    pub(crate) fn begin_write(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "BEGIN IMMEDIATE",
            Db::Postgres(_) => "BEGIN",
        }
    }

    /// Applies pending migrations for this backend.
    #[tracing::instrument(skip_all)]
    pub async fn migrate(&self) -> Result<(), DbError> {
        match self {
            Db::Sqlite(pool) => SQLITE_MIGRATIONS.run(pool).await?,
            Db::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await?,
        }
        Ok(())
    }

    /// True when every migration this build knows has been applied (for `/readyz`).
    #[tracing::instrument(skip_all)]
    pub async fn migrations_applied(&self) -> Result<bool, DbError> {
        let migrator = match self {
            Db::Sqlite(_) => &SQLITE_MIGRATIONS,
            Db::Postgres(_) => &POSTGRES_MIGRATIONS,
        };
        let expected = migrator.iter().map(|m| m.version).max().unwrap_or(0);
        let applied: Option<i64> = on_pool!(self, pool => sqlx::query_scalar(
            "SELECT MAX(version) FROM _sqlx_migrations WHERE success"
        ).fetch_one(pool).await)?;
        Ok(applied == Some(expected))
    }

    /// A cheap round trip, proving the database answers.
    #[tracing::instrument(skip_all)]
    pub async fn ping(&self) -> Result<(), DbError> {
        on_pool!(self, pool => sqlx::query("SELECT 1").execute(pool).await.map(|_| ()))?;
        Ok(())
    }

    /// Connections open in the pool, how many of them are idle, and the most it may open.
    pub fn pool_use(&self) -> (u32, usize, u32) {
        on_pool!(self, pool => (pool.size(), pool.num_idle(), pool.options().get_max_connections()))
    }

    pub async fn close(&self) {
        on_pool!(self, pool => pool.close().await)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;

    #[test]
    fn the_backend_is_chosen_once_from_the_effective_database_url() {
        let defaults = Settings::load(None, Vec::new()).expect("defaults load");
        assert_eq!(
            backend_of(&defaults.effective_database_url()),
            Backend::Sqlite
        );
        let postgres = Settings::load(
            None,
            vec![(
                "RUNWAY_DATABASE_URL".to_string(),
                "postgres://runway:pw@db/runway".to_string(),
            )],
        )
        .expect("valid env");
        assert_eq!(
            backend_of(&postgres.effective_database_url()),
            Backend::Postgres
        );
        assert_eq!(backend_of("postgresql://db/x"), Backend::Postgres);
    }

    /// Both dialects must reach the same schema version through the same steps: a migration added
    /// to one folder only would leave the other backend behind without any other test noticing.
    #[test]
    fn both_migration_folders_list_the_same_migrations() {
        let list = |m: &sqlx::migrate::Migrator| {
            m.iter()
                .map(|m| (m.version, m.description.to_string()))
                .collect::<Vec<_>>()
        };
        let sqlite = list(&SQLITE_MIGRATIONS);
        let postgres = list(&POSTGRES_MIGRATIONS);
        assert!(!sqlite.is_empty(), "migrations are embedded");
        assert_eq!(
            sqlite, postgres,
            "migrations/sqlite and migrations/postgres must hold the same numbered files"
        );
    }
}
