-- Nothing to do on SQLite: PostgreSQL's migration 0019 adds a function that takes from the API's
-- rate-limit buckets in one round trip. SQLite keeps its buckets in memory (`server::api::limits`);
-- `runway_core::db::rate_limits::take` runs the same steps as statements in one transaction here.
SELECT 1;
