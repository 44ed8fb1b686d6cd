//! Queryables: the properties of each collection a filter or `sortby` may
//! name, with their types and allowed values, as data; served as JSON Schema.

use serde_json::{Map, Value, json};

use crate::domain::hazard::HAZARD_KINDS;
use crate::domain::incident::{CATEGORIES, IncidentStatus};
use crate::domain::{Layer, Level, Risk};

/// The type of a queryable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// text
    Text,
    /// whole number
    Integer,
    /// a number, or `"<3"` where a small count is protected
    Count,
    /// true/false
    Boolean,
    /// RFC 3339 instant
    DateTime,
    /// the feature's geometry (`geometry-point`, `geometry-multipolygon`)
    Geometry(&'static str),
}

/// One filterable property.
#[derive(Debug, Clone, PartialEq)]
pub struct Queryable {
    /// property name
    pub name: &'static str,
    /// human title
    pub title: &'static str,
    /// type
    pub kind: Kind,
    /// the allowed values, when closed
    pub values: Vec<&'static str>,
}

fn q(name: &'static str, title: &'static str, kind: Kind) -> Queryable {
    Queryable {
        name,
        title,
        kind,
        values: vec![],
    }
}

fn one_of(name: &'static str, title: &'static str, values: Vec<&'static str>) -> Queryable {
    Queryable {
        name,
        title,
        kind: Kind::Text,
        values,
    }
}

/// The queryables of a collection (the spatial one is named `geometry`).
///
/// ```
/// use minqing::domain::Layer;
/// use minqing::ogc::queryables::queryables;
/// let risk = queryables(Layer::Hazards).into_iter().find(|q| q.name == "risk").unwrap();
/// assert_eq!(risk.values, ["红", "橙", "黄", "蓝"]);
/// ```
pub fn queryables(layer: Layer) -> Vec<Queryable> {
    use Kind::*;
    let grid = || q("grid", "所属网格 owning grid code", Text);
    match layer {
        Layer::Grids => vec![
            q(
                "geometry",
                "边界 boundary",
                Geometry("geometry-multipolygon"),
            ),
            q("code", "区划代码 area code", Text),
            q("name", "名称 name", Text),
            one_of(
                "level",
                "层级 level",
                Level::ALL.map(Level::as_str).to_vec(),
            ),
            q("parent", "上级代码 parent code", Text),
            q("head", "网格长 grid head", Text),
            q("households", "户数 households", Integer),
            q("residents", "人口 residents", Integer),
        ],
        Layer::Hazards => vec![
            q("geometry", "位置 position", Geometry("geometry-point")),
            q("id", "编号 id", Text),
            q("name", "名称 name", Text),
            one_of("kind", "类型 kind", HAZARD_KINDS.to_vec()),
            one_of(
                "risk",
                "风险等级 risk",
                Risk::ALL.map(Risk::as_str).to_vec(),
            ),
            q("threatened_households", "威胁户数", Integer),
            q("threatened_persons", "威胁人数", Integer),
            q("monitor", "监测人 monitor", Text),
            q("leader", "责任人 responsible leader", Text),
            q("shelter", "安置点 shelter id", Text),
            q("status", "状态 status", Text),
            grid(),
        ],
        Layer::Shelters => vec![
            q("geometry", "位置 position", Geometry("geometry-point")),
            q("id", "编号 id", Text),
            q("name", "名称 name", Text),
            q("capacity", "容量 capacity", Integer),
            q("address", "地址 address", Text),
            grid(),
        ],
        Layer::Places => vec![
            q("geometry", "位置 position", Geometry("geometry-point")),
            q("id", "编号 id", Text),
            q("name", "名称 name", Text),
            q("kind", "类型 kind", Text),
            q("visit_every_hours", "巡查周期（小时）", Integer),
            grid(),
        ],
        Layer::Incidents => vec![
            q("geometry", "位置 position", Geometry("geometry-point")),
            q("id", "编号 id", Text),
            one_of(
                "category",
                "类别 category",
                CATEGORIES.iter().map(|c| c.1).collect(),
            ),
            one_of(
                "category_code",
                "类别代码",
                CATEGORIES.iter().map(|c| c.0).collect(),
            ),
            one_of(
                "status",
                "状态 status",
                IncidentStatus::ALL.map(IncidentStatus::as_str).to_vec(),
            ),
            q("source", "来源 source", Text),
            grid(),
            q("reported_at", "上报时间 reported at", DateTime),
            q("deadline", "办结时限 deadline", DateTime),
            q("overdue", "超期 overdue", Boolean),
        ],
        Layer::People => vec![
            q(
                "geometry",
                "网格边界 grid boundary",
                Geometry("geometry-multipolygon"),
            ),
            q("code", "网格代码 grid code", Text),
            q("name", "网格名称 grid name", Text),
            q("count", "人数 count (\"<3\" where protected)", Count),
        ],
        Layer::Patrol => vec![],
    }
}

/// The queryable of that name, or an error naming the ones there are.
pub fn check(layer: Layer, name: &str) -> Result<Queryable, String> {
    let all = queryables(layer);
    let names: Vec<&str> = all.iter().map(|q| q.name).collect();
    all.iter().find(|q| q.name == name).cloned().ok_or_else(|| {
        format!(
            "{:?} is not a queryable of {layer}; queryables are {}",
            crate::error::clip(name),
            names.join(", ")
        )
    })
}

/// The JSON Schema of a queryable.
fn schema_of(q: &Queryable) -> Value {
    let mut s = match q.kind {
        Kind::Text => json!({"type": "string"}),
        Kind::Integer => json!({"type": "integer"}),
        Kind::Count => json!({"oneOf": [{"type": "integer"}, {"type": "string", "enum": ["<3"]}]}),
        Kind::Boolean => json!({"type": "boolean"}),
        Kind::DateTime => json!({"type": "string", "format": "date-time"}),
        Kind::Geometry(f) => json!({"format": f}),
    };
    s["title"] = json!(q.title);
    if !q.values.is_empty() {
        s["enum"] = json!(q.values);
    }
    s
}

/// The queryables document of a collection (OGC API – Features Part 3).
pub fn schema(layer: Layer, id_url: &str) -> Value {
    let props: Map<String, Value> = queryables(layer)
        .iter()
        .map(|q| (q.name.to_owned(), schema_of(q)))
        .collect();
    json!({
        "$schema": "https://json-schema.org/draft/2019-09/schema",
        "$id": id_url,
        "type": "object",
        "title": format!("{layer} queryables"),
        "properties": props,
        "additionalProperties": false,
    })
}
