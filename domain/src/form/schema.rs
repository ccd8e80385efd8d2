//! An action's form as JSON Schema (draft 2020-12), so other tools can build the form and check
//! values before they send them. The schema describes the JSON the API accepts as `inputs`; the
//! server still validates with [`super::validate`], which stays the one authority.
//!
//! - Types and limits map one to one (`pattern` anchored, as the form anchors it).
//! - Choices are `oneOf` of `const` + `title`, so labels travel with values.
//! - `team` fields list the caller's teams; `secret` fields are `writeOnly` passwords.
//! - A field shown only when another field has a value (`visible_if`) is required only then:
//!   `allOf` of `if`/`then`.

use crate::spec::{FieldKind, FieldSpec, SelectOption};
use serde_json::{json, Map, Value};

/// The JSON Schema of `inputs` for a form whose caller belongs to `teams`.
pub fn json_schema(fields: &[FieldSpec], teams: &[String]) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    let mut conditions = Vec::new();
    for f in fields {
        properties.insert(f.name.to_string(), field_schema(f, teams));
        match (&f.visible_if, f.required) {
            (None, true) => required.push(Value::String(f.name.to_string())),
            (Some(cond), true) => {
                let controller = fields.iter().find(|o| o.name == cond.field);
                let test = match controller.map(|c| &c.kind) {
                    Some(FieldKind::Multiselect { .. }) => {
                        json!({ "contains": { "const": cond.equals } })
                    }
                    _ => json!({ "const": cond.equals }),
                };
                conditions.push(json!({
                    "if": {
                        "properties": { cond.field.to_string(): test },
                        "required": [cond.field.to_string()],
                    },
                    "then": { "required": [f.name.to_string()] },
                }));
            }
            _ => {}
        }
    }
    let mut schema = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false,
    });
    if !conditions.is_empty() {
        schema["allOf"] = Value::Array(conditions);
    }
    schema
}

fn choices(options: &[SelectOption]) -> Value {
    Value::Array(
        options
            .iter()
            .map(|o| json!({ "const": o.value, "title": o.label }))
            .collect(),
    )
}

fn field_schema(f: &FieldSpec, teams: &[String]) -> Value {
    let mut s = match &f.kind {
        FieldKind::String {
            pattern,
            min_length,
            max_length,
        } => {
            let mut s = json!({ "type": "string" });
            if let Some(p) = pattern {
                s["pattern"] = json!(format!("^(?:{p})$"));
            }
            lengths(&mut s, *min_length, *max_length);
            s
        }
        FieldKind::Text {
            min_length,
            max_length,
        } => {
            let mut s = json!({ "type": "string" });
            lengths(&mut s, *min_length, *max_length);
            s
        }
        FieldKind::Secret {
            min_length,
            max_length,
        } => {
            let mut s = json!({ "type": "string", "format": "password", "writeOnly": true });
            lengths(&mut s, *min_length, *max_length);
            s
        }
        FieldKind::Integer { min, max, step } => {
            let mut s = json!({ "type": "integer" });
            put(&mut s, "minimum", min.map(Value::from));
            put(&mut s, "maximum", max.map(Value::from));
            put(&mut s, "multipleOf", step.map(Value::from));
            s
        }
        FieldKind::Number { min, max, step } => {
            let mut s = json!({ "type": "number" });
            put(&mut s, "minimum", min.map(Value::from));
            put(&mut s, "maximum", max.map(Value::from));
            put(&mut s, "multipleOf", step.map(Value::from));
            s
        }
        FieldKind::Boolean => json!({ "type": "boolean" }),
        FieldKind::Select { options } => json!({ "type": "string", "oneOf": choices(options) }),
        FieldKind::Multiselect { options } => json!({
            "type": "array",
            "items": { "type": "string", "oneOf": choices(options) },
            "uniqueItems": true,
        }),
        FieldKind::Team => json!({ "type": "string", "enum": teams }),
        FieldKind::Date => json!({ "type": "string", "format": "date" }),
    };
    s["title"] = json!(f.label);
    put(&mut s, "description", f.help.clone().map(Value::String));
    put(&mut s, "default", f.default.clone());
    s["x-runway-type"] = json!(f.kind.type_name());
    s
}

fn lengths(s: &mut Value, min: Option<u32>, max: Option<u32>) {
    put(s, "minLength", min.map(Value::from));
    put(s, "maxLength", max.map(Value::from));
}

fn put(s: &mut Value, key: &str, value: Option<Value>) {
    if let Some(v) = value {
        s[key] = v;
    }
}

/// JSON `inputs` as the form's raw values: strings as they are, numbers and booleans as text, a
/// list as one value per item, `null` as absent. An object, or a list inside a list, is refused
/// with the field it was given for.
pub fn raw_from_json(inputs: &Map<String, Value>) -> Result<super::RawValues, (String, String)> {
    let mut raw = Vec::new();
    for (name, value) in inputs {
        let scalar = |v: &Value| -> Option<Option<String>> {
            match v {
                Value::Null => Some(None),
                Value::String(s) => Some(Some(s.clone())),
                Value::Bool(b) => Some(Some(b.to_string())),
                Value::Number(n) => Some(Some(n.to_string())),
                Value::Array(_) | Value::Object(_) => None,
            }
        };
        let not_a_value = || {
            (
                name.clone(),
                "Expected text, a number, true or false, or a list of those.".to_string(),
            )
        };
        match value {
            Value::Array(items) => {
                for item in items {
                    if let Some(v) = scalar(item).ok_or_else(not_a_value)? {
                        raw.push((name.clone(), v));
                    }
                }
            }
            other => {
                if let Some(v) = scalar(other).ok_or_else(not_a_value)? {
                    raw.push((name.clone(), v));
                }
            }
        }
    }
    Ok(raw)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse_action;

    fn fields(yaml: &str) -> Vec<FieldSpec> {
        let doc = format!(
            "id: demo\ntitle: Demo\nsummary: s\ncategory: c\nowner: platform\nrun:\n  kind: manual\n  instructions: do it\ninputs:\n{yaml}"
        );
        parse_action("demo.yaml", &doc).expect("valid").inputs
    }

    #[test]
    fn conditional_fields_are_required_only_when_their_condition_holds() {
        let f = fields(
            "  - {name: visibility, label: Visibility, type: select, required: true, options: [{value: public, label: Public}, {value: private, label: Private}]}\n  - {name: reason, label: Reason, type: text, required: true, visible_if: {field: visibility, equals: private}}\n",
        );
        let s = json_schema(&f, &[]);
        assert_eq!(s["required"], json!(["visibility"]));
        assert_eq!(
            s["allOf"][0]["if"]["properties"]["visibility"]["const"],
            json!("private")
        );
        assert_eq!(s["allOf"][0]["then"]["required"], json!(["reason"]));
        assert_eq!(
            s["properties"]["visibility"]["oneOf"][1]["const"],
            json!("private")
        );
        assert_eq!(s["additionalProperties"], json!(false));
    }

    #[test]
    fn patterns_are_anchored_teams_listed_and_secrets_write_only() {
        let f = fields(
            "  - {name: repo, label: Repo, type: string, pattern: '[a-z]+', max_length: 20}\n  - {name: team, label: Team, type: team}\n  - {name: pw, label: Password, type: secret}\n",
        );
        let s = json_schema(&f, &["payments".to_string()]);
        assert_eq!(s["properties"]["repo"]["pattern"], json!("^(?:[a-z]+)$"));
        assert_eq!(s["properties"]["repo"]["maxLength"], json!(20));
        assert_eq!(s["properties"]["team"]["enum"], json!(["payments"]));
        assert_eq!(s["properties"]["pw"]["writeOnly"], json!(true));
    }

    #[test]
    fn json_inputs_become_raw_values_and_objects_are_refused() {
        let v: Map<String, Value> =
            serde_json::from_str(r#"{"a": "x", "b": 3, "c": true, "d": ["p", "q"], "e": null}"#)
                .unwrap();
        let raw = raw_from_json(&v).unwrap();
        assert!(raw.contains(&("b".into(), "3".into())));
        assert!(raw.contains(&("c".into(), "true".into())));
        assert_eq!(raw.iter().filter(|(k, _)| k == "d").count(), 2);
        assert!(!raw.iter().any(|(k, _)| k == "e"));
        let bad: Map<String, Value> = serde_json::from_str(r#"{"a": {"b": 1}}"#).unwrap();
        assert_eq!(raw_from_json(&bad).unwrap_err().0, "a");
    }
}
