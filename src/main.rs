//! `minqing`: parse the command line, set up logs, run one command.

use std::io::Read;
use std::process::ExitCode;

use clap::Parser;
use minqing::app::{App, AppConfig, shutdown_signal};
use minqing::config::{
    CheckCommand, Cli, Command, DEFAULT_STORE, ServeArgs, UserCommand, redact_url,
};

/// mimalloc rather than glibc's malloc: see Cargo.toml.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("MINQING_LOG")
                .unwrap_or_else(|_| "info,sqlx=warn,tower_http=warn".into()),
        )
        .with_target(false)
        .init();
    match run(cli).await {
        Ok(code) => code,
        Err(e) => {
            // One clear line; URLs in messages are already redacted by the store.
            eprintln!(
                "minqing: {}",
                e.to_string().lines().next().unwrap_or("failed")
            );
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let store_url = cli.store.clone();
    match cli.command {
        None => serve(&store_url, cli.serve).await,
        Some(Command::Serve(args)) => serve(&store_url, args).await,
        Some(Command::Migrate) => {
            let store = minqing::store::open(&store_url).await?;
            store.migrate().await?;
            println!("migrations applied to {}", redact_url(&store_url));
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::User {
            action:
                UserCommand::Add {
                    name,
                    role,
                    areas,
                    password_stdin,
                },
        }) => user_add(&store_url, name, role, areas, password_stdin).await,
        Some(Command::Gen { scale }) => generate(&store_url, scale).await,
        Some(Command::Import(args)) => minqing::commands::import::run(&store_url, args).await,
        Some(Command::Check {
            what: CheckCommand::Grids { geojson },
        }) => minqing::commands::check::grids(&store_url, geojson.as_deref()).await,
    }
}

async fn serve(store_url: &str, args: ServeArgs) -> anyhow::Result<ExitCode> {
    let mut config = AppConfig::new(store_url, args.bind);
    // The default embedded store seeds the demo on its first start.
    config.demo = args.demo || store_url == DEFAULT_STORE;
    config.tile_cache_bytes = args.tile_cache_mb << 20;
    config.live_days = (args.live_days > 0).then_some(args.live_days);
    config.trust_proxy = args.trust_proxy;
    config.basemap = args.basemap;
    config.tls = args.tls_cert.zip(args.tls_key);
    let scheme = if config.tls.is_some() {
        "https"
    } else {
        "http"
    };
    let app = App::build(config).await?;
    tracing::info!(store = %redact_url(store_url), "serving 民情地图 on {scheme}://{}", app.local_addr());
    app.run(shutdown_signal()).await?;
    // Work still running on the blocking pool after the grace period cannot be
    // cancelled; the runtime would wait for it. The contract says exit now.
    std::process::exit(0);
}

async fn generate(store_url: &str, scale: u32) -> anyhow::Result<ExitCode> {
    if scale == 0 {
        anyhow::bail!("--scale must be at least 1");
    }
    let store = minqing::store::open(store_url).await?;
    store.migrate().await?;
    if !store.is_empty().await? {
        anyhow::bail!(
            "the store at {} already holds data; gen writes only into an empty store",
            redact_url(store_url)
        );
    }
    let t = std::time::Instant::now();
    let data =
        tokio::task::spawn_blocking(move || minqing::demo::city::city(scale, chrono::Utc::now()))
            .await?;
    let made = t.elapsed();
    store.seed(&data).await?;
    println!(
        "wrote {} areas, {} hazards, {} incidents, {} people, {} patrol points (generated in {:.1} s, stored in {:.1} s)",
        data.areas.len(),
        data.hazards.len(),
        data.incidents.len(),
        data.people.len(),
        data.patrol_points.len(),
        made.as_secs_f64(),
        (t.elapsed() - made).as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

async fn user_add(
    store_url: &str,
    name: String,
    role: String,
    areas: Vec<String>,
    password_stdin: bool,
) -> anyhow::Result<ExitCode> {
    // The policy's own check: an area role without an area would see nothing.
    minqing::auth::policy::principal(&name, &role, &areas).map_err(|p| match p {
        minqing::auth::policy::AccountProblem::UnknownRole(_) => anyhow::anyhow!(
            "unknown role {role:?}: use admin, command, street, community, grid, flood or public"
        ),
        minqing::auth::policy::AccountProblem::NoArea => anyhow::anyhow!(
            "role {role} works in areas: give at least one --area CODE (e.g. --area 441802006001001)"
        ),
        other => anyhow::anyhow!("{other}"),
    })?;
    let password = if password_stdin {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s)?;
        s.trim_end_matches(['\r', '\n']).to_owned()
    } else {
        std::env::var("MINQING_PASSWORD").map_err(|_| {
            anyhow::anyhow!("give the password with --password-stdin or env MINQING_PASSWORD")
        })?
    };
    if password.chars().count() < 8 {
        anyhow::bail!("the password must have at least 8 characters");
    }
    let store = minqing::store::open(store_url).await?;
    store.migrate().await?;
    let hash = minqing::auth::password::hash(&password).map_err(|e| anyhow::anyhow!(e))?;
    store
        .put_user(&minqing::store::UserRecord {
            username: name.clone(),
            password_hash: hash,
            role: role.clone(),
            areas,
            failed_logins: 0,
            locked_until: None,
        })
        .await?;
    println!("user {name} ({role}) saved");
    Ok(ExitCode::SUCCESS)
}
