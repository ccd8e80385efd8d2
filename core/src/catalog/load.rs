//! Reading a catalogue directory: every `*.yaml` / `*.yml` file at its top level is one action.

use super::{Catalog, LoadedAction};
use crate::markdown;
use chrono::Utc;
use runway_domain::parse::parse_action;
use runway_domain::problem::Problem;
use runway_domain::spec::RunSpec;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

/// Action files larger than this are refused (a catalogue file is a page of YAML, not a data dump).
pub const MAX_FILE_BYTES: u64 = 256 * 1024;

/// The directory itself could not be read (as opposed to a problem in one file).
#[derive(Debug, thiserror::Error)]
#[error("cannot read the catalogue directory {dir}: {source}")]
pub struct CatalogDirError {
    pub dir: String,
    pub source: std::io::Error,
}

/// Loads every action file in `dir`. Files with problems are skipped and their problems collected.
/// Problems are labelled with the path as `dir` spells it (`catalog/create-repo.yaml`).
pub fn load_dir(dir: &Path) -> Result<Catalog, CatalogDirError> {
    let dir_error = |source| CatalogDirError {
        dir: dir.display().to_string(),
        source,
    };
    let mut names: Vec<String> = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(dir_error)? {
        let entry = entry.map_err(dir_error)?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let is_yaml = name.ends_with(".yaml") || name.ends_with(".yml");
        if is_yaml && !name.starts_with('.') && entry.path().is_file() {
            names.push(name);
        }
    }
    names.sort();

    let mut actions: BTreeMap<String, Arc<LoadedAction>> = BTreeMap::new();
    let mut problems = Vec::new();
    for name in &names {
        let label = dir.join(name).display().to_string();
        match load_file(dir, name, &label) {
            Ok(action) => {
                let id = action.spec.id.to_string();
                if let Some(first) = actions.get(&id) {
                    problems.push(Problem {
                        file: label,
                        line: None,
                        field: "id".into(),
                        message: format!(
                            "duplicate action id `{id}`, already defined in {}",
                            first.file
                        ),
                    });
                } else {
                    actions.insert(id, Arc::new(action));
                }
            }
            Err(mut found) => problems.append(&mut found),
        }
    }
    check_replacements(dir, &actions, &mut problems);
    Ok(Catalog {
        actions,
        problems,
        files_read: names.len(),
        loaded_at: Utc::now(),
    })
}

/// `lifecycle.replacement` must name an action that loaded. Only the whole catalogue can tell, so
/// this runs after every file is read. A missing replacement is a problem on the file, but the action
/// still loads: skipping it would take a working (or retired) action away because of a pointer, and
/// its page simply shows no link.
fn check_replacements(
    dir: &Path,
    actions: &BTreeMap<String, Arc<LoadedAction>>,
    problems: &mut Vec<Problem>,
) {
    for action in actions.values() {
        let Some(replacement) = &action.spec.lifecycle.replacement else {
            continue;
        };
        if !actions.contains_key(replacement.as_str()) {
            problems.push(problem(
                &dir.join(&action.file).display().to_string(),
                line_of_key(&action.source, "replacement"),
                "lifecycle.replacement",
                format!("`{replacement}` is not an action in the catalogue"),
            ));
        }
    }
}

fn problem(label: &str, line: Option<u32>, field: &str, message: impl Into<String>) -> Problem {
    Problem {
        file: label.to_string(),
        line,
        field: field.to_string(),
        message: message.into(),
    }
}

fn load_file(dir: &Path, name: &str, label: &str) -> Result<LoadedAction, Vec<Problem>> {
    let path = dir.join(name);
    let size = std::fs::metadata(&path)
        .map(|m| m.len())
        .map_err(|e| vec![problem(label, None, "", format!("cannot read file: {e}"))])?;
    if size > MAX_FILE_BYTES {
        return Err(vec![problem(
            label,
            None,
            "",
            format!("file is {size} bytes; action files may be at most {MAX_FILE_BYTES}"),
        )]);
    }
    let bytes = std::fs::read(&path)
        .map_err(|e| vec![problem(label, None, "", format!("cannot read file: {e}"))])?;
    let source = String::from_utf8(bytes)
        .map_err(|_| vec![problem(label, None, "", "file is not valid UTF-8 text")])?;
    check_source(dir, name, label, source)
}

/// Validates `source` as the action file `name` of the catalogue in `dir`, with every check the loader
/// makes (the parser's, the id matching the file name, the script existing inside the directory and
/// executable), and computes its content hash. The portal's editor publishes only what passes this.
pub fn check_source(
    dir: &Path,
    name: &str,
    label: &str,
    source: String,
) -> Result<LoadedAction, Vec<Problem>> {
    if source.len() as u64 > MAX_FILE_BYTES {
        return Err(vec![problem(
            label,
            None,
            "",
            format!(
                "the action is {} bytes; action files may be at most {MAX_FILE_BYTES}",
                source.len()
            ),
        )]);
    }
    let spec = parse_action(label, &source)?;

    let mut problems = Vec::new();
    let stem = name.trim_end_matches(".yaml").trim_end_matches(".yml");
    if spec.id.as_str() != stem {
        let line = line_of_key(&source, "id");
        problems.push(problem(
            label,
            line,
            "id",
            format!(
                "`{}` must match the file name (`{stem}`), so an action has one obvious home",
                spec.id
            ),
        ));
    }
    let mut hasher = Sha256::new();
    hasher.update((source.len() as u64).to_le_bytes());
    hasher.update(source.as_bytes());
    if let RunSpec::Script { command, .. } = &spec.run {
        let line = line_of_key(&source, "command");
        let script = dir.join(command);
        match std::fs::read(&script) {
            Ok(bytes) => {
                if !is_executable(&script) {
                    problems.push(problem(
                        label,
                        line,
                        "run.command",
                        format!("`{command}` is not executable (chmod +x it)"),
                    ));
                }
                hasher.update(command.as_bytes());
                hasher.update(&bytes);
            }
            Err(e) => problems.push(problem(
                label,
                line,
                "run.command",
                format!("`{command}` cannot be read in the catalogue directory: {e}"),
            )),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let description_html = markdown::render(&spec.description);
    Ok(LoadedAction {
        spec,
        file: name.to_string(),
        content_hash: hex::encode(hasher.finalize()),
        source,
        description_html,
    })
}

/// The first line starting a `key:` entry (at any indentation), for problems found after parsing.
fn line_of_key(source: &str, key: &str) -> Option<u32> {
    let needle = format!("{key}:");
    source
        .lines()
        .position(|l| l.trim_start().trim_start_matches("- ").starts_with(&needle))
        .and_then(|i| u32::try_from(i + 1).ok())
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}
