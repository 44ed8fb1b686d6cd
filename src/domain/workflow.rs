//! The closed loop as a table: which action moves which status, and who may take it.
//!
//! 上报 reported → 受理 accepted (or 不予受理 rejected) → 派遣 dispatched → 处置 in_progress →
//! 办结 resolved → 核查 verified → 回访 revisited (satisfaction 1–5; 1–2 reopens) → 结案 closed.
//! 上报上级 escalate hands an open case to the parent area without changing its status.

use crate::auth::Role;
use crate::domain::IncidentStatus as S;

/// A workflow action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Action {
    /// wire name
    pub name: &'static str,
    /// Chinese name
    pub zh: &'static str,
    /// statuses it may start from
    pub from: &'static [S],
    /// status after it (`None` keeps the status)
    pub to: Option<S>,
    /// roles allowed (always within their areas)
    pub roles: &'static [Role],
    /// a note is required (reason, unit, result)
    pub needs_note: bool,
}

const LEADERS: &[Role] = &[Role::Admin, Role::Command, Role::Street, Role::Community];
const WORKERS: &[Role] = &[
    Role::Admin,
    Role::Command,
    Role::Street,
    Role::Community,
    Role::Grid,
];
const OPEN: &[S] = &[S::Reported, S::Accepted, S::Dispatched, S::InProgress];

/// Every action.
pub const ACTIONS: [Action; 10] = [
    Action {
        name: "accept",
        zh: "受理",
        from: &[S::Reported],
        to: Some(S::Accepted),
        roles: WORKERS,
        needs_note: false,
    },
    Action {
        name: "reject",
        zh: "不予受理",
        from: &[S::Reported],
        to: Some(S::Rejected),
        roles: LEADERS,
        needs_note: true,
    },
    Action {
        name: "dispatch",
        zh: "派遣",
        from: &[S::Accepted],
        to: Some(S::Dispatched),
        roles: LEADERS,
        needs_note: true,
    },
    Action {
        name: "start",
        zh: "处置",
        from: &[S::Dispatched],
        to: Some(S::InProgress),
        roles: WORKERS,
        needs_note: false,
    },
    Action {
        name: "resolve",
        zh: "办结",
        from: &[S::InProgress],
        to: Some(S::Resolved),
        roles: WORKERS,
        needs_note: true,
    },
    Action {
        name: "verify",
        zh: "核查",
        from: &[S::Resolved],
        to: Some(S::Verified),
        roles: LEADERS,
        needs_note: false,
    },
    Action {
        name: "revisit",
        zh: "回访",
        from: &[S::Verified],
        to: Some(S::Revisited),
        roles: WORKERS,
        needs_note: false,
    },
    Action {
        name: "close",
        zh: "结案",
        from: &[S::Revisited],
        to: Some(S::Closed),
        roles: LEADERS,
        needs_note: false,
    },
    Action {
        name: "escalate",
        zh: "上报上级",
        from: OPEN,
        to: None,
        roles: WORKERS,
        needs_note: true,
    },
    // A second report of the same problem is closed as a duplicate of the
    // first (`of`), which carries the work on; it counts in no handling time.
    Action {
        name: "link_duplicate",
        zh: "合并重复",
        from: OPEN,
        to: Some(S::Closed),
        roles: WORKERS,
        needs_note: false,
    },
];

/// Looks an action up by name.
pub fn action(name: &str) -> Option<&'static Action> {
    ACTIONS.iter().find(|a| a.name == name)
}

/// The steps `role` may take on a case at `status` (where it may act at all
/// is the policy's question), in the table's order.
///
/// ```
/// use minqing::auth::Role;
/// use minqing::domain::IncidentStatus as S;
/// use minqing::domain::workflow::available;
/// let names = |s, r| available(s, r).map(|a| a.name).collect::<Vec<_>>();
/// assert_eq!(names(S::Accepted, Role::Grid), ["escalate", "link_duplicate"], "a grid head does not dispatch");
/// assert!(names(S::Accepted, Role::Command).contains(&"dispatch"));
/// assert!(names(S::Closed, Role::Admin).is_empty(), "nothing follows 结案");
/// ```
pub fn available(status: S, role: Role) -> impl Iterator<Item = &'static Action> {
    ACTIONS
        .iter()
        .filter(move |a| a.roles.contains(&role) && a.from.contains(&status))
}

/// Why an action cannot be taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// the role may not take it
    Role,
    /// not from this status
    Status(S),
    /// a note is required
    Note,
    /// satisfaction missing or outside 1–5
    Satisfaction,
}

/// The status after `action` from `status`, given a satisfaction rating for
/// revisits. A rating of 1–2 reopens the case (back to 处置).
///
/// ```
/// use minqing::auth::Role;
/// use minqing::domain::IncidentStatus as S;
/// use minqing::domain::workflow::{action, next_status};
/// let revisit = action("revisit").unwrap();
/// assert_eq!(next_status(revisit, S::Verified, Role::Grid, "", Some(5)), Ok(S::Revisited));
/// assert_eq!(next_status(revisit, S::Verified, Role::Grid, "", Some(1)), Ok(S::InProgress));
/// assert!(next_status(action("close").unwrap(), S::Verified, Role::Command, "", None).is_err());
/// ```
pub fn next_status(
    a: &Action,
    status: S,
    role: Role,
    note: &str,
    satisfaction: Option<u8>,
) -> Result<S, Refusal> {
    if !a.roles.contains(&role) {
        return Err(Refusal::Role);
    }
    if !a.from.contains(&status) {
        return Err(Refusal::Status(status));
    }
    if a.needs_note && note.trim().is_empty() {
        return Err(Refusal::Note);
    }
    if a.name == "revisit" {
        return match satisfaction {
            Some(1..=2) => Ok(S::InProgress),
            Some(3..=5) => Ok(S::Revisited),
            _ => Err(Refusal::Satisfaction),
        };
    }
    Ok(a.to.unwrap_or(status))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_whole_loop_runs_from_report_to_close() {
        let steps = [
            ("accept", Role::Grid),
            ("dispatch", Role::Community),
            ("start", Role::Grid),
            ("resolve", Role::Grid),
            ("verify", Role::Street),
            ("revisit", Role::Grid),
            ("close", Role::Command),
        ];
        let mut s = S::Reported;
        for (name, role) in steps {
            s = next_status(action(name).unwrap(), s, role, "说明", Some(4))
                .unwrap_or_else(|e| panic!("{name} by {role:?} from {s:?}: {e:?}"));
        }
        assert_eq!(s, S::Closed);
    }

    #[test]
    fn wrong_roles_statuses_and_missing_notes_are_refused() {
        assert_eq!(
            next_status(
                action("dispatch").unwrap(),
                S::Accepted,
                Role::Grid,
                "x",
                None
            ),
            Err(Refusal::Role),
            "grid heads do not dispatch"
        );
        assert_eq!(
            next_status(action("accept").unwrap(), S::Closed, Role::Grid, "", None),
            Err(Refusal::Status(S::Closed))
        );
        assert_eq!(
            next_status(
                action("reject").unwrap(),
                S::Reported,
                Role::Command,
                " ",
                None
            ),
            Err(Refusal::Note),
            "a rejection needs a reason"
        );
        assert_eq!(
            next_status(
                action("revisit").unwrap(),
                S::Verified,
                Role::Grid,
                "",
                Some(9)
            ),
            Err(Refusal::Satisfaction)
        );
        assert_eq!(
            next_status(
                action("accept").unwrap(),
                S::Reported,
                Role::Public,
                "",
                None
            ),
            Err(Refusal::Role)
        );
    }
}
