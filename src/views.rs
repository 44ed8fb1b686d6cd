//! One serializable view per record kind, with the policy's mask applied.
//! Queries, OGC items, exports and live events all answer with these, so a
//! record looks the same (and hides the same) on every path.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::auth::mask;
use crate::domain::hazard::Contact;
use crate::domain::incident::{category_name, to_shanghai};
use crate::domain::{Hazard, Incident, Place, Shelter};
use crate::spatial::SpatialIndex;
use crate::spatial::index::PointLayer;

/// The owning grid's code of a point record.
pub fn grid_of<T>(index: &SpatialIndex, layer: &PointLayer<T>, i: usize) -> Option<String> {
    layer.grid[i].map(|g| {
        index.areas.entries[g as usize]
            .area
            .code
            .as_str()
            .to_owned()
    })
}

/// A named person to call; the phone only where the policy shows phones.
#[derive(Debug, Clone, Serialize)]
pub struct ContactView {
    /// name
    pub name: String,
    /// mobile number (absent for anonymous callers)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

impl ContactView {
    /// A contact with or without its phone.
    pub fn new(c: &Contact, phones: bool) -> ContactView {
        ContactView {
            name: c.name.clone(),
            phone: phones.then(|| c.phone.clone()),
        }
    }
}

/// A shelter, as in every answer.
#[derive(Debug, Clone, Serialize)]
pub struct ShelterView {
    /// id
    pub id: String,
    /// name
    pub name: String,
    /// places
    pub capacity: u32,
    /// address
    pub address: String,
    /// WGS84
    pub lon: f64,
    /// WGS84
    pub lat: f64,
    /// owning grid
    pub grid: Option<String>,
}

impl ShelterView {
    /// The view of shelter `i` of the index.
    pub fn of(index: &SpatialIndex, i: usize) -> ShelterView {
        let s: &Shelter = &index.shelters.items[i];
        ShelterView {
            id: s.id.clone(),
            name: s.name.clone(),
            capacity: s.capacity,
            address: s.address.clone(),
            lon: s.lon,
            lat: s.lat,
            grid: grid_of(index, &index.shelters, i),
        }
    }
}

/// A shelter named from a hazard.
#[derive(Debug, Clone, Serialize)]
pub struct ShelterBrief {
    /// id
    pub id: String,
    /// name
    pub name: String,
    /// places
    pub capacity: u32,
}

/// A hazard point with the persons to call (监测人, 责任人).
#[derive(Debug, Clone, Serialize)]
pub struct HazardView {
    /// id
    pub id: String,
    /// name
    pub name: String,
    /// 滑坡, 内涝积水点 …
    pub kind: String,
    /// 红/橙/黄/蓝
    pub risk: &'static str,
    /// threatened households
    pub threatened_households: u32,
    /// threatened persons
    pub threatened_persons: u32,
    /// 监测人
    pub monitor: ContactView,
    /// 责任人
    pub responsible: ContactView,
    /// the assigned shelter
    pub shelter: Option<ShelterBrief>,
    /// status text
    pub status: String,
    /// WGS84
    pub lon: f64,
    /// WGS84
    pub lat: f64,
    /// owning grid
    pub grid: Option<String>,
}

impl HazardView {
    /// The view of hazard `i`; `phones` from [`crate::auth::policy::contact_phones`].
    pub fn of(index: &SpatialIndex, i: usize, phones: bool) -> HazardView {
        let h: &Hazard = &index.hazards.items[i];
        HazardView {
            id: h.id.clone(),
            name: h.name.clone(),
            kind: h.kind.clone(),
            risk: h.risk.as_str(),
            threatened_households: h.threatened_households,
            threatened_persons: h.threatened_persons,
            monitor: ContactView::new(&h.monitor, phones),
            responsible: ContactView::new(&h.leader, phones),
            shelter: h
                .shelter
                .as_deref()
                .and_then(|s| index.shelters.get(s))
                .map(|s| ShelterBrief {
                    id: s.id.clone(),
                    name: s.name.clone(),
                    capacity: s.capacity,
                }),
            status: h.status.clone(),
            lon: h.lon,
            lat: h.lat,
            grid: grid_of(index, &index.hazards, i),
        }
    }
}

/// A key place for patrols.
#[derive(Debug, Clone, Serialize)]
pub struct PlaceView {
    /// id
    pub id: String,
    /// name
    pub name: String,
    /// kind
    pub kind: String,
    /// how often a patrol should pass
    pub visit_every_hours: u32,
    /// radius that counts as a visit
    pub radius_m: f64,
    /// WGS84
    pub lon: f64,
    /// WGS84
    pub lat: f64,
    /// owning grid
    pub grid: Option<String>,
}

impl PlaceView {
    /// The view of place `i`.
    pub fn of(index: &SpatialIndex, i: usize) -> PlaceView {
        let p: &Place = &index.places.items[i];
        PlaceView {
            id: p.id.clone(),
            name: p.name.clone(),
            kind: p.kind.clone(),
            visit_every_hours: p.visit_every_hours,
            radius_m: p.radius_m,
            lon: p.lon,
            lat: p.lat,
            grid: grid_of(index, &index.places, i),
        }
    }
}

/// An incident (事件) as its readers see it; the description is text, never markup.
#[derive(Debug, Clone, Serialize)]
pub struct IncidentView {
    /// id
    pub id: String,
    /// Chinese category name
    pub category: String,
    /// category code
    pub category_code: String,
    /// 来源
    pub source: String,
    /// 描述
    pub description: String,
    /// WGS84
    pub lon: f64,
    /// WGS84
    pub lat: f64,
    /// owning grid (None: the district's fallback queue)
    pub grid: Option<String>,
    /// status in the closed loop
    pub status: &'static str,
    /// RFC 3339, Asia/Shanghai
    pub reported_at: String,
    /// RFC 3339, Asia/Shanghai
    pub deadline: String,
    /// open and past its deadline
    pub overdue: bool,
    /// optimistic-concurrency version
    pub version: i64,
    /// the owning grid's name (where the answer names places: lists, feed, live events)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grid_name: Option<String>,
    /// the street's (街道) 9-digit code
    #[serde(skip_serializing_if = "Option::is_none")]
    pub street: Option<String>,
    /// the street's name
    #[serde(skip_serializing_if = "Option::is_none")]
    pub street_name: Option<String>,
}

/// One change to a case — reported, or a step taken — as the wall's feed
/// shows it: `GET /api/incidents/recent` and the live incident events.
#[derive(Debug, Clone, Serialize)]
pub struct IncidentChangeView {
    /// `incident.created` or `incident.updated`
    pub kind: &'static str,
    /// when the change was made (RFC 3339, Asia/Shanghai)
    pub at: String,
    /// the workflow step (`report`, `accept`, …), when known
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// who took it, when known
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// the status the change left (the case's `status` is the one it has now)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// the case as it stands now, with its place names
    #[serde(flatten)]
    pub incident: IncidentView,
}

impl IncidentView {
    /// The view of an incident at `now`.
    pub fn of(i: &Incident, now: DateTime<Utc>) -> IncidentView {
        IncidentView {
            id: i.id.clone(),
            category: category_name(&i.category).to_owned(),
            category_code: i.category.clone(),
            source: i.source.clone(),
            description: i.description.clone(),
            lon: i.lon,
            lat: i.lat,
            grid: i.grid.clone(),
            status: i.status.as_str(),
            reported_at: to_shanghai(i.reported_at),
            deadline: to_shanghai(i.deadline),
            overdue: i.is_overdue(now),
            version: i.version,
            grid_name: None,
            street: None,
            street_name: None,
        }
    }

    /// The same view naming its grid and street (a wall reads names, not codes).
    pub fn named(mut self, index: &SpatialIndex) -> IncidentView {
        let name = |code: &str| index.areas.get(code).map(|e| e.area.name.clone());
        if let Some(g) = self.grid.as_deref() {
            self.grid_name = name(g);
            // A grid code's first 9 digits are its street's code.
            if let Some(s) = g.get(..9) {
                self.street_name = name(s);
                self.street = Some(s.to_owned());
            }
        }
        self
    }
}

/// A special-population record: masked (location coarsened to its grid's
/// label point) or, with a stated purpose for roles allowed it, in full.
#[derive(Debug, Clone, Serialize)]
pub struct PersonView {
    /// id
    pub id: String,
    /// owning grid
    pub grid: Option<String>,
    /// Chinese category name
    pub category: &'static str,
    /// category code
    pub category_code: &'static str,
    /// 张*明 when masked
    pub name: String,
    /// 4418**********1234 when masked
    pub id_number: String,
    /// 138****5678 when masked
    pub phone: String,
    /// coarsened when masked
    pub address: String,
    /// 1–5
    pub risk_level: Option<u8>,
    /// next follow-up visit
    pub next_visit: Option<chrono::NaiveDate>,
    /// WGS84 (the grid's label point when masked)
    pub lon: f64,
    /// WGS84 (the grid's label point when masked)
    pub lat: f64,
    /// true unless read in full
    pub masked: bool,
}

impl PersonView {
    /// The view of person `i`, masked unless `unmasked`.
    pub fn of(index: &SpatialIndex, i: usize, unmasked: bool) -> PersonView {
        let p = &index.people.items[i];
        let grid = grid_of(index, &index.people, i);
        if unmasked {
            return PersonView {
                id: p.id.clone(),
                grid,
                category: p.category.zh(),
                category_code: p.category.as_str(),
                name: p.name.clone(),
                id_number: p.id_number.clone(),
                phone: p.phone.clone(),
                address: p.address.clone(),
                risk_level: p.risk_level,
                next_visit: p.next_visit,
                lon: p.lon,
                lat: p.lat,
                masked: false,
            };
        }
        let (lon, lat) = index.people.grid[i]
            .map(|g| index.areas.entries[g as usize].label)
            .unwrap_or((p.lon, p.lat));
        PersonView {
            id: p.id.clone(),
            grid,
            category: p.category.zh(),
            category_code: p.category.as_str(),
            name: mask::name(&p.name),
            id_number: mask::id_number(&p.id_number),
            phone: mask::phone(&p.phone),
            address: mask::address(&p.address),
            risk_level: p.risk_level,
            next_visit: p.next_visit,
            lon,
            lat,
            masked: true,
        }
    }
}

/// A follow-up visit (走访) as every path shows it.
#[derive(Debug, Clone, Serialize)]
pub struct VisitView {
    /// id
    pub id: String,
    /// the record visited
    pub person: String,
    /// the record's grid when visited
    pub grid: Option<String>,
    /// RFC 3339 in Asia/Shanghai
    pub at: String,
    /// 入户 / 电话 / 视频
    pub how: &'static str,
    /// what was found
    pub note: String,
    /// the account that recorded it
    pub by: String,
    /// where it was recorded (WGS84), if known
    pub lon: Option<f64>,
    /// WGS84
    pub lat: Option<f64>,
    /// risk level before the visit
    pub risk_before: Option<u8>,
    /// risk level the visitor set, if changed
    pub risk_after: Option<u8>,
    /// the next due date this visit set
    pub next_due: Option<chrono::NaiveDate>,
}

impl VisitView {
    /// The view of a stored visit.
    pub fn of(v: &crate::domain::visit::Visit) -> VisitView {
        VisitView {
            id: v.id.clone(),
            person: v.person.clone(),
            grid: v.grid.clone(),
            at: crate::domain::incident::to_shanghai(v.at),
            how: v.how.as_str(),
            note: v.note.clone(),
            by: v.by.clone(),
            lon: v.lon,
            lat: v.lat,
            risk_before: v.risk_before,
            risk_after: v.risk_after,
            next_due: v.next_due,
        }
    }
}

/// Serializes a view to a JSON value (views cannot fail to serialize).
pub fn to_value<T: Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
}
