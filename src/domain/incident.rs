//! 事件 incidents and their closed loop
//! (上报 → 受理 → 派遣 → 处置 → 办结 → 核查 → 回访 → 结案).

use chrono::{DateTime, Duration, FixedOffset, Utc};
use serde::{Deserialize, Serialize};

/// Incident categories of the demo (code, Chinese name, default handling time in hours).
pub const CATEGORIES: [(&str, &str, i64); 10] = [
    ("neighbour", "邻里纠纷", 7 * 24),
    ("family", "婚姻家庭", 7 * 24),
    ("land", "土地山林", 15 * 24),
    ("property", "物业管理", 7 * 24),
    ("labour", "劳资纠纷", 7 * 24),
    ("demolition", "征地拆迁", 15 * 24),
    ("pollution", "环境污染", 24),
    ("security", "治安隐患", 24),
    ("safety", "安全隐患", 2),
    ("livelihood", "民生诉求", 7 * 24),
];

/// Intake channels (来源).
pub const SOURCES: [&str; 6] = [
    "网格巡查",
    "12345",
    "110非警务",
    "群众上报",
    "走访",
    "网格员上报",
];

/// The channel of a report by the reporter's role, when the report names
/// none: a grid head's own report is 网格员上报; anyone else reports as the
/// public does. (Open311 requests come in as 12345.)
pub const CHANNEL_BY_ROLE: &[(crate::auth::Role, &str)] =
    &[(crate::auth::Role::Grid, "网格员上报")];

/// The channel for a report by `role` (see [`CHANNEL_BY_ROLE`]).
///
/// ```
/// use minqing::auth::Role;
/// use minqing::domain::incident::channel_for;
/// assert_eq!(channel_for(Role::Grid), "网格员上报");
/// assert_eq!(channel_for(Role::Public), "群众上报");
/// ```
pub fn channel_for(role: crate::auth::Role) -> &'static str {
    CHANNEL_BY_ROLE
        .iter()
        .find(|(r, _)| *r == role)
        .map_or("群众上报", |(_, c)| c)
}

/// One step of an incident's history, as the demo seeds it.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// the incident
    pub incident_id: String,
    /// when
    pub at: DateTime<Utc>,
    /// who
    pub actor: String,
    /// action name (`report`, `accept`, …)
    pub action: String,
    /// status after the step
    pub status: IncidentStatus,
    /// note
    pub note: String,
}

/// Resolves a category given as code or Chinese name to its code.
///
/// ```
/// use minqing::domain::incident::category_code;
/// assert_eq!(category_code("邻里纠纷"), Some("neighbour"));
/// assert_eq!(category_code("safety"), Some("safety"));
/// assert_eq!(category_code("unknown"), None);
/// ```
pub fn category_code(s: &str) -> Option<&'static str> {
    CATEGORIES
        .iter()
        .find(|(code, name, _)| *code == s || *name == s)
        .map(|(code, _, _)| *code)
}

/// The Chinese name of a category code (the code itself when unknown).
pub fn category_name(code: &str) -> &str {
    CATEGORIES
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, name, _)| *name)
        .unwrap_or(code)
}

/// The default handling time of a category in hours (the configured one, in
/// the store's `incident_deadlines`, wins where a store is at hand).
pub fn default_hours(code: &str) -> i64 {
    CATEGORIES
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, _, h)| *h)
        .unwrap_or(7 * 24)
}

/// The default deadline for a category reported at `at`.
pub fn deadline_for(code: &str, at: DateTime<Utc>) -> DateTime<Utc> {
    at + Duration::hours(default_hours(code))
}

/// Longest handling time an administrator may configure (a year).
pub const MAX_DEADLINE_HOURS: i64 = 366 * 24;

/// Status in the closed loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentStatus {
    /// 上报
    Reported,
    /// 受理
    Accepted,
    /// 不予受理
    Rejected,
    /// 派遣
    Dispatched,
    /// 处置中
    InProgress,
    /// 办结
    Resolved,
    /// 核查
    Verified,
    /// 回访
    Revisited,
    /// 结案
    Closed,
}

impl IncidentStatus {
    /// All statuses in loop order.
    pub const ALL: [IncidentStatus; 9] = [
        IncidentStatus::Reported,
        IncidentStatus::Accepted,
        IncidentStatus::Rejected,
        IncidentStatus::Dispatched,
        IncidentStatus::InProgress,
        IncidentStatus::Resolved,
        IncidentStatus::Verified,
        IncidentStatus::Revisited,
        IncidentStatus::Closed,
    ];

    /// Wire name (`reported`, `in_progress`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            IncidentStatus::Reported => "reported",
            IncidentStatus::Accepted => "accepted",
            IncidentStatus::Rejected => "rejected",
            IncidentStatus::Dispatched => "dispatched",
            IncidentStatus::InProgress => "in_progress",
            IncidentStatus::Resolved => "resolved",
            IncidentStatus::Verified => "verified",
            IncidentStatus::Revisited => "revisited",
            IncidentStatus::Closed => "closed",
        }
    }

    /// Parses the wire name.
    pub fn parse(s: &str) -> Option<IncidentStatus> {
        IncidentStatus::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// True while the case still needs work (counts towards open and overdue).
    pub fn is_open(self) -> bool {
        !matches!(
            self,
            IncidentStatus::Resolved
                | IncidentStatus::Verified
                | IncidentStatus::Revisited
                | IncidentStatus::Closed
                | IncidentStatus::Rejected
        )
    }
}

/// One reported incident (事件).
#[derive(Debug, Clone, PartialEq)]
pub struct Incident {
    /// Stable id, e.g. `SJ20250101-00001`.
    pub id: String,
    /// Category code, see [`CATEGORIES`].
    pub category: String,
    /// 来源
    pub source: String,
    /// 描述 (free text, stored and returned as text)
    pub description: String,
    /// WGS84 lon
    pub lon: f64,
    /// WGS84 lat
    pub lat: f64,
    /// Owning grid, `None` for the district's fallback queue (兜底).
    pub grid: Option<String>,
    /// 状态
    pub status: IncidentStatus,
    /// 上报时间
    pub reported_at: DateTime<Utc>,
    /// 办理时限
    pub deadline: DateTime<Utc>,
    /// Optimistic-concurrency version, bumped by every action.
    pub version: i64,
    /// The account that reported it (a public account reads back its own reports);
    /// `None` for seeded or imported cases.
    pub reporter: Option<String>,
}

impl Incident {
    /// Open and past its deadline at `now`.
    pub fn is_overdue(&self, now: DateTime<Utc>) -> bool {
        self.status.is_open() && self.deadline < now
    }
}

/// Asia/Shanghai (+08:00, no daylight saving), the contract's zone.
pub fn shanghai() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("valid offset")
}

/// Formats a time as RFC 3339 in Asia/Shanghai (+08:00), the contract's zone.
pub fn to_shanghai(t: DateTime<Utc>) -> String {
    t.with_timezone(&shanghai()).to_rfc3339()
}

/// Statuses that end a case for good: a finished case of these is history
/// once it is older than the live window.
pub const FINAL_STATUSES: [IncidentStatus; 2] = [IncidentStatus::Closed, IncidentStatus::Rejected];

/// The fewest days a live window may span: the map shows the last 7 days,
/// so those must always be live.
pub const MIN_LIVE_DAYS: u32 = 8;

/// The split between what the index holds and what only the store answers:
/// a case is **history** when it is closed or rejected and was reported
/// before `before` (the start of the live window). Everything else is live.
/// The store's history queries use the same rule in SQL, so every incident
/// is answered by exactly one of the two paths. `None`: no window, all live.
///
/// ```
/// use chrono::{Duration, Utc};
/// use minqing::domain::incident::is_history;
/// use minqing::domain::{Incident, IncidentStatus};
/// let now = Utc::now();
/// let mut i = Incident { id: "x".into(), category: "safety".into(), source: "12345".into(),
///     description: String::new(), lon: 0.0, lat: 0.0, grid: None, status: IncidentStatus::Closed,
///     reported_at: now - Duration::days(400), deadline: now, version: 3, reporter: None };
/// let before = Some(now - Duration::days(90));
/// assert!(is_history(&i, before));
/// assert!(!is_history(&i, None), "no window: everything is live");
/// i.status = IncidentStatus::InProgress;
/// assert!(!is_history(&i, before), "a case still being worked is live however old");
/// ```
pub fn is_history(i: &Incident, before: Option<DateTime<Utc>>) -> bool {
    before.is_some_and(|b| i.reported_at < b && FINAL_STATUSES.contains(&i.status))
}

/// The incidents a map shows: every open case, and those reported in the last 7 days.
pub fn is_on_map(i: &Incident, now: DateTime<Utc>) -> bool {
    i.status.is_open() || i.reported_at > now - Duration::days(7)
}

/// How long after its deadline an open case is still escalated automatically
/// (older ones were escalated before, or predate the system).
pub const ESCALATION_WINDOW_HOURS: i64 = 24;

/// True when an open incident passed its deadline within the escalation window.
///
/// ```
/// use chrono::{Duration, Utc};
/// use minqing::domain::incident::due_for_escalation;
/// # let now = Utc::now();
/// # let mut i = minqing::domain::Incident { id: "x".into(), category: "safety".into(), source: "12345".into(), description: String::new(),
/// #     lon: 0.0, lat: 0.0, grid: None, status: minqing::domain::IncidentStatus::Accepted, reported_at: now - Duration::hours(5),
/// #     deadline: now - Duration::hours(3), version: 1, reporter: None };
/// assert!(due_for_escalation(&i, now));
/// i.deadline = now + Duration::hours(1);
/// assert!(!due_for_escalation(&i, now), "not yet overdue");
/// ```
pub fn due_for_escalation(i: &Incident, now: DateTime<Utc>) -> bool {
    i.is_overdue(now) && i.deadline > now - Duration::hours(ESCALATION_WINDOW_HOURS)
}
