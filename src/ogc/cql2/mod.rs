//! CQL2 (OGC 21-065r2): the expression tree, its two encodings and its
//! evaluation against one record.
//!
//! Covered: Basic CQL2 (`AND`, `OR`, `NOT`, comparisons, `IS NULL`), advanced
//! comparisons (`LIKE`, `BETWEEN`, `IN`), every spatial function (`S_INTERSECTS`,
//! `S_DISJOINT`, `S_WITHIN`, `S_CONTAINS`, `S_TOUCHES`, `S_OVERLAPS`, `S_CROSSES`,
//! `S_EQUALS`) over WKT, `BBOX(…)` or GeoJSON literals, and every temporal
//! function (`T_AFTER`, `T_BEFORE`, `T_INTERSECTS`, … the Allen relations).
//!
//! ```
//! use minqing::ogc::cql2::{self, Lang};
//! let e = cql2::parse("risk = '红' AND threatened_persons > 10", Lang::Text).unwrap();
//! assert_eq!(e.properties(), ["risk", "threatened_persons"]);
//! ```

mod eval;
mod json;
mod text;
mod time;

use chrono::{DateTime, Utc};
use geo_types::Geometry;

pub use eval::{Record, Val, compare, matches};
pub use time::{Span, TemporalOp};

/// Deepest nesting of a filter; deeper input is refused rather than risking the stack.
pub const MAX_DEPTH: usize = 64;

/// The encoding of a filter (`filter-lang`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// `cql2-text` (also accepted as the draft name `cql-text`, which GDAL ≤ 3.6 sends)
    Text,
    /// `cql2-json`
    Json,
}

impl Lang {
    /// Parses a `filter-lang` value.
    ///
    /// ```
    /// use minqing::ogc::cql2::Lang;
    /// assert_eq!(Lang::parse("cql2-json"), Ok(Lang::Json));
    /// assert!(Lang::parse("ecql").is_err());
    /// ```
    pub fn parse(s: &str) -> Result<Lang, String> {
        match s {
            "cql2-text" | "cql-text" => Ok(Lang::Text),
            "cql2-json" => Ok(Lang::Json),
            other => Err(format!(
                "unknown filter-lang {:?}; use cql2-text or cql2-json",
                crate::error::clip(other)
            )),
        }
    }
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    /// `=`
    Eq,
    /// `<>`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl CmpOp {
    fn parse(s: &str) -> Option<CmpOp> {
        Some(match s {
            "=" => CmpOp::Eq,
            "<>" => CmpOp::Ne,
            "<" => CmpOp::Lt,
            "<=" => CmpOp::Le,
            ">" => CmpOp::Gt,
            ">=" => CmpOp::Ge,
            _ => return None,
        })
    }
}

/// A spatial relation (DE-9IM named predicates).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpatialOp {
    /// share at least one point
    Intersects,
    /// share no point
    Disjoint,
    /// first inside second
    Within,
    /// second inside first
    Contains,
    /// boundaries meet, interiors do not
    Touches,
    /// same dimension, partly shared
    Overlaps,
    /// interiors cross
    Crosses,
    /// topologically equal
    Equals,
}

impl SpatialOp {
    /// By CQL2 function name, case-insensitive.
    pub fn parse(name: &str) -> Option<SpatialOp> {
        Some(match name.to_ascii_lowercase().as_str() {
            "s_intersects" => SpatialOp::Intersects,
            "s_disjoint" => SpatialOp::Disjoint,
            "s_within" => SpatialOp::Within,
            "s_contains" => SpatialOp::Contains,
            "s_touches" => SpatialOp::Touches,
            "s_overlaps" => SpatialOp::Overlaps,
            "s_crosses" => SpatialOp::Crosses,
            "s_equals" => SpatialOp::Equals,
            _ => return None,
        })
    }
}

/// One side of a predicate: a property or a literal.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    /// a queryable, by name
    Property(String),
    /// `'text'`
    Str(String),
    /// a number
    Num(f64),
    /// `TRUE` / `FALSE`
    Bool(bool),
    /// `TIMESTAMP(…)`, `DATE(…)`, `INTERVAL(…)`
    Time(Span),
    /// WKT, `BBOX(…)` or GeoJSON, in the filter's CRS until [`Expr::map_geometries`]
    Geometry(Geometry<f64>),
}

/// A boolean CQL2 expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// all hold
    And(Vec<Expr>),
    /// one holds
    Or(Vec<Expr>),
    /// negation
    Not(Box<Expr>),
    /// `a op b`
    Compare(CmpOp, Operand, Operand),
    /// `a LIKE pattern` (`%` any run, `_` one character, `\` escapes)
    Like(Operand, Operand),
    /// `a BETWEEN lo AND hi` (inclusive)
    Between(Operand, Operand, Operand),
    /// `a IN (b, c, …)`
    In(Operand, Vec<Operand>),
    /// `a IS NULL`
    IsNull(Operand),
    /// `S_…(a, b)`
    Spatial(SpatialOp, Operand, Operand),
    /// `T_…(a, b)`
    Temporal(TemporalOp, Operand, Operand),
    /// `TRUE` / `FALSE`
    Literal(bool),
}

/// Parses a filter in the given encoding.
///
/// ```
/// use minqing::ogc::cql2::{self, Lang};
/// assert!(cql2::parse(r#"{"op":"=","args":[{"property":"risk"},"红"]}"#, Lang::Json).is_ok());
/// assert!(cql2::parse("risk = ", Lang::Text).is_err());
/// ```
pub fn parse(input: &str, lang: Lang) -> Result<Expr, String> {
    match lang {
        Lang::Text => text::parse(input),
        Lang::Json => json::parse(input),
    }
}

impl Expr {
    /// The properties the expression names, in order of first appearance.
    pub fn properties(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        self.visit_operands(&mut |o| {
            if let Operand::Property(p) = o
                && !out.contains(&p.as_str())
            {
                out.push(p);
            }
        });
        out
    }

    fn visit_operands<'a>(&'a self, f: &mut impl FnMut(&'a Operand)) {
        match self {
            Expr::And(v) | Expr::Or(v) => v.iter().for_each(|e| e.visit_operands(f)),
            Expr::Not(e) => e.visit_operands(f),
            Expr::Compare(_, a, b)
            | Expr::Like(a, b)
            | Expr::Spatial(_, a, b)
            | Expr::Temporal(_, a, b) => {
                f(a);
                f(b);
            }
            Expr::Between(a, b, c) => {
                f(a);
                f(b);
                f(c);
            }
            Expr::In(a, list) => {
                f(a);
                list.iter().for_each(&mut *f);
            }
            Expr::IsNull(a) => f(a),
            Expr::Literal(_) => {}
        }
    }

    /// Rewrites every geometry literal (used to bring them from `filter-crs` to lon/lat).
    pub fn map_geometries(&mut self, f: &impl Fn(&Geometry<f64>) -> Geometry<f64>) {
        let op = |o: &mut Operand| {
            if let Operand::Geometry(g) = o {
                *g = f(g);
            }
        };
        match self {
            Expr::And(v) | Expr::Or(v) => v.iter_mut().for_each(|e| e.map_geometries(f)),
            Expr::Not(e) => e.map_geometries(f),
            Expr::Spatial(_, a, b) => {
                op(a);
                op(b);
            }
            _ => {}
        }
    }

    /// Vertices of all geometry literals (bounded like every geometry in a request).
    pub fn vertex_count(&self) -> usize {
        use geo::CoordsIter;
        let mut n = 0;
        self.visit_operands(&mut |o| {
            if let Operand::Geometry(g) = o {
                n += g.coords_count();
            }
        });
        n
    }
}

/// An instant as a span of zero length.
fn instant(t: DateTime<Utc>) -> Span {
    Span {
        start: Some(t),
        end: Some(t),
    }
}

#[cfg(test)]
mod tests;
