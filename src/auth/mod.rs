//! Accounts, sessions, rights (role × area) and masking of person records.
//! Pure: the HTTP layer resolves a session to a [`Principal`] and asks here.

pub mod mask;
pub mod password;

use serde::Serialize;

use crate::domain::AreaCode;

/// Roles of the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// 管理员
    Admin,
    /// 指挥中心 (whole district)
    Command,
    /// 街道 leaders (their subtree)
    Street,
    /// 社区 leaders (their subtree)
    Community,
    /// 网格员 (their grids)
    Grid,
    /// 防汛 (hazards, shelters, vulnerable people in a queried area)
    Flood,
    /// 群众 (report and follow their own reports)
    Public,
}

impl Role {
    /// Parses a role name.
    pub fn parse(s: &str) -> Option<Role> {
        Some(match s {
            "admin" => Role::Admin,
            "command" => Role::Command,
            "street" => Role::Street,
            "community" => Role::Community,
            "grid" => Role::Grid,
            "flood" => Role::Flood,
            "public" => Role::Public,
            _ => return None,
        })
    }

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Command => "command",
            Role::Street => "street",
            Role::Community => "community",
            Role::Grid => "grid",
            Role::Flood => "flood",
            Role::Public => "public",
        }
    }
}

/// Who is calling: anonymous callers have no principal.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Principal {
    /// login name
    pub username: String,
    /// role
    pub role: Role,
    /// assigned areas (rights cover each area's subtree)
    pub areas: Vec<AreaCode>,
}

/// How much of the special-population layer a caller may see.
#[derive(Debug, Clone, PartialEq)]
pub enum PeopleScope {
    /// Per-area counts only, with 1–2 shown as "<3".
    CountsOnly,
    /// Masked records inside these subtrees (empty = everywhere).
    Records(Vec<AreaCode>),
}

impl Principal {
    /// True when the caller's rights cover `code` (an area or a record's grid).
    ///
    /// ```
    /// use minqing::auth::{Principal, Role};
    /// use minqing::domain::AreaCode;
    /// let p = Principal { username: "w".into(), role: Role::Grid, areas: vec![AreaCode::parse("441802006001001").unwrap()] };
    /// assert!(p.covers("441802006001001"));
    /// assert!(!p.covers("441802006001002"));
    /// ```
    pub fn covers(&self, code: &str) -> bool {
        match self.role {
            Role::Admin | Role::Command => true,
            _ => self.areas.iter().any(|a| code.starts_with(a.as_str())),
        }
    }

    /// The special-population scope of this caller.
    pub fn people_scope(&self) -> PeopleScope {
        match self.role {
            Role::Admin | Role::Command => PeopleScope::Records(Vec::new()),
            Role::Street | Role::Community | Role::Grid => PeopleScope::Records(self.areas.clone()),
            // Flood leaders see people only inside an area they query (see the within query).
            Role::Flood | Role::Public => PeopleScope::CountsOnly,
        }
    }

    /// Roles that may read unmasked detail, with a stated purpose.
    pub fn may_unmask(&self) -> bool {
        matches!(
            self.role,
            Role::Admin | Role::Grid | Role::Community | Role::Street
        )
    }
}

impl PeopleScope {
    /// True when a record in `grid` may be listed (masked).
    pub fn allows(&self, grid: Option<&str>) -> bool {
        match self {
            PeopleScope::CountsOnly => false,
            PeopleScope::Records(areas) if areas.is_empty() => true,
            PeopleScope::Records(areas) => {
                grid.is_some_and(|g| areas.iter().any(|a| g.starts_with(a.as_str())))
            }
        }
    }
}

/// A count as shown to callers without detail rights: 1 and 2 become "<3"
/// so no one is singled out.
///
/// ```
/// use minqing::auth::suppressed_count;
/// assert_eq!(suppressed_count(0), serde_json::json!(0));
/// assert_eq!(suppressed_count(2), serde_json::json!("<3"));
/// assert_eq!(suppressed_count(7), serde_json::json!(7));
/// ```
pub fn suppressed_count(n: usize) -> serde_json::Value {
    if (1..=2).contains(&n) {
        serde_json::json!("<3")
    } else {
        serde_json::json!(n)
    }
}
