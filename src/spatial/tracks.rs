//! `Tracks`: patrol members and their GPS fixes, indexed for appends.
//!
//! Fixes arrive all day in small batches, so the structure is built for cheap
//! appends rather than for one bulk load:
//! - fixes live in one append-only vector; a fix's position is its stable id;
//! - each member has the ids of its fixes in time order (a batch that continues
//!   the track is a push; a late batch is a binary search and an insert);
//! - each fix starts one *piece* of track: the segment to the member's next fix
//!   when that follows within [`MAX_SEGMENT_GAP_S`], else the lone fix;
//! - pieces are found by place through a hash of ~500 m buckets. An append
//!   touches one or two buckets (a push each) where an R-tree insert would
//!   rebalance nodes, and a query visits the few buckets a tile or a place
//!   covers. When a late fix splits a piece, the old buckets keep a stale
//!   entry; queries re-check each piece's box, so stale entries cost a
//!   comparison and never a wrong answer.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::geom::BBox;
use crate::domain::{PatrolMember, PatrolPoint};

/// Longest pause between two fixes of a member that still counts as walking
/// the straight line between them. Longer pauses (phone off, lunch) break the
/// track: each side ends in a lone fix.
pub const MAX_SEGMENT_GAP_S: i64 = 180;
/// Bucket side in degrees (~500 m): a z13 tile covers about 100 buckets.
const BUCKET_DEG: f64 = 0.005;
/// "No next fix".
const NONE: u32 = u32::MAX;

/// The patrol tracks: members and their time-ordered fixes.
#[derive(Debug, Default)]
pub struct Tracks {
    /// Members, indexed by `PatrolPoint::member`.
    pub members: Vec<PatrolMember>,
    by_id: HashMap<String, u32>,
    points: Vec<PatrolPoint>,
    next: Vec<u32>,
    by_member: Vec<Vec<u32>>,
    buckets: HashMap<(i32, i32), Vec<u32>>,
    bbox: Option<BBox>,
}

fn bucket(lon: f64, lat: f64) -> (i32, i32) {
    (
        (lon / BUCKET_DEG).floor() as i32,
        (lat / BUCKET_DEG).floor() as i32,
    )
}

fn joins(a: &PatrolPoint, b: &PatrolPoint) -> bool {
    (b.time - a.time).num_seconds() <= MAX_SEGMENT_GAP_S
}

impl Tracks {
    /// Builds the index from stored members and fixes (in any order).
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use minqing::domain::{PatrolMember, PatrolPoint};
    /// use minqing::spatial::tracks::Tracks;
    /// let m = PatrolMember { id: "M1".into(), name: "张三".into(), team: String::new() };
    /// let t0 = Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap();
    /// let p = |s: i64, lon: f64| PatrolPoint { member: 0, time: t0 + chrono::Duration::seconds(s), lon, lat: 23.0 };
    /// let t = Tracks::build(vec![m], vec![p(10, 113.0001), p(0, 113.0)]);
    /// assert_eq!(t.track(0).len(), 2);
    /// assert_eq!(t.point(t.track(0)[0] as usize).lon, 113.0, "sorted by time");
    /// ```
    pub fn build(members: Vec<PatrolMember>, mut points: Vec<PatrolPoint>) -> Tracks {
        points.sort_by(|a, b| a.member.cmp(&b.member).then(a.time.cmp(&b.time)));
        let mut t = Tracks {
            by_id: members
                .iter()
                .enumerate()
                .map(|(i, m)| (m.id.clone(), i as u32))
                .collect(),
            by_member: vec![Vec::new(); members.len()],
            members,
            next: vec![NONE; points.len()],
            ..Tracks::default()
        };
        for (i, p) in points.iter().enumerate() {
            if let Some(track) = t.by_member.get_mut(p.member as usize) {
                track.push(i as u32);
            }
            if let Some(q) = points.get(i + 1)
                && q.member == p.member
                && joins(p, q)
            {
                t.next[i] = i as u32 + 1;
            }
        }
        t.points = points;
        for i in 0..t.points.len() {
            t.bucket_piece(i as u32);
        }
        t
    }

    /// Number of fixes.
    pub fn len(&self) -> usize {
        self.points.len()
    }

    /// True when there are no fixes.
    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// The fix with this id.
    pub fn point(&self, id: usize) -> &PatrolPoint {
        &self.points[id]
    }

    /// The next fix of the same member when it joins this one into a segment.
    pub fn next(&self, id: usize) -> Option<usize> {
        match self.next[id] {
            NONE => None,
            n => Some(n as usize),
        }
    }

    /// Ids of a member's fixes in time order.
    pub fn track(&self, member: u32) -> &[u32] {
        self.by_member
            .get(member as usize)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// Ids of a member's fixes with `from <= time <= to`, in time order.
    pub fn window(&self, member: u32, from: DateTime<Utc>, to: DateTime<Utc>) -> &[u32] {
        let t = self.track(member);
        let a = t.partition_point(|&i| self.points[i as usize].time < from);
        let b = t.partition_point(|&i| self.points[i as usize].time <= to);
        &t[a..b.max(a)]
    }

    /// Index of the member with this id.
    pub fn member_index(&self, id: &str) -> Option<u32> {
        self.by_id.get(id).copied()
    }

    /// The bounding box of every fix.
    pub fn bbox(&self) -> Option<BBox> {
        self.bbox
    }

    /// The box of the piece a fix starts (the fix, or the segment to its next).
    pub fn piece_bbox(&self, id: usize) -> BBox {
        let a = &self.points[id];
        let b = self.next(id).map_or(a, |n| &self.points[n]);
        BBox {
            min_lon: a.lon.min(b.lon),
            min_lat: a.lat.min(b.lat),
            max_lon: a.lon.max(b.lon),
            max_lat: a.lat.max(b.lat),
        }
    }

    /// Ids of the pieces whose box meets `bbox`, ascending, each once.
    pub fn segments_in(&self, bbox: &BBox) -> Vec<usize> {
        let (x0, y0) = bucket(bbox.min_lon, bbox.min_lat);
        let (x1, y1) = bucket(bbox.max_lon, bbox.max_lat);
        let mut out: Vec<usize> = Vec::new();
        // A box wider than the data visits only the buckets that exist.
        let cells = (x1 as i64 - x0 as i64 + 1) * (y1 as i64 - y0 as i64 + 1);
        if cells as usize > self.buckets.len() {
            for (&(x, y), ids) in &self.buckets {
                if (x0..=x1).contains(&x) && (y0..=y1).contains(&y) {
                    out.extend(ids.iter().map(|&i| i as usize));
                }
            }
        } else {
            for x in x0..=x1 {
                for y in y0..=y1 {
                    if let Some(ids) = self.buckets.get(&(x, y)) {
                        out.extend(ids.iter().map(|&i| i as usize));
                    }
                }
            }
        }
        out.sort_unstable();
        out.dedup();
        out.retain(|&i| self.piece_bbox(i).intersects(bbox));
        out
    }

    /// The member with this id, created if it is new.
    pub fn add_member(&mut self, m: &PatrolMember) -> u32 {
        if let Some(&i) = self.by_id.get(&m.id) {
            return i;
        }
        let i = self.members.len() as u32;
        self.by_id.insert(m.id.clone(), i);
        self.members.push(m.clone());
        self.by_member.push(Vec::new());
        i
    }

    /// Appends a batch whose `PatrolPoint::member` indexes `members` (the
    /// batch's own member table). Unknown members are created. Fixes may come
    /// in any order and may fall before fixes already held.
    pub fn append(&mut self, members: &[PatrolMember], points: &[PatrolPoint]) {
        let map: Vec<u32> = members.iter().map(|m| self.add_member(m)).collect();
        self.points.reserve(points.len());
        self.next.reserve(points.len());
        for p in points {
            let Some(&m) = map.get(p.member as usize) else {
                continue;
            };
            self.insert(PatrolPoint { member: m, ..*p });
        }
    }

    fn insert(&mut self, p: PatrolPoint) {
        let id = self.points.len() as u32;
        self.points.push(p);
        self.next.push(NONE);
        let pts = &self.points;
        let track = &mut self.by_member[p.member as usize];
        // After any fix at the same instant, so equal times keep arrival order.
        let pos = if track.last().is_none_or(|&l| pts[l as usize].time <= p.time) {
            track.len()
        } else {
            track.partition_point(|&i| pts[i as usize].time <= p.time)
        };
        track.insert(pos, id);
        let prev = pos.checked_sub(1).map(|k| track[k]);
        let after = track.get(pos + 1).copied();
        if let Some(n) = after
            && joins(&p, &self.points[n as usize])
        {
            self.next[id as usize] = n;
        }
        if let Some(q) = prev {
            let joined = joins(&self.points[q as usize], &p);
            self.next[q as usize] = if joined { id } else { NONE };
            if joined {
                self.bucket_piece(q);
            }
        }
        self.bucket_piece(id);
    }

    /// Files the piece a fix starts under every bucket its box meets.
    fn bucket_piece(&mut self, id: u32) {
        let b = self.piece_bbox(id as usize);
        self.bbox = Some(self.bbox.map_or(b, |o| o.union(&b)));
        let (x0, y0) = bucket(b.min_lon, b.min_lat);
        let (x1, y1) = bucket(b.max_lon, b.max_lat);
        for x in x0..=x1 {
            for y in y0..=y1 {
                let v = self.buckets.entry((x, y)).or_default();
                if v.last() != Some(&id) {
                    v.push(id);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
