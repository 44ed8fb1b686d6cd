-- The live window (#18): the index holds open and recent cases; closed or
-- rejected cases reported before the window are read from here, newest
-- first, by time, by grid (prefix: an area's subtree) or by reporter.
-- Partial indexes: only finished cases are read this way.
create index incidents_history_time on incidents (reported_at desc, id collate "C" desc)
    where status in ('closed', 'rejected');
create index incidents_history_grid on incidents (grid text_pattern_ops, reported_at)
    where status in ('closed', 'rejected');
-- Loading the live set at start: open cases, and all cases since the window.
create index incidents_open on incidents (reported_at)
    where status not in ('closed', 'rejected');
