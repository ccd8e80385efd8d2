//! Editing an action's YAML from the portal's structured editor, without losing the rest of the file.
//!
//! The YAML text is the one source of truth: the structured editor reads an [`EditDoc`] from it
//! leniently (a half-written action still reads), and each change re-emits only the top-level key
//! it touched ([`EditDoc::block`]) and [`splice`]s that block into the text. Comments and the layout
//! of every other key stay as the author wrote them. Validation is always [`crate::parse`] on the
//! resulting text, in the browser as the admin types and again on the server when publishing.
//!
//! Emitted values round-trip exactly: [`EditDoc::from_yaml`] of an emitted block reads back the same
//! strings (quoted when a plain YAML scalar would be trimmed, typed or misread).

use crate::spec::ExecutorKind;
use marked_yaml::types::MarkedMappingNode;
use marked_yaml::{LoaderOptions, Node};

/// What the editor page opens with.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EditorData {
    /// The action id (empty for a new action until its YAML names one).
    pub id: String,
    pub yaml: String,
    /// The base token of the file the YAML came from; empty for a new action.
    pub base: String,
    pub is_new: bool,
    /// When the YAML is a saved draft: who saved it and when (words for the page).
    pub draft: Option<String>,
    /// The editor's own teams, for the preview's team fields.
    pub teams: Vec<String>,
    /// A member of the owning team reading it: no publishing or saving.
    #[serde(default)]
    pub read_only: bool,
}

/// A saved draft, as the New action page lists it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DraftLink {
    pub id: String,
    pub owner: String,
    /// When it was saved, in words for the page.
    pub saved_at: String,
}

/// Replaces the top-level `key`'s block in `yaml` with `block` (which starts with `key:` and ends with
/// a newline), appends it when the key is absent, or removes the key when `block` is `None`.
///
/// A key's block runs from its line to the next top-level key; blank lines and comments just above
/// the next key belong to that key. Works on block-style mappings, the catalogue's format.
pub fn splice(yaml: &str, key: &str, block: Option<&str>) -> String {
    let lines: Vec<&str> = yaml.split_inclusive('\n').collect();
    let is_top = |line: &str| {
        let first = line.chars().next();
        matches!(first, Some(c) if !c.is_whitespace() && c != '#' && c != '-') && line.contains(':')
    };
    let key_of = |line: &str| -> Option<String> {
        let name = line.split(':').next()?.trim();
        let name = name.trim_matches(|c| c == '"' || c == '\'');
        Some(name.to_string())
    };
    let start = lines
        .iter()
        .position(|l| is_top(l) && key_of(l).as_deref() == Some(key));
    let mut out = String::with_capacity(yaml.len() + block.map_or(0, str::len));
    let Some(start) = start else {
        out.push_str(yaml);
        if let Some(block) = block {
            if !out.is_empty() && !out.ends_with('\n') {
                out.push('\n');
            }
            out.push_str(block);
        }
        return out;
    };
    let mut end = lines[start + 1..]
        .iter()
        .position(|l| is_top(l) || l.starts_with("---") || l.starts_with("..."))
        .map_or(lines.len(), |p| start + 1 + p);
    if end < lines.len() {
        while end > start + 1 {
            let prev = lines[end - 1];
            if prev.trim().is_empty() || prev.starts_with('#') {
                end -= 1;
            } else {
                break;
            }
        }
    }
    for l in &lines[..start] {
        out.push_str(l);
    }
    if let Some(block) = block {
        out.push_str(block);
        if !block.ends_with('\n') {
            out.push('\n');
        }
    }
    for l in &lines[end..] {
        out.push_str(l);
    }
    out
}

/// `s` as a YAML scalar that reads back as exactly `s`: plain when that is unambiguous, otherwise
/// double-quoted (JSON string escapes are valid YAML).
pub fn scalar(s: &str) -> String {
    if plain_ok(s) {
        s.to_string()
    } else {
        serde_json::Value::String(s.to_string()).to_string()
    }
}

/// Like [`scalar`], for an item of a flow list (`[a, b]`), where `,[]{}` also need quotes.
fn flow_item(s: &str) -> String {
    if s.contains([',', '[', ']', '{', '}']) {
        serde_json::Value::String(s.to_string()).to_string()
    } else {
        scalar(s)
    }
}

/// A value a human would write unquoted (`true`, `12`, `5m`): plain when YAML reads it back as the
/// same text, else quoted.
fn value(s: &str) -> String {
    let lower = s.to_ascii_lowercase();
    let typed = matches!(lower.as_str(), "true" | "false") || s.parse::<f64>().is_ok();
    if typed && !s.contains(char::is_whitespace) {
        s.to_string()
    } else {
        scalar(s)
    }
}

fn plain_ok(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if s.trim() != s || s.chars().any(char::is_control) {
        return false;
    }
    if "-?:,[]{}#&*!|>'\"%@`".contains(first) {
        return false;
    }
    if s.contains(": ") || s.contains(" #") || s.ends_with(':') {
        return false;
    }
    let lower = s.to_ascii_lowercase();
    let reserved = [
        "true", "false", "null", "~", "yes", "no", "on", "off", "y", "n",
    ];
    if reserved.contains(&lower.as_str()) || s.parse::<f64>().is_ok() {
        return false;
    }
    true
}

/// `key: value` for a long text: a literal block (`|-` / `|`) when the text has several lines and
/// reads back exactly that way, else a scalar.
fn text_block(key: &str, s: &str, indent: &str) -> String {
    let body = s.strip_suffix('\n').unwrap_or(s);
    let literal_ok = s.contains('\n')
        && !body.ends_with('\n')
        // YAML takes the block's indentation from its first non-empty line, so that line must
        // not start with a blank of its own.
        && !body
            .split('\n')
            .find(|l| !l.is_empty())
            .is_some_and(|l| l.starts_with([' ', '\t']))
        && !s.contains('\r')
        && !body.lines().any(|l| l.ends_with([' ', '\t']));
    if !literal_ok {
        return format!("{indent}{key}: {}\n", scalar(s));
    }
    let marker = if s.ends_with('\n') { "|" } else { "|-" };
    let mut out = format!("{indent}{key}: {marker}\n");
    for line in body.split('\n') {
        if line.is_empty() {
            out.push('\n');
        } else {
            out.push_str(indent);
            out.push_str("  ");
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// Splits a comma-separated list typed in one box, dropping empty items.
pub fn split_list(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect()
}

/// One input field as the structured editor shows it: every rule as the text typed, so a field
/// that does not validate yet still reads and edits.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EditField {
    pub name: String,
    pub label: String,
    /// One of [`crate::spec::FieldKind::TYPE_NAMES`] (or whatever was typed).
    pub kind: String,
    pub required: bool,
    pub help: String,
    pub placeholder: String,
    /// For a multiselect, the values separated by commas.
    pub default: String,
    pub pattern: String,
    pub min_length: String,
    pub max_length: String,
    pub min: String,
    pub max: String,
    pub step: String,
    /// One option per line: `value = Label` (or just `value`).
    pub options: String,
    pub visible_if_field: String,
    pub visible_if_equals: String,
}

/// The parts of an action the structured editor edits, read leniently from its YAML.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EditDoc {
    pub id: String,
    pub title: String,
    pub summary: String,
    pub description: String,
    pub category: String,
    /// Comma-separated.
    pub tags: String,
    pub owner: String,
    pub replaces: String,
    pub estimate: String,
    pub timeout: String,
    /// `none`, `team-lead` or `groups`.
    pub approval_from: String,
    pub approval_count: String,
    /// Comma-separated group names when `approval_from` is `groups`.
    pub approval_groups: String,
    pub approval_when_field: String,
    pub approval_when_equals: String,
    /// `true`: everyone; `false`: only `visible_teams` (a beta rollout).
    pub visible_to_all: bool,
    /// Comma-separated early-adopter teams.
    pub visible_teams: String,
    pub inputs: Vec<EditField>,
    /// `run.kind` as written (shown, edited only in YAML).
    pub run_kind: String,
}

/// The top-level keys the structured editor writes.
pub const EDITED_KEYS: [&str; 14] = [
    "id",
    "title",
    "summary",
    "description",
    "category",
    "tags",
    "owner",
    "replaces",
    "estimate",
    "timeout",
    "approval",
    "visible_to",
    "inputs",
    "run",
];

fn text_of(node: Option<&Node>) -> String {
    match node {
        Some(Node::Scalar(s)) => s.as_str().to_string(),
        Some(Node::Sequence(seq)) => seq
            .iter()
            .filter_map(|n| n.as_scalar().map(|s| s.as_str().to_string()))
            .collect::<Vec<_>>()
            .join(", "),
        _ => String::new(),
    }
}

fn get<'a>(m: &'a MarkedMappingNode, key: &str) -> Option<&'a Node> {
    m.get_node(key)
}

impl EditDoc {
    /// Reads what it can from `yaml`; `None` when the text is not a YAML mapping at all (the
    /// structured editor then asks for the YAML to be fixed first).
    pub fn from_yaml(yaml: &str) -> Option<EditDoc> {
        let options = LoaderOptions::default().prevent_coercion(true);
        let root = marked_yaml::parse_yaml_with_options(0, yaml, options).ok()?;
        let m = root.as_mapping()?;
        let t = |k: &str| text_of(get(m, k));
        let mut doc = EditDoc {
            id: t("id"),
            title: t("title"),
            summary: t("summary"),
            description: t("description"),
            category: t("category"),
            tags: t("tags"),
            owner: t("owner"),
            replaces: t("replaces"),
            estimate: t("estimate"),
            timeout: t("timeout"),
            approval_from: "none".to_string(),
            visible_to_all: true,
            ..EditDoc::default()
        };
        match get(m, "approval") {
            Some(Node::Scalar(s)) if s.as_str().trim() == "team-lead" => {
                doc.approval_from = "team-lead".to_string();
            }
            Some(Node::Mapping(a)) => {
                match get(a, "from") {
                    Some(Node::Scalar(s)) if s.as_str().trim() == "team-lead" => {
                        doc.approval_from = "team-lead".to_string();
                    }
                    Some(from) => {
                        doc.approval_from = "groups".to_string();
                        doc.approval_groups = text_of(Some(from));
                    }
                    None => doc.approval_from = "team-lead".to_string(),
                }
                doc.approval_count = text_of(get(a, "count"));
                if let Some(Node::Mapping(w)) = get(a, "when") {
                    doc.approval_when_field = text_of(get(w, "field"));
                    doc.approval_when_equals = text_of(get(w, "equals"));
                }
            }
            _ => {}
        }
        match get(m, "visible_to") {
            Some(Node::Scalar(s)) if matches!(s.as_str().trim(), "all" | "") => {}
            Some(node) => {
                doc.visible_to_all = false;
                doc.visible_teams = text_of(Some(node));
            }
            None => {}
        }
        if let Some(Node::Mapping(run)) = get(m, "run") {
            doc.run_kind = text_of(get(run, "kind"));
        }
        if let Some(Node::Sequence(seq)) = get(m, "inputs") {
            doc.inputs = seq
                .iter()
                .filter_map(Node::as_mapping)
                .map(EditField::read)
                .collect();
        }
        Some(doc)
    }

    /// The YAML block for one of [`EDITED_KEYS`] (`None`: leave the key out).
    pub fn block(&self, key: &str) -> Option<String> {
        let line =
            |k: &str, v: &str| (!v.trim().is_empty()).then(|| format!("{k}: {}\n", scalar(v)));
        match key {
            "id" => line("id", &self.id),
            "title" => line("title", &self.title),
            "summary" => line("summary", &self.summary),
            "category" => line("category", &self.category),
            "owner" => line("owner", &self.owner),
            "replaces" => line("replaces", &self.replaces),
            "estimate" => line("estimate", &self.estimate),
            "timeout" => line("timeout", &self.timeout),
            "description" => (!self.description.is_empty())
                .then(|| text_block("description", &self.description, "")),
            "tags" => {
                let tags = split_list(&self.tags);
                (!tags.is_empty()).then(|| format!("tags: [{}]\n", flow_list(&tags)))
            }
            "visible_to" => Some(if self.visible_to_all {
                "visible_to: all\n".to_string()
            } else {
                format!(
                    "visible_to: [{}]\n",
                    flow_list(&split_list(&self.visible_teams))
                )
            }),
            "approval" => Some(self.approval_block()),
            "inputs" => Some(self.inputs_block()),
            _ => None,
        }
    }

    fn approval_block(&self) -> String {
        let count = self.approval_count.trim();
        let has_when = !self.approval_when_field.trim().is_empty();
        match self.approval_from.as_str() {
            "team-lead" if (count.is_empty() || count == "1") && !has_when => {
                "approval: team-lead\n".to_string()
            }
            "team-lead" | "groups" => {
                let from = if self.approval_from == "team-lead" {
                    "team-lead".to_string()
                } else {
                    format!("[{}]", flow_list(&split_list(&self.approval_groups)))
                };
                let mut out = format!("approval:\n  from: {from}\n");
                if !count.is_empty() {
                    out.push_str(&format!("  count: {}\n", value(count)));
                }
                if has_when {
                    out.push_str(&format!(
                        "  when: {{field: {}, equals: {}}}\n",
                        flow_item(self.approval_when_field.trim()),
                        flow_value(&self.approval_when_equals)
                    ));
                }
                out
            }
            _ => "approval: none\n".to_string(),
        }
    }

    fn inputs_block(&self) -> String {
        if self.inputs.is_empty() {
            return "inputs: []\n".to_string();
        }
        let mut out = "inputs:\n".to_string();
        for f in &self.inputs {
            f.write(&mut out);
        }
        out
    }

    /// `yaml` with `key` rewritten from this document.
    pub fn apply(&self, yaml: &str, key: &str) -> String {
        splice(yaml, key, self.block(key).as_deref())
    }
}

fn flow_list(items: &[String]) -> String {
    items
        .iter()
        .map(|s| flow_item(s))
        .collect::<Vec<_>>()
        .join(", ")
}

fn flow_value(s: &str) -> String {
    let v = value(s);
    if v == s && s.contains([',', '[', ']', '{', '}']) {
        serde_json::Value::String(s.to_string()).to_string()
    } else {
        v
    }
}

impl EditField {
    fn read(m: &MarkedMappingNode) -> EditField {
        let t = |k: &str| text_of(get(m, k));
        let options = match get(m, "options") {
            Some(Node::Sequence(seq)) => seq
                .iter()
                .map(|o| match o {
                    Node::Mapping(om) => {
                        let v = text_of(get(om, "value"));
                        let l = text_of(get(om, "label"));
                        if l.is_empty() || l == v {
                            v
                        } else {
                            format!("{v} = {l}")
                        }
                    }
                    other => text_of(Some(other)),
                })
                .collect::<Vec<_>>()
                .join("\n"),
            _ => String::new(),
        };
        let (visible_if_field, visible_if_equals) = match get(m, "visible_if") {
            Some(Node::Mapping(c)) => (text_of(get(c, "field")), text_of(get(c, "equals"))),
            _ => (String::new(), String::new()),
        };
        EditField {
            name: t("name"),
            label: t("label"),
            kind: t("type"),
            required: t("required").trim() == "true",
            help: t("help"),
            placeholder: t("placeholder"),
            default: t("default"),
            pattern: t("pattern"),
            min_length: t("min_length"),
            max_length: t("max_length"),
            min: t("min"),
            max: t("max"),
            step: t("step"),
            options,
            visible_if_field,
            visible_if_equals,
        }
    }

    /// Which rule boxes apply to this field's type (the parser refuses the others).
    pub fn rules(kind: &str) -> &'static [&'static str] {
        match kind {
            "string" => &["pattern", "min_length", "max_length"],
            "text" | "secret" => &["min_length", "max_length"],
            "integer" | "number" => &["min", "max", "step"],
            "select" | "multiselect" => &["options"],
            _ => &[],
        }
    }

    fn write(&self, out: &mut String) {
        let mut first = true;
        let mut line = |out: &mut String, k: &str, v: String| {
            out.push_str(if first { "  - " } else { "    " });
            first = false;
            out.push_str(k);
            out.push_str(": ");
            out.push_str(&v);
            out.push('\n');
        };
        line(out, "name", scalar(&self.name));
        if !self.label.is_empty() {
            line(out, "label", scalar(&self.label));
        }
        line(out, "type", scalar(&self.kind));
        if self.required {
            line(out, "required", "true".to_string());
        }
        let rules = Self::rules(&self.kind);
        let rule = |k: &str, v: &str| rules.contains(&k) && !v.trim().is_empty();
        if rule("pattern", &self.pattern) {
            line(out, "pattern", scalar(&self.pattern));
        }
        for (k, v) in [
            ("min_length", &self.min_length),
            ("max_length", &self.max_length),
            ("min", &self.min),
            ("max", &self.max),
            ("step", &self.step),
        ] {
            if rule(k, v) {
                line(out, k, value(v.trim()));
            }
        }
        if !self.placeholder.is_empty() {
            line(out, "placeholder", scalar(&self.placeholder));
        }
        if !self.default.trim().is_empty() {
            let v = if self.kind == "multiselect" {
                format!("[{}]", flow_list(&split_list(&self.default)))
            } else {
                value(&self.default)
            };
            line(out, "default", v);
        }
        if !self.help.is_empty() {
            line(out, "help", scalar(&self.help));
        }
        if !self.visible_if_field.trim().is_empty() {
            line(
                out,
                "visible_if",
                format!(
                    "{{field: {}, equals: {}}}",
                    flow_item(self.visible_if_field.trim()),
                    flow_value(&self.visible_if_equals)
                ),
            );
        }
        if rules.contains(&"options") {
            let options: Vec<(String, String)> = self
                .options
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(|l| match l.split_once('=') {
                    Some((v, label)) => (v.trim().to_string(), label.trim().to_string()),
                    None => (l.to_string(), l.to_string()),
                })
                .collect();
            if options.is_empty() {
                line(out, "options", "[]".to_string());
            } else {
                out.push_str("    options:\n");
                for (v, label) in options {
                    out.push_str(&format!("      - value: {}\n", scalar(&v)));
                    out.push_str(&format!("        label: {}\n", scalar(&label)));
                }
            }
        }
    }
}

/// A new action's YAML: a manual action with one field, or a script or webhook skeleton whose
/// `run` the admin completes (a script must already exist in the catalogue's `scripts/`).
pub fn template(kind: ExecutorKind, owner: &str) -> String {
    let owner = if owner.is_empty() { "platform" } else { owner };
    let run = match kind {
        ExecutorKind::Manual => "run:\n  kind: manual\n  instructions: |-\n    What the person fulfilling the request does, step by step.\n".to_string(),
        ExecutorKind::Script => "run:\n  kind: script\n  # A script that already exists in the catalogue directory, relative to it.\n  command: scripts/CHANGE-ME.sh\n  args: [\"--name\", \"{{name}}\"]\n".to_string(),
        ExecutorKind::Webhook => "run:\n  kind: webhook\n  method: POST\n  url: https://ci.example.com/hooks/CHANGE-ME\n  body:\n    name: \"{{name}}\"\n".to_string(),
    };
    format!(
        "id: new-action\ntitle: New action\nsummary: One sentence that says what a developer gets.\ndescription: |-\n  What this action does, what the developer gets, and who to ask.\ncategory: General\ntags: []\nowner: {owner}\nestimate: 1d\napproval: none\nvisible_to: [{owner}]\ninputs:\n  - name: name\n    label: Name\n    type: string\n    required: true\n{run}"
    )
}

#[cfg(test)]
mod tests;

/// What a request with `valid` values would do, without doing it: the editor's dry run of a test
/// submission. Secret values are masked; catalogue variables (`{{config.x}}`) belong to the server
/// and are shown by name.
pub fn dry_run(spec: &crate::spec::ActionSpec, valid: &crate::form::ValidInputs) -> Vec<String> {
    use crate::spec::RunSpec;
    use crate::template::{render_json, render_text};
    use serde_json::Value;
    let mut values = valid.values.clone();
    for name in valid.secrets.keys() {
        values.insert(name.clone(), Value::String("••••••".to_string()));
    }
    let mut keep_config = |text: &str| {
        for name in crate::parse::template_fields(text).unwrap_or_default() {
            if name.starts_with(crate::parse::CONFIG_PREFIX) {
                values.insert(name.clone(), Value::String(format!("{{{{{name}}}}}")));
            }
        }
    };
    match &spec.run {
        RunSpec::Script { args, .. } => args.iter().for_each(|a| keep_config(a)),
        RunSpec::Webhook {
            url, headers, body, ..
        } => {
            keep_config(url);
            headers.values().for_each(|h| keep_config(h));
            if let Some(b) = body {
                keep_config(&b.to_string());
            }
        }
        RunSpec::Manual { .. } => {}
    }
    let mut lines = Vec::new();
    match &spec.run {
        RunSpec::Script { command, args } => {
            lines.push(format!(
                "Would run the script {command} with these arguments:"
            ));
            for (i, a) in args.iter().enumerate() {
                lines.push(format!("  {}: {:?}", i + 1, render_text(a, &values)));
            }
            lines.push("Each argument is passed as it is, never through a shell.".to_string());
        }
        RunSpec::Webhook {
            method,
            url,
            headers,
            body,
            ..
        } => {
            lines.push(format!(
                "Would call {} {}",
                method.as_str(),
                render_text(url, &values)
            ));
            for (k, v) in headers {
                lines.push(format!("  {k}: {}", render_text(v, &values)));
            }
            if let Some(b) = body {
                let rendered = render_json(b, &values);
                lines.push(format!(
                    "  body: {}",
                    serde_json::to_string_pretty(&rendered).unwrap_or_default()
                ));
            }
        }
        RunSpec::Manual { .. } => lines.push(format!(
            "Would wait in the {} team's inbox for a person to fulfil it.",
            spec.owner
        )),
    }
    let approval = spec.approval_for(&valid.values);
    if approval != crate::spec::ApprovalPolicy::None {
        lines.insert(0, format!("First: {}", approval.in_words()));
    }
    lines
}
