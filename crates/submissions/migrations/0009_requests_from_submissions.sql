-- Request ids answered before move to the platform's requests table, so a retry sent
-- across the upgrade still gets its first answer. (Resolutions, amendments and
-- publications kept no fingerprint of their requests; their ids stay taken.)
INSERT INTO requests (request_id, fingerprint, record_id, answer, created_at)
SELECT request_id, request_fingerprint, id, snapshot, created_at
FROM submissions WHERE request_id IS NOT NULL AND request_fingerprint IS NOT NULL;
