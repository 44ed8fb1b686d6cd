//! TileJSON 3.0.0 documents for each layer.

use serde_json::{Value, json};

use crate::spatial::BBox;

/// MVT layers and their fields, per map layer (for `vector_layers`).
pub fn vector_layers(layer: &str) -> Vec<Value> {
    let f = |pairs: &[(&str, &str)]| -> Value {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), json!(v)))
            .collect::<serde_json::Map<_, _>>()
            .into()
    };
    match layer {
        "grids" => vec![
            json!({"id": "grids", "description": "区县/街道/社区/网格 by zoom (district z6+, streets z10+, communities z12+, grids z13+)", "minzoom": 6, "maxzoom": 22,
                   "fields": f(&[("code", "String"), ("name", "String"), ("level", "String"), ("parent", "String"), ("head", "String"), ("households", "Number")])}),
            json!({"id": "grids_labels", "description": "one label point per area", "minzoom": 6, "maxzoom": 22,
                   "fields": f(&[("code", "String"), ("name", "String"), ("level", "String")])}),
        ],
        "hazards" => vec![
            json!({"id": "hazards", "minzoom": 0, "maxzoom": 22, "fields": f(&[("id", "String"), ("name", "String"), ("kind", "String"), ("risk", "String"), ("threatened_households", "Number"), ("threatened_persons", "Number"), ("status", "String"), ("grid", "String")])}),
        ],
        "shelters" => vec![
            json!({"id": "shelters", "minzoom": 0, "maxzoom": 22, "fields": f(&[("id", "String"), ("name", "String"), ("capacity", "Number"), ("grid", "String")])}),
        ],
        "places" => vec![
            json!({"id": "places", "minzoom": 0, "maxzoom": 22, "fields": f(&[("id", "String"), ("name", "String"), ("kind", "String"), ("visit_every_hours", "Number"), ("grid", "String")])}),
        ],
        "incidents" => vec![
            json!({"id": "incidents", "description": "open incidents and those of the last 7 days, from z13", "minzoom": 13, "maxzoom": 22,
                   "fields": f(&[("id", "String"), ("category", "String"), ("status", "String"), ("grid", "String"), ("reported_at", "String"), ("deadline", "String"), ("overdue", "Boolean")])}),
            json!({"id": "incidents_clusters", "description": "clusters below z13", "minzoom": 0, "maxzoom": 12, "fields": f(&[("count", "Number"), ("overdue", "Number")])}),
        ],
        "people" => vec![
            json!({"id": "people", "description": "counts per area and category (1–2 shown as \"<3\" without detail rights)", "minzoom": 0, "maxzoom": 22,
                   "fields": f(&[("code", "String"), ("name", "String"), ("category", "String"), ("count", "Number or \"<3\"")])}),
            json!({"id": "people_areas", "minzoom": 0, "maxzoom": 22, "fields": f(&[("code", "String"), ("name", "String"), ("count", "Number or \"<3\"")])}),
        ],
        "patrol" => vec![
            json!({"id": "patrol", "description": "grids shaded by coverage over the last 7 days (share of area within 50 m of a track)", "minzoom": 0, "maxzoom": 22, "fields": f(&[("code", "String"), ("name", "String"), ("coverage", "Number")])}),
            json!({"id": "patrol_tracks", "description": "tracks of the last 7 days, one line per unbroken run of a member", "minzoom": 13, "maxzoom": 22, "fields": f(&[("member", "String")])}),
            json!({"id": "patrol_missed", "description": "key places due and not visited in the last 7 days", "minzoom": 0, "maxzoom": 22, "fields": f(&[("id", "String"), ("name", "String"), ("kind", "String"), ("grid", "String")])}),
            json!({"id": "patrol_gaps", "description": "grids where incidents outrun patrols over the last 7 days: score = (1 − coverage) × r / (r + 1), r = incidents per day; only grids with score > 0", "minzoom": 0, "maxzoom": 22,
                   "fields": f(&[("code", "String"), ("name", "String"), ("incidents", "Number"), ("coverage", "Number"), ("score", "Number")])}),
        ],
        _ => vec![],
    }
}

/// The TileJSON document of a layer (or comma-joined layers).
pub fn tilejson(layers: &str, base_url: &str, bounds: Option<BBox>) -> Value {
    let b = bounds
        .map(|b| b.to_array())
        .unwrap_or([-180.0, -85.0511, 180.0, 85.0511]);
    let vector_layers: Vec<Value> = layers.split(',').flat_map(vector_layers).collect();
    json!({
        "tilejson": "3.0.0",
        "name": layers,
        "description": "民情地图 Minqing Map",
        "attribution": "边界示意，非审图号地图 · 演示数据均为合成",
        "tiles": [format!("{base_url}/tiles/{layers}/{{z}}/{{x}}/{{y}}.mvt")],
        "minzoom": 0,
        "maxzoom": 22,
        "bounds": b,
        "center": [(b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0, 11],
        "vector_layers": vector_layers,
    })
}
