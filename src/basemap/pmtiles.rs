//! A PMTiles v3 archive, read through the `pmtiles` crate (memory-mapped).

use std::path::{Path, PathBuf};

use ::pmtiles::{AsyncPmTilesReader, Compression, HashMapCache, MmapBackend, TileCoord, TileType};

use super::{FileInfo, Tile, TileFormat};

/// An open archive.
pub struct PmTiles {
    /// where it is
    pub path: PathBuf,
    /// what it holds
    pub info: FileInfo,
    gzip: bool,
    reader: AsyncPmTilesReader<MmapBackend, HashMapCache>,
}

impl std::fmt::Debug for PmTiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PmTiles")
            .field("path", &self.path)
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

impl PmTiles {
    /// Opens an archive and reads its header and metadata.
    pub async fn open(path: &Path) -> anyhow::Result<PmTiles> {
        let shown = path.display();
        let reader = AsyncPmTilesReader::new_with_cached_path(HashMapCache::default(), path)
            .await
            .map_err(|e| anyhow::anyhow!("--basemap {shown}: not a PMTiles v3 file ({e})"))?;
        let h = reader.get_header();
        let format = match h.tile_type {
            TileType::Mvt => TileFormat::Mvt,
            TileType::Png => TileFormat::Png,
            TileType::Jpeg => TileFormat::Jpeg,
            TileType::Webp => TileFormat::Webp,
            other => anyhow::bail!(
                "--basemap {shown}: tiles of type {other:?} cannot be shown; use MVT, PNG, JPEG or WebP"
            ),
        };
        // Browsers undo gzip themselves (Content-Encoding); other codecs
        // would need recompressing on every request.
        let gzip = match h.tile_compression {
            Compression::Gzip => true,
            Compression::None | Compression::Unknown => false,
            other => anyhow::bail!(
                "--basemap {shown}: tiles compressed with {other:?}; write the file with gzip (tippecanoe and planetiler do by default)"
            ),
        };
        let bounds = [
            h.min_longitude,
            h.min_latitude,
            h.max_longitude,
            h.max_latitude,
        ];
        let (minzoom, maxzoom) = (h.min_zoom, h.max_zoom);
        let meta: serde_json::Value = reader
            .get_metadata()
            .await
            .ok()
            .and_then(|m| serde_json::from_str(&m).ok())
            .unwrap_or_default();
        let vector_layers = meta["vector_layers"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let attribution = meta["attribution"].as_str().map(str::to_owned);
        Ok(PmTiles {
            path: path.to_path_buf(),
            info: FileInfo {
                format,
                minzoom,
                maxzoom,
                bounds: (bounds[2] > bounds[0] && bounds[3] > bounds[1]).then_some(bounds),
                vector_layers,
                attribution,
            },
            gzip,
            reader,
        })
    }

    /// One tile as stored.
    pub async fn tile(&self, z: u8, x: u32, y: u32) -> anyhow::Result<Option<Tile>> {
        let Ok(coord) = TileCoord::new(z, x, y) else {
            return Ok(None);
        };
        let data = self.reader.get_tile(coord).await?;
        Ok(data.map(|d| Tile {
            data: d.to_vec(),
            gzip: self.gzip,
        }))
    }
}
