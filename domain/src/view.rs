//! What the catalogue pages show, and the search that filters it.
//!
//! The server renders the filtered list for a plain GET (`/?q=tls&category=Security`), and the browser
//! re-filters the same list as the user types. Both call [`matches`], so the two can never disagree.

use crate::spec::{ActionSpec, FieldKind, FieldSpec, LifecycleStatus};
use serde::{Deserialize, Serialize};

/// One card on the catalogue page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionCard {
    pub id: String,
    pub title: String,
    pub summary: String,
    pub category: String,
    pub owner: String,
    pub tags: Vec<String>,
    /// Visible to some early-adopter teams only.
    pub beta: bool,
    /// "about 2 minutes".
    pub estimate: Option<String>,
    /// `lifecycle.status: deprecated`: still usable, with a badge pointing people elsewhere.
    #[serde(default)]
    pub deprecated: bool,
}

impl From<&ActionSpec> for ActionCard {
    fn from(spec: &ActionSpec) -> Self {
        Self {
            id: spec.id.to_string(),
            title: spec.title.clone(),
            summary: spec.summary.clone(),
            category: spec.category.clone(),
            owner: spec.owner.to_string(),
            tags: spec.tags.clone(),
            beta: spec.visible_to.is_beta(),
            estimate: spec.estimate.map(|e| e.in_words()),
            deprecated: spec.lifecycle.status == LifecycleStatus::Deprecated,
        }
    }
}

/// Another action, as a link: its id and title.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionLink {
    pub id: String,
    pub title: String,
}

/// Everything the action page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionDetail {
    pub card: ActionCard,
    /// Sanitised HTML rendered from the Markdown description (safe to insert as-is).
    pub description_html: String,
    pub replaces: Option<String>,
    pub approval: String,
    pub executor: String,
    pub timeout: String,
    pub retries: u32,
    /// Early-adopter teams, when the action is in beta.
    pub beta_teams: Vec<String>,
    pub fields: Vec<FieldPreview>,
    /// First 12 hex digits of the content hash: the version a request will record.
    pub version: String,
    /// The form itself: the field specs the browser validates against.
    pub inputs: Vec<FieldSpec>,
    /// The viewer's teams (for `team` fields). Filled in by the server function.
    pub teams: Vec<String>,
    /// A fresh idempotency key for this form: a double click or a resubmitted page sends the same key.
    pub form_key: String,
    /// The caller may change this action in the portal's editor (admins, leads of its team).
    #[serde(default)]
    pub may_edit: bool,
    /// Its own measured figures over the last 90 days (shown to everyone who may see it).
    #[serde(default)]
    pub figures: Option<crate::impact::ActionFigures>,
    /// Active, deprecated or retired (retired: the page shows a notice and no form).
    pub lifecycle: LifecycleStatus,
    /// The action to use instead, when it exists and the viewer may see it.
    pub replacement: Option<ActionLink>,
    /// `lifecycle.note`, shown with the notice.
    pub lifecycle_note: Option<String>,
    /// May the viewer open the action's history page (admins and the owning team)?
    pub history: bool,
}

/// One request as its page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestView {
    pub id: i64,
    pub action_id: String,
    pub action_title: String,
    /// `queued`, `running`, `succeeded`… (see [`crate::request::RequestStatus`]).
    pub status: String,
    pub status_label: String,
    pub is_final: bool,
    pub executor: String,
    /// The requester's name; `None` when not recorded.
    pub requester: Option<String>,
    pub team: Option<String>,
    pub created_at: String,
    pub finished_at: Option<String>,
    /// Wall-clock time from submission to the end, in words ("2 minutes").
    pub lead_time: Option<String>,
    pub version: String,
    /// (label, value) of each input; secret fields are listed, never their values.
    pub inputs: Vec<(String, InputValue)>,
    /// A link that opens the form again with these inputs (secrets left out).
    pub run_again: String,
    pub events: Vec<EventView>,
    pub log: Vec<LogLineView>,
    pub outputs: Vec<OutputView>,
    pub errors: Vec<String>,
    /// For manual requests: the instructions, who took it, and their note.
    pub instructions: Option<String>,
    pub assignee: Option<String>,
    pub note: Option<String>,
    /// May the viewer take / close this manual request?
    pub can_fulfil: bool,
    pub is_requester: bool,
    /// May the viewer approve or reject it now?
    pub can_approve: bool,
    /// May the viewer cancel it (not final; requester, team lead, admin)?
    pub can_cancel: bool,
    /// May the viewer retry it (failed; owning team, admin)?
    pub can_retry: bool,
    /// The approval policy in words.
    pub approval: String,
    /// Where the request was made, in words, when not in the portal: "from Slack", "through the
    /// API", "from Jira ticket PLAT-7".
    #[serde(default)]
    pub origin: Option<String>,
    /// Where the request was made: `portal`, `api`, `slack` or `jira`.
    #[serde(default)]
    pub channel: String,
    /// The ease question, for the requester once the request has ended.
    #[serde(default)]
    pub rating: Option<crate::impact::RatingView>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventView {
    pub at: String,
    /// `submitted`, `approved`, `attempt_failed`, ... (the page words it).
    pub kind: String,
    /// Who caused it, if a person did.
    pub actor: Option<String>,
    /// The attempt it belongs to, for runs.
    pub attempt: Option<i64>,
    /// The approver's comment, the fulfilment note, or an attempt's error.
    pub detail: Option<String>,
    /// Time since the previous event ("2m5s"); none for the first.
    pub after: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogLineView {
    pub id: i64,
    pub stream: String,
    pub line: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputView {
    pub name: String,
    pub label: String,
    /// `text`, `link` or `secret`.
    pub kind: String,
    /// The value (not for secrets).
    pub value: Option<String>,
    /// For secrets: still waiting to be revealed by the requester.
    pub secret_waiting: bool,
}

/// An input of a request as its page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum InputValue {
    /// A secret field: never stored, so there is nothing to show.
    Secret,
    Bool(bool),
    /// Text, a number or a choice (several choices joined with ", ").
    Text(String),
}

/// One page of an inbox (approvals or fulfilment), newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InboxPage {
    pub items: Vec<InboxItem>,
    /// How many requests the whole inbox holds (every page).
    pub total: i64,
    /// The `before` of the next, older page; `None` on the last page.
    pub older: Option<i64>,
}

/// A request in an inbox (approvals or fulfilment).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InboxItem {
    pub id: i64,
    pub action_title: String,
    /// The requester's name; `None` when not recorded.
    pub requester: Option<String>,
    pub team: Option<String>,
    pub status: String,
    pub assignee: Option<String>,
    pub created_at: String,
}

/// One row of the form preview on the action page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldPreview {
    pub name: String,
    pub label: String,
    pub type_name: String,
    pub required: bool,
    pub help: Option<String>,
    /// "only when visibility is private".
    pub condition: Option<String>,
    /// Options, limits and pattern in words.
    pub rules: Vec<String>,
}

impl From<&FieldSpec> for FieldPreview {
    fn from(f: &FieldSpec) -> Self {
        let mut rules = Vec::new();
        let len = |min: &Option<u32>, max: &Option<u32>, rules: &mut Vec<String>| match (min, max) {
            (Some(a), Some(b)) => rules.push(format!("{a} to {b} characters")),
            (Some(a), None) => rules.push(format!("at least {a} characters")),
            (None, Some(b)) => rules.push(format!("at most {b} characters")),
            (None, None) => {}
        };
        match &f.kind {
            FieldKind::String {
                pattern,
                min_length,
                max_length,
            } => {
                len(min_length, max_length, &mut rules);
                if let Some(p) = pattern {
                    rules.push(format!("must match {p}"));
                }
            }
            FieldKind::Text {
                min_length,
                max_length,
            } => len(min_length, max_length, &mut rules),
            FieldKind::Secret {
                min_length,
                max_length,
            } => {
                len(min_length, max_length, &mut rules);
                rules.push("masked, never stored with the request".to_string());
            }
            FieldKind::Integer { min, max, step } => {
                if let Some(m) = min {
                    rules.push(format!("at least {m}"));
                }
                if let Some(m) = max {
                    rules.push(format!("at most {m}"));
                }
                if let Some(s) = step {
                    rules.push(format!("in steps of {s}"));
                }
            }
            FieldKind::Number { min, max, step } => {
                if let Some(m) = min {
                    rules.push(format!("at least {m}"));
                }
                if let Some(m) = max {
                    rules.push(format!("at most {m}"));
                }
                if let Some(s) = step {
                    rules.push(format!("in steps of {s}"));
                }
            }
            FieldKind::Select { options } | FieldKind::Multiselect { options } => {
                let labels: Vec<&str> = options.iter().map(|o| o.label.as_str()).collect();
                rules.push(format!("one of: {}", labels.join(", ")));
            }
            FieldKind::Team => rules.push("one of your teams".to_string()),
            FieldKind::Date => rules.push("a date".to_string()),
            FieldKind::Boolean => {}
        }
        Self {
            name: f.name.to_string(),
            label: f.label.clone(),
            type_name: f.kind.type_name().to_string(),
            required: f.required,
            help: f.help.clone(),
            condition: f.visible_if.as_ref().map(|c| {
                let v = match &c.equals {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                format!("only when {} is {v}", c.field)
            }),
            rules,
        }
    }
}

/// Does `card` match the search text? Every whitespace-separated term must appear (case-insensitively)
/// in the title, summary, category, owner, id or a tag. An empty query matches everything.
pub fn matches(card: &ActionCard, query: &str) -> bool {
    matches_with(card, query, str::to_lowercase)
}

/// [`matches`], lowercasing with `lower`. The browser passes JavaScript's `toLowerCase`, the same
/// Unicode mapping, so its WebAssembly carries no copy of Rust's case tables (about 14 KB).
pub fn matches_with(card: &ActionCard, query: &str, lower: fn(&str) -> String) -> bool {
    let haystack = lower(&format!(
        "{} {} {} {} {} {}",
        card.title,
        card.summary,
        card.category,
        card.owner,
        card.id,
        card.tags.join(" ")
    ));
    query
        .split_whitespace()
        .all(|term| haystack.contains(&lower(term)))
}

/// Filters cards by search text and, when given, an exact category.
pub fn filter<'a>(
    cards: &'a [ActionCard],
    query: &str,
    category: Option<&str>,
) -> Vec<&'a ActionCard> {
    filter_with(cards, query, category, str::to_lowercase)
}

/// [`filter`], lowercasing with `lower` (see [`matches_with`]).
pub fn filter_with<'a>(
    cards: &'a [ActionCard],
    query: &str,
    category: Option<&str>,
    lower: fn(&str) -> String,
) -> Vec<&'a ActionCard> {
    cards
        .iter()
        .filter(|c| category.is_none_or(|cat| cat.is_empty() || c.category == cat))
        .filter(|c| matches_with(c, query, lower))
        .collect()
}

/// The distinct categories of `cards`, sorted.
pub fn categories(cards: &[ActionCard]) -> Vec<String> {
    let mut cats: Vec<String> = cards.iter().map(|c| c.category.clone()).collect();
    cats.sort();
    cats.dedup();
    cats
}

/// Percent-encodes a value for a URL query string or path (RFC 3986 unreserved characters and `/`
/// are kept). Used for links the server and the browser both build, e.g. `/signin?next=…`.
pub fn encode_query_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Parses a query string or form body (`a=1&b=x+y&b=%C3%A9`) into `(name, value)` pairs in order:
/// `+` is a space, `%XX` a byte; invalid escapes are kept as written, invalid UTF-8 replaced.
pub fn parse_query(query: &str) -> Vec<(String, String)> {
    fn decode(s: &str) -> String {
        let b = s.as_bytes();
        let mut out = Vec::with_capacity(b.len());
        let mut i = 0;
        while i < b.len() {
            match b[i] {
                b'+' => out.push(b' '),
                b'%' if i + 2 < b.len() => {
                    let hex = std::str::from_utf8(&b[i + 1..i + 3]).ok();
                    match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                        Some(v) => {
                            out.push(v);
                            i += 3;
                            continue;
                        }
                        None => out.push(b'%'),
                    }
                }
                c => out.push(c),
            }
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    }
    query
        .trim_start_matches('?')
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (decode(k), decode(v)),
            None => (decode(p), String::new()),
        })
        .collect()
}

/// Whose requests a history view lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum HistoryScope {
    Mine,
    Team(String),
    All,
}

/// A history view's filters, as its URL carries them (`/requests?scope=team&team=payments&status=failed`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryQuery {
    /// `mine` (default), `team` (with `team`), `all` (admins).
    pub scope: String,
    pub team: String,
    pub status: String,
    pub action: String,
    pub requester: String,
    /// `YYYY-MM-DD`, inclusive.
    pub from: String,
    /// `YYYY-MM-DD`, inclusive.
    pub to: String,
    pub q: String,
    /// Where requests were made: `portal`, `api`, `slack` or `jira` (empty: anywhere).
    pub channel: String,
    /// Keyset cursor: the last request id of the previous page.
    pub before: Option<i64>,
}

impl HistoryQuery {
    /// Reads the filters from a query string; unknown parameters are ignored, bad values refused
    /// with a message naming the parameter.
    pub fn parse(query: &str) -> Result<Self, String> {
        let mut q = Self::default();
        for (k, v) in parse_query(query) {
            let v = v.trim().to_string();
            match k.as_str() {
                "scope" => q.scope = v,
                "team" => q.team = v,
                "status" => q.status = v,
                "action" => q.action = v,
                "requester" => q.requester = v,
                "from" => q.from = v,
                "to" => q.to = v,
                "q" => q.q = v,
                "channel" => q.channel = v,
                "before" if !v.is_empty() => {
                    q.before =
                        Some(v.parse().map_err(|_| {
                            format!("before: expected a request number, found `{v}`")
                        })?)
                }
                _ => {}
            }
        }
        if !matches!(q.scope.as_str(), "" | "mine" | "team" | "all") {
            return Err(format!(
                "scope: expected mine, team or all, found `{}`",
                q.scope
            ));
        }
        for (name, d) in [("from", &q.from), ("to", &q.to)] {
            if !d.is_empty() && !crate::parse::is_iso_date(d) {
                return Err(format!(
                    "{name}: expected a date as YYYY-MM-DD, found `{d}`"
                ));
            }
        }
        if !q.channel.is_empty() && crate::request::Channel::parse(&q.channel).is_none() {
            return Err(format!(
                "channel: expected portal, api, slack or jira, found `{}`",
                q.channel.chars().take(40).collect::<String>()
            ));
        }
        if !q.status.is_empty() && q.status.parse::<crate::request::RequestStatus>().is_err() {
            return Err(format!("status: `{}` is not a request status", q.status));
        }
        // Databases refuse NUL in text, and no stored value holds control characters to find.
        for (name, v) in [
            ("q", &q.q),
            ("requester", &q.requester),
            ("team", &q.team),
            ("action", &q.action),
        ] {
            if v.chars().any(char::is_control) {
                return Err(format!("{name}: control characters are not allowed"));
            }
            if v.chars().count() > 200 {
                return Err(format!("{name}: at most 200 characters"));
            }
        }
        Ok(q)
    }

    pub fn scope(&self) -> HistoryScope {
        match self.scope.as_str() {
            "team" => HistoryScope::Team(self.team.clone()),
            "all" => HistoryScope::All,
            _ => HistoryScope::Mine,
        }
    }

    /// The query string for these filters (without the cursor unless `before` is given).
    pub fn to_query(&self, before: Option<i64>) -> String {
        let mut parts = Vec::new();
        for (k, v) in [
            ("scope", &self.scope),
            ("team", &self.team),
            ("status", &self.status),
            ("action", &self.action),
            ("requester", &self.requester),
            ("from", &self.from),
            ("to", &self.to),
            ("q", &self.q),
            ("channel", &self.channel),
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

/// One row of a history list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryRow {
    pub id: i64,
    pub action_id: String,
    pub action_title: String,
    pub requester: String,
    pub team: Option<String>,
    pub status: String,
    pub status_label: String,
    pub created_at: String,
    pub finished_at: Option<String>,
    /// Where it was made (`portal`, `api`, `slack`, `jira`).
    pub channel: String,
}

/// A page of history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryPage {
    pub query: HistoryQuery,
    pub rows: Vec<HistoryRow>,
    /// Query string of the next (older) page, if there is one.
    pub next: Option<String>,
    /// The viewer's teams and whether they see "All requests", for the view switcher.
    pub teams: Vec<String>,
    pub is_admin: bool,
}

/// The team page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TeamPage {
    pub team: String,
    pub this_week: u64,
    pub this_month: u64,
    /// Succeeded / (succeeded + failed) over the last 30 days, as a percentage; `None` with nothing finished.
    pub success_rate: Option<f64>,
    pub actions: Vec<ActionStats>,
    /// Weeks (oldest first, `YYYY-MM-DD` of the Monday) and, per action, the requests in each.
    pub weeks: Vec<String>,
    pub per_week: Vec<(String, Vec<u64>)>,
    pub pending_approvals: Vec<HistoryRow>,
}

/// Figures for one action over the last 90 days.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionStats {
    pub action_id: String,
    pub action_title: String,
    pub requests: u64,
    /// Submitted to finished, in seconds.
    pub lead_median: Option<u64>,
    pub lead_p90: Option<u64>,
    /// Submitted to the approval decision, in seconds.
    pub approval_median: Option<u64>,
    pub approval_p90: Option<u64>,
}

/// The `q`-quantile (0..=1) of `values` (nearest rank), or `None` when empty.
pub fn quantile(values: &mut [u64], q: f64) -> Option<u64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let rank = (q * values.len() as f64).ceil() as usize;
    values.get(rank.clamp(1, values.len()) - 1).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_use_the_nearest_rank() {
        let mut v = vec![5, 1, 4, 2, 3, 10, 6, 7, 8, 9];
        assert_eq!(quantile(&mut v, 0.5), Some(5));
        assert_eq!(quantile(&mut v, 0.9), Some(9));
        assert_eq!(quantile(&mut [], 0.5), None);
        assert_eq!(quantile(&mut [42], 0.9), Some(42));
    }

    #[test]
    fn history_filters_refuse_control_characters_and_overlong_text() {
        assert!(HistoryQuery::parse("q=billing&requester=dana").is_ok());
        assert_eq!(
            HistoryQuery::parse("q=abc%00def").map(|_| ()),
            Err("q: control characters are not allowed".to_string())
        );
        assert!(HistoryQuery::parse("requester=a%0Ab").is_err());
        assert_eq!(
            HistoryQuery::parse(&format!("q={}", "x".repeat(201))).map(|_| ()),
            Err("q: at most 200 characters".to_string())
        );
    }

    #[test]
    fn history_filters_by_channel_and_keep_it_in_links() {
        let q = HistoryQuery::parse("scope=all&channel=slack").unwrap();
        assert_eq!(q.channel, "slack");
        assert_eq!(q.to_query(Some(7)), "scope=all&channel=slack&before=7");
        assert_eq!(
            HistoryQuery::parse("channel=fax").map(|_| ()),
            Err("channel: expected portal, api, slack or jira, found `fax`".to_string())
        );
        assert!(HistoryQuery::parse("channel=").unwrap().channel.is_empty());
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(
            encode_query_value("/actions/x?y=1&z=a b"),
            "/actions/x%3Fy%3D1%26z%3Da%20b"
        );
        assert_eq!(
            encode_query_value("Code & delivery"),
            "Code%20%26%20delivery"
        );
    }

    fn card(title: &str, category: &str, tags: &[&str]) -> ActionCard {
        ActionCard {
            id: title.to_lowercase().replace(' ', "-"),
            title: title.to_string(),
            summary: format!("{title} for your service"),
            category: category.to_string(),
            owner: "platform".to_string(),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            beta: false,
            estimate: None,
            deprecated: false,
        }
    }

    #[test]
    fn every_search_term_must_match_somewhere() {
        let c = card("Issue TLS certificate", "Security", &["pki", "x509"]);
        assert!(matches(&c, ""));
        assert!(matches(&c, "tls"));
        assert!(matches(&c, "CERT pki"));
        assert!(matches(&c, "security"));
        assert!(!matches(&c, "tls database"));
        // Non-ASCII letters match whatever their case.
        let mut u = c.clone();
        u.title = "ÄRZTE Übersicht".into();
        assert!(matches(&u, "ärzte übersicht"));
    }

    #[test]
    fn filter_applies_category_and_query_together() {
        let cards = vec![
            card("Create repository", "Source code", &["git"]),
            card("Issue TLS certificate", "Security", &[]),
            card("Request access", "Security", &[]),
        ];
        let titles =
            |v: Vec<&ActionCard>| v.into_iter().map(|c| c.title.clone()).collect::<Vec<_>>();
        assert_eq!(titles(filter(&cards, "", Some("Security"))).len(), 2);
        assert_eq!(
            titles(filter(&cards, "access", Some("Security"))),
            vec!["Request access"]
        );
        assert_eq!(
            titles(filter(&cards, "access", Some("Source code"))),
            Vec::<String>::new()
        );
        assert_eq!(categories(&cards), vec!["Security", "Source code"]);
    }
}
