//! 走访 follow-up visits to special-population records, and the schedule that
//! says how often each is due. The schedule is data ([`DEFAULT_SCHEDULE`],
//! stored and editable); [`next_due`] is the one pure function that turns a
//! record's category, risk level and last visit into its next due date.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::PersonCategory;

/// Highest risk level a record or schedule row carries.
pub const MAX_RISK: u8 = 5;
/// Longest interval a schedule row may set (a year and a day).
pub const MAX_EVERY_DAYS: u32 = 366;

/// How a visit was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum How {
    /// 入户 at home
    #[serde(rename = "入户")]
    Home,
    /// 电话 by phone
    #[serde(rename = "电话")]
    Phone,
    /// 视频 by video call
    #[serde(rename = "视频")]
    Video,
}

impl How {
    /// Every way, in the order the form offers them.
    pub const ALL: [How; 3] = [How::Home, How::Phone, How::Video];

    /// The contract's (Chinese) name.
    pub fn as_str(self) -> &'static str {
        match self {
            How::Home => "入户",
            How::Phone => "电话",
            How::Video => "视频",
        }
    }

    /// Parses the Chinese name or its English code (`home`, `phone`, `video`).
    ///
    /// ```
    /// use minqing::domain::visit::How;
    /// assert_eq!(How::parse("入户"), Some(How::Home));
    /// assert_eq!(How::parse("video"), Some(How::Video));
    /// assert_eq!(How::parse("letter"), None);
    /// ```
    pub fn parse(s: &str) -> Option<How> {
        How::ALL.into_iter().find(|h| {
            h.as_str() == s
                || matches!(
                    (h, s),
                    (How::Home, "home") | (How::Phone, "phone") | (How::Video, "video")
                )
        })
    }
}

/// One row of the visit schedule: records of `category` whose risk level is
/// at least `risk_level` are visited every `every_days` days (the row with
/// the highest `risk_level` not above the record's risk applies).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScheduleRow {
    /// the records' category
    pub category: PersonCategory,
    /// lowest risk level the row applies to (0 = the category's baseline)
    pub risk_level: u8,
    /// days between visits
    pub every_days: u32,
}

const fn row(category: PersonCategory, risk_level: u8, every_days: u32) -> ScheduleRow {
    ScheduleRow {
        category,
        risk_level,
        every_days,
    }
}

/// The seeded schedule (the same rows as migration 0007): risk 3 and above
/// every 14 days for every category; below that monthly for those followed
/// closely (社区矫正, 吸毒, 重点青少年, 独居老人, 留守儿童; 严重精神障碍 from
/// risk 1), quarterly for the others.
pub const DEFAULT_SCHEDULE: &[ScheduleRow] = &[
    row(PersonCategory::Released, 0, 90),
    row(PersonCategory::Released, 3, 14),
    row(PersonCategory::Corrections, 0, 30),
    row(PersonCategory::Corrections, 3, 14),
    row(PersonCategory::Drug, 0, 30),
    row(PersonCategory::Drug, 3, 14),
    row(PersonCategory::Mental, 0, 90),
    row(PersonCategory::Mental, 1, 30),
    row(PersonCategory::Mental, 3, 14),
    row(PersonCategory::Youth, 0, 30),
    row(PersonCategory::Youth, 3, 14),
    row(PersonCategory::Aids, 0, 90),
    row(PersonCategory::Aids, 3, 14),
    row(PersonCategory::ElderlyAlone, 0, 30),
    row(PersonCategory::ElderlyAlone, 3, 14),
    row(PersonCategory::LeftBehindChild, 0, 30),
    row(PersonCategory::LeftBehindChild, 3, 14),
    row(PersonCategory::Disabled, 0, 90),
    row(PersonCategory::Disabled, 3, 14),
];

/// Days between visits for a record: the category's row with the highest
/// risk level not above the record's (no risk level counts as 0). `None`
/// when the category has no row (a schedule that passed [`check`] has one).
pub fn every_days(
    schedule: &[ScheduleRow],
    category: PersonCategory,
    risk: Option<u8>,
) -> Option<u32> {
    let risk = risk.unwrap_or(0);
    schedule
        .iter()
        .filter(|r| r.category == category && r.risk_level <= risk)
        .max_by_key(|r| r.risk_level)
        .map(|r| r.every_days)
}

/// The next due date after a visit on `last` (a calendar day in Asia/Shanghai).
///
/// ```
/// use chrono::NaiveDate;
/// use minqing::domain::PersonCategory;
/// use minqing::domain::visit::{next_due, DEFAULT_SCHEDULE};
/// let d = NaiveDate::from_ymd_opt(2024, 6, 1).unwrap();
/// assert_eq!(next_due(DEFAULT_SCHEDULE, PersonCategory::Mental, Some(4), d),
///            NaiveDate::from_ymd_opt(2024, 6, 15));
/// ```
pub fn next_due(
    schedule: &[ScheduleRow],
    category: PersonCategory,
    risk: Option<u8>,
    last: NaiveDate,
) -> Option<NaiveDate> {
    every_days(schedule, category, risk).map(|d| last + Duration::days(i64::from(d)))
}

/// True when a visit due on `due` was missed: due before today.
pub fn is_overdue(due: NaiveDate, today: NaiveDate) -> bool {
    due < today
}

/// The calendar day of `t` in Asia/Shanghai (the contract's "today").
pub fn shanghai_date(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&chrono_tz::Asia::Shanghai).date_naive()
}

/// Checks a whole schedule as an admin sends it: each row in range. A
/// category may have no row at all (its records are then off the schedule:
/// a visit leaves their next due date as it was), and below its lowest row
/// a record is off the schedule too.
///
/// ```
/// use minqing::domain::visit::{check, DEFAULT_SCHEDULE};
/// assert!(check(DEFAULT_SCHEDULE).is_ok());
/// assert!(check(&[]).is_ok(), "an empty schedule takes everyone off it");
/// ```
pub fn check(schedule: &[ScheduleRow]) -> Result<(), String> {
    for (i, r) in schedule.iter().enumerate() {
        if r.risk_level > MAX_RISK {
            return Err(format!(
                "items[{i}]: risk_level {} is not 0–{MAX_RISK}",
                r.risk_level
            ));
        }
        if r.every_days == 0 || r.every_days > MAX_EVERY_DAYS {
            return Err(format!(
                "items[{i}]: every_days {} is not 1–{MAX_EVERY_DAYS}",
                r.every_days
            ));
        }
    }
    Ok(())
}

/// One row per (category, risk level): where an admin sent the same pair
/// twice, the later row wins (as the later key of a JSON object does).
///
/// ```
/// use minqing::domain::PersonCategory::Drug;
/// use minqing::domain::visit::{merged, ScheduleRow};
/// let r = |d| ScheduleRow { category: Drug, risk_level: 3, every_days: d };
/// assert_eq!(merged(&[r(7), r(10)]), vec![r(10)]);
/// ```
pub fn merged(schedule: &[ScheduleRow]) -> Vec<ScheduleRow> {
    let mut out: Vec<ScheduleRow> = Vec::with_capacity(schedule.len());
    for r in schedule {
        match out
            .iter_mut()
            .find(|o| o.category == r.category && o.risk_level == r.risk_level)
        {
            Some(o) => *o = *r,
            None => out.push(*r),
        }
    }
    out
}

/// One recorded visit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Visit {
    /// stable id, e.g. `ZF20240601-1A2B3C4D`
    pub id: String,
    /// the person record visited
    pub person: String,
    /// the record's grid when visited
    pub grid: Option<String>,
    /// when the visit took place
    pub at: DateTime<Utc>,
    /// 入户 / 电话 / 视频
    pub how: How,
    /// what was found
    pub note: String,
    /// the account that recorded it
    pub by: String,
    /// where it was recorded (WGS84), when the phone knew
    pub lon: Option<f64>,
    /// WGS84
    pub lat: Option<f64>,
    /// the record's risk level before the visit
    pub risk_before: Option<u8>,
    /// the risk level after it (a change the visitor assessed)
    pub risk_after: Option<u8>,
    /// the next due date this visit set
    pub next_due: Option<NaiveDate>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use PersonCategory::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn next_due_follows_category_and_risk_as_a_table() {
        // (category, risk, last visit, expected due, why)
        let cases: &[(PersonCategory, Option<u8>, &str, &str, &str)] = &[
            (
                Mental,
                None,
                "2024-06-01",
                "2024-08-30",
                "no risk level: the baseline, quarterly",
            ),
            (
                Mental,
                Some(0),
                "2024-06-01",
                "2024-08-30",
                "risk 0: quarterly",
            ),
            (
                Mental,
                Some(1),
                "2024-06-01",
                "2024-07-01",
                "risk 1: monthly",
            ),
            (
                Mental,
                Some(2),
                "2024-06-01",
                "2024-07-01",
                "risk 2 falls back to the risk-1 row",
            ),
            (
                Mental,
                Some(3),
                "2024-06-01",
                "2024-06-15",
                "risk 3: every 14 days",
            ),
            (
                Mental,
                Some(5),
                "2024-06-01",
                "2024-06-15",
                "risk 5: the highest row below it",
            ),
            (
                ElderlyAlone,
                None,
                "2024-06-01",
                "2024-07-01",
                "独居老人: monthly",
            ),
            (
                ElderlyAlone,
                Some(4),
                "2024-06-01",
                "2024-06-15",
                "a raised risk applies to any category",
            ),
            (
                Released,
                Some(2),
                "2024-12-20",
                "2025-03-20",
                "quarterly across a year end",
            ),
            (
                Disabled,
                None,
                "2024-02-01",
                "2024-05-01",
                "a leap February counts its 29th",
            ),
        ];
        for (c, risk, last, want, why) in cases {
            assert_eq!(
                next_due(DEFAULT_SCHEDULE, *c, *risk, day(last)),
                Some(day(want)),
                "{c:?} risk {risk:?} after {last}: {why}"
            );
        }
    }

    #[test]
    fn a_changed_schedule_changes_the_due_date() {
        let mut s = DEFAULT_SCHEDULE.to_vec();
        s.push(row(ElderlyAlone, 2, 7));
        assert_eq!(
            next_due(&s, ElderlyAlone, Some(2), day("2024-06-01")),
            Some(day("2024-06-08")),
            "the new risk-2 row applies"
        );
        assert_eq!(
            next_due(&s, ElderlyAlone, Some(4), day("2024-06-01")),
            Some(day("2024-06-15")),
            "risk 4 still takes the risk-3 row, the highest not above it"
        );
        assert_eq!(
            next_due(&[], ElderlyAlone, None, day("2024-06-01")),
            None,
            "no row, no interval"
        );
    }

    #[test]
    fn bad_rows_are_refused_and_a_repeated_row_is_the_later_one() {
        let mut zero = DEFAULT_SCHEDULE.to_vec();
        zero[0].every_days = 0;
        assert!(
            check(&zero).unwrap_err().contains("every_days"),
            "zero days"
        );
        let mut high = DEFAULT_SCHEDULE.to_vec();
        high[1].risk_level = 6;
        assert!(check(&high).unwrap_err().contains("risk_level"), "risk 6");
        let mut dup = DEFAULT_SCHEDULE.to_vec();
        dup.push(row(Drug, 3, 7));
        let m = merged(&dup);
        assert_eq!(
            m.len(),
            DEFAULT_SCHEDULE.len(),
            "the repeated row replaces the first"
        );
        assert_eq!(every_days(&m, Drug, Some(3)), Some(7), "the later row wins");
        assert_eq!(
            next_due(&DEFAULT_SCHEDULE[2..], Released, None, day("2024-06-01")),
            None,
            "a category without rows is off the schedule"
        );
    }

    #[test]
    fn overdue_means_due_before_today() {
        assert!(
            is_overdue(day("2024-06-01"), day("2024-06-02")),
            "yesterday's visit was missed"
        );
        assert!(
            !is_overdue(day("2024-06-02"), day("2024-06-02")),
            "due today is not yet overdue"
        );
    }

    #[test]
    fn the_shanghai_day_turns_at_sixteen_utc() {
        let t = DateTime::parse_from_rfc3339("2024-06-01T16:30:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(
            shanghai_date(t),
            day("2024-06-02"),
            "00:30 in Shanghai is the next day"
        );
    }
}
