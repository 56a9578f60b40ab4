//! Starting and stopping the server: options from the command line, the config checked before
//! anything listens, the database opened, and a graceful stop on Ctrl-C or SIGTERM that lets
//! requests in flight finish within a grace (`connections`), then closes what is left.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::http::HeaderValue;

use crate::batch::Limits;
use crate::config_file::{ConfigFile, ConfigFileError};
use crate::connections::Timeouts;
use crate::live_config::{Live, LiveConfig};
use crate::rate_limit::WriteKeyRateLimit;
use crate::routes::{AppState, StaticDirs, now_ms, router};
use crate::store::writer::Writer;
use crate::store::{Database, StoreError};

/// An origin as browsers send it: scheme, host and port, no path.
fn parse_origin(text: &str) -> Result<HeaderValue, String> {
    let origin = text.trim_end_matches('/');
    let host = origin.strip_prefix("https://").or_else(|| origin.strip_prefix("http://"));
    match host {
        Some(host) if !host.is_empty() && !host.contains('/') => {
            HeaderValue::from_str(origin).map_err(|error| format!("{text:?}: {error}"))
        }
        _ => Err(format!("{text:?} is not an origin; write it as https://app.example.com (with a port if needed)")),
    }
}

#[derive(clap::Args, Debug)]
pub struct ServeOptions {
    /// The JSON config served to SDKs; the collector refuses to start if it is invalid.
    #[arg(long)]
    config: PathBuf,
    /// Where events are stored: a SQLite file (created if missing) or a PostgreSQL URL such as
    /// postgres://user:password@host:5432/db.
    #[arg(long, default_value = "uptake.db", value_parser = Database::parse)]
    database: Database,
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value_t = crate::DEFAULT_LISTEN)]
    listen: SocketAddr,
    /// A write key the collector accepts batches for (repeat for several apps).
    #[arg(long = "write-key", required = true)]
    write_keys: Vec<String>,
    /// The demo app (or any static site) served at `/`.
    #[arg(long, default_value = "www")]
    www: PathBuf,
    /// The dashboard served at `/dashboard/`.
    #[arg(long, default_value = "dashboard")]
    dashboard: PathBuf,
    /// The built SDK served at `/uptake/`.
    #[arg(long, default_value = "pkg")]
    sdk: PathBuf,
    /// An origin of the app whose pages may send events and read the config from another
    /// origin than the collector's (repeat for several); pages served by the collector itself
    /// need none.
    #[arg(long = "allow-origin", value_parser = parse_origin)]
    allowed_origins: Vec<HeaderValue>,
    /// The key `GET /v1/export` asks for (`Authorization: Bearer <key>`); without it there is
    /// no export.
    #[arg(long, env = "UPTAKE_ADMIN_KEY")]
    admin_key: Option<String>,
    /// Batches per second accepted per write key; more get 429 with Retry-After. 0: no limit.
    #[arg(long, default_value_t = 1_000)]
    rate_limit: u32,
    /// The largest batch in bytes, once decompressed; larger ones get 413.
    #[arg(long, default_value_t = Limits::default().batch_bytes)]
    max_batch_bytes: usize,
    /// The largest event in bytes; larger ones are refused by index.
    #[arg(long, default_value_t = Limits::default().event_bytes)]
    max_event_bytes: usize,
    /// Seconds a client may take to send a request's head, and a kept-alive connection may wait
    /// for its next request; then the connection is closed.
    #[arg(long, default_value_t = Timeouts::default().header.as_secs_f64())]
    header_timeout: f64,
    /// Seconds a client may pause while sending a body; then the request gets 408.
    #[arg(long, default_value_t = Timeouts::default().body.as_secs_f64())]
    body_timeout: f64,
    /// Seconds requests in flight get to finish on a stop (Ctrl-C, SIGTERM); then every
    /// connection still open is closed.
    #[arg(long, default_value_t = Timeouts::default().grace.as_secs_f64())]
    shutdown_grace: f64,
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Config(#[from] ConfigFileError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot listen on {address}: {source}")]
    Listen { address: SocketAddr, source: std::io::Error },
    #[error("the server stopped: {0}")]
    Io(#[from] std::io::Error),
    #[error("{option} {value}: give a number of seconds above 0")]
    BadDuration { option: &'static str, value: f64 },
}

pub fn serve(options: ServeOptions) -> Result<(), ServeError> {
    let timeouts = Timeouts {
        header: seconds("--header-timeout", options.header_timeout)?,
        body: seconds("--body-timeout", options.body_timeout)?,
        grace: seconds("--shutdown-grace", options.shutdown_grace)?,
    };
    let config = ConfigFile::load(&options.config)?;
    let live = Live::new(config.config, config.source);
    let (writer, writer_thread) =
        Writer::start(options.database.open_store()?, live.deriver.clone(), live.source.clone(), now_ms())?;
    let live = Arc::new(LiveConfig::new(live, options.config.clone()));
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let served = runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(options.listen)
            .await
            .map_err(|source| ServeError::Listen { address: options.listen, source })?;
        let address = listener.local_addr()?;
        if !options.sdk.join("uptake.js").is_file() {
            eprintln!("uptake-collector: warning: no SDK build in {} (run scripts/build-sdk)", options.sdk.display());
        }
        let following = tokio::spawn(live.clone().follow_file(writer.clone()));
        let records = crate::metrics::RecordCache::warmed(&options.database);
        let state = AppState {
            live,
            write_keys: options.write_keys,
            writer,
            database: options.database.clone(),
            records,
            body_timeout: timeouts.body,
            admin_key: options.admin_key.filter(|key| !key.is_empty()),
            limits: Limits { batch_bytes: options.max_batch_bytes, event_bytes: options.max_event_bytes },
            rate_limit: WriteKeyRateLimit::new(options.rate_limit),
        };
        let app = router(
            state,
            StaticDirs { www: options.www, dashboard: options.dashboard, sdk: options.sdk },
            options.allowed_origins,
        );
        println!(
            "uptake-collector listening on http://{address}/ (config {}, database {})",
            options.config.display(),
            options.database
        );
        crate::connections::serve(listener, app, timeouts, shutdown_signal()).await;
        // Its handle to the writer goes with it, so that the writer can finish.
        following.abort();
        let _ = following.await;
        Ok(())
    });
    // The connections still open after the grace are dropped with the runtime, and with them
    // the router and the last handle to the writer: the writer commits what it was handed and
    // stops.
    runtime.shutdown_background();
    writer_thread.join();
    served
}

/// A duration given in seconds on the command line: positive and finite.
fn seconds(option: &'static str, value: f64) -> Result<std::time::Duration, ServeError> {
    std::time::Duration::try_from_secs_f64(value)
        .ok()
        .filter(|duration| !duration.is_zero())
        .ok_or(ServeError::BadDuration { option, value })
}

async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}
