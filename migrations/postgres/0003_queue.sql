-- Requests, their events, and the live job queue.

-- One self-service request. Its status follows the lifecycle in docs/ARCHITECTURE.md; every change
-- is also an event row, so timelines, audit and lead-time metrics come from one place.
CREATE TABLE requests (
    id              BIGSERIAL PRIMARY KEY,
    action_id       TEXT NOT NULL,
    -- The exact action version this request runs (action_versions.content_hash).
    action_hash     TEXT NOT NULL,
    requester_id    BIGINT REFERENCES users (id),
    team            TEXT,
    -- Form values as JSON (secrets are never stored here).
    inputs          TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('submitted', 'pending_approval', 'approved', 'rejected', 'expired', 'queued', 'running', 'succeeded', 'failed', 'cancelled')),
    idempotency_key TEXT,
    attempts        BIGINT NOT NULL DEFAULT 0,
    -- Every attempt's error, as a JSON array, once the request has failed for good.
    errors          TEXT NOT NULL DEFAULT '[]',
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    finished_at     TIMESTAMPTZ
);
-- While a request with a key is not final, the key finds it (a second submit returns it).
CREATE UNIQUE INDEX requests_active_idempotency ON requests (idempotency_key)
    WHERE idempotency_key IS NOT NULL AND status NOT IN ('succeeded', 'failed', 'cancelled', 'rejected', 'expired');
CREATE INDEX requests_requester_time ON requests (requester_id, created_at);
CREATE INDEX requests_team_time ON requests (team, created_at);
CREATE INDEX requests_action_time ON requests (action_id, created_at);
CREATE INDEX requests_status_time ON requests (status, created_at);

CREATE TABLE request_events (
    id         BIGSERIAL PRIMARY KEY,
    request_id BIGINT NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    at         TIMESTAMPTZ NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('submitted', 'queued', 'started', 'attempt_failed', 'retry_scheduled', 'rescued', 'released', 'succeeded', 'failed', 'cancel_requested', 'cancelled')),
    actor_id   BIGINT REFERENCES users (id),
    attempt    BIGINT,
    detail     TEXT
);
CREATE INDEX request_events_request ON request_events (request_id, id);

-- The live queue: only jobs that are queued or running. Finished work lives on the request row and
-- its events, so this table stays small however long the history grows. Queue times (run_at,
-- lease_until) are integer milliseconds since the Unix epoch: the claim path compares them on every
-- poll, and integers compare exactly and fast on both backends.
CREATE TABLE jobs (
    id                BIGSERIAL PRIMARY KEY,
    request_id        BIGINT UNIQUE REFERENCES requests (id) ON DELETE CASCADE,
    -- Which handler runs it (an executor kind, or `noop` / `canary` for tests and benchmarks).
    kind              TEXT NOT NULL,
    -- For concurrency limits: at most concurrency_limit running jobs per action_id.
    action_id         TEXT,
    concurrency_limit BIGINT,
    payload           TEXT NOT NULL,
    state             TEXT NOT NULL CHECK (state IN ('queued', 'running')),
    run_at            BIGINT NOT NULL,
    -- Claims so far (a rescue after a crash does not use up a retry: see rescues).
    attempt           BIGINT NOT NULL DEFAULT 0,
    max_attempts      BIGINT NOT NULL,
    rescues           BIGINT NOT NULL DEFAULT 0,
    timeout_ms        BIGINT NOT NULL,
    worker_id         TEXT,
    lease_until       BIGINT,
    -- Fencing token: bumped at every claim; a worker's writes name the token it claimed with, so a
    -- worker that lost its lease changes nothing.
    fence             BIGINT NOT NULL DEFAULT 0,
    cancel_requested  BOOLEAN NOT NULL DEFAULT FALSE,
    -- Errors of failed attempts so far (JSON array of strings).
    errors            TEXT NOT NULL DEFAULT '[]',
    enqueued_at       BIGINT NOT NULL
);
CREATE INDEX jobs_ready ON jobs (state, run_at, id);
CREATE INDEX jobs_worker ON jobs (worker_id);
CREATE INDEX jobs_action_running ON jobs (action_id, state);

-- Test and benchmark aid: the `canary` handler records every execution here, so tests can prove
-- at-least-once delivery (and find double executions) after crashes.
CREATE TABLE canary_runs (
    id        BIGSERIAL PRIMARY KEY,
    label     TEXT NOT NULL,
    job_id    BIGINT NOT NULL,
    attempt   BIGINT NOT NULL,
    worker_id TEXT NOT NULL,
    at_ms     BIGINT NOT NULL
);
CREATE INDEX canary_runs_label ON canary_runs (label);
