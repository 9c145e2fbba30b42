-- Institutions, briefings, and follow-ups with their outbox state towards the deadlines
-- service. One schema for SQLite and PostgreSQL: BIGINT instants are UTC microseconds.

CREATE TABLE institutions (
    id              TEXT PRIMARY KEY,
    version         BIGINT NOT NULL,
    name            TEXT NOT NULL,
    -- Lower case, accents and repeated spaces removed: "Ministère  des Affaires" and
    -- "ministere des affaires" are one institution of an actor.
    normalized_name TEXT NOT NULL,
    kind            TEXT NOT NULL,
    actor           TEXT NOT NULL,
    city            TEXT NOT NULL,
    parent_id       TEXT REFERENCES institutions (id),
    request_id      TEXT,
    snapshot        TEXT NOT NULL
);

CREATE UNIQUE INDEX institutions_actor_name ON institutions (actor, normalized_name);
CREATE UNIQUE INDEX institutions_request_id ON institutions (request_id);
CREATE INDEX institutions_by_actor ON institutions (actor, normalized_name);

CREATE TABLE briefings (
    id                  TEXT PRIMARY KEY,
    version             BIGINT NOT NULL,
    at                  BIGINT NOT NULL,
    -- "2027-04", in the zone where the briefing took place.
    month               TEXT NOT NULL,
    city                TEXT NOT NULL,
    format              TEXT NOT NULL,
    quiet               BIGINT NOT NULL,
    confidentiality     TEXT NOT NULL,
    compartment         TEXT NOT NULL,
    request_id          TEXT,
    request_fingerprint TEXT,
    snapshot            TEXT NOT NULL
);

CREATE INDEX briefings_by_at ON briefings (at, id);
CREATE UNIQUE INDEX briefings_request_id ON briefings (request_id);

-- Who was briefed, as counted: one row per actor (government or multilateral body).
CREATE TABLE briefing_actors (
    briefing_id TEXT NOT NULL REFERENCES briefings (id),
    actor       TEXT NOT NULL,
    actor_kind  TEXT NOT NULL,
    PRIMARY KEY (briefing_id, actor)
);

CREATE INDEX briefing_actors_by_actor ON briefing_actors (actor, briefing_id);

CREATE TABLE briefing_institutions (
    briefing_id    TEXT NOT NULL REFERENCES briefings (id),
    institution_id TEXT NOT NULL REFERENCES institutions (id),
    PRIMARY KEY (briefing_id, institution_id)
);

CREATE TABLE briefing_themes (
    briefing_id TEXT NOT NULL REFERENCES briefings (id),
    theme       TEXT NOT NULL,
    PRIMARY KEY (briefing_id, theme)
);

CREATE INDEX briefing_themes_by_theme ON briefing_themes (theme, briefing_id);

-- Follow-ups, and what the deadlines service knows of each (an outbox): `synced` is 0
-- while the deadline still has to be created there, or completed there.
CREATE TABLE follow_ups (
    id              TEXT PRIMARY KEY,
    briefing_id     TEXT NOT NULL REFERENCES briefings (id),
    position        BIGINT NOT NULL,
    action          TEXT NOT NULL,
    owner           TEXT NOT NULL,
    due_at          BIGINT NOT NULL,
    zone            TEXT NOT NULL,
    deadline_id     TEXT,
    done_at         BIGINT,
    synced          BIGINT NOT NULL,
    attempts        BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    last_error      TEXT NOT NULL
);

CREATE INDEX follow_ups_by_briefing ON follow_ups (briefing_id, position);
CREATE INDEX follow_ups_pending ON follow_ups (synced, next_attempt_at);
CREATE INDEX follow_ups_by_deadline ON follow_ups (deadline_id);

-- How far the deadlines change feed has been read (follow-ups completed over there).
CREATE TABLE feed_cursor (
    id       BIGINT PRIMARY KEY,
    revision BIGINT NOT NULL
);

INSERT INTO feed_cursor (id, revision) VALUES (1, 0);
