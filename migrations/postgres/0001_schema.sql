-- minqing schema, PostGIS. Geometry columns in SRID 4326 so QGIS and GDAL
-- open the tables directly. The postgis extension is created before migrating.

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
    households bigint not null default 0,
    residents bigint not null default 0,
    geom geometry(MultiPolygon, 4326) not null
);
-- children of an area (the hierarchy walk in load and exports)
create index areas_parent on areas(parent);
-- bbox and point-in-polygon queries from GIS clients and tile servers
create index areas_geom on areas using gist (geom);

create table shelters (
    id text primary key,
    name text not null,
    capacity bigint not null,
    address text not null default '',
    geom geometry(Point, 4326) not null
);
-- bbox queries from GIS clients
create index shelters_geom on shelters using gist (geom);

create table hazards (
    id text primary key,
    name text not null,
    kind text not null,
    risk text not null,
    threatened_households bigint not null,
    threatened_persons bigint not null,
    monitor_name text not null,
    monitor_phone text not null,
    leader_name text not null,
    leader_phone text not null,
    shelter text,
    status text not null,
    geom geometry(Point, 4326) not null
);
-- bbox and nearest queries from GIS clients
create index hazards_geom on hazards using gist (geom);

create table places (
    id text primary key,
    name text not null,
    kind text not null,
    visit_every_hours bigint not null,
    radius_m double precision not null,
    geom geometry(Point, 4326) not null
);
-- bbox queries from GIS clients
create index places_geom on places using gist (geom);

create table incidents (
    id text primary key,
    category text not null,
    source text not null,
    description text not null,
    grid text,
    status text not null,
    reported_at timestamptz not null,
    deadline timestamptz not null,
    version bigint not null default 1,
    geom geometry(Point, 4326) not null
);
-- bbox queries from GIS clients
create index incidents_geom on incidents using gist (geom);
-- per-grid counts and the grid head's list
create index incidents_grid on incidents(grid);

create table incident_history (
    id bigserial primary key,
    incident_id text not null references incidents(id),
    at timestamptz not null,
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
    created_at timestamptz not null,
    primary key (username, key)
);

create table people (
    id text primary key,
    category text not null,
    name text not null,
    id_number text not null,
    phone text not null,
    address text not null,
    risk_level bigint,
    next_visit date,
    geom geometry(Point, 4326) not null
);
-- bbox queries (by rights, through the app only)
create index people_geom on people using gist (geom);

create table patrol_members (
    id text primary key,
    name text not null,
    team text not null
);

create table patrol_points (
    member_id text not null references patrol_members(id),
    t timestamptz not null,
    geom geometry(Point, 4326) not null
);
-- a member's track in time order (load, coverage windows)
create index patrol_points_member_t on patrol_points(member_id, t);

create table users (
    username text primary key,
    password_hash text not null,
    role text not null,
    areas text not null default '',
    failed_logins bigint not null default 0,
    locked_until timestamptz
);

create table sessions (
    token_hash text primary key,
    username text not null references users(username),
    csrf text not null,
    expires_at timestamptz not null
);

create table audit (
    id bigserial primary key,
    at timestamptz not null,
    username text not null,
    action text not null,
    records text not null,
    purpose text
);

create table changes (
    seq bigserial primary key,
    at timestamptz not null,
    kind text not null,
    record_id text not null,
    minx double precision not null,
    miny double precision not null,
    maxx double precision not null,
    maxy double precision not null
);
