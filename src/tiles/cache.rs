//! A bounded tile cache with exact invalidation: a write names its bounding
//! box and layer, and exactly the cached tiles that overlap it are dropped.
//! A tile's gzip form is made once, by the first request that accepts it,
//! so a cached hit never compresses.

use std::collections::{HashMap, VecDeque};
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::{BUFFER, TileCoord};
use crate::spatial::BBox;

/// Cache key: the requested layer list, tile, caller scope and format.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TileKey {
    /// comma-joined layer names as requested
    pub layers: String,
    /// tile address
    pub tile: TileCoord,
    /// rights scope of the caller (matters for `people`)
    pub scope: String,
    /// `mvt` or `geojson`
    pub format: &'static str,
}

/// A finished tile.
#[derive(Debug)]
pub struct CachedTile {
    /// raw body, shared by every answer that sends it (no copy per request)
    pub body: Bytes,
    /// gzip of the body, made by the first request that accepts it
    gzip: OnceLock<Bytes>,
    /// strong ETag (quoted)
    pub etag: String,
    expires: Option<Instant>,
}

impl CachedTile {
    /// Builds a tile entry. `ttl` bounds the life of tiles whose content
    /// depends on the clock (overdue flags, patrol windows).
    pub fn new(body: Vec<u8>, ttl: Option<Duration>) -> CachedTile {
        // Unseeded, so every instance gives a tile the same ETag. XXH3, made
        // for long inputs, not SipHash: nothing adversarial here, and SipHash
        // over every body was 2 % of the CPU of uncached tiles.
        let h = twox_hash::XxHash3_64::oneshot(&body);
        let etag = format!("\"{h:016x}-{:x}\"", body.len());
        CachedTile {
            body: Bytes::from(body),
            gzip: OnceLock::new(),
            etag,
            expires: ttl.map(|t| Instant::now() + t),
        }
    }

    /// The gzip form, compressed once, on the first request that accepts
    /// it: a client that does not (or an uncached tile for one that does
    /// not) costs no compression.
    pub fn gzip(&self) -> Bytes {
        self.gzip
            .get_or_init(|| {
                let mut enc = flate2::write::GzEncoder::new(
                    Vec::with_capacity(self.body.len() / 2),
                    flate2::Compression::fast(),
                );
                // Writing to a Vec cannot fail.
                let _ = enc.write_all(&self.body);
                Bytes::from(enc.finish().unwrap_or_default())
            })
            .clone()
    }

    fn live(&self) -> bool {
        self.expires.is_none_or(|e| Instant::now() < e)
    }

    /// What the entry counts against the cache's bound, the same before
    /// and after its gzip form is made: room for both (fast deflate never
    /// grows a body by more than a few bytes per 16 KiB block).
    fn size(&self) -> usize {
        2 * self.body.len() + 128
    }
}

#[derive(Default)]
struct Inner {
    map: HashMap<TileKey, Arc<CachedTile>>,
    order: VecDeque<TileKey>,
    bytes: usize,
}

/// The cache. Cheap to share behind an `Arc`.
pub struct TileCache {
    inner: Mutex<Inner>,
    max_bytes: usize,
}

impl TileCache {
    /// A cache holding at most `max_bytes` of tiles (0 disables it).
    pub fn new(max_bytes: usize) -> TileCache {
        TileCache {
            inner: Mutex::new(Inner::default()),
            max_bytes,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves plain data; keep serving.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A live cached tile.
    pub fn get(&self, key: &TileKey) -> Option<Arc<CachedTile>> {
        if self.max_bytes == 0 {
            return None;
        }
        self.lock().map.get(key).filter(|t| t.live()).cloned()
    }

    /// Stores a tile, evicting the oldest entries beyond the size bound.
    pub fn put(&self, key: TileKey, tile: Arc<CachedTile>) {
        if self.max_bytes == 0 || tile.size() > self.max_bytes {
            return;
        }
        let mut g = self.lock();
        g.bytes += tile.size();
        if let Some(old) = g.map.insert(key.clone(), tile) {
            g.bytes -= old.size();
        } else {
            g.order.push_back(key);
        }
        while g.bytes > self.max_bytes {
            let Some(k) = g.order.pop_front() else { break };
            if let Some(t) = g.map.remove(&k) {
                g.bytes -= t.size();
            }
        }
    }

    /// Drops every cached tile of `layer` whose buffered bounds meet `bbox`.
    /// Returns how many were dropped.
    pub fn invalidate(&self, layer: &str, bbox: &BBox) -> usize {
        self.invalidate_all(layer, std::slice::from_ref(bbox))
    }

    /// Drops every cached tile of `layer` whose buffered bounds meet any of
    /// `boxes` (an import batch's records): one pass over the cache, with the
    /// boxes in an R-tree, so a thousand scattered records cost one scan.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use minqing::spatial::BBox;
    /// use minqing::tiles::TileCoord;
    /// use minqing::tiles::cache::{CachedTile, TileCache, TileKey};
    /// let cache = TileCache::new(1 << 20);
    /// let key = |x| TileKey { layers: "hazards".into(), tile: TileCoord::new(14, x, 7000).unwrap(), scope: String::new(), format: "mvt" };
    /// cache.put(key(13300), Arc::new(CachedTile::new(vec![1], None)));
    /// cache.put(key(13310), Arc::new(CachedTile::new(vec![2], None)));
    /// let t = TileCoord::new(14, 13300, 7000).unwrap().bbox_wgs84(0);
    /// let inside = BBox { min_lon: t.min_lon + 1e-4, min_lat: t.min_lat + 1e-4, max_lon: t.min_lon + 2e-4, max_lat: t.min_lat + 2e-4 };
    /// assert_eq!(cache.invalidate_all("hazards", &[inside]), 1, "only the tile holding the point");
    /// assert_eq!(cache.len(), 1);
    /// ```
    pub fn invalidate_all(&self, layer: &str, boxes: &[BBox]) -> usize {
        if boxes.is_empty() {
            return 0;
        }
        let tree = rstar::RTree::bulk_load(
            boxes
                .iter()
                .map(|b| {
                    rstar::primitives::Rectangle::from_corners(
                        [b.min_lon, b.min_lat],
                        [b.max_lon, b.max_lat],
                    )
                })
                .collect(),
        );
        let mut g = self.lock();
        let stale: Vec<TileKey> = g
            .map
            .keys()
            .filter(|k| k.layers.split(',').any(|l| l == layer))
            .filter(|k| {
                let t = k.tile.bbox_wgs84(BUFFER);
                tree.locate_in_envelope_intersecting(&t.envelope())
                    .next()
                    .is_some()
            })
            .cloned()
            .collect();
        for k in &stale {
            if let Some(t) = g.map.remove(k) {
                g.bytes -= t.size();
            }
        }
        let Inner { map, order, .. } = &mut *g;
        order.retain(|k| map.contains_key(k));
        stale.len()
    }

    /// Number of cached tiles.
    pub fn len(&self) -> usize {
        self.lock().map.len()
    }

    /// True when nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    #[test]
    fn a_tile_is_gzipped_once_and_counts_the_same_before_and_after() {
        let body: Vec<u8> = (0..20_000u32).map(|i| (i % 251) as u8).collect();
        let t = CachedTile::new(body.clone(), None);
        let size = t.size();
        let gz = t.gzip();
        assert_eq!(
            t.size(),
            size,
            "the cache's count of a tile must not move once gzipped"
        );
        assert!(gz.len() + 64 < body.len(), "a repetitive body compresses");
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_end(&mut out)
            .expect("valid gzip");
        assert_eq!(out, body, "the gzip form unpacks to the body");
        assert_eq!(
            t.gzip().as_ptr(),
            gz.as_ptr(),
            "compressed once, then shared"
        );
        assert_eq!(
            CachedTile::new(body, None).etag,
            t.etag,
            "the same body has the same ETag (every instance agrees)"
        );
    }
}
