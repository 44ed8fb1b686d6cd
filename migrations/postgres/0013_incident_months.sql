-- Per-month rollups of the per-day aggregates (#18): the finished cases of
-- one Shanghai report month ('YYYY-MM'), street (the first 9 digits of the
-- grid code, '' for none), category and final status, with the same
-- figures as `incident_days` but without minutes to 结案. A year of
-- statistics by street reads some thirty thousand of these rows at province
-- scale instead of a million day rows. Kept by the same write path as the
-- day rows: a bucket's old day rows are taken away and its new ones added.
create table if not exists incident_months (
    month     text not null,
    street    text not null,
    category  text not null,
    status    text not null,
    reported  int8 not null,
    due       int8 not null,
    on_time   int8 not null,
    finished  int8 not null,
    reopened  int8 not null,
    primary key (month, street, category, status)
);

-- Running counts per grid for hot spots over long windows (#18): one row
-- per grid, `counts[m]` the finished cases reported up to the end of month
-- m (months since 1970-01, January 1970 = 1), from the grid's first month
-- with cases to its last. A window's cases in a grid are two elements
-- subtracted: every grid in one pass over one short row each, not one row
-- per grid and day (summing a slice per row took 3.4 s for 300,000 grids).
create table if not exists grid_months (
    grid   text primary key,
    counts int4[] not null
);
