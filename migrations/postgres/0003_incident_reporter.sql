-- The account that reported an incident: a public account reads back only its own reports.
alter table incidents add column reporter text;
update incidents set reporter = (
    select h.actor from incident_history h
    where h.incident_id = incidents.id and h.action = 'report'
    order by h.id limit 1
);
-- a public account's own reports
create index incidents_reporter on incidents(reporter);
