//! Thin HTTP handlers: parse → call the core → respond. The caller's identity
//! is resolved first; every status comes from [`crate::error::AppError`].

pub mod admin;
pub mod areas;
pub mod auth;
pub mod basemap;
pub mod cases;
pub mod events;
pub mod export;
pub mod health;
pub mod idempotency;
pub mod import;
pub mod incidents;
pub mod metrics;
pub mod ogc;
pub mod open311;
pub mod openapi;
pub mod patrol;
pub mod patrol_tracks;
pub mod people;
pub mod query;
pub mod search;
pub mod stats;
pub mod tiles;
pub mod visits;
pub mod warnings;
pub mod web;

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts};
use axum::http::StatusCode;
use axum::http::{HeaderMap, HeaderValue, Method, header, request::Parts};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post, put};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::auth::policy::{self, Action, Kind};
use crate::auth::{Principal, password};
use crate::error::AppError;
use crate::service::AppState;
use idempotency::idempotent;

/// Largest request body accepted (GeoJSON polygons, track batches).
pub const MAX_BODY_BYTES: usize = 8 << 20;

/// Session cookie name.
pub const SESSION_COOKIE: &str = "minqing_session";
/// CSRF cookie name (readable by the page, echoed in `X-CSRF-Token`).
pub const CSRF_COOKIE: &str = "minqing_csrf";

/// JSON body extractor whose rejection is the app's JSON error.
#[derive(Debug, FromRequest)]
#[from_request(via(axum::Json), rejection(AppError))]
pub struct Json<T>(pub T);

/// Query-string extractor whose rejection is the app's JSON error.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(AppError))]
pub struct Q<T>(pub T);

/// A raw query map, for handlers that give their own parse errors.
pub type Params = Q<HashMap<String, String>>;

impl<T> std::ops::Deref for Q<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: serde::Serialize> axum::response::IntoResponse for Json<T> {
    fn into_response(self) -> axum::response::Response {
        axum::Json(self.0).into_response()
    }
}

/// The resolved caller: `None` when anonymous.
#[derive(Debug, Clone)]
pub struct Caller(pub Option<Principal>);

impl Caller {
    /// The principal, or 401.
    pub fn require(&self) -> Result<&Principal, AppError> {
        self.0
            .as_ref()
            .ok_or_else(|| AppError::Unauthorized("sign in first (POST /api/auth/login)".into()))
    }

    /// The principal when the policy lets it do `action` on `kind` somewhere, or 401/403.
    pub fn may(&self, kind: Kind, action: Action) -> Result<&Principal, AppError> {
        let p = self.require()?;
        if policy::decide(Some(p), kind, action).is_nothing() {
            return Err(AppError::Forbidden(format!(
                "role {} may not do this",
                p.role.as_str()
            )));
        }
        Ok(p)
    }

    /// The caller's scope of `kind` (records it may read).
    pub fn reads(&self, kind: Kind) -> policy::Scope {
        policy::read(self.0.as_ref(), kind)
    }

    /// The principal if any.
    pub fn who(&self) -> Option<&Principal> {
        self.0.as_ref()
    }
}

pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

impl FromRequestParts<Arc<AppState>> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, AppError> {
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        let (token, by_cookie) = match bearer {
            Some(t) => (t, false),
            None => match cookie(&parts.headers, SESSION_COOKIE) {
                Some(t) => (t, true),
                None => return Ok(Caller(None)),
            },
        };
        let Some(session) = state.store.session(&password::token_hash(token)).await? else {
            if by_cookie {
                // A stale cookie is treated as anonymous, so public pages keep working.
                return Ok(Caller(None));
            }
            return Err(AppError::Unauthorized(
                "the session has expired or was signed out".into(),
            ));
        };
        let unsafe_method = !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if by_cookie && unsafe_method {
            let sent = parts
                .headers
                .get("x-csrf-token")
                .and_then(|v| v.to_str().ok());
            if sent != Some(session.csrf.as_str()) {
                return Err(AppError::Forbidden(
                    "missing or wrong X-CSRF-Token header for a cookie-authenticated write".into(),
                ));
            }
        }
        let Some(user) = state.store.user(&session.username).await? else {
            return Err(AppError::Unauthorized(
                "the account no longer exists".into(),
            ));
        };
        auth::renew_if_due(state, &session).await?;
        Ok(Caller(Some(principal_of(&user)?)))
    }
}

/// The principal of a stored account. An account whose role or areas are
/// doubtful cannot act at all (never with wider or narrower rights than meant).
pub fn principal_of(user: &crate::store::UserRecord) -> Result<Principal, AppError> {
    policy::principal(&user.username, &user.role, &user.areas).map_err(|problem| {
        tracing::error!(user = %user.username, %problem, "account refused: fix its role or areas with `minqing user add`");
        AppError::Unauthorized(
            "this account cannot sign in; ask an administrator to fix its role or areas".into(),
        )
    })
}

/// The peer's address as the server saw it.
fn peer(parts: &Parts) -> SocketAddr {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0)
        .unwrap_or_else(|| SocketAddr::from(([0, 0, 0, 0], 0)))
}

/// True when the request came through a proxy named by `--trust-proxy`.
fn via_trusted_proxy(parts: &Parts, state: &AppState) -> bool {
    state.trusts_proxy(peer(parts).ip())
}

/// The client's address: the peer, or the last `X-Forwarded-For` hop when
/// the peer is a trusted proxy. Rate limits and lock-outs key on it.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub IpAddr);

impl ClientAddr {
    /// The address.
    pub fn ip(self) -> IpAddr {
        self.0
    }
}

impl FromRequestParts<Arc<AppState>> for ClientAddr {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, AppError> {
        let ip = peer(parts).ip();
        if via_trusted_proxy(parts, state)
            && let Some(fwd) = parts
                .headers
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.rsplit(',').next())
                .and_then(|v| v.trim().parse::<IpAddr>().ok())
        {
            return Ok(ClientAddr(fwd));
        }
        Ok(ClientAddr(ip))
    }
}

/// `scheme://host` of the request, for URLs handed out (TileJSON, OGC links).
/// `X-Forwarded-Host`/`-Proto` count only from a trusted proxy; a host that
/// is not a plain host name or address is not echoed.
#[derive(Debug, Clone)]
pub struct BaseUrl(pub String);

/// True for `name`, `name:port`, `1.2.3.4:port`, `[::1]:port`.
fn plain_host(h: &str) -> bool {
    !h.is_empty()
        && h.len() <= 255
        && h.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
}

impl FromRequestParts<Arc<AppState>> for BaseUrl {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, AppError> {
        let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
        let trusted = via_trusted_proxy(parts, state);
        let host = trusted
            .then(|| header("x-forwarded-host"))
            .flatten()
            .or_else(|| header("host"))
            .filter(|h| plain_host(h))
            .map(str::to_owned)
            .unwrap_or_else(|| state.local_addr().to_string());
        let proto = match trusted.then(|| header("x-forwarded-proto")).flatten() {
            Some("https") => "https",
            _ if state.serves_tls() => "https",
            _ => "http",
        };
        Ok(BaseUrl(format!("{proto}://{host}")))
    }
}

/// True when the request reached us over TLS (directly, or through a trusted
/// proxy that says so): the session cookie then carries `Secure`.
pub fn over_tls(state: &AppState, peer: IpAddr, headers: &HeaderMap) -> bool {
    state.serves_tls()
        || (state.trusts_proxy(peer)
            && headers
                .get("x-forwarded-proto")
                .and_then(|v| v.to_str().ok())
                == Some("https"))
}

/// Parses a required numeric query parameter with a clear 400.
pub fn num_param(q: &HashMap<String, String>, name: &str) -> Result<f64, AppError> {
    let raw = q.get(name).ok_or_else(|| {
        AppError::BadRequest(
            "missing_parameter",
            format!("query parameter `{name}` is required"),
        )
    })?;
    raw.trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| {
            AppError::BadRequest(
                "bad_parameter",
                format!("`{name}` must be a number, got {raw:?}"),
            )
        })
}

/// Parses lon/lat query parameters and checks their range.
pub fn lon_lat(q: &HashMap<String, String>) -> Result<(f64, f64), AppError> {
    let (lon, lat) = (num_param(q, "lon")?, num_param(q, "lat")?);
    crate::spatial::geom::check_lon_lat(lon, lat)
        .map_err(|d| AppError::BadRequest("bad_parameter", d))?;
    Ok((lon, lat))
}

/// A whole number written in digits; one too large for `usize` is `usize::MAX`
/// (a page beyond the end, or a limit to cap), not an error.
fn whole(raw: &str) -> Option<usize> {
    let t = raw.trim();
    let digits = t.strip_prefix('+').unwrap_or(t);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(digits.parse::<usize>().unwrap_or(usize::MAX))
}

/// Parses a count parameter (`limit`, `k`): ≥ 1, capped at `max`.
pub fn count_param(
    q: &HashMap<String, String>,
    name: &str,
    default: usize,
    max: usize,
) -> Result<usize, AppError> {
    let Some(raw) = q.get(name) else {
        return Ok(default);
    };
    match whole(raw) {
        Some(0) => Err(AppError::BadRequest(
            "bad_parameter",
            format!("`{name}` must be at least 1, got 0"),
        )),
        Some(n) => Ok(n.min(max)),
        None => Err(AppError::BadRequest(
            "bad_parameter",
            format!(
                "`{name}` must be a whole number of at least 1, got {:?}",
                crate::error::clip(raw)
            ),
        )),
    }
}

/// Parses an optional RFC 3339 time parameter with a clear 400.
pub fn time_param(
    q: &HashMap<String, String>,
    name: &str,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, AppError> {
    q.get(name)
        .map(|s| {
            chrono::DateTime::parse_from_rfc3339(s)
                .map(|t| t.with_timezone(&chrono::Utc))
                .map_err(|_| {
                    AppError::BadRequest(
                        "bad_parameter",
                        format!("`{name}` must be RFC 3339, got {s:?}"),
                    )
                })
        })
        .transpose()
}

/// Parses `offset` (default 0) with a clear 400.
pub fn offset_param(q: &HashMap<String, String>) -> Result<usize, AppError> {
    match q.get("offset") {
        None => Ok(0),
        Some(o) => whole(o).ok_or_else(|| {
            AppError::BadRequest(
                "bad_parameter",
                format!(
                    "`offset` must be a whole number ≥ 0, got {:?}",
                    crate::error::clip(o)
                ),
            )
        }),
    }
}

/// Fails with 503 until the index is loaded.
pub fn ready(state: &AppState) -> Result<(), AppError> {
    state.ready()
}

/// The content security policy: our own origin only, plus the tile servers
/// of XYZ base-map templates when the operator configured some.
fn csp(extra_origins: &[String]) -> String {
    let extra: String = extra_origins.iter().map(|o| format!(" {o}")).collect();
    format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:{extra}; font-src 'self' data:; connect-src 'self'{extra}; worker-src 'self' blob:; child-src 'self' blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    )
}

/// Every route: one table, so tests can check that each has its row in the
/// rights matrix (a new endpoint without one fails the test).
fn routes() -> Vec<(&'static str, MethodRouter<Arc<AppState>>)> {
    vec![
        ("/healthz", get(health::healthz)),
        ("/readyz", get(health::readyz)),
        ("/metrics", get(metrics::metrics)),
        ("/tiles/{name}", get(tiles::tilejson)),
        ("/tiles/{layers}/{z}/{x}/{y}", get(tiles::tile)),
        (
            "/api/grids/at",
            get(areas::grid_at).post(areas::grids_at_batch),
        ),
        ("/api/areas/{code}", get(areas::area)),
        ("/api/openapi.json", get(openapi::openapi)),
        ("/ogc", get(ogc::landing)),
        ("/ogc/conformance", get(ogc::conformance)),
        ("/ogc/collections", get(ogc::collections)),
        ("/ogc/collections/{id}", get(ogc::collection)),
        ("/ogc/collections/{id}/items", get(ogc::items_page)),
        ("/ogc/collections/{id}/items/{item}", get(ogc::item)),
        ("/ogc/api", get(ogc::openapi)),
        ("/ogc/collections/{id}/queryables", get(ogc::queryables)),
        ("/ogc/tileMatrixSets", get(ogc::tile_matrix_sets)),
        ("/ogc/tileMatrixSets/{tms}", get(ogc::tile_matrix_set)),
        ("/ogc/collections/{id}/tiles", get(ogc::collection_tilesets)),
        (
            "/ogc/collections/{id}/tiles/{tms}",
            get(ogc::collection_tileset),
        ),
        (
            "/ogc/collections/{id}/tiles/{tms}/{z}/{row}/{col}",
            get(ogc::collection_tile),
        ),
        ("/ogc/tiles", get(ogc::dataset_tilesets)),
        ("/ogc/tiles/{tms}", get(ogc::dataset_tileset)),
        ("/ogc/tiles/{tms}/{z}/{row}/{col}", get(ogc::dataset_tile)),
        ("/api/hazards/nearest", get(query::nearest_hazards)),
        ("/api/nearby", get(query::nearby)),
        ("/api/query/within", post(query::within)),
        ("/api/search", get(search::search)),
        ("/api/auth/login", post(auth::login)),
        ("/api/auth/logout", post(auth::logout)),
        ("/api/me", get(auth::me)),
        (
            "/api/incidents",
            idempotent(post(incidents::post)).get(incidents::list),
        ),
        ("/api/incidents/categories", get(incidents::categories)),
        ("/api/incidents/recent", get(incidents::recent)),
        ("/api/incidents/{id}", get(incidents::detail)),
        ("/api/incidents/{id}/actions", post(incidents::act)),
        ("/api/events", get(events::events)),
        ("/api/stats/incidents", get(stats::incidents)),
        ("/api/people", get(people::list)),
        ("/api/people/{id}", get(people::detail)),
        ("/api/audit", get(people::audit)),
        ("/api/export/{file}", get(export::export)),
        ("/api/patrol/coverage", get(patrol::coverage)),
        ("/open311/v2/services.json", get(open311::services)),
        (
            "/open311/v2/requests.json",
            idempotent(post(open311::post_request)).get(open311::list_requests),
        ),
        ("/open311/v2/requests/{file}", get(open311::get_request)),
        ("/api/patrol/gaps", get(patrol::gaps)),
        ("/api/patrol/tracks", idempotent(post(patrol_tracks::post))),
        ("/api/admin/users", get(admin::list).post(admin::create)),
        ("/api/admin/users/{name}", post(admin::change)),
        (
            "/api/import/{layer}",
            idempotent(post(import::upload)).layer(DefaultBodyLimit::max(import::MAX_IMPORT_BYTES)),
        ),
        ("/api/me/password", post(auth::change_password)),
        (
            "/api/warnings",
            idempotent(post(warnings::post)).get(warnings::list),
        ),
        ("/api/warnings/{id}", get(warnings::detail)),
        ("/api/warnings/{id}/actions", post(warnings::act)),
        ("/api/warnings/{id}/{file}", get(warnings::file)),
        // Follow-up visits (走访) and their schedule (issue 16).
        (
            "/api/config/visits",
            get(visits::schedule).put(visits::put_schedule),
        ),
        (
            "/api/people/{id}/visits",
            idempotent(post(visits::post)).get(visits::of_person),
        ),
        ("/api/visits", get(visits::list)),
        ("/api/visits/due", get(visits::due)),
        ("/basemap/rivers.geojson", get(web::rivers)),
        ("/basemap/tiles.json", get(basemap::tilejson)),
        ("/basemap/tiles/{z}/{x}/{y}", get(basemap::tile)),
        ("/basemap/source.pmtiles", get(basemap::pmtiles_file)),
        ("/", get(web::index)),
        ("/wall", get(web::index)),
        ("/grid", get(web::grid)),
        ("/flood", get(web::index)),
        // Case photos and the deadlines configuration (issue 13).
        (
            "/api/incidents/{id}/photos",
            idempotent(post(cases::upload))
                .layer(DefaultBodyLimit::max(cases::MAX_PHOTO_REQUEST_BYTES)),
        ),
        ("/api/incidents/{id}/photos/{n}", get(cases::photo)),
        ("/api/config/deadlines", get(cases::deadlines)),
        ("/api/config/deadlines/{category}", put(cases::set_deadline)),
        ("/admin", get(web::index)),
    ]
}

/// The path of every route (for the rights matrix test).
pub fn route_paths() -> Vec<&'static str> {
    routes().into_iter().map(|(p, _)| p).collect()
}

/// The whole router.
pub fn router(state: Arc<AppState>) -> Router {
    let api = routes()
        .into_iter()
        .fold(Router::new(), |r, (path, m)| r.route(path, m))
        .fallback(web::asset);
    let m = state.clone();
    let policy = HeaderValue::from_str(&csp(&state.basemap.origins()))
        .unwrap_or_else(|_| HeaderValue::from_static("default-src 'self'"));
    api.with_state(state.clone())
        // The idempotency layer of creating routes finds the state here.
        .layer(axum::Extension(state.clone()))
        .layer(axum::middleware::from_fn_with_state(m, metrics::count))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            policy,
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        // Extractors (Bytes, Json) stop at 2 MiB unless told: the contract's limit is 8 MiB
        // (uploads raise it on their own routes, and `body_limit` bounds every body by path).
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(body_limit))
        .layer(axum::middleware::from_fn(time_limit))
        .layer(axum::middleware::from_fn(json_errors))
        .layer(TraceLayer::new_for_http())
}

/// The most a request body to `path` may hold: the contract's 8 MiB; nine
/// photos of 10 MB on the photo endpoint; 1 GiB for an import upload.
///
/// ```
/// use minqing::http::body_limit_for;
/// assert_eq!(body_limit_for("/api/incidents"), 8 << 20);
/// assert_eq!(body_limit_for("/api/import/grids"), 1 << 30);
/// assert!(body_limit_for("/api/incidents/SJ-1/photos") > 90_000_000);
/// ```
pub fn body_limit_for(path: &str) -> usize {
    if path.starts_with("/api/import/") {
        import::MAX_IMPORT_BYTES
    } else if path.starts_with("/api/incidents/") && path.ends_with("/photos") {
        cases::MAX_PHOTO_REQUEST_BYTES
    } else {
        MAX_BODY_BYTES
    }
}

/// Bounds every request body by its route's limit: a declared length beyond
/// it is refused at once (413), a body that grows beyond it fails its
/// extractor with 413 as well.
async fn body_limit(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let limit = body_limit_for(req.uri().path());
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return AppError::TooLarge(format!("the request body is limited to {limit} bytes"))
            .into_response();
    }
    let (parts, body) = req.into_parts();
    let body = axum::body::Body::new(http_body_util::Limited::new(body, limit));
    next.run(axum::extract::Request::from_parts(parts, body))
        .await
}

/// How long an import upload may take to be checked and written.
pub const IMPORT_TIMEOUT: Duration = Duration::from_secs(600);

/// Longest a request may take to produce its answer's head (a live stream
/// then runs on).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// 408 as JSON when a request takes longer than [`REQUEST_TIMEOUT`].
async fn time_limit(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let limit = if req.uri().path().starts_with("/api/import/") {
        IMPORT_TIMEOUT
    } else {
        REQUEST_TIMEOUT
    };
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(res) => res,
        Err(_) => AppError::Timeout(format!(
            "the request took longer than {} s",
            limit.as_secs()
        ))
        .into_response(),
    }
}

/// The machine code of an error status.
fn error_code(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "bad_request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        405 => "method_not_allowed",
        408 => "timeout",
        409 => "conflict",
        413 => "too_large",
        415 => "unsupported_media_type",
        416 => "bad_range",
        422 => "unprocessable",
        429 => "rate_limited",
        503 => "unavailable",
        s if s >= 500 => "internal",
        _ => "error",
    }
}

/// Every error the server gives is JSON: answers that axum or tower-http
/// produce themselves (405, 413, a path that is not UTF-8, …) are rewritten
/// as `{"error","detail"}`, keeping status and headers such as `Allow`.
async fn json_errors(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let res = next.run(req).await;
    let status = res.status();
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.contains("json"));
    if status.as_u16() < 400 || is_json {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let text = axum::body::to_bytes(body, 64 << 10)
        .await
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&text);
    let detail = if status.is_server_error() || text.trim().is_empty() {
        status.canonical_reason().unwrap_or("error").to_owned()
    } else {
        crate::error::clip(text.trim())
    };
    let body = serde_json::json!({"error": error_code(status), "detail": detail}).to_string();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Response::from_parts(parts, axum::body::Body::from(body))
}
