//! Reading GPS fixes from the formats patrol phones and trackers produce.
//!
//! Every reader is all-or-nothing: it returns every fix, or every problem
//! found (`line N: field: reason` for CSV and GPX, a JSON path for JSON), so
//! an importer can report each rejected row and write nothing.

use std::collections::HashMap;
use std::fmt;

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use serde_json::Value;

use crate::domain::PatrolPoint;
use crate::spatial::crs::Crs;
use crate::spatial::geom::check_lon_lat;

mod csv;
mod gpx;
mod json;

/// Longest member id accepted.
pub const MAX_MEMBER_LEN: usize = 64;
/// Most problems listed before a reader stops looking.
pub const MAX_PROBLEMS: usize = 1000;

/// Input formats of track batches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `{"member","points":[{"lon","lat","time"}]}`; a GeoJSON object is recognised by its `type`.
    Json,
    /// A Feature or FeatureCollection of LineString / MultiPoint / MultiLineString / Point.
    GeoJson,
    /// GPX 1.0/1.1: `trkpt` with `lat`, `lon` and `time`.
    Gpx,
    /// CSV with a header naming `member,time,lon,lat` (any order).
    Csv,
}

impl Format {
    /// The format of an HTTP `Content-Type` (parameters such as charset ignored).
    ///
    /// ```
    /// use minqing::patrol::Format;
    /// assert_eq!(Format::from_content_type("text/csv; charset=utf-8"), Some(Format::Csv));
    /// assert_eq!(Format::from_content_type("application/gpx+xml"), Some(Format::Gpx));
    /// assert_eq!(Format::from_content_type("image/png"), None);
    /// ```
    pub fn from_content_type(ct: &str) -> Option<Format> {
        let mime = ct
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        Some(match mime.as_str() {
            "application/json" => Format::Json,
            "application/geo+json" | "application/vnd.geo+json" => Format::GeoJson,
            "application/gpx+xml" | "application/gpx" | "application/xml" | "text/xml" => {
                Format::Gpx
            }
            "text/csv" | "application/csv" => Format::Csv,
            _ => return None,
        })
    }

    /// The format of a file by its extension (for the importer).
    ///
    /// ```
    /// use minqing::patrol::Format;
    /// assert_eq!(Format::from_path("day1.GPX"), Some(Format::Gpx));
    /// ```
    pub fn from_path(path: &str) -> Option<Format> {
        let ext = path.rsplit('.').next()?.to_ascii_lowercase();
        Some(match ext.as_str() {
            "json" => Format::Json,
            "geojson" => Format::GeoJson,
            "gpx" => Format::Gpx,
            "csv" => Format::Csv,
            _ => return None,
        })
    }
}

/// How to read a batch.
#[derive(Debug, Clone, Default)]
pub struct ParseOptions {
    /// The coordinate system of the input; fixes come out in WGS84.
    pub crs: Crs,
    /// The member of fixes whose input does not name one (`?member=`).
    pub member: Option<String>,
}

/// Fixes read from one input, in WGS84, in input order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParsedTracks {
    /// Member ids, indexed by [`PatrolPoint::member`].
    pub members: Vec<String>,
    /// The fixes.
    pub points: Vec<PatrolPoint>,
}

/// One rejected fix: where, which field, why.
#[derive(Debug, Clone, PartialEq)]
pub struct BadFix {
    /// `line 3` (CSV, GPX) or a JSON path such as `points[2]`.
    pub at: String,
    /// The field at fault (`time`, `lon`, `member`, …).
    pub field: &'static str,
    /// A human reason.
    pub reason: String,
}

impl fmt::Display for BadFix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.at, self.field, self.reason)
    }
}

/// Reads `body` as `format`. GeoJSON sent as plain JSON is recognised.
pub fn parse(format: Format, body: &str, opts: &ParseOptions) -> Result<ParsedTracks, Vec<BadFix>> {
    let body = body.strip_prefix('\u{feff}').unwrap_or(body);
    match format {
        Format::Json | Format::GeoJson => {
            let v: Value = serde_json::from_str(body).map_err(|e| {
                vec![BadFix {
                    at: format!("line {}", e.line()),
                    field: "body",
                    reason: format!("not valid JSON: {e}"),
                }]
            })?;
            if format == Format::GeoJson || v.get("type").is_some() {
                json::geojson(&v, opts)
            } else {
                json::json_points(&v, opts)
            }
        }
        Format::Gpx => gpx::gpx(body, opts),
        Format::Csv => csv::csv(body, opts),
    }
}

/// Member ids of a batch and the fixes being collected.
#[derive(Default)]
struct Builder {
    out: ParsedTracks,
    by_id: HashMap<String, u32>,
    problems: Vec<BadFix>,
}

impl Builder {
    fn problem(&mut self, at: impl FnOnce() -> String, field: &'static str, reason: String) {
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(BadFix {
                at: at(),
                field,
                reason,
            });
        }
    }

    fn member(&mut self, id: &str) -> Result<u32, String> {
        if let Some(&i) = self.by_id.get(id) {
            return Ok(i);
        }
        let id = check_member(id)?;
        let i = self.out.members.len() as u32;
        self.by_id.insert(id.clone(), i);
        self.out.members.push(id);
        Ok(i)
    }

    /// Adds a fix, or records why not.
    fn fix(
        &mut self,
        at: &dyn Fn() -> String,
        member: Option<&str>,
        time: Option<&str>,
        lon: Result<f64, String>,
        lat: Result<f64, String>,
        crs: Crs,
    ) {
        let member = match member.map(|m| self.member(m)) {
            Some(Ok(m)) => Some(m),
            Some(Err(e)) => {
                self.problem(at, "member", e);
                None
            }
            None => {
                self.problem(
                    at,
                    "member",
                    "no member: name one in the input or with ?member=".into(),
                );
                None
            }
        };
        let time = match time.map(parse_time) {
            Some(Ok(t)) => Some(t),
            Some(Err(e)) => {
                self.problem(at, "time", e);
                None
            }
            None => {
                self.problem(at, "time", "missing".into());
                None
            }
        };
        let lon = lon.map_err(|e| self.problem(at, "lon", e)).ok();
        let lat = lat.map_err(|e| self.problem(at, "lat", e)).ok();
        let (Some(member), Some(time), Some(lon), Some(lat)) = (member, time, lon, lat) else {
            return;
        };
        if let Err(e) = check_lon_lat(lon, lat) {
            let field = if e.starts_with("lon") { "lon" } else { "lat" };
            self.problem(at, field, e);
            return;
        }
        let (lon, lat) = crs.to_wgs84(lon, lat);
        self.out.points.push(PatrolPoint {
            member,
            time,
            lon,
            lat,
        });
    }

    fn finish(self) -> Result<ParsedTracks, Vec<BadFix>> {
        if self.problems.is_empty() {
            Ok(self.out)
        } else {
            Err(self.problems)
        }
    }
}

/// Checks a member id: 1–64 characters, no control characters.
///
/// ```
/// use minqing::patrol::parse::check_member;
/// assert_eq!(check_member(" M001 ").unwrap(), "M001");
/// assert!(check_member("").is_err());
/// assert!(check_member("a\tb").is_err());
/// ```
pub fn check_member(id: &str) -> Result<String, String> {
    let id = id.trim();
    if id.is_empty() {
        return Err("is empty".into());
    }
    if id.chars().count() > MAX_MEMBER_LEN {
        return Err(format!("is longer than {MAX_MEMBER_LEN} characters"));
    }
    if id.chars().any(char::is_control) {
        return Err("contains control characters".into());
    }
    Ok(id.to_owned())
}

/// Parses a fix time: RFC 3339 (`2026-06-01T08:00:00+08:00`, a space for `T`
/// allowed), or a local time without offset, taken as Asia/Shanghai time as
/// Chinese devices write it.
///
/// ```
/// use minqing::patrol::parse::parse_time;
/// let a = parse_time("2026-06-01T08:00:00+08:00").unwrap();
/// let b = parse_time("2026-06-01 08:00:00").unwrap();
/// assert_eq!(a, b, "a time without offset is Beijing time");
/// assert!(parse_time("yesterday").is_err());
/// ```
pub fn parse_time(s: &str) -> Result<DateTime<Utc>, String> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    for f in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y/%m/%d %H:%M:%S%.f",
    ] {
        if let Ok(n) = NaiveDateTime::parse_from_str(s, f) {
            return chrono_tz::Asia::Shanghai
                .from_local_datetime(&n)
                .single()
                .map(|t| t.with_timezone(&Utc))
                .ok_or_else(|| format!("{s:?} is not a valid local time"));
        }
    }
    Err(format!(
        "{s:?} is not RFC 3339 (e.g. 2026-06-01T08:00:00+08:00)"
    ))
}

#[cfg(test)]
mod tests;
