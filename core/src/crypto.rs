//! Sealing secrets at rest: secret form inputs while their job waits, and secret outputs until the
//! requester has seen them. XChaCha20-Poly1305 with a 32-byte key from `secrets_key` (or a key file
//! generated once in the data directory). A sealed value is `v1:` + base64(nonce ‖ ciphertext); the
//! request id is bound in as associated data, so a sealed value copied to another request does not
//! open.

use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit, OsRng, Payload};
use chacha20poly1305::{AeadCore, XChaCha20Poly1305, XNonce};
use std::path::{Path, PathBuf};

#[derive(Clone)]
pub struct SecretBox {
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox([redacted])")
    }
}

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

impl SecretBox {
    /// A key given as base64 of 32 bytes (`openssl rand -base64 32`).
    pub fn from_base64(key: &str) -> Result<Self, KeyError> {
        let bytes = B64.decode(key.trim()).map_err(|_| KeyError::NotBase64)?;
        let cipher = XChaCha20Poly1305::new_from_slice(&bytes)
            .map_err(|_| KeyError::WrongLength(bytes.len()))?;
        Ok(Self { cipher })
    }

    /// The configured key (`secrets_key`, base64), or when it is empty the one in
    /// `<data_dir>/secrets.key` (created, mode 0600, on first use).
    pub fn load(configured_key: &str, data_dir: &Path) -> Result<Self, KeyError> {
        if !configured_key.is_empty() {
            return Self::from_base64(configured_key);
        }
        Self::from_key_file(&data_dir.join("secrets.key"))
    }

    fn from_key_file(path: &Path) -> Result<Self, KeyError> {
        let in_file = |e: KeyError| KeyError::InFile {
            path: path.to_path_buf(),
            source: Box::new(e),
        };
        match std::fs::read_to_string(path) {
            Ok(text) => Self::from_base64(&text).map_err(in_file),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if let Some(dir) = path.parent() {
                    use std::os::unix::fs::DirBuilderExt;
                    std::fs::DirBuilder::new()
                        .recursive(true)
                        .mode(0o700)
                        .create(dir)
                        .map_err(KeyError::io("creating", dir))?;
                }
                let key = XChaCha20Poly1305::generate_key(&mut OsRng);
                let text = B64.encode(key);
                write_private(path, &text)?;
                // Another process may have won the race: use whatever is on disk now.
                let on_disk =
                    std::fs::read_to_string(path).map_err(KeyError::io("reading", path))?;
                Self::from_base64(&on_disk).map_err(in_file)
            }
            Err(e) => Err(KeyError::io("reading", path)(e)),
        }
    }

    /// Seals `plain` for the request `request_id`.
    pub fn seal(&self, request_id: i64, plain: &[u8]) -> Result<String, SealError> {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let aad = request_id.to_be_bytes();
        let ct = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plain,
                    aad: &aad,
                },
            )
            .map_err(|_| SealError::Seal)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        Ok(format!("v1:{}", B64.encode(out)))
    }

    /// Opens a value sealed for `request_id`.
    pub fn open(&self, request_id: i64, sealed: &str) -> Result<Vec<u8>, SealError> {
        let bytes = sealed
            .strip_prefix("v1:")
            .and_then(|b| B64.decode(b).ok())
            .ok_or(SealError::NotSealed)?;
        if bytes.len() < 24 {
            return Err(SealError::NotSealed);
        }
        let (nonce, ct) = bytes.split_at(24);
        let aad = request_id.to_be_bytes();
        self.cipher
            .decrypt(XNonce::from_slice(nonce), Payload { msg: ct, aad: &aad })
            .map_err(|_| SealError::Open)
    }
}

/// Why the secrets key is unusable. The messages name the file and say how to make a key.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("expected 32 random bytes in base64 (`openssl rand -base64 32`)")]
    NotBase64,
    #[error("expected 32 bytes in base64 (`openssl rand -base64 32`), found {0} bytes")]
    WrongLength(usize),
    #[error("{}: {source}", path.display())]
    InFile {
        path: PathBuf,
        source: Box<KeyError>,
    },
    #[error("{doing} {}: {source}", path.display())]
    Io {
        doing: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
}

impl KeyError {
    fn io(doing: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> KeyError {
        let path = path.to_path_buf();
        move |source| KeyError::Io {
            doing,
            path,
            source,
        }
    }
}

/// Why a secret could not be sealed or opened. Never says anything about the secret itself.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error("cannot seal the secret")]
    Seal,
    #[error("not a sealed value")]
    NotSealed,
    #[error("cannot open the sealed secret (was secrets_key changed?)")]
    Open,
}

fn write_private(path: &Path, text: &str) -> Result<(), KeyError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(mut f) => f
            .write_all(text.as_bytes())
            .map_err(KeyError::io("writing", path)),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(KeyError::io("creating", path)(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_for_their_request_and_key() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("secrets.key");
        let a = SecretBox::from_key_file(&path).expect("new key");
        let again = SecretBox::from_key_file(&path).expect("same key");
        let sealed = a.seal(7, b"hunter2").expect("seal");
        assert!(!sealed.contains("hunter2"));
        assert_eq!(again.open(7, &sealed).expect("open"), b"hunter2");
        assert!(a.open(8, &sealed).is_err(), "bound to the request");
        let other = SecretBox::from_base64(&B64.encode([9u8; 32])).expect("key");
        assert!(other.open(7, &sealed).is_err(), "needs the same key");
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert!(SecretBox::from_base64("c2hvcnQ=").is_err());
    }
}
