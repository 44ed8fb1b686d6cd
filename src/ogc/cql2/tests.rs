//! CQL2 as tables: expressions with the answer they give for one hazard and
//! one incident, and refused input with the words the refusal must contain.

use std::borrow::Cow;

use geo_types::{Geometry, Point};

use super::*;

/// A red hazard at 113.01, 23.01 and an incident reported on 1 May 2026.
struct Rec;

impl Record for Rec {
    fn value(&self, p: &str) -> Val<'_> {
        match p {
            "risk" => Val::Str(Cow::Borrowed("红")),
            "name" => Val::Str(Cow::Borrowed("HZ1滑坡")),
            "threatened_persons" => Val::Num(30.0),
            "overdue" => Val::Bool(true),
            "reported_at" => Val::Str(Cow::Borrowed("2026-05-01T10:00:00+08:00")),
            "geometry" => Val::Geom(Cow::Owned(Geometry::Point(Point::new(113.01, 23.01)))),
            _ => Val::Null,
        }
    }
}

#[test]
fn text_filters_evaluate_as_the_standard_says() {
    let cases: &[(&str, bool, &str)] = &[
        ("risk = '红'", true, "equal text"),
        ("risk <> '红'", false, "not equal"),
        ("risk='橙'", false, "no spaces needed"),
        ("threatened_persons > 10 AND risk = '红'", true, "and"),
        ("threatened_persons < 10 OR risk = '红'", true, "or"),
        ("NOT (risk = '红')", false, "not"),
        (
            "(risk = '红') AND (threatened_persons >= 30)",
            true,
            "GDAL's parenthesised form",
        ),
        ("threatened_persons <= 29.5", false, "decimal"),
        (
            "threatened_persons BETWEEN 10 AND 30",
            true,
            "between is inclusive",
        ),
        (
            "threatened_persons NOT BETWEEN 10 AND 30",
            false,
            "not between",
        ),
        ("risk IN ('橙', '红')", true, "in"),
        ("risk NOT IN ('橙')", true, "not in"),
        ("name LIKE 'HZ%'", true, "like with %"),
        ("name LIKE 'HZ_滑坡'", true, "like with _"),
        (
            "name like 'hz%'",
            false,
            "like is case-sensitive, keywords are not",
        ),
        ("shelter IS NULL", true, "absent is null"),
        ("risk IS NOT NULL", true, "is not null"),
        ("\"risk\" = '红'", true, "quoted property name"),
        ("overdue", true, "a bare boolean property"),
        ("overdue = FALSE", false, "boolean literal"),
        ("TRUE", true, "literal true"),
        ("risk = 'it''s'", false, "doubled quote escapes"),
        (
            "threatened_persons = '30'",
            false,
            "text never equals a number",
        ),
        (
            "S_INTERSECTS(geometry, POLYGON((113 23, 113.05 23, 113.05 23.05, 113 23.05, 113 23)))",
            true,
            "point in polygon",
        ),
        (
            "s_intersects(geometry, BBOX(113.05, 23, 113.1, 23.05))",
            false,
            "bbox elsewhere",
        ),
        (
            "S_WITHIN(geometry, BBOX(113, 23, 113.05, 23.05))",
            true,
            "within",
        ),
        (
            "S_DISJOINT(geometry, POINT(113.02 23.02))",
            true,
            "disjoint",
        ),
        ("S_EQUALS(geometry, POINT(113.01 23.01))", true, "equals"),
        (
            "T_AFTER(reported_at, TIMESTAMP('2026-05-01T00:00:00Z'))",
            true,
            "after",
        ),
        (
            "T_BEFORE(reported_at, TIMESTAMP('2026-05-01T00:00:00Z'))",
            false,
            "before",
        ),
        (
            "T_INTERSECTS(reported_at, INTERVAL('2026-04-30T00:00:00Z', '..'))",
            true,
            "open interval",
        ),
        (
            "T_INTERSECTS(reported_at, DATE('2026-05-01'))",
            true,
            "a date is the whole Shanghai day",
        ),
        (
            "T_INTERSECTS(reported_at, DATE('2026-04-30'))",
            false,
            "the day before",
        ),
        (
            "T_DURING(reported_at, INTERVAL('2026-05-01', '2026-05-02'))",
            true,
            "during",
        ),
        (
            "reported_at > TIMESTAMP('2026-05-01T01:59:59Z')",
            true,
            "time comparison",
        ),
        (
            "T_INTERSECTS(reported_at, INTERVAL('..', '2026-04-01T00:00:00Z'))",
            false,
            "open start",
        ),
    ];
    for (text, want, why) in cases {
        let e = parse(text, Lang::Text).unwrap_or_else(|err| panic!("{text}: {err}"));
        assert_eq!(matches(&e, &Rec), *want, "{text}: {why}");
    }
}

#[test]
fn json_filters_evaluate_like_their_text_twins() {
    let cases: &[(&str, bool, &str)] = &[
        (
            r#"{"op":"=","args":[{"property":"risk"},"红"]}"#,
            true,
            "equal",
        ),
        (
            r#"{"op":"and","args":[{"op":">","args":[{"property":"threatened_persons"},10]},{"op":"=","args":[{"property":"risk"},"红"]}]}"#,
            true,
            "and",
        ),
        (
            r#"{"op":"not","args":[{"op":"isNull","args":[{"property":"risk"}]}]}"#,
            true,
            "not null",
        ),
        (
            r#"{"op":"in","args":[{"property":"risk"},["橙","蓝"]]}"#,
            false,
            "in",
        ),
        (
            r#"{"op":"like","args":[{"property":"name"},"%滑坡"]}"#,
            true,
            "like",
        ),
        (
            r#"{"op":"between","args":[{"property":"threatened_persons"},31,40]}"#,
            false,
            "between",
        ),
        (
            r#"{"op":"s_intersects","args":[{"property":"geometry"},{"type":"Polygon","coordinates":[[[113,23],[113.05,23],[113.05,23.05],[113,23.05],[113,23]]]}]}"#,
            true,
            "GeoJSON polygon",
        ),
        (
            r#"{"op":"s_intersects","args":[{"property":"geometry"},{"bbox":[113.05,23,113.1,23.05]}]}"#,
            false,
            "bbox literal",
        ),
        (
            r#"{"op":"t_after","args":[{"property":"reported_at"},{"timestamp":"2026-05-01T00:00:00Z"}]}"#,
            true,
            "after",
        ),
        (
            r#"{"op":"t_intersects","args":[{"property":"reported_at"},{"interval":["2026-05-02",".."]}]}"#,
            false,
            "later interval",
        ),
        ("true", true, "literal"),
    ];
    for (text, want, why) in cases {
        let e = parse(text, Lang::Json).unwrap_or_else(|err| panic!("{text}: {err}"));
        assert_eq!(matches(&e, &Rec), *want, "{text}: {why}");
    }
}

#[test]
fn malformed_filters_are_refused_with_a_reason() {
    let deep = format!("{}risk = '红'{}", "(".repeat(200), ")".repeat(200));
    let cases: Vec<(String, Lang, &str, &str)> = vec![
        ("".into(), Lang::Text, "empty", "nothing to parse"),
        ("risk = ".into(), Lang::Text, "ends where a value", "missing right side"),
        ("risk == '红'".into(), Lang::Text, "expected a value", "doubled operator"),
        ("risk = '红".into(), Lang::Text, "unterminated", "open quote"),
        ("risk = '红' AND".into(), Lang::Text, "ends where a value", "dangling AND"),
        ("(risk = '红'".into(), Lang::Text, "expected )", "open parenthesis"),
        ("risk = '红')".into(), Lang::Text, "unexpected )", "stray parenthesis"),
        ("risk ~ '红'".into(), Lang::Text, "unexpected '~'", "unknown symbol"),
        ("S_NEAR(geometry, POINT(1 2))".into(), Lang::Text, "unknown function", "no such function"),
        ("S_INTERSECTS(geometry, POLYGON((1 2, 3 4)".into(), Lang::Text, "unterminated POLYGON", "cut WKT"),
        ("S_INTERSECTS(geometry, POINT(1))".into(), Lang::Text, "WKT", "bad WKT"),
        ("T_AFTER(reported_at, TIMESTAMP('soon'))".into(), Lang::Text, "RFC 3339", "bad timestamp"),
        ("T_AFTER(reported_at, INTERVAL('2026-05-02', '2026-05-01'))".into(), Lang::Text, "ends before", "reversed interval"),
        ("BBOX(3, 0, 1, 1) IS NULL".into(), Lang::Text, "reversed", "reversed bbox"),
        (deep, Lang::Text, "deeper", "nesting bomb"),
        ("{".into(), Lang::Json, "not JSON", "broken JSON"),
        (r#"{"op":"~","args":[1,2]}"#.into(), Lang::Json, "unknown operator", "unknown op"),
        (r#"{"op":"=","args":[1]}"#.into(), Lang::Json, "takes 2", "wrong arity"),
        (r#"{"op":"=","args":[{"prop":"x"},1]}"#.into(), Lang::Json, "unknown value", "unknown operand"),
        (r#"{"op":"and","args":[true]}"#.into(), Lang::Json, "at least 2", "lonely and"),
        (r#"{"op":"s_intersects","args":[{"property":"geometry"},{"type":"Polygon","coordinates":1}]}"#.into(), Lang::Json, "GeoJSON", "bad GeoJSON"),
    ];
    for (text, lang, words, why) in cases {
        match parse(&text, lang) {
            Ok(e) => panic!("{why}: {text:?} parsed as {e:?}"),
            Err(err) => assert!(
                err.contains(words),
                "{why}: {text:?} → {err:?} should say {words:?}"
            ),
        }
    }
}

#[test]
fn properties_are_listed_once_in_order() {
    let e = parse(
        "b = 1 AND (a = 2 OR b = 3) AND S_INTERSECTS(geometry, POINT(1 2))",
        Lang::Text,
    )
    .unwrap();
    assert_eq!(e.properties(), ["b", "a", "geometry"]);
}
