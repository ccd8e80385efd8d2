//! CSV exports (Jira, Linear, any CSV with a column map), one record at a time.
//!
//! The reader is `flexible`: a row with the wrong number of fields (broken quoting, a stray
//! delimiter) is read, then skipped with its line number, instead of ending the import.

use super::{date, derived_key, first_lines, ColumnMap, Format, ImportError, ImportOptions, Row};
use super::{SkipReason, Skipped};
use crate::ticket::{ReporterPolicy, Ticket};
use csv::ByteRecord;
use std::io::Read;

/// Where each kept field sits in a row. Labels and components may span repeated columns (Jira
/// writes one `Labels` column per label).
#[derive(Debug, Default)]
struct Columns {
    title: usize,
    created: usize,
    resolved: Option<usize>,
    key: Option<usize>,
    team: Option<usize>,
    labels: Vec<usize>,
    components: Vec<usize>,
    issue_type: Option<usize>,
    status: Option<usize>,
    description: Option<usize>,
    reporter: Option<usize>,
    link: Option<usize>,
    /// One column holding several labels separated by commas (Linear, generic CSV).
    split_labels: bool,
}

/// The header, for finding columns by name (case and surrounding space ignored).
struct Header(Vec<String>);

impl Header {
    fn all(&self, name: &str) -> Vec<usize> {
        let name = name.trim().to_lowercase();
        (0..self.0.len()).filter(|&i| self.0[i] == name).collect()
    }
    fn first(&self, names: &[&str]) -> Option<usize> {
        names.iter().find_map(|n| self.all(n).first().copied())
    }
    fn has(&self, name: &str) -> bool {
        !self.all(name).is_empty()
    }
    fn required(&self, format: Format, name: &str) -> Result<usize, ImportError> {
        self.first(&[name])
            .ok_or_else(|| ImportError::MissingColumn {
                format,
                column: name.to_string(),
            })
    }
}

/// Team fields as Jira names them: a custom field, named by each site.
const JIRA_TEAM_COLUMNS: &[&str] = &[
    "custom field (team)",
    "custom field (teams)",
    "custom field (team name)",
    "custom field (assignment group)",
    "custom field (requesting team)",
    "team",
    "assignment group",
];

fn columns(
    header: &Header,
    format: Format,
    map: Option<&ColumnMap>,
) -> Result<Columns, ImportError> {
    match format {
        Format::JiraCsv => Ok(Columns {
            title: header.required(format, "Summary")?,
            created: header.required(format, "Created")?,
            resolved: header.first(&["Resolved"]),
            key: header.first(&["Issue key"]),
            team: map
                .and_then(|m| m.team.as_deref())
                .and_then(|t| header.first(&[t]))
                .or_else(|| header.first(JIRA_TEAM_COLUMNS)),
            labels: header.all("Labels"),
            components: header.all("Component/s"),
            issue_type: header.first(&["Issue Type"]),
            status: header.first(&["Status"]),
            description: header.first(&["Description"]),
            reporter: header.first(&["Reporter"]),
            link: None,
            split_labels: false,
        }),
        Format::Linear => Ok(Columns {
            title: header.required(format, "Title")?,
            created: header.required(format, "Created")?,
            resolved: header.first(&["Completed"]),
            key: header.first(&["ID"]),
            team: header.first(&["Team"]),
            labels: header.all("Labels"),
            components: header.all("Project"),
            issue_type: None,
            status: header.first(&["Status"]),
            description: header.first(&["Description"]),
            reporter: header.first(&["Creator"]),
            link: header.first(&["URL"]),
            split_labels: true,
        }),
        Format::Csv | Format::JiraJson | Format::Github => {
            let map = map.ok_or(ImportError::NeedsMap)?;
            let column = |name: &Option<String>| -> Result<Option<usize>, ImportError> {
                match name {
                    None => Ok(None),
                    Some(n) => {
                        header
                            .first(&[n])
                            .map(Some)
                            .ok_or_else(|| ImportError::MissingColumn {
                                format: Format::Csv,
                                column: n.clone(),
                            })
                    }
                }
            };
            let title = column(&map.title)?.ok_or_else(|| {
                ImportError::BadMap("a generic CSV needs title=COLUMN".to_string())
            })?;
            let created = column(&map.created)?.ok_or_else(|| {
                ImportError::BadMap("a generic CSV needs created=COLUMN".to_string())
            })?;
            Ok(Columns {
                title,
                created,
                resolved: column(&map.resolved)?,
                key: column(&map.key)?,
                team: column(&map.team)?,
                labels: map
                    .labels
                    .as_deref()
                    .map(|l| header.all(l))
                    .unwrap_or_default(),
                components: Vec::new(),
                issue_type: column(&map.issue_type)?,
                status: column(&map.status)?,
                description: column(&map.description)?,
                reporter: column(&map.reporter)?,
                link: column(&map.link)?,
                split_labels: true,
            })
        }
    }
}

/// Tells the CSV flavour from its header.
fn detect_format(header: &Header, map: Option<&ColumnMap>) -> Result<Format, ImportError> {
    if map.is_some_and(|m| m.title.is_some()) {
        Ok(Format::Csv)
    } else if header.has("Issue key") && header.has("Summary") {
        Ok(Format::JiraCsv)
    } else if header.has("ID") && header.has("Title") && header.has("Created") {
        Ok(Format::Linear)
    } else {
        Err(ImportError::NeedsMap)
    }
}

pub(super) struct CsvSource<R: Read> {
    format: Format,
    reader: csv::Reader<R>,
    columns: Columns,
    width: usize,
    record: ByteRecord,
    reporter: ReporterPolicy,
    description_lines: usize,
    error: Option<ImportError>,
}

impl<R: Read> CsvSource<R> {
    /// Reads the header and tells the format from it.
    pub(super) fn detect(input: R, options: &ImportOptions) -> Result<Self, ImportError> {
        Self::open(input, None, options)
    }

    pub(super) fn new(
        input: R,
        format: Format,
        options: &ImportOptions,
    ) -> Result<Self, ImportError> {
        Self::open(input, Some(format), options)
    }

    fn open(
        input: R,
        format: Option<Format>,
        options: &ImportOptions,
    ) -> Result<Self, ImportError> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(input);
        let mut first = ByteRecord::new();
        if !reader.read_byte_record(&mut first).map_err(csv_error)? {
            return Err(ImportError::Empty);
        }
        let header = Header(
            first
                .iter()
                .map(|f| String::from_utf8_lossy(f).trim().to_lowercase())
                .collect(),
        );
        let format = match format {
            Some(f) => f,
            None => detect_format(&header, options.map.as_ref())?,
        };
        let columns = columns(&header, format, options.map.as_ref())?;
        Ok(Self {
            format,
            reader,
            columns,
            width: header.0.len(),
            record: ByteRecord::new(),
            reporter: options.reporter.clone(),
            description_lines: options.description_lines,
            error: None,
        })
    }

    pub(super) fn format(&self) -> Format {
        self.format
    }

    pub(super) fn finish(self) -> Result<(), ImportError> {
        self.error.map_or(Ok(()), Err)
    }

    fn field(&self, index: Option<usize>) -> Option<String> {
        let bytes = self.record.get(index?)?;
        let text = String::from_utf8_lossy(bytes);
        let text = text.trim();
        (!text.is_empty()).then(|| text.to_string())
    }

    fn list(&self, indices: &[usize]) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for &i in indices {
            let Some(value) = self.field(Some(i)) else {
                continue;
            };
            let parts: Vec<&str> = if self.columns.split_labels {
                value.split([',', ';']).collect()
            } else {
                vec![value.as_str()]
            };
            for part in parts.into_iter().map(str::trim).filter(|p| !p.is_empty()) {
                if !out.iter().any(|o| o == part) {
                    out.push(part.to_string());
                }
            }
        }
        out
    }

    fn ticket(&self, line: u64) -> Row {
        let skip = |reason| Skipped { line, reason };
        if self.record.len() != self.width {
            return Err(skip(SkipReason::Ragged {
                fields: self.record.len(),
                expected: self.width,
            }));
        }
        let c = &self.columns;
        let title = self
            .field(Some(c.title))
            .ok_or_else(|| skip(SkipReason::MissingTitle))?;
        let created_text = self
            .field(Some(c.created))
            .ok_or_else(|| skip(SkipReason::MissingCreated))?;
        let created = date::parse(&created_text).ok_or_else(|| {
            skip(SkipReason::BadDate {
                field: "created".into(),
                value: created_text.clone(),
            })
        })?;
        let resolved = match self.field(c.resolved) {
            None => None,
            Some(text) => Some(date::parse(&text).ok_or_else(|| {
                skip(SkipReason::BadDate {
                    field: "resolved".into(),
                    value: text.clone(),
                })
            })?),
        };
        let key = self
            .field(c.key)
            .unwrap_or_else(|| derived_key(&title, &created_text));
        Ok(Ticket {
            key,
            title,
            created,
            resolved,
            team: self.field(c.team),
            labels: self.list(&c.labels),
            components: self.list(&c.components),
            issue_type: self.field(c.issue_type),
            status: self.field(c.status),
            description: self
                .field(c.description)
                .and_then(|d| first_lines(&d, self.description_lines)),
            reporter: self.reporter.apply(self.field(c.reporter).as_deref()),
            link: self.field(c.link),
        })
    }

    pub(super) fn next(&mut self) -> Option<Row> {
        if self.error.is_some() {
            return None;
        }
        match self.reader.read_byte_record(&mut self.record) {
            Ok(true) => {
                let line = self.record.position().map_or(0, csv::Position::line);
                Some(self.ticket(line))
            }
            Ok(false) => None,
            Err(e) => {
                self.error = Some(csv_error(e));
                None
            }
        }
    }
}

fn csv_error(e: csv::Error) -> ImportError {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => ImportError::Io(io),
        // Byte records with flexible lengths fail only on I/O; keep any other kind readable.
        other => ImportError::Io(std::io::Error::other(format!("{other:?}"))),
    }
}
