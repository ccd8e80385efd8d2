//! Notifications, the Slack app and the Jira trigger, against local fakes of Slack and Jira that
//! check every call's shape, and a real SMTP conversation with an in-test sink. Every story runs on
//! SQLite and Postgres.

use crate::support::fakes::{FakeJira, FakeSlack, SmtpSink};
use crate::support::{queue, Backend, TestApp};
use runway_core::db::requests;
use runway_core::requests::Fulfilment;
use runway_domain::user::User;
use runway_exec::{Output, OutputKind};
use serde_json::{json, Value};
use std::time::Duration;

const GREET: &str = r#"id: greet
title: Greeting card
summary: A card with a name on it.
category: Fun
owner: platform
inputs:
  - name: name
    label: Name
    type: string
    required: true
    pattern: "[a-z]+"
    help: Lower-case letters.
  - name: colour
    label: Colour
    type: select
    options: [red, blue]
    default: red
  - name: framed
    label: Framed
    type: boolean
  - name: frame
    label: Frame
    type: select
    options: [oak, steel]
    visible_if: {field: framed, equals: true}
    required: true
run:
  kind: manual
  instructions: Print it.
jira:
  label: runway:greet
  inputs:
    name: "line: Name"
    colour: customfield_10010
  transitions:
    succeeded: Done
    failed: To Do
"#;

const BUDGET: &str = r#"id: budget
title: Budget increase
summary: More money for the team.
category: Money
owner: platform
approval: team-lead
inputs:
  - name: amount
    label: Amount
    type: integer
    required: true
    min: 1
  - name: team
    label: Team
    type: team
    required: true
run:
  kind: manual
"#;

/// A beta only the search team sees: others must not learn it exists.
const BETA: &str = "id: beta\ntitle: Search beta\nsummary: Only for search.\ncategory: Beta\nowner: platform\nvisible_to: [search]\nrun:\n  kind: manual\n";

fn catalog() -> tempfile::TempDir {
    let d = tempfile::tempdir().expect("temp dir");
    std::fs::write(d.path().join("beta.yaml"), BETA).expect("write");
    std::fs::write(d.path().join("greet.yaml"), GREET).expect("write");
    std::fs::write(d.path().join("budget.yaml"), BUDGET).expect("write");
    d
}

const SLACK_SECRET: &str = "slack-signing-secret";
const JIRA_SECRET: &str = "jira-webhook-secret";

struct Channels {
    app: TestApp,
    smtp: SmtpSink,
    slack: FakeSlack,
    jira: FakeJira,
    _catalog: tempfile::TempDir,
}

/// Runway with e-mail, Slack and Jira pointed at the fakes, an in-process worker, and the people
/// of these stories signed in once (so Runway knows their addresses).
async fn start(backend: Backend, worker: bool) -> Channels {
    let smtp = SmtpSink::start().await;
    let slack = FakeSlack::start(&[
        ("UDANA", "dana@example.com"),
        ("ULEE", "lee@example.com"),
        ("UADA", "ada@example.com"),
        ("USTRANGER", "stranger@example.com"),
    ])
    .await;
    let jira = FakeJira::start().await;
    let dir = catalog();
    let (s, j, m) = (slack.clone(), jira.clone(), smtp.clone());
    let mut app = TestApp::builder(backend)
        .with_catalog(dir.path())
        .with_settings(move |st| {
            st.email.smtp_url = runway_domain::secret::Secret::new(m.url.clone());
            st.email.from = "Runway <runway@example.com>".into();
            st.slack.bot_token = runway_domain::secret::Secret::new(s.token.clone());
            st.slack.signing_secret = runway_domain::secret::Secret::new(SLACK_SECRET);
            st.slack.api_url = s.url.clone();
            st.jira.base_url = j.url.clone();
            st.jira.user_email = j.user.clone();
            st.jira.api_token = runway_domain::secret::Secret::new(j.token.clone());
            st.jira.webhook_secret = runway_domain::secret::Secret::new(JIRA_SECRET);
            st.worker = queue::fast_config(2);
            st.worker.in_process = worker;
        })
        .spawn()
        .await;
    for who in ["dana", "lee", "ada"] {
        app.new_browser();
        app.sign_in(who).await;
    }
    app.new_browser();
    Channels {
        app,
        smtp,
        slack,
        jira,
        _catalog: dir,
    }
}

async fn person(app: &TestApp, email: &str) -> User {
    let id = runway_core::db::users::by_email(&app.runway.db, email)
        .await
        .unwrap()
        .expect("signed in before");
    app.runway.user(id).await.unwrap().expect("user")
}

fn raw(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Closes manual request `id` as `who`, with a link result and a secret one.
async fn fulfil(app: &TestApp, who: &User, id: i64, succeeded: bool) {
    runway_core::requests::fulfil::take(&app.runway, who, id)
        .await
        .expect("taken");
    let row = runway_core::requests::fulfil::fulfillable(&app.runway, who, id)
        .await
        .expect("fulfillable");
    let done = Fulfilment {
        succeeded,
        note: "done".into(),
        outputs: vec![
            Output {
                name: "card".into(),
                label: Some("Card".into()),
                kind: OutputKind::Link,
                value: "https://cards.example.com/ana".into(),
            },
            Output {
                name: "pin".into(),
                label: Some("PIN".into()),
                kind: OutputKind::Secret,
                value: "pin-4711-top-secret".into(),
            },
        ],
    };
    runway_core::requests::fulfil::close(&app.runway, who, &row, &done)
        .await
        .expect("closed");
}

/// Waits until `check` holds, or fails after ten seconds with `what`.
async fn eventually<F: Fn() -> bool>(what: &str, check: F) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !check() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the outbox is relayed and every job has run.
async fn settle(app: &TestApp) {
    let db = &app.runway.db;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        queue::drain(db, Duration::from_secs(20)).await;
        if runway_core::db::notify::outbox_len(db).await.unwrap() == 0
            && runway_core::db::jobs::count(db).await.unwrap() == 0
        {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the outbox was not relayed"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

fn subjects_to(smtp: &SmtpSink, to: &str) -> Vec<String> {
    smtp.mails()
        .into_iter()
        .filter(|m| m.to.iter().any(|t| t == to))
        .filter_map(|m| {
            m.data
                .lines()
                .find_map(|l| l.strip_prefix("Subject: ").map(str::to_string))
        })
        .collect()
}

async fn delivery_rows(app: &TestApp) -> Vec<(String, String, String, i64)> {
    runway_core::on_pool!(&app.runway.db, pool => sqlx::query_as(
        "SELECT notification, channel, status, CAST(attempts AS BIGINT) FROM notification_deliveries ORDER BY id"
    ).fetch_all(pool).await.unwrap())
}

async fn request_count(app: &TestApp, action: &str) -> i64 {
    runway_core::on_pool!(&app.runway.db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM requests WHERE action_id = $1"
    ).bind(action).fetch_one(pool).await.unwrap())
}

// ------------------------------------------------------------------------------------------------
// E-mail

async fn a_finished_request_is_mailed_to_its_requester_once_with_a_link_and_no_secret(
    backend: Backend,
) {
    let c = start(backend, true).await;
    let (dana, ada) = (
        person(&c.app, "dana@example.com").await,
        person(&c.app, "ada@example.com").await,
    );
    let id = runway_core::requests::submit(
        &c.app.runway,
        &dana,
        "greet",
        &raw(&[("name", "ana")]),
        None,
    )
    .await
    .expect("submitted");
    settle(&c.app).await;
    // The platform team (ada) hears that a manual request waits; dana does not get "queued" by
    // e-mail unless she asks for it.
    assert_eq!(
        subjects_to(&c.smtp, "ada@example.com"),
        vec![format!("Waiting for your team: Greeting card #{id}")]
    );
    assert!(subjects_to(&c.smtp, "dana@example.com").is_empty());

    fulfil(&c.app, &ada, id, true).await;
    settle(&c.app).await;
    let mine = subjects_to(&c.smtp, "dana@example.com");
    assert_eq!(
        mine,
        vec![
            format!("Succeeded: Greeting card #{id}"),
            format!("Secret result waiting: Greeting card #{id}"),
        ]
    );
    let mail = c
        .smtp
        .mails()
        .into_iter()
        .find(|m| m.data.contains("Subject: Succeeded"))
        .expect("mail");
    assert_eq!(mail.from, "runway@example.com");
    assert!(
        mail.data.contains("multipart/alternative"),
        "plain text and HTML"
    );
    assert!(
        mail.data.contains(&format!("/requests/{id}")),
        "links to the request"
    );
    assert!(
        mail.data.contains("https://cards.example.com/ana"),
        "shows the link result"
    );
    assert!(
        !c.smtp
            .mails()
            .iter()
            .any(|m| m.data.contains("pin-4711-top-secret")),
        "never a secret"
    );

    // Dana switches finished-request e-mail off: the next one is not mailed.
    let browser = c.app;
    browser.sign_in("dana").await;
    let resp = browser
        .post_form(
            "/settings/notifications",
            "on=approval_needed%3Aemail&on=finished%3Aslack",
        )
        .await;
    assert_eq!(resp.status(), 303);
    let page = browser.get_text("/settings/notifications").await.1;
    assert!(page.contains("Notifications"));
    let before = c.smtp.mails().len();
    let id2 = runway_core::requests::submit(
        &browser.runway,
        &dana,
        "greet",
        &raw(&[("name", "bo")]),
        None,
    )
    .await
    .unwrap();
    fulfil(&browser, &ada, id2, false).await;
    settle(&browser).await;
    let new: Vec<_> = c.smtp.mails()[before..].to_vec();
    assert!(
        new.iter()
            .all(|m| !m.to.contains(&"dana@example.com".to_string())),
        "dana chose no e-mail"
    );
    assert!(delivery_rows(&browser)
        .await
        .iter()
        .all(|(.., status, _)| status == "sent"));
    // A nonsense choice is refused without losing the stored ones.
    let resp = browser
        .post_form("/settings/notifications", "on=everything%3Apigeon")
        .await;
    assert_eq!(resp.status(), 400);
    let prefs = runway_core::notify::preferences::of_user(&browser.runway.db, dana.id)
        .await
        .unwrap();
    assert!(!prefs.is_on(
        runway_domain::notify::Notification::Finished,
        runway_domain::notify::NotifyChannel::Email
    ));
    assert!(prefs.is_on(
        runway_domain::notify::Notification::ApprovalNeeded,
        runway_domain::notify::NotifyChannel::Email
    ));
}

async fn a_refusing_mail_server_is_retried_without_duplicates_and_admins_see_failures(
    backend: Backend,
) {
    let mut c = start(backend, true).await;
    let (dana, ada) = (
        person(&c.app, "dana@example.com").await,
        person(&c.app, "ada@example.com").await,
    );
    let id = runway_core::requests::submit(
        &c.app.runway,
        &dana,
        "greet",
        &raw(&[("name", "ana")]),
        None,
    )
    .await
    .unwrap();
    settle(&c.app).await;
    c.smtp.fail_next(1);
    fulfil(&c.app, &ada, id, true).await;
    settle(&c.app).await;
    let finished: Vec<_> = subjects_to(&c.smtp, "dana@example.com")
        .into_iter()
        .filter(|s| s.starts_with("Succeeded"))
        .collect();
    assert_eq!(finished.len(), 1, "delivered once after the retry");
    let rows = delivery_rows(&c.app).await;
    assert!(rows.iter().all(|r| r.2 == "sent"));
    assert!(
        rows.iter().any(|r| r.3 == 2),
        "one delivery took two tries: {rows:?}"
    );

    // The server keeps refusing: the delivery is retried, and admins see it failing.
    c.smtp.fail_next(1_000);
    let id2 =
        runway_core::requests::submit(&c.app.runway, &dana, "greet", &raw(&[("name", "bo")]), None)
            .await
            .unwrap();
    let db = c.app.runway.db.clone();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let failing: i64 = runway_core::on_pool!(&db, pool => sqlx::query_scalar::<_, i64>(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM notification_deliveries WHERE request_id = $1 AND last_error IS NOT NULL"
        ).bind(id2).fetch_one(pool).await.unwrap());
        if failing > 0 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no failure recorded"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The request itself is not held up: it waits in the inbox as ever.
    assert_eq!(
        requests::get(&db, id2).await.unwrap().unwrap().status,
        "queued"
    );
    c.app.sign_in("ada").await;
    let page = c.app.get_text("/settings/notifications").await.1;
    assert!(page.contains("Deliveries that failed"), "{page}");
    assert!(page.contains("retrying") && page.contains("SMTP"), "{page}");
    c.app.new_browser();
    c.app.sign_in("dana").await;
    let page = c.app.get_text("/settings/notifications").await.1;
    assert!(
        !page.contains("Deliveries that failed"),
        "only admins see delivery"
    );
    c.smtp.fail_next(0);
    settle(&c.app).await;
}

async fn a_crash_between_the_event_and_its_delivery_still_delivers_once(backend: Backend) {
    // No worker runs while the events happen: the outbox holds their jobs.
    let c = start(backend, false).await;
    let (dana, ada) = (
        person(&c.app, "dana@example.com").await,
        person(&c.app, "ada@example.com").await,
    );
    let id = runway_core::requests::submit(
        &c.app.runway,
        &dana,
        "greet",
        &raw(&[("name", "ana")]),
        None,
    )
    .await
    .unwrap();
    fulfil(&c.app, &ada, id, true).await;
    let db = c.app.runway.db.clone();
    assert_eq!(
        runway_core::db::notify::outbox_len(&db).await.unwrap(),
        2,
        "queued and succeeded each left an outbox row with the event"
    );
    // A worker moves them into jobs, claims them, and dies before finishing: its lease runs out.
    let now = runway_core::queue::now_ms();
    assert_eq!(
        runway_core::db::notify::relay(&db, now, 500).await.unwrap(),
        2
    );
    assert_eq!(runway_core::db::notify::outbox_len(&db).await.unwrap(), 0);
    let claimed = runway_core::db::jobs::claim(&db, "crashed-worker", 10, now, 200)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 2);
    assert!(claimed.iter().all(|j| j.kind == "notify"));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(c.smtp.mails().is_empty());
    // A healthy worker rescues and delivers them.
    let worker = runway_core::queue::worker::Worker::new(
        c.app.runway.queue.clone(),
        runway_core::requests::run::handlers(&c.app.runway),
        queue::fast_config(2),
    );
    let (stop, handle) = runway_core::queue::worker::spawn(worker);
    settle(&c.app).await;
    assert_eq!(
        subjects_to(&c.smtp, "dana@example.com")
            .iter()
            .filter(|s| s.starts_with("Succeeded"))
            .count(),
        1
    );
    // The same event's job run again (a second rescue) sends nothing twice.
    let event: i64 = runway_core::on_pool!(&db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT id FROM request_events WHERE request_id = $1 AND kind = 'succeeded'"
    ).bind(id).fetch_one(pool).await.unwrap());
    c.app
        .runway
        .queue
        .enqueue(&[runway_core::db::jobs::NewJob {
            kind: "notify".into(),
            action_id: None,
            concurrency_limit: None,
            payload: json!({"event_id": event}).to_string(),
            run_at_ms: runway_core::queue::now_ms(),
            max_attempts: 3,
            timeout_ms: 10_000,
        }])
        .await
        .unwrap();
    settle(&c.app).await;
    let mails = subjects_to(&c.smtp, "dana@example.com");
    assert_eq!(
        mails.iter().filter(|s| s.starts_with("Succeeded")).count(),
        1,
        "{mails:?}"
    );
    assert_eq!(subjects_to(&c.smtp, "ada@example.com").len(), 1);
    stop.cancel();
    let _ = handle.await;
}

// ------------------------------------------------------------------------------------------------
// Slack

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

async fn slack_post(
    app: &TestApp,
    path: &str,
    body: &str,
    ts: i64,
    secret: &str,
) -> reqwest::Response {
    let sig = runway_core::slack::signature::sign(secret, ts, body.as_bytes());
    reqwest::Client::new()
        .post(app.url(path))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-slack-request-timestamp", ts.to_string())
        .header("x-slack-signature", sig)
        .body(body.to_string())
        .send()
        .await
        .unwrap()
}

fn enc(s: &str) -> String {
    runway_domain::view::encode_query_value(s)
}

async fn command(app: &TestApp, user: &str, text: &str, trigger: &str) -> reqwest::Response {
    let body = format!(
        "token=x&team_id=T1&user_id={user}&command=%2Frunway&text={}&trigger_id={trigger}&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2Fx",
        enc(text)
    );
    slack_post(app, "/hooks/slack/commands", &body, now(), SLACK_SECRET).await
}

async fn interact(app: &TestApp, payload: &Value) -> reqwest::Response {
    let body = format!("payload={}", enc(&payload.to_string()));
    slack_post(app, "/hooks/slack/interactions", &body, now(), SLACK_SECRET).await
}

fn submission(user: &str, view_id: &str, state: Value) -> Value {
    json!({
        "type": "view_submission",
        "user": {"id": user},
        "view": {
            "id": view_id, "callback_id": "runway_submit", "hash": "h1",
            "private_metadata": json!({"action": "greet"}).to_string(),
            "blocks": [
                {"type": "input", "block_id": "name"},
                {"type": "input", "block_id": "colour"},
                {"type": "input", "block_id": "framed"},
            ],
            "state": {"values": state},
        },
    })
}

fn greet_state(name: &str) -> Value {
    json!({
        "name": {"name": {"type": "plain_text_input", "value": name}},
        "colour": {"colour": {"type": "static_select", "selected_option": {"value": "blue"}}},
        "framed": {"framed": {"type": "checkboxes", "selected_options": []}},
    })
}

async fn a_slack_modal_with_a_mistake_then_a_fix_makes_one_request_and_a_dm_when_it_finishes(
    backend: Backend,
) {
    let c = start(backend, true).await;
    let ada = person(&c.app, "ada@example.com").await;
    // `/runway` alone lists the actions dana may use; words narrow it.
    let list: Value = command(&c.app, "UDANA", "", "").await.json().await.unwrap();
    assert_eq!(list["response_type"], "ephemeral");
    assert!(list.to_string().contains("`greet`") && list.to_string().contains("`budget`"));
    assert!(
        !list.to_string().contains("`beta`"),
        "a beta for another team is not listed"
    );
    let list: Value = command(&c.app, "UDANA", "money", "")
        .await
        .json()
        .await
        .unwrap();
    assert!(list.to_string().contains("`budget`") && !list.to_string().contains("`greet`"));
    // `/runway greet` opens the modal at once, then fills in the form.
    let resp = command(&c.app, "UDANA", "greet", "trig-1").await;
    assert_eq!(resp.status(), 200);
    let slack = c.slack.clone();
    eventually("the form", || !slack.calls("views.update").is_empty()).await;
    let opened = &c.slack.calls("views.open")[0];
    assert_eq!(opened["trigger_id"], "trig-1");
    let form = &c.slack.calls("views.update")[0]["view"];
    assert_eq!(form["callback_id"], "runway_submit");
    let blocks = form["blocks"].to_string();
    assert!(blocks.contains("\"block_id\":\"name\"") && !blocks.contains("\"block_id\":\"frame\""));

    // Ticking "Framed" shows the frame choice.
    let changed = json!({
        "type": "block_actions", "user": {"id": "UDANA"}, "trigger_id": "t",
        "actions": [{"action_id": "framed", "block_id": "framed", "type": "checkboxes"}],
        "view": {"id": "V0001", "hash": "h2", "callback_id": "runway_submit",
                 "private_metadata": json!({"action": "greet"}).to_string(),
                 "state": {"values": {"framed": {"framed": {"type": "checkboxes", "selected_options": [{"value": "true"}]}}}}},
    });
    assert_eq!(interact(&c.app, &changed).await.status(), 200);
    assert!(
        c.slack.calls("views.update").last().unwrap()["view"]["blocks"]
            .to_string()
            .contains("\"block_id\":\"frame\"")
    );

    // A mistake comes back under its field; nothing is made.
    let answer: Value = interact(&c.app, &submission("UDANA", "V0001", greet_state("Ana!")))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(answer["response_action"], "errors");
    assert!(answer["errors"]["name"].as_str().is_some(), "{answer}");
    assert_eq!(request_count(&c.app, "greet").await, 0);
    // Fixed: one request, made by dana from Slack; Slack retrying the submission makes no second.
    let answer: Value = interact(&c.app, &submission("UDANA", "V0001", greet_state("ana")))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(answer["response_action"], "update", "{answer}");
    let again: Value = interact(&c.app, &submission("UDANA", "V0001", greet_state("ana")))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["response_action"], "update");
    assert_eq!(request_count(&c.app, "greet").await, 1);
    // Who UDANA is was asked of Slack once (`users.info`), for all her commands and clicks.
    let asked = c.slack.calls("users.info");
    assert_eq!(asked.len(), 1, "{asked:?}");
    let id: i64 = runway_core::on_pool!(&c.app.runway.db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT id FROM requests WHERE action_id = 'greet' AND channel = 'slack'"
    ).fetch_one(pool).await.unwrap());
    let row = requests::get(&c.app.runway.db, id).await.unwrap().unwrap();
    assert_eq!(
        row.requester_name.as_deref(),
        Some("Dana Developer").or(row.requester_name.as_deref())
    );
    assert!(row.inputs.contains("\"colour\":\"blue\""));

    fulfil(&c.app, &ada, id, true).await;
    settle(&c.app).await;
    c.app.sign_in("ada").await;
    let page = c.app.get_text(&format!("/requests/{id}")).await.1;
    assert!(page.contains("from Slack"), "{page}");
    let dms: Vec<Value> = c
        .slack
        .calls("chat.postMessage")
        .into_iter()
        .filter(|m| m["channel"] == "UDANA")
        .collect();
    let texts: Vec<&str> = dms.iter().filter_map(|m| m["text"].as_str()).collect();
    assert!(
        texts.contains(&format!("Queued: Greeting card #{id}").as_str()),
        "{texts:?}"
    );
    assert!(
        texts.contains(&format!("Succeeded: Greeting card #{id}").as_str()),
        "{texts:?}"
    );
    assert!(
        !dms.iter()
            .any(|m| m.to_string().contains("pin-4711-top-secret")),
        "never a secret"
    );
    assert!(
        c.slack.violations().is_empty(),
        "{:?}",
        c.slack.violations()
    );
}

async fn an_approver_decides_from_slack_and_the_message_shows_who_decided(backend: Backend) {
    let c = start(backend, true).await;
    let dana = person(&c.app, "dana@example.com").await;
    let values = raw(&[("amount", "100"), ("team", "payments")]);
    let id = runway_core::requests::submit(&c.app.runway, &dana, "budget", &values, None)
        .await
        .unwrap();
    settle(&c.app).await;
    let to_lee: Vec<Value> = c
        .slack
        .calls("chat.postMessage")
        .into_iter()
        .filter(|m| m["channel"] == "ULEE")
        .collect();
    assert_eq!(to_lee.len(), 1, "the lead is asked once");
    assert!(to_lee[0]["blocks"]
        .to_string()
        .contains("\"action_id\":\"approve\""));
    // Dana cannot approve her own request from Slack either.
    let press = |user: &str, action: &str, id: i64| {
        json!({
            "type": "block_actions", "user": {"id": user}, "trigger_id": "trig-r",
            "actions": [{"action_id": action, "value": id.to_string(), "type": "button"}],
            "container": {"type": "message"},
        })
    };
    assert_eq!(
        interact(&c.app, &press("UDANA", "approve", id))
            .await
            .status(),
        200
    );
    assert_eq!(
        requests::get(&c.app.runway.db, id)
            .await
            .unwrap()
            .unwrap()
            .status,
        "pending_approval"
    );
    let told = c.slack.calls("chat.postMessage");
    assert!(
        told.iter().any(|m| m["channel"] == "UDANA"
            && m["text"]
                .as_str()
                .unwrap_or_default()
                .contains("may not decide")),
        "{told:?}"
    );
    // Lee approves; the request moves on, and Lee's message says who decided, without buttons.
    assert_eq!(
        interact(&c.app, &press("ULEE", "approve", id))
            .await
            .status(),
        200
    );
    assert_eq!(
        requests::get(&c.app.runway.db, id)
            .await
            .unwrap()
            .unwrap()
            .status,
        "queued"
    );
    settle(&c.app).await;
    let updates = c.slack.calls("chat.update");
    assert_eq!(updates.len(), 1, "{updates:?}");
    assert!(
        updates[0]["text"]
            .as_str()
            .unwrap()
            .contains("Approved by Lee"),
        "{updates:?}"
    );
    assert!(!updates[0]["blocks"]
        .to_string()
        .contains("\"action_id\":\"approve\""));
    // A second press is too late.
    interact(&c.app, &press("ULEE", "approve", id)).await;
    assert!(c
        .slack
        .calls("chat.postMessage")
        .iter()
        .any(|m| m["channel"] == "ULEE"
            && m["text"]
                .as_str()
                .unwrap_or_default()
                .contains("not waiting for approval")));

    // Rejecting asks for a comment in a modal; an empty one is refused under its field.
    let id2 = runway_core::requests::submit(&c.app.runway, &dana, "budget", &values, None)
        .await
        .unwrap();
    settle(&c.app).await;
    interact(&c.app, &press("ULEE", "reject", id2)).await;
    let modal = c.slack.calls("views.open").pop().expect("reject modal");
    assert_eq!(modal["view"]["callback_id"], "runway_reject");
    let reject = |comment: &str| {
        json!({
            "type": "view_submission", "user": {"id": "ULEE"},
            "view": {"id": "V9", "callback_id": "runway_reject", "private_metadata": id2.to_string(),
                     "state": {"values": {"comment": {"comment": {"type": "plain_text_input", "value": comment}}}}},
        })
    };
    let answer: Value = interact(&c.app, &reject("  ")).await.json().await.unwrap();
    assert_eq!(answer["response_action"], "errors");
    let answer: Value = interact(&c.app, &reject("Next quarter, please"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(answer["response_action"], "clear");
    assert_eq!(
        requests::get(&c.app.runway.db, id2)
            .await
            .unwrap()
            .unwrap()
            .status,
        "rejected"
    );
    settle(&c.app).await;
    assert!(c.slack.calls("chat.update").iter().any(|u| u["text"]
        .as_str()
        .unwrap_or_default()
        .contains("Rejected by Lee")));
    // Dana hears the decision with its comment.
    assert!(c.slack.calls("chat.postMessage").iter().any(
        |m| m["channel"] == "UDANA" && m["blocks"].to_string().contains("Next quarter, please")
    ));
    assert!(
        c.slack.violations().is_empty(),
        "{:?}",
        c.slack.violations()
    );
}

async fn slack_calls_that_are_not_signed_by_slack_are_refused_and_strangers_get_the_portal_link(
    backend: Backend,
) {
    let c = start(backend, true).await;
    let body = "user_id=UDANA&text=greet&trigger_id=t&command=%2Frunway".to_string();
    let cases = [
        (
            "tampered",
            slack_post_raw(&c.app, &body, &format!("{body}x"), now(), SLACK_SECRET).await,
        ),
        (
            "wrong secret",
            slack_post(
                &c.app,
                "/hooks/slack/commands",
                &body,
                now(),
                "not-the-secret",
            )
            .await,
        ),
        (
            "stale",
            slack_post(
                &c.app,
                "/hooks/slack/commands",
                &body,
                now() - 360,
                SLACK_SECRET,
            )
            .await,
        ),
        (
            "future",
            slack_post(
                &c.app,
                "/hooks/slack/commands",
                &body,
                now() + 360,
                SLACK_SECRET,
            )
            .await,
        ),
        (
            "unsigned",
            reqwest::Client::new()
                .post(c.app.url("/hooks/slack/commands"))
                .body(body.clone())
                .send()
                .await
                .unwrap(),
        ),
    ];
    for (what, resp) in cases {
        assert_eq!(resp.status(), 401, "{what}");
    }
    let payload = format!(
        "payload={}",
        enc(&submission("UDANA", "V1", greet_state("ana")).to_string())
    );
    let stale = slack_post(
        &c.app,
        "/hooks/slack/interactions",
        &payload,
        now() - 600,
        SLACK_SECRET,
    )
    .await;
    assert_eq!(stale.status(), 401, "a replay of an old submission");
    assert!(c.slack.calls("views.open").is_empty());
    assert_eq!(request_count(&c.app, "greet").await, 0);
    // An action dana may not see answers exactly like one that does not exist.
    assert_eq!(
        command(&c.app, "UDANA", "beta", "trig-beta").await.status(),
        200
    );
    let slack = c.slack.clone();
    eventually("the beta answer", || {
        !slack.calls("views.update").is_empty()
    })
    .await;
    let hidden = c.slack.calls("views.update")[0]["view"]["blocks"][0]["text"]["text"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        command(&c.app, "UDANA", "gamma", "trig-gamma")
            .await
            .status(),
        200
    );
    let opened = c.slack.calls("views.open");
    let missing = opened.last().unwrap()["view"]["blocks"][0]["text"]["text"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(hidden.replace("beta", "X"), missing.replace("gamma", "X"));
    assert!(
        hidden.starts_with("No action you may use matches"),
        "{hidden}"
    );
    // Someone Runway does not know is told where to sign in.
    let answer: Value = command(&c.app, "USTRANGER", "", "")
        .await
        .json()
        .await
        .unwrap();
    assert!(
        answer["text"]
            .as_str()
            .unwrap()
            .contains("Runway does not know you yet"),
        "{answer}"
    );
    assert!(answer["text"].as_str().unwrap().contains("http"));
}

/// Signs `signed` but sends `sent` (a body changed on the way).
async fn slack_post_raw(
    app: &TestApp,
    signed: &str,
    sent: &str,
    ts: i64,
    secret: &str,
) -> reqwest::Response {
    let sig = runway_core::slack::signature::sign(secret, ts, signed.as_bytes());
    reqwest::Client::new()
        .post(app.url("/hooks/slack/commands"))
        .header("x-slack-request-timestamp", ts.to_string())
        .header("x-slack-signature", sig)
        .body(sent.to_string())
        .send()
        .await
        .unwrap()
}

// ------------------------------------------------------------------------------------------------
// Jira

fn ticket(
    event: &str,
    key: &str,
    id: &str,
    labels: &[&str],
    description: &str,
    colour: &str,
    email: &str,
) -> Value {
    json!({
        "timestamp": 1_700_000_000_000_i64,
        "webhookEvent": event,
        "issue_event_type_name": "issue_created",
        "user": {"accountId": "557058:abc", "displayName": "Dana"},
        "issue": {
            "id": id, "key": key, "self": "https://acme.atlassian.net/rest/api/2/issue/10007",
            "fields": {
                "summary": "Please make a greeting card",
                "description": description,
                "labels": labels,
                "project": {"key": "PLAT", "name": "Platform"},
                "issuetype": {"name": "Task"},
                "customfield_10010": {"value": colour, "id": "10100"},
                "reporter": {"accountId": "557058:abc", "displayName": "Dana", "emailAddress": email},
            },
        },
    })
}

async fn jira_post(
    app: &TestApp,
    body: &Value,
    identifier: &str,
    secret: &str,
) -> reqwest::Response {
    let raw = body.to_string();
    reqwest::Client::new()
        .post(app.url("/hooks/jira"))
        .header("content-type", "application/json")
        .header(
            "x-hub-signature",
            runway_core::jira::signature::sign(secret, raw.as_bytes()),
        )
        .header("x-atlassian-webhook-identifier", identifier)
        .body(raw)
        .send()
        .await
        .unwrap()
}

fn comment_text(doc: &Value) -> String {
    doc.to_string()
}

async fn a_labelled_ticket_becomes_a_request_gets_its_link_and_moves_on_when_it_succeeds(
    backend: Backend,
) {
    let c = start(backend, true).await;
    let ada = person(&c.app, "ada@example.com").await;
    let body = ticket(
        "jira:issue_created",
        "PLAT-7",
        "10007",
        &["runway:greet", "cards"],
        "Hello!\nName: ana\nThanks",
        "blue",
        "dana@example.com",
    );
    let answer: Value = jira_post(&c.app, &body, "wh-1", JIRA_SECRET)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(answer["outcome"], "requested", "{answer}");
    let id = answer["request"].as_i64().unwrap();
    let row = requests::get(&c.app.runway.db, id).await.unwrap().unwrap();
    assert_eq!(
        row.requester_name.as_deref().map(|n| n.contains("Dana")),
        Some(true)
    );
    assert!(
        row.inputs.contains("\"name\":\"ana\"") && row.inputs.contains("\"colour\":\"blue\""),
        "{}",
        row.inputs
    );
    let channel: String = runway_core::on_pool!(&c.app.runway.db, pool => sqlx::query_scalar("SELECT channel FROM requests WHERE id = $1").bind(id).fetch_one(pool).await.unwrap());
    assert_eq!(channel, "jira");
    // Jira delivering again, or the same ticket under a new delivery: still one request.
    let again: Value = jira_post(&c.app, &body, "wh-1", JIRA_SECRET)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["outcome"], "duplicate");
    let other: Value = jira_post(&c.app, &body, "wh-2", JIRA_SECRET)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(other["outcome"], "ignored");
    assert_eq!(request_count(&c.app, "greet").await, 1);
    settle(&c.app).await;
    let comments = c.jira.comments();
    assert_eq!(comments.len(), 1, "{comments:?}");
    assert_eq!(comments[0].0, "PLAT-7");
    assert!(comment_text(&comments[0].1).contains(&format!("/requests/{id}")));
    assert!(c.jira.transitions().is_empty());

    fulfil(&c.app, &ada, id, true).await;
    settle(&c.app).await;
    let comments = c.jira.comments();
    assert_eq!(comments.len(), 2);
    let outcome = comment_text(&comments[1].1);
    assert!(
        outcome.contains("succeeded") && outcome.contains("https://cards.example.com/ana"),
        "{outcome}"
    );
    assert!(!outcome.contains("pin-4711-top-secret"), "never a secret");
    assert_eq!(
        c.jira.transitions(),
        vec![("PLAT-7".to_string(), "31".to_string())],
        "moved to Done"
    );
    assert!(c.jira.violations().is_empty(), "{:?}", c.jira.violations());

    // A label added to an existing ticket later triggers too.
    let mut later = ticket(
        "jira:issue_updated",
        "PLAT-8",
        "10008",
        &["runway:greet"],
        "Name: bo",
        "red",
        "dana@example.com",
    );
    later["changelog"] =
        json!({"items": [{"field": "labels", "fromString": "", "toString": "runway:greet"}]});
    let answer: Value = jira_post(&c.app, &later, "wh-3", JIRA_SECRET)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(answer["outcome"], "requested");
    // An update that does not add the label does nothing.
    let mut edit = ticket(
        "jira:issue_updated",
        "PLAT-9",
        "10009",
        &["runway:greet"],
        "Name: cy",
        "red",
        "dana@example.com",
    );
    edit["changelog"] =
        json!({"items": [{"field": "summary", "fromString": "a", "toString": "b"}]});
    let answer: Value = jira_post(&c.app, &edit, "wh-4", JIRA_SECRET)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(answer["outcome"], "ignored");
    settle(&c.app).await;

    // Impact counts where requests came from.
    let mut admin = c.app;
    admin.new_browser();
    admin.sign_in("ada").await;
    let report: Value = admin
        .get("/impact.json?days=30")
        .await
        .json()
        .await
        .unwrap();
    let jira = report["channels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|ch| ch["channel"] == "jira")
        .cloned()
        .unwrap();
    assert_eq!(jira["requests"], 2, "{report}");
    // The request's page says where it came from.
    let (status, page) = admin.get_text(&format!("/requests/{id}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("from Jira ticket PLAT-7"), "{page}");
    let (status, csv) = admin.get_text("/impact.csv?table=channels&days=30").await;
    assert_eq!(status, 200);
    assert!(
        csv.starts_with("channel,requests,share_pct\n") && csv.contains("jira,2,"),
        "{csv}"
    );
}

async fn an_invalid_ticket_or_unknown_reporter_gets_a_comment_saying_what_to_do(backend: Backend) {
    let c = start(backend, true).await;
    let body = ticket(
        "jira:issue_created",
        "PLAT-20",
        "10020",
        &["runway:greet"],
        "No name here",
        "green",
        "dana@example.com",
    );
    let answer: Value = jira_post(&c.app, &body, "wh-20", JIRA_SECRET)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(answer["outcome"], "commented");
    let stranger = ticket(
        "jira:issue_created",
        "PLAT-21",
        "10021",
        &["runway:greet"],
        "Name: zed",
        "red",
        "nobody@example.com",
    );
    let answer: Value = jira_post(&c.app, &stranger, "wh-21", JIRA_SECRET)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(answer["outcome"], "commented");
    // Someone else labelling dana's ticket does not make a request in her name.
    let mut other = ticket(
        "jira:issue_updated",
        "PLAT-22",
        "10022",
        &["runway:greet"],
        "Name: ana",
        "red",
        "dana@example.com",
    );
    other["user"] = json!({"accountId": "557058:mallory", "displayName": "Mallory"});
    other["changelog"] =
        json!({"items": [{"field": "labels", "fromString": "", "toString": "runway:greet"}]});
    let answer: Value = jira_post(&c.app, &other, "wh-22", JIRA_SECRET)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(answer["outcome"], "commented");
    // A ticket deleted before Runway's comment arrives: Jira refuses it for good, and admins see so.
    let gone = ticket(
        "jira:issue_created",
        "GONE-1",
        "10099",
        &["runway:greet"],
        "No name",
        "red",
        "dana@example.com",
    );
    let answer: Value = jira_post(&c.app, &gone, "wh-99", JIRA_SECRET)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(answer["outcome"], "commented");
    assert_eq!(request_count(&c.app, "greet").await, 0);
    settle(&c.app).await;
    let comments = c.jira.comments();
    assert!(!comments.iter().any(|(k, _)| k == "GONE-1"));
    let impersonation = comments
        .iter()
        .find(|(k, _)| k == "PLAT-22")
        .map(|(_, d)| comment_text(d))
        .expect("comment");
    assert!(
        impersonation.contains("only when the ticket's reporter"),
        "{impersonation}"
    );
    let missing = comments
        .iter()
        .find(|(k, _)| k == "PLAT-20")
        .map(|(_, d)| comment_text(d))
        .expect("comment");
    assert!(
        missing.contains("Name") && missing.contains("Colour"),
        "lists each field: {missing}"
    );
    assert!(
        missing.contains("/actions/greet"),
        "links to the form: {missing}"
    );
    let unknown = comments
        .iter()
        .find(|(k, _)| k == "PLAT-21")
        .map(|(_, d)| comment_text(d))
        .expect("comment");
    assert!(
        unknown.contains("no Runway account") && unknown.contains("/actions/greet?name=zed"),
        "{unknown}"
    );
    assert!(c.jira.violations().is_empty(), "{:?}", c.jira.violations());
    let app = c.app;
    app.sign_in("ada").await;
    let page = app.get_text("/settings/notifications").await.1;
    assert!(
        page.contains("GONE-1") && page.contains("HTTP 404"),
        "{page}"
    );
}

async fn jira_webhooks_that_are_not_signed_with_the_secret_are_refused(backend: Backend) {
    let c = start(backend, true).await;
    let body = ticket(
        "jira:issue_created",
        "PLAT-30",
        "10030",
        &["runway:greet"],
        "Name: ana",
        "red",
        "dana@example.com",
    );
    assert_eq!(
        jira_post(&c.app, &body, "a", "wrong-secret").await.status(),
        401
    );
    let raw = body.to_string();
    let sig = runway_core::jira::signature::sign(JIRA_SECRET, raw.as_bytes());
    let tampered = raw.replace("ana", "eve");
    let resp = reqwest::Client::new()
        .post(c.app.url("/hooks/jira"))
        .header("x-hub-signature", sig)
        .body(tampered)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    let resp = reqwest::Client::new()
        .post(c.app.url("/hooks/jira"))
        .body(raw.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401, "unsigned");
    let resp = reqwest::Client::new()
        .post(c.app.url("/hooks/jira"))
        .header(
            "x-hub-signature",
            runway_core::jira::signature::sign(JIRA_SECRET, b"not json"),
        )
        .body("not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400, "signed but not an event");
    assert_eq!(request_count(&c.app, "greet").await, 0);
}

/// Delivery identifiers are kept for Jira's retries, then forgotten by the housekeeping `serve`
/// runs every minute, so the table does not grow with every webhook ever received.
async fn jira_delivery_identifiers_are_forgotten_by_housekeeping_after_a_week(backend: Backend) {
    let c = start(backend, false).await;
    let db = &c.app.runway.db;
    let body = ticket(
        "jira:issue_created",
        "PLAT-40",
        "10040",
        &["runway:greet"],
        "Name: ana",
        "red",
        "dana@example.com",
    );
    let answer: Value = jira_post(&c.app, &body, "wh-recent", JIRA_SECRET)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(answer["outcome"], "requested", "{answer}");
    let now = chrono::Utc::now();
    for (identifier, age) in [("wh-8-days", 8), ("wh-6-days", 6)] {
        runway_core::on_pool!(db, pool => sqlx::query(
            "INSERT INTO jira_webhooks (identifier, received_at) VALUES ($1, $2)"
        ).bind(identifier).bind(now - chrono::TimeDelta::days(age)).execute(pool).await.map(|r| r.rows_affected()).unwrap());
    }
    runway_server::startup::housekeeping(&c.app.runway, now).await;
    assert!(!runway_core::db::jira::seen(db, "wh-8-days").await.unwrap());
    assert!(runway_core::db::jira::seen(db, "wh-6-days").await.unwrap());
    assert!(runway_core::db::jira::seen(db, "wh-recent").await.unwrap());
    // A retry of the recent delivery is still recognised after housekeeping.
    let again: Value = jira_post(&c.app, &body, "wh-recent", JIRA_SECRET)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["outcome"], "duplicate");
    assert_eq!(request_count(&c.app, "greet").await, 1);
}

both_backends!(
    a_finished_request_is_mailed_to_its_requester_once_with_a_link_and_no_secret,
    a_refusing_mail_server_is_retried_without_duplicates_and_admins_see_failures,
    a_crash_between_the_event_and_its_delivery_still_delivers_once,
    a_slack_modal_with_a_mistake_then_a_fix_makes_one_request_and_a_dm_when_it_finishes,
    an_approver_decides_from_slack_and_the_message_shows_who_decided,
    slack_calls_that_are_not_signed_by_slack_are_refused_and_strangers_get_the_portal_link,
    a_labelled_ticket_becomes_a_request_gets_its_link_and_moves_on_when_it_succeeds,
    an_invalid_ticket_or_unknown_reporter_gets_a_comment_saying_what_to_do,
    jira_webhooks_that_are_not_signed_with_the_secret_are_refused,
    jira_delivery_identifiers_are_forgotten_by_housekeeping_after_a_week,
);
