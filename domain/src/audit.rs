//! What the Audit page shows and the filters its URL carries
//! (`/admin/audit?who=ada&kind=sign_in&object=action:&from=2026-11-01&to=2026-11-30&before=812`).
//! The same query string selects the rows of `/admin/audit.csv`.

use crate::view::{encode_query_value, parse_query};
use serde::{Deserialize, Serialize};

/// How many events one page shows.
pub const AUDIT_PAGE: i64 = 50;

/// The Audit page's filters as typed in the form; empty means "any".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditQuery {
    /// Part of a person's name (case-insensitive), or `user:<id>` for exactly one person.
    pub who: String,
    /// An audit kind's snake_case name (`sign_in`, `approval_decided`, …).
    pub kind: String,
    /// An exact object (`request:42`), or a prefix ending in `:` or `*` (`action:`, `request:4*`).
    pub object: String,
    /// `YYYY-MM-DD`, inclusive, in UTC.
    pub from: String,
    /// `YYYY-MM-DD`, inclusive, in UTC.
    pub to: String,
    /// Keyset cursor: the last event id of the previous page.
    pub before: Option<i64>,
}

/// The "Who" filter, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WhoFilter {
    /// `user:<id>`: exactly this person.
    User(i64),
    /// Part of a name.
    Name(String),
}

/// The "Object" filter, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObjectFilter {
    Exact(String),
    Prefix(String),
}

impl AuditQuery {
    /// Reads the filters from a query string; unknown parameters are ignored, bad values refused
    /// with a message naming the parameter. `kind` is checked by the caller against the kinds it
    /// knows (the list lives with the server).
    pub fn parse(query: &str) -> Result<Self, String> {
        let mut q = Self::default();
        for (k, v) in parse_query(query) {
            let v = v.trim().to_string();
            match k.as_str() {
                "who" => q.who = v,
                "kind" => q.kind = v,
                "object" => q.object = v,
                "from" => q.from = v,
                "to" => q.to = v,
                "before" if !v.is_empty() => {
                    q.before =
                        Some(v.parse().map_err(|_| {
                            format!("before: expected an event number, found `{v}`")
                        })?)
                }
                _ => {}
            }
        }
        for (name, d) in [("from", &q.from), ("to", &q.to)] {
            if !d.is_empty() && !crate::parse::is_iso_date(d) {
                return Err(format!(
                    "{name}: expected a date as YYYY-MM-DD, found `{d}`"
                ));
            }
        }
        // Databases refuse NUL in text, and no stored value holds control characters to find.
        for (name, v) in [("who", &q.who), ("kind", &q.kind), ("object", &q.object)] {
            if v.chars().any(char::is_control) {
                return Err(format!("{name}: control characters are not allowed"));
            }
            if v.chars().count() > 200 {
                return Err(format!("{name}: at most 200 characters"));
            }
        }
        Ok(q)
    }

    pub fn who(&self) -> Option<WhoFilter> {
        if self.who.is_empty() {
            return None;
        }
        match self
            .who
            .strip_prefix("user:")
            .and_then(|id| id.parse().ok())
        {
            Some(id) => Some(WhoFilter::User(id)),
            None => Some(WhoFilter::Name(self.who.clone())),
        }
    }

    pub fn object(&self) -> Option<ObjectFilter> {
        let o = self.object.as_str();
        if o.is_empty() {
            None
        } else if let Some(prefix) = o.strip_suffix('*') {
            (!prefix.is_empty()).then(|| ObjectFilter::Prefix(prefix.to_string()))
        } else if o.ends_with(':') {
            Some(ObjectFilter::Prefix(o.to_string()))
        } else {
            Some(ObjectFilter::Exact(o.to_string()))
        }
    }

    /// The query string for these filters (without the cursor unless `before` is given).
    pub fn to_query(&self, before: Option<i64>) -> String {
        let mut parts = Vec::new();
        for (k, v) in [
            ("who", &self.who),
            ("kind", &self.kind),
            ("object", &self.object),
            ("from", &self.from),
            ("to", &self.to),
        ] {
            if !v.is_empty() {
                parts.push(format!("{k}={}", encode_query_value(v)));
            }
        }
        if let Some(b) = before {
            parts.push(format!("before={b}"));
        }
        parts.join("&")
    }
}

/// One event as the page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRow {
    pub id: i64,
    /// RFC 3339, UTC.
    pub at: String,
    /// The person's name (or `Runway`), with ` via <service>` when one acted for them.
    pub who: String,
    pub kind: String,
    pub object: String,
    pub before: Option<String>,
    pub after: Option<String>,
    /// The detail JSON as stored.
    pub detail: Option<String>,
}

/// A page of the audit log: newest first, with the cursor of the next page if there is one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub query: AuditQuery,
    /// Every kind's snake_case name, for the form's select.
    pub kinds: Vec<String>,
    pub rows: Vec<AuditRow>,
    /// The query string of the next page.
    pub next: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_round_trip_through_the_query_string() {
        let q = AuditQuery::parse(
            "who=Ada+L&kind=sign_in&object=action%3A&from=2026-11-01&to=2026-11-30&before=9",
        )
        .unwrap();
        assert_eq!(q.who, "Ada L");
        assert_eq!(q.object(), Some(ObjectFilter::Prefix("action:".into())));
        assert_eq!(q.before, Some(9));
        assert_eq!(AuditQuery::parse(&q.to_query(q.before)).unwrap(), q);
    }

    #[test]
    fn who_names_one_person_by_id_or_matches_part_of_a_name() {
        let by_id = AuditQuery::parse("who=user:12").unwrap();
        assert_eq!(by_id.who(), Some(WhoFilter::User(12)));
        let by_name = AuditQuery::parse("who=user:ada").unwrap();
        assert_eq!(by_name.who(), Some(WhoFilter::Name("user:ada".into())));
    }

    #[test]
    fn object_is_exact_unless_it_ends_with_a_colon_or_a_star() {
        let exact = AuditQuery::parse("object=request:42").unwrap();
        assert_eq!(
            exact.object(),
            Some(ObjectFilter::Exact("request:42".into()))
        );
        let star = AuditQuery::parse("object=request:4*").unwrap();
        assert_eq!(
            star.object(),
            Some(ObjectFilter::Prefix("request:4".into()))
        );
        assert_eq!(AuditQuery::parse("object=*").unwrap().object(), None);
    }

    #[test]
    fn bad_dates_and_cursors_are_refused_with_the_parameter_named() {
        assert!(AuditQuery::parse("from=yesterday")
            .unwrap_err()
            .starts_with("from:"));
        assert!(AuditQuery::parse("before=abc")
            .unwrap_err()
            .starts_with("before:"));
        assert!(AuditQuery::parse("who=%00")
            .unwrap_err()
            .starts_with("who:"));
    }
}
