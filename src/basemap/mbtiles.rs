//! An MBTiles file (SQLite: `metadata` name/value rows, `tiles` with TMS rows,
//! so `y` is flipped), opened read-only through the sqlx SQLite we already use.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use sqlx::Row;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};

use super::{FileInfo, Tile, TileFormat};

/// An open MBTiles file.
#[derive(Debug)]
pub struct MbTiles {
    /// where it is
    pub path: PathBuf,
    /// what it holds
    pub info: FileInfo,
    pool: SqlitePool,
}

impl MbTiles {
    /// Opens the file read-only and reads its metadata.
    pub async fn open(path: &Path) -> anyhow::Result<MbTiles> {
        let shown = path.display();
        let opts = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))
            .map_err(|e| anyhow::anyhow!("--basemap {shown}: {e}"))?
            .read_only(true)
            .immutable(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(opts)
            .await
            .map_err(|e| anyhow::anyhow!("--basemap {shown}: cannot open ({e})"))?;
        let rows = sqlx::query("select name, value from metadata")
            .fetch_all(&pool)
            .await
            .map_err(|e| {
                anyhow::anyhow!("--basemap {shown}: not an MBTiles file (no metadata table: {e})")
            })?;
        let meta: HashMap<String, String> = rows
            .iter()
            .filter_map(|r| Some((r.try_get(0).ok()?, r.try_get(1).ok()?)))
            .collect();
        let format = meta
            .get("format")
            .and_then(|f| TileFormat::parse(f))
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "--basemap {shown}: metadata `format` must be pbf, png, jpg or webp, got {:?}",
                    meta.get("format")
                )
            })?;
        let zoom = |k: &str| meta.get(k).and_then(|v| v.trim().parse::<u8>().ok());
        let (minzoom, maxzoom) = match (zoom("minzoom"), zoom("maxzoom")) {
            (Some(a), Some(b)) => (a, b),
            // Older files leave the zoom range out: ask the tiles.
            _ => {
                let r = sqlx::query("select min(zoom_level), max(zoom_level) from tiles")
                    .fetch_one(&pool)
                    .await?;
                let lo: Option<i64> = r.try_get(0)?;
                let hi: Option<i64> = r.try_get(1)?;
                (lo.unwrap_or(0) as u8, hi.unwrap_or(14) as u8)
            }
        };
        let bounds = meta.get("bounds").and_then(|b| {
            let v: Vec<f64> = b.split(',').filter_map(|p| p.trim().parse().ok()).collect();
            (v.len() == 4 && v[2] > v[0] && v[3] > v[1]).then(|| [v[0], v[1], v[2], v[3]])
        });
        let vector_layers = meta
            .get("json")
            .and_then(|j| serde_json::from_str::<serde_json::Value>(j).ok())
            .and_then(|j| j["vector_layers"].as_array().cloned())
            .unwrap_or_default();
        Ok(MbTiles {
            path: path.to_path_buf(),
            info: FileInfo {
                format,
                minzoom,
                maxzoom,
                bounds,
                vector_layers,
                attribution: meta.get("attribution").cloned(),
            },
            pool,
        })
    }

    /// One tile as stored (XYZ `y`; the file's rows count from the south).
    pub async fn tile(&self, z: u8, x: u32, y: u32) -> anyhow::Result<Option<Tile>> {
        if z > 30 || x >= (1u32 << z) || y >= (1u32 << z) {
            return Ok(None);
        }
        let tms_y = (1u32 << z) - 1 - y;
        let row = sqlx::query(
            "select tile_data from tiles where zoom_level = ? and tile_column = ? and tile_row = ?",
        )
        .bind(i64::from(z))
        .bind(i64::from(x))
        .bind(i64::from(tms_y))
        .fetch_optional(&self.pool)
        .await?;
        Ok(row
            .map(|r| r.try_get::<Vec<u8>, _>(0))
            .transpose()?
            .map(|data| Tile {
                // Vector tiles in MBTiles are gzip by convention, but not always.
                gzip: data.starts_with(&[0x1f, 0x8b]),
                data,
            }))
    }
}
