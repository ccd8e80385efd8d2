-- The API's rate limits (GCRA, `runway_core::db::rate_limits`): one row per token or person with its
-- bucket's theoretical arrival time, in microseconds since the Unix epoch. Used on PostgreSQL,
-- where replicas share it. SQLite serves from one process and keeps its buckets in memory
-- (`server::api::limits`): this table stays empty here, and exists so both schemas match.
CREATE TABLE api_rate_limits (
    bucket TEXT PRIMARY KEY,
    tat_us BIGINT NOT NULL
);
