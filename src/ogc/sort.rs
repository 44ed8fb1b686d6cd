//! `sortby`: `name,-reported_at` (`+`/none ascending, `-` descending).

use std::cmp::Ordering;

use super::cql2::{Val, compare};

/// One sort key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortKey {
    /// property name
    pub property: String,
    /// `-` given
    pub descending: bool,
}

/// Parses `sortby`.
///
/// ```
/// use minqing::ogc::sort::parse;
/// let keys = parse("risk,-threatened_persons").unwrap();
/// assert!(keys[1].descending);
/// assert!(parse("risk,,").is_err());
/// ```
pub fn parse(raw: &str) -> Result<Vec<SortKey>, String> {
    raw.split(',')
        .map(|part| {
            // A `+` arrives as a space when the client did not percent-encode it.
            let p = part.trim_end();
            let (descending, name) = match p.chars().next() {
                Some('-') => (true, &p[1..]),
                Some('+') | Some(' ') => (false, p[1..].trim_start()),
                _ => (false, p),
            };
            if name.is_empty() {
                return Err(format!(
                    "sortby {:?} has an empty key; write name or -name, comma-separated",
                    crate::error::clip(raw)
                ));
            }
            Ok(SortKey {
                property: name.to_owned(),
                descending,
            })
        })
        .collect()
}

/// Orders two values for sorting: comparable values by their order, nulls
/// (and values that do not compare) after everything else, in either direction.
pub fn order(a: &Val, b: &Val, descending: bool) -> Ordering {
    match (matches!(a, Val::Null), matches!(b, Val::Null)) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        _ => {
            let o = compare(a, b).unwrap_or(Ordering::Equal);
            if descending { o.reverse() } else { o }
        }
    }
}
