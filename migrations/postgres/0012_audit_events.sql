-- The audit log (issue #13): who changed what, when. Append-only: the trigger below refuses every
-- UPDATE and DELETE (and TRUNCATE), so no route and no bug can rewrite history.
CREATE TABLE audit_events (
    id          BIGSERIAL PRIMARY KEY,
    at          TIMESTAMPTZ NOT NULL,
    -- The person who acted (users.id), NULL for Runway itself (a reload at start, an expiry).
    actor_id    BIGINT,
    -- Their name at the time, kept so the row reads the same after they leave.
    actor_name  TEXT NOT NULL,
    -- Who acted for them, when not the portal itself: `slack`, `jira`, `token:<name>`, `service:<name>`.
    via         TEXT,
    -- core::audit::AuditKind, snake_case.
    kind        TEXT NOT NULL,
    -- What it was done to: `action:<id>`, `request:<id>`, `user:<id>`, `setting:<key>`.
    -- Byte order ("C"): a prefix filter (`action:`) is an index range [`action:`, `action;`).
    object      TEXT COLLATE "C" NOT NULL,
    -- Content hashes (or states) before and after, where the change has them.
    before_hash TEXT,
    after_hash  TEXT,
    -- A small JSON object with what the kind needs (a change note, a comment, a decision).
    detail      TEXT
);

-- The Audit page reads newest first by (at, id), whole or filtered by one of these; each index
-- ends in the time order, so a filtered page is one index range walked backwards, whatever its
-- depth (keyset cursor). Measured at a million events: docs/benchmarks.md.
CREATE INDEX audit_events_at ON audit_events (at, id);
CREATE INDEX audit_events_kind ON audit_events (kind, at, id);
CREATE INDEX audit_events_actor ON audit_events (actor_id, at, id);
CREATE INDEX audit_events_object ON audit_events (object, at, id);

CREATE FUNCTION audit_events_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();
