-- Marking a delivery sent changes its state and nothing else that is indexed once state
-- is in no index: SQLite then updates no index, and PostgreSQL can write the new row
-- version into the same page without new index entries (a HOT update), if the page has
-- room. Planning fills pages in the order a batch is later sent, so each page keeps half
-- free for its rows' next versions; the outbox rows a batch claims likewise.
DROP INDEX deliveries_by_deadline;
CREATE INDEX deliveries_by_deadline ON deliveries (deadline_id);
-- postgres: ALTER TABLE deliveries SET (fillfactor = 50);
-- postgres: ALTER TABLE outbox SET (fillfactor = 50);
