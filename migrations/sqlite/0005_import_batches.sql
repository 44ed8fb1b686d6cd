-- An import logs one change per batch of records instead of one per record:
-- `ids` holds the batch's record ids as a JSON array (null for a change that
-- names one record, in `record_id`). Every instance reloads exactly these
-- records from the store when it sees the change.
alter table changes add column ids text;
