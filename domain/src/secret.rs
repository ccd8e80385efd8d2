//! A configured secret (an OIDC client secret, a webhook signing secret, the sealing key): a string
//! that `Debug` never shows, so settings can be logged whole.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A value that must never be logged or printed. Empty means "not configured".
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret value, for the one place that must use it (a token request, a signature).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The value, or `None` when it is not configured (empty).
    pub fn configured(&self) -> Option<&str> {
        (!self.0.is_empty()).then_some(self.0.as_str())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_empty() {
            "\"\""
        } else {
            "[redacted]"
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_the_value() {
        assert_eq!(format!("{:?}", Secret::new("hunter2")), "[redacted]");
        assert_eq!(format!("{:?}", Secret::default()), "\"\"");
        assert_eq!(Secret::default().configured(), None);
        assert_eq!(Secret::new("k").configured(), Some("k"));
    }
}
