//! The column-mapping step for a CSV Runway cannot read on its own: its header, and a first guess
//! at which column holds what, for a person to confirm (the Discover page's mapping form).

use super::{skip_bom_and_space, ColumnMap, ImportError};
use std::io::{BufReader, Read};

/// A CSV's column names, as written in its first row (a byte-order mark and leading blank lines
/// skipped; blank names kept so positions stay meaningful).
pub fn csv_header<R: Read>(reader: R) -> Result<Vec<String>, ImportError> {
    let mut input = BufReader::new(reader);
    if skip_bom_and_space(&mut input)?.is_none() {
        return Err(ImportError::Empty);
    }
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(input);
    let mut first = csv::ByteRecord::new();
    let got = csv
        .read_byte_record(&mut first)
        .map_err(|e| ImportError::BadMap(format!("the first row is not CSV: {e}")))?;
    if !got {
        return Err(ImportError::Empty);
    }
    Ok(first
        .iter()
        .map(|f| String::from_utf8_lossy(f).trim().to_string())
        .collect())
}

/// The roles a column can play, in the order the mapping form shows them: (role, label, the
/// column names that usually hold it, already lower-case with `_`/`-` as spaces).
pub const ROLES: [(&str, &str, &[&str]); 7] = [
    (
        "title",
        "Title (what was asked)",
        &[
            "title",
            "summary",
            "subject",
            "short description",
            "name",
            "issue title",
        ],
    ),
    (
        "created",
        "Created (when it was asked)",
        &[
            "created",
            "created at",
            "created on",
            "opened",
            "opened at",
            "date created",
            "creation date",
            "submitted",
            "sys created on",
            "created date",
        ],
    ),
    (
        "resolved",
        "Resolved (when it was done)",
        &[
            "resolved",
            "resolved at",
            "closed",
            "closed at",
            "completed",
            "completed at",
            "resolution date",
            "done at",
            "sys closed at",
            "closed date",
            "resolved date",
        ],
    ),
    (
        "team",
        "Team or group that asked",
        &[
            "team",
            "group",
            "assignment group",
            "queue",
            "department",
            "requesting team",
        ],
    ),
    (
        "labels",
        "Labels",
        &["labels", "label", "tags", "tag", "category"],
    ),
    (
        "description",
        "Description",
        &["description", "body", "details", "text"],
    ),
    (
        "key",
        "Ticket key or id",
        &[
            "key",
            "id",
            "number",
            "ticket",
            "ticket id",
            "issue key",
            "issue id",
            "ref",
        ],
    ),
];

fn normal(name: &str) -> String {
    name.trim()
        .to_lowercase()
        .replace(['_', '-', '.'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

impl ColumnMap {
    /// A first guess from the column names: each role takes the first column whose name is one
    /// of the names that usually hold it; no column serves two roles.
    pub fn guess(header: &[String]) -> ColumnMap {
        let mut map = ColumnMap::default();
        let mut taken = vec![false; header.len()];
        for (role, _, names) in ROLES {
            let found = names.iter().find_map(|n| {
                header
                    .iter()
                    .enumerate()
                    .find(|(i, h)| !taken[*i] && normal(h) == *n)
                    .map(|(i, h)| (i, h.clone()))
            });
            if let Some((i, column)) = found {
                taken[i] = true;
                map.set(role, column);
            }
        }
        map
    }

    /// The column chosen for `role` (one of [`ROLES`]).
    pub fn get(&self, role: &str) -> Option<&str> {
        match role {
            "title" => self.title.as_deref(),
            "created" => self.created.as_deref(),
            "resolved" => self.resolved.as_deref(),
            "team" => self.team.as_deref(),
            "labels" => self.labels.as_deref(),
            "description" => self.description.as_deref(),
            "key" => self.key.as_deref(),
            _ => None,
        }
    }

    /// Chooses `column` for `role` (one of [`ROLES`]; other roles are ignored).
    pub fn set(&mut self, role: &str, column: String) {
        let slot = match role {
            "title" => &mut self.title,
            "created" => &mut self.created,
            "resolved" => &mut self.resolved,
            "team" => &mut self.team,
            "labels" => &mut self.labels,
            "description" => &mut self.description,
            "key" => &mut self.key,
            _ => return,
        };
        *slot = Some(column);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_is_the_first_row_after_a_byte_order_mark() {
        let file = "\u{feff}\n\"Subject, short\",Opened,Closed\nReset my VPN,2026-01-01,\n";
        assert_eq!(
            csv_header(file.as_bytes()).unwrap(),
            vec!["Subject, short", "Opened", "Closed"]
        );
        assert!(matches!(csv_header(&b"  \n"[..]), Err(ImportError::Empty)));
    }

    #[test]
    fn a_service_desk_header_gets_a_sensible_first_guess() {
        let header: Vec<String> = [
            "Number",
            "Short_Description",
            "Opened At",
            "Closed-At",
            "Assignment Group",
            "Tags",
        ]
        .map(String::from)
        .to_vec();
        let map = ColumnMap::guess(&header);
        assert_eq!(map.title.as_deref(), Some("Short_Description"));
        assert_eq!(map.created.as_deref(), Some("Opened At"));
        assert_eq!(map.resolved.as_deref(), Some("Closed-At"));
        assert_eq!(map.team.as_deref(), Some("Assignment Group"));
        assert_eq!(map.labels.as_deref(), Some("Tags"));
        assert_eq!(map.key.as_deref(), Some("Number"));
        assert_eq!(map.description, None);
    }

    #[test]
    fn a_column_is_guessed_for_one_role_only() {
        let header = vec!["Name".to_string()];
        let map = ColumnMap::guess(&header);
        assert_eq!(map.title.as_deref(), Some("Name"));
        assert_eq!(map.get("key"), None);
    }
}
