-- Notifications and the channels beyond the portal (issue #16): the outbox, deliveries, each
-- person's choices, and the Jira tickets requests came from.

-- The outbox. Every request event a person may want to hear about is also written here, by a
-- trigger, in the transaction that writes the event, whichever code path wrote it: an event is never
-- committed without its outbox row, and a crash between the two cannot lose one. Workers that run
-- notifications move the rows into `notify` jobs (db::notify::relay); the jobs' handler
-- (core::notify) works out who hears about each event and delivers.
CREATE TABLE notification_outbox (
    id       BIGSERIAL PRIMARY KEY,
    event_id BIGINT NOT NULL
);
CREATE FUNCTION request_events_outbox() RETURNS trigger AS $$
BEGIN
    INSERT INTO notification_outbox (event_id) VALUES (NEW.id);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER request_events_outbox AFTER INSERT ON request_events FOR EACH ROW
    WHEN (NEW.kind IN ('queued', 'approval_requested', 'approved', 'rejected', 'expired', 'succeeded', 'failed', 'cancelled'))
    EXECUTE FUNCTION request_events_outbox();

-- One message to one person on one channel about one event. The unique key makes the fan-out
-- idempotent: a retried or rescued `notify` job finds the rows it already made, and sends only
-- those not yet sent.
CREATE TABLE notification_deliveries (
    id           BIGSERIAL PRIMARY KEY,
    event_id     BIGINT NOT NULL REFERENCES request_events (id) ON DELETE CASCADE,
    request_id   BIGINT NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    -- core::notify::Notification: finished, queued, approval_needed, approval_decided,
    -- manual_waiting, secret_waiting; or jira_comment for the ticket a request came from.
    notification TEXT NOT NULL,
    -- NULL for a Jira comment (it goes to the ticket, not to a person).
    user_id      BIGINT REFERENCES users (id) ON DELETE CASCADE,
    channel      TEXT NOT NULL CHECK (channel IN ('email', 'slack', 'jira')),
    status       TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts     BIGINT NOT NULL DEFAULT 0,
    -- The last failure, as shown to admins (never a secret: addresses and API answers only).
    last_error   TEXT,
    -- Where the sent message lives, to change it later (a Slack approval message: `channel ts`).
    external_ref TEXT,
    created_at   TIMESTAMPTZ NOT NULL,
    sent_at      TIMESTAMPTZ
);
CREATE UNIQUE INDEX notification_deliveries_once
    ON notification_deliveries (event_id, notification, COALESCE(user_id, 0), channel);
CREATE INDEX notification_deliveries_status ON notification_deliveries (status, id);

-- A person's choice for one notification on one channel; without a row the default applies
-- (core::notify::Notification::default_on).
CREATE TABLE notification_preferences (
    user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    notification TEXT NOT NULL,
    channel      TEXT NOT NULL CHECK (channel IN ('email', 'slack')),
    enabled      BOOLEAN NOT NULL,
    PRIMARY KEY (user_id, notification, channel)
);

-- Jira webhooks seen, by X-Atlassian-Webhook-Identifier: Jira retries a delivery with the same
-- identifier, and a repeat is answered without doing anything twice.
CREATE TABLE jira_webhooks (
    identifier  TEXT PRIMARY KEY,
    received_at TIMESTAMPTZ NOT NULL
);

-- The Jira ticket a request was made from, so its outcome is commented back and the ticket moved on.
CREATE TABLE request_tickets (
    request_id BIGINT PRIMARY KEY REFERENCES requests (id) ON DELETE CASCADE,
    issue_key  TEXT NOT NULL,
    issue_id   TEXT NOT NULL
);
CREATE INDEX request_tickets_issue ON request_tickets (issue_key);

-- Comments on tickets that made no request (what is missing, who is unknown) that Jira refused
-- for good, for the admins' delivery report.
CREATE TABLE jira_comment_failures (
    id        BIGSERIAL PRIMARY KEY,
    issue_key TEXT NOT NULL,
    error     TEXT NOT NULL,
    failed_at TIMESTAMPTZ NOT NULL
);
