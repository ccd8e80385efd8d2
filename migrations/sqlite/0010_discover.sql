-- Discover (issue #12): ticket exports imported for analysis, the tickets they hold, and what people
-- decided about the groups Discover finds in them.

-- One row per import of an export file. `source` names the ticket system the tickets come from
-- (`jira`, `github`, or a name given with --source): tickets are keyed within it.
CREATE TABLE ticket_imports (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    source       TEXT NOT NULL,
    file_name    TEXT NOT NULL,
    format       TEXT NOT NULL CHECK (format IN ('jira-csv', 'jira-json', 'github', 'linear', 'csv')),
    -- Rows read into tickets, and rows skipped (no title, unreadable date, broken quoting).
    rows_ok      INTEGER NOT NULL,
    rows_skipped INTEGER NOT NULL,
    -- Of rows_ok, the tickets this source did not hold before (the rest updated a stored ticket).
    tickets_new  INTEGER NOT NULL,
    imported_by  TEXT NOT NULL,
    imported_at  TEXT NOT NULL
);

-- Only the fields the analysis reads. (source, ticket_key) is unique, so importing the same export
-- again updates its tickets instead of adding them twice; import_id is the last import that
-- carried the ticket. Labels and components are JSON arrays of strings.
CREATE TABLE tickets (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    source      TEXT NOT NULL,
    ticket_key  TEXT NOT NULL,
    import_id   INTEGER NOT NULL REFERENCES ticket_imports (id),
    title       TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    resolved_at TEXT,
    team        TEXT,
    labels      TEXT NOT NULL DEFAULT '[]',
    components  TEXT NOT NULL DEFAULT '[]',
    issue_type  TEXT,
    status      TEXT,
    description TEXT,
    -- The reporter as the import's policy kept it: nothing, the name, or a salted hash.
    reporter    TEXT,
    link        TEXT,
    UNIQUE (source, ticket_key)
);
CREATE INDEX tickets_import ON tickets (import_id);

-- Decisions about groups, stored against Discover's stable group ids and applied in id order to
-- every fresh analysis of the source, so they survive re-imports. `value`: the new label (rename),
-- the target group id (merge), the word that splits (split); NULL for dismiss.
CREATE TABLE ticket_group_decisions (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    source     TEXT NOT NULL,
    group_id   TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('rename', 'merge', 'split', 'dismiss')),
    value      TEXT,
    decided_by TEXT NOT NULL,
    decided_at TEXT NOT NULL,
    CHECK ((kind = 'dismiss') = (value IS NULL))
);
CREATE INDEX ticket_group_decisions_source ON ticket_group_decisions (source, id);
