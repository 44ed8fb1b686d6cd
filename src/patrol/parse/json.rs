//! JSON point batches and GeoJSON tracks.

use serde_json::Value;

use super::{BadFix, Builder, ParseOptions, ParsedTracks};

fn num(v: Option<&Value>) -> Result<f64, String> {
    match v {
        None | Some(Value::Null) => Err("missing".into()),
        Some(Value::Number(n)) => n.as_f64().ok_or_else(|| "not a number".into()),
        Some(Value::String(s)) => s
            .trim()
            .parse::<f64>()
            .map_err(|_| format!("{s:?} is not a number")),
        Some(other) => Err(format!("{other} is not a number")),
    }
}

fn text(v: Option<&Value>) -> Option<&str> {
    v.and_then(Value::as_str)
}

/// `{"member": "M001", "points": [{"lon", "lat", "time"}, …]}`; a point may
/// carry its own `member`.
pub(super) fn json_points(v: &Value, opts: &ParseOptions) -> Result<ParsedTracks, Vec<BadFix>> {
    let mut b = Builder::default();
    let default = text(v.get("member")).or(opts.member.as_deref());
    let Some(points) = v.get("points").and_then(Value::as_array) else {
        return Err(vec![BadFix {
            at: "body".into(),
            field: "points",
            reason: "expected {\"member\",\"points\":[{\"lon\",\"lat\",\"time\"}]} or GeoJSON"
                .into(),
        }]);
    };
    for (i, p) in points.iter().enumerate() {
        b.fix(
            &|| format!("points[{i}]"),
            text(p.get("member")).or(default),
            text(p.get("time")),
            num(p.get("lon")),
            num(p.get("lat")),
            opts.crs,
        );
    }
    b.finish()
}

/// The times of a feature: `properties.times`, or `properties.coordTimes` as
/// written by GPS-to-GeoJSON converters.
fn times_of(props: Option<&Value>) -> Option<&Vec<Value>> {
    let p = props?;
    p.get("times")
        .or_else(|| p.get("coordTimes"))
        .and_then(Value::as_array)
}

pub(super) fn geojson(v: &Value, opts: &ParseOptions) -> Result<ParsedTracks, Vec<BadFix>> {
    let mut b = Builder::default();
    let features: Vec<&Value> = match text(v.get("type")) {
        Some("FeatureCollection") => v
            .get("features")
            .and_then(Value::as_array)
            .map(|f| f.iter().collect())
            .unwrap_or_default(),
        Some("Feature") => vec![v],
        Some(_) => vec![v], // a bare geometry: no properties, so no times unless given
        None => Vec::new(),
    };
    if features.is_empty() {
        return Err(vec![BadFix {
            at: "body".into(),
            field: "type",
            reason: "expected a GeoJSON Feature or FeatureCollection of tracks".into(),
        }]);
    }
    for (k, f) in features.iter().enumerate() {
        let (geom, props) = if text(f.get("type")) == Some("Feature") {
            (f.get("geometry"), f.get("properties"))
        } else {
            (Some(*f), None)
        };
        let member = props
            .and_then(|p| text(p.get("member")))
            .or(opts.member.as_deref());
        let gtype = geom.and_then(|g| text(g.get("type"))).unwrap_or("");
        let coords = geom.and_then(|g| g.get("coordinates"));
        // Flatten to (path, coordinate, time) with times matched by position.
        let mut fixes: Vec<(String, &Value, Option<&str>)> = Vec::new();
        let times = times_of(props);
        match (gtype, coords.and_then(Value::as_array)) {
            ("LineString" | "MultiPoint", Some(cs)) => {
                if let Some(ts) = times.filter(|ts| ts.len() != cs.len()) {
                    b.problem(
                        || format!("features[{k}]"),
                        "times",
                        format!("{} times for {} coordinates", ts.len(), cs.len()),
                    );
                    continue;
                }
                for (i, c) in cs.iter().enumerate() {
                    let t = times.and_then(|ts| text(ts.get(i)));
                    fixes.push((format!("features[{k}].coordinates[{i}]"), c, t));
                }
            }
            ("MultiLineString", Some(lines)) => {
                let total: usize = lines.iter().filter_map(Value::as_array).map(Vec::len).sum();
                let nested = times.is_some_and(|ts| ts.iter().all(Value::is_array));
                let flat_ok = times.is_none_or(|ts| nested || ts.len() == total);
                if !flat_ok {
                    b.problem(
                        || format!("features[{k}]"),
                        "times",
                        format!("times do not match the {total} coordinates"),
                    );
                    continue;
                }
                let mut n = 0;
                for (j, line) in lines.iter().enumerate() {
                    for (i, c) in line.as_array().into_iter().flatten().enumerate() {
                        let t = match times {
                            Some(ts) if nested => {
                                text(ts.get(j).and_then(|l| l.as_array()).and_then(|l| l.get(i)))
                            }
                            Some(ts) => text(ts.get(n)),
                            None => None,
                        };
                        fixes.push((format!("features[{k}].coordinates[{j}][{i}]"), c, t));
                        n += 1;
                    }
                }
            }
            ("Point", Some(_)) => {
                let t = props
                    .and_then(|p| text(p.get("time")))
                    .or_else(|| times.and_then(|ts| text(ts.first())));
                fixes.push((
                    format!("features[{k}].coordinates"),
                    coords.unwrap_or(&Value::Null),
                    t,
                ));
            }
            _ => {
                b.problem(
                    || format!("features[{k}]"),
                    "geometry",
                    format!(
                        "expected LineString, MultiPoint, MultiLineString or Point, got {gtype:?}"
                    ),
                );
                continue;
            }
        }
        for (at, c, t) in fixes {
            let c = c.as_array();
            b.fix(
                &|| at.clone(),
                member,
                t,
                num(c.and_then(|c| c.first())),
                num(c.and_then(|c| c.get(1))),
                opts.crs,
            );
        }
    }
    b.finish()
}
