-- Catalogue changes (issue #13): who changed which action to which version, when and why, and drafts
-- saved in the portal before they are published.

-- One row per change of an action's current version: a publish from the portal (by a person, with
-- a note), a rollback, a rollout, a deprecation or retirement, or a change found in the files at a
-- reload (`files`, no person). A rollback publishes an old content hash again, so one version may
-- appear in several rows; history reads this table newest first.
CREATE TABLE action_changes (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    action_id    TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    -- core::catalog::edit::ChangeKind: publish, rollback, rollout, deprecate, retire, restore, files, removed.
    kind         TEXT NOT NULL,
    -- The person (users.id) and their name at the time; NULL/'' for changes found in the files.
    actor_id     INTEGER,
    actor_name   TEXT NOT NULL,
    note         TEXT NOT NULL,
    -- The git commit made for this change, when the catalogue is a git repository.
    git_commit   TEXT,
    changed_at   TEXT NOT NULL
);
CREATE INDEX action_changes_by_action ON action_changes (action_id, id);

-- Versions loaded before this table existed: one `files` change each, at the time they were loaded.
INSERT INTO action_changes (action_id, content_hash, kind, actor_id, actor_name, note, changed_at)
SELECT action_id, content_hash, 'files', NULL, '', '', first_loaded_at
FROM action_versions ORDER BY first_loaded_at;

-- At most one draft per action (or per new action id): the YAML an editor saved without publishing,
-- visible to admins and the owning team. `base_hash` is the version it was started from (NULL for a
-- new action), so publishing the draft later still detects a conflict.
CREATE TABLE action_drafts (
    action_id  TEXT PRIMARY KEY,
    source     TEXT NOT NULL,
    base_hash  TEXT,
    -- The owning team as the draft names it (drafts of new actions have no catalogue row yet).
    owner      TEXT NOT NULL,
    saved_by   INTEGER NOT NULL REFERENCES users (id),
    saved_at   TEXT NOT NULL
);
