//! One search over every named thing of the index: areas at every level (by
//! name, code and pinyin initials), hazards, shelters, key places, grid heads
//! and incident ids. The answer depends on the question and the caller's
//! rights only, never on where the map is, so the same question gets the same
//! list everywhere.

use std::cmp::Ordering;

use pinyin::ToPinyin;
use serde::Serialize;

use super::SpatialIndex;
use crate::domain::incident::category_name;

/// How well a candidate matched, best first. Codes and ids outrank names:
/// someone who types a code means that record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Match {
    /// the code or id itself
    ExactCode,
    /// the start of a code or id
    CodePrefix,
    /// the whole name
    ExactName,
    /// the start of the name
    NamePrefix,
    /// the pinyin initials of the whole name (`fcjd` → 凤城街道)
    ExactInitials,
    /// somewhere in the name
    NameContains,
    /// the start of the pinyin initials
    InitialsPrefix,
}

/// What a hit is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HitKind {
    /// district, street, community or grid
    Area,
    /// 隐患点
    Hazard,
    /// 安置点
    Shelter,
    /// 重点场所
    Place,
    /// 网格员 (the grid they head)
    Head,
    /// 事件, by id
    Incident,
}

/// One search result, as sent (`code` for areas and heads, `id` for records).
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    /// what it is
    pub kind: HitKind,
    /// area code (areas; for heads, the grid they head)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// record id (hazards, shelters, places, incidents)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// the name shown (for incidents the category, for heads the person)
    pub name: String,
    /// area level (areas and heads)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<&'static str>,
    /// what it belongs to or what it is (the grid's name for heads, the kind for hazards and places)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// owning grid (point records)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grid: Option<String>,
    /// a grid head's phone (signed-in callers only)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// WGS84 (areas: the label point)
    pub lon: f64,
    /// WGS84
    pub lat: f64,
    /// `[west, south, east, north]` (areas and heads)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bbox: Option<[f64; 4]>,
    /// how it matched (for ranking; not sent)
    #[serde(skip)]
    pub matched: Match,
}

/// Whether an incident owned by `grid` and reported by `reporter` may be found.
pub type IncidentRight<'a> = &'a dyn Fn(Option<&str>, Option<&str>) -> bool;

/// What the caller may be shown, decided by the rights policy before the search.
pub struct Rights<'a> {
    /// phone numbers of grid heads
    pub phones: bool,
    /// `None` when the caller may find no incident at all
    pub incident: Option<IncidentRight<'a>>,
}

/// The pinyin initials of a name: one lowercase letter per Chinese character,
/// ASCII letters and digits kept, everything else dropped.
///
/// ```
/// use minqing::spatial::search::initials;
/// assert_eq!(initials("凤城街道"), "fcjd");
/// assert_eq!(initials("凤城街道第1网格"), "fcjdd1wg");
/// ```
pub fn initials(name: &str) -> String {
    name.chars()
        .zip(name.to_pinyin())
        .filter_map(|(c, py)| match py {
            Some(p) => p.first_letter().chars().next(),
            None if c.is_ascii_alphanumeric() => Some(c.to_ascii_lowercase()),
            None => None,
        })
        .collect()
}

/// A question, normalised once.
struct Question {
    text: String,
    lower: String,
    /// only ASCII letters: may be pinyin initials
    letters: bool,
}

impl Question {
    fn new(q: &str) -> Question {
        let text = q.trim().to_owned();
        let lower = text.to_lowercase();
        let letters = !lower.is_empty() && lower.chars().all(|c| c.is_ascii_lowercase());
        Question {
            text,
            lower,
            letters,
        }
    }

    fn code(&self, code: &str) -> Option<Match> {
        let code = code.to_lowercase();
        if code == self.lower {
            Some(Match::ExactCode)
        } else if code.starts_with(&self.lower) {
            Some(Match::CodePrefix)
        } else {
            None
        }
    }

    fn name(&self, name: &str) -> Option<Match> {
        if name == self.text {
            return Some(Match::ExactName);
        }
        if name.starts_with(&self.text) {
            return Some(Match::NamePrefix);
        }
        if self.letters {
            let ini = initials(name);
            if ini == self.lower {
                return Some(Match::ExactInitials);
            }
            if name.to_lowercase().contains(&self.lower) {
                return Some(Match::NameContains);
            }
            if ini.starts_with(&self.lower) {
                return Some(Match::InitialsPrefix);
            }
            return None;
        }
        name.contains(&self.text).then_some(Match::NameContains)
    }

    /// The best of a code match and a name match.
    fn either(&self, code: &str, name: &str) -> Option<Match> {
        match (self.code(code), self.name(name)) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// Searches the index; best match first, at most `limit` hits. Ties are
/// broken by kind, area level, shorter name, then code or id, so the order is
/// total and the same answer comes back for the same question.
///
/// An empty question finds nothing.
pub fn search(index: &SpatialIndex, q: &str, limit: usize, rights: &Rights<'_>) -> Vec<Hit> {
    search_with(index, q, limit, rights, &[])
}

/// [`search`] over the live incidents and `history` (the history cases the
/// caller looked up in the store: found by their whole id only).
pub fn search_with(
    index: &SpatialIndex,
    q: &str,
    limit: usize,
    rights: &Rights<'_>,
    history: &[crate::domain::Incident],
) -> Vec<Hit> {
    let q = Question::new(q);
    if q.text.is_empty() || limit == 0 {
        return Vec::new();
    }
    let mut hits = Vec::new();
    for e in &index.areas.entries {
        let a = &e.area;
        let b = e.bbox;
        let bbox = Some([b.min_lon, b.min_lat, b.max_lon, b.max_lat]);
        let level = Some(a.level().as_str());
        if let Some(m) = q.either(a.code.as_str(), &a.name) {
            hits.push(Hit {
                kind: HitKind::Area,
                code: Some(a.code.as_str().to_owned()),
                id: None,
                name: a.name.clone(),
                level,
                context: None,
                grid: None,
                phone: None,
                lon: e.label.0,
                lat: e.label.1,
                bbox,
                matched: m,
            });
        }
        if let Some(head) = &a.head
            && let Some(m) = q.name(&head.name)
        {
            hits.push(Hit {
                kind: HitKind::Head,
                code: Some(a.code.as_str().to_owned()),
                id: None,
                name: head.name.clone(),
                level,
                context: Some(a.name.clone()),
                grid: None,
                phone: rights.phones.then(|| head.phone.clone()),
                lon: e.label.0,
                lat: e.label.1,
                bbox,
                matched: m,
            });
        }
    }
    let grid_code = |g: Option<u32>| {
        g.map(|g| {
            index.areas.entries[g as usize]
                .area
                .code
                .as_str()
                .to_owned()
        })
    };
    let point = |kind, id: &str, name: &str, context: Option<String>, grid, lon, lat, m| Hit {
        kind,
        code: None,
        id: Some(id.to_owned()),
        name: name.to_owned(),
        level: None,
        context,
        grid,
        phone: None,
        lon,
        lat,
        bbox: None,
        matched: m,
    };
    for (i, h) in index.hazards.items.iter().enumerate() {
        if let Some(m) = q.either(&h.id, &h.name) {
            let g = grid_code(index.hazards.grid[i]);
            let ctx = Some(h.kind.clone());
            hits.push(point(
                HitKind::Hazard,
                &h.id,
                &h.name,
                ctx,
                g,
                h.lon,
                h.lat,
                m,
            ));
        }
    }
    for (i, s) in index.shelters.items.iter().enumerate() {
        if let Some(m) = q.either(&s.id, &s.name) {
            let g = grid_code(index.shelters.grid[i]);
            hits.push(point(
                HitKind::Shelter,
                &s.id,
                &s.name,
                None,
                g,
                s.lon,
                s.lat,
                m,
            ));
        }
    }
    for (i, p) in index.places.items.iter().enumerate() {
        if let Some(m) = q.either(&p.id, &p.name) {
            let g = grid_code(index.places.grid[i]);
            let ctx = Some(p.kind.clone());
            hits.push(point(
                HitKind::Place,
                &p.id,
                &p.name,
                ctx,
                g,
                p.lon,
                p.lat,
                m,
            ));
        }
    }
    // Incidents are found by id only (their descriptions are free text
    // about people), and only those the caller may read.
    if let Some(may) = rights.incident {
        for inc in index.live_incidents().chain(history) {
            let Some(m) = q.code(&inc.id) else { continue };
            if !may(inc.grid.as_deref(), inc.reporter.as_deref()) {
                continue;
            }
            hits.push(point(
                HitKind::Incident,
                &inc.id,
                category_name(&inc.category),
                None,
                inc.grid.clone(),
                inc.lon,
                inc.lat,
                m,
            ));
        }
    }
    hits.sort_by(rank);
    hits.truncate(limit);
    hits
}

fn level_rank(level: Option<&str>) -> u8 {
    match level {
        Some("district") => 0,
        Some("street") => 1,
        Some("community") => 2,
        Some("grid") => 3,
        _ => 4,
    }
}

/// The total order of hits.
fn rank(a: &Hit, b: &Hit) -> Ordering {
    a.matched
        .cmp(&b.matched)
        .then(a.kind.cmp(&b.kind))
        .then(level_rank(a.level).cmp(&level_rank(b.level)))
        .then(a.name.chars().count().cmp(&b.name.chars().count()))
        .then_with(|| a.code.cmp(&b.code))
        .then_with(|| a.id.cmp(&b.id))
        .then_with(|| a.name.cmp(&b.name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_outrank_names_and_names_outrank_initials() {
        let q = Question::new("fcjd");
        assert_eq!(q.name("凤城街道"), Some(Match::ExactInitials));
        assert_eq!(
            q.name("凤城街道第1网格"),
            Some(Match::InitialsPrefix),
            "initials of a longer name are a prefix match"
        );
        let q = Question::new("441802");
        assert_eq!(q.code("441802"), Some(Match::ExactCode));
        assert_eq!(q.code("441802006"), Some(Match::CodePrefix));
        assert!(Match::ExactCode < Match::CodePrefix);
        assert!(Match::CodePrefix < Match::ExactName);
        assert!(Match::NameContains < Match::InitialsPrefix);
    }

    #[test]
    fn ids_match_without_regard_to_case() {
        let q = Question::new("hz0001");
        assert_eq!(q.code("HZ0001"), Some(Match::ExactCode));
    }
}
