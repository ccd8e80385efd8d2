use super::*;

const FULL: &str = r#"id: create-repo
title: Create a service repository
summary: A new git repository from the service template.
description: |
  Creates a **bare** repository.
category: Source code
tags: [git, repository]
owner: platform
inputs:
  - name: name
    label: Repository name
    type: string
    pattern: "[a-z][a-z0-9-]{2,39}"
    required: true
  - name: visibility
    label: Visibility
    type: select
    options:
      - internal
      - value: private
        label: Private (team only)
    default: internal
  - name: reason
    label: Why private?
    type: text
    visible_if: {field: visibility, equals: private}
  - name: replicas
    label: Replicas
    type: integer
    min: 1
    max: 9
    step: 2
    default: 3
run:
  kind: script
  command: scripts/create-repo.sh
  args: ["--name", "{{name}}", "--visibility={{visibility}}"]
approval: {from: [security], count: 2}
timeout: 5m
retries: 2
concurrency: 4
visible_to: [payments, search]
replaces: "PLAT ticket: new repository"
estimate: 2m
"#;

#[test]
fn a_complete_action_parses_into_its_typed_spec() {
    let spec = parse_action("create-repo.yaml", FULL).expect("valid spec");
    assert_eq!(spec.id.as_str(), "create-repo");
    assert_eq!(spec.tags, vec!["git", "repository"]);
    assert_eq!(spec.inputs.len(), 4);
    assert_eq!(
        spec.inputs[1].default,
        Some(Value::String("internal".into()))
    );
    assert_eq!(
        spec.inputs[2].visible_if,
        Some(Condition {
            field: FieldName::parse("visibility").expect("name"),
            equals: Value::String("private".into())
        })
    );
    assert!(matches!(
        spec.inputs[3].kind,
        FieldKind::Integer {
            min: Some(1),
            max: Some(9),
            step: Some(2)
        }
    ));
    assert_eq!(
        spec.run,
        RunSpec::Script {
            command: "scripts/create-repo.sh".into(),
            args: vec![
                "--name".into(),
                "{{name}}".into(),
                "--visibility={{visibility}}".into()
            ]
        }
    );
    assert_eq!(
        spec.approval,
        ApprovalPolicy::Groups {
            groups: vec!["security".into()],
            count: 2
        }
    );
    assert_eq!(spec.timeout.as_secs(), 300);
    assert_eq!(spec.retries, 2);
    assert_eq!(spec.concurrency, Some(4));
    assert!(spec.visible_to.is_beta());
    assert_eq!(spec.estimate.map(HumanDuration::as_secs), Some(120));
}

#[test]
fn a_minimal_manual_action_gets_safe_defaults() {
    let text = "id: access\ntitle: Access\nsummary: Get access.\ncategory: Access\nowner: security\nrun: {kind: manual}\n";
    let spec = parse_action("access.yaml", text).expect("valid spec");
    assert_eq!(spec.approval, ApprovalPolicy::None);
    assert_eq!(spec.visible_to, Visibility::All);
    assert_eq!(spec.timeout.as_secs(), DEFAULT_TIMEOUT_SECS);
    assert_eq!(spec.retries, 0);
    assert_eq!(spec.run, RunSpec::Manual { instructions: None });
}

#[test]
fn webhook_bodies_keep_yaml_types_and_check_references() {
    let text = r#"id: deploy
title: Deploy
summary: Trigger a pipeline.
category: Delivery
owner: platform
inputs:
  - {name: service, label: Service, type: string}
run:
  kind: webhook
  url: https://ci.example.com/hooks/deploy
  headers: {X-Team: platform}
  body: {service: "{{service}}", dry_run: false, count: 3, note: "42"}
"#;
    let spec = parse_action("deploy.yaml", text).expect("valid spec");
    let RunSpec::Webhook {
        method,
        body,
        headers,
        ..
    } = spec.run
    else {
        panic!("webhook expected")
    };
    assert_eq!(method, HttpMethod::Post);
    assert_eq!(headers.get("X-Team").map(String::as_str), Some("platform"));
    assert_eq!(
        body,
        Some(
            serde_json::json!({"service": "{{service}}", "dry_run": false, "count": 3, "note": "42"})
        )
    );
}

fn problems(text: &str) -> Vec<String> {
    match parse_action("a.yaml", text) {
        Ok(_) => vec!["<parsed without problems>".to_string()],
        Err(ps) => ps.iter().map(ToString::to_string).collect(),
    }
}

const HEAD: &str = "id: a\ntitle: A\nsummary: S\ncategory: C\nowner: platform\n";

/// Each broken spec and the exact report it must produce. Lines count from 1, and HEAD is 5 lines.
#[test]
fn broken_specs_report_exact_located_problems() {
    let manual = "run: {kind: manual}\n";
    let cases: Vec<(String, Vec<&str>)> = vec![
        ("title: [oops\n".to_string(), vec!["a.yaml:2: invalid YAML: while parsing a flow sequence, expected ',' or ']'"]),
        ("- just\n- a list\n".to_string(), vec!["a.yaml:1: expected a mapping of action fields at the top level"]),
        ("id: a\nid: b\n".to_string(), vec!["a.yaml:2: duplicate key `id`"]),
        (
            "title: T\n".to_string(),
            vec![
                "a.yaml:1: id: is required",
                "a.yaml:1: summary: is required",
                "a.yaml:1: category: is required",
                "a.yaml:1: owner: is required",
                "a.yaml:1: run: is required: how the action is carried out (kind: script, webhook or manual)",
            ],
        ),
        (
            format!("{HEAD}{manual}requried: true\n"),
            vec!["a.yaml:7: requried: unknown field; expected one of: id, title, summary, description, category, tags, owner, inputs, run, approval, timeout, retries, concurrency, visible_to, replaces, estimate, lifecycle, jira"],
        ),
        (
            "id: Create_Repo\ntitle: A\nsummary: S\ncategory: C\nowner: platform\nrun: {kind: manual}\n".to_string(),
            vec!["a.yaml:1: id: `Create_Repo` is not a valid action id: use 1-64 lowercase letters, digits and single hyphens, starting with a letter or digit"],
        ),
        (
            format!("{HEAD}{manual}inputs:\n  - {{name: a, label: A, type: string}}\n  - {{name: b, label: B, type: string}}\n  - {{name: c, label: C, type: string, pattern: \"[a-\"}}\n"),
            vec!["a.yaml:10: inputs[2].pattern: invalid regex `[a-`: non-empty character class has no closing bracket after dash"],
        ),
        (
            // Unicode classes are refused when the file loads: the browser and the server validate
            // with the same small engine, which has no Unicode tables.
            format!("{HEAD}{manual}inputs:\n  - {{name: n, label: N, type: string, pattern: '\\p{{L}}+'}}\n"),
            vec!["a.yaml:8: inputs[0].pattern: invalid regex `\\p{L}+`: Unicode character classes are not supported"],
        ),
        (
            format!("{HEAD}{manual}inputs:\n  - {{name: n, label: N, type: colour}}\n"),
            vec!["a.yaml:8: inputs[0].type: unknown type `colour`; expected one of: string, text, integer, number, boolean, select, multiselect, team, date, secret"],
        ),
        (
            format!("{HEAD}{manual}inputs:\n  - {{name: n, label: N, type: integer, min: 5, max: 1}}\n"),
            vec!["a.yaml:8: inputs[0].max: must not be less than min (5)"],
        ),
        (
            format!("{HEAD}{manual}inputs:\n  - {{name: n, label: N, type: integer, pattern: x}}\n"),
            vec!["a.yaml:8: inputs[0].pattern: does not apply to a field of type integer; expected one of: name, label, help, placeholder, required, default, visible_if, type, min, max, step"],
        ),
        (
            format!("{HEAD}{manual}inputs:\n  - {{name: n, label: N, type: string, max_length: 3, default: toolong}}\n"),
            vec!["a.yaml:8: inputs[0].default: default does not satisfy the field's own rules: must be at most 3 characters"],
        ),
        (
            format!("{HEAD}{manual}inputs:\n  - {{name: a, label: A, type: string}}\n  - {{name: a, label: B, type: string}}\n"),
            vec!["a.yaml:9: inputs[1].name: duplicate field name `a`"],
        ),
        (
            format!("{HEAD}{manual}inputs:\n  - {{name: r, label: R, type: text, visible_if: {{field: later, equals: x}}}}\n  - {{name: later, label: L, type: boolean}}\n"),
            vec!["a.yaml:8: inputs[0].visible_if.field: refers to `later`, which is not a field defined above this one"],
        ),
        (
            format!("{HEAD}{manual}inputs:\n  - {{name: s, label: S, type: select, options: [x, y]}}\n  - {{name: r, label: R, type: text, visible_if: {{field: s, equals: z}}}}\n"),
            vec!["a.yaml:9: inputs[1].visible_if.equals: not a possible value of `s`: `z` is not one of the options"],
        ),
        (
            format!("{HEAD}{manual}inputs:\n  - {{name: s, label: S, type: select, options: [x, x]}}\n"),
            vec!["a.yaml:8: inputs[0].options[1]: duplicate option `x`"],
        ),
        (
            format!("{HEAD}inputs:\n  - {{name: pw, label: P, type: secret}}\nrun:\n  kind: script\n  command: ../outside.sh\n  args: [\"{{{{pw}}}}\", \"{{{{nope}}}}\"]\n"),
            vec![
                "a.yaml:10: run.command: must be a path inside the catalogue directory (relative, without `..`)",
                "a.yaml:11: run.args[0]: secret field `pw` cannot be passed as an argument (arguments are visible in process lists); read it from stdin or RUNWAY_INPUT_PW",
                "a.yaml:11: run.args[1]: `{{nope}}` refers to no input field",
            ],
        ),
        (
            format!("{HEAD}run: {{kind: webhook, url: ftp://x, method: FETCH}}\n"),
            vec![
                "a.yaml:6: run.method: expected GET, POST, PUT, PATCH or DELETE, found `FETCH`",
                "a.yaml:6: run.url: expected an http:// or https:// URL, found `ftp://x`",
            ],
        ),
        (format!("{HEAD}run: {{kind: robot}}\n"), vec!["a.yaml:6: run.kind: unknown executor `robot`; expected script, webhook or manual"]),
        (
            format!("{HEAD}{manual}approval: manager\n"),
            vec!["a.yaml:7: approval: expected `none`, `team-lead`, or a mapping with `from` (team-lead or a list of groups) and `count`, found `manager`"],
        ),
        (
            format!("{HEAD}{manual}timeout: 3 days\nretries: 11\nestimate: soon\n"),
            vec![
                "a.yaml:7: timeout: expected a duration such as `30s`, `15m`, `1h30m` or `2d`, found `3 days`",
                "a.yaml:8: retries: must be at most 10",
                "a.yaml:9: estimate: expected a duration such as `30s`, `15m`, `1h30m` or `2d`, found `soon`",
            ],
        ),
        (format!("{HEAD}{manual}timeout: 2d\n"), vec!["a.yaml:7: timeout: must be between 1s and 24h"]),
        (
            format!("{HEAD}{manual}visible_to: [payments, Bad Team]\n"),
            vec!["a.yaml:7: visible_to[1]: `Bad Team` is not a valid team name: use 1-64 lowercase letters, digits and single hyphens, starting with a letter or digit (or write `all`)"],
        ),
        ("id:\ntitle: A\nsummary: S\ncategory: C\nowner: platform\nrun: {kind: manual}\n".to_string(), vec!["a.yaml:1: id: is required"]),
        (
            format!("{HEAD}{manual}visible_to: [all, payments]\n"),
            vec!["a.yaml:7: visible_to[0]: `all` cannot be listed with teams; write `visible_to: all` for everyone"],
        ),
        (
            format!("{HEAD}{manual}approval: {{from: [team-lead, security]}}\n"),
            vec!["a.yaml:7: approval.from: `team-lead` cannot be mixed with groups; write `from: team-lead` for the requester's team leads"],
        ),
        (
            format!("{HEAD}inputs:\n  - {{name: token, label: T, type: secret}}\nrun:\n  kind: webhook\n  url: \"https://x.example/{{{{token}}}}\"\n  headers: {{Authorization: \"Bearer {{{{token}}}}\"}}\n"),
            vec![
                "a.yaml:10: run.url: secret field `token` cannot be used here (URLs end up in access logs); send it in the body",
                "a.yaml:11: run.headers.Authorization: secret field `token` cannot be used here (headers end up in proxy logs); send it in the body",
            ],
        ),
        (format!("{HEAD}{manual}tags: [a, \"\", a]\n"), vec!["a.yaml:7: tags[1]: must not be empty"]),
        (
            format!("{HEAD}{manual}inputs:\n  - {{name: pw, label: P, type: secret, default: hunter2}}\n"),
            vec!["a.yaml:8: inputs[0].default: a secret field cannot have a default"],
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(problems(&text), expected, "for spec:\n{text}");
    }
}

#[test]
fn every_problem_in_a_file_is_reported_at_once() {
    let text = "id: BAD\ntitle: T\nsummary: S\ncategory: C\nowner: Not A Team\nrun: {kind: manual}\nretries: -1\n";
    let found = problems(text);
    assert_eq!(found.len(), 3, "{found:#?}");
}

#[test]
fn templates_list_their_field_references() {
    assert_eq!(
        template_fields("--name={{ name }}-{{env}}"),
        Ok(vec!["name".to_string(), "env".to_string()])
    );
    assert!(template_fields("{{name").is_err());
    assert!(template_fields("{{$(id)}}").is_err());
}

#[test]
fn dates_must_exist_on_the_calendar() {
    assert!(is_iso_date("2024-02-29"));
    assert!(!is_iso_date("2023-02-29"));
    assert!(!is_iso_date("2023-13-01"));
    assert!(!is_iso_date("23-01-01"));
}

const WEBHOOK_HEAD: &str = "id: a\ntitle: A\nsummary: S\ncategory: C\nowner: platform\nrun:\n  kind: webhook\n  url: https://ci.example.com/hooks\n";

fn webhook_poll(poll_yaml: &str) -> Option<WebhookPoll> {
    let text = format!("{WEBHOOK_HEAD}{poll_yaml}");
    match parse_action("a.yaml", &text) {
        Ok(ActionSpec {
            run: RunSpec::Webhook { poll, .. },
            ..
        }) => poll,
        other => panic!("webhook expected for:\n{text}\ngot {other:?}"),
    }
}

#[test]
fn webhook_poll_is_off_unless_asked_and_true_means_the_defaults() {
    assert_eq!(webhook_poll(""), None);
    assert_eq!(webhook_poll("  poll: false\n"), None);
    let poll = webhook_poll("  poll: true\n").expect("poll");
    assert_eq!(poll, WebhookPoll::default());
    assert_eq!(poll.status_url, "/status_url");
    assert_eq!(poll.status, "/status");
    assert_eq!(poll.success, vec!["succeeded", "success"]);
    assert_eq!(
        poll.failure,
        vec!["failed", "failure", "error", "cancelled"]
    );
    assert_eq!(poll.interval.as_secs(), 5);
}

#[test]
fn webhook_poll_mapping_overrides_only_what_it_names() {
    let poll = webhook_poll(
        "  poll:\n    status_url: /links/status\n    success: done\n    failure: [broken, \"timed out\"]\n    interval: 30s\n",
    )
    .expect("poll");
    assert_eq!(
        poll,
        WebhookPoll {
            status_url: "/links/status".into(),
            status: "/status".into(),
            success: vec!["done".into()],
            failure: vec!["broken".into(), "timed out".into()],
            interval: HumanDuration::from_secs(30),
        }
    );
    let poll = webhook_poll("  poll: {status: /pipeline/state}\n").expect("poll");
    assert_eq!(poll.status, "/pipeline/state");
    assert_eq!(poll.success, WebhookPoll::default().success);
}

#[test]
fn broken_webhook_poll_settings_report_exact_located_problems() {
    // WEBHOOK_HEAD is 8 lines; `poll` is on line 9.
    let cases: Vec<(&str, Vec<&str>)> = vec![
        (
            "  poll: yes\n",
            vec!["a.yaml:9: run.poll: expected `true` or a mapping with any of: status_url, status, success, failure, interval, found `yes`"],
        ),
        (
            "  poll: [status]\n",
            vec!["a.yaml:9: run.poll: expected `true` or a mapping with any of: status_url, status, success, failure, interval"],
        ),
        (
            "  poll:\n    status_url: /s\n    every: 5s\n",
            vec!["a.yaml:11: run.poll.every: unknown field; expected one of: status_url, status, success, failure, interval"],
        ),
        (
            "  poll:\n    status_url: status_url\n    status: $.status\n",
            vec![
                "a.yaml:10: run.poll.status_url: expected a JSON pointer such as `/data/status_url`, found `status_url`",
                "a.yaml:11: run.poll.status: expected a JSON pointer such as `/data/status`, found `$.status`",
            ],
        ),
        (
            "  poll:\n    success: []\n    failure: [failed, \"\"]\n",
            vec![
                "a.yaml:10: run.poll.success: must list at least one status value",
                "a.yaml:11: run.poll.failure[1]: must not be empty",
            ],
        ),
        (
            "  poll:\n    failure: [failed, success]\n",
            vec!["a.yaml:10: run.poll.failure: `success` is listed as both a success and a failure status"],
        ),
        (
            "  poll:\n    success: {done: true}\n",
            vec!["a.yaml:10: run.poll.success: expected a list of values"],
        ),
        (
            "  poll:\n    interval: 0s\n",
            vec!["a.yaml:10: run.poll.interval: must be between 1s and 1h"],
        ),
        (
            "  poll:\n    interval: 2h\n",
            vec!["a.yaml:10: run.poll.interval: must be between 1s and 1h"],
        ),
        (
            "  poll:\n    interval: often\n",
            vec!["a.yaml:10: run.poll.interval: expected a duration such as `30s`, `15m`, `1h30m` or `2d`, found `often`"],
        ),
        (
            "  pol: true\n",
            vec!["a.yaml:9: run.pol: unknown field; expected one of: kind, method, url, headers, body, poll"],
        ),
    ];
    for (poll_yaml, expected) in cases {
        let text = format!("{WEBHOOK_HEAD}{poll_yaml}");
        assert_eq!(problems(&text), expected, "for spec:\n{text}");
    }
}

#[test]
fn config_references_are_accepted_in_webhooks_and_script_args() {
    let webhook = r#"id: a
title: A
summary: S
category: C
owner: platform
inputs:
  - {name: service, label: Service, type: string}
run:
  kind: webhook
  url: "{{config.ci_url}}/pipelines/{{service}}"
  headers: {Authorization: "Bearer {{ config.ci_token }}"}
  body: {service: "{{service}}", callback: "{{config.public_url}}"}
"#;
    let spec = parse_action("a.yaml", webhook).expect("valid spec");
    let RunSpec::Webhook { url, .. } = spec.run else {
        panic!("webhook expected")
    };
    assert_eq!(url, "{{config.ci_url}}/pipelines/{{service}}");
    let script = format!(
        "{HEAD}run:\n  kind: script\n  command: scripts/x.sh\n  args: [\"--registry={{{{config.registry}}}}\"]\n"
    );
    assert!(
        parse_action("a.yaml", &script).is_ok(),
        "{:?}",
        problems(&script)
    );
    assert_eq!(
        template_fields("{{config.ci_url}}/{{name}}"),
        Ok(vec!["config.ci_url".to_string(), "name".to_string()])
    );
    assert_eq!(config_key("config.ci_url"), Some("ci_url"));
    assert_eq!(config_key("ci_url"), None);
}

#[test]
fn malformed_config_references_are_located_problems() {
    let cases: Vec<(String, Vec<&str>)> = vec![
        (
            format!("{HEAD}run: {{kind: webhook, url: \"https://{{{{config.CI-Host}}}}/x\"}}\n"),
            vec!["a.yaml:6: run.url: `{{config.CI-Host}}` is not a configuration reference (after `config.`, use 1-48 lowercase letters, digits and underscores, starting with a letter)"],
        ),
        (
            format!("{HEAD}run:\n  kind: script\n  command: scripts/x.sh\n  args: [\"{{{{config.}}}}\", \"{{{{configs.x}}}}\"]\n"),
            vec![
                "a.yaml:9: run.args[0]: `{{config.}}` is not a configuration reference (after `config.`, use 1-48 lowercase letters, digits and underscores, starting with a letter)",
                "a.yaml:9: run.args[1]: `{{configs.x}}` is not a field reference (use 1-48 lowercase letters, digits and underscores, starting with a letter)",
            ],
        ),
        (
            format!("{HEAD}inputs:\n  - {{name: host, label: H, type: string}}\nrun: {{kind: webhook, url: \"{{{{host}}}}/x\"}}\n"),
            vec!["a.yaml:8: run.url: expected an http:// or https:// URL, found `{{host}}/x`"],
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(problems(&text), expected, "for spec:\n{text}");
    }
}

const DEPLOY_HEAD: &str = "id: a\ntitle: A\nsummary: S\ncategory: C\nowner: platform\nrun: {kind: manual}\ninputs:\n  - {name: environment, label: Environment, type: select, required: true, options: [{value: staging, label: Staging}, {value: production, label: Production}]}\n  - {name: canary, label: Canary, type: boolean}\n";

#[test]
fn an_approval_with_when_is_needed_only_by_requests_that_meet_it() {
    let text = format!(
        "{DEPLOY_HEAD}approval: {{from: team-lead, when: {{field: environment, equals: production}}}}\n"
    );
    let spec = parse_action("a.yaml", &text).expect("valid spec");
    assert_eq!(spec.approval, ApprovalPolicy::TeamLead { count: 1 });
    let values = |env: &str| {
        let mut m = serde_json::Map::new();
        m.insert("environment".into(), Value::String(env.into()));
        m
    };
    assert_eq!(
        spec.approval_for(&values("production")),
        ApprovalPolicy::TeamLead { count: 1 }
    );
    assert_eq!(spec.approval_for(&values("staging")), ApprovalPolicy::None);
    assert_eq!(
        spec.approval_in_words(),
        "Needs one approval from a lead of your team before it runs, when Environment is Production; otherwise it runs as soon as you submit."
    );
}

#[test]
fn an_approval_without_when_is_needed_by_every_request() {
    let spec =
        parse_action("a.yaml", &format!("{DEPLOY_HEAD}approval: team-lead\n")).expect("valid spec");
    assert_eq!(spec.approval_when, None);
    assert_eq!(
        spec.approval_for(&serde_json::Map::new()),
        ApprovalPolicy::TeamLead { count: 1 }
    );
}

#[test]
fn broken_approval_conditions_report_exact_located_problems() {
    // DEPLOY_HEAD is 9 lines; `approval` is on line 10.
    let cases: Vec<(&str, Vec<&str>)> = vec![
        (
            "approval: {from: team-lead, when: {field: region, equals: eu}}\n",
            vec!["a.yaml:10: approval.when.field: refers to `region`, which is not one of the action's inputs"],
        ),
        (
            "approval: {from: team-lead, when: {field: environment, equals: prod}}\n",
            vec!["a.yaml:10: approval.when.equals: not a possible value of `environment`: `prod` is not one of the options"],
        ),
        (
            "approval: {from: team-lead, when: {field: environment}}\n",
            vec!["a.yaml:10: approval.when.equals: is required: the value the condition compares with"],
        ),
        (
            "approval: {from: team-lead, when: production}\n",
            vec!["a.yaml:10: approval.when: expected a mapping with `field` and `equals`"],
        ),
        (
            "approval:\n  from: team-lead\n  when: {field: environment, equals: production, not: true}\n",
            vec!["a.yaml:12: approval.when.not: unknown field; expected one of: field, equals"],
        ),
    ];
    for (tail, expected) in cases {
        assert_eq!(
            problems(&format!("{DEPLOY_HEAD}{tail}")),
            expected,
            "for:\n{tail}"
        );
    }
}

fn with_lifecycle(lifecycle_yaml: &str) -> Result<ActionSpec, Vec<Problem>> {
    parse_action(
        "a.yaml",
        &format!("{HEAD}run: {{kind: manual}}\n{lifecycle_yaml}"),
    )
}

#[test]
fn an_action_without_lifecycle_is_active() {
    let spec = with_lifecycle("").expect("valid spec");
    assert_eq!(spec.lifecycle, Lifecycle::default());
    assert_eq!(spec.lifecycle.status, LifecycleStatus::Active);
}

#[test]
fn a_deprecated_action_names_its_replacement_and_note() {
    let spec = with_lifecycle(
        "lifecycle:\n  status: deprecated\n  replacement: new-pipeline\n  note: Goes away in March.\n",
    )
    .expect("valid spec");
    assert_eq!(spec.lifecycle.status, LifecycleStatus::Deprecated);
    assert_eq!(
        spec.lifecycle.replacement.as_ref().map(ActionId::as_str),
        Some("new-pipeline")
    );
    assert_eq!(spec.lifecycle.note.as_deref(), Some("Goes away in March."));
}

#[test]
fn specs_stored_before_lifecycles_existed_read_as_active() {
    let spec = with_lifecycle("").expect("valid spec");
    let mut json = serde_json::to_value(&spec).expect("json");
    assert!(
        json.get("lifecycle").is_none(),
        "active is left out of stored JSON"
    );
    json.as_object_mut().map(|o| o.remove("lifecycle"));
    let back: ActionSpec = serde_json::from_value(json).expect("old spec reads");
    assert_eq!(back.lifecycle.status, LifecycleStatus::Active);
}

#[test]
fn broken_lifecycles_report_exact_located_problems() {
    let long = "x".repeat(Lifecycle::MAX_NOTE_CHARS + 1);
    let cases: Vec<(String, Vec<String>)> = vec![
        (
            "lifecycle: retired\n".to_string(),
            vec!["a.yaml:7: lifecycle: expected a mapping with `status` (active, deprecated or retired), `replacement` and `note`".to_string()],
        ),
        (
            "lifecycle:\n  status: gone\n".to_string(),
            vec!["a.yaml:8: lifecycle.status: expected one of: active, deprecated, retired, found `gone`".to_string()],
        ),
        (
            "lifecycle:\n  status: retired\n  replacment: b\n".to_string(),
            vec!["a.yaml:9: lifecycle.replacment: unknown field; expected one of: status, replacement, note".to_string()],
        ),
        (
            "lifecycle:\n  status: retired\n  replacement: New_One\n".to_string(),
            vec!["a.yaml:9: lifecycle.replacement: `New_One` is not a valid action id: use 1-64 lowercase letters, digits and single hyphens, starting with a letter or digit".to_string()],
        ),
        (
            "lifecycle:\n  status: retired\n  replacement: a\n".to_string(),
            vec!["a.yaml:9: lifecycle.replacement: an action cannot replace itself".to_string()],
        ),
        (
            format!("lifecycle:\n  status: deprecated\n  note: {long}\n"),
            vec![format!("a.yaml:9: lifecycle.note: must be at most {} characters", Lifecycle::MAX_NOTE_CHARS)],
        ),
    ];
    for (yaml, expected) in cases {
        let got: Vec<String> = match with_lifecycle(&yaml) {
            Ok(_) => vec!["<parsed without problems>".to_string()],
            Err(ps) => ps.iter().map(ToString::to_string).collect(),
        };
        assert_eq!(got, expected, "for:\n{yaml}");
    }
}

const JIRA_HEAD: &str = "id: a\ntitle: A\nsummary: S\ncategory: C\nowner: platform\nrun:\n  kind: manual\ninputs:\n  - name: repo\n    label: Repo\n    type: string\n  - name: langs\n    label: Languages\n    type: multiselect\n    options: [go, rust]\n  - name: token\n    label: Token\n    type: secret\n";

#[test]
fn a_jira_section_reads_its_trigger_sources_and_transitions() {
    let text = format!(
        "{JIRA_HEAD}jira:\n  label: runway:a\n  project: PLAT\n  inputs:\n    repo: \"line: Repository name\"\n    langs: labels\n  transitions:\n    succeeded: Done\n    failed: Needs attention\n"
    );
    let spec = parse_action("a.yaml", &text).expect("valid");
    let jira = spec.jira.expect("a trigger");
    assert_eq!(jira.label.as_deref(), Some("runway:a"));
    assert_eq!(jira.project.as_deref(), Some("PLAT"));
    assert_eq!(
        jira.inputs,
        vec![
            (
                "repo".to_string(),
                JiraSource::Line("Repository name".into())
            ),
            ("langs".to_string(), JiraSource::Labels),
        ]
    );
    assert_eq!(jira.on_success.as_deref(), Some("Done"));
    assert_eq!(jira.on_failure.as_deref(), Some("Needs attention"));
    assert_eq!(
        JiraSource::parse("customfield_10010"),
        Some(JiraSource::Field("customfield_10010".into()))
    );
    assert_eq!(
        JiraSource::parse("field:duedate"),
        Some(JiraSource::Field("duedate".into()))
    );
    assert_eq!(JiraSource::parse("priority"), None);
}

#[test]
fn a_jira_section_without_a_condition_or_with_unknown_or_secret_inputs_is_refused_at_its_path() {
    let text = format!("{JIRA_HEAD}jira:\n  inputs:\n    nope: summary\n    token: summary\n    repo: reporter\n  colour: red\n");
    let problems = parse_action("a.yaml", &text).expect_err("invalid");
    let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
    for f in [
        "jira",
        "jira.inputs.nope",
        "jira.inputs.token",
        "jira.inputs.repo",
        "jira.colour",
    ] {
        assert!(fields.contains(&f), "{f} missing from {problems:?}");
    }
}
