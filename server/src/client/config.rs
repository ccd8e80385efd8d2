//! Where the client finds its server and token: flags, then `RUNWAY_SERVER` / `RUNWAY_TOKEN`
//! (through clap), then the file `runway login` writes (`$XDG_CONFIG_HOME/runway/client.toml`, or
//! `~/.config/runway/client.toml`; 0600, in a 0700 directory).

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// What `runway login` stores.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct ClientFile {
    pub server: String,
    pub token: String,
}

/// The file's path. `RUNWAY_CLIENT_CONFIG` (through clap) wins; else the XDG location. Read here,
/// not from Runway's settings: this is the user's own file on their own machine.
pub fn path(explicit: Option<PathBuf>) -> Option<PathBuf> {
    if explicit.is_some() {
        return explicit;
    }
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("runway").join("client.toml"))
}

pub fn read(path: &std::path::Path) -> Result<Option<ClientFile>, String> {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = std::fs::metadata(path) {
        if meta.permissions().mode() & 0o077 != 0 {
            return Err(format!(
                "{} holds a token but others may read it: `chmod 600 {}`, then revoke the token if it was shared",
                path.display(),
                path.display()
            ));
        }
    }
    match std::fs::read_to_string(path) {
        Ok(text) => toml::from_str(&text)
            .map(Some)
            .map_err(|e| format!("{} is not a valid client file: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

/// Writes the file readable by its owner only.
pub fn write(path: &std::path::Path, file: &ClientFile) -> Result<(), String> {
    use std::io::Write;
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
    if let Some(dir) = path.parent() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let text = toml::to_string(file).map_err(|e| e.to_string())?;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    // An existing file keeps its old mode through `open`: tighten it.
    f.set_permissions(std::fs::Permissions::from_mode(0o600))
        .map_err(|e| format!("cannot restrict {}: {e}", path.display()))?;
    f.write_all(text.as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}
