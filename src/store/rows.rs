//! Row mapping shared by both backends. The SELECTs of both stores produce the
//! same column names and types (PostGIS adds `st_x(geom) as lon` and
//! `st_asbinary(geom) as geom`), so one macro maps either row type.

/// Generates `fn area(&Row)`, `fn hazard(&Row)`, … for a concrete sqlx row type.
macro_rules! row_mappers {
    ($row:ty) => {
        use sqlx::Row as _;
        use $crate::domain::hazard::Contact;
        use $crate::domain::{
            Area, AreaCode, GridHead, Hazard, Incident, IncidentStatus, PatrolMember, Person,
            PersonCategory, Place, Risk, Shelter,
        };
        use $crate::store::{StoreError, StoreResult, UserRecord};

        fn bad(what: &str, v: &str) -> StoreError {
            StoreError::Db(format!("stored {what} {v:?} is not valid"))
        }

        pub(super) fn area(r: &$row) -> StoreResult<Area> {
            let code: String = r.try_get("code")?;
            let code = AreaCode::parse(&code).map_err(|e| StoreError::Db(e))?;
            let head_name: Option<String> = r.try_get("head_name")?;
            let head_phone: Option<String> = r.try_get("head_phone")?;
            let geom: Vec<u8> = r.try_get("geom")?;
            Ok(Area {
                parent: code.parent(),
                code,
                name: r.try_get("name")?,
                geometry: $crate::store::wkb::decode(&geom)?,
                head: head_name.map(|name| GridHead {
                    name,
                    phone: head_phone.unwrap_or_default(),
                }),
                households: r.try_get::<i64, _>("households")? as u32,
                residents: r.try_get::<i64, _>("residents")? as u32,
            })
        }

        pub(super) fn hazard(r: &$row) -> StoreResult<Hazard> {
            let risk: String = r.try_get("risk")?;
            Ok(Hazard {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                kind: r.try_get("kind")?,
                risk: Risk::parse(&risk).ok_or_else(|| bad("risk", &risk))?,
                threatened_households: r.try_get::<i64, _>("threatened_households")? as u32,
                threatened_persons: r.try_get::<i64, _>("threatened_persons")? as u32,
                monitor: Contact {
                    name: r.try_get("monitor_name")?,
                    phone: r.try_get("monitor_phone")?,
                },
                leader: Contact {
                    name: r.try_get("leader_name")?,
                    phone: r.try_get("leader_phone")?,
                },
                shelter: r.try_get("shelter")?,
                status: r.try_get("status")?,
                lon: r.try_get("lon")?,
                lat: r.try_get("lat")?,
            })
        }

        pub(super) fn shelter(r: &$row) -> StoreResult<Shelter> {
            Ok(Shelter {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                capacity: r.try_get::<i64, _>("capacity")? as u32,
                address: r.try_get("address")?,
                lon: r.try_get("lon")?,
                lat: r.try_get("lat")?,
            })
        }

        pub(super) fn place(r: &$row) -> StoreResult<Place> {
            Ok(Place {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                kind: r.try_get("kind")?,
                visit_every_hours: r.try_get::<i64, _>("visit_every_hours")? as u32,
                radius_m: r.try_get("radius_m")?,
                lon: r.try_get("lon")?,
                lat: r.try_get("lat")?,
            })
        }

        /// An incident's handling from the timing columns (`resolved_at`,
        /// `closed_at`, `reopens`, `duplicate`; null when its history has none).
        pub(super) fn timing(r: &$row) -> StoreResult<$crate::store::Timing> {
            let reopens: Option<i64> = r.try_get("reopens")?;
            let duplicate: Option<i64> = r.try_get("duplicate")?;
            Ok($crate::store::Timing {
                resolved_at: r.try_get("resolved_at")?,
                closed_at: r.try_get("closed_at")?,
                reopens: reopens.unwrap_or(0).clamp(0, i64::from(u32::MAX)) as u32,
                duplicate: duplicate.unwrap_or(0) > 0,
            })
        }

        pub(super) fn incident(r: &$row) -> StoreResult<Incident> {
            let status: String = r.try_get("status")?;
            Ok(Incident {
                id: r.try_get("id")?,
                category: r.try_get("category")?,
                source: r.try_get("source")?,
                description: r.try_get("description")?,
                grid: r.try_get("grid")?,
                status: IncidentStatus::parse(&status).ok_or_else(|| bad("status", &status))?,
                reported_at: r.try_get("reported_at")?,
                deadline: r.try_get("deadline")?,
                version: r.try_get("version")?,
                lon: r.try_get("lon")?,
                lat: r.try_get("lat")?,
                reporter: r.try_get("reporter")?,
            })
        }

        pub(super) fn person(r: &$row) -> StoreResult<Person> {
            let category: String = r.try_get("category")?;
            Ok(Person {
                id: r.try_get("id")?,
                category: PersonCategory::parse(&category)
                    .ok_or_else(|| bad("category", &category))?,
                name: r.try_get("name")?,
                id_number: r.try_get("id_number")?,
                phone: r.try_get("phone")?,
                address: r.try_get("address")?,
                risk_level: r.try_get::<Option<i64>, _>("risk_level")?.map(|v| v as u8),
                next_visit: r.try_get("next_visit")?,
                lon: r.try_get("lon")?,
                lat: r.try_get("lat")?,
            })
        }

        pub(super) fn visit(r: &$row) -> StoreResult<$crate::domain::visit::Visit> {
            let how: String = r.try_get("how")?;
            let risk = |c: &str| -> StoreResult<Option<u8>> {
                Ok(r.try_get::<Option<i64>, _>(c)?.map(|v| v as u8))
            };
            Ok($crate::domain::visit::Visit {
                id: r.try_get("id")?,
                person: r.try_get("person_id")?,
                grid: r.try_get("grid")?,
                at: r.try_get("at")?,
                how: $crate::domain::visit::How::parse(&how)
                    .ok_or_else(|| bad("visit how", &how))?,
                note: r.try_get("note")?,
                by: r.try_get("visitor")?,
                lon: r.try_get("lon")?,
                lat: r.try_get("lat")?,
                risk_before: risk("risk_before")?,
                risk_after: risk("risk_after")?,
                next_due: r.try_get("next_due")?,
            })
        }

        pub(super) fn member(r: &$row) -> StoreResult<PatrolMember> {
            Ok(PatrolMember {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                team: r.try_get("team")?,
            })
        }

        pub(super) fn user(r: &$row) -> StoreResult<UserRecord> {
            let areas: String = r.try_get("areas")?;
            Ok(UserRecord {
                username: r.try_get("username")?,
                password_hash: r.try_get("password_hash")?,
                role: r.try_get("role")?,
                areas: areas.split_whitespace().map(str::to_owned).collect(),
                failed_logins: r.try_get("failed_logins")?,
                locked_until: r.try_get("locked_until")?,
            })
        }

        pub(super) fn change(r: &$row) -> StoreResult<$crate::store::Change> {
            let ids: Option<String> = r.try_get("ids")?;
            let ids = match ids {
                Some(text) => serde_json::from_str(&text).map_err(|_| bad("change ids", &text))?,
                None => Vec::new(),
            };
            Ok($crate::store::Change {
                ids,
                seq: r.try_get("seq")?,
                at: r.try_get("at")?,
                kind: r.try_get("kind")?,
                record_id: r.try_get("record_id")?,
                bbox: [
                    r.try_get("minx")?,
                    r.try_get("miny")?,
                    r.try_get("maxx")?,
                    r.try_get("maxy")?,
                ],
            })
        }

        pub(super) fn history(r: &$row) -> StoreResult<$crate::store::HistoryEntry> {
            Ok($crate::store::HistoryEntry {
                at: r.try_get("at")?,
                actor: r.try_get("actor")?,
                action: r.try_get("action")?,
                status: r.try_get("status")?,
                note: r.try_get("note")?,
            })
        }

        pub(super) fn audit(r: &$row) -> StoreResult<$crate::store::AuditEntry> {
            let records: String = r.try_get("records")?;
            Ok($crate::store::AuditEntry {
                id: r.try_get("id")?,
                at: r.try_get("at")?,
                username: r.try_get("username")?,
                action: r.try_get("action")?,
                records: records.split_whitespace().map(str::to_owned).collect(),
                purpose: r.try_get("purpose")?,
            })
        }
    };
}

pub(crate) use row_mappers;
