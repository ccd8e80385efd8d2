-- Approvals: who decided what on a request that waits for approval, and the job it will run.

-- The job to enqueue once the request is approved (JSON; its secret inputs are sealed). Cleared when
-- the request leaves pending_approval.
ALTER TABLE requests ADD COLUMN pending_job TEXT;

-- One decision per approver and request: the primary key records a person's decision once.
CREATE TABLE request_approvals (
    request_id  INTEGER NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    approver_id INTEGER NOT NULL REFERENCES users (id),
    decision    TEXT NOT NULL CHECK (decision IN ('approved', 'rejected')),
    comment     TEXT NOT NULL DEFAULT '',
    at          TEXT NOT NULL,
    PRIMARY KEY (request_id, approver_id)
);
CREATE INDEX requests_pending_approval ON requests (status, created_at) WHERE status = 'pending_approval';
