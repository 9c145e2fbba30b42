-- Follow-ups waiting for their deadline move from columns of their own to the platform's
-- outbox (claimed with a lease, so replicas never push one twice), and the change-feed
-- revision to the platform's feed cursors.
INSERT INTO outbox (id, topic, item, generation, state, attempts, next_attempt_at, claimed_by, claimed_until,
                    last_error, updated_at)
SELECT 'follow-up-deadline:' || id, 'follow-up-deadline', id, 1, 'pending', attempts, next_attempt_at, '', 0,
       last_error, next_attempt_at
FROM follow_ups WHERE synced = 0;

INSERT INTO feed_cursors (feed, revision) SELECT 'deadlines', revision FROM feed_cursor WHERE id = 1;
DROP TABLE feed_cursor;

DROP INDEX follow_ups_pending;
ALTER TABLE follow_ups DROP COLUMN synced;
ALTER TABLE follow_ups DROP COLUMN attempts;
ALTER TABLE follow_ups DROP COLUMN next_attempt_at;
ALTER TABLE follow_ups DROP COLUMN last_error;
