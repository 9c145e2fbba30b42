-- Actors briefed in a period are counted by looking up each briefing's actors of one
-- kind; with the kind and actor in the index the lookup never reads the table.
CREATE INDEX briefing_actors_by_briefing_kind ON briefing_actors (briefing_id, actor_kind, actor);
