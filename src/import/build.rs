//! Rows to records: every field checked, every problem a [`Rejection`] naming
//! the line and field, every repair a [`Warning`]. Nothing here writes.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use geo::Intersects;
use geo_types::{MultiPolygon, Point};

use super::fields::Mapping;
use super::read::{RawGeometry, RawRow, Table};
use super::{Crs, Layer, Rejection, Warning, geometry};
use crate::domain::hazard::Contact;
use crate::domain::incident::{category_code, deadline_for};
use crate::domain::{
    Area, AreaCode, GridHead, Hazard, Incident, IncidentStatus, LayerRecords, Level, Person,
    PersonCategory, Place, Risk, Shelter,
};
use crate::spatial::SpatialIndex;

/// What the plan needs to know about the store.
pub struct Context<'a> {
    /// The stored areas, indexed (districts for the "outside" check, grids for `grid`).
    pub index: &'a SpatialIndex,
    /// Codes or ids of this layer already stored (to count updates).
    pub existing: HashSet<String>,
    /// The file's coordinate system.
    pub crs: Crs,
    /// Default deadlines are counted from report times; `now` is not used for them.
    pub now: DateTime<Utc>,
}

/// The outcome of checking a file: records to write, or reasons not to.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The records that passed (written only when `rejected` is empty).
    pub records: LayerRecords,
    /// Every rejected row, in line order.
    pub rejected: Vec<Rejection>,
    /// Repairs and notes.
    pub warnings: Vec<Warning>,
    /// Records that would be new.
    pub new: usize,
    /// Records that would replace stored ones with the same code or id.
    pub updated: usize,
}

impl Plan {
    /// Recounts new and updated from how many of the records the store
    /// already holds (for a layer whose stored ids are not all in memory).
    pub fn set_stored(&mut self, stored: usize) {
        let total = self.new + self.updated;
        self.updated = stored.min(total);
        self.new = total - self.updated;
    }
}

type Check<T> = Result<T, (String, String)>;

fn bad<T>(field: &str, reason: impl Into<String>) -> Check<T> {
    Err((field.to_owned(), reason.into()))
}

/// One row with its mapping, for field access with uniform messages.
struct R<'a> {
    row: &'a RawRow,
    m: &'a Mapping,
}

impl R<'_> {
    fn opt(&self, field: &str) -> Option<&str> {
        self.m.get(self.row, field)
    }
    fn req(&self, field: &str) -> Check<&str> {
        match self.opt(field) {
            Some(v) => Ok(v),
            None if !self.m.gives(field) => bad(
                field,
                "no column gives this field (name a column like it, use --mapping, or give --default FIELD=VALUE)",
            ),
            None => bad(field, "missing"),
        }
    }
    fn text(&self, field: &str) -> String {
        self.opt(field).unwrap_or("").to_owned()
    }
    fn count(&self, field: &str, default: u32) -> Check<u32> {
        match self.opt(field) {
            None => Ok(default),
            Some(v) => match v.parse::<f64>() {
                Ok(n) if n >= 0.0 && n.fract() == 0.0 && n <= u32::MAX as f64 => Ok(n as u32),
                _ => bad(field, format!("{v:?} is not a whole number ≥ 0")),
            },
        }
    }
    fn number(&self, field: &str) -> Check<Option<f64>> {
        match self.opt(field) {
            None => Ok(None),
            Some(v) => match v.parse::<f64>() {
                Ok(n) if n.is_finite() => Ok(Some(n)),
                _ => bad(field, format!("{v:?} is not a number")),
            },
        }
    }
}

/// The raw geometry of a row: the feature's, or from lon/lat or WKT columns.
fn raw_geometry(r: &R<'_>) -> Check<Option<RawGeometry>> {
    if let Some(g) = &r.row.geometry {
        return Ok(Some(g.clone()));
    }
    if let (Some(x), Some(y)) = (r.number("lon")?, r.number("lat")?) {
        return Ok(Some(RawGeometry::Point(x, y)));
    }
    if r.opt("lon").is_some() != r.opt("lat").is_some() {
        return bad(
            if r.opt("lon").is_some() { "lat" } else { "lon" },
            "missing (lon and lat go together)",
        );
    }
    if let Some(w) = r.opt("wkt") {
        use wkt::TryFromWkt;
        let g = geo_types::Geometry::<f64>::try_from_wkt_str(w)
            .map_err(|e| ("wkt".to_owned(), format!("not valid WKT: {e}")))?;
        let rings = |p: &geo_types::Polygon<f64>| {
            std::iter::once(p.exterior())
                .chain(p.interiors())
                .map(|l| l.0.iter().map(|c| (c.x, c.y)).collect())
                .collect::<Vec<Vec<(f64, f64)>>>()
        };
        return Ok(Some(match g {
            geo_types::Geometry::Point(p) => RawGeometry::Point(p.x(), p.y()),
            geo_types::Geometry::Polygon(p) => RawGeometry::Polygons(vec![rings(&p)]),
            geo_types::Geometry::MultiPolygon(mp) => {
                RawGeometry::Polygons(mp.0.iter().map(rings).collect())
            }
            _ => RawGeometry::Unsupported(
                "a WKT geometry other than POINT, POLYGON or MULTIPOLYGON".into(),
            ),
        }));
    }
    Ok(None)
}

/// The districts to check locations against: `(code, polygon)`.
fn districts(index: &SpatialIndex) -> Vec<(String, &MultiPolygon<f64>)> {
    index
        .areas
        .entries
        .iter()
        .filter(|e| e.area.level() == Level::District)
        .map(|e| (e.area.code.as_str().to_owned(), &e.area.geometry))
        .collect()
}

/// A point record's WGS84 location, inside the district when one is stored.
fn location(r: &R<'_>, ctx: &Context<'_>) -> Check<(f64, f64)> {
    let (x, y) = match raw_geometry(r)? {
        Some(RawGeometry::Point(x, y)) => (x, y),
        Some(RawGeometry::Polygons(_)) => {
            return bad("geometry", "this layer needs a point, found a polygon");
        }
        Some(RawGeometry::Unsupported(what)) => {
            return bad(
                "geometry",
                format!("this layer needs a point, found {what}"),
            );
        }
        None => {
            return bad(
                "location",
                "no location: give lon and lat columns (经度/纬度), or a Point geometry",
            );
        }
    };
    let (lon, lat) = geometry::point(x, y, ctx.crs).map_err(|e| ("location".to_owned(), e))?;
    // A point in a stored grid is in the district: the grid lookup is a
    // bucket probe, while testing the district's outline costs its every
    // vertex; the outline is tested only for points in no grid.
    if ctx.index.areas.grid_at((lon, lat)).is_some() {
        return Ok((lon, lat));
    }
    let ds = districts(ctx.index);
    let p = Point::new(lon, lat);
    if !ds.is_empty() && !ds.iter().any(|(_, g)| g.intersects(&p)) {
        let names: Vec<&str> = ds.iter().map(|(c, _)| c.as_str()).collect();
        return bad(
            "location",
            format!(
                "({lon:.6}, {lat:.6}) lies outside the district {} (wrong --crs?)",
                names.join(", ")
            ),
        );
    }
    Ok((lon, lat))
}

/// A stable id from a row's content, for files without an id column: the
/// same row imported again updates its record instead of adding a copy.
fn content_id(row: &RawRow) -> String {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    for v in row.values.iter() {
        h.update(v.as_bytes());
        h.update([0x1f]);
    }
    if let Some(g) = &row.geometry {
        h.update(format!("{g:?}").as_bytes());
    }
    format!("imp-{}", &hex::encode(h.finalize())[..16])
}

fn id(r: &R<'_>) -> Check<String> {
    if !r.m.gives("id") {
        return Ok(content_id(r.row));
    }
    let v = r.req("id")?;
    if v.chars().count() > 64 || v.chars().any(char::is_whitespace) {
        return bad(
            "id",
            format!("{v:?} must be at most 64 characters without spaces"),
        );
    }
    Ok(v.to_owned())
}

fn risk(v: &str) -> Option<Risk> {
    let t = v.trim().trim_end_matches(['色', '级']);
    Risk::parse(t).or_else(|| Risk::parse(&t.to_lowercase()))
}

fn status(v: &str) -> Option<IncidentStatus> {
    IncidentStatus::parse(v).or(match v {
        "上报" => Some(IncidentStatus::Reported),
        "受理" => Some(IncidentStatus::Accepted),
        "不予受理" => Some(IncidentStatus::Rejected),
        "派遣" => Some(IncidentStatus::Dispatched),
        "处置" | "处置中" => Some(IncidentStatus::InProgress),
        "办结" => Some(IncidentStatus::Resolved),
        "核查" => Some(IncidentStatus::Verified),
        "回访" => Some(IncidentStatus::Revisited),
        "结案" => Some(IncidentStatus::Closed),
        _ => None,
    })
}

/// RFC 3339, or a local Asia/Shanghai time `YYYY-MM-DD[ HH:MM[:SS]]` (also with `/`).
fn time(field: &str, v: &str) -> Check<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(v) {
        return Ok(t.with_timezone(&Utc));
    }
    let v2 = v.replace('/', "-");
    let naive = NaiveDateTime::parse_from_str(&v2, "%Y-%m-%d %H:%M:%S")
        .or_else(|_| NaiveDateTime::parse_from_str(&v2, "%Y-%m-%d %H:%M"))
        .or_else(|_| {
            NaiveDate::parse_from_str(&v2, "%Y-%m-%d")
                .map(|d| d.and_hms_opt(0, 0, 0).unwrap_or_default())
        });
    match naive {
        Ok(n) => Ok(chrono_tz::Asia::Shanghai
            .from_local_datetime(&n)
            .single()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|| Utc.from_utc_datetime(&n))),
        Err(_) => bad(
            field,
            format!("{v:?} is not a time (RFC 3339, or YYYY-MM-DD HH:MM:SS in Beijing time)"),
        ),
    }
}

/// Checks an 18-character citizen ID number (GB 11643): format, and the check character.
fn id_number(v: &str) -> Result<bool, String> {
    let c: Vec<char> = v.chars().collect();
    let ok = c.len() == 18
        && c[..17].iter().all(char::is_ascii_digit)
        && (c[17].is_ascii_digit() || c[17] == 'X' || c[17] == 'x');
    if !ok {
        return Err(format!(
            "{} characters given; an ID number has 17 digits and a digit or X",
            c.len()
        ));
    }
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let s: u32 = c[..17]
        .iter()
        .zip(W)
        .map(|(d, w)| d.to_digit(10).unwrap_or(0) * w)
        .sum();
    Ok(b"10X98765432"[(s % 11) as usize] as char == c[17].to_ascii_uppercase())
}

fn level_of(v: &str) -> Option<Level> {
    Level::parse(v).or(match v {
        "区" | "县" | "区县" => Some(Level::District),
        "街道" | "镇" | "乡" | "街道/镇" => Some(Level::Street),
        "社区" | "村" | "社区/村" => Some(Level::Community),
        "网格" => Some(Level::Grid),
        _ => None,
    })
}

/// Codes of the areas the file itself holds, by position, for parent checks.
fn file_codes(table: &Table, m: &Mapping) -> HashSet<String> {
    table
        .rows
        .iter()
        .filter_map(|row| m.get(row, "code").map(str::to_owned))
        .collect()
}

fn area(
    r: &R<'_>,
    ctx: &Context<'_>,
    in_file: &HashSet<String>,
    file_districts: &HashMap<String, MultiPolygon<f64>>,
    repairs: &mut Vec<String>,
) -> Check<Area> {
    let raw_code = r.req("code")?;
    let code = AreaCode::parse(raw_code).map_err(|e| ("code".to_owned(), e))?;
    if let Some(l) = r.opt("level") {
        match level_of(l) {
            Some(l) if l == code.level() => {}
            Some(l) => {
                return bad(
                    "level",
                    format!(
                        "says {} but code {code} has {} digits ({})",
                        l.as_str(),
                        code.as_str().len(),
                        code.level().as_str()
                    ),
                );
            }
            None => {
                return bad(
                    "level",
                    format!("{l:?} is not district, street, community or grid"),
                );
            }
        }
    }
    let parent = code.parent();
    if let Some(p) = r.opt("parent")
        && parent.as_ref().map(AreaCode::as_str) != Some(p)
    {
        return bad(
            "parent",
            format!(
                "{p:?} is not the code's own prefix {:?}: a child's code starts with its parent's",
                parent.as_ref().map(AreaCode::as_str).unwrap_or("")
            ),
        );
    }
    if let Some(p) = &parent
        && ctx.index.areas.get(p.as_str()).is_none()
        && !in_file.contains(p.as_str())
    {
        return bad(
            "parent",
            format!("area {p} is neither stored nor in this file; import the parent level first"),
        );
    }
    let name = r.req("name")?.to_owned();
    let geometry = match raw_geometry(r)? {
        Some(RawGeometry::Polygons(p)) => {
            let (mp, fixed) =
                geometry::polygons(&p, ctx.crs).map_err(|e| ("geometry".to_owned(), e))?;
            repairs.extend(fixed);
            mp
        }
        Some(RawGeometry::Point(..)) => {
            return bad("geometry", "an area needs a polygon, found a point");
        }
        Some(RawGeometry::Unsupported(what)) => {
            return bad("geometry", format!("an area needs a polygon, found {what}"));
        }
        None => {
            return bad(
                "geometry",
                "no polygon: give a Polygon geometry, or a WKT column",
            );
        }
    };
    if code.level() != Level::District {
        let d = &code.as_str()[..6];
        let district = file_districts
            .get(d)
            .or_else(|| ctx.index.areas.get(d).map(|e| &e.area.geometry));
        if let Some(dg) = district
            && !dg.intersects(&geometry)
        {
            return bad(
                "geometry",
                format!("lies entirely outside district {d} (wrong --crs?)"),
            );
        }
    }
    let head = r.opt("head").map(|h| GridHead {
        name: h.to_owned(),
        phone: r.text("head_phone"),
    });
    Ok(Area {
        code,
        name,
        parent,
        geometry,
        head,
        households: r.count("households", 0)?,
        residents: r.count("residents", 0)?,
    })
}

fn hazard(r: &R<'_>, ctx: &Context<'_>) -> Check<Hazard> {
    let id = id(r)?;
    let name = r.req("name")?.to_owned();
    let kind = r.req("kind")?.to_owned();
    let rv = r.req("risk")?;
    let risk =
        risk(rv).ok_or_else(|| ("risk".to_owned(), format!("{rv:?} is not 红, 橙, 黄 or 蓝")))?;
    let (lon, lat) = location(r, ctx)?;
    Ok(Hazard {
        id,
        name,
        kind,
        risk,
        threatened_households: r.count("threatened_households", 0)?,
        threatened_persons: r.count("threatened_persons", 0)?,
        monitor: Contact {
            name: r.text("monitor"),
            phone: r.text("monitor_phone"),
        },
        leader: Contact {
            name: r.text("leader"),
            phone: r.text("leader_phone"),
        },
        shelter: r.opt("shelter").map(str::to_owned),
        status: r.opt("status").unwrap_or("在册").to_owned(),
        lon,
        lat,
    })
}

fn shelter(r: &R<'_>, ctx: &Context<'_>) -> Check<Shelter> {
    let id = id(r)?;
    let name = r.req("name")?.to_owned();
    r.req("capacity")?;
    let capacity = r.count("capacity", 0)?;
    let (lon, lat) = location(r, ctx)?;
    Ok(Shelter {
        id,
        name,
        capacity,
        address: r.text("address"),
        lon,
        lat,
    })
}

fn place(r: &R<'_>, ctx: &Context<'_>) -> Check<Place> {
    let id = id(r)?;
    let name = r.req("name")?.to_owned();
    let kind = r.req("kind")?.to_owned();
    let visit_every_hours = r.count("visit_every_hours", 24)?;
    if visit_every_hours == 0 {
        return bad("visit_every_hours", "must be at least 1");
    }
    let radius_m = r.number("radius_m")?.unwrap_or(30.0);
    if radius_m <= 0.0 {
        return bad("radius_m", "must be more than 0");
    }
    let (lon, lat) = location(r, ctx)?;
    Ok(Place {
        id,
        name,
        kind,
        visit_every_hours,
        radius_m,
        lon,
        lat,
    })
}

fn person(r: &R<'_>, ctx: &Context<'_>, notes: &mut Vec<String>) -> Check<Person> {
    let id = id(r)?;
    let cv = r.req("category")?;
    let category = PersonCategory::parse(cv).ok_or_else(|| {
        (
            "category".to_owned(),
            format!("{cv:?} is not a category (e.g. 独居老人, 刑满释放人员, elderly_alone)"),
        )
    })?;
    let name = r.req("name")?.to_owned();
    let idn = r.req("id_number")?.to_uppercase();
    match id_number(&idn) {
        Err(e) => return bad("id_number", e),
        Ok(false) => notes
            .push("id_number: the check character does not match (GB 11643); kept as given".into()),
        Ok(true) => {}
    }
    let risk_level = match r.number("risk_level")? {
        None => None,
        Some(v) if (0.0..=5.0).contains(&v) && v.fract() == 0.0 => Some(v as u8),
        Some(v) => return bad("risk_level", format!("{v} is not 0–5")),
    };
    let next_visit = match r.opt("next_visit") {
        None => None,
        Some(v) => Some(
            time("next_visit", v)?
                .with_timezone(&chrono_tz::Asia::Shanghai)
                .date_naive(),
        ),
    };
    let (lon, lat) = location(r, ctx)?;
    Ok(Person {
        id,
        category,
        name,
        id_number: idn,
        phone: r.text("phone"),
        address: r.text("address"),
        risk_level,
        next_visit,
        lon,
        lat,
    })
}

fn incident(r: &R<'_>, ctx: &Context<'_>) -> Check<Incident> {
    let id = id(r)?;
    let (field, cv) = match r.opt("category_code") {
        Some(v) => ("category_code", v),
        None => ("category", r.req("category")?),
    };
    let category = category_code(cv).ok_or_else(|| {
        (
            field.to_owned(),
            format!("{cv:?} is not a category (see GET /api/incidents/categories)"),
        )
    })?;
    let status = match r.opt("status") {
        None => IncidentStatus::Reported,
        Some(v) => status(v).ok_or_else(|| {
            (
                "status".to_owned(),
                format!("{v:?} is not a status (reported, accepted, … or 上报, 受理, …)"),
            )
        })?,
    };
    let reported_at = time("reported_at", r.req("reported_at")?)?;
    let deadline = match r.opt("deadline") {
        Some(v) => time("deadline", v)?,
        None => deadline_for(category, reported_at),
    };
    let (lon, lat) = location(r, ctx)?;
    let grid = ctx.index.grid_code_at(lon, lat).or_else(|| {
        // Without stored grids, trust the file's grid code.
        let has_grids = ctx
            .index
            .areas
            .entries
            .iter()
            .any(|e| e.area.level() == Level::Grid);
        r.opt("grid")
            .filter(|g| !has_grids && AreaCode::parse(g).is_ok_and(|c| c.level() == Level::Grid))
            .map(str::to_owned)
    });
    Ok(Incident {
        id,
        category: category.to_owned(),
        source: r.opt("source").unwrap_or("群众上报").to_owned(),
        description: r.text("description"),
        lon,
        lat,
        grid,
        status,
        reported_at,
        deadline,
        version: 1,
        reporter: None,
    })
}

/// Checks every row of `table` as records of `layer`. `progress` is called
/// with the number of rows done.
pub fn plan(
    layer: Layer,
    table: &Table,
    m: &Mapping,
    ctx: &Context<'_>,
    progress: &mut dyn FnMut(usize),
) -> Plan {
    let mut rejected = Vec::new();
    let mut warnings = Vec::new();
    if layer != Layer::Grids && !m.gives("id") {
        warnings.push(Warning {
            line: 0,
            text: "no id column: each record's id is derived from its content (imp-…), so importing the same rows again updates them; map a column to id to keep your own".into(),
        });
    }
    let mut seen: HashMap<String, usize> = HashMap::new();
    let in_file = if layer == Layer::Grids {
        file_codes(table, m)
    } else {
        HashSet::new()
    };
    let mut file_districts: HashMap<String, MultiPolygon<f64>> = HashMap::new();
    let mut records = match layer {
        Layer::Grids => LayerRecords::Areas(Vec::new()),
        Layer::Hazards => LayerRecords::Hazards(Vec::new()),
        Layer::Shelters => LayerRecords::Shelters(Vec::new()),
        Layer::Places => LayerRecords::Places(Vec::new()),
        Layer::People => LayerRecords::People(Vec::new()),
        Layer::Incidents => LayerRecords::Incidents(Vec::new()),
    };
    // Districts first, so lower levels in the same file are checked against them.
    let mut order: Vec<usize> = (0..table.rows.len()).collect();
    if layer == Layer::Grids {
        order.sort_by_key(|&i| m.get(&table.rows[i], "code").map_or(usize::MAX, str::len));
    }
    for (done, &i) in order.iter().enumerate() {
        let row = &table.rows[i];
        let r = R { row, m };
        let mut notes = Vec::new();
        let key_field = if layer == Layer::Grids { "code" } else { "id" };
        let result: Check<String> = (|| {
            if let Some(k) = r.opt(key_field)
                && let Some(first) = seen.get(k)
            {
                return bad(
                    key_field,
                    format!("{k} appears again (first on line {first}); each record once per file"),
                );
            }
            Ok(match &mut records {
                LayerRecords::Areas(v) => {
                    let a = area(&r, ctx, &in_file, &file_districts, &mut notes)?;
                    if a.level() == Level::District {
                        file_districts.insert(a.code.as_str().to_owned(), a.geometry.clone());
                    }
                    let k = a.code.as_str().to_owned();
                    v.push(a);
                    k
                }
                LayerRecords::Hazards(v) => {
                    let x = hazard(&r, ctx)?;
                    let k = x.id.clone();
                    v.push(x);
                    k
                }
                LayerRecords::Shelters(v) => {
                    let x = shelter(&r, ctx)?;
                    let k = x.id.clone();
                    v.push(x);
                    k
                }
                LayerRecords::Places(v) => {
                    let x = place(&r, ctx)?;
                    let k = x.id.clone();
                    v.push(x);
                    k
                }
                LayerRecords::People(v) => {
                    let x = person(&r, ctx, &mut notes)?;
                    let k = x.id.clone();
                    v.push(x);
                    k
                }
                LayerRecords::Incidents(v) => {
                    let x = incident(&r, ctx)?;
                    let k = x.id.clone();
                    v.push(x);
                    k
                }
            })
        })();
        match result {
            Ok(k) => {
                seen.insert(k, row.line);
                warnings.extend(notes.into_iter().map(|text| Warning {
                    line: row.line,
                    text,
                }));
            }
            Err((field, reason)) => rejected.push(Rejection {
                line: row.line,
                field,
                reason,
            }),
        }
        progress(done + 1);
    }
    rejected.sort_by_key(|r| r.line);
    warnings.sort_by_key(|w| w.line);
    if let LayerRecords::Areas(v) = &mut records {
        // Parents before children, as the store's foreign key wants.
        v.sort_by(|a, b| {
            (a.code.as_str().len(), a.code.as_str()).cmp(&(b.code.as_str().len(), b.code.as_str()))
        });
    }
    let updated = seen.keys().filter(|k| ctx.existing.contains(*k)).count();
    Plan {
        new: seen.len() - updated,
        updated,
        records,
        rejected,
        warnings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_numbers_are_checked_for_format_and_check_character() {
        assert_eq!(
            id_number("44189919800101123X"),
            Ok(false),
            "format fine, check character wrong"
        );
        assert_eq!(
            id_number("11010519491231002X"),
            Ok(true),
            "the standard's example"
        );
        assert!(id_number("4418991980").is_err());
    }

    #[test]
    fn risk_accepts_colour_names_with_suffixes() {
        assert_eq!(risk("红色"), Some(Risk::Red));
        assert_eq!(risk("Orange"), Some(Risk::Orange));
        assert_eq!(risk("紫"), None);
    }

    #[test]
    fn local_times_are_beijing_time() {
        let t = time("reported_at", "2026-06-01 10:00").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-06-01T02:00:00+00:00");
    }
}
