//! Filling `{{field}}` references in an action's `run` templates with a request's values.
//!
//! Two renderings, one per kind of target:
//! - [`render_text`] for argv elements, environment variables, URLs and header values: each
//!   reference becomes the value's plain text ([`value_text`]); the result is one string, never
//!   split or interpreted by a shell.
//! - [`render_json`] for webhook bodies: a string that is exactly one reference becomes the value
//!   itself (numbers stay numbers, lists stay lists); a reference inside longer text is inserted as
//!   text. Values are data in a JSON document, never evaluated.
//!
//! A reference to a field with no value (optional and empty, or hidden by `visible_if`) renders as
//! the empty string (or `null` as a whole JSON value).
//!
//! Configuration references (`{{config.ci_url}}`) need nothing special: names are looked up
//! verbatim, so the caller adds each catalogue variable to the values under `config.<name>`.

use serde_json::{Map, Value};

/// A value as plain text: strings as they are, numbers and booleans as JSON writes them, lists
/// (multiselect) joined with commas, absent values as "".
pub fn value_text(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| value_text(Some(v)))
            .collect::<Vec<_>>()
            .join(","),
        Some(other) => other.to_string(),
    }
}

/// Replaces every `{{name}}` in `template` with the value's text. Text outside references is kept
/// byte for byte; an unclosed `{{` is kept as written (the catalogue parser refuses those anyway).
pub fn render_text(template: &str, values: &Map<String, Value>) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            break;
        };
        out.push_str(&rest[..start]);
        let name = after[..end].trim();
        out.push_str(&value_text(values.get(name)));
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

/// The field name when `s` is exactly one reference (`"{{ name }}"`), else `None`.
fn sole_reference(s: &str) -> Option<&str> {
    let inner = s.trim().strip_prefix("{{")?.strip_suffix("}}")?;
    (!inner.contains("{{") && !inner.contains("}}")).then(|| inner.trim())
}

/// Renders a JSON template: string values are rendered (a sole reference keeps the value's JSON
/// type); keys, numbers, booleans and nulls are kept.
pub fn render_json(template: &Value, values: &Map<String, Value>) -> Value {
    match template {
        Value::String(s) => match sole_reference(s) {
            Some(name) => values.get(name).cloned().unwrap_or(Value::Null),
            None => Value::String(render_text(s, values)),
        },
        Value::Array(items) => Value::Array(items.iter().map(|v| render_json(v, values)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), render_json(v, values)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn values() -> Map<String, Value> {
        json!({"name": "a b; rm -rf /", "n": 3, "ok": true, "envs": ["staging", "production"]})
            .as_object()
            .cloned()
            .unwrap_or_default()
    }

    #[test]
    fn text_templates_insert_values_verbatim() {
        let v = values();
        assert_eq!(render_text("{{name}}", &v), "a b; rm -rf /");
        assert_eq!(render_text("--days={{ n }}", &v), "--days=3");
        assert_eq!(
            render_text("{{ok}}/{{envs}}", &v),
            "true/staging,production"
        );
        assert_eq!(render_text("x{{missing}}y", &v), "xy");
        assert_eq!(render_text("no refs", &v), "no refs");
    }

    #[test]
    fn config_references_render_from_their_full_key() {
        // The caller adds configuration under `config.<name>`, next to the request's fields.
        let mut v = values();
        v.insert("config.ci_url".into(), json!("https://ci.example.internal"));
        v.insert("config.retries".into(), json!(3));
        assert_eq!(
            render_text("{{config.ci_url}}/pipelines/{{ name }}", &v),
            "https://ci.example.internal/pipelines/a b; rm -rf /"
        );
        assert_eq!(
            render_text("{{ config.ci_url }}/x", &v),
            "https://ci.example.internal/x"
        );
        assert_eq!(render_text("{{config.unset}}", &v), "");
        assert_eq!(
            render_json(
                &json!({"ci": "{{config.ci_url}}", "n": "{{ config.retries }}", "at": "at {{config.ci_url}}"}),
                &v
            ),
            json!({"ci": "https://ci.example.internal", "n": 3, "at": "at https://ci.example.internal"})
        );
    }

    #[test]
    fn json_templates_keep_types_and_never_evaluate() {
        let v = values();
        let t = json!({"service": "{{name}}", "count": "{{n}}", "flag": "{{ok}}", "msg": "deploy {{name}} now",
                       "list": ["{{envs}}"], "fixed": 10, "gone": "{{missing}}"});
        assert_eq!(
            render_json(&t, &v),
            json!({"service": "a b; rm -rf /", "count": 3, "flag": true, "msg": "deploy a b; rm -rf / now",
                   "list": [["staging", "production"]], "fixed": 10, "gone": null})
        );
    }
}
