//! 预警区 warning areas: issued, extended and lifted by the flood role, the
//! command centre and admins; grid heads see the ones touching their grids and
//! confirm their hazards. The CAP 1.2 mapping is a table; the record and its
//! history are plain data (stored as one JSON document per warning).

use chrono::{DateTime, Utc};
use geo_types::MultiPolygon;
use serde::{Deserialize, Serialize};

use super::Risk;

/// Kinds a warning names (the UI offers these; others are accepted as text).
pub const WARNING_KINDS: [&str; 6] = ["暴雨", "山洪", "地质灾害", "台风", "内涝", "洪水"];

/// A warning's state. `Expired` is not stored: it is `Active` past `until`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WarningStatus {
    /// in force
    Active,
    /// lifted before `until`
    Lifted,
    /// `until` has passed
    Expired,
}

/// One step in a warning's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WarningEvent {
    /// when
    pub at: DateTime<Utc>,
    /// who
    pub by: String,
    /// `issue`, `extend`, `lift`, `confirm`, `seen`
    pub action: String,
    /// the hazard confirmed (`confirm`)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hazard: Option<String>,
    /// the new end (`issue`, `extend`)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<DateTime<Utc>>,
    /// the CAP message this step sent (`issue`, `extend`, `lift`)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cap: Option<String>,
}

/// A warning area (预警区).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Warning {
    /// stable id, e.g. `YJ20260603-1A2B3C4D`
    pub id: String,
    /// name
    pub name: String,
    /// 红/橙/黄/蓝
    pub level: Risk,
    /// 暴雨/山洪/地质灾害/台风…
    pub kind: String,
    /// the area (WGS84)
    #[serde(with = "geojson_area")]
    pub area: MultiPolygon<f64>,
    /// in force until
    pub until: DateTime<Utc>,
    /// lifted or not (expiry is derived from `until`)
    pub lifted: bool,
    /// the issuing account
    pub issued_by: String,
    /// when it was issued
    pub issued_at: DateTime<Utc>,
    /// optimistic-concurrency version, bumped by every step
    pub version: i64,
    /// every step, oldest first
    pub history: Vec<WarningEvent>,
}

impl Warning {
    /// The status at `now`.
    pub fn status(&self, now: DateTime<Utc>) -> WarningStatus {
        if self.lifted {
            WarningStatus::Lifted
        } else if self.until <= now {
            WarningStatus::Expired
        } else {
            WarningStatus::Active
        }
    }

    /// When `who` first saw it, if ever.
    pub fn seen_by(&self, who: &str) -> Option<DateTime<Utc>> {
        self.history
            .iter()
            .find(|e| e.action == "seen" && e.by == who)
            .map(|e| e.at)
    }

    /// Who confirmed hazard `id` and when, if anyone.
    pub fn confirmed(&self, hazard: &str) -> Option<&WarningEvent> {
        self.history
            .iter()
            .find(|e| e.action == "confirm" && e.hazard.as_deref() == Some(hazard))
    }

    /// The CAP messages sent so far, oldest first.
    pub fn cap_messages(&self) -> Vec<&WarningEvent> {
        self.history.iter().filter(|e| e.cap.is_some()).collect()
    }
}

/// CAP 1.2 urgency, severity and certainty of a level (contract: warnings).
///
/// ```
/// use minqing::domain::Risk;
/// use minqing::domain::warning::cap_terms;
/// assert_eq!(cap_terms(Risk::Red), ("Immediate", "Extreme", "Observed"));
/// assert_eq!(cap_terms(Risk::Blue), ("Future", "Minor", "Possible"));
/// ```
pub fn cap_terms(level: Risk) -> (&'static str, &'static str, &'static str) {
    const TABLE: [(Risk, (&str, &str, &str)); 4] = [
        (Risk::Red, ("Immediate", "Extreme", "Observed")),
        (Risk::Orange, ("Expected", "Severe", "Likely")),
        (Risk::Yellow, ("Expected", "Moderate", "Likely")),
        (Risk::Blue, ("Future", "Minor", "Possible")),
    ];
    TABLE
        .iter()
        .find(|(l, _)| *l == level)
        .map(|(_, t)| *t)
        .unwrap_or(("Unknown", "Unknown", "Unknown"))
}

/// The CAP `msgType` of a step.
pub fn cap_msg_type(action: &str) -> &'static str {
    match action {
        "extend" => "Update",
        "lift" => "Cancel",
        _ => "Alert",
    }
}

/// The CAP `category` of a warning kind.
pub fn cap_category(kind: &str) -> &'static str {
    match kind {
        "地质灾害" => "Geo",
        "暴雨" | "台风" => "Met",
        _ => "Env",
    }
}

/// A time as CAP writes it: `2026-06-03T10:00:00+08:00` (no fractional
/// seconds, never `Z`).
pub fn cap_time(t: DateTime<Utc>) -> String {
    t.with_timezone(&super::incident::shanghai())
        .format("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The CAP 1.2 alert of a warning's latest step. `sender` names this system.
pub fn cap_xml(w: &Warning, sender: &str) -> String {
    let messages = w.cap_messages();
    let Some(last) = messages.last() else {
        return String::new();
    };
    let identifier = last.cap.clone().unwrap_or_default();
    let references: Vec<String> = messages[..messages.len() - 1]
        .iter()
        .map(|e| {
            format!(
                "{sender},{},{}",
                e.cap.as_deref().unwrap_or(""),
                cap_time(e.at)
            )
        })
        .collect();
    let (urgency, severity, certainty) = cap_terms(w.level);
    let polygons: String = w
        .area
        .0
        .iter()
        .map(|p| {
            let ring: Vec<String> = p
                .exterior()
                .0
                .iter()
                .map(|c| format!("{:.6},{:.6}", c.y, c.x))
                .collect();
            format!("      <polygon>{}</polygon>\n", ring.join(" "))
        })
        .collect();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out += "<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\">\n";
    out += &format!("  <identifier>{}</identifier>\n", xml_escape(&identifier));
    out += &format!("  <sender>{}</sender>\n", xml_escape(sender));
    out += &format!("  <sent>{}</sent>\n", cap_time(last.at));
    out += "  <status>Actual</status>\n";
    out += &format!("  <msgType>{}</msgType>\n", cap_msg_type(&last.action));
    out += "  <scope>Public</scope>\n";
    if !references.is_empty() {
        out += &format!("  <references>{}</references>\n", references.join(" "));
    }
    out += "  <info>\n";
    out += "    <language>zh-CN</language>\n";
    out += &format!("    <category>{}</category>\n", cap_category(&w.kind));
    out += &format!("    <event>{}</event>\n", xml_escape(&w.kind));
    out += &format!("    <urgency>{urgency}</urgency>\n");
    out += &format!("    <severity>{severity}</severity>\n");
    out += &format!("    <certainty>{certainty}</certainty>\n");
    out += &format!("    <expires>{}</expires>\n", cap_time(w.until));
    out += &format!(
        "    <senderName>{}</senderName>\n",
        xml_escape(&w.issued_by)
    );
    out += &format!(
        "    <headline>{}（{}预警）</headline>\n",
        xml_escape(&w.name),
        w.level.as_str()
    );
    out += "    <area>\n";
    out += &format!("      <areaDesc>{}</areaDesc>\n", xml_escape(&w.name));
    out += &polygons;
    out += "    </area>\n  </info>\n</alert>\n";
    out
}

/// Serde for the area as a GeoJSON geometry.
mod geojson_area {
    use geo_types::MultiPolygon;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(mp: &MultiPolygon<f64>, s: S) -> Result<S::Ok, S::Error> {
        geojson::Geometry::from(mp).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<MultiPolygon<f64>, D::Error> {
        let g = geojson::Geometry::deserialize(d)?;
        let geom: geo_types::Geometry<f64> = g
            .try_into()
            .map_err(|e| serde::de::Error::custom(format!("{e}")))?;
        match geom {
            geo_types::Geometry::MultiPolygon(mp) => Ok(mp),
            geo_types::Geometry::Polygon(p) => Ok(MultiPolygon::new(vec![p])),
            _ => Err(serde::de::Error::custom("a warning area is a polygon")),
        }
    }
}
