//! Shapefile input: geometry from .shp/.shx, attributes from .dbf decoded in
//! the right encoding. Chinese surveying tools write GBK more often than not,
//! and often without saying so: the encoding comes from the `.cpg` file, else
//! the dBase language driver byte, else detection (UTF-8 if every record is
//! valid UTF-8, GBK otherwise).

use std::io::Cursor;

use shapefile::dbase;
use shapefile::{PolygonRing, Shape};

use super::Warning;
use super::read::{Format, RawGeometry, RawRow, Table};

/// The bytes of one Shapefile's parts.
#[derive(Debug, Clone, Copy)]
pub struct ShapefileParts<'a> {
    /// .shp
    pub shp: &'a [u8],
    /// .shx (optional: records are read in order without it)
    pub shx: Option<&'a [u8]>,
    /// .dbf
    pub dbf: &'a [u8],
    /// .cpg contents (an encoding label such as `GBK` or `UTF-8`)
    pub cpg: Option<&'a str>,
}

/// Maps a `.cpg` label (`GBK`, `936`, `UTF-8`, `65001`, `GB2312`, …) to an encoding.
///
/// ```
/// use minqing::import::shp::encoding_for_label;
/// assert_eq!(encoding_for_label("936"), Some(encoding_rs::GBK));
/// assert_eq!(encoding_for_label(" utf-8\r\n"), Some(encoding_rs::UTF_8));
/// assert_eq!(encoding_for_label("klingon"), None);
/// ```
pub fn encoding_for_label(label: &str) -> Option<&'static encoding_rs::Encoding> {
    let l = label
        .trim()
        .trim_start_matches('\u{feff}')
        .to_ascii_lowercase();
    match l.as_str() {
        "936" | "cp936" | "ansi 936" | "gbk" | "gb2312" | "cp_gbk" => Some(encoding_rs::GBK),
        "54936" | "gb18030" => Some(encoding_rs::GB18030),
        "65001" | "utf8" | "utf-8" => Some(encoding_rs::UTF_8),
        "950" | "big5" => Some(encoding_rs::BIG5),
        _ => encoding_rs::Encoding::for_label(l.as_bytes()),
    }
}

/// Chooses the .dbf encoding and says how it was chosen.
pub fn dbf_encoding(dbf: &[u8], cpg: Option<&str>) -> (&'static encoding_rs::Encoding, String) {
    if let Some(label) = cpg
        && let Some(e) = encoding_for_label(label)
    {
        return (
            e,
            format!("attributes read as {} (from the .cpg file)", e.name()),
        );
    }
    // Byte 29 of the dBase header: the language driver id.
    match dbf.get(29) {
        Some(0x4D | 0x7A) => {
            return (
                encoding_rs::GBK,
                "attributes read as GBK (the .dbf language driver says code page 936)".into(),
            );
        }
        Some(0xF0) => {
            return (
                encoding_rs::UTF_8,
                "attributes read as UTF-8 (the .dbf language driver says so)".into(),
            );
        }
        _ => {}
    }
    let header_len = dbf
        .get(8..10)
        .map(|b| u16::from_le_bytes([b[0], b[1]]) as usize)
        .unwrap_or(0);
    let records = dbf.get(header_len.min(dbf.len())..).unwrap_or(&[]);
    if std::str::from_utf8(records).is_ok() {
        (
            encoding_rs::UTF_8,
            "attributes read as UTF-8 (no .cpg; detected)".into(),
        )
    } else {
        (
            encoding_rs::GBK,
            "attributes read as GBK (no .cpg; not valid UTF-8, so detected as GBK)".into(),
        )
    }
}

fn field_text(v: &dbase::FieldValue) -> String {
    use dbase::FieldValue as F;
    let num = |x: f64| {
        if x.fract() == 0.0 && x.abs() < 1e15 {
            format!("{}", x as i64)
        } else {
            x.to_string()
        }
    };
    match v {
        F::Character(s) => s.as_deref().unwrap_or("").trim().to_owned(),
        F::Memo(s) => s.trim().to_owned(),
        F::Numeric(n) => n.map(num).unwrap_or_default(),
        F::Float(n) => n.map(|x| num(x as f64)).unwrap_or_default(),
        F::Double(x) | F::Currency(x) => num(*x),
        F::Integer(i) => i.to_string(),
        F::Logical(b) => b.map(|b| b.to_string()).unwrap_or_default(),
        F::Date(d) => d
            .map(|d| format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day()))
            .unwrap_or_default(),
        other => format!("{other:?}"),
    }
}

/// Groups shapefile rings into polygons. Outer rings are clockwise in a
/// Shapefile; the reader classifies by winding, so a counter-clockwise outer
/// ring arrives as "inner": one that lies in no earlier polygon starts its own.
fn polygons<P: Copy>(rings: &[PolygonRing<P>], xy: impl Fn(P) -> (f64, f64)) -> RawGeometry {
    use geo::{Coord, Intersects, LineString, Polygon};
    let mut out: Vec<Vec<Vec<(f64, f64)>>> = Vec::new();
    for ring in rings {
        let pts: Vec<(f64, f64)> = ring.points().iter().map(|p| xy(*p)).collect();
        let hole_of = match ring {
            PolygonRing::Outer(_) => None,
            PolygonRing::Inner(_) => out.iter().rposition(|poly| {
                let ext = Polygon::new(
                    LineString::from(
                        poly[0]
                            .iter()
                            .map(|&(x, y)| Coord { x, y })
                            .collect::<Vec<_>>(),
                    ),
                    vec![],
                );
                pts.iter().all(|&(x, y)| ext.intersects(&Coord { x, y }))
            }),
        };
        match hole_of {
            Some(i) => out[i].push(pts),
            None => out.push(vec![pts]),
        }
    }
    RawGeometry::Polygons(out)
}

fn raw_geometry(shape: Shape) -> Option<RawGeometry> {
    Some(match shape {
        Shape::NullShape => return None,
        Shape::Point(p) => RawGeometry::Point(p.x, p.y),
        Shape::PointM(p) => RawGeometry::Point(p.x, p.y),
        Shape::PointZ(p) => RawGeometry::Point(p.x, p.y),
        Shape::Polygon(p) => polygons(p.rings(), |q| (q.x, q.y)),
        Shape::PolygonM(p) => polygons(p.rings(), |q| (q.x, q.y)),
        Shape::PolygonZ(p) => polygons(p.rings(), |q| (q.x, q.y)),
        Shape::Multipoint(m) if m.points().len() == 1 => {
            RawGeometry::Point(m.points()[0].x, m.points()[0].y)
        }
        other => RawGeometry::Unsupported(format!("a {} shape", other.shapetype())),
    })
}

/// Reads a Shapefile from its parts.
pub fn read_shapefile(parts: ShapefileParts<'_>) -> Result<Table, String> {
    let (encoding, how) = dbf_encoding(parts.dbf, parts.cpg);
    let dbf = dbase::ReaderBuilder::new()
        .with_encoding(dbase::encoding::EncodingRs::from(encoding))
        .build(Cursor::new(parts.dbf))
        .map_err(|e| format!("cannot read the .dbf: {e}"))?;
    let columns: Vec<String> = dbf.fields().iter().map(|f| f.name().to_owned()).collect();
    let shapes = match parts.shx {
        Some(shx) => shapefile::ShapeReader::with_shx(Cursor::new(parts.shp), Cursor::new(shx)),
        None => shapefile::ShapeReader::new(Cursor::new(parts.shp)),
    }
    .map_err(|e| format!("cannot read the .shp: {e}"))?;
    let mut reader = shapefile::Reader::new(shapes, dbf);
    let mut rows = Vec::new();
    for (i, item) in reader.iter_shapes_and_records().enumerate() {
        let (shape, record) = item.map_err(|e| format!("shape {}: {e}", i + 1))?;
        let mut record = record;
        let values = columns
            .iter()
            .map(|c| record.remove(c).map(|v| field_text(&v)).unwrap_or_default())
            .collect();
        rows.push(RawRow {
            line: i + 1,
            values,
            geometry: raw_geometry(shape),
        });
    }
    Ok(Table {
        columns,
        rows,
        format: Format::Shapefile,
        notes: vec![Warning { line: 0, text: how }],
    })
}
