//! Command line and environment. Store URLs are redacted wherever they are shown.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// The embedded store used when none is given.
pub const DEFAULT_STORE: &str = "sqlite://minqing-data/minqing.db";

/// 民情地图 Minqing Map — a map service for grid-based social governance.
#[derive(Debug, Parser)]
#[command(name = "minqing", version, about)]
pub struct Cli {
    /// Store URL: sqlite://PATH (embedded) or postgres://… (PostGIS).
    #[arg(long, env = "MINQING_STORE", global = true, default_value = DEFAULT_STORE, hide_env_values = true)]
    pub store: String,
    /// What to do (default: serve).
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Serve options when no subcommand is given.
    #[command(flatten)]
    pub serve: ServeArgs,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the map (the default).
    Serve(ServeArgs),
    /// Apply migrations and exit.
    Migrate,
    /// Load a layer from Shapefile, GeoJSON or CSV.
    Import(ImportArgs),
    /// Consistency checks.
    Check {
        /// What to check.
        #[command(subcommand)]
        what: CheckCommand,
    },
    /// Write a synthetic city of N grids into the store, for benchmarks.
    Gen {
        /// Number of grids.
        #[arg(long)]
        scale: u32,
    },
    /// Manage accounts.
    User {
        /// Account action.
        #[command(subcommand)]
        action: UserCommand,
    },
}

/// `serve` options.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Listen address.
    #[arg(long, env = "MINQING_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// Seed the demo district into an empty store.
    #[arg(long)]
    pub demo: bool,
    /// Tile cache size in MiB (0 turns the cache off, e.g. for benchmarks).
    #[arg(long, env = "MINQING_TILE_CACHE_MB", default_value_t = 256)]
    pub tile_cache_mb: usize,
    /// Days of closed cases kept in memory: cases closed or rejected that were
    /// reported longer ago are history, read from the store when asked for
    /// (memory follows the live set, not ten years of archive). 0 keeps every
    /// case in memory; otherwise at least 8 (the map shows the last 7 days).
    #[arg(long, env = "MINQING_LIVE_DAYS", default_value_t = 90, value_parser = live_days)]
    pub live_days: u32,
    /// Address of a reverse proxy whose X-Forwarded-For/-Host/-Proto headers
    /// are believed (repeat or comma-separate for several); from anyone else they are ignored.
    #[arg(long, env = "MINQING_TRUST_PROXY", value_delimiter = ',')]
    pub trust_proxy: Vec<std::net::IpAddr>,
    /// Base map under the layers: a local .pmtiles or .mbtiles file (vector or
    /// raster, served by this binary), or an http(s) XYZ URL template with {z},
    /// {x}, {y} (several, bottom first, joined by " | ", e.g. Tianditu vec_w and
    /// cva_w). Absent: the built-in offline outline.
    #[arg(long, env = "MINQING_BASEMAP")]
    pub basemap: Option<String>,
    /// Serve HTTPS directly with this certificate chain (PEM); phones need a
    /// secure context for their location. Needs --tls-key.
    #[arg(long, env = "MINQING_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The certificate's private key (PEM: PKCS#8, PKCS#1 or SEC1). Needs --tls-cert.
    #[arg(long, env = "MINQING_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
}

/// `--live-days`: 0, or at least [`crate::domain::incident::MIN_LIVE_DAYS`].
fn live_days(s: &str) -> Result<u32, String> {
    let min = crate::domain::incident::MIN_LIVE_DAYS;
    match s.parse::<u32>() {
        Ok(n) if n == 0 || n >= min => Ok(n),
        Ok(n) => Err(format!(
            "{n} days is shorter than the map's 7 days: use 0 (everything in memory) or at least {min}"
        )),
        Err(_) => Err(format!("{s:?} is not a number of days")),
    }
}

/// `import` options.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The file to load (.shp, .geojson/.json, .csv).
    pub file: PathBuf,
    /// Target layer: grids, hazards, shelters, places, people, incidents.
    #[arg(long)]
    pub layer: String,
    /// Coordinate system of the file.
    #[arg(long, default_value = "wgs84", value_parser = ["wgs84", "cgcs2000", "gcj02", "bd09"])]
    pub crs: String,
    /// A JSON file mapping source columns to our fields.
    #[arg(long)]
    pub mapping: Option<PathBuf>,
    /// A value for the whole file where rows leave a field empty, e.g. `--default risk=黄` (repeatable).
    #[arg(long = "default", value_name = "FIELD=VALUE", value_parser = parse_default)]
    pub defaults: Vec<(String, String)>,
    /// Report what would be imported without writing.
    #[arg(long)]
    pub dry_run: bool,
}

/// `check` targets.
#[derive(Debug, Subcommand)]
pub enum CheckCommand {
    /// Grid topology: gaps, overlaps, grids outside their parent, bad codes.
    Grids {
        /// Also write the problems as a GeoJSON FeatureCollection to this file.
        #[arg(long)]
        geojson: Option<PathBuf>,
    },
}

/// `user` actions.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create (or replace) an account.
    Add {
        /// Login name.
        name: String,
        /// admin, command, street, community, grid, flood or public.
        #[arg(long)]
        role: String,
        /// Assigned area codes (repeatable).
        #[arg(long = "area")]
        areas: Vec<String>,
        /// Read the password from standard input.
        #[arg(long)]
        password_stdin: bool,
    },
}

/// Parses `FIELD=VALUE` of `--default`.
fn parse_default(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((f, v)) if !f.trim().is_empty() => Ok((f.trim().to_owned(), v.to_owned())),
        _ => Err(format!("{s:?}: expected FIELD=VALUE, e.g. risk=黄")),
    }
}

/// Replaces the password in a URL by `***` for logs and messages.
///
/// ```
/// use minqing::config::redact_url;
/// assert_eq!(redact_url("postgres://u:secret@h/db"), "postgres://u:***@h/db");
/// assert_eq!(redact_url("sqlite://x.db"), "sqlite://x.db");
/// ```
pub fn redact_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        Ok(_) => raw.to_owned(),
        // Unparseable: hide everything between "://" and "@" to be safe.
        Err(_) => match (raw.find("://"), raw.rfind('@')) {
            (Some(s), Some(at)) if at > s => format!("{}://***{}", &raw[..s], &raw[at..]),
            _ => raw.to_owned(),
        },
    }
}
