//! One problem found in a catalogue file, located precisely enough to fix without searching.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A located problem: `catalog/create-repo.yaml:14: inputs[2].pattern: invalid regex ...`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// The file, as the loader names it (relative to where the catalogue was read from).
    pub file: String,
    /// 1-based line of the offending node; `None` when the problem concerns the whole file.
    pub line: Option<u32>,
    /// Path of the field inside the file (`inputs[2].pattern`); empty for the whole file.
    pub field: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if !self.field.is_empty() {
            write!(f, ": {}", self.field)?;
        }
        write!(f, ": {}", self.message)
    }
}
