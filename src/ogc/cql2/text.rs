//! CQL2 text: a tokenizer and a recursive-descent parser with a depth limit.

use geo_types::Geometry;
use wkt::TryFromWkt;

use super::{CmpOp, Expr, MAX_DEPTH, Operand, Span, SpatialOp, TemporalOp};
use crate::error::clip;

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    /// a bare word: keyword, function or property
    Word(String),
    /// a `"quoted"` property name
    Quoted(String),
    /// a `'text'` literal
    Str(String),
    Num(f64),
    /// `= <> < <= > >= ( ) ,`
    Sym(&'static str),
    /// a whole WKT literal, `POINT(…)` through its closing parenthesis
    Wkt(String),
}

const WKT_TYPES: [&str; 7] = [
    "POINT",
    "LINESTRING",
    "POLYGON",
    "MULTIPOINT",
    "MULTILINESTRING",
    "MULTIPOLYGON",
    "GEOMETRYCOLLECTION",
];

/// Tokens with their character offsets (for error messages).
fn tokens(input: &str) -> Result<Vec<(usize, Tok)>, String> {
    let chars: Vec<char> = input.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let at = i;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let tok = match c {
            '\'' | '"' => {
                let mut s = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => {
                            return Err(format!("unterminated {c}…{c} starting at character {at}"));
                        }
                        Some(&q) if q == c && chars.get(i + 1) == Some(&c) => {
                            s.push(c);
                            i += 2;
                        }
                        Some(&q) if q == c => {
                            i += 1;
                            break;
                        }
                        Some(&o) => {
                            s.push(o);
                            i += 1;
                        }
                    }
                }
                if c == '\'' {
                    Tok::Str(s)
                } else {
                    Tok::Quoted(s)
                }
            }
            '(' | ')' | ',' | '=' => {
                i += 1;
                Tok::Sym(match c {
                    '(' => "(",
                    ')' => ")",
                    ',' => ",",
                    _ => "=",
                })
            }
            '<' | '>' => {
                let two: String = chars[i..chars.len().min(i + 2)].iter().collect();
                let sym = match two.as_str() {
                    "<>" => "<>",
                    "<=" => "<=",
                    ">=" => ">=",
                    _ if c == '<' => "<",
                    _ => ">",
                };
                i += sym.len();
                Tok::Sym(sym)
            }
            c if c.is_ascii_digit() || c == '-' || c == '+' || c == '.' => {
                let start = i;
                i += 1;
                while i < chars.len()
                    && (chars[i].is_ascii_digit()
                        || chars[i] == '.'
                        || ((chars[i] == 'e' || chars[i] == 'E') && i > start)
                        || ((chars[i] == '-' || chars[i] == '+')
                            && matches!(chars[i - 1], 'e' | 'E')))
                {
                    i += 1;
                }
                let text: String = chars[start..i].iter().collect();
                Tok::Num(
                    text.parse::<f64>()
                        .ok()
                        .filter(|n| n.is_finite())
                        .ok_or_else(|| {
                            format!("{:?} at character {at} is not a number", clip(&text))
                        })?,
                )
            }
            c if c.is_alphabetic() || c == '_' => {
                let start = i;
                while i < chars.len()
                    && (chars[i].is_alphanumeric() || matches!(chars[i], '_' | '.' | ':'))
                {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                if WKT_TYPES.contains(&word.to_ascii_uppercase().as_str()) {
                    // The literal runs to the parenthesis that closes its first one.
                    let mut depth = 0usize;
                    let mut j = i;
                    while j < chars.len() {
                        match chars[j] {
                            '(' => depth += 1,
                            ')' => {
                                depth = depth.checked_sub(1).ok_or("unbalanced ) in WKT")?;
                                if depth == 0 {
                                    break;
                                }
                            }
                            _ => {}
                        }
                        j += 1;
                    }
                    if depth != 0 || j >= chars.len() {
                        return Err(format!("unterminated {word} literal at character {at}"));
                    }
                    i = j + 1;
                    Tok::Wkt(chars[start..i].iter().collect())
                } else {
                    Tok::Word(word)
                }
            }
            other => return Err(format!("unexpected {other:?} at character {at}")),
        };
        out.push((at, tok));
    }
    Ok(out)
}

struct Parser {
    toks: Vec<(usize, Tok)>,
    pos: usize,
    depth: usize,
}

/// Parses CQL2 text.
pub fn parse(input: &str) -> Result<Expr, String> {
    let mut p = Parser {
        toks: tokens(input)?,
        pos: 0,
        depth: 0,
    };
    if p.toks.is_empty() {
        return Err("the filter is empty".into());
    }
    let e = p.or()?;
    if let Some((at, t)) = p.toks.get(p.pos) {
        return Err(format!("unexpected {} at character {at}", show(t)));
    }
    Ok(e)
}

fn show(t: &Tok) -> String {
    match t {
        Tok::Word(w) => clip(w),
        Tok::Quoted(w) => format!("\"{}\"", clip(w)),
        Tok::Str(s) => format!("'{}'", clip(s)),
        Tok::Num(n) => n.to_string(),
        Tok::Sym(s) => (*s).to_owned(),
        Tok::Wkt(w) => clip(w),
    }
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|(_, t)| t)
    }

    fn peek_at(&self, n: usize) -> Option<&Tok> {
        self.toks.get(self.pos + n).map(|(_, t)| t)
    }

    fn where_(&self) -> String {
        match self.toks.get(self.pos) {
            Some((at, t)) => format!("{} at character {at}", show(t)),
            None => "the end of the filter".into(),
        }
    }

    fn keyword(&self, kw: &str) -> bool {
        matches!(self.peek(), Some(Tok::Word(w)) if w.eq_ignore_ascii_case(kw))
    }

    fn eat_keyword(&mut self, kw: &str) -> bool {
        let hit = self.keyword(kw);
        if hit {
            self.pos += 1;
        }
        hit
    }

    fn eat_sym(&mut self, s: &str) -> bool {
        let hit = matches!(self.peek(), Some(Tok::Sym(x)) if *x == s);
        if hit {
            self.pos += 1;
        }
        hit
    }

    fn expect_sym(&mut self, s: &str) -> Result<(), String> {
        if self.eat_sym(s) {
            Ok(())
        } else {
            Err(format!("expected {s} but found {}", self.where_()))
        }
    }

    fn deeper(&mut self) -> Result<(), String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(format!("the filter nests deeper than {MAX_DEPTH} levels"));
        }
        Ok(())
    }

    fn or(&mut self) -> Result<Expr, String> {
        self.deeper()?;
        let mut parts = vec![self.and()?];
        while self.eat_keyword("OR") {
            parts.push(self.and()?);
        }
        self.depth -= 1;
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Expr::Or(parts)
        })
    }

    fn and(&mut self) -> Result<Expr, String> {
        let mut parts = vec![self.not()?];
        while self.eat_keyword("AND") {
            parts.push(self.not()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Expr::And(parts)
        })
    }

    fn not(&mut self) -> Result<Expr, String> {
        if self.eat_keyword("NOT") {
            self.deeper()?;
            let e = self.not()?;
            self.depth -= 1;
            return Ok(Expr::Not(Box::new(e)));
        }
        self.predicate()
    }

    fn predicate(&mut self) -> Result<Expr, String> {
        if self.eat_sym("(") {
            let e = self.or()?;
            self.expect_sym(")")?;
            return Ok(e);
        }
        if let Some(Tok::Word(w)) = self.peek()
            && matches!(self.peek_at(1), Some(Tok::Sym("(")))
        {
            let w = w.clone();
            if let Some(op) = SpatialOp::parse(&w) {
                self.pos += 2;
                let (a, b) = self.two_args()?;
                return Ok(Expr::Spatial(op, a, b));
            }
            if let Some(op) = TemporalOp::parse(&w) {
                self.pos += 2;
                let (a, b) = self.two_args()?;
                return Ok(Expr::Temporal(op, a, b));
            }
        }
        let bare_bool = (self.keyword("TRUE") || self.keyword("FALSE"))
            && !matches!(self.peek_at(1), Some(Tok::Sym(s)) if *s != "(" && *s != ")" && *s != ",");
        if bare_bool {
            let v = self.keyword("TRUE");
            self.pos += 1;
            return Ok(Expr::Literal(v));
        }
        let left = self.operand()?;
        if let Some(Tok::Sym(s)) = self.peek()
            && let Some(op) = CmpOp::parse(s)
        {
            self.pos += 1;
            let right = self.operand()?;
            return Ok(Expr::Compare(op, left, right));
        }
        if self.eat_keyword("IS") {
            let negated = self.eat_keyword("NOT");
            if !self.eat_keyword("NULL") {
                return Err(format!("expected NULL but found {}", self.where_()));
            }
            let e = Expr::IsNull(left);
            return Ok(if negated { Expr::Not(Box::new(e)) } else { e });
        }
        let negated = self.eat_keyword("NOT");
        let e = if self.eat_keyword("LIKE") {
            Expr::Like(left, self.operand()?)
        } else if self.eat_keyword("BETWEEN") {
            let lo = self.operand()?;
            if !self.eat_keyword("AND") {
                return Err(format!(
                    "expected AND in BETWEEN but found {}",
                    self.where_()
                ));
            }
            Expr::Between(left, lo, self.operand()?)
        } else if self.eat_keyword("IN") {
            self.expect_sym("(")?;
            let mut list = vec![self.operand()?];
            while self.eat_sym(",") {
                list.push(self.operand()?);
            }
            self.expect_sym(")")?;
            Expr::In(left, list)
        } else if !negated && matches!(left, Operand::Property(_)) {
            // A bare boolean property is a predicate of its own.
            Expr::Compare(CmpOp::Eq, left, Operand::Bool(true))
        } else {
            return Err(format!(
                "expected a comparison (=, <>, <, <=, >, >=, LIKE, BETWEEN, IN, IS NULL) but found {}",
                self.where_()
            ));
        };
        Ok(if negated { Expr::Not(Box::new(e)) } else { e })
    }

    fn two_args(&mut self) -> Result<(Operand, Operand), String> {
        let a = self.operand()?;
        self.expect_sym(",")?;
        let b = self.operand()?;
        self.expect_sym(")")?;
        Ok((a, b))
    }

    fn string_arg(&mut self) -> Result<String, String> {
        match self.peek().cloned() {
            Some(Tok::Str(s)) => {
                self.pos += 1;
                Ok(s)
            }
            _ => Err(format!(
                "expected a 'quoted' text but found {}",
                self.where_()
            )),
        }
    }

    fn number(&mut self) -> Result<f64, String> {
        match self.peek().cloned() {
            Some(Tok::Num(n)) => {
                self.pos += 1;
                Ok(n)
            }
            _ => Err(format!("expected a number but found {}", self.where_())),
        }
    }

    fn operand(&mut self) -> Result<Operand, String> {
        let Some(t) = self.peek().cloned() else {
            return Err("the filter ends where a value was expected".into());
        };
        self.pos += 1;
        Ok(match t {
            Tok::Str(s) => Operand::Str(s),
            Tok::Num(n) => Operand::Num(n),
            Tok::Quoted(p) => Operand::Property(p),
            Tok::Wkt(w) => Operand::Geometry(
                Geometry::<f64>::try_from_wkt_str(&w)
                    .map_err(|e| format!("not valid WKT {:?}: {e}", clip(&w)))?,
            ),
            Tok::Sym(s) => {
                self.pos -= 1;
                return Err(format!(
                    "expected a value but found {s} ({})",
                    self.where_()
                ));
            }
            Tok::Word(w) => {
                let upper = w.to_ascii_uppercase();
                let call = matches!(self.peek(), Some(Tok::Sym("(")));
                match upper.as_str() {
                    "TRUE" => Operand::Bool(true),
                    "FALSE" => Operand::Bool(false),
                    "TIMESTAMP" | "DATE" if call => {
                        self.pos += 1;
                        let s = self.string_arg()?;
                        self.expect_sym(")")?;
                        Operand::Time(if upper == "DATE" {
                            Span::date(&s)?
                        } else {
                            Span::timestamp(&s)?
                        })
                    }
                    "INTERVAL" if call => {
                        self.pos += 1;
                        let a = self.string_arg()?;
                        self.expect_sym(",")?;
                        let b = self.string_arg()?;
                        self.expect_sym(")")?;
                        Operand::Time(Span::interval(&a, &b)?)
                    }
                    "BBOX" if call => {
                        self.pos += 1;
                        let mut v = vec![self.number()?];
                        while self.eat_sym(",") {
                            v.push(self.number()?);
                        }
                        self.expect_sym(")")?;
                        Operand::Geometry(bbox_polygon(&v)?)
                    }
                    _ if call => {
                        return Err(format!("unknown function {:?}", clip(&w)));
                    }
                    _ => Operand::Property(w),
                }
            }
        })
    }
}

/// A `BBOX(minx, miny, maxx, maxy)` (or the 6-number 3D form) as a rectangle.
pub(super) fn bbox_polygon(v: &[f64]) -> Result<Geometry<f64>, String> {
    let (x0, y0, x1, y1) = match *v {
        [a, b, c, d] => (a, b, c, d),
        [a, b, _, d, e, _] => (a, b, d, e),
        _ => return Err(format!("BBOX takes 4 or 6 numbers, got {}", v.len())),
    };
    if x0 > x1 || y0 > y1 {
        return Err("BBOX is reversed: expected minx, miny, maxx, maxy".into());
    }
    Ok(Geometry::Polygon(
        geo_types::Rect::new((x0, y0), (x1, y1)).to_polygon(),
    ))
}
