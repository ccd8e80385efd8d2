-- Free-text search over requests: the action and the input values, lower-cased, in one column
-- written at submit time, indexed by an FTS5 table with the trigram tokenizer so that "contains"
-- searches of three characters or more use the index instead of scanning every request.
ALTER TABLE requests ADD COLUMN search_text TEXT NOT NULL DEFAULT '';
UPDATE requests SET search_text = lower(action_id || ' ' || coalesce(
    (SELECT group_concat(value, ' ') FROM json_each(requests.inputs)), ''));

-- Rows from before this migration are lower-cased by SQLite (ASCII letters only; new rows by Runway,
-- all letters). The index is case-sensitive because both sides are lower-cased already: it then
-- matches exactly what the LIKE fallback matches.
CREATE VIRTUAL TABLE requests_search USING fts5(
    search_text, content = 'requests', content_rowid = 'id', tokenize = 'trigram case_sensitive 1');
INSERT INTO requests_search (requests_search) VALUES ('rebuild');

CREATE TRIGGER requests_search_insert AFTER INSERT ON requests BEGIN
    INSERT INTO requests_search (rowid, search_text) VALUES (new.id, new.search_text);
END;
CREATE TRIGGER requests_search_delete AFTER DELETE ON requests BEGIN
    INSERT INTO requests_search (requests_search, rowid, search_text) VALUES ('delete', old.id, old.search_text);
END;
CREATE TRIGGER requests_search_update AFTER UPDATE OF search_text ON requests BEGIN
    INSERT INTO requests_search (requests_search, rowid, search_text) VALUES ('delete', old.id, old.search_text);
    INSERT INTO requests_search (rowid, search_text) VALUES (new.id, new.search_text);
END;

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
