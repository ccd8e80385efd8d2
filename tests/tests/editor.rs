//! The catalogue editor's rules, on both backends: who may publish, nothing invalid is published, a
//! second publish from a stale base is a conflict, git commits carry the person as author, rollback,
//! rollout, drafts, and the change and audit rows each change leaves.

use crate::support::{Backend, TestApp};
use runway_core::db::Db;
use std::path::Path;
use std::process::Command;

/// A catalogue with one platform action (`grant-access`, manual) and one payments action; as a git
/// repository with everything committed when `git` is true.
fn catalogue(git: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("grant-access.yaml"), GRANT).expect("write");
    std::fs::write(dir.path().join("pay-report.yaml"), PAY).expect("write");
    if git {
        run_git(dir.path(), &["init", "--quiet"]);
        run_git(dir.path(), &["add", "."]);
        run_git(
            dir.path(),
            &[
                "-c",
                "user.name=Setup",
                "-c",
                "user.email=setup@example.com",
                "commit",
                "--quiet",
                "-m",
                "initial catalogue",
            ],
        );
    }
    dir
}

fn run_git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

const GRANT: &str = "# Hand-written: this comment must survive structured edits elsewhere.\nid: grant-access\ntitle: Grant access\nsummary: Access to an internal system.\ncategory: Access\nowner: platform\ninputs:\n  - name: system\n    label: System\n    type: string\n    required: true\nrun:\n  kind: manual\n";

const PAY: &str = "id: pay-report\ntitle: Payments report\nsummary: A report of yesterday's payments.\ncategory: Data\nowner: payments\nrun:\n  kind: manual\n";

fn new_action(id: &str, owner: &str, visible_to: &str) -> String {
    format!("id: {id}\ntitle: Database access\nsummary: Read access to a team database.\ncategory: Access\nowner: {owner}\nvisible_to: {visible_to}\ninputs:\n  - name: database\n    label: Database\n    type: string\n    required: true\n  - name: level\n    label: Level\n    type: select\n    options:\n      - value: read\n        label: Read\n      - value: write\n        label: Write\n  - name: why\n    label: Why write access\n    type: text\n    visible_if: {{field: level, equals: write}}\nrun:\n  kind: manual\n")
}

/// An `application/x-www-form-urlencoded` body, every byte but letters and digits escaped.
fn form(pairs: &[(&str, &str)]) -> String {
    let encode = |s: &str| {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect::<String>()
    };
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn base_of(text: &str) -> String {
    runway_core::editor::base_of(text)
}

/// `(kind, actor_name, note)` of an action's changes, oldest first.
async fn changes(db: &Db, id: &str) -> Vec<(String, String, String)> {
    runway_core::on_pool!(db, pool => sqlx::query_as::<_, (String, String, String)>(
        "SELECT kind, actor_name, note FROM action_changes WHERE action_id = $1 ORDER BY id"
    ).bind(id).fetch_all(pool).await)
    .expect("changes")
}

async fn audit_kinds(db: &Db, object: &str) -> Vec<String> {
    runway_core::on_pool!(db, pool => sqlx::query_scalar::<_, String>(
        "SELECT kind FROM audit_events WHERE object = $1 ORDER BY id"
    ).bind(object).fetch_all(pool).await)
    .expect("audit")
}

async fn admin_publishes_a_new_action_and_developers_of_early_adopter_teams_see_it(b: Backend) {
    let dir = catalogue(false);
    let mut app = TestApp::builder(b).with_catalog(dir.path()).spawn().await;
    app.sign_in("ada").await;
    let yaml = new_action("db-access", "platform", "[payments]");
    let resp = app
        .post_form(
            "/catalog/publish",
            &form(&[("yaml", &yaml), ("base", ""), ("note", "First version")]),
        )
        .await;
    assert_eq!(resp.status(), 303);
    assert_eq!(resp.headers()["location"], "/actions/db-access");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("db-access.yaml")).unwrap(),
        yaml
    );
    assert_eq!(
        changes(&app.runway.db, "db-access").await,
        vec![("publish".into(), "Ada Admin".into(), "First version".into())]
    );
    assert_eq!(
        audit_kinds(&app.runway.db, "action:db-access").await,
        vec!["catalog_publish"]
    );
    // Beta for payments: dana (payments) sees it, sam (search) does not.
    app.new_browser();
    app.sign_in("dana").await;
    let (status, page) = app.get_text("/actions/db-access").await;
    assert_eq!(status, 200);
    assert!(page.contains("Beta"));
    app.new_browser();
    app.sign_in("sam").await;
    assert_eq!(app.get("/actions/db-access").await.status(), 404);
}

async fn a_developer_cannot_publish_save_drafts_or_open_the_editor(b: Backend) {
    let dir = catalogue(false);
    let app = TestApp::builder(b).with_catalog(dir.path()).spawn().await;
    app.sign_in("dana").await;
    let yaml = new_action("db-access", "payments", "all");
    let resp = app
        .post_form(
            "/catalog/publish",
            &form(&[("yaml", &yaml), ("base", ""), ("note", "mine")]),
        )
        .await;
    assert_eq!(resp.status(), 403);
    let resp = app
        .post_form("/catalog/draft", &form(&[("yaml", &yaml), ("base", "")]))
        .await;
    assert_eq!(resp.status(), 403);
    assert!(!dir.path().join("db-access.yaml").exists());
    // A member of the owning team may read the action (and its draft) in the editor, not change it.
    let opened = app
        .post_form("/api/catalog/editor/open", "id=pay-report")
        .await;
    assert_eq!(opened.status(), 200);
    assert!(opened.text().await.unwrap().contains("\"read_only\":true"));
    assert_eq!(
        app.post_form("/api/catalog/editor/new", "kind=manual")
            .await
            .status(),
        403
    );
    let (_, page) = app.get_text("/actions/pay-report").await;
    assert!(
        !page.contains("/actions/pay-report/edit"),
        "no Edit link for a developer"
    );
}

async fn a_lead_edits_only_their_teams_actions(b: Backend) {
    let dir = catalogue(false);
    let app = TestApp::builder(b).with_catalog(dir.path()).spawn().await;
    app.sign_in("lee").await; // lead of payments
    let (_, page) = app.get_text("/actions/pay-report").await;
    assert!(
        page.contains("/actions/pay-report/edit"),
        "Edit link for the owning team's lead"
    );
    let (_, page) = app.get_text("/actions/grant-access").await;
    assert!(!page.contains("/actions/grant-access/edit"));

    let edited = PAY.replace("Payments report", "Daily payments report");
    let ok = app
        .post_form(
            "/catalog/publish",
            &form(&[
                ("yaml", &edited),
                ("base", &base_of(PAY)),
                ("note", "Clearer title"),
            ]),
        )
        .await;
    assert_eq!(ok.status(), 303);
    // Not their team's action, and not giving their action to another team.
    let theirs = GRANT.replace("Grant access", "Grant all access");
    let refused = app
        .post_form(
            "/catalog/publish",
            &form(&[("yaml", &theirs), ("base", &base_of(GRANT)), ("note", "x")]),
        )
        .await;
    assert_eq!(
        refused.status(),
        404,
        "another team's action is as good as missing"
    );
    let moved = edited.replace("owner: payments", "owner: platform");
    let refused = app
        .post_form(
            "/catalog/publish",
            &form(&[("yaml", &moved), ("base", &base_of(&edited)), ("note", "x")]),
        )
        .await;
    assert_eq!(refused.status(), 403);
    // How an action runs is the admins' alone: a lead cannot turn their manual action into a
    // webhook signed with Runway's key, nor create one.
    let hook = edited.replace(
        "run:\n  kind: manual\n",
        "run:\n  kind: webhook\n  method: POST\n  url: https://example.com/hook\n",
    );
    let refused = app
        .post_form(
            "/catalog/publish",
            &form(&[
                ("yaml", &hook),
                ("base", &base_of(&edited)),
                ("note", "automate"),
            ]),
        )
        .await;
    assert_eq!(refused.status(), 403);
    assert!(refused
        .text()
        .await
        .unwrap()
        .contains("Only admins change how an action runs"));
    let new_hook = hook.replace("id: pay-report", "id: pay-hook");
    let refused = app
        .post_form(
            "/catalog/publish",
            &form(&[("yaml", &new_hook), ("base", ""), ("note", "new")]),
        )
        .await;
    assert_eq!(refused.status(), 403);
    assert!(!dir.path().join("pay-hook.yaml").exists());
    assert_eq!(
        std::fs::read_to_string(dir.path().join("grant-access.yaml")).unwrap(),
        GRANT
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("pay-report.yaml")).unwrap(),
        edited
    );
    // Another team's action: its editor is as invisible as its drafts.
    assert_eq!(
        app.post_form("/api/catalog/editor/open", "id=grant-access")
            .await
            .status(),
        404
    );
}

async fn nobody_can_publish_an_invalid_action_and_the_text_comes_back(b: Backend) {
    let dir = catalogue(false);
    let app = TestApp::builder(b).with_catalog(dir.path()).spawn().await;
    app.sign_in("ada").await;
    let broken = GRANT.replace("    type: string\n", "    type: strng\n");
    let resp = app
        .post_form(
            "/catalog/publish",
            &form(&[
                ("yaml", &broken),
                ("base", &base_of(GRANT)),
                ("note", "typo"),
            ]),
        )
        .await;
    assert_eq!(resp.status(), 422);
    let page = resp.text().await.unwrap();
    assert!(
        page.contains("inputs[0].type"),
        "the problem names its field: {page}"
    );
    assert!(
        page.contains("type: strng"),
        "the admin's text is kept in the form"
    );
    // A script that is not in the catalogue is refused by the loader's own check.
    let script = GRANT.replace(
        "run:\n  kind: manual\n",
        "run:\n  kind: script\n  command: scripts/nope.sh\n  args: []\n",
    );
    let resp = app
        .post_form(
            "/catalog/publish",
            &form(&[
                ("yaml", &script),
                ("base", &base_of(GRANT)),
                ("note", "automate"),
            ]),
        )
        .await;
    assert_eq!(resp.status(), 422);
    assert!(resp.text().await.unwrap().contains("run.command"));
    // The id must match the file it would replace: a publish cannot rename another action's file.
    let note_missing = app
        .post_form(
            "/catalog/publish",
            &form(&[("yaml", GRANT), ("base", &base_of(GRANT)), ("note", "  ")]),
        )
        .await;
    assert_eq!(note_missing.status(), 422);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("grant-access.yaml")).unwrap(),
        GRANT
    );
    // The editor of one action cannot turn it into another one by changing its id.
    let renamed = GRANT.replace("id: grant-access", "id: grant-more");
    let resp = app
        .post_form(
            "/catalog/publish",
            &form(&[
                ("yaml", &renamed),
                ("id", "grant-access"),
                ("base", &base_of(GRANT)),
                ("note", "rename"),
            ]),
        )
        .await;
    assert_eq!(resp.status(), 422);
    assert!(resp.text().await.unwrap().contains("cannot change"));
    assert!(!dir.path().join("grant-more.yaml").exists());
    // The live check answers the same problems to the editor.
    let resp = app
        .post_form("/api/catalog/editor/check", &form(&[("yaml", &script)]))
        .await;
    assert_eq!(resp.status(), 200);
    assert!(resp.text().await.unwrap().contains("run.command"));
}

async fn a_second_publish_from_the_same_version_is_a_conflict_that_shows_both(b: Backend) {
    let dir = catalogue(false);
    let app = TestApp::builder(b).with_catalog(dir.path()).spawn().await;
    app.sign_in("ada").await;
    let first = GRANT.replace("Grant access", "Grant access (first)");
    let second = GRANT.replace("Grant access", "Grant access (second)");
    let base = base_of(GRANT);
    let resp = app
        .post_form(
            "/catalog/publish",
            &form(&[("yaml", &first), ("base", &base), ("note", "one")]),
        )
        .await;
    assert_eq!(resp.status(), 303);
    let resp = app
        .post_form(
            "/catalog/publish",
            &form(&[("yaml", &second), ("base", &base), ("note", "two")]),
        )
        .await;
    assert_eq!(resp.status(), 409);
    let page = resp.text().await.unwrap();
    assert!(page.contains("Grant access (first)") && page.contains("Grant access (second)"));
    assert!(
        page.contains(&base_of(&first)),
        "publishing over theirs needs their version's base"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("grant-access.yaml")).unwrap(),
        first
    );
    // A new action whose id is taken meanwhile is a conflict too, never an overwrite.
    let resp = app
        .post_form(
            "/catalog/publish",
            &form(&[("yaml", &second), ("base", ""), ("note", "new")]),
        )
        .await;
    assert_eq!(resp.status(), 409);
    // Publishing over theirs, deliberately, with their base.
    let resp = app
        .post_form(
            "/catalog/publish",
            &form(&[
                ("yaml", &second),
                ("base", &base_of(&first)),
                ("note", "two, over one"),
            ]),
        )
        .await;
    assert_eq!(resp.status(), 303);
}

async fn in_a_git_catalogue_each_publish_is_a_commit_by_the_person(b: Backend) {
    let dir = catalogue(true);
    let app = TestApp::builder(b).with_catalog(dir.path()).spawn().await;
    app.sign_in("ada").await;
    let edited = GRANT.replace("Grant access", "Grant access to a system");
    let resp = app
        .post_form(
            "/catalog/publish",
            &form(&[
                ("yaml", &edited),
                ("base", &base_of(GRANT)),
                ("note", "Say what is granted"),
            ]),
        )
        .await;
    assert_eq!(resp.status(), 303);
    let log = run_git(dir.path(), &["log", "-1", "--format=%an|%ae|%s|%cn"]);
    assert_eq!(log, "Ada Admin|ada@example.com|Say what is granted|Runway");
    assert_eq!(run_git(dir.path(), &["status", "--porcelain"]), "");
    let commit = run_git(dir.path(), &["rev-parse", "HEAD"]);
    let recorded: Option<String> = runway_core::on_pool!(&app.runway.db, pool => sqlx::query_scalar(
        "SELECT git_commit FROM action_changes WHERE action_id = 'grant-access' AND kind = 'publish'"
    ).fetch_one(pool).await).unwrap();
    assert_eq!(recorded.as_deref(), Some(commit.as_str()));

    // Uncommitted changes to the file by hand: refused, and the hand edit stays.
    let by_hand = format!("{edited}# local experiment\n");
    std::fs::write(dir.path().join("grant-access.yaml"), &by_hand).unwrap();
    let resp = app
        .post_form(
            "/catalog/publish",
            &form(&[
                ("yaml", GRANT),
                ("base", &base_of(&by_hand)),
                ("note", "revert"),
            ]),
        )
        .await;
    assert_eq!(resp.status(), 409);
    assert!(resp.text().await.unwrap().contains("not committed"));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("grant-access.yaml")).unwrap(),
        by_hand
    );
}

async fn a_catalogue_folder_inside_another_repository_is_written_but_never_committed(b: Backend) {
    // Like the demo catalogue inside Runway's own checkout: a publish must not commit to the project.
    let project = catalogue(true);
    let dir = project.path().join("catalog");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("grant-access.yaml"), GRANT).unwrap();
    let app = TestApp::builder(b).with_catalog(&dir).spawn().await;
    app.sign_in("ada").await;
    let edited = GRANT.replace("Grant access", "Grant access here");
    let resp = app
        .post_form(
            "/catalog/publish",
            &form(&[
                ("yaml", &edited),
                ("base", &base_of(GRANT)),
                ("note", "local"),
            ]),
        )
        .await;
    assert_eq!(resp.status(), 303);
    assert_eq!(
        std::fs::read_to_string(dir.join("grant-access.yaml")).unwrap(),
        edited
    );
    assert_eq!(
        run_git(project.path(), &["rev-list", "--count", "HEAD"]),
        "1"
    );
}

async fn rollback_publishes_an_earlier_version_again_as_a_new_change(b: Backend) {
    let dir = catalogue(false);
    let app = TestApp::builder(b).with_catalog(dir.path()).spawn().await;
    app.sign_in("ada").await;
    let original_hash = app.runway.catalog.snapshot().actions["grant-access"]
        .content_hash
        .clone();
    let edited = GRANT.replace("Grant access", "Grant access, changed");
    app.post_form(
        "/catalog/publish",
        &form(&[
            ("yaml", &edited),
            ("base", &base_of(GRANT)),
            ("note", "change"),
        ]),
    )
    .await;
    let resp = app
        .post_form(
            "/actions/grant-access/rollback",
            &form(&[
                ("hash", &original_hash),
                ("note", "The change confused people"),
            ]),
        )
        .await;
    assert_eq!(resp.status(), 303);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("grant-access.yaml")).unwrap(),
        GRANT
    );
    assert_eq!(
        app.runway.catalog.snapshot().actions["grant-access"].content_hash,
        original_hash
    );
    let kinds: Vec<String> = changes(&app.runway.db, "grant-access")
        .await
        .into_iter()
        .map(|c| c.0)
        .collect();
    assert_eq!(kinds, vec!["files", "publish", "rollback"]);
    assert_eq!(
        audit_kinds(&app.runway.db, "action:grant-access").await,
        vec!["catalog_publish", "catalog_rollback"]
    );
    // An unknown version is not found; a developer cannot roll back.
    let resp = app
        .post_form(
            "/actions/grant-access/rollback",
            &form(&[("hash", "abc"), ("note", "x")]),
        )
        .await;
    assert_eq!(resp.status(), 404);
}

async fn rollout_widens_an_early_adopter_action_to_everyone_in_one_step(b: Backend) {
    let dir = catalogue(false);
    let mut app = TestApp::builder(b).with_catalog(dir.path()).spawn().await;
    std::fs::write(
        dir.path().join("db-access.yaml"),
        new_action("db-access", "platform", "[payments]"),
    )
    .unwrap();
    app.runway.catalog.reload().await.unwrap();
    app.sign_in("sam").await;
    assert_eq!(app.get("/actions/db-access").await.status(), 404);
    let resp = app
        .post_form(
            "/actions/db-access/rollout",
            &form(&[("visible_to", "all"), ("note", "")]),
        )
        .await;
    assert_eq!(
        resp.status(),
        404,
        "a developer outside the beta does not learn it exists"
    );
    app.new_browser();
    app.sign_in("ada").await;
    let resp = app
        .post_form(
            "/actions/db-access/rollout",
            &form(&[("visible_to", "all"), ("note", "")]),
        )
        .await;
    assert_eq!(resp.status(), 303);
    let text = std::fs::read_to_string(dir.path().join("db-access.yaml")).unwrap();
    assert!(text.contains("visible_to: all\n"), "{text}");
    assert!(
        text.contains("    visible_if: {field: level, equals: write}\n"),
        "the rest is untouched"
    );
    app.new_browser();
    app.sign_in("sam").await;
    assert_eq!(app.get("/actions/db-access").await.status(), 200);
    let last = changes(&app.runway.db, "db-access").await.pop().unwrap();
    assert_eq!(last.0, "rollout");
    assert_eq!(last.2, "Rollout: everyone");
    // And back to early adopters; a bad team name is refused with its reason.
    app.new_browser();
    app.sign_in("ada").await;
    let bad = app
        .post_form(
            "/actions/db-access/rollout",
            &form(&[("visible_to", "Pay Ments"), ("note", "")]),
        )
        .await;
    assert_eq!(bad.status(), 400);
    let back = app
        .post_form(
            "/actions/db-access/rollout",
            &form(&[("visible_to", "payments, search"), ("note", "Beta again")]),
        )
        .await;
    assert_eq!(back.status(), 303);
    assert!(std::fs::read_to_string(dir.path().join("db-access.yaml"))
        .unwrap()
        .contains("visible_to: [payments, search]\n"));
}

async fn drafts_are_kept_for_their_team_and_discarded_by_publishing(b: Backend) {
    let dir = catalogue(false);
    let mut app = TestApp::builder(b).with_catalog(dir.path()).spawn().await;
    app.sign_in("lee").await;
    // A draft may still have problems (here: no title); it is not in the catalogue.
    let draft = new_action("pay-refund", "payments", "all").replace("title: Database access\n", "");
    let resp = app
        .post_form("/catalog/draft", &form(&[("yaml", &draft), ("base", "")]))
        .await;
    assert_eq!(resp.status(), 303);
    assert_eq!(
        resp.headers()["location"],
        "/actions/pay-refund/edit?saved=1"
    );
    assert!(!dir.path().join("pay-refund.yaml").exists());
    let resp = app
        .post_form("/api/catalog/editor/open", "id=pay-refund")
        .await;
    assert_eq!(resp.status(), 200);
    assert!(resp.text().await.unwrap().contains("pay-refund"));
    let listed = app.post_form("/api/catalog/editor/drafts", "").await;
    assert!(listed
        .text()
        .await
        .unwrap()
        .contains("\"id\":\"pay-refund\""));
    // Another team does not see it, nor find it in the list.
    app.new_browser();
    app.sign_in("sam").await;
    let listed = app.post_form("/api/catalog/editor/drafts", "").await;
    assert_eq!(listed.status(), 200);
    assert!(!listed.text().await.unwrap().contains("pay-refund"));
    assert_eq!(
        app.post_form("/api/catalog/editor/open", "id=pay-refund")
            .await
            .status(),
        404
    );
    // Publishing (once valid) discards the draft.
    app.new_browser();
    app.sign_in("lee").await;
    let valid = new_action("pay-refund", "payments", "all");
    let resp = app
        .post_form(
            "/catalog/publish",
            &form(&[("yaml", &valid), ("base", ""), ("note", "Refunds")]),
        )
        .await;
    assert_eq!(resp.status(), 303);
    let left: i64 = runway_core::on_pool!(&app.runway.db, pool => sqlx::query_scalar(
        "SELECT COUNT(*) FROM action_drafts"
    ).fetch_one(pool).await)
    .unwrap();
    assert_eq!(left, 0);
    assert_eq!(
        audit_kinds(&app.runway.db, "action:pay-refund").await,
        vec!["catalog_draft_saved", "catalog_publish"]
    );
}

async fn files_changed_by_hand_keep_working_and_are_recorded_as_such(b: Backend) {
    let dir = catalogue(false);
    let app = TestApp::builder(b).with_catalog(dir.path()).spawn().await;
    std::fs::write(
        dir.path().join("grant-access.yaml"),
        GRANT.replace("Grant access", "Grant access (by hand)"),
    )
    .unwrap();
    app.runway.catalog.reload().await.unwrap();
    std::fs::remove_file(dir.path().join("pay-report.yaml")).unwrap();
    app.runway.catalog.reload().await.unwrap();
    let kinds = |c: Vec<(String, String, String)>| c.into_iter().map(|c| c.0).collect::<Vec<_>>();
    assert_eq!(
        kinds(changes(&app.runway.db, "grant-access").await),
        vec!["files", "files"]
    );
    assert_eq!(
        kinds(changes(&app.runway.db, "pay-report").await),
        vec!["files", "removed"]
    );
    assert_eq!(
        app.runway.catalog.snapshot().title_of("grant-access"),
        "Grant access (by hand)"
    );
}

async fn retiring_from_the_history_page_hides_the_action_and_restoring_brings_it_back(b: Backend) {
    let dir = catalogue(false);
    let app = TestApp::builder(b).with_catalog(dir.path()).spawn().await;
    app.sign_in("ada").await;
    let resp = app
        .post_form(
            "/actions/pay-report/lifecycle",
            &form(&[
                ("status", "retired"),
                ("replacement", "grant-access"),
                ("note", "Reports come from the data portal now"),
            ]),
        )
        .await;
    assert_eq!(resp.status(), 303);
    let text = std::fs::read_to_string(dir.path().join("pay-report.yaml")).unwrap();
    assert!(text.ends_with("lifecycle:\n  status: retired\n  replacement: grant-access\n  note: Reports come from the data portal now\n"), "{text}");
    let list = app
        .post_form("/api/catalog/list", "")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !list.contains("pay-report"),
        "a retired action leaves the catalogue"
    );
    let (status, page) = app.get_text("/actions/pay-report").await;
    assert_eq!(status, 200, "its page stays readable");
    assert!(page.contains("/actions/grant-access"));
    let resp = app
        .post_form(
            "/actions/pay-report/lifecycle",
            &form(&[("status", "active"), ("note", "")]),
        )
        .await;
    assert_eq!(resp.status(), 303);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("pay-report.yaml")).unwrap(),
        PAY
    );
    let kinds: Vec<String> = changes(&app.runway.db, "pay-report")
        .await
        .into_iter()
        .map(|c| c.0)
        .collect();
    assert_eq!(kinds, vec!["files", "retire", "restore"]);
    assert_eq!(
        audit_kinds(&app.runway.db, "action:pay-report").await,
        vec!["catalog_retire", "catalog_restore"]
    );
    let bad = app
        .post_form(
            "/actions/pay-report/lifecycle",
            &form(&[("status", "gone")]),
        )
        .await;
    assert_eq!(bad.status(), 400);
}

both_backends!(
    admin_publishes_a_new_action_and_developers_of_early_adopter_teams_see_it,
    a_developer_cannot_publish_save_drafts_or_open_the_editor,
    a_lead_edits_only_their_teams_actions,
    nobody_can_publish_an_invalid_action_and_the_text_comes_back,
    a_second_publish_from_the_same_version_is_a_conflict_that_shows_both,
    in_a_git_catalogue_each_publish_is_a_commit_by_the_person,
    a_catalogue_folder_inside_another_repository_is_written_but_never_committed,
    rollback_publishes_an_earlier_version_again_as_a_new_change,
    rollout_widens_an_early_adopter_action_to_everyone_in_one_step,
    drafts_are_kept_for_their_team_and_discarded_by_publishing,
    files_changed_by_hand_keep_working_and_are_recorded_as_such,
    retiring_from_the_history_page_hides_the_action_and_restoring_brings_it_back,
);
