//! Reads of incident **history**: the cases the index does not hold (closed
//! or rejected, reported before the live window; see
//! [`crate::domain::incident::is_history`]). Both stores build the same
//! `where` clause here and differ only in placeholders and location tests.

use chrono::{DateTime, Utc};

use crate::domain::incident::FINAL_STATUSES;

/// Whose cases a history read may return: the policy's scope in the store's
/// terms. (A scope of nothing never reaches the store.)
#[derive(Debug, Clone, PartialEq)]
pub enum Owners {
    /// every case
    All,
    /// cases whose grid code starts with one of these; `fallback` also
    /// takes the cases outside every grid (a district's queue)
    Grids {
        /// grid-code prefixes (area codes)
        prefixes: Vec<String>,
        /// include cases with no grid
        fallback: bool,
    },
    /// cases reported by this account
    Reporter(String),
}

/// Which history cases to read. Every field narrows the set.
#[derive(Debug, Clone)]
pub struct HistoryFilter {
    /// the start of the live window: history is what was reported before it
    pub before: DateTime<Utc>,
    /// whose cases
    pub owners: Owners,
    /// one status (`closed` or `rejected`; any other matches nothing)
    pub status: Option<String>,
    /// one category code
    pub category: Option<String>,
    /// grid codes under this area
    pub area: Option<String>,
    /// `[min_lon, min_lat, max_lon, max_lat]`, edges included
    pub bbox: Option<[f64; 4]>,
    /// reported at or after
    pub since: Option<DateTime<Utc>>,
    /// reported at or before
    pub until: Option<DateTime<Utc>>,
}

impl HistoryFilter {
    /// Every history case of `owners`.
    pub fn new(before: DateTime<Utc>, owners: Owners) -> HistoryFilter {
        HistoryFilter {
            before,
            owners,
            status: None,
            category: None,
            area: None,
            bbox: None,
            since: None,
            until: None,
        }
    }
}

/// A value bound to a history query, in order.
#[derive(Debug, Clone)]
pub enum Arg {
    /// text
    Text(String),
    /// a time
    Time(DateTime<Utc>),
    /// a number
    Real(f64),
}

/// How a backend writes what differs: its placeholders and its test of a
/// point inside a box.
pub struct Dialect {
    /// the `n`th placeholder (1-based): `$n` or `?`
    pub placeholder: fn(usize) -> String,
    /// the clause testing the point against a box given by four placeholders
    /// (min lon, min lat, max lon, max lat)
    pub in_box: fn([String; 4]) -> String,
    /// the incident table's column expressions after `*` (PostGIS: lon, lat from `geom`)
    pub extra_columns: &'static str,
    /// the id as ordered by bytes, as Rust orders strings (PostgreSQL: `collate "C"`)
    pub id_bytes: &'static str,
}

/// The final statuses as SQL literals: `'closed', 'rejected'`.
fn finals() -> String {
    FINAL_STATUSES
        .iter()
        .map(|s| format!("'{}'", s.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The `where` clause (without the keyword) selecting the history cases of
/// `f`, with its arguments; placeholders start after `first - 1` others.
pub fn where_clause(f: &HistoryFilter, d: &Dialect, first: usize) -> (String, Vec<Arg>) {
    let mut args: Vec<Arg> = Vec::new();
    let p = |a: Arg, args: &mut Vec<Arg>| {
        args.push(a);
        (d.placeholder)(first + args.len() - 1)
    };
    // The final statuses are written out, so the partial indexes of
    // migration 0009 (`where status in ('closed', 'rejected')`) apply.
    let mut parts = vec![
        format!("i.status in ({})", finals()),
        format!("i.reported_at < {}", p(Arg::Time(f.before), &mut args)),
    ];
    match &f.owners {
        Owners::All => {}
        Owners::Grids { prefixes, fallback } => {
            let mut any: Vec<String> = prefixes
                .iter()
                // area codes are digits: no LIKE wildcard can hide in them
                .map(|a| format!("i.grid like {}", p(Arg::Text(format!("{a}%")), &mut args)))
                .collect();
            if *fallback {
                any.push("i.grid is null".into());
            }
            if any.is_empty() {
                any.push("false".into());
            }
            parts.push(format!("({})", any.join(" or ")));
        }
        Owners::Reporter(me) => {
            parts.push(format!(
                "i.reporter = {}",
                p(Arg::Text(me.clone()), &mut args)
            ));
        }
    }
    if let Some(s) = &f.status {
        parts.push(format!("i.status = {}", p(Arg::Text(s.clone()), &mut args)));
    }
    if let Some(c) = &f.category {
        parts.push(format!(
            "i.category = {}",
            p(Arg::Text(c.clone()), &mut args)
        ));
    }
    if let Some(a) = &f.area {
        parts.push(format!(
            "i.grid like {}",
            p(Arg::Text(format!("{a}%")), &mut args)
        ));
    }
    if let Some(b) = f.bbox {
        let ps = b.map(|v| p(Arg::Real(v), &mut args));
        parts.push((d.in_box)(ps));
    }
    if let Some(t) = f.since {
        parts.push(format!("i.reported_at >= {}", p(Arg::Time(t), &mut args)));
    }
    if let Some(t) = f.until {
        parts.push(format!("i.reported_at <= {}", p(Arg::Time(t), &mut args)));
    }
    (parts.join(" and "), args)
}

/// The condition (on table alias `i`) of a **live** case: not history
/// before `before` (`true` without a window). The time is written as a
/// literal in the form the stores keep (RFC 3339, UTC); `cast` follows it
/// (`::timestamptz` for PostgreSQL, empty for SQLite's text).
///
/// Written as two arms, each the predicate of a partial index (unfinished
/// cases; finished cases by time), so PostgreSQL reads the live set with a
/// bitmap OR of the two instead of scanning ten years of cases.
pub fn live_condition(before: Option<DateTime<Utc>>, cast: &str) -> String {
    let Some(before) = before else {
        return "true".into();
    };
    let f = finals();
    format!(
        "(i.status not in ({f}) or (i.status in ({f}) and i.reported_at >= '{}'{cast}))",
        before.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false)
    )
}

/// The patrol fixes the index holds: those of the live window (older tracks
/// stay in the store; coverage reads ask for windows inside it).
pub fn live_patrol(before: Option<DateTime<Utc>>, cast: &str) -> String {
    match before {
        None => "true".into(),
        Some(b) => format!(
            "t >= '{}'{cast}",
            b.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false)
        ),
    }
}

/// The handling timings of the live cases: all of them without a window.
pub fn live_timings_sql(before: Option<DateTime<Utc>>, cast: &str) -> String {
    match before {
        None => super::TIMINGS_SQL.to_owned(),
        Some(_) => timings_of(&format!(
            "select i.id from incidents i where {}",
            live_condition(before, cast)
        )),
    }
}

/// The handling timings (as [`super::TIMINGS_SQL`]) of the incidents whose
/// ids the subquery `ids` returns.
pub fn timings_of(ids: &str) -> String {
    format!(
        "select incident_id, \
         min(case when action = 'resolve' then at end) as resolved_at, \
         min(case when action = 'close' then at end) as closed_at, \
         sum(case when action = 'revisit' and status = 'in_progress' then 1 else 0 end) as reopens, \
         sum(case when action = 'link_duplicate' then 1 else 0 end) as duplicate \
         from incident_history where action in ('resolve', 'close', 'revisit', 'link_duplicate') \
         and incident_id in ({ids}) group by incident_id"
    )
}

/// One page of history cases, newest report first, and how many match:
/// the two statements and their arguments.
pub fn page_sql(f: &HistoryFilter, d: &Dialect, limit: i64) -> ((String, String), Vec<Arg>) {
    let (w, args) = where_clause(f, d, 1);
    let rows = format!(
        "select i.*{} from incidents i where {w} order by i.reported_at desc, {} desc limit {}",
        d.extra_columns,
        d.id_bytes,
        limit.max(0)
    );
    let count = format!("select count(*) from incidents i where {w}");
    ((rows, count), args)
}

/// How many history cases of `f` there are by category and status.
pub fn counts_sql(f: &HistoryFilter, d: &Dialect) -> (String, Vec<Arg>) {
    let (w, args) = where_clause(f, d, 1);
    (
        format!(
            "select i.category, i.status, count(*) as n from incidents i where {w} \
             group by i.category, i.status"
        ),
        args,
    )
}

/// The history cases of `f` with their timings, and also those reported
/// earlier that were finished (办结) or closed at or after `settled_since`
/// (a trend's days count them as open until then).
pub fn timed_sql(
    f: &HistoryFilter,
    d: &Dialect,
    settled_since: Option<DateTime<Utc>>,
) -> (String, Vec<Arg>) {
    let (w, mut args) = where_clause(f, d, 1);
    if settled_since.is_none() {
        // The cases straight from the scan that finds them: joined back by
        // id, each case was looked up twice (a day of a province's cases
        // took 0.5–3 s of random reads instead of 0.1 s).
        let sql = format!(
            "with h as (select i.*{} from incidents i where {w}) \
             select h.*, t.resolved_at, t.closed_at, t.reopens, t.duplicate \
             from h left join ({}) t on t.incident_id = h.id",
            d.extra_columns,
            timings_of("select id from h")
        );
        return (sql, args);
    }
    let wider = HistoryFilter {
        since: None,
        until: None,
        ..f.clone()
    };
    let mut ids = format!("select i.id from incidents i where {w}");
    if let Some(t) = settled_since {
        let (w2, args2) = where_clause(&wider, d, args.len() + 1);
        let at = (d.placeholder)(args.len() + args2.len() + 1);
        ids = format!(
            "{ids} union select i.id from incidents i where {w2} and i.id in \
             (select incident_id from incident_history where action in ('resolve', 'close') and at >= {at})"
        );
        args.extend(args2);
        args.push(Arg::Time(t));
    }
    let sql = format!(
        "with h as ({ids}) \
         select i.*{}, t.resolved_at, t.closed_at, t.reopens, t.duplicate \
         from incidents i join h on h.id = i.id \
         left join ({}) t on t.incident_id = i.id",
        d.extra_columns,
        timings_of("select id from h")
    );
    (sql, args)
}

/// One bucket of the per-day aggregates (`incident_days`): the finished
/// cases of one grid and category reported on one Asia/Shanghai day.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DayKey {
    /// `YYYY-MM-DD` (Asia/Shanghai) of the report
    pub day: String,
    /// the grid; `None` for a case outside every grid
    pub grid: Option<String>,
    /// the category code
    pub category: String,
}

impl DayKey {
    /// The bucket a case counts in.
    pub fn of(grid: Option<&str>, category: &str, reported_at: DateTime<Utc>) -> DayKey {
        DayKey {
            day: shanghai_day(reported_at),
            grid: grid.map(str::to_owned),
            category: category.to_owned(),
        }
    }
}

/// What a bucket's key is made of, as read from `incidents` (`select grid,
/// category, reported_at`).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct KeyRow {
    grid: Option<String>,
    category: String,
    reported_at: DateTime<Utc>,
}

impl From<KeyRow> for DayKey {
    fn from(r: KeyRow) -> DayKey {
        DayKey::of(r.grid.as_deref(), &r.category, r.reported_at)
    }
}

/// The Asia/Shanghai calendar day of an instant, as the aggregates key it.
pub fn shanghai_day(t: DateTime<Utc>) -> String {
    t.with_timezone(&crate::domain::incident::shanghai())
        .format("%Y-%m-%d")
        .to_string()
}

/// What the aggregates need of a backend beyond [`Dialect`].
pub struct DayDialect {
    /// the `YYYY-MM-DD` Asia/Shanghai day of a time column, as text
    pub day_of: fn(&str) -> String,
    /// whole seconds (rounded) from the first time column to the second
    pub seconds: fn(&str, &str) -> String,
    /// the first time is at or before the second
    pub not_after: fn(&str, &str) -> String,
    /// the larger of two numbers (`max` in SQLite, `greatest` in PostgreSQL)
    pub greatest: &'static str,
}

/// The statement filling `incident_days` with the finished cases that
/// match `scope` (a condition on alias `i`, appearing twice: a backend
/// with positional `?` binds its arguments twice). The caller deletes the
/// buckets first. Each case's figures follow [`crate::domain::handling::Handling::add`]:
/// duplicates and rejected cases are not handled; minutes to 结案 are
/// rounded to the second, then cut to the minute
/// ([`crate::domain::handling::close_minutes`]). Rows go in by day, so a
/// statistics read of a range of days finds them on neighbouring pages
/// (written in hash order, a year's read fetched a million scattered rows).
pub fn days_fill_sql(d: &DayDialect, scope: &str) -> String {
    let f = finals();
    let timings = timings_of(&format!(
        "select i.id from incidents i where i.status in ({f}) and {scope}"
    ));
    let secs = (d.seconds)("reported_at", "closed_at");
    format!(
        "insert into incident_days (day, grid, category, status, close_min, reported, due, on_time, finished, reopened) \
         select day, grid, category, status, close_min, count(*), sum(handled), sum(on_time), sum(finished), sum(reopened) from ( \
           select day, grid, category, status, handled, \
             case when handled = 1 and closed_at is not null then {g}(0, {secs}) / 60 else -1 end as close_min, \
             case when handled = 1 and resolved_at is not null and {on_time} then 1 else 0 end as on_time, \
             case when handled = 1 and resolved_at is not null then 1 else 0 end as finished, \
             case when handled = 1 and resolved_at is not null and reopens > 0 then 1 else 0 end as reopened \
           from ( \
             select {day} as day, coalesce(i.grid, '') as grid, i.category as category, i.status as status, \
               i.reported_at as reported_at, i.deadline as deadline, \
               t.resolved_at as resolved_at, t.closed_at as closed_at, coalesce(t.reopens, 0) as reopens, \
               case when i.status <> 'rejected' and coalesce(t.duplicate, 0) = 0 then 1 else 0 end as handled \
             from incidents i left join ({timings}) t on t.incident_id = i.id \
             where i.status in ({f}) and {scope} \
           ) c \
         ) k group by day, grid, category, status, close_min \
         order by day, grid",
        g = d.greatest,
        on_time = (d.not_after)("resolved_at", "deadline"),
        day = (d.day_of)("i.reported_at"),
    )
}

/// The condition (on alias `i`) selecting the cases of one bucket, with
/// its arguments, placeholders from `first`. The grid is matched by
/// equality (or `is null`) so the grid index serves it.
pub fn day_key_scope(k: &DayKey, d: &Dialect, dd: &DayDialect, first: usize) -> (String, Vec<Arg>) {
    let mut args = Vec::new();
    let mut p = |a: Arg| {
        args.push(a);
        (d.placeholder)(first + args.len() - 1)
    };
    let grid = match &k.grid {
        Some(g) => format!("i.grid = {}", p(Arg::Text(g.clone()))),
        None => "i.grid is null".to_owned(),
    };
    let sql = format!(
        "{grid} and i.category = {} and {} = {}",
        p(Arg::Text(k.category.clone())),
        (dd.day_of)("i.reported_at"),
        p(Arg::Text(k.day.clone())),
    );
    (sql, args)
}

/// Which aggregates to read: whose cases, under which area, over which
/// report days or months (both included, `YYYY-MM-DD` or `YYYY-MM`).
#[derive(Debug, Clone)]
pub struct DaysQuery {
    /// whose cases (a reporter's own cases cannot be read from aggregates)
    pub owners: Owners,
    /// grid codes under this area
    pub area: Option<String>,
    /// the first day (or month)
    pub first: String,
    /// the last day (or month)
    pub last: String,
    /// what the sums are kept apart by
    pub by: DaysBy,
    /// `first` and `last` are months, read from the month rollups (see
    /// [`DaysQuery::months_answer`])
    pub months: bool,
}

impl DaysQuery {
    /// Whether the month rollups can answer this question over months: not
    /// for a reporter's scope, a cut finer than a street, an area or an
    /// account's area finer than a street, or minutes to 结案.
    pub fn months_answer(&self) -> bool {
        let street = crate::domain::Level::Street.code_len();
        let fits = |code: &str| code.len() <= street;
        let owners = match &self.owners {
            Owners::All => true,
            Owners::Grids { prefixes, .. } => prefixes.iter().all(|p| fits(p)),
            Owners::Reporter(_) => false,
        };
        owners
            && !self.by.close
            && !self.by.closed_only
            && self.by.grid_len.is_some_and(|n| n <= street)
            && self.area.as_deref().is_none_or(fits)
    }
}

/// What [`days_sql`] sums apart: a question that needs only counts per
/// grid reads a few hundred thousand rows at province scale, not one per
/// case. What is not kept apart reads as `''` (or -1 minutes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DaysBy {
    /// the grid code cut to this length (an area of a level); `None`: whole
    pub grid_len: Option<usize>,
    /// by category
    pub category: bool,
    /// by status
    pub status: bool,
    /// by minutes to 结案 (handling figures)
    pub close: bool,
    /// only the rows of cases closed after handling (minutes to 结案 known)
    pub closed_only: bool,
}

impl DaysBy {
    /// Everything apart: the rows as stored, summed over days.
    pub const ALL: DaysBy = DaysBy {
        grid_len: None,
        category: true,
        status: true,
        close: true,
        closed_only: false,
    };
    /// Only per whole grid code.
    pub const GRID: DaysBy = DaysBy {
        grid_len: None,
        category: false,
        status: false,
        close: false,
        closed_only: false,
    };
}

/// The aggregates of `q` summed over its days, kept apart as `q.by` says
/// (grid, category, status, minutes to 结案); cases outside every grid are left out (statistics
/// group by grid). `None` for a reporter's scope.
/// With `q.months`, the month rollups are read instead (`None` when they
/// cannot answer, see [`DaysQuery::months_answer`]).
pub fn days_sql(q: &DaysQuery, d: &Dialect) -> Option<(String, Vec<Arg>)> {
    if !q.months {
        sums_sql(q, d, ("incident_days", "day", "grid"))
    } else if q.months_answer() {
        sums_sql(q, d, ("incident_months", "month", "street"))
    } else {
        None
    }
}

/// The conditions on the area code column `code` keeping the cases of
/// `owners` under `area` (none outside every grid), arguments bound
/// through `p`; `None` for a reporter's scope, which aggregates cannot
/// tell apart.
fn scope_parts(
    owners: &Owners,
    area: Option<&str>,
    code: &str,
    p: &mut impl FnMut(Arg) -> String,
) -> Option<Vec<String>> {
    let mut parts = vec![format!("{code} <> ''")];
    match owners {
        Owners::All => {}
        Owners::Grids { prefixes, .. } => {
            let any: Vec<String> = prefixes
                .iter()
                .map(|a| format!("{code} like {}", p(Arg::Text(format!("{a}%")))))
                .collect();
            parts.push(if any.is_empty() {
                "false".to_owned()
            } else {
                format!("({})", any.join(" or "))
            });
        }
        Owners::Reporter(_) => return None,
    }
    if let Some(a) = area {
        parts.push(format!("{code} like {}", p(Arg::Text(format!("{a}%")))));
    }
    Some(parts)
}

/// The month of a day as `grid_months` indexes it: months since 1970-01,
/// January 1970 being 1.
pub fn month_index(d: chrono::NaiveDate) -> i32 {
    use chrono::Datelike;
    (d.year() - 1970) * 12 + d.month() as i32
}

/// Cases per grid over two ranges of whole months (PostGIS keeps them per
/// grid in `grid_months`): for hot spots over long windows.
#[derive(Debug, Clone)]
pub struct GridMonthsQuery {
    /// whose cases
    pub owners: Owners,
    /// grid codes under this area
    pub area: Option<String>,
    /// the window's months ([`month_index`], both included; empty when
    /// the first is after the last)
    pub now: (i32, i32),
    /// the months of the window before
    pub before: (i32, i32),
}

/// One grid's cases in the two ranges of a [`GridMonthsQuery`].
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct GridCount {
    /// the grid code
    pub grid: String,
    /// cases reported in the window's months
    pub now: i64,
    /// cases reported in the months of the window before
    pub before: i64,
}

/// The statement of a [`GridMonthsQuery`] on PostGIS (`None` for a
/// reporter's scope). Month numbers are ours, written into the text.
pub fn grid_months_sql(q: &GridMonthsQuery, d: &Dialect) -> Option<(String, Vec<Arg>)> {
    let mut args = Vec::new();
    let mut p = |a: Arg| {
        args.push(a);
        (d.placeholder)(args.len())
    };
    let parts = scope_parts(&q.owners, q.area.as_deref(), "grid", &mut p)?;
    // The running count at the end of month x: 0 before the first month,
    // the last count after the last.
    let at = |x: i32| format!("coalesce(counts[least({x}, array_upper(counts, 1))], 0)");
    let slice = |(a, b): (i32, i32)| {
        if a > b {
            "cast(0 as int8)".to_owned()
        } else {
            format!("cast({} - {} as int8)", at(b), at(a - 1))
        }
    };
    let sql = format!(
        "select grid, {} as now, {} as before from grid_months where {}",
        slice(q.now),
        slice(q.before),
        parts.join(" and ")
    );
    Some((sql, args))
}

/// [`days_sql`] over `(table, period column, area code column)`.
fn sums_sql(
    q: &DaysQuery,
    d: &Dialect,
    (table, period, code): (&str, &str, &str),
) -> Option<(String, Vec<Arg>)> {
    let mut args = Vec::new();
    let mut p = |a: Arg| {
        args.push(a);
        (d.placeholder)(args.len())
    };
    let mut parts = vec![
        format!("{period} >= {}", p(Arg::Text(q.first.clone()))),
        format!("{period} <= {}", p(Arg::Text(q.last.clone()))),
    ];
    parts.extend(scope_parts(&q.owners, q.area.as_deref(), code, &mut p)?);
    if q.by.closed_only {
        parts.push("close_min >= 0".to_owned());
    }
    let sum = |c: &str| format!("cast(sum({c}) as bigint) as {c}");
    let by = q.by;
    let grid = by
        .grid_len
        .map_or(code.to_owned(), |n| format!("substr({code}, 1, {n})"));
    let or_blank = |on: bool, c: &str| {
        if on {
            c.to_owned()
        } else {
            "cast('' as text)".to_owned()
        }
    };
    let close = if by.close {
        "close_min"
    } else {
        "cast(-1 as bigint)"
    };
    let sql = format!(
        "select {grid} as grid, {} as category, {} as status, {close} as close_min, {}, {}, {}, {}, {} \
         from {table} where {} group by 1, 2, 3, 4",
        or_blank(by.category, "category"),
        or_blank(by.status, "status"),
        sum("reported"),
        sum("due"),
        sum("on_time"),
        sum("finished"),
        sum("reopened"),
        parts.join(" and ")
    );
    Some((sql, args))
}

/// One row of [`days_sql`]: the summed figures of one grid, category,
/// status and minutes to 结案 (-1: not closed, or not handled).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DayRow {
    /// the grid code
    pub grid: String,
    /// the category code
    pub category: String,
    /// `closed` or `rejected`
    pub status: String,
    /// minutes from report to 结案, or -1
    pub close_min: i64,
    /// cases
    pub reported: i64,
    /// handled cases (due: finished, or closed without)
    pub due: i64,
    /// finished (办结) by the deadline
    pub on_time: i64,
    /// finished
    pub finished: i64,
    /// finished and reopened at least once
    pub reopened: i64,
}

impl DayRow {
    /// Only the row's minutes to 结案 and how many cases took them (a row
    /// of a read with [`DaysBy::closed_only`], whose other figures come
    /// from another read).
    pub fn close_counts(&self) -> crate::domain::handling::Counts {
        crate::domain::handling::Counts {
            close_minutes: (self.close_min >= 0).then_some(self.close_min),
            cases: self.reported as usize,
            ..Default::default()
        }
    }

    /// The row's figures in the terms of [`crate::domain::handling::Handling::add_counts`].
    pub fn counts(&self) -> crate::domain::handling::Counts {
        crate::domain::handling::Counts {
            close_minutes: (self.close_min >= 0).then_some(self.close_min),
            cases: self.reported as usize,
            due: self.due as usize,
            on_time: self.on_time as usize,
            finished: self.finished as usize,
            reopened: self.reopened as usize,
        }
    }
}

/// A write touching more buckets than this (an import) recomputes them
/// together: the keys go to a temporary table `refresh_keys (day, grid,
/// category)` and one delete and one insert cover them all, instead of a
/// pair of statements per bucket (300,000 imported cases are about as many
/// buckets).
pub const REFRESH_SET_ABOVE: usize = 16;

/// The condition (on alias `i`) of a case whose bucket is in `refresh_keys`.
pub fn refresh_keys_scope(d: &DayDialect) -> String {
    format!(
        "exists (select 1 from refresh_keys k where k.grid = coalesce(i.grid, '') \
         and k.category = i.category and k.day = {})",
        (d.day_of)("i.reported_at")
    )
}

/// The condition (on `incident_days`) of the day rows of the buckets in
/// `refresh_keys`.
pub const REFRESH_KEYS_DAYS: &str = "exists (select 1 from refresh_keys k where k.day = incident_days.day \
     and k.grid = incident_days.grid and k.category = incident_days.category)";

/// The condition (on `incident_days`) of the day rows of one bucket: its
/// day, grid and category, placeholders from `first`.
pub fn bucket_days(k: &DayKey, d: &Dialect, first: usize) -> (String, Vec<Arg>) {
    let sql = format!(
        "day = {} and grid = {} and category = {}",
        (d.placeholder)(first),
        (d.placeholder)(first + 1),
        (d.placeholder)(first + 2)
    );
    let args = vec![
        Arg::Text(k.day.clone()),
        Arg::Text(k.grid.clone().unwrap_or_default()),
        Arg::Text(k.category.clone()),
    ];
    (sql, args)
}

/// The street of a grid code in the month rollups.
fn street_of(grid: &str) -> &str {
    &grid[..grid.len().min(crate::domain::Level::Street.code_len())]
}

/// The statement adding (`sign` 1) or taking away (-1) the day rows of
/// `table` (`incident_days`, or a copy of some of its rows) that match
/// `days` to or from the month rollups (`incident_months`). A bucket's write takes its old day rows
/// away, rewrites them, adds the new ones and drops emptied months
/// ([`MONTHS_DROP_EMPTY`]): the cost follows the bucket, not the month.
pub fn months_apply_sql(table: &str, days: &str, sign: i64) -> String {
    let street = crate::domain::Level::Street.code_len();
    let add = |c: &str| format!("{c} = incident_months.{c} + excluded.{c}");
    format!(
        "insert into incident_months (month, street, category, status, reported, due, on_time, finished, reopened) \
         select substr(day, 1, 7), substr(grid, 1, {street}), category, status, \
           {sign} * sum(reported), {sign} * sum(due), {sign} * sum(on_time), {sign} * sum(finished), {sign} * sum(reopened) \
         from {table} where {days} group by 1, 2, 3, 4 \
         on conflict (month, street, category, status) do update set {}, {}, {}, {}, {}",
        add("reported"),
        add("due"),
        add("on_time"),
        add("finished"),
        add("reopened"),
    )
}

/// Drops the month rows left without cases (`reported` counts every case
/// of a row, the other figures only some of them).
pub const MONTHS_DROP_EMPTY: &str = "delete from incident_months where reported = 0";

/// The month rollups of one bucket (for [`MONTHS_DROP_EMPTY`]): its month,
/// street and category, placeholders from `first`.
pub fn bucket_months(k: &DayKey, d: &Dialect, first: usize) -> (String, Vec<Arg>) {
    let sql = format!(
        "month = {} and street = {} and category = {}",
        (d.placeholder)(first),
        (d.placeholder)(first + 1),
        (d.placeholder)(first + 2)
    );
    let args = vec![
        Arg::Text(k.day.chars().take(7).collect()),
        Arg::Text(street_of(k.grid.as_deref().unwrap_or("")).to_owned()),
        Arg::Text(k.category.clone()),
    ];
    (sql, args)
}

/// The month rollups of the buckets in `refresh_keys`.
pub fn refresh_keys_months() -> String {
    format!(
        "exists (select 1 from refresh_keys k where substr(k.day, 1, 7) = incident_months.month \
         and substr(k.grid, 1, {}) = incident_months.street and k.category = incident_months.category)",
        crate::domain::Level::Street.code_len()
    )
}

/// The meta key set once the aggregates (per day, per month and per grid
/// and month) hold every stored case.
pub const DAYS_FILLED: &str = "incident_days+months";
