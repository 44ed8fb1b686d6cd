-- minqing schema, embedded SQLite. Geometry is WKB with a bounding box;
-- the in-memory index answers spatial queries, so no spatial extension is needed.

create table meta (
    key text primary key,
    value text not null
);

create table areas (
    code text primary key,
    name text not null,
    level text not null,
    parent text references areas(code),
    head_name text,
    head_phone text,
    households integer not null default 0,
    residents integer not null default 0,
    geom blob not null,
    minx real not null,
    miny real not null,
    maxx real not null,
    maxy real not null
);
-- children of an area (the hierarchy walk in load and exports)
create index areas_parent on areas(parent);

create table shelters (
    id text primary key,
    name text not null,
    capacity integer not null,
    address text not null default '',
    lon real not null,
    lat real not null
);

create table hazards (
    id text primary key,
    name text not null,
    kind text not null,
    risk text not null,
    threatened_households integer not null,
    threatened_persons integer not null,
    monitor_name text not null,
    monitor_phone text not null,
    leader_name text not null,
    leader_phone text not null,
    shelter text,
    status text not null,
    lon real not null,
    lat real not null
);

create table places (
    id text primary key,
    name text not null,
    kind text not null,
    visit_every_hours integer not null,
    radius_m real not null,
    lon real not null,
    lat real not null
);

create table incidents (
    id text primary key,
    category text not null,
    source text not null,
    description text not null,
    grid text,
    status text not null,
    reported_at text not null,
    deadline text not null,
    version integer not null default 1,
    lon real not null,
    lat real not null
);

create table incident_history (
    id integer primary key autoincrement,
    incident_id text not null references incidents(id),
    at text not null,
    actor text not null,
    action text not null,
    status text not null,
    note text not null default ''
);
-- an incident's history in order (incident detail)
create index incident_history_incident on incident_history(incident_id, id);

create table idempotency (
    username text not null,
    key text not null,
    answer text not null,
    created_at text not null,
    primary key (username, key)
);

create table people (
    id text primary key,
    category text not null,
    name text not null,
    id_number text not null,
    phone text not null,
    address text not null,
    risk_level integer,
    next_visit text,
    lon real not null,
    lat real not null
);

create table patrol_members (
    id text primary key,
    name text not null,
    team text not null
);

create table patrol_points (
    member_id text not null references patrol_members(id),
    t text not null,
    lon real not null,
    lat real not null
);
-- a member's track in time order (load, coverage windows)
create index patrol_points_member_t on patrol_points(member_id, t);

create table users (
    username text primary key,
    password_hash text not null,
    role text not null,
    areas text not null default '',
    failed_logins integer not null default 0,
    locked_until text
);

create table sessions (
    token_hash text primary key,
    username text not null references users(username),
    csrf text not null,
    expires_at text not null
);

create table audit (
    id integer primary key autoincrement,
    at text not null,
    username text not null,
    action text not null,
    records text not null,
    purpose text
);

create table changes (
    seq integer primary key autoincrement,
    at text not null,
    kind text not null,
    record_id text not null,
    minx real not null,
    miny real not null,
    maxx real not null,
    maxy real not null
);
