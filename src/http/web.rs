//! The map app's files, compiled into the binary (one file to deploy).

use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use rust_embed::Embed;

use crate::error::AppError;

#[derive(Embed)]
#[folder = "web/"]
#[exclude = "*.map"]
struct Assets;

fn serve(path: &str, cache: &'static str) -> Option<Response> {
    let file = Assets::get(path)?;
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    Some(
        (
            [
                (header::CONTENT_TYPE, mime.as_ref().to_owned()),
                (header::CACHE_CONTROL, cache.to_owned()),
            ],
            file.data.into_owned(),
        )
            .into_response(),
    )
}

/// `/`, `/wall`, `/grid`, `/flood`, `/admin`: the app shell.
pub async fn index() -> Response {
    serve("index.html", "no-cache").unwrap_or_else(|| {
        (
            StatusCode::NOT_FOUND,
            "web/index.html missing from the build",
        )
            .into_response()
    })
}

/// `/grid`: the app shell with the phone app's web app manifest linked, so
/// the grid head's view installs as an app (its script registers the
/// service worker `/sw.js`).
pub async fn grid() -> Response {
    let Some(file) = Assets::get("index.html") else {
        return index().await;
    };
    let html = String::from_utf8_lossy(&file.data).replacen(
        "<link rel=\"icon\" href=\"data:,\">",
        "<link rel=\"icon\" href=\"data:,\">\n  <link rel=\"manifest\" href=\"/manifest.webmanifest\">\n  <meta name=\"theme-color\" content=\"#e6550d\">\n  <link rel=\"apple-touch-icon\" href=\"/icons/app-192.png\">",
        1,
    );
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8".to_owned()),
            (header::CACHE_CONTROL, "no-cache".to_owned()),
        ],
        html,
    )
        .into_response()
}

/// Any other path: a web asset or a JSON 404.
pub async fn asset(uri: Uri) -> Response {
    let path = uri.path().trim_start_matches('/');
    let cache = if path.starts_with("vendor/") {
        "public, max-age=86400"
    } else {
        "no-cache"
    };
    serve(path, cache).unwrap_or_else(|| {
        AppError::NotFound(format!(
            "no such resource: {}",
            crate::error::clip(uri.path())
        ))
        .into_response()
    })
}

/// `/basemap/rivers.geojson`: the district's rivers for the offline base map.
pub async fn rivers() -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/geo+json"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        crate::demo::RIVERS,
    )
        .into_response()
}
