//! CQL2 JSON: `{"op": …, "args": […]}` trees.

use geo_types::Geometry;
use serde_json::Value;

use super::{CmpOp, Expr, MAX_DEPTH, Operand, Span, SpatialOp, TemporalOp};
use crate::error::clip;

/// Parses CQL2 JSON.
pub fn parse(input: &str) -> Result<Expr, String> {
    // serde_json has its own recursion limit (128), so a hostile nesting fails here first.
    let v: Value = serde_json::from_str(input).map_err(|e| format!("not JSON: {e}"))?;
    expr(&v, 0)
}

fn short(v: &Value) -> String {
    clip(&v.to_string())
}

fn args(v: &Value) -> Result<(&str, &[Value]), String> {
    let op = v
        .get("op")
        .and_then(Value::as_str)
        .ok_or_else(|| format!("expected {{\"op\", \"args\"}}, got {}", short(v)))?;
    let args = v
        .get("args")
        .and_then(Value::as_array)
        .ok_or_else(|| format!("\"{op}\" needs an \"args\" array"))?;
    Ok((op, args))
}

fn arity<const N: usize>(op: &str, a: &[Value]) -> Result<[Value; N], String> {
    <[Value; N]>::try_from(a.to_vec())
        .map_err(|_| format!("\"{op}\" takes {N} arguments, got {}", a.len()))
}

fn expr(v: &Value, depth: usize) -> Result<Expr, String> {
    if depth > MAX_DEPTH {
        return Err(format!("the filter nests deeper than {MAX_DEPTH} levels"));
    }
    if let Value::Bool(b) = v {
        return Ok(Expr::Literal(*b));
    }
    let (op, a) = args(v)?;
    let lower = op.to_ascii_lowercase();
    Ok(match lower.as_str() {
        "and" | "or" => {
            if a.len() < 2 {
                return Err(format!("\"{op}\" takes at least 2 arguments"));
            }
            let parts = a
                .iter()
                .map(|x| expr(x, depth + 1))
                .collect::<Result<Vec<_>, _>>()?;
            if lower == "and" {
                Expr::And(parts)
            } else {
                Expr::Or(parts)
            }
        }
        "not" => {
            let [x] = arity::<1>(op, a)?;
            Expr::Not(Box::new(expr(&x, depth + 1)?))
        }
        "like" => {
            let [x, y] = arity::<2>(op, a)?;
            Expr::Like(operand(&x)?, operand(&y)?)
        }
        "between" => {
            let [x, y, z] = arity::<3>(op, a)?;
            Expr::Between(operand(&x)?, operand(&y)?, operand(&z)?)
        }
        "in" => {
            let [x, list] = arity::<2>(op, a)?;
            let list = list
                .as_array()
                .ok_or("\"in\" takes a value and an array of values")?
                .iter()
                .map(operand)
                .collect::<Result<Vec<_>, _>>()?;
            Expr::In(operand(&x)?, list)
        }
        "isnull" => {
            let [x] = arity::<1>(op, a)?;
            Expr::IsNull(operand(&x)?)
        }
        _ => {
            if let Some(c) = CmpOp::parse(op) {
                let [x, y] = arity::<2>(op, a)?;
                Expr::Compare(c, operand(&x)?, operand(&y)?)
            } else if let Some(s) = SpatialOp::parse(op) {
                let [x, y] = arity::<2>(op, a)?;
                Expr::Spatial(s, operand(&x)?, operand(&y)?)
            } else if let Some(t) = TemporalOp::parse(op) {
                let [x, y] = arity::<2>(op, a)?;
                Expr::Temporal(t, operand(&x)?, operand(&y)?)
            } else {
                return Err(format!("unknown operator {:?}", clip(op)));
            }
        }
    })
}

fn text<'a>(v: &'a Value, what: &str) -> Result<&'a str, String> {
    v.as_str()
        .ok_or_else(|| format!("{what} takes text, got {}", short(v)))
}

fn operand(v: &Value) -> Result<Operand, String> {
    Ok(match v {
        Value::String(s) => Operand::Str(s.clone()),
        Value::Number(n) => Operand::Num(n.as_f64().ok_or("number out of range")?),
        Value::Bool(b) => Operand::Bool(*b),
        Value::Object(o) => {
            if let Some(p) = o.get("property") {
                Operand::Property(text(p, "\"property\"")?.to_owned())
            } else if let Some(t) = o.get("timestamp") {
                Operand::Time(Span::timestamp(text(t, "\"timestamp\"")?)?)
            } else if let Some(d) = o.get("date") {
                Operand::Time(Span::date(text(d, "\"date\"")?)?)
            } else if let Some(i) = o.get("interval") {
                match i.as_array().map(Vec::as_slice) {
                    Some([a, b]) => {
                        let end = |x: &Value| -> Result<String, String> {
                            Ok(match x {
                                Value::Object(o) => o
                                    .get("timestamp")
                                    .or_else(|| o.get("date"))
                                    .and_then(Value::as_str)
                                    .ok_or("an interval end is text, a timestamp or a date")?
                                    .to_owned(),
                                other => text(other, "an interval end")?.to_owned(),
                            })
                        };
                        Operand::Time(Span::interval(&end(a)?, &end(b)?)?)
                    }
                    _ => return Err("\"interval\" takes two ends".into()),
                }
            } else if let Some(b) = o.get("bbox") {
                let nums = b
                    .as_array()
                    .ok_or("\"bbox\" takes an array of numbers")?
                    .iter()
                    .map(|n| n.as_f64().ok_or("\"bbox\" takes numbers"))
                    .collect::<Result<Vec<f64>, _>>()?;
                Operand::Geometry(super::text::bbox_polygon(&nums)?)
            } else if o.contains_key("type") {
                let g: geojson::Geometry = serde_json::from_value(v.clone())
                    .map_err(|e| format!("not a GeoJSON geometry: {e}"))?;
                Operand::Geometry(
                    Geometry::<f64>::try_from(g)
                        .map_err(|e| format!("unusable GeoJSON geometry: {e}"))?,
                )
            } else {
                return Err(format!("unknown value {}", short(v)));
            }
        }
        other => return Err(format!("unknown value {}", short(other))),
    })
}
