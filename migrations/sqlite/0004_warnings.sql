-- Warning areas (预警区): one JSON document per warning (area as GeoJSON,
-- history inside), versioned for optimistic concurrency. Few rows: the
-- server keeps them all in memory and reads the table at start.
create table warnings (
    id text primary key,
    body text not null,
    version integer not null,
    updated_at text not null
);
