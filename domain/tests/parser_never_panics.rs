//! The catalogue parser reads files people write by hand: no input may make it panic. Random text,
//! random YAML-ish text, and random mutations of the shipped demo files must all give either an
//! action or a list of located problems.

#![allow(
    clippy::expect_used,
    reason = "test code: a failed expectation is a failed test"
)]

use proptest::prelude::*;
use runway_domain::parse::parse_action;

fn demo_files() -> Vec<String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../catalog");
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .expect("catalog dir")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "yaml"))
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .collect();
    files.sort();
    files
}

fn yamlish() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        Just("id: ".to_string()),
        Just("inputs:\n".to_string()),
        Just("  - name: x\n".to_string()),
        Just("    type: ".to_string()),
        Just("run:\n  kind: ".to_string()),
        Just("{{".to_string()),
        Just("}}".to_string()),
        Just("&a ".to_string()),
        Just("*a".to_string()),
        Just("!!str ".to_string()),
        Just("[".to_string()),
        Just("{".to_string()),
        Just(": ".to_string()),
        Just("\n".to_string()),
        Just("  ".to_string()),
        Just("'".to_string()),
        Just("\"".to_string()),
        Just("visible_if: {field: x, equals: 1}\n".to_string()),
        Just("pattern: '(['\n".to_string()),
        "[a-z_]{1,8}",
        "-?[0-9]{1,20}(\\.[0-9]+)?",
        any::<char>().prop_map(|c| c.to_string()),
    ];
    prop::collection::vec(token, 0..60).prop_map(|t| t.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        let _ = parse_action("x.yaml", &text);
    }

    #[test]
    fn yaml_like_text_never_panics(text in yamlish()) {
        let _ = parse_action("x.yaml", &text);
    }

    #[test]
    fn mutated_demo_files_never_panic(
        which in 0usize..6,
        cuts in prop::collection::vec((any::<prop::sample::Index>(), any::<prop::sample::Index>(), "[ -~\n]{0,12}"), 1..4)
    ) {
        let files = demo_files();
        let mut text = files[which % files.len()].clone();
        for (at, len, insert) in cuts {
            let chars: Vec<char> = text.chars().collect();
            if chars.is_empty() { break; }
            let start = at.index(chars.len());
            let end = (start + len.index(16)).min(chars.len());
            let mut next: String = chars[..start].iter().collect();
            next.push_str(&insert);
            next.extend(chars[end..].iter());
            text = next;
        }
        match parse_action("mutated.yaml", &text) {
            Ok(spec) => prop_assert!(!spec.id.as_str().is_empty()),
            Err(problems) => prop_assert!(!problems.is_empty()),
        }
    }
}
