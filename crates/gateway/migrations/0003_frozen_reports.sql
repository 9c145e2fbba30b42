-- Impact reports as they were told to donors and boards: the figures and the records behind
-- each, kept exactly as frozen.
CREATE TABLE frozen_reports (
    id           TEXT PRIMARY KEY,
    frozen_at    BIGINT NOT NULL,
    frozen_by    TEXT NOT NULL,
    -- The compartments of whoever froze it: only people holding all of them may open it,
    -- since its figures count what they could see.
    compartments TEXT NOT NULL,
    label        TEXT NOT NULL,
    -- The FrozenReport message, protobuf-encoded, base64.
    body         TEXT NOT NULL
);

CREATE INDEX frozen_reports_by_time ON frozen_reports (frozen_at);
