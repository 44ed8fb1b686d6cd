//! Evaluation of a CQL2 expression against one record.

use std::borrow::Cow;
use std::cmp::Ordering;

use chrono::{DateTime, Utc};
use geo::{Intersects, Relate};
use geo_types::Geometry;

use super::{CmpOp, Expr, Operand, Span, SpatialOp};

/// A value of a record or a literal.
#[derive(Debug, Clone)]
pub enum Val<'a> {
    /// absent or null
    Null,
    /// text
    Str(Cow<'a, str>),
    /// number
    Num(f64),
    /// boolean
    Bool(bool),
    /// instant or interval
    Time(Span),
    /// geometry, lon/lat
    Geom(Cow<'a, Geometry<f64>>),
}

/// A record a filter is evaluated against (a feature after the rights policy chose it).
pub trait Record {
    /// The value of a property (`Val::Null` when absent); the spatial property is a `Geom`.
    fn value(&self, property: &str) -> Val<'_>;
}

fn operand<'a, R: Record>(o: &'a Operand, r: &'a R) -> Val<'a> {
    match o {
        Operand::Property(p) => r.value(p),
        Operand::Str(s) => Val::Str(Cow::Borrowed(s)),
        Operand::Num(n) => Val::Num(*n),
        Operand::Bool(b) => Val::Bool(*b),
        Operand::Time(t) => Val::Time(*t),
        Operand::Geometry(g) => Val::Geom(Cow::Borrowed(g)),
    }
}

fn as_time(v: &Val) -> Option<Span> {
    match v {
        Val::Time(t) => Some(*t),
        Val::Str(s) => DateTime::parse_from_rfc3339(s).ok().map(|t| {
            let t: DateTime<Utc> = t.with_timezone(&Utc);
            super::instant(t)
        }),
        _ => None,
    }
}

/// Orders two values of the same kind; `None` when they do not compare
/// (different kinds, or a null: comparisons with null are never true).
/// Text compares with a time when it reads as RFC 3339 (stored times are text).
///
/// ```
/// use minqing::ogc::cql2::{Val, compare};
/// use std::cmp::Ordering;
/// assert_eq!(compare(&Val::Num(1.0), &Val::Num(2.0)), Some(Ordering::Less));
/// assert_eq!(compare(&Val::Num(1.0), &Val::Null), None);
/// ```
pub fn compare(a: &Val, b: &Val) -> Option<Ordering> {
    match (a, b) {
        (Val::Num(x), Val::Num(y)) => x.partial_cmp(y),
        (Val::Bool(x), Val::Bool(y)) => Some(x.cmp(y)),
        (Val::Str(x), Val::Str(y)) => Some(x.cmp(y)),
        (Val::Time(_), Val::Str(_))
        | (Val::Str(_), Val::Time(_))
        | (Val::Time(_), Val::Time(_)) => {
            let (x, y) = (as_time(a)?, as_time(b)?);
            Some((x.start, x.end).cmp(&(y.start, y.end)))
        }
        _ => None,
    }
}

fn cmp_holds(op: CmpOp, a: &Val, b: &Val) -> bool {
    let Some(o) = compare(a, b) else {
        return false;
    };
    match op {
        CmpOp::Eq => o == Ordering::Equal,
        CmpOp::Ne => o != Ordering::Equal,
        CmpOp::Lt => o == Ordering::Less,
        CmpOp::Le => o != Ordering::Greater,
        CmpOp::Gt => o == Ordering::Greater,
        CmpOp::Ge => o != Ordering::Less,
    }
}

/// SQL `LIKE`: `%` any run, `_` one character, `\` escapes the next.
fn like(text: &[char], pat: &[char]) -> bool {
    match pat.split_first() {
        None => text.is_empty(),
        Some(('%', rest)) => (0..=text.len()).any(|i| like(&text[i..], rest)),
        Some(('_', rest)) => !text.is_empty() && like(&text[1..], rest),
        Some(('\\', rest)) if !rest.is_empty() => {
            text.first() == Some(&rest[0]) && like(&text[1..], &rest[1..])
        }
        Some((c, rest)) => text.first() == Some(c) && like(&text[1..], rest),
    }
}

fn spatial(op: SpatialOp, a: &Geometry<f64>, b: &Geometry<f64>) -> bool {
    match op {
        // The common case, answered without a full intersection matrix.
        SpatialOp::Intersects => a.intersects(b),
        SpatialOp::Disjoint => !a.intersects(b),
        _ => {
            let m = a.relate(b);
            match op {
                SpatialOp::Within => m.is_within(),
                SpatialOp::Contains => m.is_contains(),
                SpatialOp::Touches => m.is_touches(),
                SpatialOp::Overlaps => m.is_overlaps(),
                SpatialOp::Crosses => m.is_crosses(),
                _ => m.is_equal_topo(),
            }
        }
    }
}

/// Whether the record satisfies the expression (two-valued: what cannot be
/// decided, such as a comparison with null, is false).
pub fn matches<R: Record>(e: &Expr, r: &R) -> bool {
    match e {
        Expr::And(v) => v.iter().all(|x| matches(x, r)),
        Expr::Or(v) => v.iter().any(|x| matches(x, r)),
        Expr::Not(x) => !matches(x, r),
        Expr::Literal(b) => *b,
        Expr::Compare(op, a, b) => cmp_holds(*op, &operand(a, r), &operand(b, r)),
        Expr::Like(a, p) => match (operand(a, r), operand(p, r)) {
            (Val::Str(t), Val::Str(p)) => {
                let t: Vec<char> = t.chars().collect();
                let p: Vec<char> = p.chars().collect();
                like(&t, &p)
            }
            _ => false,
        },
        Expr::Between(a, lo, hi) => {
            let v = operand(a, r);
            cmp_holds(CmpOp::Ge, &v, &operand(lo, r)) && cmp_holds(CmpOp::Le, &v, &operand(hi, r))
        }
        Expr::In(a, list) => {
            let v = operand(a, r);
            list.iter()
                .any(|o| cmp_holds(CmpOp::Eq, &v, &operand(o, r)))
        }
        Expr::IsNull(a) => matches!(operand(a, r), Val::Null),
        Expr::Spatial(op, a, b) => match (operand(a, r), operand(b, r)) {
            (Val::Geom(x), Val::Geom(y)) => spatial(*op, &x, &y),
            _ => false,
        },
        Expr::Temporal(op, a, b) => match (as_time(&operand(a, r)), as_time(&operand(b, r))) {
            (Some(x), Some(y)) => op.holds(&x, &y),
            _ => false,
        },
    }
}
