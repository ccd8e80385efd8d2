//! Request forms: turning what a person typed into a request's typed inputs, with one error per
//! field.
//!
//! This is **the** validation: the browser (compiled to WebAssembly) runs it as the user types, and
//! the server runs it again on submit and is the authority. Both call [`validate`] with the same
//! [`RawValues`] shape, the form's `name=value` pairs in document order (repeated names for
//! multiselects), exactly as an HTML form posts them.
//!
//! Rules, in order, for each field:
//! 1. Visibility: a field with `visible_if` is shown only while the field it names (defined above)
//!    is visible and has the given value. Hidden fields are neither validated nor sent.
//! 2. Text to value: `integer`, `number`, `boolean`, `date`… are parsed from the text; control
//!    characters are refused (newlines and tabs only in `text`).
//! 3. Required: an empty visible required field is an error.
//! 4. The type's own rules ([`FieldKind::check_value`]): lengths, pattern, range, step, options.
//! 5. `team`: one of the requester's teams.

use crate::spec::{FieldKind, FieldSpec};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The form as posted: `(name, value)` pairs in order.
pub type RawValues = Vec<(String, String)>;

/// The largest value one field accepts, whatever its own rules say (keeps requests and logs sane).
pub const MAX_VALUE_BYTES: usize = 128 * 1024;

/// Form values that passed validation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ValidInputs {
    /// Every visible, non-empty, non-secret field's typed value: what the request stores.
    pub values: Map<String, Value>,
    /// Visible secret fields: never stored with the request, never logged.
    pub secrets: Map<String, Value>,
}

impl ValidInputs {
    /// Values and secrets together: what an executor receives.
    pub fn all(&self) -> Map<String, Value> {
        let mut m = self.values.clone();
        m.extend(self.secrets.clone());
        m
    }
}

/// Field name → message, for the fields that failed.
pub type FieldErrors = BTreeMap<String, String>;

/// Every raw value posted under `name`.
pub fn raw_of<'a>(raw: &'a RawValues, name: &str) -> Vec<&'a str> {
    raw.iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .collect()
}

/// Validates a posted form against `fields` for a requester in `teams`.
pub fn validate(
    fields: &[FieldSpec],
    raw: &RawValues,
    teams: &[String],
) -> Result<ValidInputs, FieldErrors> {
    let mut errors = FieldErrors::new();
    let mut out = ValidInputs::default();
    // Parsed values of visible fields so far, for `visible_if` of later fields.
    let mut seen: Map<String, Value> = Map::new();
    let mut visible_names: Vec<&str> = Vec::new();
    for field in fields {
        if !is_visible(field, &seen, &visible_names) {
            continue;
        }
        visible_names.push(field.name.as_str());
        let parsed = parse_field(field, &raw_of(raw, field.name.as_str()));
        let value = match parsed {
            Ok(v) => v,
            Err(msg) => {
                errors.insert(field.name.to_string(), msg);
                continue;
            }
        };
        let Some(value) = value else {
            if field.required {
                errors.insert(field.name.to_string(), required_message(field));
            }
            continue;
        };
        if let Err(msg) = check(field, &value, teams) {
            errors.insert(field.name.to_string(), msg);
            continue;
        }
        seen.insert(field.name.to_string(), value.clone());
        if matches!(field.kind, FieldKind::Secret { .. }) {
            out.secrets.insert(field.name.to_string(), value);
        } else {
            out.values.insert(field.name.to_string(), value);
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// Which fields are visible for these raw values (the browser shows and hides fields with it).
pub fn visible_fields(fields: &[FieldSpec], raw: &RawValues) -> Vec<String> {
    let mut seen: Map<String, Value> = Map::new();
    let mut visible: Vec<&str> = Vec::new();
    for field in fields {
        if !is_visible(field, &seen, &visible) {
            continue;
        }
        visible.push(field.name.as_str());
        if let Ok(Some(v)) = parse_field(field, &raw_of(raw, field.name.as_str())) {
            seen.insert(field.name.to_string(), v);
        }
    }
    visible.into_iter().map(str::to_string).collect()
}

fn is_visible(field: &FieldSpec, seen: &Map<String, Value>, visible: &[&str]) -> bool {
    let Some(cond) = &field.visible_if else {
        return true;
    };
    if !visible.contains(&cond.field.as_str()) {
        return false;
    }
    cond.holds(seen.get(cond.field.as_str()))
}

fn required_message(field: &FieldSpec) -> String {
    match field.kind {
        FieldKind::Select { .. } | FieldKind::Team => "Choose one.".to_string(),
        FieldKind::Multiselect { .. } => "Choose at least one.".to_string(),
        _ => "Required.".to_string(),
    }
}

/// Sentence case and a full stop: `must be at least 3` → `Must be at least 3.`
fn sentence(msg: String) -> String {
    let mut c = msg.chars();
    let mut s = match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => return msg,
    };
    if !s.ends_with('.') {
        s.push('.');
    }
    s
}

fn check(field: &FieldSpec, value: &Value, teams: &[String]) -> Result<(), String> {
    field.kind.check_value(value).map_err(sentence)?;
    if matches!(field.kind, FieldKind::Team) {
        let t = value.as_str().unwrap_or_default();
        if !teams.iter().any(|m| m == t) {
            return Err(if teams.is_empty() {
                "You are not in any team yet; ask an admin to add you to one.".to_string()
            } else {
                format!("Choose one of your teams: {}.", teams.join(", "))
            });
        }
    }
    Ok(())
}

fn refuse_controls(s: &str, allow_newlines: bool) -> Result<(), String> {
    if let Some(c) = s
        .chars()
        .find(|c| c.is_control() && !(allow_newlines && (*c == '\n' || *c == '\t')))
    {
        return Err(match c {
            '\n' | '\r' => "Must be a single line.".to_string(),
            '\0' => "Must not contain NUL characters.".to_string(),
            _ => format!(
                "Must not contain control characters (found U+{:04X}).",
                c as u32
            ),
        });
    }
    Ok(())
}

/// Parses one field's raw text into its typed value; `Ok(None)` when empty.
pub fn parse_field(field: &FieldSpec, raw: &[&str]) -> Result<Option<Value>, String> {
    if raw.iter().any(|v| v.len() > MAX_VALUE_BYTES) {
        return Err(format!("Too long: at most {} KB.", MAX_VALUE_BYTES / 1024));
    }
    // Single-valued fields take the last value (a checkbox after its hidden "false").
    let last = raw.last().copied().unwrap_or("");
    match &field.kind {
        FieldKind::Multiselect { .. } => {
            let items: Vec<Value> = raw
                .iter()
                .filter(|v| !v.is_empty())
                .map(|v| Value::String((*v).to_string()))
                .collect();
            for v in &items {
                refuse_controls(v.as_str().unwrap_or_default(), false)?;
            }
            Ok((!items.is_empty()).then_some(Value::Array(items)))
        }
        FieldKind::Boolean => match last.trim() {
            "true" | "on" | "1" | "yes" => Ok(Some(Value::Bool(true))),
            "" | "false" | "off" | "0" | "no" => Ok(Some(Value::Bool(false))),
            other => Err(format!("Expected yes or no, found `{other}`.")),
        },
        FieldKind::Text { .. } => {
            let text = last.replace("\r\n", "\n");
            refuse_controls(&text, true)?;
            Ok((!text.trim().is_empty()).then_some(Value::String(text)))
        }
        FieldKind::Secret { .. } => {
            refuse_controls(last, false)?;
            Ok((!last.is_empty()).then(|| Value::String(last.to_string())))
        }
        FieldKind::Integer { .. } => {
            let t = last.trim();
            if t.is_empty() {
                return Ok(None);
            }
            t.parse::<i64>()
                .map(|n| Some(Value::from(n)))
                .map_err(|_| format!("Enter a whole number, such as 42 (found `{t}`)."))
        }
        FieldKind::Number { .. } => {
            let t = last.trim();
            if t.is_empty() {
                return Ok(None);
            }
            match t.parse::<f64>() {
                Ok(n) if n.is_finite() => Ok(serde_json::Number::from_f64(n).map(Value::Number)),
                _ => Err(format!("Enter a number, such as 2.5 (found `{t}`).")),
            }
        }
        FieldKind::String { .. } | FieldKind::Select { .. } | FieldKind::Team | FieldKind::Date => {
            let t = last.trim();
            refuse_controls(t, false)?;
            Ok((!t.is_empty()).then(|| Value::String(t.to_string())))
        }
    }
}

/// The values a form starts with: each field's default, overridden by the query string of a
/// pre-filled link (`/actions/create-repo?name=billing-api`). Secrets are never taken from a link.
/// A team field with no value gets the requester's only team.
pub fn initial_values(fields: &[FieldSpec], query: &RawValues, teams: &[String]) -> RawValues {
    let mut out = RawValues::new();
    for field in fields {
        let name = field.name.as_str();
        let from_query = raw_of(query, name);
        if matches!(field.kind, FieldKind::Secret { .. }) {
            continue;
        }
        if !from_query.is_empty() {
            for v in from_query {
                out.push((name.to_string(), v.to_string()));
            }
            continue;
        }
        match (&field.default, &field.kind) {
            (Some(Value::Array(items)), _) => {
                for v in items {
                    out.push((name.to_string(), crate::template::value_text(Some(v))));
                }
            }
            (Some(v), _) => out.push((name.to_string(), crate::template::value_text(Some(v)))),
            (None, FieldKind::Team) if teams.len() == 1 => {
                out.push((name.to_string(), teams[0].clone()));
            }
            _ => {}
        }
    }
    out
}

/// A link that opens the form with these values (secrets and hidden fields left out).
pub fn prefill_query(fields: &[FieldSpec], raw: &RawValues) -> String {
    let visible = visible_fields(fields, raw);
    let mut parts = Vec::new();
    for field in fields {
        if matches!(field.kind, FieldKind::Secret { .. })
            || !visible.iter().any(|v| v == field.name.as_str())
        {
            continue;
        }
        let all = raw_of(raw, field.name.as_str());
        // The effective values: every choice of a multiselect, else the last value posted (as
        // validation reads it); an unticked checkbox is written out so a default cannot flip it.
        let effective: Vec<&str> = match field.kind {
            FieldKind::Multiselect { .. } => all,
            FieldKind::Boolean => match all.last() {
                Some(v) if !v.trim().is_empty() => vec![*v],
                _ => vec!["false"],
            },
            _ => all.last().copied().into_iter().collect(),
        };
        for v in effective {
            if v.is_empty() {
                continue;
            }
            parts.push(format!(
                "{}={}",
                crate::view::encode_query_value(field.name.as_str()),
                crate::view::encode_query_value(v)
            ));
        }
    }
    parts.join("&")
}

pub mod schema;

#[cfg(test)]
mod tests;
