-- People at institutions: personal data, restricted to the "contacts" compartment, and
-- erasable (the row stays, emptied, so briefings can say "a contact (erased)").

CREATE TABLE contacts (
    id             TEXT PRIMARY KEY,
    version        BIGINT NOT NULL,
    institution_id TEXT NOT NULL REFERENCES institutions (id),
    name           TEXT NOT NULL,
    role           TEXT NOT NULL,
    email          TEXT NOT NULL,
    phone          TEXT NOT NULL,
    erased_at      BIGINT,
    request_id     TEXT,
    created_by     TEXT NOT NULL,
    created_at     BIGINT NOT NULL
);

CREATE UNIQUE INDEX contacts_request_id ON contacts (request_id);
CREATE INDEX contacts_by_institution ON contacts (institution_id);

CREATE TABLE briefing_contacts (
    briefing_id TEXT NOT NULL REFERENCES briefings (id),
    contact_id  TEXT NOT NULL REFERENCES contacts (id),
    PRIMARY KEY (briefing_id, contact_id)
);

CREATE INDEX briefing_contacts_by_contact ON briefing_contacts (contact_id);
