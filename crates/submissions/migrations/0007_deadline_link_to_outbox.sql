-- Submissions whose linked deadline waits to be completed move from columns of their own
-- to the platform's outbox, claimed with a lease so replicas never push one twice.
INSERT INTO outbox (id, topic, item, generation, state, attempts, next_attempt_at, claimed_by, claimed_until,
                    last_error, updated_at)
SELECT 'submission-deadline:' || id, 'submission-deadline', id, 1, 'pending', attempts, next_attempt_at, '', 0,
       last_error, next_attempt_at
FROM submissions WHERE deadline_pending = 1;

DROP INDEX submissions_deadline_pending;
ALTER TABLE submissions DROP COLUMN deadline_pending;
ALTER TABLE submissions DROP COLUMN attempts;
ALTER TABLE submissions DROP COLUMN next_attempt_at;
ALTER TABLE submissions DROP COLUMN last_error;
