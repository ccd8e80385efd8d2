#![allow(clippy::expect_used, clippy::unwrap_used, reason = "test code")]
use super::*;
use crate::ids::FieldName;
use crate::parse::parse_action;
use crate::spec::{Condition, SelectOption};
use proptest::prelude::*;

fn demo(name: &str) -> Vec<FieldSpec> {
    let path = format!("{}/../catalog/{name}.yaml", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("demo file");
    parse_action(&format!("{name}.yaml"), &text)
        .expect("demo action parses")
        .inputs
}

fn raw(pairs: &[(&str, &str)]) -> RawValues {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn teams() -> Vec<String> {
    vec!["payments".to_string()]
}

#[test]
fn a_valid_create_repo_form_becomes_typed_values() {
    let fields = demo("create-repo");
    let ok = validate(
        &fields,
        &raw(&[
            ("name", "billing-api"),
            ("description", "Bills customers every month"),
            ("team", "payments"),
            ("template", "service"),
            ("visibility", "internal"),
            ("private_reason", "ignored because hidden"),
            ("default_branch", "main"),
            ("ci", "false"),
            ("ci", "true"),
        ]),
        &teams(),
    )
    .expect("valid");
    assert_eq!(ok.values["name"], "billing-api");
    assert_eq!(ok.values["ci"], true);
    assert!(
        !ok.values.contains_key("private_reason"),
        "hidden fields are not sent"
    );
}

#[test]
fn every_mistake_is_reported_on_its_own_field() {
    let fields = demo("create-repo");
    let errors = validate(
        &fields,
        &raw(&[
            ("name", "Billing API"),
            ("description", "short"),
            ("team", "search"),
            ("template", "mainframe"),
            ("visibility", "private"),
            ("default_branch", "main"),
        ]),
        &teams(),
    )
    .expect_err("invalid");
    assert!(
        errors["name"].starts_with("Must match the pattern"),
        "{errors:?}"
    );
    assert_eq!(errors["description"], "Must be at least 10 characters.");
    assert_eq!(errors["team"], "Choose one of your teams: payments.");
    assert_eq!(errors["template"], "`mainframe` is not one of the options.");
    // Visible now (visibility = private) and required.
    assert_eq!(errors["private_reason"], "Required.");
    assert!(!errors.contains_key("default_branch"));
}

#[test]
fn numbers_dates_and_lists_are_parsed_and_checked() {
    let fields = demo("service-database");
    let base = [
        ("service", "invoices"),
        ("team", "payments"),
        ("engine", "postgres"),
        ("size", "small"),
        ("environment", "staging"),
        ("backups", "true"),
    ];
    let mut bad = raw(&base);
    bad.push(("retention_days".into(), "10".into()));
    let errors = validate(&fields, &bad, &teams()).expect_err("10 is not a multiple of 7");
    assert_eq!(errors["retention_days"], "Must be a multiple of 7 from 7.");
    let mut words = raw(&base);
    words.push(("retention_days".into(), "two weeks".into()));
    let errors = validate(&fields, &words, &teams()).expect_err("not a number");
    assert!(errors["retention_days"].starts_with("Enter a whole number"));
    // Backups off hides the retention field: its bad value no longer matters.
    let mut off = raw(&base);
    off.retain(|(k, _)| k != "backups");
    off.push(("retention_days".into(), "two weeks".into()));
    let ok = validate(&fields, &off, &teams()).expect("hidden field ignored");
    assert_eq!(ok.values["backups"], false);
    assert!(!ok.values.contains_key("retention_days"));

    let access = demo("access-request");
    let errors = validate(
        &access,
        &raw(&[
            ("system", "grafana"),
            ("access_level", "read"),
            ("justification", "Need to look at the dashboards for INC-1"),
            ("end_date", "2026-02-30"),
            ("team", "payments"),
        ]),
        &teams(),
    )
    .expect_err("no 30 February, no environments");
    assert!(errors["end_date"].contains("YYYY-MM-DD"), "{errors:?}");
    assert_eq!(errors["environments"], "Choose at least one.");
}

#[test]
fn secrets_are_kept_apart_and_control_characters_refused() {
    let fields = demo("rotate-secret");
    let secret_field = fields
        .iter()
        .find(|f| matches!(f.kind, FieldKind::Secret { .. }))
        .expect("rotate-secret has a secret field");
    let one = parse_field(secret_field, &["hunter2-hunter2"]).expect("ok");
    assert_eq!(one, Some(Value::String("hunter2-hunter2".into())));
    assert_eq!(
        parse_field(secret_field, &["a\0b"]),
        Err("Must not contain NUL characters.".into())
    );
    let line = FieldSpec {
        name: FieldName::parse("x").expect("name"),
        label: "X".into(),
        help: None,
        placeholder: None,
        required: true,
        default: None,
        kind: FieldKind::String {
            pattern: None,
            min_length: None,
            max_length: None,
        },
        visible_if: None,
    };
    assert_eq!(
        parse_field(&line, &["a\nb"]),
        Err("Must be a single line.".into())
    );
}

#[test]
fn links_prefill_values_but_never_secrets() {
    let fields = demo("create-repo");
    let start = initial_values(
        &fields,
        &raw(&[("name", "billing-api"), ("nonsense", "x")]),
        &teams(),
    );
    assert!(start.contains(&("name".into(), "billing-api".into())));
    assert!(
        start.contains(&("template".into(), "service".into())),
        "defaults kept"
    );
    assert!(
        start.contains(&("team".into(), "payments".into())),
        "only team chosen"
    );
    assert!(!start.iter().any(|(k, _)| k == "nonsense"));
    let q = prefill_query(&fields, &start);
    assert!(q.starts_with("name=billing-api&"), "{q}");
    let rotate = demo("rotate-secret");
    let secret = rotate
        .iter()
        .find(|f| matches!(f.kind, FieldKind::Secret { .. }))
        .expect("secret field")
        .name
        .to_string();
    let with_secret = raw(&[(secret.as_str(), "hunter2-hunter2")]);
    assert!(!initial_values(&rotate, &with_secret, &teams())
        .iter()
        .any(|(k, _)| *k == secret));
    assert!(!prefill_query(&rotate, &with_secret).contains("hunter2"));
}

// ---- Properties over random field specs and random inputs ----

fn arb_kind() -> impl Strategy<Value = FieldKind> {
    let opts = prop::collection::vec("[a-z]{1,6}", 1..4).prop_map(|vs| {
        vs.into_iter()
            .map(|v| SelectOption {
                label: v.to_uppercase(),
                value: v,
            })
            .collect::<Vec<_>>()
    });
    prop_oneof![
        (
            prop::option::of(prop_oneof![
                Just("[a-z]+".to_string()),
                Just("[0-9]{2,4}".to_string())
            ]),
            prop::option::of(0u32..5),
            prop::option::of(5u32..20)
        )
            .prop_map(|(pattern, min_length, max_length)| FieldKind::String {
                pattern,
                min_length,
                max_length
            }),
        (prop::option::of(0u32..5), prop::option::of(5u32..50)).prop_map(
            |(min_length, max_length)| FieldKind::Text {
                min_length,
                max_length
            }
        ),
        (
            prop::option::of(-10i64..0),
            prop::option::of(0i64..100),
            prop::option::of(1i64..5)
        )
            .prop_map(|(min, max, step)| FieldKind::Integer { min, max, step }),
        (
            prop::option::of(-10.0f64..0.0),
            prop::option::of(0.0f64..100.0),
            prop::option::of(prop_oneof![Just(0.5f64), Just(0.25f64)])
        )
            .prop_map(|(min, max, step)| FieldKind::Number { min, max, step }),
        Just(FieldKind::Boolean),
        opts.clone()
            .prop_map(|options| FieldKind::Select { options }),
        opts.prop_map(|options| FieldKind::Multiselect { options }),
        Just(FieldKind::Team),
        Just(FieldKind::Date),
        (prop::option::of(0u32..5), prop::option::of(5u32..50)).prop_map(
            |(min_length, max_length)| FieldKind::Secret {
                min_length,
                max_length
            }
        ),
    ]
}

fn arb_fields() -> impl Strategy<Value = Vec<FieldSpec>> {
    prop::collection::vec((arb_kind(), any::<bool>(), any::<bool>()), 1..6).prop_map(|kinds| {
        let mut fields: Vec<FieldSpec> = Vec::new();
        for (i, (kind, required, conditional)) in kinds.into_iter().enumerate() {
            // Condition on the first earlier boolean field, if any.
            let visible_if = conditional
                .then(|| {
                    fields
                        .iter()
                        .find(|f| matches!(f.kind, FieldKind::Boolean))
                        .map(|f| Condition {
                            field: f.name.clone(),
                            equals: Value::Bool(true),
                        })
                })
                .flatten();
            fields.push(FieldSpec {
                name: FieldName::parse(&format!("f{i}")).expect("name"),
                label: format!("Field {i}"),
                help: None,
                placeholder: None,
                required,
                default: None,
                kind,
                visible_if,
            });
        }
        fields
    })
}

fn arb_raw(n: usize) -> impl Strategy<Value = RawValues> {
    let value = prop_oneof![
        Just(String::new()),
        Just("true".to_string()),
        Just("2026-02-28".to_string()),
        Just("payments".to_string()),
        "[a-z]{1,8}",
        "-?[0-9]{1,4}(\\.[0-9]{1,2})?",
        any::<String>(),
    ];
    prop::collection::vec((0..n.max(1) + 1, value), 0..12).prop_map(|pairs| {
        pairs
            .into_iter()
            .map(|(i, v)| (format!("f{i}"), v))
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// No input makes validation panic, and whatever passes is internally consistent: every value
    /// belongs to a visible field and passes that field's own rules, and secrets stay apart.
    #[test]
    fn validation_never_panics_and_accepted_values_obey_their_rules(
        (fields, raw) in arb_fields().prop_flat_map(|f| { let n = f.len(); (Just(f), arb_raw(n)) })
    ) {
        let result = validate(&fields, &raw, &teams());
        let visible = visible_fields(&fields, &raw);
        match result {
            Ok(ok) => {
                for (name, value) in ok.values.iter().chain(ok.secrets.iter()) {
                    prop_assert!(visible.contains(name));
                    let field = fields.iter().find(|f| f.name.as_str() == name).expect("known field");
                    prop_assert!(field.kind.check_value(value).is_ok());
                    prop_assert_eq!(ok.secrets.contains_key(name), matches!(field.kind, FieldKind::Secret { .. }));
                }
                for f in &fields {
                    if f.required && visible.contains(&f.name.to_string()) {
                        prop_assert!(ok.all().contains_key(f.name.as_str()), "required {} missing", f.name);
                    }
                }
            }
            Err(errors) => {
                prop_assert!(!errors.is_empty());
                for name in errors.keys() {
                    prop_assert!(visible.contains(name), "error on hidden field {}", name);
                }
            }
        }
    }

    /// A pre-filled link carries the form exactly: validating the values a link restores gives the
    /// same outcome for every non-secret field.
    #[test]
    fn prefilled_links_round_trip(
        (fields, raw) in arb_fields().prop_flat_map(|f| { let n = f.len(); (Just(f), arb_raw(n)) })
    ) {
        let fields: Vec<FieldSpec> = fields.into_iter().filter(|f| !matches!(f.kind, FieldKind::Secret { .. })).collect();
        let query = prefill_query(&fields, &raw);
        let parsed: RawValues = query
            .split('&')
            .filter(|p| !p.is_empty())
            .filter_map(|p| p.split_once('='))
            .map(|(k, v)| (pct_decode(k), pct_decode(v)))
            .collect();
        let restored = initial_values(&fields, &parsed, &teams());
        let a = validate(&fields, &raw, &teams()).map(|v| v.values);
        let b = validate(&fields, &restored, &teams()).map(|v| v.values);
        // The restored form may gain defaults (the requester's only team); it never loses or
        // changes a value.
        if let (Ok(a), Ok(b)) = (&a, &b) {
            for (k, v) in a {
                prop_assert_eq!(Some(v), b.get(k));
            }
        }
    }
}

fn pct_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz");
            if let Ok(b) = u8::from_str_radix(hex, 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
