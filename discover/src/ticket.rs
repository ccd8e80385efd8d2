//! The kept ticket: only what the analysis needs, whatever the export's shape.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// One ticket of an export, reduced to what grouping and ranking read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ticket {
    /// The ticket's key in its source (`PLAT-123`, `#42`); unique within one export, so a
    /// re-import can recognise it.
    pub key: String,
    pub title: String,
    pub created: DateTime<Utc>,
    /// `None` while the ticket is open.
    pub resolved: Option<DateTime<Utc>>,
    /// The team (or assignment group) that asked, when the export says.
    pub team: Option<String>,
    pub labels: Vec<String>,
    pub components: Vec<String>,
    pub issue_type: Option<String>,
    pub status: Option<String>,
    /// The first lines of the description, only when the import was asked to keep them.
    pub description: Option<String>,
    /// The reporter as [`ReporterPolicy`] says: the name, a salted hash, or nothing.
    pub reporter: Option<String>,
    /// A link back to the ticket in its source, when the export gives one.
    pub link: Option<String>,
}

impl Ticket {
    /// Seconds from created to resolved; `None` while open (or when resolved precedes created,
    /// which some exports contain after a migration and which must not count as a time).
    pub fn resolve_secs(&self) -> Option<i64> {
        let secs = (self.resolved? - self.created).num_seconds();
        (secs >= 0).then_some(secs)
    }
}

/// What an import keeps of a reporter's name. Names are personal data the analysis does not need:
/// a salted hash still tells "the same person asked again" without saying who.
#[derive(Clone, Default)]
pub enum ReporterPolicy {
    /// Keep nothing about the reporter.
    #[default]
    Drop,
    /// Keep the name as the export gives it.
    Keep,
    /// Keep `sha256(salt ‖ name)`, shortened; the salt is a setting, so hashes compare within one
    /// installation only.
    Hash { salt: String },
}

impl std::fmt::Debug for ReporterPolicy {
    // The salt is a secret: never in logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Drop => f.write_str("Drop"),
            Self::Keep => f.write_str("Keep"),
            Self::Hash { .. } => f.write_str("Hash { salt: <redacted> }"),
        }
    }
}

impl ReporterPolicy {
    /// The reporter value to keep for `name` under this policy.
    pub fn apply(&self, name: Option<&str>) -> Option<String> {
        let name = name.map(str::trim).filter(|n| !n.is_empty())?;
        match self {
            Self::Drop => None,
            Self::Keep => Some(name.to_string()),
            Self::Hash { salt } => {
                let mut hasher = Sha256::new();
                hasher.update(salt.as_bytes());
                hasher.update([0]);
                hasher.update(name.as_bytes());
                let digest = hasher.finalize();
                Some(format!("h:{}", hex::encode(&digest[..8])))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_reporters_are_equal_for_the_same_name_and_hide_it() {
        let policy = ReporterPolicy::Hash {
            salt: "pepper".into(),
        };
        let a = policy.apply(Some("Jane Doe"));
        assert_eq!(a, policy.apply(Some("Jane Doe")));
        assert_ne!(a, policy.apply(Some("John Doe")));
        assert!(!a.unwrap_or_default().contains("Jane"));
    }

    #[test]
    fn dropped_reporters_are_not_kept_and_the_salt_is_not_printed() {
        assert_eq!(ReporterPolicy::Drop.apply(Some("Jane")), None);
        let debug = format!(
            "{:?}",
            ReporterPolicy::Hash {
                salt: "s3cret".into()
            }
        );
        assert!(!debug.contains("s3cret"));
    }
}
