//! The live window (#18): with `--live-days`, closed cases older than the
//! window leave memory and the store answers for them. Every answer must be
//! the same as with every case in memory. Two instances share one store with
//! the demo district: one holds everything (`live_days: None`), one a 30-day
//! window; the same questions, asked as each demo account, must get the
//! same answers — on SQLite and on PostGIS.

use std::collections::BTreeSet;

use chrono::{Duration, Utc};
use minqing::app::AppConfig;
use serde_json::Value;

use crate::common::{Backend, TestApp, fresh_store_url};

const DEMO_PASSWORD: &str = "minqing-demo";

/// The same store served twice: everything in memory, and a 30-day window.
async fn both(backend: Backend) -> (TestApp, TestApp) {
    let (url, dir) = fresh_store_url(backend).await;
    let mut all = AppConfig::new(&url, "127.0.0.1:0".parse().unwrap());
    all.demo = true;
    all.live_days = None;
    let all = TestApp::start(all, dir).await;
    let mut window = AppConfig::new(&url, "127.0.0.1:0".parse().unwrap());
    window.live_days = Some(30);
    let window = TestApp::start(window, None).await;
    (all, window)
}

/// Ids of a list of incident views (or GeoJSON features) in order.
fn ids(items: &Value) -> Vec<String> {
    items
        .as_array()
        .expect("an array")
        .iter()
        .map(|v| {
            v["id"]
                .as_str()
                .or(v["properties"]["id"].as_str())
                .expect("an id")
                .to_owned()
        })
        .collect()
}

/// Asks both instances; they must agree. Both run the escalation loop on the
/// shared store, so one may briefly hold a change the other has yet to
/// apply from the change log: a difference must vanish within 10 s.
async fn same(all: &TestApp, window: &TestApp, token: &str, path: &str) -> Value {
    let mut tries = 0;
    let (s1, a, s2, b) = loop {
        let (s1, a) = all.get_json_as(token, path).await;
        let (s2, b) = window.get_json_as(token, path).await;
        tries += 1;
        if (s1, &a) == (s2, &b) || tries == 50 {
            break (s1, a, s2, b);
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    assert_eq!(s1, s2, "{path}: same status from both paths ({a} / {b})");
    if a != b {
        panic!(
            "{path}: the answer with a 30-day live window must equal the answer with everything in memory; first difference at {}",
            first_difference(&a, &b, String::new())
        );
    }
    a
}

/// Where two JSON values first differ, with both sides there.
fn first_difference(a: &Value, b: &Value, at: String) -> String {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                let (va, vb) = (&x.get(k), &y.get(k));
                if va != vb {
                    return match (va, vb) {
                        (Some(p), Some(q)) => first_difference(p, q, format!("{at}.{k}")),
                        _ => format!("{at}.{k}: all paths {va:?}, window {vb:?}"),
                    };
                }
            }
            at
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            match x.iter().zip(y).position(|(p, q)| p != q) {
                Some(i) => first_difference(&x[i], &y[i], format!("{at}[{i}]")),
                None => at,
            }
        }
        _ => format!("{at}: all in memory {a}, window {b}"),
    }
}

async fn story(backend: Backend) {
    let (all, window) = both(backend).await;
    let held_all = all.state.index().incidents.len();
    let held_window = window.state.index().incidents.len();
    assert!(
        held_window * 2 < held_all,
        "{backend:?}: a 30-day window holds far fewer incidents than all ({held_window} of {held_all})"
    );
    let to = Utc::now();
    let year_ago = (to - Duration::days(365)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let to_s = to.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let long_ago = (to - Duration::days(200)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);

    // A history case: closed, older than the window, held only by `all`.
    let historic: Vec<String> = {
        let ix = all.state.index();
        let w = window.state.index();
        ix.incidents
            .items
            .iter()
            .filter(|i| w.incidents.get(&i.id).is_none())
            .map(|i| i.id.clone())
            .take(3)
            .collect()
    };
    assert_eq!(historic.len(), 3, "{backend:?}: the demo has history cases");
    let live = window.state.index().incidents.items[0].id.clone();

    for user in ["admin", "zhihui", "wangge", "fangxun", "qunzhong"] {
        let token = all.login_with(user, DEMO_PASSWORD).await;
        let everything = same(&all, &window, &token, "/api/incidents?limit=10000").await;
        if user == "admin" || user == "zhihui" {
            let n = everything["total"].as_u64().unwrap_or(0) as usize;
            assert_eq!(n, held_all, "{user} reads every incident on both paths");
        }
        let page = same(&all, &window, &token, "/api/incidents?limit=50&offset=37").await;
        let total = everything["total"].as_u64().unwrap_or(0) as usize;
        assert_eq!(
            ids(&page["items"]).len(),
            total.saturating_sub(37).min(50),
            "{user}: the page from 37 holds up to 50 of the {total} cases"
        );
        for q in [
            "status=closed&limit=10000",
            "status=rejected",
            "status=in_progress",
            "category=environment&limit=500",
            "area=441802006&limit=500",
            "overdue=false&limit=200&offset=100",
            "overdue=true",
            "bbox=113.0,23.6,113.1,23.75&limit=500",
        ] {
            same(&all, &window, &token, &format!("/api/incidents?{q}")).await;
        }
        same(
            &all,
            &window,
            &token,
            &format!("/api/incidents?since={long_ago}&limit=10000"),
        )
        .await;
        for id in historic.iter().chain([&live]) {
            same(&all, &window, &token, &format!("/api/incidents/{id}")).await;
            same(&all, &window, &token, &format!("/api/search?q={id}")).await;
        }
        for q in [
            format!("from={year_ago}&to={to_s}"),
            format!("from={year_ago}&to={to_s}&level=grid"),
            format!("from={long_ago}&to={to_s}&level=community&area=441802006"),
            format!("to={long_ago}"),
        ] {
            let path = format!("/api/stats/incidents?{}", q.replace('+', "%2B"));
            same(&all, &window, &token, &path).await;
        }
        for code in ["441802", "441802006"] {
            same(&all, &window, &token, &format!("/api/areas/{code}")).await;
        }
        // Exports and OGC items: the same records (history first, so compare as sets).
        let (s1, a) = all
            .get_json_as(&token, "/api/export/incidents.geojson")
            .await;
        let (s2, b) = window
            .get_json_as(&token, "/api/export/incidents.geojson")
            .await;
        assert_eq!(s1, s2, "{user}: export status");
        if s1 == 200 {
            let set = |v: &Value| ids(&v["features"]).into_iter().collect::<BTreeSet<_>>();
            assert_eq!(
                set(&a),
                set(&b),
                "{user}: the export holds the same incidents"
            );
            assert_eq!(set(&a).len(), a["features"].as_array().map_or(0, Vec::len));
        }
        let items = "/ogc/collections/incidents/items?limit=10000";
        let (s1, a) = all.get_json_as(&token, items).await;
        let (s2, b) = window.get_json_as(&token, items).await;
        assert_eq!(s1, s2, "{user}: OGC items status");
        if s1 == 200 {
            assert_eq!(a["numberMatched"], b["numberMatched"], "{user}: OGC count");
            let (x, y) = (ids(&a["features"]), ids(&b["features"]));
            if x != y {
                let (sx, sy): (BTreeSet<_>, BTreeSet<_>) = (x.iter().collect(), y.iter().collect());
                panic!(
                    "{user}: the same OGC items in the same order; {} and {} items, only with all in memory: {:?}, only with the window: {:?}, first position that differs: {:?}",
                    x.len(),
                    y.len(),
                    sx.difference(&sy).take(5).collect::<Vec<_>>(),
                    sy.difference(&sx).take(5).collect::<Vec<_>>(),
                    x.iter().zip(&y).enumerate().find(|(_, (p, q))| p != q)
                );
            }
        }
    }
    window.stop().await;
    all.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn history_answers_agree_with_everything_in_memory_on_sqlite() {
    story(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn history_answers_agree_with_everything_in_memory_on_postgis() {
    story(Backend::Postgis).await;
}

/// What the per-day aggregates hold must be what their cases say, read
/// case by case, per category (handling figures) and per grid and status
/// (counts).
async fn aggregates_match_cases(
    store: &dyn minqing::store::Store,
    now: chrono::DateTime<Utc>,
    when: &str,
) {
    use minqing::domain::handling::Handling;
    use minqing::store::{DaysBy, DaysQuery, HistoryFilter, Owners};
    use std::collections::BTreeMap;
    // Everything finished is history for a window starting tomorrow.
    let cases = store
        .history_timed(
            &HistoryFilter::new(now + Duration::days(1), Owners::All),
            None,
        )
        .await
        .unwrap();
    let every_day = |by| DaysQuery {
        owners: Owners::All,
        area: None,
        first: "2000-01-01".into(),
        last: "2100-01-01".into(),
        by,
        months: false,
    };
    let rows = store.history_days(&every_day(DaysBy::ALL)).await.unwrap();
    assert!(!rows.is_empty(), "{when}: the aggregates hold rows");
    // Summed per grid only, the counts are those of the full rows.
    let per_grid: BTreeMap<String, i64> = store
        .history_days(&every_day(DaysBy::GRID))
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.grid, r.reported))
        .collect();
    let mut from_all: BTreeMap<String, i64> = BTreeMap::new();
    for r in &rows {
        *from_all.entry(r.grid.clone()).or_default() += r.reported;
    }
    assert_eq!(
        per_grid, from_all,
        "{when}: cases per grid, summed in the store and here"
    );
    // The month rollups hold what the days hold, per street, category and status.
    let by_street = DaysBy {
        grid_len: Some(9),
        category: true,
        status: true,
        close: false,
        closed_only: false,
    };
    let keyed = |rows: Vec<minqing::store::DayRow>| {
        let mut m: BTreeMap<(String, String, String), [i64; 5]> = BTreeMap::new();
        for r in rows {
            let e = m.entry((r.grid, r.category, r.status)).or_default();
            for (x, y) in e
                .iter_mut()
                .zip([r.reported, r.due, r.on_time, r.finished, r.reopened])
            {
                *x += y;
            }
        }
        m
    };
    let from_days = keyed(store.history_days(&every_day(by_street)).await.unwrap());
    let all_months = DaysQuery {
        first: "2000-01".into(),
        last: "2100-01".into(),
        months: true,
        ..every_day(by_street)
    };
    let from_months = keyed(store.history_days(&all_months).await.unwrap());
    assert!(
        !from_months.is_empty(),
        "{when}: the month rollups hold rows"
    );
    assert_eq!(
        from_months, from_days,
        "{when}: figures per street, category and status from the month rollups and from the days"
    );
    // Where the store keeps cases per grid and month, they are the days' too.
    let q = minqing::store::GridMonthsQuery {
        owners: Owners::All,
        area: None,
        now: (1, 12 * 200),
        before: (1, 0),
    };
    if let Some(counts) = store.history_grid_months(&q).await.unwrap() {
        assert!(
            counts.iter().all(|c| c.before == 0),
            "{when}: an empty range of months counts nothing"
        );
        let got: BTreeMap<String, i64> = counts
            .into_iter()
            .filter(|c| c.now > 0)
            .map(|c| (c.grid, c.now))
            .collect();
        assert_eq!(
            got, per_grid,
            "{when}: cases per grid from the grid months and from the days"
        );
        // Cut two months back: the months before and from the cut are the
        // days before and from its first day.
        use chrono::Datelike;
        let today = now.date_naive();
        let cut = chrono::NaiveDate::from_ymd_opt(today.year(), today.month(), 1).unwrap()
            - chrono::Months::new(2);
        let m = minqing::store::history::month_index(cut);
        let q = minqing::store::GridMonthsQuery {
            now: (1, m - 1),
            before: (m, 12 * 200),
            ..q
        };
        let split = store.history_grid_months(&q).await.unwrap().unwrap();
        let day = |d: chrono::NaiveDate| d.format("%Y-%m-%d").to_string();
        let mut sides = Vec::new();
        for (first, last) in [
            ("2000-01-01".to_owned(), day(cut.pred_opt().unwrap())),
            (day(cut), "2100-01-01".to_owned()),
        ] {
            let q = DaysQuery {
                first,
                last,
                ..every_day(DaysBy::GRID)
            };
            let rows = store.history_days(&q).await.unwrap();
            sides.push(
                rows.into_iter()
                    .map(|r| (r.grid, r.reported))
                    .collect::<BTreeMap<String, i64>>(),
            );
        }
        let pick = |f: fn(&minqing::store::GridCount) -> i64| {
            split
                .iter()
                .filter(|c| f(c) > 0)
                .map(|c| (c.grid.clone(), f(c)))
                .collect::<BTreeMap<String, i64>>()
        };
        assert!(
            !sides[0].is_empty() && !sides[1].is_empty(),
            "{when}: cases on both sides of {cut}"
        );
        assert_eq!(
            pick(|c| c.now),
            sides[0],
            "{when}: cases per grid before {cut}"
        );
        assert_eq!(
            pick(|c| c.before),
            sides[1],
            "{when}: cases per grid from {cut} on"
        );
    }
    let mut want: BTreeMap<String, Handling> = BTreeMap::new();
    let mut want_counts: BTreeMap<(String, String), i64> = BTreeMap::new();
    for (i, t) in &cases {
        let Some(g) = &i.grid else { continue };
        want.entry(i.category.clone()).or_default().add(i, t, now);
        *want_counts
            .entry((g.clone(), i.status.as_str().to_owned()))
            .or_default() += 1;
    }
    let mut got: BTreeMap<String, Handling> = BTreeMap::new();
    let mut got_counts: BTreeMap<(String, String), i64> = BTreeMap::new();
    for r in &rows {
        got.entry(r.category.clone())
            .or_default()
            .add_counts(&r.counts());
        *got_counts
            .entry((r.grid.clone(), r.status.clone()))
            .or_default() += r.reported;
    }
    assert_eq!(
        got_counts, want_counts,
        "{when}: cases per grid and status from the aggregates and from the cases"
    );
    for (category, h) in &want {
        assert_eq!(
            got.get(category).map(Handling::summary),
            Some(h.summary()),
            "{when}: handling of {category} from the aggregates and from the cases"
        );
    }
}

/// The aggregates are kept on write: after the seed, an import that adds
/// closed cases and moves one to another category, and workflow steps that
/// close an old open case, they still equal their cases — on both stores.
async fn aggregates_follow_writes(backend: Backend) {
    use minqing::domain::{IncidentStatus, LayerRecords};
    let (url, _dir) = fresh_store_url(backend).await;
    let store = minqing::store::open(&url).await.unwrap();
    store.migrate().await.unwrap();
    let now = Utc::now();
    let data = minqing::demo::generate(now);
    store.seed(&data).await.unwrap();
    aggregates_match_cases(store.as_ref(), now, &format!("{backend:?} after the seed")).await;

    // An import: twenty closed cases on days that hold cases already, and
    // an existing closed case moved to another category (its old bucket
    // must lose it).
    let closed: Vec<_> = data
        .incidents
        .iter()
        .filter(|i| i.status == IncidentStatus::Closed && i.grid.is_some())
        .collect();
    assert!(closed.len() > 20, "{backend:?}: the demo has closed cases");
    let mut batch: Vec<_> = closed
        .iter()
        .take(20)
        .enumerate()
        .map(|(n, i)| {
            let mut c = (*i).clone();
            c.id = format!("AGG-{n}");
            c.reported_at += Duration::minutes(7);
            c
        })
        .collect();
    let mut moved = closed[25].clone();
    moved.category = if moved.category == "environment" {
        "safety".into()
    } else {
        "environment".into()
    };
    batch.push(moved);
    store
        .import(&LayerRecords::Incidents(batch), "admin")
        .await
        .unwrap();
    aggregates_match_cases(store.as_ref(), now, &format!("{backend:?} after an import")).await;

    // Workflow steps: an open case reported two weeks ago or more is
    // finished and closed; it joins the aggregates of its report day.
    let open = data
        .incidents
        .iter()
        .find(|i| {
            i.status.is_open() && i.reported_at < now - Duration::days(14) && i.grid.is_some()
        })
        .expect("the demo has an old open case");
    let at = (open.lon, open.lat);
    let v = open.version;
    store
        .apply_incident_action(&open.id, v, "resolved", "test", "resolve", "", at)
        .await
        .unwrap();
    store
        .apply_incident_action(&open.id, v + 1, "closed", "test", "close", "", at)
        .await
        .unwrap();
    aggregates_match_cases(
        store.as_ref(),
        Utc::now(),
        &format!("{backend:?} after closing {}", open.id),
    )
    .await;
}

#[tokio::test]
async fn aggregates_follow_writes_on_sqlite() {
    aggregates_follow_writes(Backend::Sqlite).await;
}

#[tokio::test]
async fn aggregates_follow_writes_on_postgis() {
    aggregates_follow_writes(Backend::Postgis).await;
}
