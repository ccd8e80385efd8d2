-- Sessions are stored under the SHA-256 (hex) of their id, never the id itself: the cookie carries
-- the id, so whoever can read this table (a backup, a read-only replica) cannot take a session
-- over. Existing rows are keyed by the plain id and would never match again: they are deleted, and
-- everyone signs in once more.
DELETE FROM sessions;
ALTER TABLE sessions RENAME COLUMN id TO id_hash;
