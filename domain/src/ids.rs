//! Validated identifiers. Raw strings become one of these once, at the edge, and stay valid after.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Why an identifier was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{value}` is not a valid {what}: {rule}")]
pub struct IdError {
    pub value: String,
    pub what: &'static str,
    pub rule: &'static str,
}

fn is_slug(s: &str, max: usize) -> bool {
    let bytes = s.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= max
        && bytes[0].is_ascii_lowercase() | bytes[0].is_ascii_digit()
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        && !s.ends_with('-')
        && !s.contains("--")
}

macro_rules! slug_type {
    ($(#[$doc:meta])* $name:ident, $what:literal, $max:literal, $rule:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn parse(value: &str) -> Result<Self, IdError> {
                if is_slug(value, $max) {
                    Ok(Self(value.to_string()))
                } else {
                    Err(IdError { value: value.to_string(), what: $what, rule: $rule })
                }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::parse(&value)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

slug_type!(
    /// An action's id: the slug in its URL (`/actions/create-repo`) and its catalogue file name.
    ActionId,
    "action id",
    64,
    "use 1-64 lowercase letters, digits and single hyphens, starting with a letter or digit"
);

slug_type!(
    /// A team's name as it appears in `owner`, `visible_to` and the SSO groups claim.
    TeamName,
    "team name",
    64,
    "use 1-64 lowercase letters, digits and single hyphens, starting with a letter or digit"
);

/// A form field's name: how scripts, webhooks and links refer to it (`{{repo_name}}`, `?repo_name=`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct FieldName(String);

impl FieldName {
    pub const RULE: &'static str =
        "use 1-48 lowercase letters, digits and underscores, starting with a letter";

    pub fn parse(value: &str) -> Result<Self, IdError> {
        let b = value.as_bytes();
        let ok = !b.is_empty()
            && b.len() <= 48
            && b[0].is_ascii_lowercase()
            && b.iter()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_');
        if ok {
            Ok(Self(value.to_string()))
        } else {
            Err(IdError {
                value: value.to_string(),
                what: "field name",
                rule: Self::RULE,
            })
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for FieldName {
    type Error = IdError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<FieldName> for String {
    fn from(value: FieldName) -> String {
        value.0
    }
}

impl fmt::Display for FieldName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_ids_are_lowercase_slugs() {
        for good in ["create-repo", "tls-cert", "a", "db2"] {
            assert!(ActionId::parse(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "Create-Repo",
            "-x",
            "x-",
            "a--b",
            "a_b",
            "a b",
            "ü",
            &"a".repeat(65),
        ] {
            assert!(ActionId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn field_names_are_snake_case_identifiers() {
        assert!(FieldName::parse("repo_name").is_ok());
        for bad in ["", "1abc", "Repo", "repo-name", "_x"] {
            assert!(FieldName::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ids_refuse_invalid_values_when_deserialized() {
        let parsed: Result<ActionId, _> = serde_json::from_str("\"Not Valid\"");
        assert!(parsed.is_err());
    }
}
