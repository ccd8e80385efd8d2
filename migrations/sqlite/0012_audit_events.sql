-- The audit log (issue #13): who changed what, when. Append-only: the triggers below refuse every
-- UPDATE and DELETE, so no route and no bug can rewrite history; only a person with the database
-- itself could (and the triggers say so in its schema).
CREATE TABLE audit_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TEXT NOT NULL,
    -- The person who acted (users.id), NULL for Runway itself (a reload at start, an expiry).
    actor_id    INTEGER,
    -- Their name at the time, kept so the row reads the same after they leave.
    actor_name  TEXT NOT NULL,
    -- Who acted for them, when not the portal itself: `slack`, `jira`, `token:<name>`, `service:<name>`.
    via         TEXT,
    -- core::audit::AuditKind, snake_case.
    kind        TEXT NOT NULL,
    -- What it was done to: `action:<id>`, `request:<id>`, `user:<id>`, `setting:<key>`.
    object      TEXT NOT NULL,
    -- Content hashes (or states) before and after, where the change has them.
    before_hash TEXT,
    after_hash  TEXT,
    -- A small JSON object with what the kind needs (a change note, a comment, a decision).
    detail      TEXT
);

-- The Audit page reads newest first by (at, id), whole or filtered by one of these; each index
-- ends in the time order (and the rowid, which is id), so a filtered page is one index range walked
-- backwards, whatever its depth (keyset cursor). Measured at a million events: docs/benchmarks.md.
-- The time index also carries the object: a common object prefix (`request:`) is found walking it
-- newest first without reading the table (core::db::audit::page chooses the walk).
CREATE INDEX audit_events_at ON audit_events (at, id, object);
CREATE INDEX audit_events_kind ON audit_events (kind, at);
CREATE INDEX audit_events_actor ON audit_events (actor_id, at);
CREATE INDEX audit_events_object ON audit_events (object, at);

CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;

CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;
