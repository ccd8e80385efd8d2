-- History filters combine a scope (team or requester) with a status; these keep such pages on an
-- index in (scope, status, time) order instead of scanning one of the two.
CREATE INDEX requests_team_status_time ON requests (team, status, created_at);
CREATE INDEX requests_requester_status_time ON requests (requester_id, status, created_at);
