//! Export tables and their encoders: CSV (UTF-8 with a BOM so Excel reads the
//! Chinese right), XLSX, and RFC 7946 GeoJSON. Pure: the HTTP layer decides
//! what the caller may see and hands over a [`Table`].
//!
//! Column names are our field names, so an export imports back unchanged
//! (`minqing import grids.geojson --layer grids`).

mod shapefile_zip;

use geo::MapCoords;
use geo::orient::{Direction, Orient};
use geo_types::{Coord, Geometry};
use serde_json::{Map, Value, json};
use wkt::ToWkt;

/// Excel's limit on the characters in one cell.
pub const XLSX_MAX_CELL: usize = 32_767;

/// What an XLSX cell says instead of a value too long for it.
pub const XLSX_TOO_LONG: &str = "（几何过长，Excel 单元格放不下，请用 GeoJSON 导出 / too long for an Excel cell: use the GeoJSON export）";

/// One value.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// nothing
    Empty,
    /// text
    Text(String),
    /// whole number
    Int(i64),
    /// number
    Float(f64),
    /// true/false
    Bool(bool),
}

impl From<&Value> for Cell {
    fn from(v: &Value) -> Cell {
        match v {
            Value::Null => Cell::Empty,
            Value::Bool(b) => Cell::Bool(*b),
            Value::Number(n) => n
                .as_i64()
                .map(Cell::Int)
                .unwrap_or_else(|| Cell::Float(n.as_f64().unwrap_or(f64::NAN))),
            Value::String(s) => Cell::Text(s.clone()),
            other => Cell::Text(other.to_string()),
        }
    }
}

impl Cell {
    fn text(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(s) => s.clone(),
            Cell::Int(i) => i.to_string(),
            Cell::Float(f) => f.to_string(),
            Cell::Bool(b) => b.to_string(),
        }
    }

    /// The text as written to CSV: text cells that a spreadsheet would take
    /// for a formula (`=`, `+`, `-`, `@`, tab, CR first) get a leading `'`
    /// (the OWASP rule). Numbers stay numbers.
    fn csv_text(&self) -> String {
        match self {
            Cell::Text(s) => neutralise_formula(s),
            other => other.text(),
        }
    }

    fn json(&self) -> Value {
        match self {
            Cell::Empty => Value::Null,
            Cell::Text(s) => json!(s),
            Cell::Int(i) => json!(i),
            Cell::Float(f) => json!(f),
            Cell::Bool(b) => json!(b),
        }
    }
}

/// One exported record.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The feature id (code or id).
    pub id: String,
    /// Values, parallel to [`Table::columns`].
    pub cells: Vec<Cell>,
    /// WGS84 geometry.
    pub geometry: Geometry<f64>,
}

/// A layer ready to encode.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Sheet name.
    pub name: String,
    /// Column names (our field names).
    pub columns: Vec<String>,
    /// The records.
    pub rows: Vec<Row>,
}

impl Table {
    /// Builds a table from JSON property objects, taking `columns` in order
    /// (absent keys are empty).
    ///
    /// ```
    /// use geo_types::{Geometry, Point};
    /// use minqing::export::Table;
    /// let props = serde_json::json!({"id": "HZ1", "name": "滑坡", "extra": 1});
    /// let t = Table::from_json("hazards", &["id", "name"], vec![("HZ1".into(), props.as_object().unwrap().clone(), Geometry::Point(Point::new(113.0, 23.0)))]);
    /// let csv = String::from_utf8(t.to_csv()).unwrap();
    /// assert_eq!(csv, "\u{feff}id,name,lon,lat\r\nHZ1,滑坡,113,23\r\n");
    /// ```
    pub fn from_json(
        name: &str,
        columns: &[&str],
        items: Vec<(String, Map<String, Value>, Geometry<f64>)>,
    ) -> Table {
        Table {
            name: name.to_owned(),
            columns: columns.iter().map(|c| (*c).to_owned()).collect(),
            rows: items
                .into_iter()
                .map(|(id, props, geometry)| Row {
                    id,
                    // RFC 7946 § 3.1.6: exteriors counter-clockwise, holes clockwise.
                    geometry: match geometry {
                        Geometry::MultiPolygon(mp) => {
                            Geometry::MultiPolygon(mp.orient(Direction::Default))
                        }
                        Geometry::Polygon(p) => Geometry::Polygon(p.orient(Direction::Default)),
                        other => other,
                    },
                    cells: columns
                        .iter()
                        .map(|c| props.get(*c).map(Cell::from).unwrap_or(Cell::Empty))
                        .collect(),
                })
                .collect(),
        }
    }

    /// True when every geometry is a point (lon/lat columns); otherwise a `wkt` column.
    fn points(&self) -> bool {
        self.rows
            .iter()
            .all(|r| matches!(r.geometry, Geometry::Point(_)))
    }

    /// Header and text cells with the geometry as lon/lat or WKT columns.
    fn flat(&self) -> (Vec<String>, Vec<Vec<Cell>>) {
        let points = self.points();
        let mut header = self.columns.clone();
        if points {
            header.extend(["lon".to_owned(), "lat".to_owned()]);
        } else {
            header.push("wkt".to_owned());
        }
        let rows = self
            .rows
            .iter()
            .map(|r| {
                let mut cells = r.cells.clone();
                match &r.geometry {
                    Geometry::Point(p) if points => {
                        cells.extend([Cell::Float(round7(p.x())), Cell::Float(round7(p.y()))])
                    }
                    g => cells.push(Cell::Text(wkt_of(g))),
                }
                cells
            })
            .collect();
        (header, rows)
    }

    /// CSV: UTF-8 with a BOM, a header row, CRLF line ends (what Excel expects).
    pub fn to_csv(&self) -> Vec<u8> {
        let (header, rows) = self.flat();
        let header: Vec<String> = header.iter().map(|h| neutralise_formula(h)).collect();
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(b"\xEF\xBB\xBF".to_vec());
        // Writing to a Vec cannot fail.
        let _ = w.write_record(&header);
        for r in rows {
            let _ = w.write_record(r.iter().map(Cell::csv_text));
        }
        w.into_inner().unwrap_or_default()
    }

    /// XLSX: one sheet, a bold header row. A value longer than an Excel cell
    /// allows (a large polygon) is replaced by a note pointing to GeoJSON.
    pub fn to_xlsx(&self) -> Result<Vec<u8>, String> {
        use rust_xlsxwriter::{Format, Workbook};
        let (header, rows) = self.flat();
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        let e = |e: rust_xlsxwriter::XlsxError| e.to_string();
        ws.set_name(&self.name).map_err(e)?;
        let bold = Format::new().set_bold();
        for (c, h) in header.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, h, &bold)
                .map_err(e)?;
        }
        for (r, row) in rows.iter().enumerate() {
            let r = r as u32 + 1;
            for (c, cell) in row.iter().enumerate() {
                let c = c as u16;
                match cell {
                    Cell::Empty => {}
                    // A district's outline does not fit a cell: the sheet keeps every
                    // attribute and says where the geometry is, instead of failing.
                    Cell::Text(s) if s.chars().count() > XLSX_MAX_CELL => {
                        ws.write_string(r, c, XLSX_TOO_LONG).map_err(e)?;
                    }
                    Cell::Text(s) => {
                        ws.write_string(r, c, s).map_err(e)?;
                    }
                    Cell::Int(i) => {
                        ws.write_number(r, c, *i as f64).map_err(e)?;
                    }
                    Cell::Float(f) => {
                        ws.write_number(r, c, *f).map_err(e)?;
                    }
                    Cell::Bool(b) => {
                        ws.write_boolean(r, c, *b).map_err(e)?;
                    }
                }
            }
        }
        ws.set_freeze_panes(1, 0).map_err(e)?;
        wb.save_to_buffer().map_err(e)
    }

    /// An RFC 7946 FeatureCollection (properties named like the columns).
    pub fn to_geojson(&self) -> Value {
        let features: Vec<Value> = self
            .rows
            .iter()
            .map(|r| {
                let props: Map<String, Value> = self.columns.iter().cloned().zip(r.cells.iter().map(Cell::json)).collect();
                json!({"type": "Feature", "id": r.id, "geometry": geojson::Geometry::from(&r.geometry), "properties": props})
            })
            .collect();
        json!({"type": "FeatureCollection", "features": features})
    }
}

fn round7(v: f64) -> f64 {
    (v * 1e7).round() / 1e7
}

/// WKT with coordinates rounded to 1e-7° (about 1 cm).
fn wkt_of(g: &Geometry<f64>) -> String {
    g.map_coords(|Coord { x, y }| Coord {
        x: round7(x),
        y: round7(y),
    })
    .wkt_string()
}

/// A text cell that a spreadsheet would evaluate, made inert with a leading `'`.
///
/// ```
/// use minqing::export::neutralise_formula;
/// assert_eq!(neutralise_formula("=HYPERLINK(\"http://x\")"), "'=HYPERLINK(\"http://x\")");
/// assert_eq!(neutralise_formula("-1+2"), "'-1+2");
/// assert_eq!(neutralise_formula("\tcmd"), "'\tcmd");
/// assert_eq!(neutralise_formula("邻里纠纷"), "邻里纠纷");
/// ```
pub fn neutralise_formula(s: &str) -> String {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}"),
        _ => s.to_owned(),
    }
}
