-- Resolutions and the amendments we propose to them. Snapshots hold the records; the
-- columns are for filtering and counting.

CREATE TABLE resolutions (
    id         TEXT PRIMARY KEY,
    version    BIGINT NOT NULL,
    body       TEXT NOT NULL,
    session    TEXT NOT NULL,
    state      TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    request_id TEXT,
    snapshot   TEXT NOT NULL
);

CREATE UNIQUE INDEX resolutions_request_id ON resolutions (request_id);
CREATE INDEX resolutions_by_body ON resolutions (body, session);

CREATE TABLE amendments (
    id              TEXT PRIMARY KEY,
    version         BIGINT NOT NULL,
    resolution_id   TEXT NOT NULL REFERENCES resolutions (id),
    status          TEXT NOT NULL,
    confidentiality TEXT NOT NULL,
    compartment     TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    request_id      TEXT,
    snapshot        TEXT NOT NULL
);

CREATE UNIQUE INDEX amendments_request_id ON amendments (request_id);
CREATE INDEX amendments_by_resolution ON amendments (resolution_id, created_at);
