-- The API's rate limits, shared by every `serve` process (GCRA, `runway_core::db::rate_limits`):
-- one row per token or person with its bucket's theoretical arrival time, in microseconds since
-- the Unix epoch. A row whose time has passed is a full bucket, the same as no row; housekeeping
-- deletes those.
CREATE TABLE api_rate_limits (
    bucket TEXT PRIMARY KEY,
    tat_us BIGINT NOT NULL
);
