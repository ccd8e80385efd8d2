//! Runway's own files, closed to scripts: the data directory is 0700 and what Runway keeps in it
//! (the SQLite database with its WAL and shared-memory files, `secrets.key`) is 0600, whatever the
//! umask was when they were made. Scripts keep their state elsewhere
//! ([`Settings::script_state_root`]), so nothing a script needs is inside.
//!
//! [`prepare`] runs at the start of `serve`, `worker` and `migrate`, before the database is opened;
//! it also tightens an existing installation and moves the state of the scripts out of
//! `<data_dir>/state`, where earlier versions kept it.

use crate::config::Settings;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Why the data directory could not be made private.
#[derive(Debug, thiserror::Error)]
#[error("{doing} {}: {source}", path.display())]
pub struct DataDirError {
    doing: &'static str,
    path: PathBuf,
    source: std::io::Error,
}

fn failed(doing: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> DataDirError {
    let path = path.to_path_buf();
    move |source| DataDirError {
        doing,
        path,
        source,
    }
}

/// The files Runway keeps private, besides the data directory itself.
fn private_files(settings: &Settings) -> Vec<PathBuf> {
    let mut files = vec![settings.data_dir.join("secrets.key")];
    if let Some(db) = sqlite_file(&settings.effective_database_url()) {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let mut name = db.clone().into_os_string();
            name.push(suffix);
            files.push(PathBuf::from(name));
        }
    }
    files
}

/// The file of a `sqlite:` URL (`sqlite://data/runway.db?mode=rwc` -> `data/runway.db`); `None` for
/// Postgres and in-memory databases.
pub fn sqlite_file(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite:")?;
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
}

/// Creates the data directory (0700) or makes an existing one 0700, makes Runway's files in it
/// 0600, and moves scripts' state left in `<data_dir>/state` to the state root.
pub fn prepare(settings: &Settings) -> Result<(), DataDirError> {
    let dir = &settings.data_dir;
    make_private_dir(dir)?;
    if let Some(parent) = sqlite_file(&settings.effective_database_url())
        .as_deref()
        .and_then(Path::parent)
        .filter(|p| !p.as_os_str().is_empty())
    {
        make_private_dir(parent)?;
    }
    secure_files(settings)?;
    let old_state = dir.join("state");
    let state_root = settings.script_state_root();
    if old_state.is_dir() && !state_root.exists() {
        if let Some(parent) = state_root.parent() {
            std::fs::create_dir_all(parent).map_err(failed("creating", parent))?;
        }
        std::fs::rename(&old_state, &state_root).map_err(failed("moving", &old_state))?;
        tracing::info!(
            from = %old_state.display(),
            to = %state_root.display(),
            "moved the scripts' state out of the data directory"
        );
    }
    Ok(())
}

/// Makes Runway's files (the SQLite database and its companions, `secrets.key`) 0600 where they
/// exist. [`crate::db::Db::connect`] runs it again once SQLite has created its files.
pub fn secure_files(settings: &Settings) -> Result<(), DataDirError> {
    for file in private_files(settings) {
        set_mode(&file, 0o600)?;
    }
    Ok(())
}

fn make_private_dir(dir: &Path) -> Result<(), DataDirError> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(failed("creating", dir))?;
    set_mode(dir, 0o700)
}

/// Sets `mode` on `path` if it exists and has another mode.
fn set_mode(path: &Path, mode: u32) -> Result<(), DataDirError> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.permissions().mode() & 0o7777 == mode => Ok(()),
        Ok(_) => std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
            .map_err(failed("restricting the permissions of", path)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(failed("inspecting", path)(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_name_their_file() {
        assert_eq!(
            sqlite_file("sqlite://data/runway.db"),
            Some(PathBuf::from("data/runway.db"))
        );
        assert_eq!(
            sqlite_file("sqlite:///var/lib/runway/runway.db?mode=rwc"),
            Some(PathBuf::from("/var/lib/runway/runway.db"))
        );
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(sqlite_file("postgres://u@h/db"), None);
    }

    #[test]
    fn an_open_data_directory_and_its_files_are_made_private_and_old_state_moved_out() {
        let top = tempfile::tempdir().expect("dir");
        let data = top.path().join("data");
        std::fs::create_dir(&data).expect("data");
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        for name in ["runway.db", "runway.db-wal", "secrets.key"] {
            std::fs::write(data.join(name), "x").expect("file");
            std::fs::set_permissions(data.join(name), std::fs::Permissions::from_mode(0o644))
                .expect("chmod");
        }
        std::fs::create_dir_all(data.join("state/tls-certificate/ca")).expect("state");
        let mut settings = Settings {
            data_dir: data.clone(),
            ..Settings::default()
        };
        settings.database_url = format!("sqlite://{}", data.join("runway.db").display());

        prepare(&settings).expect("prepared");

        let mode = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode(&data), 0o700);
        for name in ["runway.db", "runway.db-wal", "secrets.key"] {
            assert_eq!(mode(&data.join(name)), 0o600, "{name}");
        }
        assert!(!data.join("state").exists());
        assert!(top.path().join("data-state/tls-certificate/ca").is_dir());
    }
}
