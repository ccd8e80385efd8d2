//! Reading one catalogue YAML file into a validated [`ActionSpec`].
//!
//! The reader walks a YAML tree that remembers where every node came from, and keeps going after the
//! first mistake: a platform engineer fixing a file wants the whole list at once, each problem with its
//! line and field path (`inputs[2].pattern`). Unknown keys are problems too, because a typo such as
//! `requried: true` would otherwise be silently ignored.

use crate::duration::HumanDuration;
use crate::ids::{ActionId, FieldName, TeamName};
use crate::problem::Problem;
use crate::spec::{
    ActionSpec, ApprovalPolicy, Condition, FieldKind, FieldSpec, HttpMethod, JiraSource,
    JiraTrigger, Lifecycle, LifecycleStatus, RunSpec, SelectOption, Visibility, WebhookPoll,
};
use marked_yaml::types::{MarkedMappingNode, MarkedScalarNode};
use marked_yaml::{LoaderOptions, Node};
use serde_json::Value;
use std::collections::{BTreeMap, HashSet};

/// The longest timeout an action may declare.
pub const MAX_TIMEOUT_SECS: u64 = 24 * 3_600;
/// The most retries an action may declare.
pub const MAX_RETRIES: u32 = 10;
/// Timeout used when a file does not say.
pub const DEFAULT_TIMEOUT_SECS: u64 = 15 * 60;

/// The keys of a webhook's `poll` mapping.
const POLL_KEYS: &[&str] = &["status_url", "status", "success", "failure", "interval"];
/// The longest time between two status requests of a polling webhook.
pub const MAX_POLL_INTERVAL_SECS: u64 = 3_600;

const TOP_KEYS: &[&str] = &[
    "id",
    "title",
    "summary",
    "description",
    "category",
    "tags",
    "owner",
    "inputs",
    "run",
    "approval",
    "timeout",
    "retries",
    "concurrency",
    "visible_to",
    "replaces",
    "estimate",
    "lifecycle",
    "jira",
];

/// The keys of the `jira` mapping, and of its `transitions`.
const JIRA_KEYS: &[&str] = &["label", "project", "issue_type", "inputs", "transitions"];
const JIRA_TRANSITION_KEYS: &[&str] = &["succeeded", "failed"];

/// The keys of the `lifecycle` mapping.
const LIFECYCLE_KEYS: &[&str] = &["status", "replacement", "note"];

/// Parses and validates one action file. `file` is used only to label problems.
pub fn parse_action(file: &str, text: &str) -> Result<ActionSpec, Vec<Problem>> {
    let mut r = Reader {
        file: file.to_string(),
        problems: Vec::new(),
    };
    let options = LoaderOptions::default()
        .error_on_duplicate_keys(true)
        .prevent_coercion(true);
    let root = match marked_yaml::parse_yaml_with_options(0, text, options) {
        Ok(node) => node,
        Err(err) => {
            r.load_error(&err);
            return Err(r.problems);
        }
    };
    let Some(map) = root.as_mapping() else {
        r.push(
            line_of(&root),
            "",
            "expected a mapping of action fields at the top level",
        );
        return Err(r.problems);
    };
    let spec = r.action(map);
    match spec {
        Some(spec) if r.problems.is_empty() => Ok(spec),
        _ => {
            if r.problems.is_empty() {
                r.push(None, "", "the file could not be read as an action");
            }
            // In file order, so the report reads top to bottom (stable: same-line order is kept).
            r.problems.sort_by_key(|p| p.line.unwrap_or(0));
            Err(r.problems)
        }
    }
}

fn line_of(node: &Node) -> Option<u32> {
    node.span().start().map(|m| m.line() as u32)
}

fn scalar_line(node: &MarkedScalarNode) -> Option<u32> {
    node.span().start().map(|m| m.line() as u32)
}

fn map_line(node: &MarkedMappingNode) -> Option<u32> {
    node.span().start().map(|m| m.line() as u32)
}

/// The line of `key` itself (an empty value has no useful position of its own).
fn key_line(map: &MarkedMappingNode, key: &str) -> Option<u32> {
    map.keys().find(|k| k.as_str() == key).and_then(scalar_line)
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

/// Collects problems while building the spec.
struct Reader {
    file: String,
    problems: Vec<Problem>,
}

impl Reader {
    fn push(&mut self, line: Option<u32>, field: &str, message: impl Into<String>) {
        self.problems.push(Problem {
            file: self.file.clone(),
            line,
            field: field.to_string(),
            message: message.into(),
        });
    }

    fn load_error(&mut self, err: &marked_yaml::LoadError) {
        use marked_yaml::LoadError as E;
        let (line, message) = match err {
            E::TopLevelMustBeMapping(m) => (
                m.line(),
                "expected a mapping of action fields at the top level".to_string(),
            ),
            E::TopLevelMustBeSequence(m) => (m.line(), "unexpected top-level sequence".to_string()),
            E::UnexpectedAnchor(m) => (m.line(), "YAML anchors are not supported".to_string()),
            E::MappingKeyMustBeScalar(m) => {
                (m.line(), "mapping keys must be plain text".to_string())
            }
            E::UnexpectedTag(m) => (m.line(), "YAML tags are not supported".to_string()),
            E::ScanError(m, e) => {
                // The scanner repeats the position ("at byte 13 line 2 column 1"); we report the line.
                let text = e.to_string();
                let text = text
                    .split(" at byte ")
                    .next()
                    .unwrap_or_default()
                    .to_string();
                (m.line(), format!("invalid YAML: {text}"))
            }
            E::DuplicateKey(inner) => {
                let line = inner.key.span().start().map(|m| m.line()).unwrap_or(0);
                (line, format!("duplicate key `{}`", inner.key.as_str()))
            }
        };
        let line = u32::try_from(line).ok().filter(|l| *l > 0);
        self.push(line, "", message);
    }

    /// Reports keys that are not in `allowed`.
    fn check_keys(&mut self, map: &MarkedMappingNode, prefix: &str, allowed: &[&str]) {
        for key in map.keys() {
            if !allowed.contains(&key.as_str()) {
                self.push(
                    scalar_line(key),
                    &join(prefix, key.as_str()),
                    format!("unknown field; expected one of: {}", allowed.join(", ")),
                );
            }
        }
    }

    /// A scalar value, or a problem if present but not a scalar. Empty scalars count as absent.
    fn scalar<'a>(
        &mut self,
        map: &'a MarkedMappingNode,
        prefix: &str,
        key: &str,
    ) -> Option<&'a MarkedScalarNode> {
        let node = map.get_node(key)?;
        match node.as_scalar() {
            Some(s) if s.as_str().trim().is_empty() => None,
            Some(s) => Some(s),
            None => {
                self.push(line_of(node), &join(prefix, key), "expected a single value");
                None
            }
        }
    }

    fn opt_text(&mut self, map: &MarkedMappingNode, prefix: &str, key: &str) -> Option<String> {
        self.scalar(map, prefix, key)
            .map(|s| s.as_str().trim().to_string())
    }

    fn req_text(
        &mut self,
        map: &MarkedMappingNode,
        prefix: &str,
        key: &str,
        max_len: usize,
    ) -> Option<String> {
        match self.opt_text(map, prefix, key) {
            None => {
                self.push(
                    key_line(map, key).or(map_line(map)),
                    &join(prefix, key),
                    "is required",
                );
                None
            }
            Some(text) if text.chars().count() > max_len => {
                let line = map.get_node(key).and_then(line_of);
                self.push(
                    line,
                    &join(prefix, key),
                    format!("must be at most {max_len} characters"),
                );
                None
            }
            Some(text) => Some(text),
        }
    }

    fn opt_bool(&mut self, map: &MarkedMappingNode, prefix: &str, key: &str) -> Option<bool> {
        let s = self.scalar(map, prefix, key)?;
        match s.as_str() {
            "true" => Some(true),
            "false" => Some(false),
            other => {
                self.push(
                    scalar_line(s),
                    &join(prefix, key),
                    format!("expected true or false, found `{other}`"),
                );
                None
            }
        }
    }

    fn opt_number<T: std::str::FromStr>(
        &mut self,
        map: &MarkedMappingNode,
        prefix: &str,
        key: &str,
        what: &str,
    ) -> Option<T> {
        let s = self.scalar(map, prefix, key)?;
        match s.as_str().trim().parse::<T>() {
            Ok(v) => Some(v),
            Err(_) => {
                self.push(
                    scalar_line(s),
                    &join(prefix, key),
                    format!("expected {what}, found `{}`", s.as_str()),
                );
                None
            }
        }
    }

    fn opt_duration(
        &mut self,
        map: &MarkedMappingNode,
        prefix: &str,
        key: &str,
    ) -> Option<HumanDuration> {
        let s = self.scalar(map, prefix, key)?;
        match HumanDuration::parse(s.as_str()) {
            Ok(d) => Some(d),
            Err(e) => {
                self.push(scalar_line(s), &join(prefix, key), e.to_string());
                None
            }
        }
    }

    /// A list of plain values; a single scalar is accepted as a one-element list.
    fn text_list(
        &mut self,
        map: &MarkedMappingNode,
        prefix: &str,
        key: &str,
    ) -> Vec<(String, Option<u32>)> {
        let Some(node) = map.get_node(key) else {
            return Vec::new();
        };
        let path = join(prefix, key);
        match node {
            Node::Scalar(s) if s.as_str().trim().is_empty() => Vec::new(),
            Node::Scalar(s) => vec![(s.as_str().trim().to_string(), scalar_line(s))],
            Node::Sequence(seq) => {
                let mut out = Vec::new();
                for (i, item) in seq.iter().enumerate() {
                    match item.as_scalar() {
                        Some(s) => out.push((s.as_str().trim().to_string(), scalar_line(s))),
                        None => self.push(
                            line_of(item),
                            &format!("{path}[{i}]"),
                            "expected a single value",
                        ),
                    }
                }
                out
            }
            Node::Mapping(m) => {
                self.push(map_line(m), &path, "expected a list of values");
                Vec::new()
            }
        }
    }

    fn action(&mut self, map: &MarkedMappingNode) -> Option<ActionSpec> {
        self.check_keys(map, "", TOP_KEYS);

        let id = match self.scalar(map, "", "id") {
            Some(s) => match ActionId::parse(s.as_str().trim()) {
                Ok(id) => Some(id),
                Err(e) => {
                    self.push(scalar_line(s), "id", e.to_string());
                    None
                }
            },
            None => {
                // A non-scalar `id` was already reported by `scalar`.
                if map.get_node("id").is_none_or(|n| n.as_scalar().is_some()) {
                    let line = key_line(map, "id").or(map_line(map));
                    self.push(line, "id", "is required");
                }
                None
            }
        };
        let title = self.req_text(map, "", "title", 80);
        let summary = self.req_text(map, "", "summary", 200);
        let description = self.opt_text(map, "", "description").unwrap_or_default();
        let category = self.req_text(map, "", "category", 40);
        let mut tags: Vec<String> = Vec::new();
        for (i, (tag, line)) in self.text_list(map, "", "tags").into_iter().enumerate() {
            if tag.is_empty() {
                self.push(line, &format!("tags[{i}]"), "must not be empty");
            } else if !tags.contains(&tag) {
                tags.push(tag);
            }
        }
        let owner = self.team(map, "", "owner", true);

        let inputs = self.inputs(map);
        let field_names: Vec<&FieldSpec> = inputs.iter().collect();
        let run = self.run(map, &field_names);
        let approval = self.approval(map);
        let approval_when = self.approval_when(map, &inputs);

        let timeout = match self.opt_duration(map, "", "timeout") {
            Some(d) if d.as_secs() == 0 || d.as_secs() > MAX_TIMEOUT_SECS => {
                let line = map.get_node("timeout").and_then(line_of);
                self.push(line, "timeout", "must be between 1s and 24h");
                None
            }
            Some(d) => Some(d),
            None => Some(HumanDuration::from_secs(DEFAULT_TIMEOUT_SECS)),
        };
        let retries =
            match self.opt_number::<u32>(map, "", "retries", "a whole number from 0 to 10") {
                Some(n) if n > MAX_RETRIES => {
                    let line = map.get_node("retries").and_then(line_of);
                    self.push(line, "retries", format!("must be at most {MAX_RETRIES}"));
                    0
                }
                Some(n) => n,
                None => 0,
            };
        let concurrency =
            match self.opt_number::<u32>(map, "", "concurrency", "a whole number of at least 1") {
                Some(0) => {
                    let line = map.get_node("concurrency").and_then(line_of);
                    self.push(
                        line,
                        "concurrency",
                        "must be at least 1 (leave it out for no limit)",
                    );
                    None
                }
                other => other,
            };
        let visible_to = self.visibility(map);
        let replaces = self.opt_text(map, "", "replaces");
        let estimate = self.opt_duration(map, "", "estimate");
        let lifecycle = self.lifecycle(map, id.as_ref());
        let jira = self.jira(map, &inputs);

        Some(ActionSpec {
            id: id?,
            title: title?,
            summary: summary?,
            description,
            category: category?,
            tags,
            owner: owner?,
            inputs,
            run: run?,
            approval: approval?,
            approval_when: approval_when?,
            timeout: timeout?,
            retries,
            concurrency,
            visible_to: visible_to?,
            replaces,
            estimate,
            lifecycle: lifecycle?,
            jira: jira?,
        })
    }

    /// `jira: {label, project, issue_type, inputs, transitions}`; absent = no Jira trigger.
    fn jira(
        &mut self,
        map: &MarkedMappingNode,
        inputs: &[FieldSpec],
    ) -> Option<Option<JiraTrigger>> {
        let Some(node) = map.get_node("jira") else {
            return Some(None);
        };
        let Some(m) = node.as_mapping() else {
            self.push(
                line_of(node),
                "jira",
                "expected a mapping with `label` or `project`, and `inputs`",
            );
            return None;
        };
        let before = self.problems.len();
        self.check_keys(m, "jira", JIRA_KEYS);
        let label = self.opt_text(m, "jira", "label");
        let project = self.opt_text(m, "jira", "project");
        let issue_type = self.opt_text(m, "jira", "issue_type");
        if label.is_none() && project.is_none() {
            self.push(
                map_line(m),
                "jira",
                "needs a `label` or a `project`, so not every ticket becomes a request",
            );
        }
        let mut sources = Vec::new();
        match m.get_node("inputs") {
            None => {}
            Some(Node::Mapping(im)) => {
                for (key, value) in im.iter() {
                    let name = key.as_str();
                    let path = format!("jira.inputs.{name}");
                    let Some(field) = inputs.iter().find(|f| f.name.as_str() == name) else {
                        self.push(scalar_line(key), &path, "is not one of the action's inputs");
                        continue;
                    };
                    if matches!(field.kind, FieldKind::Secret { .. }) {
                        self.push(
                            scalar_line(key),
                            &path,
                            "is a secret: secrets are never taken from a ticket",
                        );
                        continue;
                    }
                    match value.as_scalar().and_then(|s| JiraSource::parse(s.as_str())) {
                        Some(src) => sources.push((name.to_string(), src)),
                        None => self.push(
                            line_of(value),
                            &path,
                            "expected summary, description, labels, components, customfield_<id>, field:<id> or line:<key>",
                        ),
                    }
                }
            }
            Some(other) => self.push(
                line_of(other),
                "jira.inputs",
                "expected a mapping of input names to ticket fields",
            ),
        }
        let (mut on_success, mut on_failure) = (None, None);
        match m.get_node("transitions") {
            None => {}
            Some(Node::Mapping(tm)) => {
                self.check_keys(tm, "jira.transitions", JIRA_TRANSITION_KEYS);
                on_success = self.opt_text(tm, "jira.transitions", "succeeded");
                on_failure = self.opt_text(tm, "jira.transitions", "failed");
            }
            Some(other) => self.push(
                line_of(other),
                "jira.transitions",
                "expected `succeeded` and `failed` transition names",
            ),
        }
        (self.problems.len() == before).then_some(Some(JiraTrigger {
            label,
            project,
            issue_type,
            inputs: sources,
            on_success,
            on_failure,
        }))
    }

    /// `lifecycle: {status, replacement, note}`; absent = active. Whether the replacement exists is
    /// the loader's question (it needs the whole catalogue).
    fn lifecycle(&mut self, map: &MarkedMappingNode, id: Option<&ActionId>) -> Option<Lifecycle> {
        let Some(node) = map.get_node("lifecycle") else {
            return Some(Lifecycle::default());
        };
        let Some(m) = node.as_mapping() else {
            if node
                .as_scalar()
                .is_some_and(|s| s.as_str().trim().is_empty())
            {
                return Some(Lifecycle::default());
            }
            self.push(
                line_of(node),
                "lifecycle",
                "expected a mapping with `status` (active, deprecated or retired), `replacement` and `note`",
            );
            return None;
        };
        let before = self.problems.len();
        self.check_keys(m, "lifecycle", LIFECYCLE_KEYS);
        let status = match self.scalar(m, "lifecycle", "status") {
            None => LifecycleStatus::Active,
            Some(s) => match LifecycleStatus::parse(s.as_str().trim()) {
                Some(status) => status,
                None => {
                    self.push(
                        scalar_line(s),
                        "lifecycle.status",
                        format!(
                            "expected one of: {}, found `{}`",
                            LifecycleStatus::NAMES.join(", "),
                            s.as_str().trim()
                        ),
                    );
                    LifecycleStatus::Active
                }
            },
        };
        let replacement = match self.scalar(m, "lifecycle", "replacement") {
            None => None,
            Some(s) => match ActionId::parse(s.as_str().trim()) {
                Ok(r) if Some(&r) == id => {
                    self.push(
                        scalar_line(s),
                        "lifecycle.replacement",
                        "an action cannot replace itself",
                    );
                    None
                }
                Ok(r) => Some(r),
                Err(e) => {
                    self.push(scalar_line(s), "lifecycle.replacement", e.to_string());
                    None
                }
            },
        };
        let note = self.opt_text(m, "lifecycle", "note");
        if note
            .as_ref()
            .is_some_and(|n| n.chars().count() > Lifecycle::MAX_NOTE_CHARS)
        {
            let line = m.get_node("note").and_then(line_of);
            self.push(
                line,
                "lifecycle.note",
                format!("must be at most {} characters", Lifecycle::MAX_NOTE_CHARS),
            );
        }
        (self.problems.len() == before).then_some(Lifecycle {
            status,
            replacement,
            note,
        })
    }

    fn team(
        &mut self,
        map: &MarkedMappingNode,
        prefix: &str,
        key: &str,
        required: bool,
    ) -> Option<TeamName> {
        let Some(s) = self.scalar(map, prefix, key) else {
            if required {
                self.push(map_line(map), &join(prefix, key), "is required");
            }
            return None;
        };
        match TeamName::parse(s.as_str().trim()) {
            Ok(t) => Some(t),
            Err(e) => {
                self.push(scalar_line(s), &join(prefix, key), e.to_string());
                None
            }
        }
    }

    fn visibility(&mut self, map: &MarkedMappingNode) -> Option<Visibility> {
        let Some(node) = map.get_node("visible_to") else {
            return Some(Visibility::All);
        };
        if let Some(s) = node.as_scalar() {
            if s.as_str().trim() == "all" || s.as_str().trim().is_empty() {
                return Some(Visibility::All);
            }
        }
        let mut teams = Vec::new();
        let mut ok = true;
        for (i, (name, line)) in self
            .text_list(map, "", "visible_to")
            .into_iter()
            .enumerate()
        {
            if name == "all" {
                ok = false;
                let msg = "`all` cannot be listed with teams; write `visible_to: all` for everyone";
                self.push(line, &format!("visible_to[{i}]"), msg);
                continue;
            }
            match TeamName::parse(&name) {
                Ok(t) => teams.push(t),
                Err(e) => {
                    ok = false;
                    self.push(
                        line,
                        &format!("visible_to[{i}]"),
                        format!("{e} (or write `all`)"),
                    );
                }
            }
        }
        if ok && teams.is_empty() {
            self.push(
                line_of(node),
                "visible_to",
                "expected `all` or a list of teams",
            );
            return None;
        }
        ok.then_some(Visibility::Teams(teams))
    }

    fn approval(&mut self, map: &MarkedMappingNode) -> Option<ApprovalPolicy> {
        let Some(node) = map.get_node("approval") else {
            return Some(ApprovalPolicy::None);
        };
        let expected = "expected `none`, `team-lead`, or a mapping with `from` (team-lead or a list of groups) and `count`";
        match node {
            Node::Scalar(s) => match s.as_str().trim() {
                "none" | "" => Some(ApprovalPolicy::None),
                "team-lead" => Some(ApprovalPolicy::TeamLead { count: 1 }),
                _ => {
                    self.push(
                        scalar_line(s),
                        "approval",
                        format!("{expected}, found `{}`", s.as_str()),
                    );
                    None
                }
            },
            Node::Sequence(_) => {
                self.push(line_of(node), "approval", expected);
                None
            }
            Node::Mapping(m) => {
                self.check_keys(m, "approval", &["from", "count", "when"]);
                let count = match self.opt_number::<u32>(
                    m,
                    "approval",
                    "count",
                    "a whole number from 1 to 10",
                ) {
                    None => Some(1),
                    Some(n) if (1..=10).contains(&n) => Some(n),
                    Some(_) => {
                        let line = m.get_node("count").and_then(line_of);
                        self.push(line, "approval.count", "must be from 1 to 10");
                        None
                    }
                };
                let from = match m.get_node("from") {
                    None => {
                        self.push(map_line(m), "approval.from", "is required");
                        None
                    }
                    Some(Node::Scalar(s)) if s.as_str().trim() == "team-lead" => Some(None),
                    Some(_) => {
                        let groups: Vec<String> = self
                            .text_list(m, "approval", "from")
                            .into_iter()
                            .map(|(g, _)| g)
                            .collect();
                        let bad = groups.iter().find(|g| {
                            g.is_empty()
                                || g.len() > 200
                                || g.chars().any(char::is_whitespace)
                                || *g == "team-lead"
                        });
                        if groups.is_empty() || bad.is_some() {
                            let line = m.get_node("from").and_then(line_of);
                            let msg = match bad {
                                Some(g) if g == "team-lead" => "`team-lead` cannot be mixed with groups; write `from: team-lead` for the requester's team leads".to_string(),
                                Some(g) => format!("`{g}` is not a group name (no spaces, at most 200 characters)"),
                                None => "expected `team-lead` or a list of group names".to_string(),
                            };
                            self.push(line, "approval.from", msg);
                            None
                        } else {
                            Some(Some(groups))
                        }
                    }
                };
                match (from?, count?) {
                    (None, count) => Some(ApprovalPolicy::TeamLead { count }),
                    (Some(groups), count) => Some(ApprovalPolicy::Groups { groups, count }),
                }
            }
        }
    }

    /// `approval.when`: `Some(None)` = the approval applies to every request; `None` = an invalid
    /// condition was reported.
    fn approval_when(
        &mut self,
        map: &MarkedMappingNode,
        inputs: &[FieldSpec],
    ) -> Option<Option<Condition>> {
        let Some(Node::Mapping(m)) = map.get_node("approval") else {
            return Some(None);
        };
        self.condition(m, "approval", "when", inputs, None)
    }

    fn inputs(&mut self, map: &MarkedMappingNode) -> Vec<FieldSpec> {
        let Some(node) = map.get_node("inputs") else {
            return Vec::new();
        };
        let seq = match node {
            Node::Sequence(seq) => seq,
            Node::Scalar(s) if s.as_str().trim().is_empty() => return Vec::new(),
            _ => {
                self.push(line_of(node), "inputs", "expected a list of fields");
                return Vec::new();
            }
        };
        let mut fields: Vec<FieldSpec> = Vec::new();
        let mut seen = HashSet::new();
        for (i, item) in seq.iter().enumerate() {
            let prefix = format!("inputs[{i}]");
            let Some(m) = item.as_mapping() else {
                self.push(
                    line_of(item),
                    &prefix,
                    "expected a field: a mapping with name, label and type",
                );
                continue;
            };
            if let Some(field) = self.field(m, &prefix, &fields) {
                if !seen.insert(field.name.clone()) {
                    let line = m.get_node("name").and_then(line_of);
                    self.push(
                        line,
                        &join(&prefix, "name"),
                        format!("duplicate field name `{}`", field.name),
                    );
                    continue;
                }
                fields.push(field);
            }
        }
        fields
    }

    fn field(
        &mut self,
        m: &MarkedMappingNode,
        prefix: &str,
        earlier: &[FieldSpec],
    ) -> Option<FieldSpec> {
        let name = match self.scalar(m, prefix, "name") {
            None => {
                self.push(map_line(m), &join(prefix, "name"), "is required");
                None
            }
            Some(s) => match FieldName::parse(s.as_str().trim()) {
                Ok(n) => Some(n),
                Err(e) => {
                    self.push(scalar_line(s), &join(prefix, "name"), e.to_string());
                    None
                }
            },
        };
        let label = self.req_text(m, prefix, "label", 80);
        let help = self.opt_text(m, prefix, "help");
        let placeholder = self.opt_text(m, prefix, "placeholder");
        let required = self.opt_bool(m, prefix, "required").unwrap_or(false);

        let common = [
            "name",
            "label",
            "help",
            "placeholder",
            "required",
            "default",
            "visible_if",
            "type",
        ];
        let Some(type_node) = self.scalar(m, prefix, "type") else {
            self.push(
                map_line(m),
                &join(prefix, "type"),
                format!("is required; one of: {}", FieldKind::TYPE_NAMES.join(", ")),
            );
            return None;
        };
        let type_line = scalar_line(type_node);
        let type_name = type_node.as_str().trim().to_string();
        let specific: &[&str] = match type_name.as_str() {
            "string" => &["pattern", "min_length", "max_length"],
            "text" | "secret" => &["min_length", "max_length"],
            "integer" | "number" => &["min", "max", "step"],
            "select" | "multiselect" => &["options"],
            _ => &[],
        };
        let allowed: Vec<&str> = common.iter().chain(specific.iter()).copied().collect();
        for key in m.keys() {
            if !allowed.contains(&key.as_str()) {
                let msg = if FieldKind::TYPE_NAMES.contains(&type_name.as_str()) {
                    format!(
                        "does not apply to a field of type {type_name}; expected one of: {}",
                        allowed.join(", ")
                    )
                } else {
                    "unknown field".to_string()
                };
                self.push(scalar_line(key), &join(prefix, key.as_str()), msg);
            }
        }

        let kind = self.field_kind(m, prefix, &type_name, type_line)?;
        let default = self.default_value(m, prefix, &kind);
        let visible_if = self.condition(m, prefix, "visible_if", earlier, name.as_ref());
        Some(FieldSpec {
            name: name?,
            label: label?,
            help,
            placeholder,
            required,
            default: default?,
            kind,
            visible_if: visible_if?,
        })
    }

    fn lengths(
        &mut self,
        m: &MarkedMappingNode,
        prefix: &str,
    ) -> Option<(Option<u32>, Option<u32>)> {
        let min = self.opt_number::<u32>(m, prefix, "min_length", "a whole number");
        let max = self.opt_number::<u32>(m, prefix, "max_length", "a whole number");
        if let (Some(lo), Some(hi)) = (min, max) {
            if lo > hi {
                let line = m.get_node("max_length").and_then(line_of);
                self.push(
                    line,
                    &join(prefix, "max_length"),
                    format!("must not be less than min_length ({lo})"),
                );
                return None;
            }
        }
        Some((min, max))
    }

    fn field_kind(
        &mut self,
        m: &MarkedMappingNode,
        prefix: &str,
        type_name: &str,
        type_line: Option<u32>,
    ) -> Option<FieldKind> {
        Some(match type_name {
            "string" => {
                let pattern = match self.scalar(m, prefix, "pattern") {
                    None => None,
                    Some(s) => match regex_lite::Regex::new(s.as_str())
                        .and_then(|_| regex_lite::Regex::new(&anchored(s.as_str())))
                    {
                        Ok(_) => Some(s.as_str().to_string()),
                        Err(e) => {
                            let detail = e.to_string();
                            let last = detail.lines().last().unwrap_or("").trim().to_string();
                            self.push(
                                scalar_line(s),
                                &join(prefix, "pattern"),
                                format!("invalid regex `{}`: {last}", s.as_str()),
                            );
                            return None;
                        }
                    },
                };
                let (min_length, max_length) = self.lengths(m, prefix)?;
                FieldKind::String {
                    pattern,
                    min_length,
                    max_length,
                }
            }
            "text" => {
                let (min_length, max_length) = self.lengths(m, prefix)?;
                FieldKind::Text {
                    min_length,
                    max_length,
                }
            }
            "secret" => {
                let (min_length, max_length) = self.lengths(m, prefix)?;
                FieldKind::Secret {
                    min_length,
                    max_length,
                }
            }
            "integer" => {
                let min = self.opt_number::<i64>(m, prefix, "min", "a whole number");
                let max = self.opt_number::<i64>(m, prefix, "max", "a whole number");
                let step = self.opt_number::<i64>(m, prefix, "step", "a whole number");
                self.check_range(
                    m,
                    prefix,
                    min.map(|v| v as f64),
                    max.map(|v| v as f64),
                    step.map(|v| v as f64),
                )?;
                FieldKind::Integer { min, max, step }
            }
            "number" => {
                let min = self.opt_number::<f64>(m, prefix, "min", "a number");
                let max = self.opt_number::<f64>(m, prefix, "max", "a number");
                let step = self.opt_number::<f64>(m, prefix, "step", "a number");
                self.check_range(m, prefix, min, max, step)?;
                FieldKind::Number { min, max, step }
            }
            "boolean" => FieldKind::Boolean,
            "team" => FieldKind::Team,
            "date" => FieldKind::Date,
            "select" | "multiselect" => {
                let options = self.options(m, prefix)?;
                if type_name == "select" {
                    FieldKind::Select { options }
                } else {
                    FieldKind::Multiselect { options }
                }
            }
            other => {
                self.push(
                    type_line,
                    &join(prefix, "type"),
                    format!(
                        "unknown type `{other}`; expected one of: {}",
                        FieldKind::TYPE_NAMES.join(", ")
                    ),
                );
                return None;
            }
        })
    }

    fn check_range(
        &mut self,
        m: &MarkedMappingNode,
        prefix: &str,
        min: Option<f64>,
        max: Option<f64>,
        step: Option<f64>,
    ) -> Option<()> {
        let mut ok = true;
        for (key, v) in [("min", min), ("max", max), ("step", step)] {
            if v.is_some_and(|v| !v.is_finite()) {
                let line = m.get_node(key).and_then(line_of);
                self.push(line, &join(prefix, key), "must be a finite number");
                ok = false;
            }
        }
        if let (Some(lo), Some(hi)) = (min, max) {
            if lo > hi {
                let line = m.get_node("max").and_then(line_of);
                self.push(
                    line,
                    &join(prefix, "max"),
                    format!("must not be less than min ({lo})"),
                );
                ok = false;
            }
        }
        if step.is_some_and(|s| s <= 0.0) {
            let line = m.get_node("step").and_then(line_of);
            self.push(line, &join(prefix, "step"), "must be greater than 0");
            ok = false;
        }
        ok.then_some(())
    }

    fn options(&mut self, m: &MarkedMappingNode, prefix: &str) -> Option<Vec<SelectOption>> {
        let path = join(prefix, "options");
        let Some(Node::Sequence(seq)) = m.get_node("options") else {
            let line = m.get_node("options").and_then(line_of).or(map_line(m));
            self.push(
                line,
                &path,
                "is required: a list of values, or of {value, label} mappings",
            );
            return None;
        };
        let mut out: Vec<SelectOption> = Vec::new();
        let mut ok = true;
        for (i, item) in seq.iter().enumerate() {
            let item_path = format!("{path}[{i}]");
            let option = match item {
                Node::Scalar(s) => Some(SelectOption {
                    value: s.as_str().trim().to_string(),
                    label: s.as_str().trim().to_string(),
                }),
                Node::Mapping(om) => {
                    self.check_keys(om, &item_path, &["value", "label"]);
                    let value = self.req_text(om, &item_path, "value", 200);
                    let label = self.opt_text(om, &item_path, "label");
                    value.map(|value| SelectOption {
                        label: label.unwrap_or_else(|| value.clone()),
                        value,
                    })
                }
                Node::Sequence(_) => {
                    self.push(
                        line_of(item),
                        &item_path,
                        "expected a value or a {value, label} mapping",
                    );
                    None
                }
            };
            match option {
                Some(o) if o.value.is_empty() => {
                    self.push(line_of(item), &item_path, "option value must not be empty");
                    ok = false;
                }
                Some(o) if out.iter().any(|e| e.value == o.value) => {
                    self.push(
                        line_of(item),
                        &item_path,
                        format!("duplicate option `{}`", o.value),
                    );
                    ok = false;
                }
                Some(o) => out.push(o),
                None => ok = false,
            }
        }
        if out.is_empty() && ok {
            self.push(line_of_seq(seq), &path, "must list at least one option");
            return None;
        }
        ok.then_some(out)
    }

    /// `Some(None)` = no default; `None` = an invalid default was reported.
    fn default_value(
        &mut self,
        m: &MarkedMappingNode,
        prefix: &str,
        kind: &FieldKind,
    ) -> Option<Option<Value>> {
        let Some(node) = m.get_node("default") else {
            return Some(None);
        };
        let path = join(prefix, "default");
        let line = line_of(node);
        if matches!(kind, FieldKind::Secret { .. } | FieldKind::Team) {
            self.push(
                line,
                &path,
                format!("a {} field cannot have a default", kind.type_name()),
            );
            return None;
        }
        let value = match (node, kind) {
            (Node::Sequence(seq), FieldKind::Multiselect { .. }) => {
                let mut items = Vec::new();
                for item in seq.iter() {
                    match item.as_scalar() {
                        Some(s) => items.push(Value::String(s.as_str().to_string())),
                        None => {
                            self.push(line_of(item), &path, "expected a list of option values");
                            return None;
                        }
                    }
                }
                Value::Array(items)
            }
            (Node::Scalar(s), _) => match scalar_to_value(s.as_str(), kind) {
                Ok(v) => v,
                Err(msg) => {
                    self.push(line, &path, msg);
                    return None;
                }
            },
            _ => {
                self.push(
                    line,
                    &path,
                    format!("expected a {} value", kind.type_name()),
                );
                return None;
            }
        };
        match kind.check_value(&value) {
            Ok(()) => Some(Some(value)),
            Err(msg) => {
                self.push(
                    line,
                    &path,
                    format!("default does not satisfy the field's own rules: {msg}"),
                );
                None
            }
        }
    }

    /// The condition under `key` (`visible_if` of a field, `when` of the approval), on one of the
    /// `earlier` fields. `Some(None)` = no condition; `None` = an invalid condition was reported.
    fn condition(
        &mut self,
        m: &MarkedMappingNode,
        prefix: &str,
        key: &str,
        earlier: &[FieldSpec],
        own: Option<&FieldName>,
    ) -> Option<Option<Condition>> {
        let Some(node) = m.get_node(key) else {
            return Some(None);
        };
        let path = join(prefix, key);
        let Some(cm) = node.as_mapping() else {
            self.push(
                line_of(node),
                &path,
                "expected a mapping with `field` and `equals`",
            );
            return None;
        };
        self.check_keys(cm, &path, &["field", "equals"]);
        let target = self.req_text(cm, &path, "field", 48)?;
        let Some(equals) = cm.get_node("equals").and_then(Node::as_scalar) else {
            self.push(
                map_line(cm),
                &join(&path, "equals"),
                "is required: the value the condition compares with",
            );
            return None;
        };
        let Some(other) = earlier.iter().find(|f| f.name.as_str() == target) else {
            let msg = if own.is_some_and(|n| n.as_str() == target) {
                "a field cannot depend on itself".to_string()
            } else if key == "visible_if" {
                format!("refers to `{target}`, which is not a field defined above this one")
            } else {
                format!("refers to `{target}`, which is not one of the action's inputs")
            };
            let line = cm.get_node("field").and_then(line_of);
            self.push(line, &join(&path, "field"), msg);
            return None;
        };
        let value = match &other.kind {
            FieldKind::Multiselect { .. } => Ok(Value::String(equals.as_str().to_string())),
            kind => scalar_to_value(equals.as_str(), kind)
                .and_then(|v| kind.check_value(&v).map(|()| v)),
        };
        match value {
            Ok(equals) => Some(Some(Condition {
                field: other.name.clone(),
                equals,
            })),
            Err(msg) => {
                self.push(
                    scalar_line(equals),
                    &join(&path, "equals"),
                    format!("not a possible value of `{target}`: {msg}"),
                );
                None
            }
        }
    }

    fn run(&mut self, map: &MarkedMappingNode, fields: &[&FieldSpec]) -> Option<RunSpec> {
        let Some(node) = map.get_node("run") else {
            self.push(
                map_line(map),
                "run",
                "is required: how the action is carried out (kind: script, webhook or manual)",
            );
            return None;
        };
        let Some(m) = node.as_mapping() else {
            self.push(
                line_of(node),
                "run",
                "expected a mapping with `kind` (script, webhook or manual) and its settings",
            );
            return None;
        };
        let kind = self.opt_text(m, "run", "kind");
        match kind.as_deref() {
            Some("script") => {
                self.check_keys(m, "run", &["kind", "command", "args"]);
                let command = self.req_text(m, "run", "command", 200);
                if let Some(c) = &command {
                    if c.starts_with('/') || c.split(['/', '\\']).any(|part| part == "..") {
                        let line = m.get_node("command").and_then(line_of);
                        self.push(line, "run.command", "must be a path inside the catalogue directory (relative, without `..`)");
                    }
                }
                let args = self.text_list(m, "run", "args");
                let mut out = Vec::new();
                for (i, (arg, line)) in args.into_iter().enumerate() {
                    let path = format!("run.args[{i}]");
                    for name in self.template_refs(&arg, line, &path, fields) {
                        if fields.iter().any(|f| {
                            f.name.as_str() == name && matches!(f.kind, FieldKind::Secret { .. })
                        }) {
                            self.push(line, &path, format!("secret field `{name}` cannot be passed as an argument (arguments are visible in process lists); read it from stdin or RUNWAY_INPUT_{}", name.to_uppercase()));
                        }
                    }
                    out.push(arg);
                }
                Some(RunSpec::Script {
                    command: command?,
                    args: out,
                })
            }
            Some("webhook") => {
                self.check_keys(
                    m,
                    "run",
                    &["kind", "method", "url", "headers", "body", "poll"],
                );
                let method = match self.opt_text(m, "run", "method").as_deref() {
                    None | Some("POST") => Some(HttpMethod::Post),
                    Some("GET") => Some(HttpMethod::Get),
                    Some("PUT") => Some(HttpMethod::Put),
                    Some("PATCH") => Some(HttpMethod::Patch),
                    Some("DELETE") => Some(HttpMethod::Delete),
                    Some(other) => {
                        let line = m.get_node("method").and_then(line_of);
                        self.push(
                            line,
                            "run.method",
                            format!("expected GET, POST, PUT, PATCH or DELETE, found `{other}`"),
                        );
                        None
                    }
                };
                let url = self.req_text(m, "run", "url", 2_000);
                if let Some(u) = &url {
                    let line = m.get_node("url").and_then(line_of);
                    // A configuration reference may supply the scheme and host
                    // (`{{config.ci_url}}/deploy`); the executor checks the rendered URL again.
                    let from_config = u
                        .strip_prefix("{{")
                        .and_then(|rest| rest.split_once("}}"))
                        .is_some_and(|(name, _)| config_key(name.trim()).is_some());
                    let literal = (u.starts_with("https://") || u.starts_with("http://"))
                        && u.len() > "https://".len();
                    if !(from_config || literal) {
                        self.push(
                            line,
                            "run.url",
                            format!("expected an http:// or https:// URL, found `{u}`"),
                        );
                    }
                    let refs = self.template_refs(u, line, "run.url", fields);
                    self.no_secret_refs(
                        &refs,
                        line,
                        "run.url",
                        fields,
                        "URLs end up in access logs",
                    );
                }
                let mut headers = BTreeMap::new();
                match m.get_node("headers") {
                    None => {}
                    Some(Node::Mapping(hm)) => {
                        for (k, v) in hm.iter() {
                            let path = format!("run.headers.{}", k.as_str());
                            let valid_name = !k.as_str().is_empty()
                                && k.as_str()
                                    .bytes()
                                    .all(|b| b.is_ascii_alphanumeric() || b == b'-');
                            if !valid_name {
                                self.push(
                                    scalar_line(k),
                                    &path,
                                    "header names use letters, digits and hyphens",
                                );
                            }
                            match v.as_scalar() {
                                Some(s) => {
                                    let refs = self.template_refs(
                                        s.as_str(),
                                        scalar_line(s),
                                        &path,
                                        fields,
                                    );
                                    let why = "headers end up in proxy logs";
                                    self.no_secret_refs(&refs, scalar_line(s), &path, fields, why);
                                    headers.insert(k.as_str().to_string(), s.as_str().to_string());
                                }
                                None => self.push(line_of(v), &path, "expected a single value"),
                            }
                        }
                    }
                    Some(other) => self.push(
                        line_of(other),
                        "run.headers",
                        "expected a mapping of header names to values",
                    ),
                }
                let body = m.get_node("body").map(|b| {
                    let v = node_to_json(b);
                    self.json_refs(&v, line_of(b), "run.body", fields);
                    v
                });
                let poll = self.webhook_poll(m);
                Some(RunSpec::Webhook {
                    method: method?,
                    url: url?,
                    headers,
                    body,
                    poll: poll?,
                })
            }
            Some("manual") => {
                self.check_keys(m, "run", &["kind", "instructions"]);
                Some(RunSpec::Manual {
                    instructions: self.opt_text(m, "run", "instructions"),
                })
            }
            Some(other) => {
                let line = m.get_node("kind").and_then(line_of);
                self.push(
                    line,
                    "run.kind",
                    format!("unknown executor `{other}`; expected script, webhook or manual"),
                );
                None
            }
            None => {
                self.push(
                    map_line(m),
                    "run.kind",
                    "is required: script, webhook or manual",
                );
                None
            }
        }
    }

    /// `run.poll`: `true` for the defaults, or a mapping overriding some of them. `Some(None)` = no
    /// polling; `None` = an invalid setting was reported.
    fn webhook_poll(&mut self, m: &MarkedMappingNode) -> Option<Option<WebhookPoll>> {
        let path = "run.poll";
        let expected = "expected `true` or a mapping with any of: status_url, status, success, failure, interval";
        let Some(node) = m.get_node("poll") else {
            return Some(None);
        };
        let pm = match node {
            Node::Scalar(s) => {
                return match s.as_str().trim() {
                    "true" => Some(Some(WebhookPoll::default())),
                    "false" | "" => Some(None),
                    other => {
                        self.push(scalar_line(s), path, format!("{expected}, found `{other}`"));
                        None
                    }
                };
            }
            Node::Sequence(seq) => {
                self.push(line_of_seq(seq), path, expected);
                return None;
            }
            Node::Mapping(pm) => pm,
        };
        self.check_keys(pm, path, POLL_KEYS);
        let before = self.problems.len();
        let mut poll = WebhookPoll::default();
        for (key, target) in [
            ("status_url", &mut poll.status_url),
            ("status", &mut poll.status),
        ] {
            if let Some(pointer) = self.opt_text(pm, path, key) {
                if pointer.starts_with('/') {
                    *target = pointer;
                } else {
                    let line = pm.get_node(key).and_then(line_of);
                    let msg =
                        format!("expected a JSON pointer such as `/data/{key}`, found `{pointer}`");
                    self.push(line, &join(path, key), msg);
                }
            }
        }
        for (key, target) in [
            ("success", &mut poll.success),
            ("failure", &mut poll.failure),
        ] {
            if pm.get_node(key).is_none() {
                continue;
            }
            let items = self.text_list(pm, path, key);
            // A mapping was already reported by `text_list`.
            if items.is_empty() && !matches!(pm.get_node(key), Some(Node::Mapping(_))) {
                let line = key_line(pm, key);
                self.push(
                    line,
                    &join(path, key),
                    "must list at least one status value",
                );
            }
            let mut values = Vec::new();
            for (i, (value, line)) in items.into_iter().enumerate() {
                if value.is_empty() {
                    self.push(line, &format!("{path}.{key}[{i}]"), "must not be empty");
                } else if !values.contains(&value) {
                    values.push(value);
                }
            }
            *target = values;
        }
        // One status cannot mean both; the clash is reported where the file lists it.
        let clash_key = if pm.get_node("failure").is_some() {
            "failure"
        } else {
            "success"
        };
        for value in poll.failure.iter().filter(|f| poll.success.contains(f)) {
            let msg = format!("`{value}` is listed as both a success and a failure status");
            self.push(key_line(pm, clash_key), &join(path, clash_key), msg);
        }
        match self.opt_duration(pm, path, "interval") {
            Some(d) if d.as_secs() == 0 || d.as_secs() > MAX_POLL_INTERVAL_SECS => {
                let line = pm.get_node("interval").and_then(line_of);
                self.push(line, &join(path, "interval"), "must be between 1s and 1h");
            }
            Some(d) => poll.interval = d,
            None => {}
        }
        (self.problems.len() == before).then_some(Some(poll))
    }

    /// Reports references to secret fields in a place where the value would leak.
    fn no_secret_refs(
        &mut self,
        refs: &[String],
        line: Option<u32>,
        path: &str,
        fields: &[&FieldSpec],
        why: &str,
    ) {
        for name in refs {
            let secret = fields
                .iter()
                .any(|f| f.name.as_str() == name && matches!(f.kind, FieldKind::Secret { .. }));
            if secret {
                let msg = format!(
                    "secret field `{name}` cannot be used here ({why}); send it in the body"
                );
                self.push(line, path, msg);
            }
        }
    }

    /// Checks `{{name}}` references in a template and returns the names found. Configuration
    /// references (`{{config.name}}`) are filled from Runway's settings at run time, so only their
    /// form is checked.
    fn template_refs(
        &mut self,
        text: &str,
        line: Option<u32>,
        path: &str,
        fields: &[&FieldSpec],
    ) -> Vec<String> {
        match template_fields(text) {
            Ok(names) => {
                for name in &names {
                    let known = config_key(name).is_some()
                        || fields.iter().any(|f| f.name.as_str() == name);
                    if !known {
                        self.push(
                            line,
                            path,
                            format!("`{{{{{name}}}}}` refers to no input field"),
                        );
                    }
                }
                names
            }
            Err(msg) => {
                self.push(line, path, msg);
                Vec::new()
            }
        }
    }

    fn json_refs(&mut self, value: &Value, line: Option<u32>, path: &str, fields: &[&FieldSpec]) {
        match value {
            Value::String(s) => {
                self.template_refs(s, line, path, fields);
            }
            Value::Array(items) => items
                .iter()
                .for_each(|v| self.json_refs(v, line, path, fields)),
            Value::Object(map) => map
                .values()
                .for_each(|v| self.json_refs(v, line, path, fields)),
            _ => {}
        }
    }
}

fn line_of_seq(seq: &marked_yaml::types::MarkedSequenceNode) -> Option<u32> {
    seq.span().start().map(|m| m.line() as u32)
}

/// Wraps a catalogue pattern so that it must match the whole value.
pub fn anchored(pattern: &str) -> String {
    format!("^(?:{pattern})$")
}

/// What a template reference starts with when it names a configuration variable, not a field:
/// `{{config.ci_url}}`. The executor's caller puts these into the values map under the full name
/// (`config.ci_url`), so rendering needs no special case.
pub const CONFIG_PREFIX: &str = "config.";

/// The configuration variable a reference names (`ci_url` for `config.ci_url`), if it is one.
pub fn config_key(reference: &str) -> Option<&str> {
    reference.strip_prefix(CONFIG_PREFIX)
}

/// The names referenced as `{{name}}` in a template (field names, and configuration references
/// with their `config.` prefix), or a message for a malformed one.
pub fn template_fields(text: &str) -> Result<Vec<String>, String> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            return Err("unclosed `{{` in template".to_string());
        };
        let name = after[..end].trim();
        if let Some(key) = config_key(name) {
            if FieldName::parse(key).is_err() {
                return Err(format!(
                    "`{{{{{name}}}}}` is not a configuration reference (after `{CONFIG_PREFIX}`, {})",
                    FieldName::RULE
                ));
            }
        } else if FieldName::parse(name).is_err() {
            return Err(format!(
                "`{{{{{name}}}}}` is not a field reference ({})",
                FieldName::RULE
            ));
        }
        names.push(name.to_string());
        rest = &after[end + 2..];
    }
    Ok(names)
}

/// Converts a YAML scalar written for a field of `kind` into its JSON value.
fn scalar_to_value(text: &str, kind: &FieldKind) -> Result<Value, String> {
    let t = text.trim();
    match kind {
        FieldKind::Integer { .. } => t
            .parse::<i64>()
            .map(Value::from)
            .map_err(|_| format!("expected a whole number, found `{t}`")),
        FieldKind::Number { .. } => t
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .ok_or_else(|| format!("expected a number, found `{t}`")),
        FieldKind::Boolean => match t {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(format!("expected true or false, found `{t}`")),
        },
        FieldKind::Multiselect { .. } => Ok(Value::Array(vec![Value::String(t.to_string())])),
        _ => Ok(Value::String(text.to_string())),
    }
}

/// Converts a YAML subtree into JSON, typing plain scalars (numbers, booleans, null) as YAML would.
fn node_to_json(node: &Node) -> Value {
    match node {
        Node::Scalar(s) => {
            if !s.may_coerce() {
                return Value::String(s.as_str().to_string());
            }
            let t = s.as_str();
            match t {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                "null" | "~" | "" => Value::Null,
                _ => t
                    .parse::<i64>()
                    .map(Value::from)
                    .ok()
                    .or_else(|| {
                        t.parse::<f64>()
                            .ok()
                            .and_then(serde_json::Number::from_f64)
                            .map(Value::Number)
                    })
                    .unwrap_or_else(|| Value::String(t.to_string())),
            }
        }
        Node::Sequence(seq) => Value::Array(seq.iter().map(node_to_json).collect()),
        Node::Mapping(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (k.as_str().to_string(), node_to_json(v)))
                .collect(),
        ),
    }
}

impl FieldKind {
    /// Checks a typed value against this field's rules. Used for defaults here; the form issue
    /// builds full request validation on the same rules.
    pub fn check_value(&self, value: &Value) -> Result<(), String> {
        fn lengths(s: &str, min: Option<u32>, max: Option<u32>) -> Result<(), String> {
            let n = s.chars().count();
            if let Some(min) = min {
                if n < min as usize {
                    return Err(format!("must be at least {min} characters"));
                }
            }
            if let Some(max) = max {
                if n > max as usize {
                    return Err(format!("must be at most {max} characters"));
                }
            }
            Ok(())
        }
        fn range(
            v: f64,
            min: Option<f64>,
            max: Option<f64>,
            step: Option<f64>,
        ) -> Result<(), String> {
            if min.is_some_and(|m| v < m) {
                return Err(format!("must be at least {}", min.unwrap_or_default()));
            }
            if max.is_some_and(|m| v > m) {
                return Err(format!("must be at most {}", max.unwrap_or_default()));
            }
            if let Some(step) = step {
                let base = min.unwrap_or(0.0);
                let k = (v - base) / step;
                if (k - k.round()).abs() > 1e-9 {
                    return Err(format!("must be a multiple of {step} from {base}"));
                }
            }
            Ok(())
        }
        let expected = || format!("expected a {} value", self.type_name());
        match self {
            FieldKind::String {
                pattern,
                min_length,
                max_length,
            } => {
                let s = value.as_str().ok_or_else(expected)?;
                lengths(s, *min_length, *max_length)?;
                if let Some(p) = pattern {
                    let re = regex_lite::Regex::new(&anchored(p))
                        .map_err(|_| "the pattern is invalid".to_string())?;
                    if !re.is_match(s) {
                        return Err(format!("must match the pattern {p}"));
                    }
                }
                Ok(())
            }
            FieldKind::Text {
                min_length,
                max_length,
            }
            | FieldKind::Secret {
                min_length,
                max_length,
            } => lengths(
                value.as_str().ok_or_else(expected)?,
                *min_length,
                *max_length,
            ),
            FieldKind::Integer { min, max, step } => {
                let v = value.as_i64().ok_or_else(expected)?;
                range(
                    v as f64,
                    min.map(|m| m as f64),
                    max.map(|m| m as f64),
                    step.map(|s| s as f64),
                )
            }
            FieldKind::Number { min, max, step } => {
                range(value.as_f64().ok_or_else(expected)?, *min, *max, *step)
            }
            FieldKind::Boolean => value.as_bool().map(|_| ()).ok_or_else(expected),
            FieldKind::Select { options } => {
                let s = value.as_str().ok_or_else(expected)?;
                if options.iter().any(|o| o.value == s) {
                    Ok(())
                } else {
                    Err(format!("`{s}` is not one of the options"))
                }
            }
            FieldKind::Multiselect { options } => {
                let items = value.as_array().ok_or_else(expected)?;
                for item in items {
                    let s = item.as_str().ok_or_else(expected)?;
                    if !options.iter().any(|o| o.value == s) {
                        return Err(format!("`{s}` is not one of the options"));
                    }
                }
                Ok(())
            }
            FieldKind::Team => value.as_str().map(|_| ()).ok_or_else(expected),
            FieldKind::Date => {
                let s = value.as_str().ok_or_else(expected)?;
                if is_iso_date(s) {
                    Ok(())
                } else {
                    Err(format!("expected a date as YYYY-MM-DD, found `{s}`"))
                }
            }
        }
    }
}

/// `YYYY-MM-DD` with a real month and day (leap years included).
pub fn is_iso_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| s.get(r).and_then(|p| p.parse::<u32>().ok());
    let (Some(y), Some(m), Some(d)) = (num(0..4), num(5..7), num(8..10)) else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}

#[cfg(test)]
mod tests;
