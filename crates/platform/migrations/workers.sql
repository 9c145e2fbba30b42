-- The platform's background-work tables, in the database of each service that uses them.

-- Work that must reach another service: one row per (topic, item), claimed with a lease.
CREATE TABLE outbox (
    id              TEXT PRIMARY KEY,       -- topic, a colon, the item
    topic           TEXT NOT NULL,
    item            TEXT NOT NULL,
    generation      BIGINT NOT NULL,        -- bumped by each enqueue, so work done for an older one is not taken as done
    state           TEXT NOT NULL,          -- pending or failed; done rows are deleted
    attempts        BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,        -- microseconds since the UNIX epoch, UTC
    claimed_by      TEXT NOT NULL,
    claimed_until   BIGINT NOT NULL,
    last_error      TEXT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX outbox_due ON outbox (topic, state, next_attempt_at);

-- How far each change feed this service follows has been read.
CREATE TABLE feed_cursors (
    feed     TEXT PRIMARY KEY,
    revision BIGINT NOT NULL
);
