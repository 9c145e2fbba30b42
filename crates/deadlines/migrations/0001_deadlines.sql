-- Deadlines, their owners, and the change feed the notifier follows.
-- One schema for SQLite and PostgreSQL: BIGINT instants are UTC microseconds.

CREATE TABLE deadlines (
    id                TEXT PRIMARY KEY,
    version           BIGINT NOT NULL,
    title             TEXT NOT NULL,
    mechanism         TEXT NOT NULL,
    kind              TEXT NOT NULL,
    due_at            BIGINT NOT NULL,
    zone              TEXT NOT NULL,
    status            TEXT NOT NULL,
    confidentiality   TEXT NOT NULL,
    compartment       TEXT NOT NULL,
    revision          BIGINT NOT NULL,
    -- The whole record as the domain sees it; the columns above are for filtering.
    snapshot          TEXT NOT NULL
);

CREATE INDEX deadlines_by_due ON deadlines (due_at, id);
CREATE INDEX deadlines_by_status_due ON deadlines (status, due_at, id);
CREATE INDEX deadlines_by_mechanism_due ON deadlines (mechanism, due_at, id);

CREATE TABLE deadline_owners (
    deadline_id TEXT NOT NULL REFERENCES deadlines (id),
    owner       TEXT NOT NULL,
    PRIMARY KEY (deadline_id, owner)
);

CREATE INDEX deadline_owners_by_owner ON deadline_owners (owner, deadline_id);

-- Every change, in revision order. A revision is handed out under the lock on
-- feed_head, so revisions commit in the order they are numbered: a reader that has seen
-- revision N will never later find a smaller one appear.
CREATE TABLE deadline_changes (
    revision            BIGINT PRIMARY KEY,
    deadline_id         TEXT NOT NULL,
    kind                TEXT NOT NULL,
    at                  BIGINT NOT NULL,
    actor               TEXT NOT NULL,
    previous_due        BIGINT,
    reason              TEXT NOT NULL,
    confidentiality     TEXT NOT NULL,
    compartment         TEXT NOT NULL,
    snapshot            TEXT NOT NULL,
    request_id          TEXT,
    request_fingerprint TEXT
);

CREATE UNIQUE INDEX deadline_changes_request_id ON deadline_changes (request_id);
CREATE INDEX deadline_changes_by_deadline ON deadline_changes (deadline_id, revision);

CREATE TABLE feed_head (
    id       BIGINT PRIMARY KEY,
    revision BIGINT NOT NULL
);

INSERT INTO feed_head (id, revision) VALUES (1, 0);
