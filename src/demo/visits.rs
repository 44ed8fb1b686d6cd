//! The demo's visit history (走访记录): the people of the demo grid head's
//! grid were last visited at set distances in the past, so his lists show
//! overdue visits, visits due today and visits done this week.

use chrono::{DateTime, Duration, Utc};

use crate::domain::Person;
use crate::domain::visit::{How, ScheduleRow, Visit, next_due, shanghai_date};

/// Days since the last visit of the grid's records, in id order (cycled).
const DAYS_SINCE_LAST: [i64; 14] = [100, 45, 3, 95, 20, 1, 35, 6, 120, 31, 2, 50, 15, 30];

const NOTES: [&str; 5] = [
    "本人在家，身体状况良好，家中无安全隐患",
    "电话联系本人，近期情绪稳定，按时服药",
    "视频回访，家属在场，生活起居正常",
    "入户走访，了解近况，提醒注意用电用气安全",
    "本人外出务工，与家属电话沟通，无异常",
];

/// Two visits per record (the last one and the one before), recorded by
/// `visitor`, with next due dates from `schedule`.
pub fn history(
    people: &[&Person],
    grid: &str,
    visitor: &str,
    schedule: &[ScheduleRow],
    now: DateTime<Utc>,
) -> Vec<Visit> {
    let mut out = Vec::new();
    for (k, p) in people.iter().enumerate() {
        let last = now - Duration::days(DAYS_SINCE_LAST[k % DAYS_SINCE_LAST.len()]);
        let every = crate::domain::visit::every_days(schedule, p.category, p.risk_level)
            .map_or(30, i64::from);
        for (n, at) in [last - Duration::days(every), last].into_iter().enumerate() {
            let how = How::ALL[(k + n) % How::ALL.len()];
            out.push(Visit {
                id: format!("ZFDEMO-{:03}-{n}", k + 1),
                person: p.id.clone(),
                grid: Some(grid.to_owned()),
                at,
                how,
                note: NOTES[(k + n) % NOTES.len()].to_owned(),
                by: visitor.to_owned(),
                lon: (how == How::Home).then_some(p.lon),
                lat: (how == How::Home).then_some(p.lat),
                risk_before: p.risk_level,
                risk_after: None,
                next_due: next_due(schedule, p.category, p.risk_level, shanghai_date(at)),
            });
        }
    }
    out
}
