//! Files as people hand them over: a `.zip`, a Shapefile's loose parts, or one
//! CSV/GeoJSON file — from the browser's upload or from the files beside a
//! path on the command line. Everything ends as one [`Table`].

use std::io::Read;

use super::read::{self, Format, Table};
use super::shp::{ShapefileParts, read_shapefile};

/// The most a zip may unpack to (the contract's upload bound): a small zip
/// that inflates to more is refused rather than filling memory.
pub const MAX_UNPACKED: u64 = 1 << 30;

/// One file of an upload.
#[derive(Debug, Clone)]
pub struct UploadFile {
    /// The file's name (only its extension and stem matter).
    pub name: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

fn ext(name: &str) -> String {
    name.rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default()
}

/// Unpacks every `.zip` among the files (one level; folders inside are flattened).
fn unpack(files: Vec<UploadFile>) -> Result<Vec<UploadFile>, String> {
    let mut out = Vec::new();
    let mut budget = MAX_UNPACKED;
    for f in files {
        if ext(&f.name) != "zip" {
            out.push(f);
            continue;
        }
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(f.bytes))
            .map_err(|e| format!("{}: not a readable zip file: {e}", f.name))?;
        for i in 0..zip.len() {
            let mut entry = zip
                .by_index(i)
                .map_err(|e| format!("{}: entry {i}: {e}", f.name))?;
            let path = entry
                .name()
                .map_err(|e| format!("{}: entry {i}: {e}", f.name))?
                .into_owned();
            // Folders and the resource forks macOS adds are not data.
            if entry.is_dir() || path.starts_with("__MACOSX/") {
                continue;
            }
            let name = path.rsplit('/').next().unwrap_or(&path).to_owned();
            if name.starts_with('.') {
                continue;
            }
            let mut bytes = Vec::new();
            let read = entry
                .by_ref()
                .take(budget + 1)
                .read_to_end(&mut bytes)
                .map_err(|e| format!("{}: {path}: {e}", f.name))? as u64;
            if read > budget {
                return Err(format!(
                    "{}: unpacks to more than {} MiB; upload the files themselves or split the layer",
                    f.name,
                    MAX_UNPACKED >> 20
                ));
            }
            budget -= read;
            out.push(UploadFile { name, bytes });
        }
    }
    Ok(out)
}

/// Reads an upload into a table: a Shapefile (`.shp` with its `.dbf`, and
/// `.shx`/`.cpg` when present, matched by name), or one CSV or GeoJSON file.
///
/// ```
/// use minqing::import::upload::{UploadFile, read_upload};
/// let csv = UploadFile { name: "h.csv".into(), bytes: "id,name,lon,lat\nH1,a,113.05,23.7\n".into() };
/// assert_eq!(read_upload(vec![csv]).unwrap().rows.len(), 1);
/// let err = read_upload(vec![UploadFile { name: "x.shp".into(), bytes: vec![] }]).unwrap_err();
/// assert!(err.contains(".dbf"), "{err}");
/// ```
pub fn read_upload(files: Vec<UploadFile>) -> Result<Table, String> {
    let files = unpack(files)?;
    let names = || {
        files
            .iter()
            .map(|f| f.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let shps: Vec<&UploadFile> = files.iter().filter(|f| ext(&f.name) == "shp").collect();
    if shps.len() > 1 {
        return Err(format!(
            "several Shapefiles ({}); upload one layer at a time",
            shps.iter()
                .map(|f| f.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if let Some(shp) = shps.first() {
        let stem = shp.name[..shp.name.len() - 4].to_lowercase();
        let part = |e: &str| {
            files
                .iter()
                .find(|f| {
                    ext(&f.name) == e && f.name[..f.name.len() - e.len() - 1].to_lowercase() == stem
                })
                .or_else(|| files.iter().find(|f| ext(&f.name) == e))
        };
        let dbf = part("dbf").ok_or_else(|| {
            format!(
                "{}: the .dbf beside it is missing (received: {})",
                shp.name,
                names()
            )
        })?;
        let cpg = part("cpg").map(|f| read::decode_text(&f.bytes).0);
        return read_shapefile(ShapefileParts {
            shp: &shp.bytes,
            shx: part("shx").map(|f| f.bytes.as_slice()),
            dbf: &dbf.bytes,
            cpg: cpg.as_deref(),
        })
        .map_err(|e| format!("{}: {e}", shp.name));
    }
    let data: Vec<&UploadFile> = files
        .iter()
        .filter(|f| Format::from_path(f.name.as_ref()).is_some())
        .collect();
    match data.as_slice() {
        [one] => {
            let table = match Format::from_path(one.name.as_ref()) {
                Some(Format::Csv) => read::read_csv(&one.bytes),
                _ => read::read_geojson(&one.bytes),
            };
            table.map_err(|e| format!("{}: {e}", one.name))
        }
        [] => Err(format!(
            "no data file: send a .zip, a Shapefile (.shp + .dbf + .shx), a .csv or a .geojson (received: {})",
            if files.is_empty() {
                "nothing".to_owned()
            } else {
                names()
            }
        )),
        _ => Err(format!(
            "several data files ({}); upload one layer at a time",
            names()
        )),
    }
}
