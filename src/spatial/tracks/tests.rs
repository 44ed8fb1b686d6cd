use super::*;
use chrono::{Duration, TimeZone};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn member(i: usize) -> PatrolMember {
    PatrolMember {
        id: format!("M{i}"),
        name: String::new(),
        team: String::new(),
    }
}

/// Random walks of `n` members, 10 s apart, with a few long pauses.
fn walks(rng: &mut ChaCha8Rng, n: usize, fixes: usize) -> Vec<PatrolPoint> {
    let t0 = Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap();
    let mut out = Vec::new();
    for m in 0..n {
        let (mut lon, mut lat) = (rng.random_range(113.0..113.1), rng.random_range(23.0..23.1));
        let mut t = t0;
        for _ in 0..fixes {
            out.push(PatrolPoint {
                member: m as u32,
                time: t,
                lon,
                lat,
            });
            lon += rng.random_range(-0.0003..0.0003);
            lat += rng.random_range(-0.0003..0.0003);
            t += Duration::seconds(if rng.random_bool(0.02) { 600 } else { 10 });
        }
    }
    out
}

fn brute(points: &[PatrolPoint], t: &Tracks, b: &BBox) -> Vec<usize> {
    (0..points.len())
        .filter(|&i| {
            let p = t.piece_bbox(i);
            p.min_lon <= b.max_lon
                && p.max_lon >= b.min_lon
                && p.min_lat <= b.max_lat
                && p.max_lat >= b.min_lat
        })
        .collect()
}

#[test]
fn segments_in_matches_brute_force_on_random_walks() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let pts = walks(&mut rng, 20, 300);
    let t = Tracks::build((0..20).map(member).collect(), pts.clone());
    for _ in 0..50 {
        let (x, y) = (rng.random_range(113.0..113.1), rng.random_range(23.0..23.1));
        let b = BBox {
            min_lon: x,
            min_lat: y,
            max_lon: x + rng.random_range(0.0..0.02),
            max_lat: y + rng.random_range(0.0..0.02),
        };
        assert_eq!(
            t.segments_in(&b),
            brute(&pts, &t, &b),
            "bucket query vs scan for {b:?}"
        );
    }
}

/// The links and member tracks of an index, by fix content, comparable across builds.
fn shape(t: &Tracks) -> Vec<Vec<(i64, Option<i64>)>> {
    (0..t.members.len() as u32)
        .map(|m| {
            t.track(m)
                .iter()
                .map(|&i| {
                    let p = t.point(i as usize);
                    (
                        p.time.timestamp(),
                        t.next(i as usize).map(|n| t.point(n).time.timestamp()),
                    )
                })
                .collect()
        })
        .collect()
}

#[test]
fn appending_in_shuffled_batches_gives_the_same_tracks_as_one_build() {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let pts = walks(&mut rng, 8, 200);
    let whole = Tracks::build((0..8).map(member).collect(), pts.clone());
    let mut shuffled = pts.clone();
    // Batches in random order, so many land before fixes already held.
    let mut batches: Vec<Vec<PatrolPoint>> = shuffled.chunks_mut(37).map(|c| c.to_vec()).collect();
    for i in (1..batches.len()).rev() {
        batches.swap(i, rng.random_range(0..=i));
    }
    let mut appended = Tracks::default();
    let members: Vec<PatrolMember> = (0..8).map(member).collect();
    for b in &batches {
        appended.append(&members, b);
    }
    assert_eq!(
        shape(&appended),
        shape(&whole),
        "same order and links whatever the arrival order"
    );
    for _ in 0..30 {
        let (x, y) = (rng.random_range(113.0..113.1), rng.random_range(23.0..23.1));
        let b = BBox {
            min_lon: x,
            min_lat: y,
            max_lon: x + 0.01,
            max_lat: y + 0.01,
        };
        let key = |t: &Tracks, ids: Vec<usize>| -> Vec<(u32, i64)> {
            let mut v: Vec<_> = ids
                .into_iter()
                .map(|i| (t.point(i).member, t.point(i).time.timestamp()))
                .collect();
            v.sort_unstable();
            v
        };
        assert_eq!(
            key(&appended, appended.segments_in(&b)),
            key(&whole, whole.segments_in(&b)),
            "same pieces in {b:?}"
        );
    }
}

#[test]
fn a_long_pause_breaks_the_track_into_lone_fixes() {
    let t0 = Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap();
    let p = |s: i64| PatrolPoint {
        member: 0,
        time: t0 + Duration::seconds(s),
        lon: 113.0,
        lat: 23.0,
    };
    let t = Tracks::build(
        vec![member(0)],
        vec![p(0), p(10), p(10 + MAX_SEGMENT_GAP_S + 1)],
    );
    let ids = t.track(0);
    assert_eq!(t.next(ids[0] as usize), Some(ids[1] as usize));
    assert_eq!(
        t.next(ids[1] as usize),
        None,
        "more than {MAX_SEGMENT_GAP_S} s apart: not walked"
    );
    assert_eq!(
        t.window(0, t0 + Duration::seconds(5), t0 + Duration::seconds(10))
            .len(),
        1
    );
}

#[test]
fn history_finds_the_fix_before_and_exact_duplicates() {
    use crate::patrol::History;
    let t0 = Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap();
    let p = |s: i64| PatrolPoint {
        member: 0,
        time: t0 + Duration::seconds(s),
        lon: 113.0,
        lat: 23.0,
    };
    let t = Tracks::build(vec![member(0)], vec![p(0), p(20)]);
    assert_eq!(
        t.fix_before("M0", t0 + Duration::seconds(20))
            .map(|f| f.time),
        Some(t0)
    );
    assert!(t.fix_before("M0", t0).is_none());
    assert!(t.has_fix_at("M0", t0 + Duration::seconds(20)));
    assert!(!t.has_fix_at("M0", t0 + Duration::seconds(10)));
    assert!(!t.has_fix_at("nobody", t0));
}
