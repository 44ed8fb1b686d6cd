//! Prometheus text metrics: requests by status class and tile cache hits.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::service::AppState;

/// Middleware counting responses.
pub async fn count(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    let class = (res.status().as_u16() / 100) as usize;
    state.metrics.responses[class.min(5)].fetch_add(1, Ordering::Relaxed);
    res
}

/// `GET /metrics`
pub async fn metrics(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    let m = &state.metrics;
    let mut out = String::from(
        "# HELP minqing_http_responses_total HTTP responses by status class\n# TYPE minqing_http_responses_total counter\n",
    );
    for c in 1..=5 {
        out.push_str(&format!(
            "minqing_http_responses_total{{class=\"{c}xx\"}} {}\n",
            m.responses[c].load(Ordering::Relaxed)
        ));
    }
    out.push_str("# HELP minqing_tiles_total Tiles served, by cache outcome\n# TYPE minqing_tiles_total counter\n");
    out.push_str(&format!(
        "minqing_tiles_total{{cache=\"hit\"}} {}\n",
        m.tile_hits.load(Ordering::Relaxed)
    ));
    out.push_str(&format!(
        "minqing_tiles_total{{cache=\"miss\"}} {}\n",
        m.tile_misses.load(Ordering::Relaxed)
    ));
    out.push_str(&format!("# HELP minqing_tile_cache_entries Tiles in the cache\n# TYPE minqing_tile_cache_entries gauge\nminqing_tile_cache_entries {}\n", state.tiles.len()));
    out.push_str(&format!(
        "# HELP minqing_ready Index loaded\n# TYPE minqing_ready gauge\nminqing_ready {}\n",
        u8::from(state.is_ready())
    ));
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        out,
    )
}
