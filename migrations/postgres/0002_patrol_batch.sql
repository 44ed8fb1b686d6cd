-- The change (changes.seq) that wrote each patrol fix, so other instances
-- sharing this database can apply a `patrol.track` change to their index.
alter table patrol_points add column batch bigint;
-- the fixes of one batch (catch-up after a patrol.track change); BRIN because
-- batches grow with insertion order, and it costs ingest next to nothing
create index patrol_points_batch on patrol_points using brin (batch);
