//! `GET /api/stats/incidents`: counts by area (any level), category and
//! status for a time window, overdue rates, and hot spots (grids with the
//! most incidents, and the fastest rising against the window before).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use axum::extract::State;
use chrono::{Duration, Utc};
use serde_json::{Value, json};

use super::{Caller, Json, Params, ready};
use crate::auth::policy::Kind;
use crate::domain::handling::{Handling, Timing, Trend};

/// Days in the `daily` trend.
const TREND_DAYS: usize = 7;
use crate::domain::incident::category_name;
use crate::domain::{AreaCode, Level};
use crate::error::AppError;
use crate::service::AppState;

#[derive(Default)]
struct Group {
    total: usize,
    open: usize,
    overdue: usize,
    by_category: BTreeMap<String, usize>,
    by_status: BTreeMap<&'static str, usize>,
}

/// `GET /api/stats/incidents?level=street&area=&from=&to=`
pub async fn incidents(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    q: Params,
) -> Result<Json<Value>, AppError> {
    caller.require()?;
    // Statistics over exactly the incidents the caller may read.
    let scope = caller.reads(Kind::Incidents);
    let level = match q.get("level") {
        Some(l) => Level::parse(l).ok_or_else(|| {
            AppError::BadRequest(
                "bad_parameter",
                format!("`level` must be district, street, community or grid, got {l:?}"),
            )
        })?,
        None => Level::Street,
    };
    let area = q
        .get("area")
        .map(|a| AreaCode::parse(a).map_err(|d| AppError::BadRequest("bad_parameter", d)))
        .transpose()?;
    if let Some(a) = &area
        && !scope.meets_area(a.as_str())
    {
        return Err(AppError::Forbidden(format!(
            "area {a} is outside your areas"
        )));
    }
    let to = super::time_param(&q, "to")?.unwrap_or_else(Utc::now);
    let from = super::time_param(&q, "from")?.unwrap_or(to - Duration::days(30));
    if from >= to {
        return Err(AppError::BadRequest(
            "bad_parameter",
            "`from` must be before `to`".into(),
        ));
    }
    ready(&state)?;
    let before_window = state.index().history_before;
    let timings = state.timings.get(&*state.store, before_window).await?;
    let now = Utc::now();
    let before = from - (to - from);
    // The last 7 Shanghai days up to `to`, whatever the window (the wall's trend).
    let mut trend = Trend::new(to, TREND_DAYS);
    let trend_start = trend.start().unwrap_or(before);
    // History cases (closed, older than the live window) come from the store.
    let history = crate::service::history::timed(
        &state,
        &scope,
        area.as_ref().map(|a| a.as_str()),
        (before.min(trend_start), to),
        trend_start,
    )
    .await?;
    let index = state.index();
    let mut overall = Handling::default();
    let mut by_category: BTreeMap<&str, Handling> = BTreeMap::new();
    let mut by_street: BTreeMap<&str, Handling> = BTreeMap::new();
    let none = Timing::default();
    let len = level.code_len();
    let mut groups: HashMap<&str, Group> = HashMap::new();
    let mut grid_now: HashMap<&str, usize> = HashMap::new();
    let mut grid_before: HashMap<&str, usize> = HashMap::new();
    let live = index
        .live_incidents()
        .map(|i| (i, timings.get(&i.id).unwrap_or(&none)));
    for (i, t) in live.chain(history.iter().map(|(i, t)| (i, t))) {
        let Some(g) = i.grid.as_deref() else { continue };
        if !scope.allows(Some(g), i.reporter.as_deref())
            || area.as_ref().is_some_and(|a| !g.starts_with(a.as_str()))
        {
            continue;
        }
        trend.add(i, t);
        if i.reported_at >= before && i.reported_at < from {
            *grid_before.entry(g).or_default() += 1;
        }
        if i.reported_at < from || i.reported_at > to {
            continue;
        }
        *grid_now.entry(g).or_default() += 1;
        overall.add(i, t, now);
        by_category.entry(&i.category).or_default().add(i, t, now);
        by_street
            .entry(&g[..9.min(g.len())])
            .or_default()
            .add(i, t, now);
        let e = groups.entry(&g[..len.min(g.len())]).or_default();
        e.total += 1;
        e.open += usize::from(i.status.is_open());
        e.overdue += usize::from(i.is_overdue(now));
        *e.by_category
            .entry(category_name(&i.category).to_owned())
            .or_default() += 1;
        *e.by_status.entry(i.status.as_str()).or_default() += 1;
    }
    let name = |code: &str| {
        index
            .areas
            .get(code)
            .map(|e| e.area.name.clone())
            .unwrap_or_default()
    };
    let mut out: Vec<Value> = groups
        .iter()
        .map(|(code, g)| {
            json!({"code": code, "name": name(code), "total": g.total, "open": g.open, "overdue": g.overdue,
                   "overdue_rate": if g.total == 0 { 0.0 } else { (g.overdue as f64 / g.total as f64 * 1000.0).round() / 1000.0 },
                   "by_category": g.by_category, "by_status": g.by_status})
        })
        .collect();
    out.sort_by(|a, b| {
        b["total"]
            .as_u64()
            .cmp(&a["total"].as_u64())
            .then(a["code"].as_str().cmp(&b["code"].as_str()))
    });
    let mut most: Vec<(&str, usize)> = grid_now.iter().map(|(g, n)| (*g, *n)).collect();
    most.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let spot = |(g, n): (&str, usize)| {
        let prev = grid_before.get(g).copied().unwrap_or(0);
        json!({"code": g, "name": name(g), "count": n, "previous": prev, "change": n as i64 - prev as i64})
    };
    let mut rising: Vec<(&str, usize)> = most.clone();
    rising.sort_by(|a, b| {
        let d = |x: &(&str, usize)| x.1 as i64 - grid_before.get(x.0).copied().unwrap_or(0) as i64;
        d(b).cmp(&d(a)).then(a.0.cmp(b.0))
    });
    Ok(Json(json!({
        "level": level.as_str(),
        "from": crate::domain::incident::to_shanghai(from),
        "to": crate::domain::incident::to_shanghai(to),
        "groups": out,
        // Handling of the cases reported in the window (report → 结案, 办结 by the deadline, reopened).
        "overall": overall.summary(),
        "by_category": by_category.iter().map(|(c, h)| {
            let mut v = json!(h.summary());
            v["category"] = json!(c);
            v["name"] = json!(category_name(c));
            v
        }).collect::<Vec<_>>(),
        "by_street": by_street.iter().map(|(c, h)| {
            let mut v = json!(h.summary());
            v["code"] = json!(c);
            v["name"] = json!(name(c));
            v
        }).collect::<Vec<_>>(),
        // Per Shanghai day, the last 7 up to `to`, oldest first: reported, closed, open and overdue at the day's end.
        "daily": trend.days(),
        "hot_spots": {"most": most.into_iter().take(10).map(spot).collect::<Vec<_>>(), "rising": rising.into_iter().take(10).map(spot).collect::<Vec<_>>()},
    })))
}
