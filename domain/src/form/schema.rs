//! An action's form as JSON Schema (draft 2020-12), so other tools can build the form and check
//! values before they send them. The schema describes the JSON the API accepts as `inputs`; the
//! server still validates with [`super::validate`], which stays the one authority.
//!
//! - Types and limits map one to one (`pattern` anchored, as the form anchors it).
//! - Choices are `oneOf` of `const` + `title`, so labels travel with values.
//! - `team` fields list the caller's teams; `secret` fields are `writeOnly` passwords.
//! - A field shown only when another field has a value (`visible_if`) is required only then:
//!   `allOf` of `if`/`then`, with the whole chain of conditions above it, and an unset boolean
//!   counting as `false`, as the server counts it.
//! - Required means not empty: `minLength` 1 and not only spaces, `minItems` 1.
//!
//! What the schema accepts, the server accepts (a test draws thousands of forms over the demo
//! catalogue to check it). The server is stricter in ways the schema does not say: it refuses
//! control characters (newlines and tabs are allowed in `text`), values over 128 KiB, and dates
//! that do not exist; and `pattern` is the catalogue's own, in Rust `regex` syntax, which agrees
//! with ECMA-262 for the usual character classes and repetitions but not for every flag.

use crate::spec::{FieldKind, FieldSpec, SelectOption};
use serde_json::{json, Map, Value};

/// The JSON Schema of `inputs` for a form whose caller belongs to `teams`.
pub fn json_schema(fields: &[FieldSpec], teams: &[String]) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    let mut conditions = Vec::new();
    for f in fields {
        properties.insert(f.name.to_string(), field_schema(f, teams));
        if !f.required {
            continue;
        }
        let shown_when = visibility_tests(fields, f);
        if shown_when.is_empty() {
            required.push(Value::String(f.name.to_string()));
            if let (Some(Value::Object(prop)), Some(rules)) =
                (properties.get_mut(f.name.as_str()), non_empty(f))
            {
                for (key, rule) in rules {
                    // A field's own larger minimum stays.
                    let own = prop.get(&key).and_then(Value::as_u64);
                    let keeps_own = matches!((own, rule.as_u64()), (Some(o), Some(r)) if o >= r);
                    if !keeps_own {
                        prop.insert(key, rule);
                    }
                }
            }
        } else {
            let mut then = json!({ "required": [f.name.to_string()] });
            if let Some(rules) = non_empty(f) {
                then["properties"] = json!({ f.name.to_string(): rules });
            }
            let test = if shown_when.len() == 1 {
                shown_when.into_iter().next().unwrap_or(Value::Bool(true))
            } else {
                json!({ "allOf": shown_when })
            };
            conditions.push(json!({ "if": test, "then": then }));
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

/// What "required" means beyond being present: the server refuses an empty value (`""`, only
/// spaces, `[]`).
fn non_empty(f: &FieldSpec) -> Option<Map<String, Value>> {
    let rules = match f.kind {
        FieldKind::Multiselect { .. } => json!({ "minItems": 1 }),
        FieldKind::String { .. }
        | FieldKind::Text { .. }
        | FieldKind::Secret { .. }
        | FieldKind::Select { .. }
        | FieldKind::Team
        | FieldKind::Date => json!({ "minLength": 1, "not": { "pattern": "^\\s*$" } }),
        FieldKind::Integer { .. } | FieldKind::Number { .. } | FieldKind::Boolean => return None,
    };
    match rules {
        Value::Object(m) => Some(m),
        _ => None,
    }
}

/// When `f` is shown, as JSON Schema tests of the `inputs` object: one per `visible_if` up its
/// chain (a field is shown only while the field it depends on is shown and has the value), so the
/// schema requires a conditional field exactly when the server does ([`super::visible_fields`]).
/// Empty when it is always shown.
fn visibility_tests(fields: &[FieldSpec], f: &FieldSpec) -> Vec<Value> {
    let mut tests = Vec::new();
    let mut current = f;
    // A chain longer than the form is a cycle; the catalogue's checks refuse those anyway.
    for _ in 0..fields.len() {
        let Some(cond) = &current.visible_if else {
            break;
        };
        let Some(controller) = fields.iter().find(|o| o.name == cond.field) else {
            // Depends on a field that does not exist: never shown, so never required.
            tests.push(Value::Bool(false));
            break;
        };
        let name = cond.field.to_string();
        tests.push(match (&controller.kind, &cond.equals) {
            (FieldKind::Multiselect { .. }, v) => json!({
                "properties": { name.clone(): { "contains": { "const": v } } },
                "required": [name],
            }),
            // An unset boolean counts as false: absent or false.
            (_, Value::Bool(false)) => json!({
                "properties": { name: { "const": false } },
            }),
            (_, v) => json!({
                "properties": { name.clone(): { "const": v } },
                "required": [name],
            }),
        });
        current = controller;
    }
    tests
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

    /// Values worth trying for a field: valid ones, ones just outside its rules, and other types.
    fn candidates(f: &FieldSpec) -> Vec<Value> {
        let long = |n: Option<u32>| json!("x".repeat(n.map_or(300, |n| n as usize + 1)));
        let mut v = vec![Value::Null, json!(""), json!(true), json!(7), json!(["a"])];
        match &f.kind {
            FieldKind::String {
                min_length,
                max_length,
                ..
            }
            | FieldKind::Text {
                min_length,
                max_length,
            }
            | FieldKind::Secret {
                min_length,
                max_length,
            } => {
                v.extend([
                    json!("billing-api"),
                    json!("ab"),
                    json!("A b"),
                    json!("-x-"),
                    json!("  "),
                    json!("payments-service-2"),
                    json!("Bills customers every month"),
                    json!("s3cret-Value-42!"),
                    long(*max_length),
                ]);
                if let Some(min) = min_length {
                    v.push(json!("y".repeat(*min as usize)));
                }
            }
            FieldKind::Integer { min, max, step } => {
                v.extend([
                    json!(0),
                    json!(1),
                    json!(2.5),
                    json!("3"),
                    json!(-1),
                    json!(1_000_000),
                ]);
                for n in [min, max].into_iter().flatten() {
                    v.extend([json!(n), json!(n - 1), json!(n + 1)]);
                }
                if let Some(s) = step {
                    v.extend([json!(s), json!(s * 3), json!(s + 1)]);
                }
            }
            FieldKind::Number { min, max, step } => {
                v.extend([json!(0.0), json!(1.5), json!(0.1), json!(-1.0), json!(1e9)]);
                for n in [min, max].into_iter().flatten() {
                    v.extend([json!(n), json!(n - 0.5), json!(n + 0.5)]);
                }
                if let Some(s) = step {
                    v.extend([json!(s), json!(s * 3.0), json!(s * 0.5)]);
                }
            }
            FieldKind::Boolean => v.extend([json!(false), json!("yes")]),
            FieldKind::Select { options } => {
                v.extend(options.iter().map(|o| json!(o.value)));
                v.push(json!("no-such-option"));
            }
            FieldKind::Multiselect { options } => {
                let vals: Vec<&str> = options.iter().map(|o| o.value.as_str()).collect();
                v.extend([json!([]), json!(["no-such-option"])]);
                if let Some(first) = vals.first() {
                    v.extend([json!([first]), json!([first, first])]);
                }
                if vals.len() > 1 {
                    v.push(json!([vals[0], vals[1]]));
                }
            }
            FieldKind::Team => v.extend([json!("payments"), json!("search")]),
            FieldKind::Date => v.extend([
                json!("2026-12-01"),
                json!("2026-02-30"),
                json!("2026-13-01"),
                json!("tomorrow"),
            ]),
        }
        if let Some(d) = &f.default {
            v.push(d.clone());
        }
        if let Some(p) = &f.placeholder {
            v.push(json!(p));
        }
        v
    }

    /// Every action in the demo catalogue, parsed.
    fn demo_forms() -> Vec<(String, Vec<FieldSpec>)> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../catalog");
        let mut forms = Vec::new();
        for entry in std::fs::read_dir(&dir).expect("catalog dir") {
            let path = entry.expect("entry").path();
            if path.extension().is_some_and(|e| e == "yaml") {
                let name = path
                    .file_name()
                    .expect("name")
                    .to_string_lossy()
                    .to_string();
                let text = std::fs::read_to_string(&path).expect("read");
                let spec = parse_action(&name, &text).expect("the demo catalogue parses");
                forms.push((name, spec.inputs));
            }
        }
        forms.push((
            "chained".to_string(),
            fields(
                "  - {name: kind, label: Kind, type: select, required: true, options: [{value: a, label: A}, {value: b, label: B}]}\n  - {name: urgent, label: Urgent, type: boolean, visible_if: {field: kind, equals: b}}\n  - {name: calm, label: Why not urgent, type: text, required: true, visible_if: {field: urgent, equals: false}}\n  - {name: tags, label: Tags, type: multiselect, options: [{value: x, label: X}, {value: y, label: Y}]}\n  - {name: why, label: Why x, type: string, required: true, visible_if: {field: tags, equals: x}}\n",
            ),
        ));
        assert!(forms.len() > 3, "the demo catalogue was read");
        forms
    }

    /// What the schema accepts, the server accepts: a tool that builds its form from the schema
    /// and checks values with it is never refused by Runway for them. Twenty thousand random
    /// forms over the demo catalogue and a chained form, each field absent or one of its
    /// [`candidates`]; the count of accepted forms shows the check is not vacuous.
    #[test]
    fn inputs_the_schema_accepts_the_server_accepts() {
        let teams = vec!["payments".to_string()];
        let mut rng: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = |n: usize| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            (rng % n as u64) as usize
        };
        for (name, form) in demo_forms() {
            let schema = json_schema(&form, &teams);
            let validator = jsonschema::options()
                .should_validate_formats(true)
                .build(&schema)
                .expect("the schema compiles");
            let valid_values: Vec<Option<Value>> = form
                .iter()
                .map(|f| {
                    f.default
                        .clone()
                        .or_else(|| f.placeholder.clone().map(Value::String))
                })
                .collect();
            let mut accepted = 0;
            for round in 0..20_000 {
                let mut inputs = Map::new();
                for (i, f) in form.iter().enumerate() {
                    let c = candidates(f);
                    // Half the rounds keep most fields at their default, so whole forms pass.
                    let keep = round % 2 == 0 && next(4) != 0;
                    let value = match (&valid_values[i], keep) {
                        (Some(d), true) => Some(d.clone()),
                        _ => {
                            let pick = next(c.len() + 1);
                            c.get(pick).cloned()
                        }
                    };
                    if let Some(v) = value {
                        inputs.insert(f.name.to_string(), v);
                    }
                }
                let value = Value::Object(inputs.clone());
                if validator.is_valid(&value) {
                    accepted += 1;
                    let raw = raw_from_json(&inputs).expect("scalars and lists only");
                    let verdict = super::super::validate(&form, &raw, &teams);
                    assert!(
                        verdict.is_ok(),
                        "{name}: the schema accepts {value} but the server says {:?}",
                        verdict.err()
                    );
                }
            }
            assert!(
                accepted >= 10,
                "{name}: only {accepted} forms passed the schema"
            );
        }
    }
}
