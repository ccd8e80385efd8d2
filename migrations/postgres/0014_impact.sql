-- Impact (issue #14): what each action replaced (its baseline), how easy each request was (the
-- Single Ease Question), and the teams' cognitive-load pulse.

-- An action's own figures (its page, every view): status and lead time of its requests in the
-- last 90 days, read from this index alone.
CREATE INDEX requests_action_figures ON requests (action_id, created_at, status, finished_at);

-- An action's baseline. `tickets`: the Discover group of tickets it replaces (source and group id;
-- the group's members are kept in baseline_tickets). `stated`: figures an admin typed in, with where
-- they come from; shown as stated, never mixed with measured figures. `launched_at`: the day Runway
-- took over; tickets created before it are the baseline, tickets after it are people who have not
-- switched yet.
CREATE TABLE action_baselines (
    action_id          TEXT PRIMARY KEY,
    kind               TEXT NOT NULL CHECK (kind IN ('tickets', 'stated')),
    source             TEXT,
    group_id           TEXT,
    group_label        TEXT,
    stated_median_secs BIGINT,
    stated_p90_secs    BIGINT,
    stated_per_week    DOUBLE PRECISION,
    stated_source      TEXT,
    launched_at        TIMESTAMPTZ NOT NULL,
    set_by             TEXT NOT NULL,
    set_at             TIMESTAMPTZ NOT NULL,
    CHECK ((kind = 'tickets') = (source IS NOT NULL AND group_id IS NOT NULL)),
    CHECK ((kind = 'stated') = (stated_median_secs IS NOT NULL AND stated_source IS NOT NULL))
);

-- The tickets of a linked group: written when it is linked, and again after each import of its
-- source (Discover's grouping is recomputed then, so new tickets of the group join it).
CREATE TABLE baseline_tickets (
    action_id TEXT NOT NULL REFERENCES action_baselines (action_id) ON DELETE CASCADE,
    ticket_id BIGINT NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    PRIMARY KEY (action_id, ticket_id)
);

-- "Overall, how easy or difficult was this?" (1 very difficult .. 7 very easy), asked once per
-- request of its requester, changeable for a week after the first answer.
CREATE TABLE request_ratings (
    request_id BIGINT PRIMARY KEY REFERENCES requests (id) ON DELETE CASCADE,
    action_id  TEXT NOT NULL,
    score      BIGINT NOT NULL CHECK (score BETWEEN 1 AND 7),
    comment    TEXT NOT NULL DEFAULT '',
    rated_at   TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX request_ratings_action ON request_ratings (action_id, rated_at);

-- A cognitive-load pulse: statements rated 1..5 by the members of chosen teams, in rounds.
CREATE TABLE pulses (
    id          BIGSERIAL PRIMARY KEY,
    title       TEXT NOT NULL,
    -- JSON array of the statements, in order.
    statements  TEXT NOT NULL,
    cadence     TEXT NOT NULL CHECK (cadence IN ('once', 'monthly', 'quarterly')),
    -- Days each round stays open.
    open_days   BIGINT NOT NULL CHECK (open_days BETWEEN 1 AND 60),
    created_by  TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    -- Set when an admin stops it: no further rounds.
    stopped_at  TIMESTAMPTZ
);
CREATE TABLE pulse_teams (
    pulse_id BIGINT NOT NULL REFERENCES pulses (id) ON DELETE CASCADE,
    team     TEXT NOT NULL,
    PRIMARY KEY (pulse_id, team)
);
CREATE TABLE pulse_rounds (
    id        BIGSERIAL PRIMARY KEY,
    pulse_id  BIGINT NOT NULL REFERENCES pulses (id) ON DELETE CASCADE,
    opens_at  TIMESTAMPTZ NOT NULL,
    closes_at TIMESTAMPTZ NOT NULL,
    UNIQUE (pulse_id, opens_at)
);
-- Who has answered a round (so each person answers once per team), never what they answered.
CREATE TABLE pulse_participants (
    round_id BIGINT NOT NULL REFERENCES pulse_rounds (id) ON DELETE CASCADE,
    user_id  BIGINT NOT NULL REFERENCES users (id),
    team     TEXT NOT NULL,
    PRIMARY KEY (round_id, user_id, team)
);
-- What was answered, as counts only: how many of a team chose each score for each statement. No row
-- is one person's answer, so nobody (an admin with the database included) can read one person's.
CREATE TABLE pulse_tallies (
    round_id  BIGINT NOT NULL REFERENCES pulse_rounds (id) ON DELETE CASCADE,
    team      TEXT NOT NULL,
    statement BIGINT NOT NULL,
    score     BIGINT NOT NULL CHECK (score BETWEEN 1 AND 5),
    answers   BIGINT NOT NULL,
    PRIMARY KEY (round_id, team, statement, score)
);
