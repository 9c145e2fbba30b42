-- Our publications.
CREATE TABLE publications (
    id              TEXT PRIMARY KEY,
    version         BIGINT NOT NULL,
    kind            TEXT NOT NULL,
    published_at    BIGINT NOT NULL,
    confidentiality TEXT NOT NULL,
    compartment     TEXT NOT NULL,
    request_id      TEXT,
    snapshot        TEXT NOT NULL
);

CREATE UNIQUE INDEX publications_request_id ON publications (request_id);
CREATE INDEX publications_by_published ON publications (published_at, id);
