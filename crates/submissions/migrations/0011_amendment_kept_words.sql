-- The words of our text an adopted resolution kept, beside the snapshot holding the whole
-- comparison, so the impact report sums them in SQL instead of reading every amendment.
ALTER TABLE amendments ADD COLUMN kept_words BIGINT NOT NULL DEFAULT 0;

-- Filled from the snapshots on start when this is 0.
CREATE TABLE amendment_kept_words_filled (
    id     BIGINT PRIMARY KEY,
    filled BIGINT NOT NULL
);
INSERT INTO amendment_kept_words_filled (id, filled) VALUES (1, 0);

-- Reports and period lists read amendments by the time they were proposed.
CREATE INDEX amendments_by_created ON amendments (created_at, id);
