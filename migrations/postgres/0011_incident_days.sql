-- Per-day aggregates of finished cases (#18): statistics over history read
-- these instead of every historic case. One row per Shanghai report day,
-- grid ('' for none), category, final status and minutes from report to
-- 结案 (-1: not closed, or not handled: a duplicate or rejected), holding
-- how many cases, and of the handled: due, finished (办结) by the
-- deadline, finished, and finished then reopened. Kept by the store's
-- write path (a case's bucket is recomputed in the write's transaction);
-- filled once at start-up when the meta key `incident_days` is missing.
create table if not exists incident_days (
    day       text    not null,
    grid      text    not null,
    category  text    not null,
    status    text    not null,
    close_min int8 not null,
    reported  int8 not null,
    due       int8 not null,
    on_time   int8 not null,
    finished  int8 not null,
    reopened  int8 not null,
    primary key (day, grid, category, status, close_min)
);
