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
    object      TEXT NOT NULL,
    -- Content hashes (or states) before and after, where the change has them.
    before_hash TEXT,
    after_hash  TEXT,
    -- A small JSON object with what the kind needs (a change note, a comment, a decision).
    detail      TEXT
);

CREATE FUNCTION audit_events_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();
