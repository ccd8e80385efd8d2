-- What requests produce and who fulfils them: logs, outputs, manual fulfilment.

-- How the request is carried out (script, webhook, manual), and for manual requests who took it and
-- their closing note.
ALTER TABLE requests ADD COLUMN executor TEXT NOT NULL DEFAULT 'script';
ALTER TABLE requests ADD COLUMN assignee_id INTEGER REFERENCES users (id);
ALTER TABLE requests ADD COLUMN note TEXT;
CREATE INDEX requests_executor_status ON requests (executor, status);

-- More event kinds: approvals and manual fulfilment. SQLite cannot change a CHECK constraint, so the
-- table is rebuilt with the same rows.
CREATE TABLE request_events_new (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id INTEGER NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    at         TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('submitted', 'queued', 'started', 'attempt_failed', 'retry_scheduled', 'rescued', 'released', 'succeeded', 'failed', 'cancel_requested', 'cancelled', 'approval_requested', 'approved', 'rejected', 'expired', 'assigned', 'note')),
    actor_id   INTEGER REFERENCES users (id),
    attempt    INTEGER,
    detail     TEXT
);
INSERT INTO request_events_new (id, request_id, at, kind, actor_id, attempt, detail)
    SELECT id, request_id, at, kind, actor_id, attempt, detail FROM request_events;
DROP TABLE request_events;
ALTER TABLE request_events_new RENAME TO request_events;
CREATE INDEX request_events_request ON request_events (request_id, id);

-- Output lines of every attempt, already redacted, in order. Capped per request by the executor.
CREATE TABLE request_logs (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id INTEGER NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    attempt    INTEGER NOT NULL,
    at         TEXT NOT NULL,
    stream     TEXT NOT NULL CHECK (stream IN ('stdout', 'stderr', 'system')),
    line       TEXT NOT NULL
);
CREATE INDEX request_logs_request ON request_logs (request_id, id);

-- What a finished request reports. A secret output's value is sealed (encrypted with the configured
-- key) in `sealed`; it is deleted once the requester has seen it, or unseen after 24 hours.
CREATE TABLE request_outputs (
    request_id INTEGER NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    label      TEXT,
    kind       TEXT NOT NULL CHECK (kind IN ('text', 'link', 'secret')),
    value      TEXT,
    sealed     TEXT,
    created_at TEXT NOT NULL,
    -- Set when a secret output was shown (and its sealed value deleted) or expired unseen.
    secret_gone TEXT,
    PRIMARY KEY (request_id, name)
);
