//! The demo's patrol tracks: every grid head is a patrol member who sweeps
//! their own grid in lanes, as a grid worker works through the lanes and
//! roads of a neighbourhood.
//!
//! - **Lanes.** A walk runs back and forth along parallel lanes
//!   [`LANE_M`] apart (a little under twice the default 50 m coverage reach,
//!   so walked lanes leave no strip uncovered between them), turned to a
//!   random heading per walk, with a detour to each key place it visits.
//! - **A band left out.** Each walk skips one band of neighbouring lanes; its
//!   width sets the share of the grid the walk covers. When a key place is to
//!   be missed, the band is laid over it, so the miss is clear on the map.
//! - **Pace.** On foot (1.1–1.4 m/s, a fix every 30 s) when the sweep is
//!   about 5 km or less; in larger (village) grids by e-bike or motorbike
//!   (3.5–11 m/s, a fix every 60 s), as rural grid workers do. A fix at every
//!   turn besides, a few metres of jitter on each fix.
//! - **The day.** In the last 24 hours ("today") most grids are walked, most
//!   of each; a few grids are not walked at all, first among them those
//!   where incidents were reported today (hot spots out of reach); on each
//!   of the seven days before, about a third of the grids are walked, less
//!   thoroughly.
//!
//! Walks fall in Beijing daytime where the window allows.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Timelike, Utc};
use geo::{BoundingRect, Contains};
use geo_types::{Coord, MultiPolygon, Point, Rect};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::domain::{Area, Incident, PatrolMember, PatrolPoint, Place};

const M_PER_DEG: f64 = 111_320.0;
/// Distance between sweep lanes, metres.
pub const LANE_M: f64 = 90.0;
/// Seconds between GPS fixes on foot (and a fix at every turn besides).
const FOOT_FIX_S: f64 = 30.0;
/// Seconds between GPS fixes riding (the tracker of an e-bike or motorbike).
const RIDE_FIX_S: f64 = 60.0;
/// Lanes keep this far inside the grid's edge, metres.
const INSET_M: f64 = 20.0;
/// Longest walk on foot (about 5 km); longer sweeps are ridden.
const FOOT_MAX_S: f64 = 1.2 * 3600.0;
/// A ride takes about this long, unless its speed would leave the bounds below.
const RIDE_S: f64 = 2.5 * 3600.0;
/// Slowest and fastest ride, m/s (~13–40 km/h).
const RIDE_MPS: (f64, f64) = (3.5, 11.0);
/// A walk that leaves out a key place keeps this far from it, metres (twice
/// a place's 30 m visit radius, so no fix lands within it despite jitter).
const MISS_M: f64 = 60.0;
/// Least seconds between a turn's fix and the fix before it.
const TURN_FIX_GAP_S: f64 = 10.0;
/// Share of grids nobody walks today.
const UNWALKED_TODAY: f64 = 0.08;
/// Grids with incidents today left unwalked (hot spots out of reach).
const HOT_SPOTS_MISSED: usize = 4;
/// Days of history before today.
const HISTORY_DAYS: i64 = 7;
/// Chance that a grid is walked on a day before today.
const HISTORY_WALKED: f64 = 0.35;

/// Metres east and north of an origin, turned by the lane heading: lanes run along `u`.
struct Frame {
    lon0: f64,
    lat0: f64,
    kx: f64,
    cos: f64,
    sin: f64,
}

impl Frame {
    fn new(origin: Coord<f64>, heading: f64) -> Frame {
        Frame {
            lon0: origin.x,
            lat0: origin.y,
            kx: M_PER_DEG * origin.y.to_radians().cos(),
            cos: heading.cos(),
            sin: heading.sin(),
        }
    }

    fn uv(&self, lon: f64, lat: f64) -> (f64, f64) {
        let x = (lon - self.lon0) * self.kx;
        let y = (lat - self.lat0) * M_PER_DEG;
        (x * self.cos + y * self.sin, -x * self.sin + y * self.cos)
    }

    fn lon_lat(&self, u: f64, v: f64) -> (f64, f64) {
        let x = u * self.cos - v * self.sin;
        let y = u * self.sin + v * self.cos;
        (self.lon0 + x / self.kx, self.lat0 + y / M_PER_DEG)
    }
}

/// One lane: its offset across the sweep and the stretches of it inside the grid.
struct Lane {
    v: f64,
    spans: Vec<(f64, f64)>,
    length: f64,
}

/// The lanes across `grid` in `frame`: crossings of each lane with every ring, paired inside/outside.
fn lanes(grid: &MultiPolygon<f64>, frame: &Frame) -> Vec<Lane> {
    let rings: Vec<Vec<(f64, f64)>> = grid
        .0
        .iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .map(|r| r.0.iter().map(|c| frame.uv(c.x, c.y)).collect())
        .collect();
    let (lo, hi) = rings
        .iter()
        .flatten()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &(_, v)| {
            (lo.min(v), hi.max(v))
        });
    if !lo.is_finite() || hi <= lo {
        return Vec::new();
    }
    let n = ((hi - lo) / LANE_M).ceil().max(1.0) as usize;
    // Centre the lanes across the grid's width.
    let first = lo + (hi - lo - (n - 1) as f64 * LANE_M) / 2.0;
    (0..n)
        .map(|i| {
            let v = first + i as f64 * LANE_M;
            let mut cuts: Vec<f64> = Vec::new();
            for ring in &rings {
                for w in ring.windows(2) {
                    let ((ua, va), (ub, vb)) = (w[0], w[1]);
                    if (va <= v) != (vb <= v) {
                        cuts.push(ua + (v - va) / (vb - va) * (ub - ua));
                    }
                }
            }
            cuts.sort_by(f64::total_cmp);
            let spans: Vec<(f64, f64)> = cuts
                .chunks_exact(2)
                .map(|c| (c[0] + INSET_M, c[1] - INSET_M))
                .filter(|(a, b)| b - a >= 2.0 * INSET_M)
                .collect();
            let length = spans.iter().map(|(a, b)| b - a).sum();
            Lane { v, spans, length }
        })
        .collect()
}

/// The lanes a walk leaves out: a band of neighbouring lanes holding about
/// `(1 − share)` of the lanes' length. With `miss_v` the band is laid over the
/// lane nearest it (and, in grids of eight lanes or more, one lane each side),
/// so whatever lies there is clearly left out; else it starts at a random lane.
fn band(lanes: &[Lane], share: f64, miss_v: Option<f64>, rng: &mut ChaCha8Rng) -> Vec<bool> {
    let n = lanes.len();
    let mut out = vec![false; n];
    let total: f64 = lanes.iter().map(|l| l.length).sum();
    let mut left = (1.0 - share).clamp(0.0, 1.0) * total;
    let (mut lo, mut hi) = match miss_v {
        Some(v) => {
            let c = (0..n)
                .min_by(|&a, &b| (lanes[a].v - v).abs().total_cmp(&(lanes[b].v - v).abs()))
                .unwrap_or(0);
            if n >= 8 {
                (c.saturating_sub(1), (c + 1).min(n - 1))
            } else {
                (c, c)
            }
        }
        None if left > 0.0 => {
            let c = rng.random_range(0..n);
            (c, c)
        }
        None => return out,
    };
    for i in lo..=hi {
        out[i] = true;
        left -= lanes[i].length;
    }
    while left > 0.0 && (lo > 0 || hi + 1 < n) {
        if hi + 1 < n && (lo == 0 || rng.random_bool(0.5)) {
            hi += 1;
            out[hi] = true;
            left -= lanes[hi].length;
        } else {
            lo -= 1;
            out[lo] = true;
            left -= lanes[lo].length;
        }
    }
    out
}

/// The path of one walk in frame metres: the lanes not in `skip`, back and
/// forth, with a detour to each point of `visits` from the walked lane nearest it.
fn sweep(
    lanes: &[Lane],
    skip: &[bool],
    visits: &[(f64, f64)],
    rng: &mut ChaCha8Rng,
) -> Vec<(f64, f64)> {
    let walked: Vec<usize> = (0..lanes.len())
        .filter(|&i| !skip[i] && !lanes[i].spans.is_empty())
        .collect();
    let mut detours: HashMap<usize, Vec<(f64, f64)>> = HashMap::new();
    for &(u, v) in visits {
        if let Some(&i) = walked
            .iter()
            .min_by(|&&a, &&b| (lanes[a].v - v).abs().total_cmp(&(lanes[b].v - v).abs()))
        {
            detours.entry(i).or_default().push((u, v));
        }
    }
    let mut path = Vec::new();
    let mut forward = rng.random_bool(0.5);
    for &i in &walked {
        let lane = &lanes[i];
        // A street is never ruler-straight: each lane sits a few metres off its line.
        let v = lane.v + rng.random_range(-8.0..8.0);
        // Stops along the lane, each at its position `u`: span ends, and out-and-back
        // detours to places, each from the span of this lane nearest it.
        let mut stops: Vec<(f64, Vec<(f64, f64)>)> = Vec::new();
        for &(a, b) in &lane.spans {
            stops.push((a, vec![(a, v)]));
            for &(pu, pv) in detours.get(&i).map(Vec::as_slice).unwrap_or(&[]) {
                let nearest = lane
                    .spans
                    .iter()
                    .min_by(|x, y| span_gap(**x, pu).total_cmp(&span_gap(**y, pu)))
                    .copied();
                if nearest == Some((a, b)) {
                    let at = pu.clamp(a, b);
                    stops.push((at, vec![(at, v), (pu, pv), (at, v)]));
                }
            }
            stops.push((b, vec![(b, v)]));
        }
        // Stable: a detour at a span's end stays between that end and the span.
        stops.sort_by(|x, y| x.0.total_cmp(&y.0));
        if !forward {
            stops.reverse();
        }
        path.extend(stops.into_iter().flat_map(|(_, pts)| pts));
        forward = !forward;
    }
    path
}

/// Bends `path` around the disc of radius `r` about `p`, as a walker who
/// leaves out one place goes round it: vertices inside move out to the
/// circle, and a leg that passes through gets a vertex on the circle at its
/// nearest point, until no leg comes closer than 90 % of `r`.
fn keep_away(path: &mut Vec<(f64, f64)>, p: (f64, f64), r: f64) {
    let out_to_circle = |q: (f64, f64), along: (f64, f64)| -> (f64, f64) {
        let (dx, dy) = (q.0 - p.0, q.1 - p.1);
        let d = dx.hypot(dy);
        if d >= r {
            q
        } else if d > 1e-6 {
            (p.0 + dx / d * r, p.1 + dy / d * r)
        } else {
            // Right on the place: step out square to the leg.
            let n = along.0.hypot(along.1).max(1e-9);
            (p.0 - along.1 / n * r, p.1 + along.0 / n * r)
        }
    };
    for v in path.iter_mut() {
        *v = out_to_circle(*v, (1.0, 0.0));
    }
    for _ in 0..6 {
        let mut bent = Vec::with_capacity(path.len() + 4);
        let mut changed = false;
        for w in path.windows(2) {
            let (a, b) = (w[0], w[1]);
            bent.push(a);
            let (dx, dy) = (b.0 - a.0, b.1 - a.1);
            let len2 = dx * dx + dy * dy;
            let t = if len2 > 0.0 {
                (((p.0 - a.0) * dx + (p.1 - a.1) * dy) / len2).clamp(0.0, 1.0)
            } else {
                0.0
            };
            let c = (a.0 + t * dx, a.1 + t * dy);
            if (c.0 - p.0).hypot(c.1 - p.1) < 0.9 * r {
                bent.push(out_to_circle(c, (dx, dy)));
                changed = true;
            }
        }
        if let Some(&last) = path.last() {
            bent.push(last);
        }
        *path = bent;
        if !changed {
            break;
        }
    }
}

fn span_gap((a, b): (f64, f64), u: f64) -> f64 {
    if u < a {
        a - u
    } else if u > b {
        u - b
    } else {
        0.0
    }
}

/// Fixes along `path` (frame metres) from `start` at `speed` m/s: one `every`
/// seconds and one at each turn, each with a few metres of GPS jitter.
fn fixes(
    path: &[(f64, f64)],
    frame: &Frame,
    (speed, every): (f64, f64),
    member: u32,
    start: DateTime<Utc>,
    rng: &mut ChaCha8Rng,
    out: &mut Vec<PatrolPoint>,
) {
    let mut emit = |t: f64, (u, v): (f64, f64), rng: &mut ChaCha8Rng| {
        let (lon, lat) = frame.lon_lat(
            u + rng.random_range(-4.0..4.0),
            v + rng.random_range(-4.0..4.0),
        );
        out.push(PatrolPoint {
            member,
            time: start + Duration::seconds(t.round() as i64),
            lon: round7(lon),
            lat: round7(lat),
        });
    };
    let Some(&first) = path.first() else {
        return;
    };
    emit(0.0, first, rng);
    let (mut t, mut last) = (0.0_f64, 0.0_f64);
    for w in path.windows(2) {
        let ((ua, va), (ub, vb)) = (w[0], w[1]);
        let len = ((ub - ua).powi(2) + (vb - va).powi(2)).sqrt();
        let dt = len / speed;
        while last + every < t + dt {
            last += every;
            let f = (last - t) / dt;
            emit(last, (ua + f * (ub - ua), va + f * (vb - va)), rng);
        }
        t += dt;
        // A fix at the turn, unless one was taken just before.
        if t - last >= TURN_FIX_GAP_S {
            last = t;
            emit(t, (ub, vb), rng);
        }
    }
}

fn round7(v: f64) -> f64 {
    (v * 1e7).round() / 1e7
}

fn path_length(path: &[(f64, f64)]) -> f64 {
    path.windows(2)
        .map(|w| ((w[1].0 - w[0].0).powi(2) + (w[1].1 - w[0].1).powi(2)).sqrt())
        .sum()
}

/// Speed (m/s) and seconds between fixes for a sweep of `length` metres: on
/// foot when that takes up to [`FOOT_MAX_S`], else ridden.
fn pace(length: f64, rng: &mut ChaCha8Rng) -> (f64, f64) {
    let foot = rng.random_range(1.1..1.4);
    if length / foot <= FOOT_MAX_S {
        (foot, FOOT_FIX_S)
    } else {
        let ride = (length / RIDE_S * rng.random_range(1.0..1.25)).clamp(RIDE_MPS.0, RIDE_MPS.1);
        (ride, RIDE_FIX_S)
    }
}

/// A start for a walk of `secs` inside `[from, to]`, in Beijing daytime (07–19 h) if one of
/// a few tries finds it, else anywhere in the window that fits.
fn start_in(
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    secs: i64,
    rng: &mut ChaCha8Rng,
) -> DateTime<Utc> {
    let room = (to - from).num_seconds() - secs;
    if room <= 0 {
        return from;
    }
    let mut at = from;
    for _ in 0..12 {
        at = from + Duration::seconds(rng.random_range(0..room));
        let end = at + Duration::seconds(secs);
        let (h0, h1) = ((at.hour() + 8) % 24, (end.hour() + 8) % 24);
        if (7..19).contains(&h0) && (7..=20).contains(&h1) && h1 >= h0 {
            break;
        }
    }
    at
}

/// One walk of a grid: lanes at a random heading, a band left out so about
/// `share` of the lanes are walked, detours to `visit`, the band over `miss`.
#[allow(clippy::too_many_arguments)]
fn walk(
    grid: &Area,
    member: u32,
    share: f64,
    visit: &[&Place],
    miss: Option<&Place>,
    window: (DateTime<Utc>, DateTime<Utc>),
    rng: &mut ChaCha8Rng,
    out: &mut Vec<PatrolPoint>,
) {
    let Some(origin) = grid.geometry.0.first().and_then(|p| p.exterior().0.first()) else {
        return;
    };
    let frame = Frame::new(*origin, rng.random_range(0.0..std::f64::consts::PI));
    let lanes = lanes(&grid.geometry, &frame);
    if lanes.is_empty() {
        return;
    }
    let miss_v = miss.map(|p| frame.uv(p.lon, p.lat).1);
    let skip = band(&lanes, share, miss_v, rng);
    let visits: Vec<(f64, f64)> = visit.iter().map(|p| frame.uv(p.lon, p.lat)).collect();
    let mut path = sweep(&lanes, &skip, &visits, rng);
    if let Some(p) = miss {
        // Detours to other places may cross the band: they go round the missed one.
        keep_away(&mut path, frame.uv(p.lon, p.lat), MISS_M);
    }
    let length = path_length(&path);
    let (speed, every) = pace(length, rng);
    let secs = (length / speed).ceil() as i64 + 60;
    let start = start_in(window.0, window.1, secs, rng);
    fixes(&path, &frame, (speed, every), member, start, rng, out);
}

/// Members (one per grid, the grid's head) and a week and a day of their walks, as of `now`.
pub(super) fn patrols(
    grids: &[&Area],
    wangge: usize,
    places: &[Place],
    incidents: &[Incident],
    now: DateTime<Utc>,
    rng: &mut ChaCha8Rng,
) -> (Vec<PatrolMember>, Vec<PatrolPoint>) {
    let members: Vec<PatrolMember> = grids
        .iter()
        .enumerate()
        .map(|(i, g)| PatrolMember {
            id: format!("M{:04}", i + 1),
            name: g
                .head
                .as_ref()
                .map_or_else(|| format!("巡查员{}", i + 1), |h| h.name.clone()),
            team: g.code.as_str().to_owned(),
        })
        .collect();
    let by_code: HashMap<&str, usize> = grids
        .iter()
        .enumerate()
        .map(|(i, g)| (g.code.as_str(), i))
        .collect();
    // Key places of each grid.
    let boxes: Vec<Option<Rect<f64>>> = grids.iter().map(|g| g.geometry.bounding_rect()).collect();
    let mut in_grid: Vec<Vec<&Place>> = vec![Vec::new(); grids.len()];
    for p in places {
        let at = Point::new(p.lon, p.lat);
        let found = (0..grids.len()).find(|&g| {
            boxes[g].is_some_and(|r| {
                r.min().x <= p.lon && p.lon <= r.max().x && r.min().y <= p.lat && p.lat <= r.max().y
            }) && grids[g].geometry.contains(&at)
        });
        if let Some(g) = found {
            in_grid[g].push(p);
        }
    }
    // Today's unwalked grids: the busiest hot spots of today's incidents, then a random few.
    let day_ago = now - Duration::hours(24);
    let mut today: HashMap<usize, usize> = HashMap::new();
    for i in incidents.iter().filter(|i| i.reported_at > day_ago) {
        if let Some(&g) = i.grid.as_deref().and_then(|c| by_code.get(c)) {
            *today.entry(g).or_default() += 1;
        }
    }
    let mut hot: Vec<(usize, usize)> = today.into_iter().filter(|(g, _)| *g != wangge).collect();
    hot.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut unwalked = vec![false; grids.len()];
    for (g, _) in hot.iter().take(HOT_SPOTS_MISSED) {
        unwalked[*g] = true;
    }
    let target = (grids.len() as f64 * UNWALKED_TODAY).round() as usize;
    while unwalked.iter().filter(|u| **u).count() < target.min(grids.len() - 1) {
        let g = rng.random_range(0..grids.len());
        if g != wangge {
            unwalked[g] = true;
        }
    }

    let mut points = Vec::new();
    let margin = Duration::minutes(10);
    for (gi, g) in grids.iter().enumerate() {
        let member = gi as u32;
        let own = &in_grid[gi];
        for day in (0..=HISTORY_DAYS).rev() {
            let to = now - Duration::hours(24 * day) - margin;
            let from = now - Duration::hours(24 * (day + 1)) + margin;
            let (walked, share) = if day == 0 {
                (!unwalked[gi], rng.random_range(0.6..0.98))
            } else {
                (rng.random_bool(HISTORY_WALKED), rng.random_range(0.3..0.7))
            };
            if !walked {
                continue;
            }
            // Most key places are visited; now and then one is left out, and
            // today the grid head of the contract's grid misses its market.
            let miss: Option<&Place> = if day == 0 && gi == wangge {
                own.iter().find(|p| p.kind == "市场").copied()
            } else if !own.is_empty() && rng.random_bool(0.25) {
                Some(own[rng.random_range(0..own.len())])
            } else {
                None
            };
            let visit: Vec<&Place> = own
                .iter()
                .filter(|p| miss.is_none_or(|m| m.id != p.id))
                .copied()
                .collect();
            walk(g, member, share, &visit, miss, (from, to), rng, &mut points);
        }
    }
    (members, points)
}
