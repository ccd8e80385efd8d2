-- The public API (issue #15): tokens, and the channel each request came through.

-- Where a request was made: the portal's pages, the API (and the command-line client, which uses
-- it), and later Slack and Jira. Impact and history count channels from this column.
ALTER TABLE requests ADD COLUMN channel TEXT NOT NULL DEFAULT 'portal'
    CHECK (channel IN ('portal', 'api', 'slack', 'jira'));

-- The person accountable for a request its requester did not make in person: the maker of the
-- service token a service account used. Nobody approves a request they are accountable for.
ALTER TABLE requests ADD COLUMN made_by INTEGER REFERENCES users (id);

-- A submission with an idempotency key first looks for the request that key made.
CREATE INDEX requests_idempotency_key ON requests (idempotency_key) WHERE idempotency_key IS NOT NULL;

-- API tokens. A personal token acts for the person who made it; a service token acts for a service
-- account (a users row with issuer 'runway:service') that belongs to one team. The rights of either
-- are read from that user at every use, then narrowed by the token's scopes.
CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    -- The person or service account the token acts for.
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind         TEXT NOT NULL CHECK (kind IN ('personal', 'service')),
    -- Service tokens: the team that owns the token (its lead or an admin manages it).
    team         TEXT,
    name         TEXT NOT NULL,
    -- The token's first characters, shown in lists to tell tokens apart; not enough to use it.
    prefix       TEXT NOT NULL,
    -- SHA-256 of the whole token, hex. The token itself is shown once and never stored.
    hash         TEXT NOT NULL UNIQUE,
    -- Space-separated, from: read, request, approve.
    scopes       TEXT NOT NULL,
    created_by   INTEGER NOT NULL REFERENCES users (id),
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    last_used_at TEXT,
    last_used_ip TEXT,
    revoked_at   TEXT,
    CHECK ((kind = 'service') = (team IS NOT NULL))
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);
CREATE INDEX api_tokens_team ON api_tokens (team);
