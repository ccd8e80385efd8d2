-- The catalogue as Runway has loaded it.

-- Every version of every action ever loaded. A request records (action_id, content_hash), so history
-- can always show exactly which definition it ran, even after the file changed or was removed.
CREATE TABLE action_versions (
    action_id       TEXT NOT NULL,
    -- SHA-256 (hex) over the YAML file and, for script actions, the script it runs.
    content_hash    TEXT NOT NULL,
    -- The validated ActionSpec as JSON (what the portal and workers use).
    spec            TEXT NOT NULL,
    -- The YAML text exactly as it was loaded (what a person reviews).
    source          TEXT NOT NULL,
    first_loaded_at TEXT NOT NULL,
    PRIMARY KEY (action_id, content_hash)
);

-- The actions currently in the catalogue: one row each, pointing at its current version.
-- Removing a file deletes its row here; its versions stay.
CREATE TABLE actions (
    id           TEXT PRIMARY KEY,
    content_hash TEXT NOT NULL,
    -- Catalogue file the action came from, relative to the catalogue directory.
    file         TEXT NOT NULL,
    title        TEXT NOT NULL,
    category     TEXT NOT NULL,
    owner        TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    FOREIGN KEY (id, content_hash) REFERENCES action_versions (action_id, content_hash)
);

-- Problems found by the most recent load: files that were skipped and why.
CREATE TABLE catalog_problems (
    file     TEXT NOT NULL,
    line     INTEGER,
    field    TEXT NOT NULL,
    message  TEXT NOT NULL,
    found_at TEXT NOT NULL
);
