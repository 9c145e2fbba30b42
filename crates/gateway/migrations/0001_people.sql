-- The people who use the product: who they are, what they may do, how they sign in.
CREATE TABLE people (
    email         TEXT PRIMARY KEY,   -- lower case
    name          TEXT NOT NULL,
    roles         TEXT NOT NULL,      -- sorted, comma-separated: admin,manager,staff
    compartments  TEXT NOT NULL,      -- sorted, comma-separated
    zone          TEXT NOT NULL,
    language      TEXT NOT NULL,      -- en or ko
    manager       TEXT NOT NULL,      -- an email, or '' for none
    password_hash TEXT NOT NULL,      -- argon2id in PHC form, or '' (cannot sign in yet)
    disabled_at   BIGINT,             -- microseconds; NULL while the person may sign in
    version       BIGINT NOT NULL,
    created_by    TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_by    TEXT NOT NULL,
    updated_at    BIGINT NOT NULL
);

-- A signed-in session: the hash of its refresh token, never the token.
CREATE TABLE sessions (
    token_hash  TEXT PRIMARY KEY,
    email       TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    ended_at    BIGINT               -- signed out, refreshed, or the person disabled
);
CREATE INDEX sessions_by_email ON sessions (email);

-- Failed sign-ins, per account ('email:...') and per client address ('address:...'),
-- counted over a window to refuse guessing.
CREATE TABLE sign_in_failures (
    subject TEXT NOT NULL,
    at      BIGINT NOT NULL
);
CREATE INDEX sign_in_failures_by_subject ON sign_in_failures (subject, at);
