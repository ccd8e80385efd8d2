-- What requests produce and who fulfils them: logs, outputs, manual fulfilment.

ALTER TABLE requests ADD COLUMN executor TEXT NOT NULL DEFAULT 'script';
ALTER TABLE requests ADD COLUMN assignee_id BIGINT REFERENCES users (id);
ALTER TABLE requests ADD COLUMN note TEXT;
CREATE INDEX requests_executor_status ON requests (executor, status);

ALTER TABLE request_events DROP CONSTRAINT IF EXISTS request_events_kind_check;
ALTER TABLE request_events ADD CONSTRAINT request_events_kind_check CHECK (kind IN ('submitted', 'queued', 'started', 'attempt_failed', 'retry_scheduled', 'rescued', 'released', 'succeeded', 'failed', 'cancel_requested', 'cancelled', 'approval_requested', 'approved', 'rejected', 'expired', 'assigned', 'note'));

CREATE TABLE request_logs (
    id         BIGSERIAL PRIMARY KEY,
    request_id BIGINT NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    attempt    BIGINT NOT NULL,
    at         TIMESTAMPTZ NOT NULL,
    stream     TEXT NOT NULL CHECK (stream IN ('stdout', 'stderr', 'system')),
    line       TEXT NOT NULL
);
CREATE INDEX request_logs_request ON request_logs (request_id, id);

CREATE TABLE request_outputs (
    request_id  BIGINT NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    label       TEXT,
    kind        TEXT NOT NULL CHECK (kind IN ('text', 'link', 'secret')),
    value       TEXT,
    sealed      TEXT,
    created_at  TIMESTAMPTZ NOT NULL,
    secret_gone TIMESTAMPTZ,
    PRIMARY KEY (request_id, name)
);
