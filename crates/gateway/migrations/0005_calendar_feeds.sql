-- A person's calendar subscription: the hash of the secret in its address, never the
-- secret. One live feed per person; making a new one revokes the old.
CREATE TABLE calendar_feeds (
    token_hash  TEXT PRIMARY KEY,
    email       TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT               -- NULL while the address works
);
CREATE INDEX calendar_feeds_by_email ON calendar_feeds (email);
