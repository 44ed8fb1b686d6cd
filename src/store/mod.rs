//! The system of record. One [`Store`] trait; one file per backend:
//! [`sqlite`] (embedded default) and [`postgis`] (production). Each applies
//! its own migrations from `migrations/<backend>/`.

pub mod history;
pub mod postgis;
mod rows;
pub mod sqlite;
mod wkb;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::config::redact_url;
use crate::domain::incident::Step;
use crate::domain::visit::{ScheduleRow, Visit};
use crate::domain::{Dataset, Incident, LayerRecords, PatrolMember, PatrolPoint, Person};
pub use history::{
    DayKey, DayRow, DaysBy, DaysQuery, GridCount, GridMonthsQuery, HistoryFilter, Owners,
};

/// What can go wrong in a store, worded for the one-line CLI message or a log.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The URL is malformed or of an unknown scheme.
    #[error("bad store URL {0}")]
    BadUrl(String),
    /// The database could not be reached or opened.
    #[error("cannot open store {url}: {reason}")]
    Unreachable {
        /// redacted URL
        url: String,
        /// cause
        reason: String,
    },
    /// The file or database is not a Minqing store and is left untouched.
    #[error("refusing to use {url}: {reason}")]
    Foreign {
        /// redacted URL
        url: String,
        /// why it is not ours
        reason: String,
    },
    /// A migration failed; nothing after it was applied.
    #[error("migration failed: {0}")]
    Migration(String),
    /// Another writer changed the record first.
    #[error("conflict: {0}")]
    Conflict(String),
    /// Any other database error.
    #[error("database error: {0}")]
    Db(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        StoreError::Db(e.to_string())
    }
}

/// Result of store calls.
pub type StoreResult<T> = Result<T, StoreError>;

/// A stored account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserRecord {
    /// login name
    pub username: String,
    /// argon2 PHC string
    pub password_hash: String,
    /// role name (see [`crate::auth::Role`])
    pub role: String,
    /// assigned area codes
    pub areas: Vec<String>,
    /// consecutive failed logins
    pub failed_logins: i64,
    /// locked until this time after too many failures
    pub locked_until: Option<DateTime<Utc>>,
}

/// A stored session (the token itself is never stored, only its hash).
#[derive(Debug, Clone, PartialEq)]
pub struct SessionRecord {
    /// SHA-256 of the token, hex
    pub token_hash: String,
    /// owner
    pub username: String,
    /// CSRF token for cookie-authenticated writes
    pub csrf: String,
    /// expiry
    pub expires_at: DateTime<Utc>,
}

/// One entry of the change log, numbering every write.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// change number (the SSE event id)
    pub seq: i64,
    /// when it was written
    pub at: DateTime<Utc>,
    /// what changed, e.g. `incident.created`
    pub kind: String,
    /// the record's id
    pub record_id: String,
    /// the record's bounding box (WGS84) — names the tiles to invalidate
    pub bbox: [f64; 4],
    /// an import batch's record ids (empty: the change names `record_id` alone)
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ids: Vec<String>,
}

impl Change {
    /// The ids of the records this change wrote: the batch's, or `record_id`.
    ///
    /// ```
    /// # use minqing::store::Change;
    /// let c = Change { seq: 1, at: chrono::Utc::now(), kind: "hazard.imported".into(),
    ///     record_id: "H1".into(), bbox: [0.0; 4], ids: vec![] };
    /// assert_eq!(c.record_ids(), vec!["H1".to_string()]);
    /// ```
    pub fn record_ids(&self) -> Vec<String> {
        if self.ids.is_empty() {
            vec![self.record_id.clone()]
        } else {
            self.ids.clone()
        }
    }
}

/// One step in an incident's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// when
    pub at: DateTime<Utc>,
    /// who
    pub actor: String,
    /// action name (report, accept, dispatch, …)
    pub action: String,
    /// status after the action
    pub status: String,
    /// free text
    pub note: String,
}

/// One audit log entry (reads of person records).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// entry number
    pub id: i64,
    /// when
    pub at: DateTime<Utc>,
    /// who
    pub username: String,
    /// what kind of read (`people.detail`, `people.list`, `export`, …)
    pub action: String,
    /// ids of the records read
    pub records: Vec<String>,
    /// the stated purpose, if any
    pub purpose: Option<String>,
}

/// What the audit viewer filters by.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// exactly this account
    pub username: Option<String>,
    /// actions starting with this (`people.`, `import.`, `account.`)
    pub action: Option<String>,
    /// entries naming this record id
    pub record: Option<String>,
}

/// A warning as stored: the JSON document and what the store indexes.
#[derive(Debug, Clone)]
pub struct WarningDoc<'a> {
    /// id
    pub id: &'a str,
    /// the whole record as JSON
    pub body: &'a str,
    /// the version this write makes
    pub version: i64,
    /// the area as a GeoJSON geometry (PostGIS keeps it as a geometry too)
    pub area_geojson: &'a str,
    /// the area's box, for the change log
    pub bbox: [f64; 4],
}

/// What an `Idempotency-Key` finds when a request claims it.
#[derive(Debug, Clone, PartialEq)]
pub enum KeyClaim {
    /// Unused until now: the request runs, and its answer is stored.
    Fresh,
    /// An earlier request with the same body finished: its answer.
    Replay {
        /// HTTP status
        status: u16,
        /// body (JSON)
        body: String,
    },
    /// The key was used for a different request (route or body).
    Mismatch {
        /// the route of the first use
        route: Option<String>,
    },
    /// An earlier request with this key has not finished (or died unfinished).
    Pending {
        /// when it started
        since: DateTime<Utc>,
    },
}

/// A stored key's row: route, fingerprint, status, answer, created.
type KeyRow = (
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<String>,
    DateTime<Utc>,
);

/// What a stored key means for a request to `route` with `fingerprint`
/// (both stores decide alike). Keys stored before fingerprints existed
/// (route and fingerprint empty) replay their answer.
fn judge_key(prior: KeyRow, route: &str, fingerprint: &str) -> KeyClaim {
    let (r, f, status, answer, since) = prior;
    let same =
        f.as_deref().is_none_or(|f| f == fingerprint) && r.as_deref().is_none_or(|r| r == route);
    match (same, status, answer) {
        (false, ..) => KeyClaim::Mismatch { route: r },
        (true, Some(s), Some(body)) => KeyClaim::Replay {
            status: u16::try_from(s).unwrap_or(200),
            body,
        },
        (true, ..) => KeyClaim::Pending { since },
    }
}

/// The system of record. Writes commit here before the index hears of them.
#[async_trait]
pub trait Store: Send + Sync {
    /// `sqlite` or `postgis`.
    fn backend(&self) -> &'static str;
    /// Applies pending migrations.
    async fn migrate(&self) -> StoreResult<()>;
    /// True when no area has been stored yet.
    async fn is_empty(&self) -> StoreResult<bool>;
    /// Writes a whole dataset in one transaction (seeding an empty store).
    async fn seed(&self, data: &Dataset) -> StoreResult<()>;
    /// Reads everything the index serves (every incident).
    async fn load(&self) -> StoreResult<Dataset> {
        self.load_live(None).await
    }
    /// Reads what the index serves with a live window from `before`: the
    /// incidents are only the live ones (see [`crate::domain::incident::is_history`]).
    async fn load_live(&self, before: Option<DateTime<Utc>>) -> StoreResult<Dataset>;
    /// One page (newest report first, at most `limit`) of the history cases
    /// of `filter`, and how many there are.
    async fn history_page(
        &self,
        filter: &HistoryFilter,
        limit: i64,
    ) -> StoreResult<(Vec<Incident>, u64)>;
    /// How many history cases of `filter` there are, by category and status.
    async fn history_counts(
        &self,
        filter: &HistoryFilter,
    ) -> StoreResult<Vec<(String, String, i64)>>;
    /// The history cases of `filter` with their timings, and the earlier ones
    /// finished or closed at or after `settled_since` (for statistics).
    async fn history_timed(
        &self,
        filter: &HistoryFilter,
        settled_since: Option<DateTime<Utc>>,
    ) -> StoreResult<Vec<(Incident, Timing)>>;
    /// The per-day aggregates of finished cases over whole report days
    /// (statistics over history); empty for a reporter's scope, which
    /// aggregates cannot tell apart.
    async fn history_days(&self, q: &DaysQuery) -> StoreResult<Vec<DayRow>>;
    /// Cases per grid over whole months kept per grid (hot spots over long
    /// windows); `None` where the store keeps no such counts (SQLite: the
    /// day aggregates answer instead).
    async fn history_grid_months(
        &self,
        _q: &GridMonthsQuery,
    ) -> StoreResult<Option<Vec<GridCount>>> {
        Ok(None)
    }
    /// Reads a metadata value.
    async fn meta(&self, key: &str) -> StoreResult<Option<String>>;
    /// Writes a metadata value.
    async fn set_meta(&self, key: &str, value: &str) -> StoreResult<()>;

    /// Creates an incident with its first history entry and change-log entry.
    async fn create_incident(&self, incident: &Incident, actor: &str) -> StoreResult<Change>;
    /// Moves an incident to `status` if it is still at `expected_version`
    /// (else [`StoreError::Conflict`]), with a history entry and a change.
    #[allow(clippy::too_many_arguments)]
    async fn apply_incident_action(
        &self,
        id: &str,
        expected_version: i64,
        status: &str,
        actor: &str,
        action: &str,
        note: &str,
        at: (f64, f64),
    ) -> StoreResult<Change>;
    /// The history of an incident, oldest first.
    async fn incident_history(&self, id: &str) -> StoreResult<Vec<HistoryEntry>>;

    /// Writes a warning's whole document with one change-log entry `kind`:
    /// a new warning when `expected_version` is `None`, else only if the
    /// stored version is still `expected_version` (else [`StoreError::Conflict`]).
    async fn put_warning(
        &self,
        doc: &WarningDoc<'_>,
        expected_version: Option<i64>,
        kind: &str,
    ) -> StoreResult<Change>;
    /// Every warning document, oldest first.
    async fn warnings(&self) -> StoreResult<Vec<String>>;
    /// One warning document.
    async fn warning(&self, id: &str) -> StoreResult<Option<String>>;

    /// One incident as stored now.
    async fn incident(&self, id: &str) -> StoreResult<Option<Incident>>;
    /// The newest change number (0 when none).
    async fn last_change(&self) -> StoreResult<i64>;
    /// Wakes up when another instance wrote (PostgreSQL LISTEN/NOTIFY), and
    /// once after every reconnect so the caller catches up. `None` for
    /// backends with a single writer process (SQLite).
    async fn listen(&self) -> Option<tokio::sync::mpsc::Receiver<()>> {
        None
    }
    /// Upserts one layer's records in one transaction: areas by code (parents
    /// first), everything else by id. Each record gets a change-log entry
    /// (`area.imported`, `hazard.imported`, …) except people, whose ids stay out
    /// of the change log: their batch gets one `people.imported` entry with the
    /// records' bounding box. Incidents also get an `import` history entry and
    /// a bumped version when they already existed. All or nothing.
    async fn import(&self, records: &LayerRecords, actor: &str) -> StoreResult<Vec<Change>>;

    /// Which of `ids` are stored incidents, history included: an import
    /// tells new cases from updated ones without holding ten years of ids.
    async fn stored_incident_ids(&self, ids: &[String]) -> StoreResult<Vec<String>>;

    /// The stored records of `layer` with these ids (codes for areas), as
    /// an instance reloads them after an import change; missing ids are skipped.
    async fn records(
        &self,
        layer: crate::import::Layer,
        ids: &[String],
    ) -> StoreResult<LayerRecords>;

    /// Appends a batch of patrol fixes in one transaction: the members it
    /// names are created when new (known ones are left as they are), the
    /// fixes are written in bulk (multi-row inserts on SQLite, UNNEST on
    /// PostGIS), and one change-log entry `patrol.track` names `record_id`
    /// and the `bbox` whose tiles are stale; each fix records that change as its batch. `PatrolPoint::member` indexes `members`.
    async fn append_patrol(
        &self,
        members: &[PatrolMember],
        points: &[PatrolPoint],
        record_id: &str,
        bbox: [f64; 4],
    ) -> StoreResult<Change>;

    /// The members and fixes written by the `patrol.track` change `seq`
    /// (`PatrolPoint::member` indexes the members), for other instances to catch up.
    async fn patrol_batch(&self, seq: i64) -> StoreResult<(Vec<PatrolMember>, Vec<PatrolPoint>)>;
    /// Change-log entries after `seq`, oldest first (at most `limit`).
    async fn changes_since(&self, seq: i64, limit: i64) -> StoreResult<Vec<Change>>;

    /// Creates or replaces an account.
    async fn put_user(&self, user: &UserRecord) -> StoreResult<()>;
    /// Reads an account.
    async fn user(&self, username: &str) -> StoreResult<Option<UserRecord>>;
    /// Records a login failure or success (`failed_logins`, `locked_until`).
    async fn set_login_state(
        &self,
        username: &str,
        failed_logins: i64,
        locked_until: Option<DateTime<Utc>>,
    ) -> StoreResult<()>;
    /// Stores a session.
    async fn put_session(&self, session: &SessionRecord) -> StoreResult<()>;
    /// Reads a live session by token hash.
    async fn session(&self, token_hash: &str) -> StoreResult<Option<SessionRecord>>;
    /// Deletes a session (logout).
    async fn delete_session(&self, token_hash: &str) -> StoreResult<()>;
    /// Moves a live session's expiry to `expires_at` (an expired one stays expired).
    async fn renew_session(&self, token_hash: &str, expires_at: DateTime<Utc>) -> StoreResult<()>;
    /// Ends every session of an account (disabled, password reset).
    async fn end_sessions(&self, username: &str) -> StoreResult<()>;
    /// Every account, by name.
    async fn users(&self) -> StoreResult<Vec<UserRecord>>;

    /// Appends to the audit log.
    async fn audit(
        &self,
        username: &str,
        action: &str,
        records: &[String],
        purpose: Option<&str>,
    ) -> StoreResult<()>;
    /// The audit log, newest first.
    async fn audit_log(&self, limit: i64, offset: i64) -> StoreResult<Vec<AuditEntry>>;
    /// The audit log filtered (every filter optional): by account, by action
    /// prefix (`people.` finds every people read), by a record id named.
    async fn audit_find(
        &self,
        filter: &AuditFilter,
        limit: i64,
        offset: i64,
    ) -> StoreResult<Vec<AuditEntry>>;

    /// Adds photos to an incident, numbered after those it has, with a
    /// `photo` history entry and an `incident.updated` change (the version
    /// stays: a photo does not make a client's next step stale). Refuses
    /// ([`StoreError::Conflict`]) when the case would hold more than `max`.
    async fn add_photos(
        &self,
        incident_id: &str,
        photos: &[NewPhoto],
        max: i64,
        actor: &str,
        at: (f64, f64),
    ) -> StoreResult<(Vec<i64>, Change)>;
    /// The photos of an incident, by number.
    async fn photos(&self, incident_id: &str) -> StoreResult<Vec<PhotoMeta>>;
    /// One photo's bytes (or its thumbnail's) with its content type.
    async fn photo(
        &self,
        incident_id: &str,
        n: i64,
        thumb: bool,
    ) -> StoreResult<Option<(String, Vec<u8>)>>;
    /// Handling hours per category code, as configured.
    async fn deadlines(&self) -> StoreResult<Vec<(String, i64)>>;
    /// Sets one category's handling hours (for cases reported from now on).
    async fn set_deadline(&self, category: &str, hours: i64, actor: &str) -> StoreResult<()>;
    /// What the history of every live incident (all with `None`) says about
    /// its handling, by incident id.
    async fn timings(&self, before: Option<DateTime<Utc>>) -> StoreResult<Vec<(String, Timing)>>;
    /// History entries of every incident, newest first (`at`, then entry
    /// number), with the incident's id: the wall's feed on open.
    async fn recent_history(
        &self,
        limit: i64,
        offset: i64,
    ) -> StoreResult<Vec<(String, HistoryEntry)>>;

    /// Claims `(username, key)` for a request to `route` whose content hashes
    /// to `fingerprint`; see [`KeyClaim`]. A fresh claim is pending until
    /// [`Store::finish_key`] or [`Store::release_key`].
    async fn claim_key(
        &self,
        username: &str,
        key: &str,
        route: &str,
        fingerprint: &str,
    ) -> StoreResult<KeyClaim>;
    /// Stores the answer of a claimed key, replayed to every retry.
    async fn finish_key(
        &self,
        username: &str,
        key: &str,
        status: u16,
        body: &str,
    ) -> StoreResult<()>;
    /// Gives up a pending claim (the request created nothing; a retry runs again).
    async fn release_key(&self, username: &str, key: &str) -> StoreResult<()>;

    /// The visit schedule as stored.
    async fn visit_schedule(&self) -> StoreResult<Vec<ScheduleRow>>;
    /// Replaces the whole schedule and sets the next visit of the records in
    /// `next` (those with a last visit, due again by the new rows), with one
    /// change-log entry `people.rescheduled` over `bbox`.
    async fn put_visit_schedule(
        &self,
        rows: &[ScheduleRow],
        next: &[(String, NaiveDate)],
        bbox: [f64; 4],
    ) -> StoreResult<Change>;
    /// Records a visit and sets the person's risk level (`visit.risk_after`,
    /// when given) and next visit (`visit.next_due`) in one transaction, with
    /// one change-log entry `person.visited` at the record's point `at`.
    async fn record_visit(&self, visit: &Visit, at: (f64, f64)) -> StoreResult<Change>;
    /// One person's visits, newest first.
    async fn visits_of(&self, person: &str) -> StoreResult<Vec<Visit>>;
    /// Visits that took place in `[from, to)`, newest first.
    async fn visits_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<Visit>>;
    /// Each visited person's latest visit time.
    async fn last_visits(&self) -> StoreResult<Vec<(String, DateTime<Utc>)>>;
    /// One person record as stored now (other instances catch up with it).
    async fn person(&self, id: &str) -> StoreResult<Option<Person>>;
}

/// A photo ready to store: already decoded and re-encoded, so it carries no
/// metadata of the uploaded file.
#[derive(Debug, Clone)]
pub struct NewPhoto {
    /// `image/jpeg` or `image/png`
    pub content_type: &'static str,
    /// the image
    pub data: Vec<u8>,
    /// a small JPEG
    pub thumb: Vec<u8>,
    /// pixels
    pub width: u32,
    /// pixels
    pub height: u32,
}

/// A stored photo's description.
#[derive(Debug, Clone, PartialEq)]
pub struct PhotoMeta {
    /// 1–9 within its incident
    pub n: i64,
    /// content type of the full image
    pub content_type: String,
    /// pixels
    pub width: i64,
    /// pixels
    pub height: i64,
    /// when it was added
    pub created_at: DateTime<Utc>,
    /// who added it
    pub created_by: String,
}

pub use crate::domain::handling::Timing;

/// The SQL that summarises every incident's history for [`Store::timings`]
/// (the same text runs on both backends; times compare as stored).
const TIMINGS_SQL: &str = "select incident_id, \
     min(case when action = 'resolve' then at end) as resolved_at, \
     min(case when action = 'close' then at end) as closed_at, \
     sum(case when action = 'revisit' and status = 'in_progress' then 1 else 0 end) as reopens, \
     sum(case when action = 'link_duplicate' then 1 else 0 end) as duplicate \
     from incident_history where action in ('resolve', 'close', 'revisit', 'link_duplicate') \
     group by incident_id";

/// The change-log kind of a record of `records`' layer.
fn import_kind(records: &LayerRecords) -> &'static str {
    match records {
        LayerRecords::Areas(_) => "area.imported",
        LayerRecords::Hazards(_) => "hazard.imported",
        LayerRecords::Shelters(_) => "shelter.imported",
        LayerRecords::Places(_) => "place.imported",
        LayerRecords::People(_) => "people.imported",
        LayerRecords::Incidents(_) => "incident.imported",
    }
}

/// Records per import change-log entry: large enough that a million-row
/// import writes a thousand entries, small enough that an instance reloading
/// one batch holds its lock briefly.
pub const IMPORT_BATCH: usize = 1000;

/// Each layer's stored columns, key first, before the location columns each
/// backend adds (SQLite: `lon, lat`, or an area's box; PostGIS: `geom`).
mod cols {
    pub const AREAS: &[&str] = &[
        "code",
        "name",
        "level",
        "parent",
        "head_name",
        "head_phone",
        "households",
        "residents",
        "geom",
    ];
    pub const HAZARDS: &[&str] = &[
        "id",
        "name",
        "kind",
        "risk",
        "threatened_households",
        "threatened_persons",
        "monitor_name",
        "monitor_phone",
        "leader_name",
        "leader_phone",
        "shelter",
        "status",
    ];
    pub const SHELTERS: &[&str] = &["id", "name", "capacity", "address"];
    pub const PLACES: &[&str] = &["id", "name", "kind", "visit_every_hours", "radius_m"];
    pub const PEOPLE: &[&str] = &[
        "id",
        "category",
        "name",
        "id_number",
        "phone",
        "address",
        "risk_level",
        "next_visit",
    ];
    pub const INCIDENTS: &[&str] = &[
        "id",
        "category",
        "source",
        "description",
        "grid",
        "status",
        "reported_at",
        "deadline",
        "version",
    ];
}

/// The fixed parts of a multi-row upsert into `table` of `cols` (the key
/// first) then `location`: `insert into T (c1, …) ` before the `values` list
/// and ` on conflict (c1) do update set c2 = excluded.c2, …` after it. A
/// `version` column counts up instead of taking the file's value.
/// The table and column names are this crate's constants, never input.
fn upsert_sql(table: &str, cols: &[&str], location: &[&str]) -> (String, String) {
    let all: Vec<&str> = cols.iter().chain(location).copied().collect();
    let set: Vec<String> = all[1..]
        .iter()
        .map(|c| match *c {
            "version" => format!("version = {table}.version + 1"),
            c => format!("{c} = excluded.{c}"),
        })
        .collect();
    (
        format!("insert into {table} ({}) ", all.join(", ")),
        format!(" on conflict ({}) do update set {}", all[0], set.join(", ")),
    )
}

/// An import's change-log list: every record's id with its point's box.
fn point_boxes<'a>(records: impl Iterator<Item = (&'a str, f64, f64)>) -> Vec<(String, [f64; 4])> {
    records
        .map(|(id, lon, lat)| (id.to_owned(), [lon, lat, lon, lat]))
        .collect()
}

/// The history step an import writes for each incident it stores.
fn import_steps(incidents: &[Incident], actor: &str, at: DateTime<Utc>) -> Vec<Step> {
    incidents
        .iter()
        .map(|i| Step {
            incident_id: i.id.clone(),
            at,
            actor: actor.to_owned(),
            action: "import".into(),
            status: i.status,
            note: String::new(),
        })
        .collect()
}

/// The change-log list of an import of point records (every layer but areas).
fn import_points(records: &LayerRecords) -> Vec<(String, [f64; 4])> {
    match records {
        LayerRecords::Areas(_) => Vec::new(),
        LayerRecords::Hazards(v) => point_boxes(v.iter().map(|x| (x.id.as_str(), x.lon, x.lat))),
        LayerRecords::Shelters(v) => point_boxes(v.iter().map(|x| (x.id.as_str(), x.lon, x.lat))),
        LayerRecords::Places(v) => point_boxes(v.iter().map(|x| (x.id.as_str(), x.lon, x.lat))),
        LayerRecords::People(v) => point_boxes(v.iter().map(|x| (x.id.as_str(), x.lon, x.lat))),
        LayerRecords::Incidents(v) => point_boxes(v.iter().map(|x| (x.id.as_str(), x.lon, x.lat))),
    }
}

/// One change-log entry of an import: the first id (as `record_id`), every
/// id as a JSON array, and the union of the records' boxes.
struct ImportBatch {
    first: String,
    ids_json: String,
    bbox: [f64; 4],
}

/// Groups an import's `(id, bbox)` list into change-log batches. A batch of
/// people records is labelled `people`: a person's id never becomes the
/// `record_id` a live event carries.
fn import_batches(kind: &str, logged: &[(String, [f64; 4])]) -> Vec<ImportBatch> {
    logged
        .chunks(IMPORT_BATCH)
        .map(|chunk| {
            let ids: Vec<&str> = chunk.iter().map(|(id, _)| id.as_str()).collect();
            let bbox = chunk.iter().fold(
                [
                    f64::INFINITY,
                    f64::INFINITY,
                    f64::NEG_INFINITY,
                    f64::NEG_INFINITY,
                ],
                |a, (_, b)| {
                    [
                        a[0].min(b[0]),
                        a[1].min(b[1]),
                        a[2].max(b[2]),
                        a[3].max(b[3]),
                    ]
                },
            );
            ImportBatch {
                first: if kind == "people.imported" {
                    "people".to_owned()
                } else {
                    ids[0].to_owned()
                },
                ids_json: serde_json::to_string(&ids).unwrap_or_else(|_| "[]".into()),
                bbox,
            }
        })
        .collect()
}

/// Maps every row, stopping at the first bad one.
fn map_all<R, T>(rows: Vec<R>, f: fn(&R) -> StoreResult<T>) -> StoreResult<Vec<T>> {
    rows.iter().map(f).collect()
}

/// Opens the store named by a URL (`sqlite://…` or `postgres://…`), without migrating.
pub async fn open(url: &str) -> StoreResult<Arc<dyn Store>> {
    if let Some(path) = url.strip_prefix("sqlite://") {
        Ok(Arc::new(sqlite::SqliteStore::open(path).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(postgis::PostgisStore::open(url).await?))
    } else {
        Err(StoreError::BadUrl(format!(
            "{}: expected sqlite://PATH or postgres://…",
            redact_url(url)
        )))
    }
}
