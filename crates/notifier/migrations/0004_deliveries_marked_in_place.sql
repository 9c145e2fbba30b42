-- Marking a delivery sent changes its state and nothing else that is indexed once state
-- is in no index: SQLite then updates no index, and PostgreSQL can write the new row
-- version into the same page without new index entries (a HOT update), if the page has
-- room. A batch marks many rows of the same pages sent in one transaction, so pages keep
-- half free for their rows' next versions, the outbox's likewise for claims. The cost is
-- about twice the space for both tables on PostgreSQL; pages filled before this keep
-- theirs packed. The index is rebuilt with the table locked: quick at the sizes here.
DROP INDEX deliveries_by_deadline;
CREATE INDEX deliveries_by_deadline ON deliveries (deadline_id);
-- postgres: ALTER TABLE deliveries SET (fillfactor = 50);
-- postgres: ALTER TABLE outbox SET (fillfactor = 50);
