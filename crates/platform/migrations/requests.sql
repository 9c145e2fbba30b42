-- Every write a client may retry, by its request id: what it asked (a fingerprint of the
-- request) and what it was answered, so a retry gets the same answer and a reused id
-- with other content is refused.
CREATE TABLE requests (
    request_id  TEXT PRIMARY KEY,   -- the caller's subject, a newline, the client's id
    fingerprint TEXT NOT NULL,
    record_id   TEXT NOT NULL,      -- the record the answer is about, to check it is still visible
    answer      TEXT NOT NULL,      -- the answer as JSON
    created_at  BIGINT NOT NULL
);

-- Erasing a person's data finds the requests that recorded it.
CREATE INDEX requests_by_record ON requests (record_id);
