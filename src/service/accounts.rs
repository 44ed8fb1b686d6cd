//! Accounts from the browser (admin): list, create, change role and areas,
//! disable, reset a password. The policy's own account check refuses an
//! area role without areas; disabling or a new password ends the account's
//! sessions; every change is audited.
//!
//! A disabled account keeps its password hash behind a `!` (as a locked
//! Unix password is written): no password matches it, and enabling it again
//! restores the old one. No schema change, and sign-in needs no extra check.

use serde::Deserialize;
use serde_json::{Value, json};

use super::AppState;
use crate::auth::policy::{self, AccountProblem};
use crate::auth::{Principal, password};
use crate::error::{AppError, clip};
use crate::store::UserRecord;

/// Shortest password accepted.
pub const MIN_PASSWORD: usize = 8;

/// Body of a new account.
#[derive(Debug, Deserialize)]
pub struct NewAccount {
    /// login name
    pub username: String,
    /// role name
    pub role: String,
    /// area codes
    #[serde(default)]
    pub areas: Vec<String>,
    /// initial password
    pub password: String,
}

/// Body of a change; absent fields stay as they are.
#[derive(Debug, Deserialize)]
pub struct AccountChange {
    /// new role
    pub role: Option<String>,
    /// new areas
    pub areas: Option<Vec<String>>,
    /// disable (true) or enable (false)
    pub disabled: Option<bool>,
    /// a new password (ends the account's sessions)
    pub password: Option<String>,
}

fn is_disabled(u: &UserRecord) -> bool {
    u.password_hash.starts_with('!')
}

/// The account as the admin pages list it.
pub fn view(u: &UserRecord) -> Value {
    json!({"username": u.username, "role": u.role, "areas": u.areas, "disabled": is_disabled(u)})
}

fn check(username: &str, role: &str, areas: &[String]) -> Result<(), AppError> {
    policy::principal(username, role, areas)
        .map(|_| ())
        .map_err(|p| match p {
            AccountProblem::NoArea => AppError::BadRequest(
                "area_required",
                format!("role {role} works in areas: give at least one area code"),
            ),
            AccountProblem::UnknownRole(r) => AppError::BadRequest(
                "bad_role",
                format!(
                    "unknown role {:?}: admin, command, street, community, grid, flood or public",
                    clip(&r)
                ),
            ),
            AccountProblem::BadArea(a) => AppError::BadRequest(
                "bad_area",
                format!("area code {:?} does not parse", clip(&a)),
            ),
        })
}

fn hash(pw: &str) -> Result<String, AppError> {
    if pw.chars().count() < MIN_PASSWORD {
        return Err(AppError::BadRequest(
            "weak_password",
            format!("a password needs at least {MIN_PASSWORD} characters"),
        ));
    }
    password::hash(pw).map_err(AppError::Internal)
}

/// Creates an account (409 when the name is taken).
pub async fn create(
    state: &AppState,
    who: &Principal,
    body: NewAccount,
) -> Result<Value, AppError> {
    let username = body.username.trim().to_owned();
    if username.is_empty()
        || username.chars().count() > 64
        || username
            .chars()
            .any(|c| c.is_control() || c.is_whitespace())
    {
        return Err(AppError::BadRequest(
            "bad_username",
            "a user name is 1–64 characters without spaces".into(),
        ));
    }
    check(&username, &body.role, &body.areas)?;
    if state.store.user(&username).await?.is_some() {
        return Err(AppError::Conflict(format!(
            "account {} exists; change it with POST /api/admin/users/{{name}}",
            clip(&username)
        )));
    }
    let pw = body.password.clone();
    let password_hash = tokio::task::spawn_blocking(move || hash(&pw))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))??;
    let user = UserRecord {
        username: username.clone(),
        password_hash,
        role: body.role,
        areas: body.areas,
        failed_logins: 0,
        locked_until: None,
    };
    state.store.put_user(&user).await?;
    state
        .store
        .audit(&who.username, "account.create", &[username], None)
        .await?;
    Ok(view(&user))
}

/// One's own password: the old one must match; the new one ends every
/// session of the account, this one included (the client signs in again).
pub async fn change_own_password(
    state: &AppState,
    who: &Principal,
    old: String,
    new: String,
) -> Result<Value, AppError> {
    let mut user = state
        .store
        .user(&who.username)
        .await?
        .ok_or_else(|| AppError::Unauthorized("the account no longer exists".into()))?;
    let stored = user.password_hash.clone();
    let (matches, new_hash) = tokio::task::spawn_blocking(move || {
        let matches = password::verify(&old, &stored);
        (matches, if matches { Some(hash(&new)) } else { None })
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?;
    if !matches {
        // 400, not 401/403: the session is fine, the form is not.
        return Err(AppError::BadRequest(
            "wrong_password",
            "the old password is wrong".into(),
        ));
    }
    user.password_hash = new_hash.unwrap_or_else(|| Err(AppError::Internal("no hash".into())))?;
    state.store.put_user(&user).await?;
    state.store.end_sessions(&user.username).await?;
    state
        .store
        .audit(
            &who.username,
            "account.password",
            std::slice::from_ref(&user.username),
            None,
        )
        .await?;
    Ok(serde_json::json!({"ok": true, "signed_out": true}))
}

/// Changes an account; disabling it or setting a password ends its sessions.
pub async fn change(
    state: &AppState,
    who: &Principal,
    name: &str,
    body: AccountChange,
) -> Result<Value, AppError> {
    let mut user = state
        .store
        .user(name)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no account {}", clip(name))))?;
    if let Some(r) = body.role {
        user.role = r;
    }
    if let Some(a) = body.areas {
        user.areas = a;
    }
    check(&user.username, &user.role, &user.areas)?;
    let mut end_sessions = false;
    if let Some(pw) = body.password {
        let h = tokio::task::spawn_blocking(move || hash(&pw))
            .await
            .map_err(|e| AppError::Internal(e.to_string()))??;
        // A reset keeps a disabled account disabled.
        user.password_hash = if is_disabled(&user) {
            format!("!{h}")
        } else {
            h
        };
        end_sessions = true;
    }
    match body.disabled {
        Some(true) if !is_disabled(&user) => {
            user.password_hash = format!("!{}", user.password_hash);
            end_sessions = true;
        }
        Some(false) if is_disabled(&user) => {
            user.password_hash = user.password_hash[1..].to_owned();
        }
        _ => {}
    }
    if user.username == who.username && is_disabled(&user) {
        return Err(AppError::BadRequest(
            "self_disable",
            "an administrator cannot disable their own account".into(),
        ));
    }
    state.store.put_user(&user).await?;
    if end_sessions {
        state.store.end_sessions(&user.username).await?;
    }
    state
        .store
        .audit(
            &who.username,
            "account.change",
            std::slice::from_ref(&user.username),
            None,
        )
        .await?;
    Ok(view(&user))
}
