//! The base map under our layers (`--basemap`): a local `.pmtiles` or
//! `.mbtiles` file that the binary serves itself, an XYZ URL template of an
//! intranet or Tianditu server, or (the default) the built-in offline outline.
//!
//! Tiles leave as they are stored: gzip-compressed vector tiles keep their
//! compression and are sent with `Content-Encoding: gzip`.

mod mbtiles;
mod pmtiles;

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

pub use mbtiles::MbTiles;
pub use pmtiles::PmTiles;

/// What a tile source holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TileKind {
    /// Mapbox Vector Tiles
    Vector,
    /// PNG, JPEG or WebP images
    Raster,
}

/// The format of a file's tiles, as its metadata says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TileFormat {
    /// MVT (`pbf`)
    Mvt,
    /// PNG
    Png,
    /// JPEG
    Jpeg,
    /// WebP
    Webp,
}

impl TileFormat {
    /// From an MBTiles `format` value or a PMTiles tile type name.
    pub fn parse(s: &str) -> Option<TileFormat> {
        match s.trim().to_ascii_lowercase().as_str() {
            "pbf" | "mvt" => Some(TileFormat::Mvt),
            "png" => Some(TileFormat::Png),
            "jpg" | "jpeg" => Some(TileFormat::Jpeg),
            "webp" => Some(TileFormat::Webp),
            _ => None,
        }
    }

    /// Vector or raster.
    pub fn kind(self) -> TileKind {
        match self {
            TileFormat::Mvt => TileKind::Vector,
            _ => TileKind::Raster,
        }
    }

    /// The media type of one tile.
    pub fn content_type(self) -> &'static str {
        match self {
            TileFormat::Mvt => "application/vnd.mapbox-vector-tile",
            TileFormat::Png => "image/png",
            TileFormat::Jpeg => "image/jpeg",
            TileFormat::Webp => "image/webp",
        }
    }
}

/// What the map app needs to know of a file's tiles.
#[derive(Debug, Clone)]
pub struct FileInfo {
    /// tile format
    pub format: TileFormat,
    /// lowest zoom with tiles
    pub minzoom: u8,
    /// highest zoom with tiles (the map over-zooms past it)
    pub maxzoom: u8,
    /// `[west, south, east, north]`
    pub bounds: Option<[f64; 4]>,
    /// TileJSON `vector_layers` (vector files)
    pub vector_layers: Vec<Value>,
    /// attribution text from the file, if any (e.g. "© OpenStreetMap contributors")
    pub attribution: Option<String>,
}

/// One tile as stored.
#[derive(Debug, Clone)]
pub struct Tile {
    /// the bytes
    pub data: Vec<u8>,
    /// the bytes are gzip-compressed
    pub gzip: bool,
}

/// A configured base map.
#[derive(Debug)]
pub enum Basemap {
    /// The built-in offline outline (rivers and our own boundaries).
    Offline,
    /// A PMTiles v3 archive.
    PmTiles(Box<PmTiles>),
    /// An MBTiles (SQLite) file.
    MbTiles(MbTiles),
    /// Raster tiles from other servers, drawn bottom first (e.g. Tianditu
    /// `vec_w` then its `cva_w` labels), as `{z}/{x}/{y}` URL templates.
    Xyz(Vec<String>),
}

impl Basemap {
    /// Opens `--basemap SOURCE`: a `.pmtiles` or `.mbtiles` path, or one or
    /// more `http(s)://…{z}…{x}…{y}…` templates separated by ` | `.
    /// Errors are one line for the command line.
    pub async fn open(source: Option<&str>) -> anyhow::Result<Basemap> {
        let Some(source) = source.map(str::trim).filter(|s| !s.is_empty()) else {
            return Ok(Basemap::Offline);
        };
        if source.starts_with("http://") || source.starts_with("https://") {
            return xyz(source).map(Basemap::Xyz);
        }
        let path = PathBuf::from(source);
        if !path.is_file() {
            anyhow::bail!("--basemap {source}: no such file");
        }
        match extension(&path).as_deref() {
            Some("pmtiles") => Ok(Basemap::PmTiles(Box::new(PmTiles::open(&path).await?))),
            Some("mbtiles") => Ok(Basemap::MbTiles(MbTiles::open(&path).await?)),
            _ => anyhow::bail!(
                "--basemap {source}: expected a .pmtiles or .mbtiles file, or an http(s) URL template with {{z}}, {{x}} and {{y}}"
            ),
        }
    }

    /// The file's tile description, for local files.
    pub fn file_info(&self) -> Option<&FileInfo> {
        match self {
            Basemap::PmTiles(p) => Some(&p.info),
            Basemap::MbTiles(m) => Some(&m.info),
            Basemap::Offline | Basemap::Xyz(_) => None,
        }
    }

    /// One tile of a local file (`None`: no tile there, or not a file base map).
    pub async fn tile(&self, z: u8, x: u32, y: u32) -> anyhow::Result<Option<Tile>> {
        match self {
            Basemap::PmTiles(p) => p.tile(z, x, y).await,
            Basemap::MbTiles(m) => m.tile(z, x, y).await,
            Basemap::Offline | Basemap::Xyz(_) => Ok(None),
        }
    }

    /// The origins (`scheme://host[:port]`) the browser fetches tiles from,
    /// for the content security policy; empty unless XYZ templates are set.
    pub fn origins(&self) -> Vec<String> {
        match self {
            Basemap::Xyz(t) => t
                .iter()
                .filter_map(|u| url::Url::parse(&u.replace(['{', '}'], "")).ok())
                .map(|u| u.origin().ascii_serialization())
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The path of the local PMTiles file (served whole or by range).
    pub fn pmtiles_path(&self) -> Option<&Path> {
        match self {
            Basemap::PmTiles(p) => Some(&p.path),
            _ => None,
        }
    }
}

fn extension(p: &Path) -> Option<String> {
    p.extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
}

/// Checks XYZ templates: http(s), with `{z}`, `{x}` and `{y}`.
///
/// ```
/// use minqing::basemap::Basemap;
/// # tokio_test_block(async {
/// let b = Basemap::open(Some("http://tiles.local/{z}/{x}/{y}.png | http://tiles.local/labels/{z}/{x}/{y}.png")).await.unwrap();
/// assert_eq!(b.origins(), vec!["http://tiles.local", "http://tiles.local"]);
/// assert!(Basemap::open(Some("http://tiles.local/{z}/{x}.png")).await.is_err(), "no {{y}}");
/// # });
/// # fn tokio_test_block(f: impl std::future::Future<Output = ()>) {
/// #     tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
/// # }
/// ```
fn xyz(source: &str) -> anyhow::Result<Vec<String>> {
    let templates: Vec<String> = source
        .split(" | ")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    for t in &templates {
        if !(t.starts_with("http://") || t.starts_with("https://")) {
            anyhow::bail!("--basemap: {t} is not an http(s) URL template");
        }
        for part in ["{z}", "{x}", "{y}"] {
            if !t.contains(part) {
                anyhow::bail!("--basemap: the URL template {t} has no {part}");
            }
        }
        if url::Url::parse(&t.replace(['{', '}'], "")).is_err() {
            anyhow::bail!("--basemap: {t} is not a valid URL");
        }
    }
    Ok(templates)
}
