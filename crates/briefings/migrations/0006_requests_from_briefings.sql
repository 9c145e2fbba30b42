-- Briefings logged before keep their request ids, so a retry sent across the upgrade
-- still gets its first answer (without the follow-ups, which the snapshot never held).
-- Institutions and contacts kept no fingerprint of their requests; their ids stay taken.
INSERT INTO requests (request_id, fingerprint, record_id, answer, created_at)
SELECT request_id, request_fingerprint, id, '{"briefing":' || snapshot || ',"follow_ups":[]}', 0
FROM briefings WHERE request_id IS NOT NULL AND request_fingerprint IS NOT NULL;
