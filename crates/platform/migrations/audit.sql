-- Every write and every read of a restricted record: who, when, which RPC, which record,
-- and nothing of the record itself. Each entry holds the hash of the one before it.
CREATE TABLE audit_log (
    seq        BIGINT PRIMARY KEY,   -- 1, 2, 3, ... with no gaps
    at         BIGINT NOT NULL,      -- microseconds since the epoch, UTC
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,        -- the RPC, such as CreateDeadline
    kind       TEXT NOT NULL,        -- write or read
    record_id  TEXT NOT NULL,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
);

CREATE INDEX audit_log_by_time ON audit_log (at);
