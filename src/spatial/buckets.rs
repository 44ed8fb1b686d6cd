//! A uniform bucket grid over the grids' bounding boxes: the owner lookup
//! (`grid at a point`) is one cell computation, a few bbox checks and one
//! point-in-polygon test — faster than walking an R-tree for every point.

use super::geom::BBox;

/// Grids by bucket, stored compactly (offsets into one list).
#[derive(Debug, Clone, Default)]
pub struct Buckets {
    origin: (f64, f64),
    cell: (f64, f64),
    nx: usize,
    ny: usize,
    offsets: Vec<u32>,
    items: Vec<u32>,
}

impl Buckets {
    /// Buckets for `boxes` (index, bbox), about one box per cell.
    pub fn build(boxes: &[(u32, BBox)]) -> Buckets {
        if boxes.is_empty() {
            return Buckets::default();
        }
        let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
        for (_, b) in boxes {
            x0 = x0.min(b.min_lon);
            y0 = y0.min(b.min_lat);
            x1 = x1.max(b.max_lon);
            y1 = y1.max(b.max_lat);
        }
        let side = (boxes.len() as f64).sqrt().ceil().max(1.0) as usize;
        let (nx, ny) = (side, side);
        let cell = (
            ((x1 - x0) / nx as f64).max(1e-9),
            ((y1 - y0) / ny as f64).max(1e-9),
        );
        let range = |b: &BBox| {
            let cx0 = (((b.min_lon - x0) / cell.0) as usize).min(nx - 1);
            let cx1 = (((b.max_lon - x0) / cell.0) as usize).min(nx - 1);
            let cy0 = (((b.min_lat - y0) / cell.1) as usize).min(ny - 1);
            let cy1 = (((b.max_lat - y0) / cell.1) as usize).min(ny - 1);
            (cx0, cx1, cy0, cy1)
        };
        let mut counts = vec![0u32; nx * ny + 1];
        for (_, b) in boxes {
            let (a, c, d, e) = range(b);
            for y in d..=e {
                for x in a..=c {
                    counts[y * nx + x + 1] += 1;
                }
            }
        }
        for i in 1..counts.len() {
            counts[i] += counts[i - 1];
        }
        let mut fill = counts.clone();
        let mut items = vec![0u32; counts[nx * ny] as usize];
        for (idx, b) in boxes {
            let (a, c, d, e) = range(b);
            for y in d..=e {
                for x in a..=c {
                    let k = y * nx + x;
                    items[fill[k] as usize] = *idx;
                    fill[k] += 1;
                }
            }
        }
        Buckets {
            origin: (x0, y0),
            cell,
            nx,
            ny,
            offsets: counts,
            items,
        }
    }

    /// Candidates whose box may contain the point.
    #[inline]
    pub fn candidates(&self, x: f64, y: f64) -> &[u32] {
        if self.nx == 0 {
            return &[];
        }
        let (fx, fy) = (
            (x - self.origin.0) / self.cell.0,
            (y - self.origin.1) / self.cell.1,
        );
        if fx < 0.0 || fy < 0.0 || fx >= self.nx as f64 + 1e-9 || fy >= self.ny as f64 + 1e-9 {
            return &[];
        }
        let k = (fy as usize).min(self.ny - 1) * self.nx + (fx as usize).min(self.nx - 1);
        &self.items[self.offsets[k] as usize..self.offsets[k + 1] as usize]
    }
}
