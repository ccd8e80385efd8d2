-- Free-text search over requests: the action and the input values, lower-cased, in one column
-- written at submit time, with a trigram index so that "contains" searches of three characters or
-- more use the index instead of scanning every request. pg_trgm ships with PostgreSQL (contrib) and
-- is a trusted extension: the database owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
ALTER TABLE requests ADD COLUMN search_text TEXT NOT NULL DEFAULT '';
UPDATE requests SET search_text = lower(action_id || ' ' || coalesce(
    (SELECT string_agg(value, ' ') FROM json_each_text(requests.inputs::json)), ''));
CREATE INDEX requests_search_trgm ON requests USING gin (search_text gin_trgm_ops);

-- "All requests" (admins), unfiltered or with a common search term, walks every request newest
-- first: without this index it sorted the whole table.
CREATE INDEX requests_time ON requests (created_at, id);

-- The team page reads a team's last quarter from this index alone (it holds every column the
-- figures need), instead of one table row per request scattered over the whole table. It starts
-- with (team, created_at), so it replaces that index.
CREATE INDEX requests_team_figures ON requests (team, created_at, action_id, status, finished_at);
DROP INDEX requests_team_time;
-- Approval waits: the first decision on each request, without reading the other events.
CREATE INDEX request_events_decisions ON request_events (request_id, kind, at)
    WHERE kind IN ('approved', 'rejected', 'expired');
