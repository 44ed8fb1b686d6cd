-- Per-month rollups of the per-day aggregates (#18): the finished cases of
-- one Shanghai report month ('YYYY-MM'), street (the first 9 digits of the
-- grid code, '' for none), category and final status, with the same
-- figures as `incident_days` but without minutes to 结案. Kept by the same
-- write path as the day rows: a bucket's old day rows are taken away and
-- its new ones added.
create table if not exists incident_months (
    month     text    not null,
    street    text    not null,
    category  text    not null,
    status    text    not null,
    reported  integer not null,
    due       integer not null,
    on_time   integer not null,
    finished  integer not null,
    reopened  integer not null,
    primary key (month, street, category, status)
);
