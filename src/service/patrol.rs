//! Writing patrol tracks: members are checked against the caller's rights
//! (a grid head posts for his own team only), then store → index → tiles →
//! one live event.

use std::sync::Arc;

use serde_json::{Value, json};

use super::{AppState, LiveEvent};
use crate::auth::Principal;
use crate::auth::policy::{self, Action, Kind};
use crate::domain::{Layer, PatrolMember};
use crate::error::AppError;
use crate::patrol::{Dropped, ParsedTracks};
use crate::spatial::BBox;

/// Stores a cleaned batch. `stale` is the box of tiles it changes (`None`
/// when noise removal left no fix).
pub async fn ingest(
    state: &Arc<AppState>,
    who: &Principal,
    batch: ParsedTracks,
    dropped: Dropped,
    stale: Option<BBox>,
) -> Result<Value, AppError> {
    let scope = policy::decide(Some(who), Kind::Patrol, Action::Create);
    if scope.is_nothing() {
        return Err(AppError::Forbidden(format!(
            "role {} may not post patrol tracks",
            who.role.as_str()
        )));
    }
    // New members join the caller's team (a grid head's grid); known ones keep theirs.
    let team = who
        .areas
        .first()
        .map(|a| a.as_str().to_owned())
        .unwrap_or_default();
    let (members, created): (Vec<PatrolMember>, Vec<bool>) = {
        let index = state.index();
        batch
            .members
            .iter()
            .map(|id| match index.tracks.member_index(id) {
                Some(i) => (index.tracks.members[i as usize].clone(), false),
                None => (
                    PatrolMember {
                        id: id.clone(),
                        name: id.clone(),
                        team: team.clone(),
                    },
                    true,
                ),
            })
            .unzip()
    };
    if let Some(m) = members
        .iter()
        .find(|m| !scope.allows((!m.team.is_empty()).then_some(m.team.as_str()), None))
    {
        return Err(AppError::Forbidden(format!(
            "member {} belongs to another team; post tracks for your own team only",
            crate::error::clip(&m.id)
        )));
    }
    let mut accepted = vec![0usize; members.len()];
    for f in &batch.points {
        accepted[f.member as usize] += 1;
    }
    if let Some(stale) = stale {
        // Only members with a kept fix are written: a batch of pure noise creates no one.
        let mut slot = vec![u32::MAX; members.len()];
        let mut writing = Vec::new();
        for (k, m) in members.iter().enumerate() {
            if accepted[k] > 0 {
                slot[k] = writing.len() as u32;
                writing.push(m.clone());
            }
        }
        let mut points = batch.points.clone();
        for f in &mut points {
            f.member = slot[f.member as usize];
        }
        let record_id = writing
            .iter()
            .map(|m| m.id.as_str())
            .collect::<Vec<_>>()
            .join(",");
        let change = state
            .store
            .append_patrol(&writing, &points, &record_id, stale.to_array())
            .await?;
        let event = LiveEvent::other(change, Layer::Patrol);
        state.commit(event, |ix| ix.tracks.append(&writing, &points));
        tracing::info!(user = %who.username, fixes = batch.points.len(), dropped = dropped.total(), "patrol batch stored");
    }
    let per_member: Vec<Value> = members
        .iter()
        .zip(&accepted)
        .zip(&created)
        .map(|((m, n), c)| json!({"member": m.id, "accepted": n, "created": *c && *n > 0}))
        .collect();
    Ok(json!({
        "accepted": batch.points.len(),
        "dropped": dropped,
        "member": (members.len() == 1).then(|| members[0].id.clone()),
        "members": per_member,
    }))
}
