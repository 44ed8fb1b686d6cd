//! GPX 1.0/1.1 tracks, read with quick-xml.

use super::{BadFix, Builder, ParseOptions, ParsedTracks};

/// 1-based line of a byte offset, counted forward from the last one asked.
struct Lines<'a> {
    text: &'a [u8],
    pos: usize,
    line: usize,
}

impl Lines<'_> {
    fn at(&mut self, pos: usize) -> usize {
        let pos = pos.min(self.text.len());
        if pos < self.pos {
            self.pos = 0;
            self.line = 1;
        }
        self.line += self.text[self.pos..pos]
            .iter()
            .filter(|&&c| c == b'\n')
            .count();
        self.pos = pos;
        self.line
    }
}

/// GPX: every `trkpt` (and `rtept`) with `lat`, `lon` and a `time` child. The
/// member is `?member=`, else the enclosing `trk`'s `name`.
pub(super) fn gpx(body: &str, opts: &ParseOptions) -> Result<ParsedTracks, Vec<BadFix>> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(body);
    let mut lines = Lines {
        text: body.as_bytes(),
        pos: 0,
        line: 1,
    };
    let mut b = Builder::default();
    // The point being read: its line, lat, lon and time.
    struct Pt {
        line: usize,
        lat: Result<f64, String>,
        lon: Result<f64, String>,
        time: Option<String>,
    }
    let mut pt: Option<Pt> = None;
    let mut trk_name: Option<String> = None;
    let mut path: Vec<String> = Vec::new();
    let mut seen_gpx = false;
    loop {
        let start = reader.buffer_position() as usize;
        let ev = match reader.read_event() {
            Ok(ev) => ev,
            Err(e) => {
                let line = lines.at(reader.error_position() as usize);
                return Err(vec![BadFix {
                    at: format!("line {line}"),
                    field: "xml",
                    reason: e.to_string(),
                }]);
            }
        };
        match ev {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let name = e.local_name().as_ref().to_owned();
                let empty = matches!(ev, Event::Empty(_));
                match name.as_str() {
                    "gpx" => seen_gpx = true,
                    "trk" => trk_name = None,
                    "trkpt" | "rtept" => {
                        let attr = |key: &str| -> Result<f64, String> {
                            let a = e
                                .attributes()
                                .flatten()
                                .find(|a| a.key.local_name().as_ref() == key)
                                .ok_or_else(|| "missing attribute".to_string())?;
                            let v = &a.value;
                            v.trim()
                                .parse()
                                .map_err(|_| format!("{v:?} is not a number"))
                        };
                        let line = lines.at(start);
                        let p = Pt {
                            line,
                            lat: attr("lat"),
                            lon: attr("lon"),
                            time: None,
                        };
                        if empty {
                            finish_gpx_point(&mut b, p.line, p.lat, p.lon, None, &trk_name, opts);
                        } else {
                            pt = Some(p);
                        }
                    }
                    _ => {}
                }
                if !empty {
                    path.push(name);
                }
            }
            Event::Text(t) => {
                let s = t.xml10_content().trim().to_owned();
                match path
                    .iter()
                    .rev()
                    .take(2)
                    .map(String::as_str)
                    .collect::<Vec<_>>()[..]
                {
                    ["time", "trkpt" | "rtept"] => {
                        if let Some(p) = pt.as_mut() {
                            p.time = Some(s);
                        }
                    }
                    ["name", "trk"] => trk_name = Some(s),
                    _ => {}
                }
            }
            Event::End(e) => {
                if matches!(e.local_name().as_ref(), "trkpt" | "rtept")
                    && let Some(p) = pt.take()
                {
                    finish_gpx_point(&mut b, p.line, p.lat, p.lon, p.time, &trk_name, opts);
                }
                path.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !seen_gpx {
        return Err(vec![BadFix {
            at: "line 1".into(),
            field: "gpx",
            reason: "not a GPX document (no <gpx> element)".into(),
        }]);
    }
    b.finish()
}

fn finish_gpx_point(
    b: &mut Builder,
    line: usize,
    lat: Result<f64, String>,
    lon: Result<f64, String>,
    time: Option<String>,
    trk_name: &Option<String>,
    opts: &ParseOptions,
) {
    let member = opts.member.as_deref().or(trk_name.as_deref());
    b.fix(
        &|| format!("line {line}"),
        member,
        time.as_deref(),
        lon,
        lat,
        opts.crs,
    );
}
