use super::*;
use std::fs;

fn action(id: &str, extra: &str) -> String {
    format!("id: {id}\ntitle: Title of {id}\nsummary: Summary of {id}.\ncategory: Cat\nowner: platform\n{extra}")
}

fn manual(id: &str) -> String {
    action(id, "run: {kind: manual}\n")
}

#[cfg(unix)]
fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let mut perms = fs::metadata(path).expect("metadata").permissions();
    perms.set_mode(0o755);
    fs::set_permissions(path, perms).expect("chmod");
}

#[test]
fn a_broken_file_is_skipped_and_the_rest_still_loads() {
    let dir = tempfile::tempdir().expect("tempdir");
    fs::write(dir.path().join("good.yaml"), manual("good")).expect("write");
    fs::write(dir.path().join("bad.yaml"), "id: bad\ntitle: [unclosed\n").expect("write");
    fs::write(dir.path().join("notes.txt"), "not an action").expect("write");
    let catalog = load_dir(dir.path()).expect("dir readable");
    assert_eq!(catalog.actions.keys().collect::<Vec<_>>(), vec!["good"]);
    assert_eq!(catalog.files_read, 2);
    assert_eq!(catalog.problems.len(), 1);
    let p = &catalog.problems[0];
    assert!(p.file.ends_with("bad.yaml") && p.line == Some(3), "{p}");
}

#[test]
fn ids_must_match_file_names_and_be_unique() {
    let dir = tempfile::tempdir().expect("tempdir");
    fs::write(dir.path().join("alpha.yaml"), manual("beta")).expect("write");
    fs::write(dir.path().join("gamma.yml"), manual("gamma")).expect("write");
    let catalog = load_dir(dir.path()).expect("dir readable");
    assert_eq!(catalog.actions.len(), 1);
    let text = catalog.problems[0].to_string();
    assert!(text.ends_with("alpha.yaml:1: id: `beta` must match the file name (`alpha`), so an action has one obvious home"), "{text}");
}

#[test]
fn script_actions_need_an_executable_script_inside_the_catalogue() {
    let dir = tempfile::tempdir().expect("tempdir");
    fs::create_dir(dir.path().join("scripts")).expect("mkdir");
    let run = "run:\n  kind: script\n  command: scripts/go.sh\n";
    fs::write(dir.path().join("missing.yaml"), action("missing", run)).expect("write");
    let catalog = load_dir(dir.path()).expect("readable");
    let text = catalog.problems[0].to_string();
    assert!(
        text.contains("missing.yaml:8: run.command: `scripts/go.sh` cannot be read"),
        "{text}"
    );

    fs::write(dir.path().join("scripts/go.sh"), "#!/bin/sh\necho hi\n").expect("write");
    let catalog = load_dir(dir.path()).expect("readable");
    #[cfg(unix)]
    {
        let text = catalog.problems[0].to_string();
        assert!(text.contains("`scripts/go.sh` is not executable"), "{text}");
        make_executable(&dir.path().join("scripts/go.sh"));
    }
    let catalog = load_dir(dir.path()).expect("readable");
    assert!(catalog.problems.is_empty(), "{:?}", catalog.problems);
    assert!(catalog.actions.contains_key("missing"));
}

#[cfg(unix)]
#[test]
fn the_content_hash_covers_the_yaml_and_the_script() {
    let dir = tempfile::tempdir().expect("tempdir");
    fs::create_dir(dir.path().join("scripts")).expect("mkdir");
    let script = dir.path().join("scripts/go.sh");
    fs::write(&script, "#!/bin/sh\necho one\n").expect("write");
    make_executable(&script);
    fs::write(
        dir.path().join("s.yaml"),
        action("s", "run: {kind: script, command: scripts/go.sh}\n"),
    )
    .expect("write");
    let hash = |d: &Path| {
        load_dir(d).expect("readable").actions["s"]
            .content_hash
            .clone()
    };
    let first = hash(dir.path());
    assert_eq!(first.len(), 64);
    assert_eq!(hash(dir.path()), first, "same content, same hash");
    fs::write(&script, "#!/bin/sh\necho two\n").expect("write");
    let second = hash(dir.path());
    assert_ne!(second, first, "a script change is a new version");
    fs::write(
        dir.path().join("s.yaml"),
        action(
            "s",
            "run: {kind: script, command: scripts/go.sh}\ntags: [x]\n",
        ),
    )
    .expect("write");
    assert_ne!(hash(dir.path()), second, "a YAML change is a new version");
}

#[test]
fn beta_actions_are_visible_only_to_their_teams() {
    let dir = tempfile::tempdir().expect("tempdir");
    fs::write(dir.path().join("open.yaml"), manual("open")).expect("write");
    fs::write(
        dir.path().join("beta.yaml"),
        action("beta", "run: {kind: manual}\nvisible_to: [payments]\n"),
    )
    .expect("write");
    let catalog = load_dir(dir.path()).expect("readable");
    let ids = |v: &Viewer| {
        catalog
            .cards_for(v)
            .into_iter()
            .map(|c| c.id)
            .collect::<Vec<_>>()
    };
    let payments = Viewer {
        teams: vec!["payments".into()],
        sees_everything: false,
    };
    let search = Viewer {
        teams: vec!["search".into()],
        sees_everything: false,
    };
    assert_eq!(ids(&payments), vec!["beta", "open"]);
    assert_eq!(ids(&search), vec!["open"]);
    assert!(catalog.detail_for("beta", &search).is_none());
    assert!(catalog
        .detail_for("beta", &payments)
        .is_some_and(|d| d.card.beta && d.beta_teams == vec!["payments"]));
    assert!(catalog.detail_for("nope", &Viewer::everyone()).is_none());
}

#[test]
fn an_unreadable_directory_is_an_error_not_an_empty_catalogue() {
    let err = load_dir(Path::new("/nonexistent/catalog")).err();
    assert!(err.is_some_and(|e| e.to_string().contains("/nonexistent/catalog")));
}

#[test]
fn a_replacement_that_does_not_exist_is_a_problem_but_the_action_still_loads() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lifecycle =
        "run: {kind: manual}\nlifecycle:\n  status: deprecated\n  replacement: nowhere\n";
    fs::write(dir.path().join("old.yaml"), action("old", lifecycle)).expect("write");
    let catalog = load_dir(dir.path()).expect("readable");
    assert!(catalog.actions.contains_key("old"));
    let text: Vec<String> = catalog.problems.iter().map(ToString::to_string).collect();
    assert_eq!(text.len(), 1, "{text:?}");
    assert!(
        text[0].ends_with(
            "old.yaml:9: lifecycle.replacement: `nowhere` is not an action in the catalogue"
        ),
        "{text:?}"
    );
}

#[test]
fn retired_actions_have_no_card_but_their_page_names_the_replacement() {
    let dir = tempfile::tempdir().expect("tempdir");
    let retired =
        "run: {kind: manual}\nlifecycle:\n  status: retired\n  replacement: new\n  note: Gone.\n";
    fs::write(dir.path().join("old.yaml"), action("old", retired)).expect("write");
    fs::write(dir.path().join("new.yaml"), manual("new")).expect("write");
    let catalog = load_dir(dir.path()).expect("readable");
    assert!(catalog.problems.is_empty(), "{:?}", catalog.problems);
    let everyone = Viewer::everyone();
    let ids: Vec<String> = catalog
        .cards_for(&everyone)
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(ids, vec!["new"]);
    let detail = catalog.detail_for("old", &everyone).expect("page opens");
    assert_eq!(detail.lifecycle, LifecycleStatus::Retired);
    assert_eq!(
        detail.replacement,
        Some(ActionLink {
            id: "new".into(),
            title: "Title of new".into()
        })
    );
    assert_eq!(detail.lifecycle_note.as_deref(), Some("Gone."));
}
