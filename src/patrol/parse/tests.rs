use super::*;
use chrono::TimeZone;

fn opts() -> ParseOptions {
    ParseOptions::default()
}

fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, h, m, s).unwrap()
}

#[test]
fn json_batch_gives_one_member_and_its_points_in_order() {
    let body = r#"{"member":"M7","points":[
        {"lon":113.01,"lat":23.01,"time":"2026-06-01T08:00:00+08:00"},
        {"lon":"113.0101","lat":23.01,"time":"2026-06-01T00:00:10Z"}]}"#;
    let t = parse(Format::Json, body, &opts()).unwrap();
    assert_eq!(t.members, vec!["M7"]);
    assert_eq!(t.points.len(), 2);
    assert_eq!(t.points[0].time, at(0, 0, 0), "08:00+08:00 is midnight UTC");
    assert_eq!(
        t.points[1].lon, 113.0101,
        "numbers sent as strings are read"
    );
}

#[test]
fn json_batch_reports_every_bad_point_by_path() {
    let body = r#"{"member":"M7","points":[
        {"lon":200,"lat":23.01,"time":"2026-06-01T08:00:00+08:00"},
        {"lon":113.0,"lat":23.01,"time":"noon"},
        {"lat":23.01,"time":"2026-06-01T08:00:00+08:00"}]}"#;
    let e = parse(Format::Json, body, &opts()).unwrap_err();
    let text: Vec<String> = e.iter().map(ToString::to_string).collect();
    assert_eq!(text.len(), 3, "one problem per bad point: {text:?}");
    assert!(text[0].starts_with("points[0]: lon:"), "{}", text[0]);
    assert!(text[1].starts_with("points[1]: time:"), "{}", text[1]);
    assert_eq!(text[2], "points[2]: lon: missing");
}

#[test]
fn json_without_a_member_uses_the_query_member_or_fails() {
    let body = r#"{"points":[{"lon":113.0,"lat":23.0,"time":"2026-06-01T08:00:00+08:00"}]}"#;
    let e = parse(Format::Json, body, &opts()).unwrap_err();
    assert_eq!(e[0].field, "member");
    let o = ParseOptions {
        member: Some("Q1".into()),
        ..opts()
    };
    assert_eq!(parse(Format::Json, body, &o).unwrap().members, vec!["Q1"]);
}

#[test]
fn geojson_linestring_takes_times_from_properties_times_or_coord_times() {
    for key in ["times", "coordTimes"] {
        let body = format!(
            r#"{{"type":"FeatureCollection","features":[{{"type":"Feature",
              "properties":{{"member":"M2","{key}":["2026-06-01T00:00:00Z","2026-06-01T00:00:10Z"]}},
              "geometry":{{"type":"LineString","coordinates":[[113.0,23.0,12.5],[113.001,23.0]]}}}}]}}"#
        );
        let t = parse(Format::Json, &body, &opts()).unwrap();
        assert_eq!(t.members, vec!["M2"], "{key}");
        assert_eq!(t.points.len(), 2, "{key}");
        assert_eq!(t.points[1].time, at(0, 0, 10), "{key}");
    }
}

#[test]
fn geojson_multipoint_with_too_few_times_is_rejected() {
    let body = r#"{"type":"Feature","properties":{"member":"M2","times":["2026-06-01T00:00:00Z"]},
        "geometry":{"type":"MultiPoint","coordinates":[[113.0,23.0],[113.001,23.0]]}}"#;
    let e = parse(Format::GeoJson, body, &opts()).unwrap_err();
    assert_eq!(
        e[0].to_string(),
        "features[0]: times: 1 times for 2 coordinates"
    );
}

#[test]
fn geojson_multilinestring_with_nested_coord_times() {
    let body = r#"{"type":"Feature","properties":{"member":"M3","coordTimes":[["2026-06-01T00:00:00Z"],["2026-06-01T00:01:00Z","2026-06-01T00:01:10Z"]]},
        "geometry":{"type":"MultiLineString","coordinates":[[[113.0,23.0]],[[113.001,23.0],[113.002,23.0]]]}}"#;
    let t = parse(Format::GeoJson, body, &opts()).unwrap();
    assert_eq!(t.points.len(), 3);
    assert_eq!(t.points[2].time, at(0, 1, 10));
}

const GPX: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1">
  <trk><name>M9</name>
    <trkseg>
      <trkpt lat="23.01" lon="113.01"><ele>20</ele><time>2026-06-01T00:00:00Z</time></trkpt>
      <trkpt lat="23.0101" lon="113.01"><time>2026-06-01T00:00:10Z</time></trkpt>
    </trkseg>
  </trk>
</gpx>"#;

#[test]
fn gpx_track_points_with_the_track_name_as_member() {
    let t = parse(Format::Gpx, GPX, &opts()).unwrap();
    assert_eq!(t.members, vec!["M9"], "the trk name names the member");
    assert_eq!(t.points.len(), 2);
    assert_eq!((t.points[1].lon, t.points[1].lat), (113.01, 23.0101));
    let o = ParseOptions {
        member: Some("Q".into()),
        ..opts()
    };
    assert_eq!(
        parse(Format::Gpx, GPX, &o).unwrap().members,
        vec!["Q"],
        "?member= wins"
    );
}

#[test]
fn gpx_problems_name_the_line_of_the_point() {
    let bad = GPX
        .replace(r#"lat="23.0101""#, r#"lat="north""#)
        .replace("<time>2026-06-01T00:00:00Z</time>", "");
    let e = parse(Format::Gpx, &bad, &opts()).unwrap_err();
    let text: Vec<String> = e.iter().map(ToString::to_string).collect();
    assert_eq!(
        text,
        vec![
            "line 5: time: missing",
            "line 6: lat: \"north\" is not a number"
        ]
    );
    let broken = parse(Format::Gpx, "<gpx><trk>", &opts());
    assert!(broken.is_err() || broken.unwrap().points.is_empty());
    assert_eq!(
        parse(Format::Gpx, "<kml/>", &opts()).unwrap_err()[0].field,
        "gpx"
    );
}

#[test]
fn csv_with_columns_in_any_order_and_several_members() {
    let body = "\u{feff}lat,lon,Time,member\n23.0,113.0,2026-06-01 08:00:00,A\n23.0,113.001,2026-06-01T00:00:10Z,B\n";
    let t = parse(Format::Csv, body, &opts()).unwrap();
    assert_eq!(t.members, vec!["A", "B"]);
    assert_eq!(
        t.points[0].time,
        at(0, 0, 0),
        "a time without offset is Beijing time"
    );
    assert_eq!(t.points[1].member, 1);
}

#[test]
fn csv_problems_name_line_and_field_with_the_header_as_line_1() {
    let body = "member,time,lon,lat\nA,2026-06-01T00:00:00Z,113.0,23.0\nA,soon,113.0,23.0\nA,2026-06-01T00:00:00Z,,23.0\n";
    let e = parse(Format::Csv, body, &opts()).unwrap_err();
    let text: Vec<String> = e.iter().map(ToString::to_string).collect();
    assert_eq!(text.len(), 2, "{text:?}");
    assert!(text[0].starts_with("line 3: time:"), "{}", text[0]);
    assert_eq!(text[1], "line 4: lon: missing");
    let e = parse(Format::Csv, "a,b\n1,2\n", &opts()).unwrap_err();
    assert_eq!(e[0].at, "line 1");
}

#[test]
fn gcj02_input_is_converted_to_wgs84() {
    let (lon, lat) = coordtransform::wgs84_to_gcj02(113.05, 23.05);
    let body = format!("member,time,lon,lat\nA,2026-06-01T00:00:00Z,{lon},{lat}\n");
    let o = ParseOptions {
        crs: Crs::Gcj02,
        ..opts()
    };
    let t = parse(Format::Csv, &body, &o).unwrap();
    let d = crate::spatial::haversine_m(t.points[0].lon, t.points[0].lat, 113.05, 23.05);
    assert!(
        d < 0.05,
        "GCJ-02 input lands on the WGS84 truth, off by {d} m"
    );
}
