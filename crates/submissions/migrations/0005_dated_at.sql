-- The date impact reports count a submission at: when it went out (its first status after
-- draft), or when it was recorded if it has not. A submission recorded long after it was
-- sent, or imported, counts in the period it was sent, not the period it was typed in.
-- Rows from before this column take their recording time.

ALTER TABLE submissions ADD COLUMN dated_at BIGINT;
UPDATE submissions SET dated_at = created_at;
CREATE INDEX submissions_by_date ON submissions (dated_at);
