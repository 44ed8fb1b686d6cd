-- Follow-up visits (走访) to special-population records, the schedule that
-- says how often each category and risk level is visited, and idempotency
-- keys for every creating request (one table for every route).

-- How often records are visited: the row of a category with the highest
-- risk_level not above the record's risk applies. Seeded with defaults;
-- admins change it with PUT /api/config/visits.
create table visit_schedules (
    category text not null,
    risk_level integer not null,
    every_days integer not null,
    primary key (category, risk_level)
);

insert into visit_schedules (category, risk_level, every_days) values
    ('released', 0, 90), ('released', 3, 14),
    ('corrections', 0, 30), ('corrections', 3, 14),
    ('drug', 0, 30), ('drug', 3, 14),
    ('mental', 0, 90), ('mental', 1, 30), ('mental', 3, 14),
    ('youth', 0, 30), ('youth', 3, 14),
    ('aids', 0, 90), ('aids', 3, 14),
    ('elderly_alone', 0, 30), ('elderly_alone', 3, 14),
    ('left_behind_child', 0, 30), ('left_behind_child', 3, 14),
    ('disabled', 0, 90), ('disabled', 3, 14);

create table visits (
    id text primary key,
    person_id text not null,
    -- the record's grid when visited (the export's rights follow the record's grid now)
    grid text,
    at text not null,
    how text not null,
    note text not null,
    visitor text not null,
    lon real,
    lat real,
    risk_before integer,
    risk_after integer,
    next_due text,
    created_at text not null
);
-- a person's visits, newest first (GET /api/people/{id}/visits, the last visit on a schedule change)
create index visits_person_at on visits(person_id, at);
-- visits done since a date (GET /api/visits?since=, the export)
create index visits_at on visits(at);

-- One row per (account, key): the request's route and fingerprint, and once it
-- finished, the status and body replayed to a retry. Replaces `idempotency`,
-- whose rows (incidents and warnings, no fingerprint) are kept as answers.
create table idempotency_keys (
    username text not null,
    key text not null,
    route text,
    fingerprint text,
    status integer,
    answer text,
    created_at text not null,
    primary key (username, key)
);
insert into idempotency_keys (username, key, route, fingerprint, status, answer, created_at)
    select username, key, null, null, 201, answer, created_at from idempotency;
drop table idempotency;
