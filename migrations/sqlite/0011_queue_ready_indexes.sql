-- Indexes shaped like the two claim queries (core/src/db/jobs.rs: `claim` and `claim_limited`).
--
-- `jobs_ready (state, run_at, id)` covers both, but when a burst of jobs arrives faster than the
-- planner's statistics are refreshed, Postgres read *every* queued job, sorted them and kept 516,
-- on every claim: claims got slower as the queue grew (measured in docs/benchmarks.md, "Job
-- queue"). A partial index in claim order lets the claim stop after the rows it takes, whatever the
-- statistics say; the second holds only jobs of concurrency-limited actions, so the limited claim
-- costs nothing when there are none.
CREATE INDEX jobs_ready_plain ON jobs (run_at, id) WHERE state = 'queued' AND concurrency_limit IS NULL;
CREATE INDEX jobs_ready_limited ON jobs (action_id, run_at, id) WHERE state = 'queued' AND concurrency_limit IS NOT NULL;
