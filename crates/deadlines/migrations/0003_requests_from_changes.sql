-- Request ids answered before move from the change log to the platform's requests table,
-- so a retry sent across the upgrade still gets its first answer.
INSERT INTO requests (request_id, fingerprint, record_id, answer, created_at)
SELECT request_id, request_fingerprint, deadline_id, snapshot, at
FROM deadline_changes WHERE request_id IS NOT NULL AND request_fingerprint IS NOT NULL;
