//! CSV of `member,time,lon,lat`.

use super::{BadFix, Builder, ParseOptions, ParsedTracks};

/// Header names (lower case) that map to each field.
const CSV_MEMBER: &[&str] = &["member", "member_id", "巡查员", "人员"];
const CSV_TIME: &[&str] = &["time", "timestamp", "datetime", "t", "时间"];
const CSV_LON: &[&str] = &["lon", "lng", "longitude", "x", "经度"];
const CSV_LAT: &[&str] = &["lat", "latitude", "y", "纬度"];

/// CSV with a header row: `member,time,lon,lat` in any order (aliases such
/// as `lng`, `longitude`, `timestamp`, 经度/纬度 accepted). Without a member
/// column, `?member=` names the member.
pub(super) fn csv(body: &str, opts: &ParseOptions) -> Result<ParsedTracks, Vec<BadFix>> {
    let mut rdr = ::csv::ReaderBuilder::new()
        .trim(::csv::Trim::All)
        .flexible(true)
        .from_reader(body.as_bytes());
    let header_problem = |reason: String| {
        vec![BadFix {
            at: "line 1".into(),
            field: "header",
            reason,
        }]
    };
    let headers = rdr
        .headers()
        .map_err(|e| header_problem(e.to_string()))?
        .clone();
    let col = |names: &[&str]| {
        headers
            .iter()
            .position(|h| names.contains(&h.to_lowercase().as_str()))
    };
    let (member_col, time_col, lon_col, lat_col) =
        (col(CSV_MEMBER), col(CSV_TIME), col(CSV_LON), col(CSV_LAT));
    let (Some(time_col), Some(lon_col), Some(lat_col)) = (time_col, lon_col, lat_col) else {
        return Err(header_problem(format!(
            "expected columns member,time,lon,lat; got {}",
            headers.iter().collect::<Vec<_>>().join(",")
        )));
    };
    let mut b = Builder::default();
    for rec in rdr.records() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                b.problem(|| format!("line {line}"), "row", e.to_string());
                continue;
            }
        };
        let line = rec.position().map_or(0, |p| p.line());
        let field = |c: usize| -> Result<f64, String> {
            match rec.get(c) {
                None | Some("") => Err("missing".into()),
                Some(s) => s.parse().map_err(|_| format!("{s:?} is not a number")),
            }
        };
        let member = member_col
            .and_then(|c| rec.get(c))
            .filter(|m| !m.is_empty())
            .or(opts.member.as_deref());
        b.fix(
            &|| format!("line {line}"),
            member,
            rec.get(time_col).filter(|t| !t.is_empty()),
            field(lon_col),
            field(lat_col),
            opts.crs,
        );
    }
    b.finish()
}
