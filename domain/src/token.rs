//! API tokens as people see and choose them: scopes, kinds, and a token's row in a list.

use serde::{Deserialize, Serialize};
use std::fmt;

/// What a token may do, on top of what its owner may do (a scope never adds a right).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Read the catalogue, requests, logs, history and the approvals inbox.
    Read,
    /// Submit, cancel and retry requests, and reveal a secret result.
    Request,
    /// Approve and reject requests.
    Approve,
}

impl Scope {
    pub const ALL: [Scope; 3] = [Scope::Read, Scope::Request, Scope::Approve];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Request => "request",
            Scope::Approve => "approve",
        }
    }

    pub fn parse(s: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// What the scope allows, in the words the settings page uses.
    pub fn describe(self) -> &'static str {
        match self {
            Scope::Read => "read the catalogue, requests, logs and history",
            Scope::Request => "submit, cancel and retry requests; reveal secret results",
            Scope::Approve => "approve and reject requests",
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of scopes, stored as space-separated words.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scopes(Vec<Scope>);

impl Scopes {
    pub fn new(mut scopes: Vec<Scope>) -> Scopes {
        scopes.sort();
        scopes.dedup();
        Scopes(scopes)
    }

    /// Parses `read request` (spaces or commas); an unknown word is an error naming it.
    pub fn parse(text: &str) -> Result<Scopes, String> {
        let mut out = Vec::new();
        for word in text
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter(|w| !w.is_empty())
        {
            out.push(
                Scope::parse(word).ok_or_else(|| {
                    format!("`{word}` is not a scope: use read, request or approve")
                })?,
            );
        }
        Ok(Scopes::new(out))
    }

    pub fn contains(&self, scope: Scope) -> bool {
        self.0.contains(&scope)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = Scope> + '_ {
        self.0.iter().copied()
    }
}

impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let words: Vec<&str> = self.0.iter().map(|s| s.as_str()).collect();
        f.write_str(&words.join(" "))
    }
}

/// Whose rights a token carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenKind {
    /// Its maker's own rights.
    Personal,
    /// A team's service account: a member of that team only, never a lead or an admin.
    Service,
}

impl TokenKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Personal => "personal",
            TokenKind::Service => "service",
        }
    }

    pub fn parse(s: &str) -> Option<TokenKind> {
        match s {
            "personal" => Some(TokenKind::Personal),
            "service" => Some(TokenKind::Service),
            _ => None,
        }
    }
}

/// A token as the settings page lists it (never the token itself).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TokenView {
    pub id: i64,
    pub kind: TokenKind,
    /// Service tokens: the owning team.
    pub team: Option<String>,
    pub name: String,
    /// The token's first characters (`rw_pat_ab12cd…`), to recognise it.
    pub prefix: String,
    pub scopes: Scopes,
    pub created_by: String,
    /// RFC 3339.
    pub created_at: String,
    pub expires_at: String,
    pub last_used_at: Option<String>,
    pub last_used_ip: Option<String>,
    pub revoked_at: Option<String>,
    /// Past its expiry (and not revoked).
    pub expired: bool,
}

/// What the token settings page shows: the caller's tokens, the service tokens they manage, and
/// the choices for a new one.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TokensPage {
    pub personal: Vec<TokenView>,
    pub service: Vec<TokenView>,
    /// Teams whose service tokens the caller may create (teams they lead; every team for admins).
    pub service_teams: Vec<String>,
    /// Admins: everyone else's usable personal tokens (the newest 500), to revoke.
    #[serde(default)]
    pub others: Vec<TokenView>,
    pub default_days: u32,
    pub max_days: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_sorted_without_repeats_and_name_an_unknown_word() {
        let s = Scopes::parse("request, read request").unwrap();
        assert_eq!(s.to_string(), "read request");
        assert!(s.contains(Scope::Read) && !s.contains(Scope::Approve));
        let err = Scopes::parse("read admin").unwrap_err();
        assert!(err.contains("`admin`"), "{err}");
        assert!(Scopes::parse("").unwrap().is_empty());
    }
}
