//! Reading ticket exports as a stream of [`Ticket`]s.
//!
//! [`open`] looks at the file's first bytes (and, for CSV, its header) to tell the format, then
//! returns an [`Import`]: an iterator that reads one row (or one JSON issue) at a time, so a 500 MB
//! export never sits in memory. A bad row (an unreadable date, no title, broken quoting) comes out
//! as a [`Skipped`] with its line number and reason, and the import goes on; only a file that cannot
//! be read at all, or whose shape is unknown, is an [`ImportError`].

mod csv_source;
pub mod date;
mod json_source;
pub mod mapping;

use crate::ticket::{ReporterPolicy, Ticket};
use std::fmt;
use std::io::{BufRead, BufReader, Read};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// The export formats Discover reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// Jira's "Export → CSV" (all fields or current fields).
    JiraCsv,
    /// Jira's REST search response (`{"issues": [{"key": .., "fields": {..}}]}`).
    JiraJson,
    /// `gh issue list --json number,title,body,labels,createdAt,closedAt,author`.
    Github,
    /// Linear's CSV export.
    Linear,
    /// Any CSV, read through a [`ColumnMap`].
    Csv,
}

impl Format {
    pub const ALL: [Format; 5] = [
        Format::JiraCsv,
        Format::JiraJson,
        Format::Github,
        Format::Linear,
        Format::Csv,
    ];

    /// The ticket system the format comes from: the default source name, within which ticket
    /// keys are unique (a Jira CSV and a Jira JSON export of the same tickets are the same source).
    pub fn system(self) -> &'static str {
        match self {
            Format::JiraCsv | Format::JiraJson => "jira",
            Format::Github => "github",
            Format::Linear => "linear",
            Format::Csv => "csv",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Format::JiraCsv => "jira-csv",
            Format::JiraJson => "jira-json",
            Format::Github => "github",
            Format::Linear => "linear",
            Format::Csv => "csv",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Format {
    type Err = ImportError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Format::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| ImportError::UnknownFormatName(s.to_string()))
    }
}

/// Which column of a generic CSV holds what: `title=Subject,created=Opened,team=Queue`. Also
/// names the team field of a Jira JSON export (`team=customfield_10001`), which Jira does not
/// name in the issues themselves.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ColumnMap {
    pub title: Option<String>,
    pub created: Option<String>,
    pub resolved: Option<String>,
    pub team: Option<String>,
    pub labels: Option<String>,
    pub description: Option<String>,
    pub key: Option<String>,
    pub issue_type: Option<String>,
    pub status: Option<String>,
    pub reporter: Option<String>,
    pub link: Option<String>,
}

impl FromStr for ColumnMap {
    type Err = ImportError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut map = ColumnMap::default();
        for pair in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let Some((name, column)) = pair.split_once('=') else {
                return Err(ImportError::BadMap(format!("`{pair}` is not NAME=COLUMN")));
            };
            let column = column.trim();
            if column.is_empty() {
                return Err(ImportError::BadMap(format!("`{name}` names no column")));
            }
            let slot = match name.trim() {
                "title" => &mut map.title,
                "created" => &mut map.created,
                "resolved" => &mut map.resolved,
                "team" | "group" => &mut map.team,
                "labels" => &mut map.labels,
                "description" => &mut map.description,
                "key" => &mut map.key,
                "type" | "issue_type" => &mut map.issue_type,
                "status" => &mut map.status,
                "reporter" => &mut map.reporter,
                "link" | "url" => &mut map.link,
                other => {
                    return Err(ImportError::BadMap(format!(
                        "unknown name `{other}`; expected title, created, resolved, team, labels, \
                         description, key, type, status, reporter or link"
                    )))
                }
            };
            *slot = Some(column.to_string());
        }
        Ok(map)
    }
}

/// How to read an export.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// `None`: tell from the file.
    pub format: Option<Format>,
    pub map: Option<ColumnMap>,
    pub reporter: ReporterPolicy,
    /// Keep this many first lines of each description (0: keep none).
    pub description_lines: usize,
}

/// Why a row was skipped.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SkipReason {
    MissingTitle,
    MissingCreated,
    BadDate {
        field: String,
        value: String,
    },
    /// The row has a different number of fields than the header: almost always broken quoting.
    Ragged {
        fields: usize,
        expected: usize,
    },
    /// A JSON issue that is not the expected shape.
    Unreadable {
        detail: String,
    },
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingTitle => f.write_str("no title"),
            Self::MissingCreated => f.write_str("no created date"),
            Self::BadDate { field, value } => {
                let value: String = value.chars().take(40).collect();
                write!(f, "unreadable date in {field}: `{value}`")
            }
            Self::Ragged { fields, expected } => write!(
                f,
                "{fields} fields where the header has {expected} (broken quoting?)"
            ),
            Self::Unreadable { detail } => write!(f, "unreadable issue: {detail}"),
        }
    }
}

/// A row the import skipped, with the line it starts on (1-based).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Skipped {
    pub line: u64,
    pub reason: SkipReason,
}

impl fmt::Display for Skipped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.reason)
    }
}

/// Why an export cannot be read at all.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read the export: {0}")]
    Io(#[from] std::io::Error),
    #[error("the file is empty")]
    Empty,
    #[error("unknown format `{0}`; expected jira-csv, jira-json, github, linear or csv")]
    UnknownFormatName(String),
    #[error(
        "cannot tell the format of this CSV from its header; give --format and, for a generic CSV, \
         --map title=COLUMN,created=COLUMN"
    )]
    NeedsMap,
    #[error("bad column mapping: {0}")]
    BadMap(String),
    #[error("the {format} header has no `{column}` column")]
    MissingColumn { format: Format, column: String },
    #[error("no `issues` array in this JSON (expected Jira's search response)")]
    NoIssues,
    #[error("this JSON is not a {0} export")]
    NotJson(Format),
    #[error("the JSON ends inside the issue that starts on line {0}")]
    Truncated(u64),
    #[error("the issue starting on line {0} is larger than 64 MiB")]
    IssueTooLarge(u64),
}

/// One item of an import: a kept ticket, or a skipped row.
pub type Row = Result<Ticket, Skipped>;

/// Counts the bytes read so far, for a progress line.
struct Counting<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

type Input<R> = BufReader<Counting<R>>;

enum Source<R: Read> {
    // Boxed: the CSV reader carries its own buffers, several times the JSON scanner's size.
    Csv(Box<csv_source::CsvSource<Input<R>>>),
    Json(json_source::JsonSource<Input<R>>),
}

/// A streaming import: iterate it for [`Row`]s, then call [`Import::finish`] to learn whether the
/// stream ended cleanly.
pub struct Import<R: Read> {
    format: Format,
    read: Arc<AtomicU64>,
    source: Source<R>,
}

impl<R: Read> Import<R> {
    pub fn format(&self) -> Format {
        self.format
    }

    /// A counter of the bytes read so far (for progress on long files).
    pub fn bytes_read(&self) -> Arc<AtomicU64> {
        self.read.clone()
    }

    /// The error that ended the stream early, if one did.
    pub fn finish(self) -> Result<(), ImportError> {
        match self.source {
            Source::Csv(s) => (*s).finish(),
            Source::Json(s) => s.finish(),
        }
    }
}

impl<R: Read> Iterator for Import<R> {
    type Item = Row;
    fn next(&mut self) -> Option<Row> {
        match &mut self.source {
            Source::Csv(s) => s.next(),
            Source::Json(s) => s.next(),
        }
    }
}

/// Opens an export: detects (or takes) its format and reads its header.
pub fn open<R: Read>(reader: R, options: &ImportOptions) -> Result<Import<R>, ImportError> {
    let read = Arc::new(AtomicU64::new(0));
    let mut input = BufReader::with_capacity(
        256 * 1024,
        Counting {
            inner: reader,
            read: read.clone(),
        },
    );
    let first = skip_bom_and_space(&mut input)?;
    let format = match (options.format, first) {
        (_, None) => return Err(ImportError::Empty),
        (Some(f), _) => f,
        (None, Some(b'{')) => Format::JiraJson,
        (None, Some(b'[')) => Format::Github,
        // A CSV: its header tells which.
        (None, Some(_)) => {
            let source = csv_source::CsvSource::detect(input, options)?;
            return Ok(Import {
                format: source.format(),
                read,
                source: Source::Csv(Box::new(source)),
            });
        }
    };
    let source = match format {
        Format::JiraJson | Format::Github => {
            Source::Json(json_source::JsonSource::new(input, format, options)?)
        }
        Format::JiraCsv | Format::Linear | Format::Csv => Source::Csv(Box::new(
            csv_source::CsvSource::new(input, format, options)?,
        )),
    };
    Ok(Import {
        format,
        read,
        source,
    })
}

/// Skips a UTF-8 byte order mark and leading white space; returns the first byte left, if any.
fn skip_bom_and_space<B: BufRead>(input: &mut B) -> std::io::Result<Option<u8>> {
    let mut bom_checked = false;
    loop {
        let buf = input.fill_buf()?;
        if buf.is_empty() {
            return Ok(None);
        }
        if !bom_checked {
            bom_checked = true;
            if buf.starts_with(&[0xEF, 0xBB, 0xBF]) {
                input.consume(3);
                continue;
            }
        }
        let spaces = buf.iter().take_while(|b| b.is_ascii_whitespace()).count();
        if spaces < buf.len() {
            let first = buf[spaces];
            input.consume(spaces);
            return Ok(Some(first));
        }
        let n = buf.len();
        input.consume(n);
    }
}

/// The first `lines` lines of a description, at most 500 characters; `None` when empty or not kept.
fn first_lines(text: &str, lines: usize) -> Option<String> {
    if lines == 0 {
        return None;
    }
    let kept: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .take(lines)
        .collect();
    let joined: String = kept.join("\n").chars().take(500).collect();
    (!joined.is_empty()).then_some(joined)
}

/// A key for rows whose export has none: a hash of title and created time, the same at every
/// re-import of the same row wherever it sits in the file.
fn derived_key(title: &str, created: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::new()
        .chain_update(title.as_bytes())
        .chain_update([0])
        .chain_update(created.as_bytes())
        .finalize();
    format!("h-{}", hex::encode(&digest[..6]))
}

#[cfg(test)]
mod tests;
