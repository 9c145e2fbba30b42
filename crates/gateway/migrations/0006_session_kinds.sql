-- Where each session was opened: a web page's cookie is not an API refresh token, nor
-- the other way round. Sessions open before this could be of either kind and are ended:
-- everyone signs in once more.
ALTER TABLE sessions ADD COLUMN kind TEXT NOT NULL DEFAULT 'api';
UPDATE sessions SET ended_at = created_at WHERE ended_at IS NULL;

-- One live calendar address per person, even when two are made at once.
CREATE UNIQUE INDEX calendar_feeds_live ON calendar_feeds (email) WHERE revoked_at IS NULL;
