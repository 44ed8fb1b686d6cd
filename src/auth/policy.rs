//! The one rights policy. Every path out (tiles, OGC, queries, exports, SSE,
//! Open311, stats) and every write asks here: role × assigned areas × record
//! kind → a [`Scope`] of records, a mask, and how people may be counted.
//! Rules are data ([`RULES`]); nothing here knows of HTTP. Deny is the default:
//! a kind/action without a rule for the role gives [`Scope::Nothing`], and an
//! account without areas reaches no records.

use serde::Serialize;

use super::{Principal, Role};
use crate::domain::{AreaCode, Layer};

/// Kinds of records the policy decides over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Areas (district, streets, communities, grids) with their heads.
    Areas,
    /// 隐患点 hazard points.
    Hazards,
    /// 安置点 shelters.
    Shelters,
    /// 重点场所 key places.
    Places,
    /// 事件 incidents.
    Incidents,
    /// 特殊人群 special-population records (masked).
    People,
    /// Patrol tracks, members and coverage.
    Patrol,
    /// The audit log.
    Audit,
    /// Accounts (admin pages).
    Accounts,
    /// 预警区 warning areas.
    Warnings,
    /// Grid topology problems (gaps, overlaps, outside the parent, bad codes).
    Topology,
    /// Configuration tables (handling deadlines per category).
    Config,
    /// 走访 follow-up visits to people records (and their schedule: `Change`).
    Visits,
}

/// What is done to a kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// List, read by id, draw in tiles, export, receive as live events.
    Read,
    /// Read unmasked detail (people, with a stated purpose).
    Unmask,
    /// Create (report an incident, post a patrol track).
    Create,
    /// Change an existing record (workflow steps on an incident).
    Change,
    /// Load records in bulk from a file (imports), creating or replacing them.
    Import,
    /// Add evidence to a record (photos on an incident).
    Attach,
}

/// How far a rule reaches for the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// Every record of the kind.
    Everywhere,
    /// Records in the subtrees of the caller's assigned areas.
    InAreas,
    /// Records the caller created (a public account's own reports).
    Own,
}

/// Who a rule is for: anonymous callers are `None`.
type Who = Option<Role>;

/// One grant: `roles` may do `action` on `kind` within `reach`.
#[derive(Debug)]
pub struct Rule {
    /// record kind
    pub kind: Kind,
    /// what is done
    pub action: Action,
    /// who may (None = anonymous)
    pub who: &'static [Who],
    /// how far
    pub reach: Reach,
}

const ANYONE: &[Who] = &[
    None,
    Some(Role::Public),
    Some(Role::Admin),
    Some(Role::Command),
    Some(Role::Street),
    Some(Role::Community),
    Some(Role::Grid),
    Some(Role::Flood),
];
const SIGNED_IN: &[Who] = &[
    Some(Role::Public),
    Some(Role::Admin),
    Some(Role::Command),
    Some(Role::Street),
    Some(Role::Community),
    Some(Role::Grid),
    Some(Role::Flood),
];
/// Staff below the administrator, all reaching into their areas.
const AREA_STAFF: &[Who] = &[
    Some(Role::Command),
    Some(Role::Street),
    Some(Role::Community),
    Some(Role::Grid),
    Some(Role::Flood),
];
const LEADERS_AND_HEADS: &[Who] = &[
    Some(Role::Command),
    Some(Role::Street),
    Some(Role::Community),
    Some(Role::Grid),
];
const ADMIN: &[Who] = &[Some(Role::Admin)];

/// The grants. Anything not granted here is denied.
#[rustfmt::skip]
pub const RULES: &[Rule] = &[
    // Reference layers are public; phone numbers of persons are masked by `contact_phones`.
    Rule { kind: Kind::Areas, action: Action::Read, who: ANYONE, reach: Reach::Everywhere },
    Rule { kind: Kind::Hazards, action: Action::Read, who: ANYONE, reach: Reach::Everywhere },
    Rule { kind: Kind::Shelters, action: Action::Read, who: ANYONE, reach: Reach::Everywhere },
    Rule { kind: Kind::Places, action: Action::Read, who: ANYONE, reach: Reach::Everywhere },
    // Incidents: staff in their areas, the public its own reports; anyone signed in reports.
    Rule { kind: Kind::Incidents, action: Action::Read, who: ADMIN, reach: Reach::Everywhere },
    Rule { kind: Kind::Incidents, action: Action::Read, who: AREA_STAFF, reach: Reach::InAreas },
    Rule { kind: Kind::Incidents, action: Action::Read, who: &[Some(Role::Public)], reach: Reach::Own },
    Rule { kind: Kind::Incidents, action: Action::Create, who: SIGNED_IN, reach: Reach::Everywhere },
    // Which workflow step a role may take is the workflow table's; where, is this.
    Rule { kind: Kind::Incidents, action: Action::Change, who: ADMIN, reach: Reach::Everywhere },
    Rule { kind: Kind::Incidents, action: Action::Change, who: LEADERS_AND_HEADS, reach: Reach::InAreas },
    // Photos follow the case: the staff who work it, and a public reporter on its own report.
    Rule { kind: Kind::Incidents, action: Action::Attach, who: ADMIN, reach: Reach::Everywhere },
    Rule { kind: Kind::Incidents, action: Action::Attach, who: LEADERS_AND_HEADS, reach: Reach::InAreas },
    Rule { kind: Kind::Incidents, action: Action::Attach, who: &[Some(Role::Public)], reach: Reach::Own },
    // People: masked records in one's areas; the flood role gets counts only until warnings land.
    Rule { kind: Kind::People, action: Action::Read, who: ADMIN, reach: Reach::Everywhere },
    Rule { kind: Kind::People, action: Action::Read, who: LEADERS_AND_HEADS, reach: Reach::InAreas },
    Rule { kind: Kind::People, action: Action::Unmask, who: ADMIN, reach: Reach::Everywhere },
    Rule {
        kind: Kind::People,
        action: Action::Unmask,
        who: &[Some(Role::Street), Some(Role::Community), Some(Role::Grid)],
        reach: Reach::InAreas,
    },
    // Patrol: staff read in their areas; command and grid heads post tracks for their teams.
    Rule { kind: Kind::Patrol, action: Action::Read, who: ADMIN, reach: Reach::Everywhere },
    Rule { kind: Kind::Patrol, action: Action::Read, who: AREA_STAFF, reach: Reach::InAreas },
    Rule { kind: Kind::Patrol, action: Action::Create, who: ADMIN, reach: Reach::Everywhere },
    Rule {
        kind: Kind::Patrol,
        action: Action::Create,
        who: &[Some(Role::Command), Some(Role::Grid)],
        reach: Reach::InAreas,
    },
    // Warnings: flood, command and admin issue, extend and lift them; staff whose areas a
    // warning touches read it; heads confirm the hazards of their areas.
    Rule { kind: Kind::Warnings, action: Action::Read, who: ADMIN, reach: Reach::Everywhere },
    Rule { kind: Kind::Warnings, action: Action::Read, who: AREA_STAFF, reach: Reach::InAreas },
    Rule { kind: Kind::Warnings, action: Action::Create, who: ADMIN, reach: Reach::Everywhere },
    Rule { kind: Kind::Warnings, action: Action::Create, who: &[Some(Role::Flood), Some(Role::Command)], reach: Reach::InAreas },
    Rule { kind: Kind::Warnings, action: Action::Change, who: ADMIN, reach: Reach::Everywhere },
    Rule { kind: Kind::Warnings, action: Action::Change, who: &[Some(Role::Flood), Some(Role::Command)], reach: Reach::InAreas },
    Rule { kind: Kind::Hazards, action: Action::Change, who: ADMIN, reach: Reach::Everywhere },
    Rule { kind: Kind::Hazards, action: Action::Change, who: LEADERS_AND_HEADS, reach: Reach::InAreas },
    Rule { kind: Kind::Audit, action: Action::Read, who: ADMIN, reach: Reach::Everywhere },
    Rule { kind: Kind::Accounts, action: Action::Read, who: ADMIN, reach: Reach::Everywhere },
    Rule { kind: Kind::Accounts, action: Action::Change, who: ADMIN, reach: Reach::Everywhere },
    // Imports replace records in bulk, wherever they lie: the admin's alone. The topology
    // check (gaps, overlaps between grids) is the admin's working layer for them.
    Rule { kind: Kind::Areas, action: Action::Import, who: ADMIN, reach: Reach::Everywhere },
    Rule { kind: Kind::Hazards, action: Action::Import, who: ADMIN, reach: Reach::Everywhere },
    Rule { kind: Kind::Shelters, action: Action::Import, who: ADMIN, reach: Reach::Everywhere },
    Rule { kind: Kind::Places, action: Action::Import, who: ADMIN, reach: Reach::Everywhere },
    Rule { kind: Kind::People, action: Action::Import, who: ADMIN, reach: Reach::Everywhere },
    Rule { kind: Kind::Incidents, action: Action::Import, who: ADMIN, reach: Reach::Everywhere },
    Rule { kind: Kind::Topology, action: Action::Read, who: ADMIN, reach: Reach::Everywhere },
    // Configuration: read by anyone signed in (forms show deadlines), changed by the admin.
    Rule { kind: Kind::Config, action: Action::Read, who: SIGNED_IN, reach: Reach::Everywhere },
    Rule { kind: Kind::Config, action: Action::Change, who: ADMIN, reach: Reach::Everywhere },
    // Visits (走访): read where one reads the people records; street, community and grid
    // heads visit their own areas' people; the command centre watches, flood and public
    // nothing. `Change` is the schedule (admin).
    Rule { kind: Kind::Visits, action: Action::Read, who: ADMIN, reach: Reach::Everywhere },
    Rule { kind: Kind::Visits, action: Action::Read, who: LEADERS_AND_HEADS, reach: Reach::InAreas },
    Rule { kind: Kind::Visits, action: Action::Create, who: ADMIN, reach: Reach::Everywhere },
    Rule {
        kind: Kind::Visits,
        action: Action::Create,
        who: &[Some(Role::Street), Some(Role::Community), Some(Role::Grid)],
        reach: Reach::InAreas,
    },
    Rule { kind: Kind::Visits, action: Action::Change, who: ADMIN, reach: Reach::Everywhere },
];

/// The records a caller reaches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// None at all (the default).
    Nothing,
    /// Every record.
    All,
    /// Records whose grid lies in one of these subtrees. A district code also
    /// owns the records outside every grid (the district's fallback queue).
    Subtrees(Vec<AreaCode>),
    /// Records created by this account.
    Own(String),
}

impl Scope {
    /// True when a record owned by `grid` (and created by `owner`) is in scope.
    ///
    /// ```
    /// use minqing::auth::policy::Scope;
    /// use minqing::domain::AreaCode;
    /// let s = Scope::Subtrees(vec![AreaCode::parse("441802006").unwrap()]);
    /// assert!(s.allows(Some("441802006001002"), None));
    /// assert!(!s.allows(Some("441802007001002"), None));
    /// assert!(!s.allows(None, None), "the fallback queue belongs to the district");
    /// assert!(!Scope::Subtrees(vec![]).allows(Some("441802006001002"), None), "no areas, no records");
    /// ```
    pub fn allows(&self, grid: Option<&str>, owner: Option<&str>) -> bool {
        match self {
            Scope::Nothing => false,
            Scope::All => true,
            Scope::Subtrees(areas) => match grid {
                Some(g) => areas.iter().any(|a| g.starts_with(a.as_str())),
                None => areas.iter().any(|a| a.as_str().len() == 6),
            },
            Scope::Own(me) => owner == Some(me.as_str()),
        }
    }

    /// True when every record under area `code` is in scope.
    ///
    /// ```
    /// use minqing::auth::policy::Scope;
    /// use minqing::domain::AreaCode;
    /// let s = Scope::Subtrees(vec![AreaCode::parse("441802006").unwrap()]);
    /// assert!(s.covers_area("441802006001"));
    /// assert!(!s.covers_area("441802"), "a street does not cover its district");
    /// ```
    pub fn covers_area(&self, code: &str) -> bool {
        match self {
            Scope::All => true,
            Scope::Subtrees(areas) => areas.iter().any(|a| code.starts_with(a.as_str())),
            Scope::Nothing | Scope::Own(_) => false,
        }
    }

    /// True when some record under area `code` may be in scope.
    pub fn meets_area(&self, code: &str) -> bool {
        match self {
            Scope::All => true,
            Scope::Subtrees(areas) => areas
                .iter()
                .any(|a| code.starts_with(a.as_str()) || a.as_str().starts_with(code)),
            Scope::Own(_) => true,
            Scope::Nothing => false,
        }
    }

    /// True when no record is reachable.
    pub fn is_nothing(&self) -> bool {
        matches!(self, Scope::Nothing)
    }

    /// A stable key for caches of answers that depend on the scope.
    pub fn cache_key(&self) -> String {
        match self {
            Scope::Nothing => "-".into(),
            Scope::All => "*".into(),
            Scope::Subtrees(a) => {
                let mut codes: Vec<&str> = a.iter().map(AreaCode::as_str).collect();
                codes.sort_unstable();
                codes.join("+")
            }
            Scope::Own(u) => format!("own:{u}"),
        }
    }
}

/// How people may be counted for a caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeopleCounts {
    /// Areas whose counts are exact (the caller may list their records).
    pub exact: Scope,
    /// Whether counts elsewhere are given, protected ("<3" and complementary suppression).
    pub protected_elsewhere: bool,
}

impl PeopleCounts {
    /// A stable key for caches.
    pub fn cache_key(&self) -> String {
        format!(
            "{}{}",
            self.exact.cache_key(),
            if self.protected_elsewhere { "|p" } else { "" }
        )
    }
}

/// The scope of `action` on `kind` for a caller (`None` = anonymous).
///
/// ```
/// use minqing::auth::policy::{decide, Action, Kind, Scope};
/// assert_eq!(decide(None, Kind::Hazards, Action::Read), Scope::All);
/// assert_eq!(decide(None, Kind::Incidents, Action::Read), Scope::Nothing);
/// assert_eq!(decide(None, Kind::People, Action::Read), Scope::Nothing);
/// ```
pub fn decide(who: Option<&Principal>, kind: Kind, action: Action) -> Scope {
    let role = who.map(|p| p.role);
    let Some(rule) = RULES
        .iter()
        .find(|r| r.kind == kind && r.action == action && r.who.contains(&role))
    else {
        return Scope::Nothing;
    };
    match (rule.reach, who) {
        (Reach::Everywhere, _) => Scope::All,
        (Reach::InAreas, Some(p)) if !p.areas.is_empty() => Scope::Subtrees(p.areas.clone()),
        (Reach::Own, Some(p)) => Scope::Own(p.username.clone()),
        _ => Scope::Nothing,
    }
}

/// The record kind a map layer draws.
pub fn kind_of(layer: Layer) -> Kind {
    match layer {
        Layer::Grids => Kind::Areas,
        Layer::Hazards => Kind::Hazards,
        Layer::Shelters => Kind::Shelters,
        Layer::Places => Kind::Places,
        Layer::Incidents => Kind::Incidents,
        Layer::People => Kind::People,
        Layer::Patrol => Kind::Patrol,
    }
}

/// May the caller see anything of `layer` at all (records or, for people, counts)?
pub fn sees_layer(who: Option<&Principal>, layer: Layer) -> bool {
    match layer {
        Layer::People => people_counts(who).is_some(),
        l => !read(who, kind_of(l)).is_nothing(),
    }
}

/// Shorthand for [`decide`] with [`Action::Read`].
pub fn read(who: Option<&Principal>, kind: Kind) -> Scope {
    decide(who, kind, Action::Read)
}

/// Whether phone numbers of persons (grid heads, hazard monitors) are shown:
/// to signed-in callers only.
pub fn contact_phones(who: Option<&Principal>) -> bool {
    who.is_some()
}

/// How people are counted for a caller; `None` = no counts at all
/// (anonymous, public).
///
/// Callers who may list records get exact counts there. The command centre
/// and the flood role also get protected counts elsewhere; street, community
/// and grid heads see nothing outside their areas.
pub fn people_counts(who: Option<&Principal>) -> Option<PeopleCounts> {
    let p = who?;
    let exact = read(who, Kind::People);
    let protected_elsewhere = match p.role {
        Role::Admin | Role::Command | Role::Flood => true,
        Role::Street | Role::Community | Role::Grid | Role::Public => false,
    };
    if exact.is_nothing() && !protected_elsewhere {
        return None;
    }
    Some(PeopleCounts {
        exact,
        protected_elsewhere,
    })
}

/// Who may read people records through a warning, and which.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeopleInWarning {
    /// the records' areas in reach (further limited to the warning's area by the caller)
    pub scope: Scope,
    /// only the evacuation categories (独居老人, 残疾人, 留守儿童 …)
    pub evacuation_only: bool,
}

/// The contract's flood rule: the flood role reads masked records of the
/// evacuation categories inside active warnings it issued (closed when the
/// warning is lifted or expires); other roles read their usual people scope
/// inside a warning. `None`: no people at all.
///
/// ```
/// use minqing::auth::{Principal, Role};
/// use minqing::auth::policy::people_in_warning;
/// let f = Principal { username: "fangxun".into(), role: Role::Flood, areas: vec![] };
/// assert!(people_in_warning(Some(&f), "fangxun", true).unwrap().evacuation_only);
/// assert!(people_in_warning(Some(&f), "fangxun", false).is_none(), "lifted or expired: closed");
/// assert!(people_in_warning(Some(&f), "other_flood", true).is_none(), "another account's warning");
/// ```
pub fn people_in_warning(
    who: Option<&Principal>,
    issued_by: &str,
    active: bool,
) -> Option<PeopleInWarning> {
    let p = who?;
    if p.role == Role::Flood {
        return (active && p.username == issued_by).then_some(PeopleInWarning {
            scope: Scope::All,
            evacuation_only: true,
        });
    }
    let scope = read(who, Kind::People);
    (!scope.is_nothing()).then_some(PeopleInWarning {
        scope,
        evacuation_only: false,
    })
}

/// Why a stored account cannot become a principal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountProblem {
    /// The stored role is not one of the contract's.
    UnknownRole(String),
    /// A stored area code does not parse.
    BadArea(String),
    /// A role that works in areas has none.
    NoArea,
}

impl std::fmt::Display for AccountProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AccountProblem::UnknownRole(r) => write!(f, "unknown stored role {r:?}"),
            AccountProblem::BadArea(a) => write!(f, "stored area code {a:?} does not parse"),
            AccountProblem::NoArea => {
                write!(f, "a street, community or grid account needs an area")
            }
        }
    }
}

/// True for roles whose work is bound to assigned areas.
pub fn needs_area(role: Role) -> bool {
    matches!(role, Role::Street | Role::Community | Role::Grid)
}

/// Builds a principal from a stored account, refusing anything doubtful
/// rather than widening or narrowing rights silently.
///
/// ```
/// use minqing::auth::policy::{principal, AccountProblem};
/// assert_eq!(principal("x", "grid", &[]), Err(AccountProblem::NoArea));
/// assert!(matches!(principal("x", "grid", &["44180200600100x".into()]), Err(AccountProblem::BadArea(_))));
/// assert!(principal("x", "grid", &["441802006001001".into()]).is_ok());
/// ```
pub fn principal(
    username: &str,
    role: &str,
    areas: &[String],
) -> Result<Principal, AccountProblem> {
    let role = Role::parse(role).ok_or_else(|| AccountProblem::UnknownRole(role.to_owned()))?;
    let areas = areas
        .iter()
        .filter(|a| !a.trim().is_empty())
        .map(|a| AreaCode::parse(a).map_err(|_| AccountProblem::BadArea(a.clone())))
        .collect::<Result<Vec<_>, _>>()?;
    if needs_area(role) && areas.is_empty() {
        return Err(AccountProblem::NoArea);
    }
    Ok(Principal {
        username: username.to_owned(),
        role,
        areas,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn who(role: Role, areas: &[&str]) -> Principal {
        Principal {
            username: "u".into(),
            role,
            areas: areas.iter().map(|a| AreaCode::parse(a).unwrap()).collect(),
        }
    }

    #[test]
    fn an_empty_scope_reaches_nothing() {
        let p = who(Role::Command, &[]);
        assert_eq!(
            read(Some(&p), Kind::Incidents),
            Scope::Nothing,
            "no areas, no incidents"
        );
        assert_eq!(
            read(Some(&p), Kind::People),
            Scope::Nothing,
            "no areas, no people"
        );
    }

    #[test]
    fn anonymous_and_public_get_nothing_of_people() {
        let public = who(Role::Public, &[]);
        for w in [None, Some(&public)] {
            assert!(read(w, Kind::People).is_nothing(), "{w:?} reads no people");
            assert!(people_counts(w).is_none(), "{w:?} gets no people counts");
        }
        assert_eq!(read(Some(&public), Kind::Incidents), Scope::Own("u".into()));
    }

    #[test]
    fn flood_gets_counts_but_no_records_until_warnings() {
        let f = who(Role::Flood, &["441802"]);
        assert!(read(Some(&f), Kind::People).is_nothing());
        let c = people_counts(Some(&f)).expect("flood gets counts");
        assert!(c.exact.is_nothing() && c.protected_elsewhere);
    }

    #[test]
    fn grid_heads_act_only_in_their_grid() {
        let g = who(Role::Grid, &["441802006001001"]);
        let s = decide(Some(&g), Kind::Incidents, Action::Change);
        assert!(s.allows(Some("441802006001001"), None));
        assert!(!s.allows(Some("441802006001002"), None));
        assert!(
            !s.allows(None, None),
            "the fallback queue is the district's"
        );
        assert!(
            decide(
                Some(&who(Role::Flood, &["441802"])),
                Kind::Incidents,
                Action::Change
            )
            .is_nothing()
        );
    }
}
