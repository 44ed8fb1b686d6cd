-- The wall's feed reads the newest history steps first
-- (`order by at desc, id desc limit …`): an index on that order answers it
-- without sorting the whole history, which grows with every step ever taken.
create index incident_history_at on incident_history(at, id);
