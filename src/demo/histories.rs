//! The demo's case histories: every incident gets the steps that brought it
//! to its status, timed so that most cases finish by their deadline, some
//! late, and a few are reopened by an unhappy revisit — so the handling-time
//! statistics of the wall are not empty.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::domain::incident::Step;
use crate::domain::{Area, Incident, IncidentStatus as S};

/// Share of finished cases resolved by their deadline.
const ON_TIME: f64 = 0.85;
/// Share of closed cases reopened once by a revisit rated 1–2.
const REOPENED: f64 = 0.06;

/// The steps of every incident, oldest first per incident. Deterministic for
/// the same incidents (its own random stream, so the rest of the demo stays
/// as it was).
pub(super) fn histories(incidents: &[Incident], grids: &[&Area], now: DateTime<Utc>) -> Vec<Step> {
    let heads: HashMap<&str, &str> = grids
        .iter()
        .filter_map(|g| Some((g.code.as_str(), g.head.as_ref()?.name.as_str())))
        .collect();
    let mut rng = ChaCha8Rng::seed_from_u64(0x5EED_CA5E);
    let mut out = Vec::with_capacity(incidents.len() * 6);
    for i in incidents {
        let head = i
            .grid
            .as_deref()
            .and_then(|g| heads.get(g))
            .copied()
            .unwrap_or("网格员");
        out.extend(steps_of(i, head, now, &mut rng));
    }
    out
}

/// (action, status after, note, leader's step?)
type Plan = Vec<(&'static str, S, String, bool)>;

fn plan(status: S, reopened: bool, rating: u8) -> Plan {
    let mut p: Plan = vec![("report", S::Reported, String::new(), false)];
    if status == S::Rejected {
        p.push((
            "reject",
            S::Rejected,
            "不属于本级受理范围，已告知反映人".into(),
            true,
        ));
        return p;
    }
    let order = [
        ("accept", S::Accepted, "", false),
        ("dispatch", S::Dispatched, "派往网格员处置", true),
        ("start", S::InProgress, "", false),
        ("resolve", S::Resolved, "已现场处置，当事人认可", false),
        ("verify", S::Verified, "", true),
        ("revisit", S::Revisited, "", false),
        ("close", S::Closed, "", true),
    ];
    let reached = order.iter().position(|(_, s, _, _)| *s == status);
    let Some(last) = reached else {
        return p;
    };
    for (a, s, note, leader) in order.iter().take(last + 1) {
        if *a == "revisit" && reopened {
            // The first revisit finds the problem back: 处置 again, then a good rating.
            p.push((
                "revisit",
                S::InProgress,
                "满意度 2/5；问题反弹".into(),
                false,
            ));
            p.push(("resolve", S::Resolved, "再次处置，问题解决".into(), false));
            p.push(("verify", S::Verified, String::new(), true));
        }
        let note = if *a == "revisit" {
            format!("满意度 {rating}/5")
        } else {
            (*note).to_owned()
        };
        p.push((a, *s, note, *leader));
    }
    p
}

fn steps_of(i: &Incident, head: &str, now: DateTime<Utc>, rng: &mut ChaCha8Rng) -> Vec<Step> {
    let reopened = i.status == S::Closed && rng.random_bool(REOPENED);
    let rating = rng.random_range(3..=5);
    let plan = plan(i.status, reopened, rating);
    let span = (i.deadline - i.reported_at).num_seconds().max(600) as f64;
    // When 办结 falls: mostly inside the deadline, otherwise up to one more span late.
    let resolve_at = if rng.random_bool(ON_TIME) {
        span * rng.random_range(0.2..0.95)
    } else {
        span * rng.random_range(1.05..2.0)
    };
    let mut offsets = Vec::with_capacity(plan.len());
    let mut t = 0.0;
    let mut resolved = false;
    for (a, _, _, _) in &plan {
        t = match *a {
            "report" => 0.0,
            "resolve" if !resolved => {
                resolved = true;
                resolve_at.max(t + 60.0)
            }
            "accept" | "reject" => t + span * rng.random_range(0.01..0.05),
            "dispatch" | "start" => t + span * rng.random_range(0.02..0.1),
            _ => t + rng.random_range(2.0..30.0) * 3600.0,
        };
        offsets.push(t);
    }
    // Squeeze into the time since the report when the plan runs past now.
    let room = (now - i.reported_at).num_seconds() as f64 * 0.98;
    let last = offsets.last().copied().unwrap_or(0.0);
    let k = if last > room && last > 0.0 {
        room / last
    } else {
        1.0
    };
    plan.into_iter()
        .zip(offsets)
        .map(|((action, status, note, leader), off)| Step {
            incident_id: i.id.clone(),
            at: i.reported_at + Duration::seconds((off * k) as i64),
            actor: if action == "report" {
                i.source.clone()
            } else if leader {
                "zhihui".into()
            } else {
                head.to_owned()
            },
            action: action.to_owned(),
            status,
            note,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_plan_ends_at_the_status_it_was_made_for() {
        for s in S::ALL {
            for reopened in [false, true] {
                let p = plan(s, reopened && s == S::Closed, 4);
                assert_eq!(
                    p.last().map(|x| x.1),
                    Some(s),
                    "the steps of a {s:?} case end at {s:?}"
                );
                assert_eq!(p[0].0, "report", "every history starts with the report");
            }
        }
        let p = plan(S::Closed, true, 4);
        assert_eq!(
            p.iter().filter(|x| x.0 == "resolve").count(),
            2,
            "a reopened case is resolved twice"
        );
    }
}
