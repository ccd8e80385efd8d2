-- History filtered by channel ("requests made from Slack"): the few requests of a rare channel are
-- found through this index, newest first, instead of by walking every request.
CREATE INDEX requests_channel_time ON requests (channel, created_at, id);
