-- The change (changes.seq) that wrote each patrol fix (same logical schema as
-- PostGIS). No index: an SQLite store has one writer process, so no other
-- instance ever looks a batch up, and ingest stays one index lighter.
alter table patrol_points add column batch integer;
