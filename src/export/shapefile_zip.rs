//! Shapefile export: one `.zip` holding `.shp`, `.shx`, `.dbf` (UTF-8),
//! `.cpg` (saying so, so ArcGIS and QGIS read the Chinese right) and `.prj`
//! (WGS84). dBase limits field names to 10 bytes and text to 254 bytes: names
//! are shortened (and kept distinct), longer text is cut on a character
//! boundary.

use std::io::{Cursor, Write};

use geo_types::{Geometry, MultiPolygon};
use shapefile::dbase;

use super::{Cell, Table};

/// The ESRI WKT of WGS84 longitude/latitude, as `.prj` files carry it.
const WGS84_PRJ: &str = r#"GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#;

/// dBase field names: at most 10 bytes, distinct.
fn field_names(columns: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(columns.len());
    for c in columns {
        let ascii: String = c
            .chars()
            .map(|ch| if ch.is_ascii_alphanumeric() { ch } else { '_' })
            .collect();
        let mut name: String = ascii.chars().take(10).collect();
        let mut n = 1;
        while out.contains(&name) {
            let suffix = n.to_string();
            name = format!(
                "{}{suffix}",
                ascii.chars().take(10 - suffix.len()).collect::<String>()
            );
            n += 1;
        }
        out.push(name);
    }
    out
}

/// Cuts text to at most `max` bytes on a character boundary.
fn cut(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

fn cell_text(c: &Cell) -> String {
    match c {
        Cell::Empty => String::new(),
        other => other.text(),
    }
}

/// Every polygon of a geometry (points give none).
fn polygons(g: &Geometry<f64>) -> Option<MultiPolygon<f64>> {
    match g {
        Geometry::Polygon(p) => Some(MultiPolygon(vec![p.clone()])),
        Geometry::MultiPolygon(mp) => Some(mp.clone()),
        _ => None,
    }
}

impl Table {
    /// The table as a zipped Shapefile. Points become a Point shapefile, areas
    /// a Polygon one.
    ///
    /// ```
    /// use minqing::export::Table;
    /// let props = serde_json::json!({"id": "H1", "name": "内涝点"}).as_object().unwrap().clone();
    /// let t = Table::from_json("hazards", &["id", "name"], vec![("H1".into(), props, geo_types::Geometry::Point(geo_types::Point::new(113.05, 23.7)))]);
    /// let zip = t.to_shapefile_zip().unwrap();
    /// let mut z = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    /// let names: Vec<String> = (0..z.len()).map(|i| z.by_index(i).unwrap().name().unwrap().into_owned()).collect();
    /// assert_eq!(names, ["hazards.shp", "hazards.shx", "hazards.dbf", "hazards.cpg", "hazards.prj"]);
    /// ```
    pub fn to_shapefile_zip(&self) -> Result<Vec<u8>, String> {
        let names = field_names(&self.columns);
        let widths: Vec<u8> = (0..self.columns.len())
            .map(|i| {
                let w = self
                    .rows
                    .iter()
                    .map(|r| r.cells.get(i).map_or(0, |c| cell_text(c).len()))
                    .max()
                    .unwrap_or(1);
                w.clamp(1, 254) as u8
            })
            .collect();
        let (mut shp, mut shx, mut dbf) = (
            Cursor::new(Vec::new()),
            Cursor::new(Vec::new()),
            Cursor::new(Vec::new()),
        );
        {
            let mut builder =
                dbase::TableWriterBuilder::with_encoding(dbase::encoding::UnicodeLossy);
            for (n, w) in names.iter().zip(&widths) {
                let name = dbase::FieldName::try_from(n.as_str())
                    .map_err(|e| format!("field {n}: {e}"))?;
                builder = builder.add_character_field(name, *w);
            }
            let table = builder.build_with_dest(&mut dbf);
            let shapes = shapefile::ShapeWriter::with_shx(&mut shp, &mut shx);
            let mut writer = shapefile::Writer::new(shapes, table);
            let areal = self.rows.iter().any(|r| polygons(&r.geometry).is_some());
            for row in &self.rows {
                let mut record = dbase::Record::default();
                for (i, n) in names.iter().enumerate() {
                    let text = row.cells.get(i).map(cell_text).unwrap_or_default();
                    let text = cut(&text, widths[i] as usize).to_owned();
                    record.insert(
                        n.clone(),
                        dbase::FieldValue::Character((!text.is_empty()).then_some(text)),
                    );
                }
                let written = if areal {
                    let mp = polygons(&row.geometry)
                        .ok_or_else(|| format!("record {}: a point among areas", row.id))?;
                    writer.write_shape_and_record(&shapefile::Polygon::from(mp), &record)
                } else {
                    let Geometry::Point(p) = row.geometry else {
                        return Err(format!("record {}: not a point", row.id));
                    };
                    writer.write_shape_and_record(&shapefile::Point::from(p), &record)
                };
                written.map_err(|e| format!("record {}: {e}", row.id))?;
            }
        }
        let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (ext, bytes) in [
            ("shp", shp.into_inner()),
            ("shx", shx.into_inner()),
            ("dbf", dbf.into_inner()),
            ("cpg", b"UTF-8".to_vec()),
            ("prj", WGS84_PRJ.as_bytes().to_vec()),
        ] {
            out.start_file(format!("{}.{ext}", self.name), opts)
                .map_err(|e| e.to_string())?;
            out.write_all(&bytes).map_err(|e| e.to_string())?;
        }
        Ok(out.finish().map_err(|e| e.to_string())?.into_inner())
    }
}
