//! An action's form as a Slack modal, and back.
//!
//! Every field type has its Block Kit element: text and secrets a `plain_text_input` (multi-line
//! for long text), numbers a `number_input` with the bounds, a yes/no a single checkbox, choices
//! and the requester's teams a `static_select`, several choices a `multi_static_select`, dates a
//! `datepicker`. Labels, help (as the hint), placeholders, defaults and required-ness carry over.
//! Conditional fields are built with the portal's own [`form::visible_fields`]: a field others
//! depend on dispatches its changes, and the modal is rebuilt with the fields its values show.
//! Slack does not mask inputs; a secret is never put back into a view or a message.

use runway_domain::form::{self, RawValues};
use runway_domain::spec::{ActionSpec, FieldKind, FieldSpec};
use serde_json::{json, Map, Value};

/// The modal's `callback_id` for an action's form.
pub const FORM: &str = "runway_submit";
/// The modal's `callback_id` for a rejection's comment.
pub const REJECT: &str = "runway_reject";

fn plain(text: &str, max: usize) -> Value {
    json!({"type": "plain_text", "text": clip(text, max), "emoji": true})
}

/// `text` cut to `max` characters (Slack refuses longer ones), marked with an ellipsis.
pub fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut s: String = text.chars().take(max.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}

fn option(value: &str, label: &str) -> Value {
    json!({"text": plain(label, 75), "value": clip(value, 150)})
}

/// A view that says something, with only a Close button.
pub fn notice(title: &str, text: &str) -> Value {
    json!({
        "type": "modal",
        "title": plain(title, 24),
        "close": plain("Close", 24),
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": super::api_escape(text)}}],
    })
}

/// The modal for `spec`'s form with `raw` as the values so far (defaults when empty).
pub fn form_view(spec: &ActionSpec, teams: &[String], raw: &RawValues) -> Value {
    let values = if raw.is_empty() {
        form::initial_values(&spec.inputs, &RawValues::new(), teams)
    } else {
        raw.clone()
    };
    let visible = form::visible_fields(&spec.inputs, &values);
    let controlling: Vec<&str> = spec
        .inputs
        .iter()
        .filter_map(|f| f.visible_if.as_ref().map(|c| c.field.as_str()))
        .collect();
    let mut blocks = vec![json!({
        "type": "section",
        "text": {"type": "mrkdwn", "text": clip(&super::api_escape(&spec.summary), 3000)},
    })];
    for field in spec
        .inputs
        .iter()
        .filter(|f| visible.iter().any(|v| v == f.name.as_str()))
    {
        let current = form::raw_of(&values, field.name.as_str());
        let dispatch = controlling.contains(&field.name.as_str());
        blocks.push(input_block(field, &current, teams, dispatch));
    }
    if blocks.len() == 1 {
        blocks.push(json!({"type": "section", "text": {"type": "mrkdwn", "text": "This action needs no details: submit to ask for it."}}));
    }
    json!({
        "type": "modal",
        "callback_id": FORM,
        "private_metadata": json!({"action": spec.id.as_str()}).to_string(),
        "title": plain(&spec.title, 24),
        "submit": plain("Submit", 24),
        "close": plain("Cancel", 24),
        "blocks": blocks,
    })
}

fn input_block(field: &FieldSpec, current: &[&str], teams: &[String], dispatch: bool) -> Value {
    let name = field.name.as_str();
    let first = current.last().copied().filter(|v| !v.is_empty());
    let mut element = match &field.kind {
        FieldKind::String {
            min_length,
            max_length,
            ..
        }
        | FieldKind::Secret {
            min_length,
            max_length,
        } => {
            let mut e = json!({"type": "plain_text_input", "action_id": name});
            if let Some(n) = min_length {
                e["min_length"] = json!((*n).min(3000));
            }
            if let Some(n) = max_length {
                e["max_length"] = json!((*n).min(3000));
            }
            if !matches!(field.kind, FieldKind::Secret { .. }) {
                if let Some(v) = first {
                    e["initial_value"] = json!(v);
                }
            }
            e
        }
        FieldKind::Text { max_length, .. } => {
            let mut e = json!({"type": "plain_text_input", "action_id": name, "multiline": true});
            if let Some(n) = max_length {
                e["max_length"] = json!((*n).min(3000));
            }
            if let Some(v) = first {
                e["initial_value"] = json!(v);
            }
            e
        }
        FieldKind::Integer { min, max, .. } => number_element(
            name,
            false,
            min.map(|n| n.to_string()),
            max.map(|n| n.to_string()),
            first,
        ),
        FieldKind::Number { min, max, .. } => number_element(
            name,
            true,
            min.map(|n| n.to_string()),
            max.map(|n| n.to_string()),
            first,
        ),
        FieldKind::Boolean => {
            let yes = option("true", &field.label);
            let mut e = json!({"type": "checkboxes", "action_id": name, "options": [yes.clone()]});
            if first == Some("true") {
                e["initial_options"] = json!([yes]);
            }
            e
        }
        FieldKind::Select { options } => {
            let opts: Vec<Value> = options
                .iter()
                .take(100)
                .map(|o| option(&o.value, &o.label))
                .collect();
            let mut e = json!({"type": "static_select", "action_id": name, "options": opts});
            if let Some(o) = first.and_then(|v| options.iter().take(100).find(|o| o.value == v)) {
                e["initial_option"] = option(&o.value, &o.label);
            }
            e
        }
        FieldKind::Multiselect { options } => {
            let opts: Vec<Value> = options
                .iter()
                .take(100)
                .map(|o| option(&o.value, &o.label))
                .collect();
            let mut e = json!({"type": "multi_static_select", "action_id": name, "options": opts});
            let chosen: Vec<Value> = options
                .iter()
                .take(100)
                .filter(|o| current.contains(&o.value.as_str()))
                .map(|o| option(&o.value, &o.label))
                .collect();
            if !chosen.is_empty() {
                e["initial_options"] = json!(chosen);
            }
            e
        }
        // Slack refuses a select without options: someone in no team gets a text box, and the
        // portal's validation tells them under it that they must pick one of their teams.
        FieldKind::Team if teams.is_empty() => {
            json!({"type": "plain_text_input", "action_id": name,
                   "placeholder": plain("You are in no team yet", 150)})
        }
        FieldKind::Team => {
            let opts: Vec<Value> = teams.iter().take(100).map(|t| option(t, t)).collect();
            let mut e = json!({"type": "static_select", "action_id": name, "options": opts});
            if let Some(t) = first.filter(|v| teams.iter().any(|t| t == v)) {
                e["initial_option"] = option(t, t);
            }
            e
        }
        FieldKind::Date => {
            let mut e = json!({"type": "datepicker", "action_id": name});
            if let Some(v) = first.filter(|v| runway_domain::parse::is_iso_date(v)) {
                e["initial_date"] = json!(v);
            }
            e
        }
    };
    if let Some(p) = &field.placeholder {
        // Every element but a checkbox takes a placeholder.
        if !matches!(field.kind, FieldKind::Boolean) {
            element["placeholder"] = plain(p, 150);
        }
    }
    let mut block = json!({
        "type": "input",
        "block_id": name,
        "label": plain(&field.label, 2000),
        "optional": !field.required || matches!(field.kind, FieldKind::Boolean),
        "element": element,
    });
    if let Some(h) = &field.help {
        block["hint"] = plain(h, 2000);
    }
    if dispatch {
        block["dispatch_action"] = json!(true);
        if block["element"]["type"] == "plain_text_input"
            || block["element"]["type"] == "number_input"
        {
            block["element"]["dispatch_action_config"] =
                json!({"trigger_actions_on": ["on_enter_pressed"]});
        }
    }
    block
}

/// A `number_input` with its bounds and current value.
fn number_element(
    name: &str,
    decimal: bool,
    min: Option<String>,
    max: Option<String>,
    current: Option<&str>,
) -> Value {
    let mut e = json!({"type": "number_input", "action_id": name, "is_decimal_allowed": decimal});
    for (key, value) in [("min_value", min), ("max_value", max)] {
        if let Some(v) = value {
            e[key] = json!(v);
        }
    }
    if let Some(v) = current {
        e["initial_value"] = json!(v);
    }
    e
}

/// The form values in a submitted or changed modal (`view.state.values`), as a browser would post
/// them. Unticked checkboxes post `false`.
pub fn values(state: &Value) -> RawValues {
    let mut raw = RawValues::new();
    let Some(blocks) = state["values"].as_object() else {
        return raw;
    };
    for (block_id, actions) in blocks {
        let Some(actions) = actions.as_object() else {
            continue;
        };
        for (_, a) in actions {
            let name = block_id.clone();
            match a["type"].as_str().unwrap_or_default() {
                "plain_text_input" | "number_input" => {
                    if let Some(v) = a["value"].as_str() {
                        raw.push((name, v.to_string()));
                    }
                }
                "static_select" => {
                    if let Some(v) = a["selected_option"]["value"].as_str() {
                        raw.push((name, v.to_string()));
                    }
                }
                "multi_static_select" => {
                    for o in a["selected_options"].as_array().into_iter().flatten() {
                        if let Some(v) = o["value"].as_str() {
                            raw.push((name.clone(), v.to_string()));
                        }
                    }
                }
                "checkboxes" => {
                    let ticked = a["selected_options"]
                        .as_array()
                        .is_some_and(|o| o.iter().any(|o| o["value"] == "true"));
                    raw.push((name, ticked.to_string()));
                }
                "datepicker" => {
                    if let Some(v) = a["selected_date"].as_str() {
                        raw.push((name, v.to_string()));
                    }
                }
                _ => {}
            }
        }
    }
    raw
}

/// `response_action: errors` for the fields shown in the view (a mistake on a field that is not
/// shown goes under the first field, so it is never lost).
pub fn errors(view: &Value, errors: &std::collections::BTreeMap<String, String>) -> Value {
    let shown: Vec<&str> = view["blocks"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|b| b["type"] == "input")
        .filter_map(|b| b["block_id"].as_str())
        .collect();
    let mut out = Map::new();
    for (field, message) in errors {
        let target = if shown.contains(&field.as_str()) {
            field.as_str()
        } else {
            shown.first().copied().unwrap_or(field.as_str())
        };
        let text = match out.get(target).and_then(Value::as_str) {
            Some(before) => format!("{before} {message}"),
            None => message.clone(),
        };
        out.insert(target.to_string(), json!(clip(&text, 2000)));
    }
    json!({"response_action": "errors", "errors": out})
}

/// The modal that asks for a rejection's comment.
pub fn reject_view(request_id: i64, title: &str) -> Value {
    json!({
        "type": "modal",
        "callback_id": REJECT,
        "private_metadata": request_id.to_string(),
        "title": plain("Reject request", 24),
        "submit": plain("Reject", 24),
        "close": plain("Cancel", 24),
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": super::api_escape(&format!("Reject {title} #{request_id}?"))}},
            {"type": "input", "block_id": "comment", "label": plain("Comment for the requester", 2000),
             "hint": plain("Say what to change, so they can ask again.", 2000),
             "element": {"type": "plain_text_input", "action_id": "comment", "multiline": true, "max_length": 3000}},
        ],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use runway_domain::parse::parse_action;

    const ACTION: &str = "id: db\ntitle: A database for a service with a long name\nsummary: S <b>\ncategory: C\nowner: platform\nrun:\n  kind: manual\ninputs:\n  - name: name\n    label: Name\n    type: string\n    required: true\n    help: lower-case\n    default: orders\n  - name: size\n    label: Size (GB)\n    type: integer\n    min: 1\n    max: 100\n  - name: engine\n    label: Engine\n    type: select\n    options: [postgres, mysql]\n    default: postgres\n  - name: ha\n    label: High availability\n    type: boolean\n  - name: zones\n    label: Zones\n    type: multiselect\n    options: [a, b]\n    visible_if: {field: ha, equals: true}\n  - name: team\n    label: Team\n    type: team\n  - name: until\n    label: Until\n    type: date\n  - name: password\n    label: Password\n    type: secret\n";

    fn spec() -> ActionSpec {
        parse_action("db.yaml", ACTION).expect("valid")
    }

    #[test]
    fn every_field_type_becomes_its_element_with_labels_defaults_and_help() {
        let v = form_view(&spec(), &["payments".into()], &RawValues::new());
        assert_eq!(
            v["title"]["text"].as_str().map(|t| t.chars().count()),
            Some(24)
        );
        let blocks = v["blocks"].as_array().expect("blocks");
        let el = |id: &str| {
            blocks
                .iter()
                .find(|b| b["block_id"] == id)
                .map(|b| b["element"].clone())
                .unwrap_or(Value::Null)
        };
        assert_eq!(el("name")["type"], "plain_text_input");
        assert_eq!(el("name")["initial_value"], "orders");
        assert_eq!(el("size")["type"], "number_input");
        assert_eq!(el("size")["max_value"], "100");
        assert_eq!(el("engine")["initial_option"]["value"], "postgres");
        assert_eq!(el("ha")["type"], "checkboxes");
        assert_eq!(el("team")["initial_option"]["value"], "payments");
        assert_eq!(el("until")["type"], "datepicker");
        assert_eq!(el("password")["type"], "plain_text_input");
        // Hidden until `ha` is ticked; `ha` dispatches its changes so the modal can show it.
        assert_eq!(el("zones"), Value::Null);
        let ha = blocks.iter().find(|b| b["block_id"] == "ha").expect("ha");
        assert_eq!(ha["dispatch_action"], true);
        let name = blocks
            .iter()
            .find(|b| b["block_id"] == "name")
            .expect("name");
        assert_eq!(name["hint"]["text"], "lower-case");
        assert_eq!(name["optional"], false);
        // Slack's own escaping keeps markup out of mrkdwn.
        assert_eq!(blocks[0]["text"]["text"], "S &lt;b&gt;");
    }

    #[test]
    fn a_changed_modal_shows_the_fields_its_values_reveal_and_its_state_reads_back() {
        let state = json!({"values": {
            "name": {"name": {"type": "plain_text_input", "value": "billing"}},
            "ha": {"ha": {"type": "checkboxes", "selected_options": [{"value": "true"}]}},
            "engine": {"engine": {"type": "static_select", "selected_option": {"value": "mysql"}}},
            "zones": {"zones": {"type": "multi_static_select", "selected_options": [{"value": "a"}, {"value": "b"}]}},
            "until": {"until": {"type": "datepicker", "selected_date": "2027-01-31"}},
            "size": {"size": {"type": "number_input", "value": null}},
        }});
        let raw = values(&state);
        assert!(raw.contains(&("ha".into(), "true".into())));
        assert!(
            raw.contains(&("zones".into(), "a".into()))
                && raw.contains(&("zones".into(), "b".into()))
        );
        assert!(raw.contains(&("until".into(), "2027-01-31".into())));
        assert!(!raw.iter().any(|(k, _)| k == "size"));
        let v = form_view(&spec(), &[], &raw);
        assert!(v["blocks"]
            .as_array()
            .expect("blocks")
            .iter()
            .any(|b| b["block_id"] == "zones"));
    }

    #[test]
    fn someone_in_no_team_gets_a_text_box_not_an_empty_select() {
        let v = form_view(&spec(), &[], &RawValues::new());
        let team = v["blocks"]
            .as_array()
            .expect("blocks")
            .iter()
            .find(|b| b["block_id"] == "team")
            .expect("team");
        assert_eq!(team["element"]["type"], "plain_text_input");
    }

    #[test]
    fn errors_go_under_their_fields_or_the_first_shown_one() {
        let v = form_view(&spec(), &[], &RawValues::new());
        let mut e = std::collections::BTreeMap::new();
        e.insert("size".to_string(), "Too big.".to_string());
        e.insert("zones".to_string(), "Choose one.".to_string());
        let answer = errors(&v, &e);
        assert_eq!(answer["response_action"], "errors");
        assert_eq!(answer["errors"]["size"], "Too big.");
        assert_eq!(answer["errors"]["name"], "Choose one.");
    }
}
