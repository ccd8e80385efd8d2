-- The API's open event streams (`runway_core::db::api_streams`): one row per open stream, a lease
-- renewed while it lasts and deleted when it ends, so that a token's limit on open streams holds
-- across every `serve` process. A row whose lease ran out (its process died) no longer counts;
-- housekeeping deletes it.
CREATE TABLE api_streams (
    id         BIGSERIAL PRIMARY KEY,
    token_id   BIGINT NOT NULL REFERENCES api_tokens (id) ON DELETE CASCADE,
    -- The `serve` process holding the stream; it closes all of its own when it shuts down.
    instance   TEXT NOT NULL,
    -- Microseconds since the Unix epoch.
    expires_us BIGINT NOT NULL
);
CREATE INDEX api_streams_token ON api_streams (token_id, expires_us);
CREATE INDEX api_streams_instance ON api_streams (instance);
