-- Where each session was opened: a web page's cookie is not an API refresh token, nor
-- the other way round. Sessions from before were the API's.
ALTER TABLE sessions ADD COLUMN kind TEXT NOT NULL DEFAULT 'api';
