//! Readers: every format becomes a [`Table`] of text values and raw geometries,
//! with each row's line number as the report will name it.

use std::path::Path;

use serde_json::Value;

use super::Warning;

/// A geometry as the file gave it, before conversion and repair.
#[derive(Debug, Clone, PartialEq)]
pub enum RawGeometry {
    /// lon, lat
    Point(f64, f64),
    /// polygons → rings (first = exterior) → coordinates, possibly unclosed, any winding
    Polygons(Vec<Vec<Vec<(f64, f64)>>>),
    /// anything else (lines, collections, empty shapes), named for the rejection
    Unsupported(String),
}

/// A row's text values in one buffer with their end offsets: two
/// allocations a row instead of one per field (a million-row CSV held as
/// `Vec<String>` rows took more memory than the records built from it).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Values {
    text: Box<str>,
    ends: Box<[u32]>,
}

impl Values {
    /// The `i`-th value.
    pub fn get(&self, i: usize) -> Option<&str> {
        let end = *self.ends.get(i)? as usize;
        let start = i.checked_sub(1).map_or(0, |p| self.ends[p] as usize);
        self.text.get(start..end)
    }

    /// Every value in column order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        (0..self.ends.len()).filter_map(|i| self.get(i))
    }

    /// How many values.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// No values at all.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }
}

impl<S: AsRef<str>> FromIterator<S> for Values {
    fn from_iter<I: IntoIterator<Item = S>>(values: I) -> Values {
        let mut text = String::new();
        let mut ends = Vec::new();
        for v in values {
            text.push_str(v.as_ref());
            // Files are capped at 1 GiB, so offsets fit in 32 bits.
            ends.push(u32::try_from(text.len()).unwrap_or(u32::MAX));
        }
        Values {
            text: text.into_boxed_str(),
            ends: ends.into_boxed_slice(),
        }
    }
}

impl std::fmt::Debug for Values {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// One input row.
#[derive(Debug, Clone, PartialEq)]
pub struct RawRow {
    /// The line the report names (see [`Format::line_meaning`]).
    pub line: usize,
    /// Text values, parallel to [`Table::columns`] (empty when absent).
    pub values: Values,
    /// The feature's geometry (GeoJSON, Shapefile); CSV rows carry coordinates as columns.
    pub geometry: Option<RawGeometry>,
}

/// A file read into columns and rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Source column names, in file order.
    pub columns: Vec<String>,
    /// The rows.
    pub rows: Vec<RawRow>,
    /// The format read.
    pub format: Format,
    /// Notes about the file as a whole (detected encoding, …).
    pub notes: Vec<Warning>,
}

/// Input formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// RFC 7946 FeatureCollection (or a single Feature)
    GeoJson,
    /// CSV with a header row: lon/lat columns, or a WKT column for polygons
    Csv,
    /// ESRI Shapefile (.shp + .shx + .dbf, optional .cpg)
    Shapefile,
}

impl Format {
    /// The format implied by a file name's extension.
    ///
    /// ```
    /// use minqing::import::read::Format;
    /// assert_eq!(Format::from_path("a/b.SHP".as_ref()), Some(Format::Shapefile));
    /// assert_eq!(Format::from_path("x.geojson".as_ref()), Some(Format::GeoJson));
    /// assert_eq!(Format::from_path("x.txt".as_ref()), None);
    /// ```
    pub fn from_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "geojson" | "json" => Some(Format::GeoJson),
            "csv" => Some(Format::Csv),
            "shp" => Some(Format::Shapefile),
            _ => None,
        }
    }

    /// What "line N" means in reports for this format.
    pub fn line_meaning(self) -> &'static str {
        match self {
            Format::Csv => "line N is the file line; the header is line 1",
            Format::GeoJson => {
                "line N is feature number N in the FeatureCollection, counting from 1"
            }
            Format::Shapefile => "line N is shape/record number N, counting from 1",
        }
    }
}

/// Decodes text that is UTF-8 (with or without BOM) or, failing that, GBK — the
/// two encodings Chinese spreadsheets and GIS tools write. Returns the text and
/// the encoding's name. UTF-8 is borrowed, not copied: a large file is held once.
///
/// ```
/// use minqing::import::read::decode_text;
/// let (gbk, _, _) = encoding_rs::GBK.encode("网格");
/// assert_eq!(decode_text(&gbk), ("网格".into(), "GBK"));
/// assert_eq!(decode_text("\u{feff}网格".as_bytes()), ("网格".into(), "UTF-8"));
/// ```
pub fn decode_text(bytes: &[u8]) -> (std::borrow::Cow<'_, str>, &'static str) {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => (s.into(), "UTF-8"),
        Err(_) => (encoding_rs::GBK.decode(bytes).0, "GBK"),
    }
}

/// Undoes the export's formula neutralising (`'=…` → `=…`), so an export
/// imports back unchanged; our fields never start with an apostrophe otherwise.
fn restore_formula(v: &str) -> String {
    match v.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest.to_owned(),
        _ => v.to_owned(),
    }
}

/// Number of `\n` bytes.
fn newline_count(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b == b'\n').count()
}

/// Reads CSV bytes: a header row, then one record per row.
pub fn read_csv(bytes: &[u8]) -> Result<Table, String> {
    let (text, encoding) = decode_text(bytes);
    let mut notes = Vec::new();
    if encoding != "UTF-8" {
        notes.push(Warning {
            line: 0,
            text: format!("the file is not UTF-8; read it as {encoding}"),
        });
    }
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(true)
        .from_reader(text.as_bytes());
    let columns: Vec<String> = rdr
        .headers()
        .map_err(|e| format!("cannot read the CSV header: {e}"))?
        .iter()
        .map(|h| h.trim().to_owned())
        .collect();
    let mut rows = Vec::new();
    // Newlines are counted once, from where the previous record began: the
    // count is linear in the file (recounting from the start made a 40,000-row
    // file take 18 s).
    let (mut counted_to, mut newlines) = (0usize, 0usize);
    for rec in rdr.records() {
        let rec = rec.map_err(|e| format!("cannot read the CSV: {e}"))?;
        // The file line as an editor shows it: the csv crate's own line count skips blank lines.
        let line = rec.position().map_or(rows.len() + 2, |p| {
            let mut at = (p.byte() as usize).min(text.len());
            // A record's position can point at the blank lines before it.
            while text
                .as_bytes()
                .get(at)
                .is_some_and(|b| matches!(b, b'\n' | b'\r'))
            {
                at += 1;
            }
            if at >= counted_to {
                newlines += newline_count(&text.as_bytes()[counted_to..at]);
                counted_to = at;
            }
            newlines + 1
        });
        let mut values: Vec<String> = rec.iter().map(|v| restore_formula(v.trim())).collect();
        values.resize(columns.len(), String::new());
        if values.iter().all(String::is_empty) {
            continue;
        }
        rows.push(RawRow {
            line,
            values: values.into_iter().collect(),
            geometry: None,
        });
    }
    Ok(Table {
        columns,
        rows,
        format: Format::Csv,
        notes,
    })
}

/// Text of a JSON property value (numbers as written, null as empty).
fn text_of(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.trim().to_owned(),
        other => other.to_string(),
    }
}

fn position(v: &Value) -> Result<(f64, f64), String> {
    let a = v
        .as_array()
        .ok_or("a position must be an array [lon, lat]")?;
    match (
        a.first().and_then(Value::as_f64),
        a.get(1).and_then(Value::as_f64),
    ) {
        (Some(x), Some(y)) => Ok((x, y)),
        _ => Err("a position must hold two numbers [lon, lat]".into()),
    }
}

fn rings(v: &Value) -> Result<Vec<Vec<(f64, f64)>>, String> {
    v.as_array()
        .ok_or("polygon coordinates must be an array of rings")?
        .iter()
        .map(|ring| {
            ring.as_array()
                .ok_or_else(|| "a ring must be an array of positions".to_owned())?
                .iter()
                .map(position)
                .collect()
        })
        .collect()
}

/// Converts a GeoJSON geometry object, keeping rings exactly as written.
pub fn geojson_geometry(g: &Value) -> RawGeometry {
    let kind = g.get("type").and_then(Value::as_str).unwrap_or("");
    let coords = g.get("coordinates").unwrap_or(&Value::Null);
    let parsed = match kind {
        "Point" => position(coords).map(|(x, y)| RawGeometry::Point(x, y)),
        "MultiPoint" => match coords.as_array().map(Vec::as_slice) {
            Some([one]) => position(one).map(|(x, y)| RawGeometry::Point(x, y)),
            _ => Ok(RawGeometry::Unsupported(
                "a MultiPoint with more than one point".into(),
            )),
        },
        "Polygon" => rings(coords).map(|r| RawGeometry::Polygons(vec![r])),
        "MultiPolygon" => coords
            .as_array()
            .ok_or_else(|| "MultiPolygon coordinates must be an array of polygons".to_owned())
            .and_then(|ps| ps.iter().map(rings).collect::<Result<Vec<_>, _>>())
            .map(RawGeometry::Polygons),
        "" => Ok(RawGeometry::Unsupported("a geometry without a type".into())),
        other => Ok(RawGeometry::Unsupported(format!("a {other}"))),
    };
    parsed.unwrap_or_else(RawGeometry::Unsupported)
}

/// Reads a GeoJSON FeatureCollection (or a single Feature). Property names
/// become columns; a feature's `id` member becomes an `id` column when its
/// properties have none.
pub fn read_geojson(bytes: &[u8]) -> Result<Table, String> {
    let (text, _) = decode_text(bytes);
    let doc: Value = serde_json::from_str(&text).map_err(|e| format!("not valid JSON: {e}"))?;
    let features: Vec<&Value> = match doc.get("type").and_then(Value::as_str) {
        Some("FeatureCollection") => doc
            .get("features")
            .and_then(Value::as_array)
            .ok_or("a FeatureCollection needs a `features` array")?
            .iter()
            .collect(),
        Some("Feature") => vec![&doc],
        other => {
            return Err(format!(
                "expected a GeoJSON FeatureCollection, found type {}",
                other.unwrap_or("(none)")
            ));
        }
    };
    let mut columns: Vec<String> = Vec::new();
    for f in &features {
        if let Some(props) = f.get("properties").and_then(Value::as_object) {
            for k in props.keys() {
                if !columns.iter().any(|c| c == k) {
                    columns.push(k.clone());
                }
            }
        }
    }
    let id_column =
        features.iter().any(|f| f.get("id").is_some()) && !columns.iter().any(|c| c == "id");
    if id_column {
        columns.push("id".into());
    }
    let rows = features
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let props = f.get("properties").and_then(Value::as_object);
            let values = columns
                .iter()
                .map(|c| match props.and_then(|p| p.get(c)) {
                    Some(v) => text_of(v),
                    None if c == "id" && id_column => f.get("id").map(text_of).unwrap_or_default(),
                    None => String::new(),
                })
                .collect();
            let geometry = match f.get("geometry") {
                None | Some(Value::Null) => None,
                Some(g) => Some(geojson_geometry(g)),
            };
            RawRow {
                line: i + 1,
                values,
                geometry,
            }
        })
        .collect();
    Ok(Table {
        columns,
        rows,
        format: Format::GeoJson,
        notes: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_lines_count_the_header_as_line_one() {
        let t = read_csv("名称,经度,纬度\n甲,113.0,23.0\n\n乙,113.1,23.1\n".as_bytes()).unwrap();
        assert_eq!(t.columns, ["名称", "经度", "纬度"]);
        let lines: Vec<usize> = t.rows.iter().map(|r| r.line).collect();
        assert_eq!(
            lines,
            [2, 4],
            "the blank line 3 is skipped but still counted"
        );
    }

    #[test]
    fn geojson_rings_are_kept_unclosed_as_written() {
        let doc = r#"{"type":"FeatureCollection","features":[{"type":"Feature","id":"A1",
            "properties":{"name":"x"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1]]]}}]}"#;
        let t = read_geojson(doc.as_bytes()).unwrap();
        assert_eq!(t.columns, ["name", "id"], "the feature id becomes a column");
        assert_eq!(t.rows[0].values.iter().collect::<Vec<_>>(), ["x", "A1"]);
        assert_eq!(
            t.rows[0].geometry,
            Some(RawGeometry::Polygons(vec![vec![vec![
                (0.0, 0.0),
                (1.0, 0.0),
                (1.0, 1.0)
            ]]])),
            "the repair step, not the reader, closes rings so it can report it"
        );
    }
}
