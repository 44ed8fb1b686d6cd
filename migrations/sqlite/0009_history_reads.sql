-- The live window (#18): the index holds open and recent cases; closed or
-- rejected cases reported before the window are read from here, newest
-- first, by time or by grid (an area's subtree).
-- Partial indexes: only finished cases are read this way.
create index incidents_history_time on incidents (reported_at, id)
    where status in ('closed', 'rejected');
create index incidents_history_grid on incidents (grid, reported_at)
    where status in ('closed', 'rejected');
