//! The grid topology check: gaps (parts of an area covered by none of its
//! children), overlaps (areas of one level sharing ground), children reaching
//! outside their parent, and code problems. Boolean operations are geo's
//! `BooleanOps` in degrees; areas are geodesic square metres. Pieces smaller
//! than [`SLIVER_M2`], or thinner on average than [`SLIVER_WIDTH_M`], are
//! ignored: they are rounding noise along shared edges (coordinates stored to
//! 1e-7°, about 1 cm, leave centimetre-wide slivers that can still add up to a
//! few square metres along a long edge), not ground anyone could stand on.

use std::collections::{HashMap, HashSet};

use geo::orient::{Direction, Orient};
use geo::{BooleanOps, GeodesicArea, InteriorPoint};
use geo_types::{MultiPolygon, Polygon};
use rstar::RTree;
use rstar::primitives::{GeomWithData, Rectangle};
use serde_json::{Value, json};

use crate::domain::{Area, Level};
use crate::spatial::{BBox, haversine_m};

/// Problems smaller than this many square metres are ignored.
pub const SLIVER_M2: f64 = 1.0;

/// Problems thinner than this on average (2 × area / perimeter, metres) are ignored.
pub const SLIVER_WIDTH_M: f64 = 0.1;

/// What kind of problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProblemKind {
    /// Part of an area covered by none of its children.
    Gap,
    /// Two areas of one level share ground.
    Overlap,
    /// A child reaches outside its parent.
    OutsideParent,
    /// The code's parent is not stored.
    MissingParent,
    /// The code is malformed or not prefixed by its parent's.
    BadCode,
    /// The same code twice.
    DuplicateCode,
}

impl ProblemKind {
    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            ProblemKind::Gap => "gap",
            ProblemKind::Overlap => "overlap",
            ProblemKind::OutsideParent => "outside_parent",
            ProblemKind::MissingParent => "missing_parent",
            ProblemKind::BadCode => "bad_code",
            ProblemKind::DuplicateCode => "duplicate_code",
        }
    }
}

/// One problem found.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// What kind.
    pub kind: ProblemKind,
    /// The areas involved (the parent for a gap; both for an overlap).
    pub codes: Vec<String>,
    /// Its size in square metres, for geometric problems.
    pub area_m2: Option<f64>,
    /// A point inside the problem (WGS84), to find it on the map.
    pub location: Option<(f64, f64)>,
    /// The problem's shape, for geometric problems.
    pub geometry: Option<Polygon<f64>>,
    /// Human text (Chinese names included).
    pub detail: String,
}

/// Perimeter of a polygon's rings in metres.
fn perimeter_m(p: &Polygon<f64>) -> f64 {
    std::iter::once(p.exterior())
        .chain(p.interiors())
        .flat_map(|r| r.lines())
        .map(|l| haversine_m(l.start.x, l.start.y, l.end.x, l.end.y))
        .sum()
}

/// Every piece of `mp` above the tolerances, with its area and a point inside.
fn pieces(mp: MultiPolygon<f64>, sliver_m2: f64) -> Vec<(Polygon<f64>, f64, (f64, f64))> {
    mp.0.into_iter()
        .filter_map(|p| {
            // Signed and oriented: the unsigned geodesic area reads a clockwise (or a
            // degenerate, numerically clockwise) ring as the rest of the globe.
            let p = p.orient(Direction::Default);
            let a = p.geodesic_area_signed().abs();
            let width = 2.0 * a / perimeter_m(&p).max(f64::MIN_POSITIVE);
            (a >= sliver_m2 && width >= SLIVER_WIDTH_M).then(|| {
                let c = p
                    .interior_point()
                    .map(|pt| (pt.x(), pt.y()))
                    .unwrap_or_default();
                (p, a, c)
            })
        })
        .collect()
}

fn label(a: &Area) -> String {
    format!("{} {}", a.code, a.name)
}

/// Checks a set of areas (normally every stored area) and lists the problems,
/// codes first, then gaps, overlaps and children outside their parents.
///
/// ```
/// use geo_types::{LineString, MultiPolygon, Polygon};
/// use minqing::domain::{Area, AreaCode};
/// use minqing::import::topology::{ProblemKind, check};
/// let sq = |x0: f64, x1: f64| MultiPolygon::new(vec![Polygon::new(LineString::from(vec![(x0, 0.0), (x1, 0.0), (x1, 0.01), (x0, 0.01), (x0, 0.0)]), vec![])]);
/// let area = |code: &str, g| Area { code: AreaCode::parse(code).unwrap(), name: code.into(), parent: AreaCode::parse(code).unwrap().parent(), geometry: g, head: None, households: 0, residents: 0 };
/// // A community 0.00–0.02°, grids covering 0.00–0.01° and 0.011–0.02°: a 0.001° gap.
/// let areas = vec![area("441899001001", sq(0.0, 0.02)), area("441899001001001", sq(0.0, 0.01)), area("441899001001002", sq(0.011, 0.02))];
/// let problems = check(&areas, 1.0);
/// let gaps: Vec<_> = problems.iter().filter(|p| p.kind == ProblemKind::Gap).collect();
/// assert_eq!(gaps.len(), 1);
/// assert!((gaps[0].area_m2.unwrap() - 123_000.0).abs() < 2_000.0, "0.001° × 0.01° at the equator ≈ 123 000 m²");
/// ```
pub fn check(areas: &[Area], sliver_m2: f64) -> Vec<Problem> {
    let mut out = Vec::new();
    let mut by_code: HashMap<&str, &Area> = HashMap::new();
    let mut dup_seen: HashSet<&str> = HashSet::new();
    for a in areas {
        let code = a.code.as_str();
        if by_code.insert(code, a).is_some() && dup_seen.insert(code) {
            out.push(Problem {
                kind: ProblemKind::DuplicateCode,
                codes: vec![code.into()],
                area_m2: None,
                location: None,
                geometry: None,
                detail: format!("code {code} is used by more than one area"),
            });
        }
        if a.level() != Level::District && code.ends_with("000") {
            out.push(Problem {
                kind: ProblemKind::BadCode,
                codes: vec![code.into()],
                area_m2: None,
                location: None,
                geometry: None,
                detail: format!(
                    "{}: the last three digits 000 are reserved for the parent itself",
                    label(a)
                ),
            });
        }
        if a.parent != a.code.parent() {
            out.push(Problem {
                kind: ProblemKind::BadCode,
                codes: vec![code.into()],
                area_m2: None,
                location: None,
                geometry: None,
                detail: format!(
                    "{}: parent {} is not the code's prefix {}",
                    label(a),
                    a.parent.as_ref().map_or("(none)", |p| p.as_str()),
                    a.code.parent().as_ref().map_or("(none)", |p| p.as_str())
                ),
            });
        }
    }
    let mut children: HashMap<&str, Vec<&Area>> = HashMap::new();
    for a in areas {
        if let Some(p) = a.code.parent() {
            match by_code.get(p.as_str()) {
                Some(parent) => children.entry(parent.code.as_str()).or_default().push(a),
                None => out.push(Problem {
                    kind: ProblemKind::MissingParent,
                    codes: vec![a.code.as_str().into()],
                    area_m2: None,
                    location: None,
                    geometry: None,
                    detail: format!("{}: parent {p} is not stored", label(a)),
                }),
            }
        }
    }
    // Gaps: each parent minus the union of its children, and children outside their parent.
    let mut parents: Vec<&&Area> = by_code
        .values()
        .filter(|a| children.contains_key(a.code.as_str()))
        .collect();
    parents.sort_by_key(|a| a.code.as_str());
    for parent in parents {
        let kids = &children[parent.code.as_str()];
        let union = geo::unary_union(kids.iter().map(|k| &k.geometry));
        let child_level = kids[0].level().zh();
        for (p, a, c) in pieces(parent.geometry.difference(&union), sliver_m2) {
            out.push(Problem {
                kind: ProblemKind::Gap,
                codes: vec![parent.code.as_str().into()],
                area_m2: Some(a),
                location: Some(c),
                geometry: Some(p),
                detail: format!(
                    "gap in {}: {a:.1} m² covered by no {child_level}",
                    label(parent)
                ),
            });
        }
        for k in kids {
            for (p, a, c) in pieces(k.geometry.difference(&parent.geometry), sliver_m2) {
                out.push(Problem {
                    kind: ProblemKind::OutsideParent,
                    codes: vec![k.code.as_str().into(), parent.code.as_str().into()],
                    area_m2: Some(a),
                    location: Some(c),
                    geometry: Some(p),
                    detail: format!(
                        "{} reaches {a:.1} m² outside its parent {}",
                        label(k),
                        label(parent)
                    ),
                });
            }
        }
    }
    // Overlaps: same-level pairs whose boxes meet (an rstar self-join), then the exact intersection.
    for level in [Level::Street, Level::Community, Level::Grid] {
        let same: Vec<&Area> = areas.iter().filter(|a| a.level() == level).collect();
        let tree = RTree::bulk_load(
            same.iter()
                .enumerate()
                .filter_map(|(i, a)| {
                    BBox::of(&a.geometry).map(|b| {
                        GeomWithData::new(
                            Rectangle::from_corners([b.min_lon, b.min_lat], [b.max_lon, b.max_lat]),
                            i,
                        )
                    })
                })
                .collect(),
        );
        let mut pairs: Vec<(usize, usize)> = tree
            .intersection_candidates_with_other_tree(&tree)
            .map(|(x, y)| (x.data, y.data))
            .filter(|(i, j)| i < j)
            .collect();
        pairs.sort_unstable();
        for (i, j) in pairs {
            let (a, b) = (same[i], same[j]);
            for (p, area, c) in pieces(a.geometry.intersection(&b.geometry), sliver_m2) {
                out.push(Problem {
                    kind: ProblemKind::Overlap,
                    codes: vec![a.code.as_str().into(), b.code.as_str().into()],
                    area_m2: Some(area),
                    location: Some(c),
                    geometry: Some(p),
                    detail: format!("{} and {} overlap by {area:.1} m²", label(a), label(b)),
                });
            }
        }
    }
    out.sort_by(|a, b| a.kind.cmp(&b.kind).then_with(|| a.codes.cmp(&b.codes)));
    out
}

/// The problems as an RFC 7946 FeatureCollection (polygons where there is one, else the location).
pub fn to_geojson(problems: &[Problem]) -> Value {
    let features: Vec<Value> = problems
        .iter()
        .map(|p| {
            let geometry = match (&p.geometry, p.location) {
                (Some(g), _) => json!(geojson::Geometry::from(g)),
                (None, Some((x, y))) => json!({"type": "Point", "coordinates": [x, y]}),
                (None, None) => Value::Null,
            };
            json!({"type": "Feature", "geometry": geometry, "properties": {
                "kind": p.kind.as_str(), "codes": p.codes, "area_m2": p.area_m2.map(|a| (a * 10.0).round() / 10.0),
                "lon": p.location.map(|l| l.0), "lat": p.location.map(|l| l.1), "detail": p.detail,
            }})
        })
        .collect();
    json!({"type": "FeatureCollection", "features": features})
}
