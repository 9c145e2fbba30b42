-- The outbox towards the deadlines service: a submitted submission with a linked
-- deadline stays pending until that deadline is completed there.
ALTER TABLE submissions ADD COLUMN deadline_pending BIGINT NOT NULL DEFAULT 0;
ALTER TABLE submissions ADD COLUMN attempts BIGINT NOT NULL DEFAULT 0;
ALTER TABLE submissions ADD COLUMN next_attempt_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE submissions ADD COLUMN last_error TEXT NOT NULL DEFAULT '';
CREATE INDEX submissions_deadline_pending ON submissions (deadline_pending, next_attempt_at);
