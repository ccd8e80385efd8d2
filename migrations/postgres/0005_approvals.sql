-- Approvals: who decided what on a request that waits for approval, and the job it will run.

ALTER TABLE requests ADD COLUMN pending_job TEXT;

CREATE TABLE request_approvals (
    request_id  BIGINT NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    approver_id BIGINT NOT NULL REFERENCES users (id),
    decision    TEXT NOT NULL CHECK (decision IN ('approved', 'rejected')),
    comment     TEXT NOT NULL DEFAULT '',
    at          TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (request_id, approver_id)
);
CREATE INDEX requests_pending_approval ON requests (status, created_at) WHERE status = 'pending_approval';
