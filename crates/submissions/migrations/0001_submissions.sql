-- Submissions to UN mechanisms and national regimes. The whole record, status history
-- included, is the snapshot; the columns are for filtering and counting.

CREATE TABLE submissions (
    id                  TEXT PRIMARY KEY,
    version             BIGINT NOT NULL,
    mechanism           TEXT NOT NULL,
    kind                TEXT NOT NULL,
    country             TEXT NOT NULL,
    status              TEXT NOT NULL,
    created_at          BIGINT NOT NULL,
    confidentiality     TEXT NOT NULL,
    compartment         TEXT NOT NULL,
    request_id          TEXT,
    request_fingerprint TEXT,
    snapshot            TEXT NOT NULL
);

CREATE UNIQUE INDEX submissions_request_id ON submissions (request_id);
CREATE INDEX submissions_by_created ON submissions (created_at, id);
CREATE INDEX submissions_by_mechanism ON submissions (mechanism, created_at, id);
