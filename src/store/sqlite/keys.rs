//! Idempotency keys in SQLite: one claim per (account, key).

use chrono::{DateTime, Utc};
use sqlx::Sqlite;

use crate::store::{KeyClaim, StoreResult, judge_key};

/// Claims a key inside a write transaction (`BEGIN IMMEDIATE` serialises
/// concurrent claims of the same key, so exactly one of them is fresh).
pub(super) async fn claim(
    tx: &mut sqlx::Transaction<'static, Sqlite>,
    username: &str,
    key: &str,
    route: &str,
    fingerprint: &str,
) -> StoreResult<KeyClaim> {
    type Prior = (
        Option<String>,
        Option<String>,
        Option<i64>,
        Option<String>,
        DateTime<Utc>,
    );
    let prior: Option<Prior> = sqlx::query_as(
        "select route, fingerprint, status, answer, created_at from idempotency_keys where username = ? and key = ?",
    )
    .bind(username)
    .bind(key)
    .fetch_optional(&mut **tx)
    .await?;
    if let Some((r, f, s, a, at)) = prior {
        return Ok(judge_key((r, f, s, a, at), route, fingerprint));
    }
    sqlx::query("insert into idempotency_keys (username, key, route, fingerprint, created_at) values (?, ?, ?, ?, ?)")
        .bind(username)
        .bind(key)
        .bind(route)
        .bind(fingerprint)
        .bind(Utc::now())
        .execute(&mut **tx)
        .await?;
    Ok(KeyClaim::Fresh)
}
