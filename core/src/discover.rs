//! Discover's use cases: store an import of a ticket export, analyse a source's stored tickets with
//! the decisions people made about its groups, and record a decision.
//!
//! Parsing, grouping and ranking are `runway_discover`'s (pure CPU); this module stores and loads.
//! Grouping a large source takes seconds of CPU, so [`analysis`] runs it on the blocking pool, away
//! from the async workers.

use crate::config::{DiscoverSettings, ReporterKeep};
use crate::db::discover::{self as sql, NewImport};
use crate::db::{Db, DbError};
use chrono::Utc;
use runway_discover::cluster::{self, Group};
use runway_discover::decisions::{self, Decision};
use runway_discover::import::Format;
/// How an analysis orders its groups (re-exported for the web layer).
pub use runway_discover::rank::RankBy;
use runway_discover::rank::{self, Report};
use runway_discover::ticket::{ReporterPolicy, Ticket};
use std::collections::HashMap;

/// Whether `user` may use Discover: admins, and members of the teams named in `discover.teams`
/// (the team that owns the catalogue).
pub fn may_discover(settings: &DiscoverSettings, user: &runway_domain::user::User) -> bool {
    user.is_admin || user.teams.iter().any(|m| settings.teams.contains(&m.team))
}

/// What an import keeps of reporters, from the `[discover]` settings.
pub fn reporter_policy(settings: &DiscoverSettings) -> Result<ReporterPolicy, DiscoverError> {
    Ok(match settings.reporters {
        ReporterKeep::Drop => ReporterPolicy::Drop,
        ReporterKeep::Keep => ReporterPolicy::Keep,
        ReporterKeep::Hash if settings.reporter_salt.expose().is_empty() => {
            return Err(DiscoverError::NoSalt)
        }
        ReporterKeep::Hash => ReporterPolicy::Hash {
            salt: settings.reporter_salt.expose().to_string(),
        },
    })
}

/// Why a Discover use case failed.
#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    #[error("a source name must be 1-64 characters: letters, digits, `-`, `_`, `.` or `:`")]
    BadSource,
    #[error("a group's new name must be 1-80 characters")]
    BadLabel,
    #[error("a split needs one word")]
    BadWord,
    #[error("the analysis stopped unexpectedly")]
    Analysis,
    #[error("discover.reporter_salt is required when discover.reporters = \"hash\"")]
    NoSalt,
    #[error("no group {0} in this analysis")]
    NoGroup(String),
    #[error("the catalogue already has a file {0}; finish or rename it first")]
    DraftExists(String),
    #[error("cannot write the draft {path}: {source}")]
    DraftWrite {
        path: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Db(#[from] DbError),
}

/// An import to store.
#[derive(Debug)]
pub struct ImportParams<'a> {
    /// The ticket system; `None`: the format's own (`jira`, `github`, ...).
    pub source: Option<&'a str>,
    pub file_name: &'a str,
    pub format: Format,
    pub tickets: Vec<Ticket>,
    pub rows_skipped: usize,
    pub imported_by: &'a str,
}

/// What an import stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imported {
    pub import_id: i64,
    pub source: String,
    pub rows_ok: usize,
    pub rows_skipped: usize,
    pub tickets_new: i64,
    /// Tickets already stored for the source that this import updated.
    pub tickets_updated: i64,
}

fn check_source(source: &str) -> Result<(), DiscoverError> {
    let ok = !source.is_empty()
        && source.len() <= 64
        && source
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'));
    ok.then_some(()).ok_or(DiscoverError::BadSource)
}

/// Stores an import. Tickets are keyed by (source, key): a key seen twice in one export keeps its
/// last row, and a key already stored is updated, never duplicated.
pub async fn store_import(db: &Db, params: ImportParams<'_>) -> Result<Imported, DiscoverError> {
    let source = params.source.unwrap_or(params.format.system());
    check_source(source)?;
    let rows_ok = params.tickets.len();
    let mut last: HashMap<String, usize> = HashMap::with_capacity(rows_ok);
    for (i, t) in params.tickets.iter().enumerate() {
        last.insert(t.key.clone(), i);
    }
    let tickets: Vec<Ticket> = params
        .tickets
        .into_iter()
        .enumerate()
        .filter(|(i, t)| last.get(&t.key) == Some(i))
        .map(|(_, t)| t)
        .collect();
    let import = NewImport {
        source,
        file_name: params.file_name,
        format: params.format,
        rows_skipped: params.rows_skipped as i64,
        imported_by: params.imported_by,
        at: Utc::now(),
    };
    let (import_id, tickets_new) = sql::store_import(db, &import, &tickets).await?;
    tracing::info!(
        import.id = import_id,
        source,
        rows_ok,
        rows_skipped = params.rows_skipped,
        tickets_new,
        "ticket export imported"
    );
    Ok(Imported {
        import_id,
        source: source.to_string(),
        rows_ok,
        rows_skipped: params.rows_skipped,
        tickets_new,
        tickets_updated: tickets.len() as i64 - tickets_new,
    })
}

/// The sources that hold tickets, with their counts and date ranges.
pub async fn sources(db: &Db) -> Result<Vec<sql::SourceRow>, DiscoverError> {
    Ok(sql::sources(db).await?)
}

/// The imports of `source`, newest first.
pub async fn imports(db: &Db, source: &str) -> Result<Vec<sql::ImportRow>, DiscoverError> {
    Ok(sql::imports(db, source).await?)
}

/// A source's tickets grouped, with its decisions applied, and ranked.
#[derive(Debug, Clone)]
pub struct Analysis {
    pub tickets: Vec<Ticket>,
    pub groups: Vec<Group>,
    pub report: Report,
    /// Stored decisions whose group is not in this analysis (the data changed).
    pub unmatched_decisions: usize,
}

/// Analyses the stored tickets of `source` and applies its stored decisions.
pub async fn analysis(db: &Db, source: &str, by: RankBy) -> Result<Analysis, DiscoverError> {
    let tickets = sql::tickets(db, source).await?;
    let decisions = sql::decisions(db, source).await?;
    tokio::task::spawn_blocking(move || {
        let groups = cluster::cluster(&tickets, &cluster::Options::default());
        let applied = decisions::apply(groups, &decisions, &tickets);
        let report = rank::rank(&tickets, &applied.groups, by);
        Analysis {
            unmatched_decisions: applied.unmatched.len(),
            groups: applied.groups,
            report,
            tickets,
        }
    })
    .await
    .map_err(|_| DiscoverError::Analysis)
}

/// The draft catalogue action (id and YAML) for one of `source`'s groups, owned by `owner`: what
/// [`draft_action`] writes, and what the portal's editor opens as a draft to finish first.
pub async fn draft_of(
    db: &Db,
    source: &str,
    group: &runway_discover::cluster::GroupId,
    owner: &str,
) -> Result<runway_discover::draft::Draft, DiscoverError> {
    use runway_discover::draft::{draft, DraftOptions};
    let analysis = analysis(db, source, RankBy::Waiting).await?;
    let found = analysis
        .groups
        .iter()
        .find(|g| g.id == *group)
        .ok_or_else(|| DiscoverError::NoGroup(group.to_string()))?;
    let figures = analysis.report.groups.iter().find(|g| g.id == *group);
    let options = DraftOptions {
        owner: owner.to_string(),
        ..Default::default()
    };
    Ok(draft(found, figures, &options))
}

/// Writes a draft catalogue action for one of `source`'s groups into `catalog_dir` (as
/// `<id>.yaml`; an existing file is never overwritten) and returns its path. The draft has a
/// manual executor, `replaces` naming the group, and inputs from the group's varying parts; the
/// catalogue loader accepts it as it is, so it shows in the catalogue at the next reload.
pub async fn draft_action(
    db: &Db,
    catalog_dir: &std::path::Path,
    source: &str,
    group: &runway_discover::cluster::GroupId,
    owner: &str,
) -> Result<std::path::PathBuf, DiscoverError> {
    use std::io::Write;
    let d = draft_of(db, source, group, owner).await?;
    let path = catalog_dir.join(format!("{}.yaml", d.id));
    let shown = path.display().to_string();
    // create_new: a draft someone has started to finish is never replaced.
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(|source| match source.kind() {
            std::io::ErrorKind::AlreadyExists => DiscoverError::DraftExists(shown.clone()),
            _ => DiscoverError::DraftWrite {
                path: shown.clone(),
                source,
            },
        })?;
    file.write_all(d.yaml.as_bytes())
        .map_err(|source| DiscoverError::DraftWrite {
            path: shown.clone(),
            source,
        })?;
    tracing::info!(source, group = %group, file = %shown, "draft action written");
    Ok(path)
}

/// Records a decision about one of `source`'s groups; it applies to every later analysis.
pub async fn decide(
    db: &Db,
    source: &str,
    decision: &Decision,
    decided_by: &str,
) -> Result<(), DiscoverError> {
    check_source(source)?;
    match decision {
        Decision::Rename { label, .. } if label.trim().is_empty() || label.chars().count() > 80 => {
            return Err(DiscoverError::BadLabel)
        }
        Decision::Split { word, .. }
            if word.trim().is_empty() || word.split_whitespace().count() != 1 =>
        {
            return Err(DiscoverError::BadWord)
        }
        _ => {}
    }
    sql::insert_decision(db, source, decision, decided_by, Utc::now()).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashing_reporters_needs_a_salt() {
        let mut settings = DiscoverSettings {
            reporters: ReporterKeep::Hash,
            ..Default::default()
        };
        assert!(matches!(
            reporter_policy(&settings),
            Err(DiscoverError::NoSalt)
        ));
        settings.reporter_salt = crate::config::Secret::new("s");
        let policy = reporter_policy(&settings).unwrap();
        assert!(policy.apply(Some("Jane")).unwrap().starts_with("h:"));
        assert!(matches!(
            reporter_policy(&DiscoverSettings::default()),
            Ok(ReporterPolicy::Drop)
        ));
    }

    #[test]
    fn source_names_are_short_plain_words() {
        assert!(check_source("jira").is_ok());
        assert!(check_source("jira:PLAT-prod.2").is_ok());
        assert!(check_source("").is_err());
        assert!(check_source("two words").is_err());
        assert!(check_source(&"x".repeat(65)).is_err());
    }
}

/// Exports waiting for their column map: a CSV Runway cannot read on its own is kept here, private
/// to Runway, between the upload and the mapping form; each is removed once imported, and any left
/// behind after [`STAGED_FOR`].
pub mod staged {
    use std::path::{Path, PathBuf};
    use std::time::Duration;

    /// How long an upload waits for its column map before it is removed.
    pub const STAGED_FOR: Duration = Duration::from_secs(3600);

    fn dir(data_dir: &Path) -> PathBuf {
        data_dir.join("discover-staged")
    }

    /// Where upload `token` is kept. `None` unless `token` is what [`keep`] hands out (32 hex
    /// digits), so a token can never name another path.
    pub fn path(data_dir: &Path, token: &str) -> Option<PathBuf> {
        (token.len() == 32 && token.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| dir(data_dir).join(format!("{token}.csv")))
    }

    /// Removes kept uploads older than [`STAGED_FOR`] (exports may hold people's names: they are not
    /// left lying about). Returns how many were removed.
    pub fn sweep(data_dir: &Path) -> usize {
        let Ok(entries) = std::fs::read_dir(dir(data_dir)) else {
            return 0;
        };
        let mut removed = 0;
        for entry in entries.flatten() {
            let old = entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age > STAGED_FOR);
            if old && std::fs::remove_file(entry.path()).is_ok() {
                removed += 1;
            }
        }
        removed
    }

    /// Sweeps every `period` for the life of the process, so an upload nobody finished is gone
    /// within [`STAGED_FOR`] plus `period` even when no other upload comes.
    pub fn spawn_sweeper(data_dir: PathBuf, period: Duration) {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(period);
            loop {
                tick.tick().await;
                let dir = data_dir.clone();
                match tokio::task::spawn_blocking(move || sweep(&dir)).await {
                    Ok(0) | Err(_) => {}
                    Ok(n) => tracing::info!(uploads = n, "removed unfinished Discover uploads"),
                }
            }
        });
    }

    /// Moves the uploaded file `file` (in `data_dir`) into the staging folder under a new random
    /// token, and removes uploads older than [`STAGED_FOR`]. Returns the token.
    pub fn keep(data_dir: &Path, file: &Path) -> std::io::Result<String> {
        use std::os::unix::fs::DirBuilderExt;
        let dir = dir(data_dir);
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)?;
        sweep(data_dir);
        let token = uuid::Uuid::new_v4().simple().to_string();
        let target = dir.join(format!("{token}.csv"));
        std::fs::rename(file, &target)?;
        Ok(token)
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn a_token_names_a_file_in_the_staging_folder_and_nothing_else() {
            let data = Path::new("/srv/runway");
            let token = "0123456789abcdef0123456789ABCDEF";
            assert_eq!(
                path(data, token),
                Some(PathBuf::from(format!(
                    "/srv/runway/discover-staged/{token}.csv"
                )))
            );
            for bad in [
                "../../etc/passwd",
                "",
                "0123",
                &format!("{token}0"),
                "0123456789abcdef0123456789abcde/",
            ] {
                assert_eq!(path(data, bad), None, "{bad}");
            }
        }

        #[test]
        fn the_sweep_removes_uploads_older_than_an_hour_and_keeps_the_rest() {
            let data = std::env::temp_dir().join(format!("runway-sweep-{}", std::process::id()));
            std::fs::create_dir_all(dir(&data)).unwrap();
            let old = dir(&data).join("0123456789abcdef0123456789abcdef.csv");
            let new = dir(&data).join("fedcba9876543210fedcba9876543210.csv");
            std::fs::write(&old, "a").unwrap();
            std::fs::write(&new, "b").unwrap();
            let two_hours_ago = std::time::SystemTime::now() - Duration::from_secs(7200);
            std::fs::File::options()
                .write(true)
                .open(&old)
                .unwrap()
                .set_modified(two_hours_ago)
                .unwrap();
            assert_eq!(sweep(&data), 1);
            assert!(!old.exists() && new.exists());
            std::fs::remove_dir_all(&data).unwrap();
        }

        #[test]
        fn a_kept_upload_moves_under_its_token() {
            let data = std::env::temp_dir().join(format!("runway-staged-{}", std::process::id()));
            std::fs::create_dir_all(&data).unwrap();
            let upload = data.join("upload.part");
            std::fs::write(&upload, "Subject\nHelp\n").unwrap();
            let token = keep(&data, &upload).unwrap();
            let kept = path(&data, &token).unwrap();
            assert_eq!(std::fs::read_to_string(&kept).unwrap(), "Subject\nHelp\n");
            assert!(!upload.exists());
            std::fs::remove_dir_all(&data).unwrap();
        }
    }
}

/// The mapping form's content for kept upload `token`: the file's columns, and per role (name,
/// label, first guess). `None` when no such upload waits. Reads on the blocking pool.
pub async fn staged_columns(
    data_dir: &std::path::Path,
    token: &str,
) -> Result<Option<StagedColumns>, runway_discover::import::ImportError> {
    let (data_dir, token) = (data_dir.to_path_buf(), token.to_string());
    tokio::task::spawn_blocking(move || read_staged_columns(&data_dir, &token))
        .await
        .map_err(|e| std::io::Error::other(e.to_string()))?
}

fn read_staged_columns(
    data_dir: &std::path::Path,
    token: &str,
) -> Result<Option<StagedColumns>, runway_discover::import::ImportError> {
    use runway_discover::import::mapping::{csv_header, ROLES};
    use runway_discover::import::ColumnMap;
    let Some(path) = staged::path(data_dir, token) else {
        return Ok(None);
    };
    let file = match std::fs::File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let columns = csv_header(file)?;
    let guess = ColumnMap::guess(&columns);
    let roles = ROLES
        .iter()
        .map(|(role, label, _)| {
            (
                role.to_string(),
                label.to_string(),
                guess.get(role).map(str::to_string),
            )
        })
        .collect();
    Ok(Some(StagedColumns { columns, roles }))
}

/// See [`staged_columns`].
#[derive(Debug, Clone, PartialEq)]
pub struct StagedColumns {
    pub columns: Vec<String>,
    /// (role, label, guessed column).
    pub roles: Vec<(String, String, Option<String>)>,
}
