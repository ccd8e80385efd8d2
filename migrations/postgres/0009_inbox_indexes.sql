-- The inboxes (`db::inbox`) filter waiting requests in SQL and page through them newest first by
-- id: these partial indexes hold only the waiting rows, however long the history grows.
CREATE INDEX requests_pending_approval_id ON requests (id) WHERE status = 'pending_approval';
CREATE INDEX requests_open_manual_id ON requests (id) WHERE executor = 'manual' AND status IN ('queued', 'running');
