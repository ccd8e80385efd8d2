//! JSON exports (Jira's search response, GitHub's `gh issue list --json`), one issue at a time.
//!
//! A small byte scanner finds the issues array (the top-level array for GitHub, the `issues` member
//! of the top-level object for Jira) and cuts out one element at a time, tracking strings and
//! nesting; each element is then deserialised on its own. Memory stays at one issue whatever the
//! file's size, and an issue that is not the expected shape is skipped with its line number.

use super::{date, first_lines, Format, ImportError, ImportOptions, Row, SkipReason, Skipped};
use crate::ticket::{ReporterPolicy, Ticket};
use serde::Deserialize;
use serde_json::Value;
use std::io::BufRead;

/// One issue larger than this is refused: no real issue is, and a hostile file must not make the
/// scanner buffer without end.
const MAX_ISSUE_BYTES: usize = 64 * 1024 * 1024;

/// Reads bytes one at a time from a buffered reader, counting lines.
struct Bytes<R: BufRead> {
    input: R,
    line: u64,
}

impl<R: BufRead> Bytes<R> {
    fn next(&mut self) -> std::io::Result<Option<u8>> {
        let buf = self.input.fill_buf()?;
        let Some(&b) = buf.first() else {
            return Ok(None);
        };
        self.input.consume(1);
        if b == b'\n' {
            self.line += 1;
        }
        Ok(Some(b))
    }

    fn next_non_space(&mut self) -> std::io::Result<Option<u8>> {
        loop {
            match self.next()? {
                Some(b) if b.is_ascii_whitespace() => continue,
                other => return Ok(other),
            }
        }
    }
}

pub(super) struct JsonSource<R: BufRead> {
    format: Format,
    bytes: Bytes<R>,
    element: Vec<u8>,
    done: bool,
    error: Option<ImportError>,
    team_field: Option<String>,
    reporter: ReporterPolicy,
    description_lines: usize,
}

impl<R: BufRead> JsonSource<R> {
    pub(super) fn new(
        input: R,
        format: Format,
        options: &ImportOptions,
    ) -> Result<Self, ImportError> {
        let mut source = Self {
            format,
            bytes: Bytes { input, line: 1 },
            element: Vec::new(),
            done: false,
            error: None,
            team_field: options.map.as_ref().and_then(|m| m.team.clone()),
            reporter: options.reporter.clone(),
            description_lines: options.description_lines,
        };
        source.find_array()?;
        Ok(source)
    }

    pub(super) fn finish(self) -> Result<(), ImportError> {
        self.error.map_or(Ok(()), Err)
    }

    /// Moves to just after the `[` that opens the issues array.
    fn find_array(&mut self) -> Result<(), ImportError> {
        match (self.format, self.bytes.next_non_space()?) {
            (Format::Github, Some(b'[')) => return Ok(()),
            (Format::JiraJson, Some(b'{')) => {}
            _ => return Err(ImportError::NotJson(self.format)),
        }
        // Inside the top-level object: look for `"issues"` `:` `[` at depth 1.
        let mut depth = 1usize;
        let mut last_key: Vec<u8> = Vec::new();
        let mut after_colon = false;
        while let Some(b) = self.bytes.next()? {
            match b {
                b'"' => {
                    let text = self.string()?;
                    if depth == 1 && !after_colon {
                        last_key = text;
                    }
                    after_colon = false;
                }
                b':' if depth == 1 => after_colon = true,
                b'[' if depth == 1 && after_colon && last_key == b"issues" => return Ok(()),
                b'{' | b'[' => {
                    depth += 1;
                    after_colon = false;
                }
                b'}' | b']' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        break;
                    }
                }
                b',' => after_colon = false,
                _ => {}
            }
        }
        Err(ImportError::NoIssues)
    }

    /// Reads the rest of a string whose opening quote was just read; returns its raw bytes.
    fn string(&mut self) -> Result<Vec<u8>, ImportError> {
        let start = self.bytes.line;
        let mut out = Vec::new();
        loop {
            match self.bytes.next()? {
                None => return Err(ImportError::Truncated(start)),
                Some(b'"') => return Ok(out),
                Some(b'\\') => {
                    out.push(b'\\');
                    match self.bytes.next()? {
                        Some(c) => out.push(c),
                        None => return Err(ImportError::Truncated(start)),
                    }
                }
                Some(c) => out.push(c),
            }
            if out.len() > MAX_ISSUE_BYTES {
                return Err(ImportError::IssueTooLarge(start));
            }
        }
    }

    /// Cuts out the next element of the array into `self.element`; returns its first line, or
    /// `None` at the array's end.
    fn cut_element(&mut self) -> Result<Option<u64>, ImportError> {
        let first = loop {
            match self.bytes.next_non_space()? {
                Some(b',') => continue,
                Some(b']') | None => return Ok(None),
                Some(b) => break b,
            }
        };
        let start = self.bytes.line;
        self.element.clear();
        self.element.push(first);
        let mut depth: usize = match first {
            b'{' | b'[' => 1,
            _ => 0,
        };
        let mut in_string = first == b'"';
        let mut escaped = false;
        // A scalar element (not an issue, but it must not stop the scan) ends at `,` or `]`.
        while depth > 0 || in_string || (first != b'{' && first != b'[') {
            let Some(b) = self.bytes.next()? else {
                return Err(ImportError::Truncated(start));
            };
            if in_string {
                if escaped {
                    escaped = false;
                } else if b == b'\\' {
                    escaped = true;
                } else if b == b'"' {
                    in_string = false;
                }
            } else {
                match b {
                    b'"' => in_string = true,
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' if depth > 0 => depth -= 1,
                    b',' | b']' if depth == 0 => {
                        if b == b']' {
                            self.done = true;
                        }
                        return Ok(Some(start));
                    }
                    _ => {}
                }
            }
            self.element.push(b);
            if self.element.len() > MAX_ISSUE_BYTES {
                return Err(ImportError::IssueTooLarge(start));
            }
            if depth == 0 && !in_string && (first == b'{' || first == b'[') {
                break;
            }
        }
        Ok(Some(start))
    }

    pub(super) fn next(&mut self) -> Option<Row> {
        if self.done || self.error.is_some() {
            return None;
        }
        let line = match self.cut_element() {
            Ok(Some(line)) => line,
            Ok(None) => {
                self.done = true;
                return None;
            }
            Err(e) => {
                self.error = Some(e);
                return None;
            }
        };
        Some(match self.format {
            Format::Github => self.github(line),
            _ => self.jira(line),
        })
    }

    fn unreadable(line: u64, e: impl std::fmt::Display) -> Skipped {
        Skipped {
            line,
            reason: SkipReason::Unreadable {
                detail: e.to_string(),
            },
        }
    }

    fn github(&self, line: u64) -> Row {
        let issue: GithubIssue =
            serde_json::from_slice(&self.element).map_err(|e| Self::unreadable(line, e))?;
        let skip = |reason| Skipped { line, reason };
        let title = nonempty(issue.title).ok_or_else(|| skip(SkipReason::MissingTitle))?;
        let created = required_date(issue.created_at, "createdAt", line)?;
        let resolved = optional_date(issue.closed_at, "closedAt", line)?;
        let mut labels: Vec<String> = issue
            .labels
            .unwrap_or_default()
            .into_iter()
            .map(|l| l.name)
            .collect();
        // GitHub has no team field; a `team:` or `team/` label is the usual stand-in.
        let team = labels.iter().find_map(|l| {
            l.strip_prefix("team:")
                .or_else(|| l.strip_prefix("team/"))
                .map(|t| t.trim().to_string())
        });
        labels.dedup();
        Ok(Ticket {
            key: format!("#{}", issue.number),
            title,
            created,
            resolved,
            team,
            labels,
            components: Vec::new(),
            issue_type: None,
            status: issue.state,
            description: issue
                .body
                .and_then(|b| first_lines(&b, self.description_lines)),
            reporter: self
                .reporter
                .apply(issue.author.as_ref().and_then(|a| a.login.as_deref())),
            link: issue.url,
        })
    }

    fn jira(&self, line: u64) -> Row {
        let issue: JiraIssue =
            serde_json::from_slice(&self.element).map_err(|e| Self::unreadable(line, e))?;
        let skip = |reason| Skipped { line, reason };
        let fields = issue.fields.unwrap_or_default();
        let title = nonempty(fields.summary).ok_or_else(|| skip(SkipReason::MissingTitle))?;
        let created = required_date(fields.created, "created", line)?;
        let resolved = optional_date(fields.resolutiondate, "resolutiondate", line)?;
        let key = nonempty(issue.key)
            .unwrap_or_else(|| super::derived_key(&title, &created.to_rfc3339()));
        // `self` is the API address (`https://x/rest/api/2/issue/10001`); people open `/browse/KEY`.
        let link = issue.self_url.as_deref().and_then(|s| {
            s.find("/rest/")
                .map(|i| format!("{}/browse/{key}", &s[..i]))
        });
        let team = self
            .team_field
            .as_deref()
            .and_then(|f| fields.other.get(f))
            .and_then(named_value);
        let description = fields
            .description
            .as_ref()
            .map(plain_text)
            .and_then(|d| first_lines(&d, self.description_lines));
        Ok(Ticket {
            key,
            title,
            created,
            resolved,
            team,
            labels: fields.labels.unwrap_or_default(),
            components: fields
                .components
                .unwrap_or_default()
                .into_iter()
                .filter_map(|c| c.name)
                .collect(),
            issue_type: fields.issuetype.and_then(|t| t.name),
            status: fields.status.and_then(|s| s.name),
            description,
            reporter: self.reporter.apply(
                fields
                    .reporter
                    .as_ref()
                    .and_then(|r| r.display_name.as_deref().or(r.name.as_deref())),
            ),
            link,
        })
    }
}

fn nonempty(text: Option<String>) -> Option<String> {
    text.map(|t| t.trim().to_string()).filter(|t| !t.is_empty())
}

fn required_date(
    text: Option<String>,
    field: &str,
    line: u64,
) -> Result<chrono::DateTime<chrono::Utc>, Skipped> {
    let text = nonempty(text).ok_or(Skipped {
        line,
        reason: SkipReason::MissingCreated,
    })?;
    date::parse(&text).ok_or_else(|| Skipped {
        line,
        reason: SkipReason::BadDate {
            field: field.to_string(),
            value: text,
        },
    })
}

fn optional_date(
    text: Option<String>,
    field: &str,
    line: u64,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, Skipped> {
    match nonempty(text) {
        None => Ok(None),
        Some(text) => date::parse(&text).map(Some).ok_or_else(|| Skipped {
            line,
            reason: SkipReason::BadDate {
                field: field.to_string(),
                value: text,
            },
        }),
    }
}

/// A custom field's value as text: a string, or an object's `name`, `value` or `title`.
fn named_value(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => ["name", "value", "title"]
            .iter()
            .find_map(|k| o.get(*k).and_then(Value::as_str).map(str::to_string)),
        Value::Array(items) => items.first().and_then(named_value),
        _ => None,
    }
    .filter(|s| !s.trim().is_empty())
}

/// A description as plain text: Jira Server sends a string, Jira Cloud a document tree (ADF).
fn plain_text(value: &Value) -> String {
    fn walk(value: &Value, out: &mut String) {
        match value {
            Value::String(s) => out.push_str(s),
            Value::Object(o) => {
                if let Some(Value::String(t)) = o.get("text") {
                    out.push_str(t);
                }
                if let Some(content) = o.get("content") {
                    walk(content, out);
                }
                if o.get("type").and_then(Value::as_str) == Some("paragraph") {
                    out.push('\n');
                }
            }
            Value::Array(items) => items.iter().for_each(|i| walk(i, out)),
            _ => {}
        }
    }
    let mut out = String::new();
    walk(value, &mut out);
    out
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GithubIssue {
    number: u64,
    title: Option<String>,
    body: Option<String>,
    labels: Option<Vec<GithubLabel>>,
    created_at: Option<String>,
    closed_at: Option<String>,
    author: Option<GithubAuthor>,
    url: Option<String>,
    state: Option<String>,
}

#[derive(Deserialize)]
struct GithubLabel {
    name: String,
}

#[derive(Deserialize)]
struct GithubAuthor {
    login: Option<String>,
}

#[derive(Deserialize)]
struct JiraIssue {
    key: Option<String>,
    #[serde(rename = "self")]
    self_url: Option<String>,
    fields: Option<JiraFields>,
}

#[derive(Deserialize, Default)]
struct JiraFields {
    summary: Option<String>,
    created: Option<String>,
    resolutiondate: Option<String>,
    issuetype: Option<Named>,
    status: Option<Named>,
    labels: Option<Vec<String>>,
    components: Option<Vec<Named>>,
    description: Option<Value>,
    reporter: Option<Person>,
    /// Custom fields (`customfield_10001`), one of which may be the team.
    #[serde(flatten)]
    other: serde_json::Map<String, Value>,
}

#[derive(Deserialize)]
struct Named {
    name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Person {
    display_name: Option<String>,
    name: Option<String>,
}
