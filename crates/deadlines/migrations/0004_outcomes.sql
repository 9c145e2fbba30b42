-- What became of each completed due time (each occurrence of a recurring deadline has its
-- own), so impact figures count them in SQL. Filled by every completion; completions made
-- before this table are read into it from the change log when the service starts.
CREATE TABLE deadline_outcomes (
    deadline_id TEXT NOT NULL REFERENCES deadlines (id),
    due_at      BIGINT NOT NULL,
    done_at     BIGINT NOT NULL,
    on_time     BIGINT NOT NULL,
    PRIMARY KEY (deadline_id, due_at)
);

CREATE INDEX deadline_outcomes_by_due ON deadline_outcomes (due_at);

-- Filled from the change log on start when this is 0.
CREATE TABLE deadline_outcomes_filled (
    id     BIGINT PRIMARY KEY,
    filled BIGINT NOT NULL
);
INSERT INTO deadline_outcomes_filled (id, filled) VALUES (1, 0);
