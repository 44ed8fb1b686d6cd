-- Patrol ingest at province rates (issue #18: ≥ 200,000 fixes/s into PostGIS).
--
-- Fixes arrive in time order and are read by time (the live window at load,
-- coverage windows) and by batch (other instances catching up), never by
-- member through an index: the B-tree on (member_id, t) cost every insert a
-- random page write once the table outgrew shared_buffers. BRIN on t costs
-- next to nothing and serves the time-range reads.
drop index if exists patrol_points_member_t;
create index if not exists patrol_points_t on patrol_points using brin (t);

-- The foreign key checked each fix with its own lookup (a row trigger per
-- row). The same rule, checked once per statement over the rows it wrote:
-- every fix belongs to a known member, and a member with fixes stays.
alter table patrol_points drop constraint if exists patrol_points_member_id_fkey;

create or replace function patrol_points_member_known() returns trigger
language plpgsql as $$
begin
    if exists (
        select 1 from new_fixes f
        where not exists (select 1 from patrol_members m where m.id = f.member_id)
    ) then
        raise foreign_key_violation
            using message = 'a patrol fix names a member that is not in patrol_members';
    end if;
    return null;
end $$;

create trigger patrol_points_member_known_insert
    after insert on patrol_points
    referencing new table as new_fixes
    for each statement execute function patrol_points_member_known();

create trigger patrol_points_member_known_update
    after update on patrol_points
    referencing new table as new_fixes
    for each statement execute function patrol_points_member_known();

create or replace function patrol_members_keep_tracked() returns trigger
language plpgsql as $$
begin
    if exists (
        select 1 from gone_members g
        join patrol_points p on p.member_id = g.id
        where not exists (select 1 from patrol_members m where m.id = g.id)
    ) then
        raise foreign_key_violation
            using message = 'a patrol member with fixes cannot be deleted or renamed';
    end if;
    return null;
end $$;

create trigger patrol_members_keep_tracked_delete
    after delete on patrol_members
    referencing old table as gone_members
    for each statement execute function patrol_members_keep_tracked();

create trigger patrol_members_keep_tracked_update
    after update on patrol_members
    referencing old table as gone_members
    for each statement execute function patrol_members_keep_tracked();
