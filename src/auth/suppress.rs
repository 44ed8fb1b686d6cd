//! Counts of people that cannot be undone. A count of 1–2 is shown as `"<3"`
//! (primary suppression); then, relation by relation (a parent and its
//! children per category, an area's total and its categories), further cells
//! are hidden until no single relation pins a `"<3"` down to 1 or 2
//! (complementary suppression). Cells the caller may list anyway stay exact.
//!
//! What an onlooker knows of a cell: an exact value, `"<3"` = 1 or 2, or
//! hidden = any count ≥ 0. A `"<3"` is protected in a relation when both 1
//! and 2 fit the relation given the other cells' ranges.

use std::collections::HashMap;

use serde::Serialize;

use crate::domain::{Level, PersonCategory};
use crate::spatial::SpatialIndex;

/// A count as shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    /// the exact count
    Exact(u32),
    /// 1 or 2
    Small,
    /// not shown (complementary suppression)
    Hidden,
}

impl Serialize for Shown {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Shown::Exact(n) => s.serialize_u32(*n),
            Shown::Small => s.serialize_str("<3"),
            Shown::Hidden => s.serialize_str("hidden"),
        }
    }
}

impl Shown {
    /// What an onlooker knows: the least and the most the count can be.
    fn range(self) -> (u64, u64) {
        match self {
            Shown::Exact(n) => (u64::from(n), u64::from(n)),
            Shown::Small => (1, 2),
            Shown::Hidden => (0, u64::MAX / 4),
        }
    }
}

/// Counts per area and column (categories, then the total in the last column).
#[derive(Debug, Clone)]
pub struct CountTable {
    /// children of each area (positions in the same table)
    pub children: Vec<Vec<u32>>,
    /// `cells[area][column]`; the last column is the area's total
    pub cells: Vec<Vec<u32>>,
}

/// The table as one caller may see it.
#[derive(Debug, Clone, PartialEq)]
pub struct Protected {
    /// `shown[area][column]`
    pub shown: Vec<Vec<Shown>>,
}

type Cell = (usize, usize);

/// The people of an index counted per area (positions as in `index.areas`)
/// and category ([`PersonCategory::ALL`] order, then the total).
pub fn table_of(index: &SpatialIndex) -> CountTable {
    let n = index.areas.entries.len();
    let cols = PersonCategory::ALL.len() + 1;
    let mut cells = vec![vec![0u32; cols]; n];
    // Each grid's chain of ancestors, found once per grid.
    let mut chains: HashMap<u32, Vec<usize>> = HashMap::new();
    for (i, p) in index.people.items.iter().enumerate() {
        let Some(g) = index.people.grid[i] else {
            continue;
        };
        let chain = chains.entry(g).or_insert_with(|| {
            let code = index.areas.entries[g as usize].area.code.as_str();
            Level::ALL
                .iter()
                .filter(|l| l.code_len() <= code.len())
                .filter_map(|l| index.areas.position(&code[..l.code_len()]))
                .collect()
        });
        let c = PersonCategory::ALL
            .iter()
            .position(|c| *c == p.category)
            .unwrap_or(0);
        for &a in chain.iter() {
            cells[a][c] += 1;
            cells[a][cols - 1] += 1;
        }
    }
    CountTable {
        children: index
            .areas
            .entries
            .iter()
            .map(|e| e.children.clone())
            .collect(),
        cells,
    }
}

impl Protected {
    /// An area's counts as shown: the total and each category with people
    /// (zero categories left out, as before).
    pub fn area(&self, table_row: usize) -> (Shown, Vec<(PersonCategory, Shown)>) {
        let row = &self.shown[table_row];
        let total = row[row.len() - 1];
        let cats = PersonCategory::ALL
            .iter()
            .zip(row.iter())
            .filter(|(_, s)| **s != Shown::Exact(0))
            .map(|(c, s)| (*c, *s))
            .collect();
        (total, cats)
    }
}

/// The relations `margin = Σ members` of a table.
fn relations(t: &CountTable) -> Vec<(Cell, Vec<Cell>)> {
    let cols = t.cells.first().map_or(0, Vec::len);
    let mut out = Vec::new();
    for (a, kids) in t.children.iter().enumerate() {
        if cols == 0 {
            break;
        }
        let total = cols - 1;
        out.push(((a, total), (0..total).map(|c| (a, c)).collect()));
        if !kids.is_empty() {
            for c in 0..cols {
                out.push(((a, c), kids.iter().map(|&k| (k as usize, c)).collect()));
            }
        }
    }
    out
}

/// True when value `x` of a cell fits `margin = Σ members` given the others' ranges.
fn fits(x: u64, is_margin: bool, margin: (u64, u64), others: (u64, u64)) -> bool {
    if is_margin {
        others.0 <= x && x <= others.1
    } else {
        // margin − others must reach x
        x + others.0 <= margin.1 && margin.0 <= x.saturating_add(others.1)
    }
}

/// True when some `"<3"` of the relation `margin = Σ members` is pinned to
/// one value by the other cells' ranges.
fn unprotected(shown: &[Vec<Shown>], margin: Cell, members: &[Cell]) -> bool {
    if shown[margin.0][margin.1] == Shown::Hidden {
        return false;
    }
    let m = shown[margin.0][margin.1].range();
    std::iter::once(margin)
        .chain(members.iter().copied())
        .enumerate()
        .any(|(i, (a, c))| {
            if shown[a][c] != Shown::Small {
                return false;
            }
            let others = members
                .iter()
                .filter(|&&o| o != (a, c))
                .map(|&(oa, oc)| shown[oa][oc].range())
                .fold((0u64, 0u64), |s, r| (s.0 + r.0, s.1.saturating_add(r.1)));
            !(fits(1, i == 0, m, others) && fits(2, i == 0, m, others))
        })
}

/// Applies primary and complementary suppression. `known(area)` is true where
/// the caller may list the records: those cells stay exact.
///
/// ```
/// use minqing::auth::suppress::{protect, CountTable, Shown};
/// // A parent with two children: 7 and 1 people of one category (and totals).
/// let t = CountTable { children: vec![vec![1, 2], vec![], vec![]], cells: vec![vec![8, 8], vec![7, 7], vec![1, 1]] };
/// let p = protect(&t, |_| false);
/// assert_eq!(p.shown[2][0], Shown::Small);
/// assert_ne!(p.shown[1][0], Shown::Exact(7), "8 − 7 would give the 1 away");
/// ```
pub fn protect(t: &CountTable, known: impl Fn(usize) -> bool) -> Protected {
    let mut shown: Vec<Vec<Shown>> = t
        .cells
        .iter()
        .enumerate()
        .map(|(a, row)| {
            row.iter()
                .map(|&n| {
                    if (1..=2).contains(&n) && !known(a) {
                        Shown::Small
                    } else {
                        Shown::Exact(n)
                    }
                })
                .collect()
        })
        .collect();
    let rels = relations(t);
    loop {
        let mut changed = false;
        for (margin, members) in &rels {
            if !unprotected(&shown, *margin, members) {
                continue;
            }
            // Hide the cheapest cell the caller does not know anyway that alone
            // protects the relation; else the margin (which moves the question up
            // a level); else the cheapest member, and look again.
            let mut candidates: Vec<Cell> = members
                .iter()
                .copied()
                .filter(|&(a, c)| !known(a) && matches!(shown[a][c], Shown::Exact(_)))
                .collect();
            candidates.sort_by_key(|&(a, c)| (t.cells[a][c] == 0, t.cells[a][c], a, c));
            let fixes = |cell: Cell, shown: &mut Vec<Vec<Shown>>| {
                let before = shown[cell.0][cell.1];
                shown[cell.0][cell.1] = Shown::Hidden;
                let ok = !unprotected(shown, *margin, members);
                shown[cell.0][cell.1] = before;
                ok
            };
            let margin_free = !known(margin.0) && shown[margin.0][margin.1] != Shown::Hidden;
            let pick = candidates
                .iter()
                .copied()
                .find(|&c| fixes(c, &mut shown))
                .or(margin_free.then_some(*margin))
                .or(candidates.first().copied());
            if let Some((a, c)) = pick {
                shown[a][c] = Shown::Hidden;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    Protected { shown }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// What a subtraction attack on one relation recovers: a `"<3"` whose value is forced.
    fn recovered(t: &CountTable, p: &Protected) -> Vec<Cell> {
        let mut out = Vec::new();
        for (margin, members) in relations(t) {
            let all: Vec<Cell> = std::iter::once(margin)
                .chain(members.iter().copied())
                .collect();
            for (i, &(a, c)) in all.iter().enumerate() {
                if p.shown[a][c] != Shown::Small || p.shown[margin.0][margin.1] == Shown::Hidden {
                    continue;
                }
                let m = p.shown[margin.0][margin.1].range();
                let others = members
                    .iter()
                    .filter(|&&o| o != (a, c))
                    .map(|&(oa, oc)| p.shown[oa][oc].range())
                    .fold((0u64, 0u64), |s, r| (s.0 + r.0, s.1.saturating_add(r.1)));
                if !(fits(1, i == 0, m, others) && fits(2, i == 0, m, others)) {
                    out.push((a, c));
                }
            }
        }
        out
    }

    /// A random three-level tree with small counts in 4 categories.
    fn random_table(seed: u64) -> CountTable {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let cats = 4;
        let mut children = vec![vec![]];
        let mut cells: Vec<Vec<u32>> = vec![vec![0; cats + 1]];
        let mut leaves = vec![];
        for _ in 0..rng.random_range(2..5) {
            let mid = children.len() as u32;
            children[0].push(mid);
            children.push(vec![]);
            cells.push(vec![0; cats + 1]);
            for _ in 0..rng.random_range(1..6) {
                let leaf = children.len() as u32;
                children[mid as usize].push(leaf);
                children.push(vec![]);
                let mut row: Vec<u32> = (0..cats).map(|_| rng.random_range(0..6)).collect();
                row.push(row.iter().sum());
                cells.push(row);
                leaves.push((mid as usize, leaf as usize));
            }
        }
        for (mid, leaf) in leaves {
            let row = cells[leaf].clone();
            for (c, v) in row.into_iter().enumerate() {
                cells[mid][c] += v;
                cells[0][c] += v;
            }
        }
        CountTable { children, cells }
    }

    #[test]
    fn no_subtraction_recovers_a_small_count_on_random_tables() {
        for seed in 0..300 {
            let t = random_table(seed);
            let p = protect(&t, |_| false);
            let r = recovered(&t, &p);
            assert!(
                r.is_empty(),
                "seed {seed}: cells {r:?} recoverable from {t:?} shown as {p:?}"
            );
            for (a, row) in t.cells.iter().enumerate() {
                for (c, &n) in row.iter().enumerate() {
                    match p.shown[a][c] {
                        Shown::Exact(v) => assert!(
                            v == n && !(1..=2).contains(&n),
                            "seed {seed}: exact cells are true and never 1–2"
                        ),
                        Shown::Small => {
                            assert!((1..=2).contains(&n), "seed {seed}: <3 only for 1–2")
                        }
                        Shown::Hidden => {}
                    }
                }
            }
        }
    }

    #[test]
    fn two_ones_hide_their_total_and_nothing_more() {
        // One area, four categories: 1, 1, 0, 0 → total 2. "<3" for the total
        // would pin both ones (two cells of at least 1 summing to at most 2).
        let t = CountTable {
            children: vec![vec![]],
            cells: vec![vec![1, 1, 0, 0, 2]],
        };
        let p = protect(&t, |_| false);
        assert_eq!(
            p.shown[0],
            vec![
                Shown::Small,
                Shown::Small,
                Shown::Exact(0),
                Shown::Exact(0),
                Shown::Hidden
            ],
            "only the total is withheld; the zeros stay exact"
        );
    }

    #[test]
    fn known_areas_stay_exact() {
        let t = random_table(7);
        let p = protect(&t, |_| true);
        for (a, row) in t.cells.iter().enumerate() {
            for (c, &n) in row.iter().enumerate() {
                assert_eq!(
                    p.shown[a][c],
                    Shown::Exact(n),
                    "a caller who may list everything sees exact counts"
                );
            }
        }
    }
}
