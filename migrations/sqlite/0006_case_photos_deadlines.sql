-- Evidence photos on a case (re-encoded on the way in, so no EXIF/GPS block
-- survives), numbered 1–9 per incident, with a small JPEG thumbnail.
create table incident_photos (
    incident_id text not null references incidents(id),
    n integer not null,
    content_type text not null,
    data blob not null,
    thumb blob not null,
    width integer not null,
    height integer not null,
    created_at text not null,
    created_by text not null,
    primary key (incident_id, n)
);

-- Handling time per category (办理时限), editable by an administrator. A
-- report takes the hours in force when it is made; changing a row does not
-- move the deadlines of cases already reported.
create table incident_deadlines (
    category text primary key,
    hours integer not null check (hours > 0),
    updated_at text not null,
    updated_by text not null
);
insert into incident_deadlines (category, hours, updated_at, updated_by) values
    ('neighbour', 168, '1970-01-01T00:00:00+00:00', 'system'),
    ('family', 168, '1970-01-01T00:00:00+00:00', 'system'),
    ('land', 360, '1970-01-01T00:00:00+00:00', 'system'),
    ('property', 168, '1970-01-01T00:00:00+00:00', 'system'),
    ('labour', 168, '1970-01-01T00:00:00+00:00', 'system'),
    ('demolition', 360, '1970-01-01T00:00:00+00:00', 'system'),
    ('pollution', 24, '1970-01-01T00:00:00+00:00', 'system'),
    ('security', 24, '1970-01-01T00:00:00+00:00', 'system'),
    ('safety', 2, '1970-01-01T00:00:00+00:00', 'system'),
    ('livelihood', 168, '1970-01-01T00:00:00+00:00', 'system');

-- handling-time statistics scan each incident's steps by action (closed, resolve, revisit)
create index incident_history_action on incident_history(action, incident_id);
