-- Warning areas (预警区): one JSON document per warning (area as GeoJSON,
-- history inside), versioned for optimistic concurrency. The area is also a
-- geometry so QGIS can draw the warnings next to the other layers.
create table warnings (
    id text primary key,
    body jsonb not null,
    version bigint not null,
    updated_at timestamptz not null,
    geom geometry(MultiPolygon, 4326)
);
-- warnings drawn in GIS by area
create index warnings_geom on warnings using gist (geom);
