//! Accounts, sessions, rights (role × area) and masking of person records.
//! Pure: the HTTP layer resolves a session to a [`Principal`] and asks
//! [`policy`] about every read and write.

pub mod mask;
pub mod password;
pub mod policy;
pub mod suppress;

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
