-- The deadlines the notifier reminds, as the deadlines change feed last showed them.
CREATE TABLE deadlines (
    id              TEXT PRIMARY KEY,
    revision        BIGINT NOT NULL,        -- feed revision of this state; older changes are ignored
    title           TEXT NOT NULL,
    mechanism       TEXT NOT NULL,
    kind            BIGINT NOT NULL,        -- advocacy.v1.DeadlineKind
    zone            TEXT NOT NULL,          -- the issuing body's IANA zone
    due_at          BIGINT NOT NULL,        -- microseconds since the UNIX epoch, UTC
    status          BIGINT NOT NULL,        -- advocacy.v1.DeadlineStatus
    owners          TEXT NOT NULL,          -- email addresses, one per line
    lead_minutes    TEXT NOT NULL,          -- comma-separated, largest first
    confidentiality TEXT NOT NULL,
    compartment     TEXT NOT NULL
);
CREATE INDEX deadlines_open ON deadlines (status, due_at);

-- One email to one person. Its key (what, deadline, due instant, lead, recipient) is
-- unique, so replaying the change feed never plans a message twice.
CREATE TABLE deliveries (
    id           TEXT PRIMARY KEY,
    purpose      TEXT NOT NULL,             -- reminder, escalation, digest or test
    deadline_id  TEXT NOT NULL,             -- '' for digests and tests
    due_at       BIGINT NOT NULL,
    lead_minutes BIGINT NOT NULL,
    recipient    TEXT NOT NULL,
    catch_up     BIGINT NOT NULL,           -- 1: one message for leads whose moment had passed
    state        TEXT NOT NULL,             -- planned, sent, cancelled or skipped (retrying and failed: the outbox)
    reason       TEXT NOT NULL,
    send_at      BIGINT NOT NULL,
    sent_at      BIGINT,
    attempts     BIGINT NOT NULL,
    message_id   TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    UNIQUE (purpose, deadline_id, due_at, lead_minutes, recipient)
);
CREATE INDEX deliveries_by_deadline ON deliveries (deadline_id, state);
CREATE INDEX deliveries_by_send_at ON deliveries (send_at, id);
CREATE INDEX deliveries_by_recipient ON deliveries (recipient, purpose, due_at);
