//! Keeping script runs apart from Runway and from each other.
//!
//! When Runway runs as root, each action gets its own uid from `scripts.uid_range`, the way systemd
//! gives services dynamic users: no passwd entry, the process simply switches to the raw number
//! (gid = uid, no supplementary groups). The number is a stable hash of the action id into the
//! range; the owner of the action's state directory records it, so it never changes once given,
//! and a hash collision moves the newcomer to the next free number (under a lock file in the state
//! root, so two workers agree). The state directory (0700) and each run's working directory (0700)
//! belong to that uid: one action cannot read another's state, outputs or working files, nor, with
//! a different uid, another run's `/proc/<pid>/environ` or memory.
//!
//! Secret inputs never enter the environment (where `/proc/<pid>/environ` of the same uid, and
//! anything the script starts, would see them): they arrive on stdin with the other inputs, and in
//! one 0600 file per secret in the run's working directory, named by `RUNWAY_INPUT_<NAME>_FILE`.

use super::RunUser;
use nix::fcntl::{Flock, FlockArg};
use nix::unistd::geteuid;
use runway_domain::template::value_text;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::ffi::OsString;
use std::fmt;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// `scripts.uid_range`: the uids actions run as, `"61000-61999"`; empty = every action runs as
/// `scripts.run_as_user`.
#[derive(Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct UidRange(Option<(u32, u32)>);

/// The lowest uid a range may start at: below are system accounts (and root).
const LOWEST_UID: u32 = 1000;

impl UidRange {
    pub const fn new(first: u32, last: u32) -> Self {
        Self(Some((first, last)))
    }

    /// No range: every action shares `scripts.run_as_user`.
    pub const fn shared() -> Self {
        Self(None)
    }

    pub fn bounds(&self) -> Option<(u32, u32)> {
        self.0
    }

    /// The uid an action's id hashes to, before collisions are looked at.
    fn home_of(first: u32, last: u32, action_id: &str) -> u32 {
        let size = u64::from(last - first) + 1;
        let offset = u32::try_from(fnv1a(action_id.as_bytes()) % size).unwrap_or(0);
        first + offset
    }
}

impl TryFrom<String> for UidRange {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(Self::shared());
        }
        let expected = || {
            format!(
                "expected `FIRST-LAST` with {LOWEST_UID} <= FIRST <= LAST < 4294967295, such as `61000-61999` (or empty for one shared user), found `{text}`"
            )
        };
        let (first, last) = text.split_once('-').ok_or_else(expected)?;
        let first: u32 = first.trim().parse().map_err(|_| expected())?;
        let last: u32 = last.trim().parse().map_err(|_| expected())?;
        if first < LOWEST_UID || last < first || last == u32::MAX {
            return Err(expected());
        }
        Ok(Self::new(first, last))
    }
}

impl From<UidRange> for String {
    fn from(range: UidRange) -> String {
        range.to_string()
    }
}

impl fmt::Display for UidRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some((first, last)) => write!(f, "{first}-{last}"),
            None => Ok(()),
        }
    }
}

impl fmt::Debug for UidRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "UidRange({self})")
    }
}

/// FNV-1a, 64 bits: stable across builds and platforms (unlike `std`'s hasher), so an action keeps
/// its uid after an upgrade.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The uid `action_id` runs as, with its state directory created (0700) and owned by it. Blocking.
///
/// The state directory's owner is the record: an existing directory owned by a uid in the range
/// keeps it. Otherwise the action gets its hash's uid, or the next one no other action's state
/// directory owns; a directory left by an earlier shared user is handed over, contents included.
pub(super) fn action_user(
    range: (u32, u32),
    action_id: &str,
    state_dir: Option<&Path>,
) -> Result<RunUser, String> {
    let (first, last) = range;
    let home = UidRange::home_of(first, last, action_id);
    let Some(dir) = state_dir else {
        return Ok(RunUser {
            uid: home,
            gid: home,
        });
    };
    let root = dir
        .parent()
        .ok_or_else(|| format!("the state directory {} has no parent", dir.display()))?;
    let shown = root.display();
    prepare_state_root(root)
        .map_err(|e| format!("could not prepare the script state root {shown}: {e}"))?;
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(root.join(".uids.lock"))
        .map_err(|e| format!("could not open the uid lock in {shown}: {e}"))?;
    let _held = Flock::lock(lock, FlockArg::LockExclusive)
        .map_err(|(_, e)| format!("could not lock the uid lock in {shown}: {e}"))?;

    let in_range = |uid: u32| (first..=last).contains(&uid);
    let current = std::fs::symlink_metadata(dir).ok().map(|m| m.uid());
    if let Some(uid) = current.filter(|&u| in_range(u)) {
        return Ok(RunUser { uid, gid: uid });
    }
    let taken = owners_of_other_actions(root, dir)
        .map_err(|e| format!("could not list the script state root {shown}: {e}"))?;
    let size = u64::from(last - first) + 1;
    let uid = (0..size)
        .filter_map(|step| {
            let offset = (u64::from(home - first) + step) % size;
            u32::try_from(offset).ok().map(|o| first + o)
        })
        .find(|uid| !taken.contains(uid))
        .ok_or_else(|| {
            format!("every uid in scripts.uid_range ({first}-{last}) is taken by another action; widen the range")
        })?;
    let user = RunUser { uid, gid: uid };
    match std::fs::DirBuilder::new().mode(0o700).create(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => {
            return Err(format!(
                "could not create the state directory {}: {e}",
                dir.display()
            ))
        }
    }
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .and_then(|()| hand_over(dir, user))
        .map_err(|e| {
            format!(
                "could not hand the state directory {} to uid {uid}: {e}",
                dir.display()
            )
        })?;
    Ok(user)
}

/// The state root: created if missing, Runway's own, and only searchable by others (0711), so an
/// action reaches its own directory but cannot list the others.
fn prepare_state_root(root: &Path) -> std::io::Result<()> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o711)
        .create(root)?;
    let meta = std::fs::metadata(root)?;
    if meta.uid() != geteuid().as_raw() {
        return Err(std::io::Error::other(
            "it must be owned by Runway's user, since Runway hands its directories over",
        ));
    }
    if meta.mode() & 0o7777 != 0o711 {
        std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o711))?;
    }
    Ok(())
}

/// Uids owning the other directories in the state root.
fn owners_of_other_actions(root: &Path, own: &Path) -> std::io::Result<BTreeSet<u32>> {
    let mut taken = BTreeSet::new();
    for entry in std::fs::read_dir(root)? {
        let entry = entry?;
        let meta = entry.metadata()?;
        if meta.is_dir() && entry.path() != own {
            taken.insert(meta.uid());
        }
    }
    Ok(taken)
}

/// Gives `dir` and everything in it to `user`, without following symbolic links.
fn hand_over(dir: &Path, user: RunUser) -> std::io::Result<()> {
    let meta = std::fs::symlink_metadata(dir)?;
    if meta.uid() == user.uid && meta.gid() == user.gid {
        return Ok(());
    }
    std::os::unix::fs::lchown(dir, Some(user.uid), Some(user.gid))?;
    if meta.is_dir() {
        for entry in std::fs::read_dir(dir)? {
            hand_over(&entry?.path(), user)?;
        }
    }
    Ok(())
}

/// Writes each secret input to its own file in the working directory (0600, owned by the run
/// user) and returns the `RUNWAY_INPUT_<NAME>_FILE` variables naming them. Blocking.
pub(super) fn write_secret_files(
    work_dir: &Path,
    secrets: &serde_json::Map<String, serde_json::Value>,
    user: Option<RunUser>,
) -> Result<Vec<(String, OsString)>, String> {
    let mut env = Vec::new();
    for (name, value) in secrets {
        let upper = name.to_ascii_uppercase();
        let path: PathBuf = work_dir.join(format!(".secret-input-{name}"));
        let written = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(nix::libc::O_NOFOLLOW)
            .open(&path)
            .and_then(|mut file| {
                if let Some(u) = user {
                    std::os::unix::fs::fchown(&file, Some(u.uid), Some(u.gid))?;
                }
                file.write_all(value_text(Some(value)).as_bytes())
            });
        written
            .map_err(|e| format!("could not write the secret input `{name}` to its file: {e}"))?;
        env.push((format!("RUNWAY_INPUT_{upper}_FILE"), path.into_os_string()));
    }
    Ok(env)
}

/// What isolation is missing when Runway is not root, for a warning at start-up; `None` as root.
pub fn missing_isolation() -> Option<String> {
    if geteuid().is_root() {
        return None;
    }
    Some(format!(
        "Runway is not running as root, so scripts run as Runway's own user (uid {}): they are not \
         given per-action users (scripts.uid_range), so every action can read every other action's \
         state and working files and Runway's data directory (the database, and secrets.key when the \
         key is kept there); resource limits on processes count Runway's own threads. Secret inputs \
         still stay out of the environment, and Runway's own environment and memory (OIDC client \
         secret, secrets_key) are closed to scripts. Run Runway as root (in a container, for \
         example) for per-action isolation, and set secrets_key in the environment rather than \
         in a file",
        geteuid().as_raw()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_uid_range_reads_first_dash_last_or_empty_for_shared() {
        assert_eq!(
            UidRange::try_from("61000-61999".to_string()),
            Ok(UidRange::new(61000, 61999))
        );
        assert_eq!(UidRange::try_from(String::new()), Ok(UidRange::shared()));
        for bad in [
            "0-10",
            "999-2000",
            "62000-61000",
            "61000",
            "a-b",
            "61000-4294967295",
        ] {
            assert!(UidRange::try_from(bad.to_string()).is_err(), "{bad}");
        }
        assert_eq!(UidRange::new(61000, 61999).to_string(), "61000-61999");
    }

    #[test]
    fn an_action_id_always_hashes_to_the_same_uid_in_the_range() {
        let a = UidRange::home_of(61000, 61999, "tls-certificate");
        assert_eq!(a, UidRange::home_of(61000, 61999, "tls-certificate"));
        assert!((61000..=61999).contains(&a));
        assert_ne!(a, UidRange::home_of(61000, 61999, "create-repo"));
        assert_eq!(UidRange::home_of(5000, 5000, "anything"), 5000);
    }
}
