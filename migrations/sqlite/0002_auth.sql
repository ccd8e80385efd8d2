-- People who have signed in, keyed by who vouches for them: (issuer, subject). Development sign-in
-- uses the issuer `runway:dev`.
CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    issuer        TEXT NOT NULL,
    subject       TEXT NOT NULL,
    -- Refreshed from the provider's claims at each sign-in.
    name          TEXT NOT NULL,
    email         TEXT,
    is_admin      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    TEXT NOT NULL,
    last_login_at TEXT NOT NULL,
    UNIQUE (issuer, subject)
);

-- Team memberships as of the user's latest sign-in (replaced each time, from the groups claim).
CREATE TABLE team_memberships (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    team    TEXT NOT NULL,
    -- Leads approve their team's requests and see its history.
    is_lead BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (user_id, team)
);
CREATE INDEX team_memberships_team ON team_memberships (team);

-- Server-side sessions (tower-sessions records as JSON). The cookie holds only the random id.
CREATE TABLE sessions (
    id          TEXT PRIMARY KEY,
    data        TEXT NOT NULL,
    expiry_date TEXT NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expiry_date);
