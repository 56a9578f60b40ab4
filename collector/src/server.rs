//! Starting and stopping the server: options from the command line, the config checked before
//! anything listens, the database opened, and a graceful stop on Ctrl-C or SIGTERM that lets
//! requests in flight finish.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use crate::config_file::{ConfigFile, ConfigFileError};
use crate::routes::{AppState, StaticDirs, router};
use crate::store::{Store, StoreError};

#[derive(clap::Args, Debug)]
pub struct ServeOptions {
    /// The JSON config served to SDKs; the collector refuses to start if it is invalid.
    #[arg(long)]
    config: PathBuf,
    /// The SQLite file events are stored in (created if missing).
    #[arg(long, default_value = "uptake.db")]
    database: PathBuf,
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value_t = crate::DEFAULT_LISTEN)]
    listen: SocketAddr,
    /// A write key the collector accepts batches for (repeat for several apps).
    #[arg(long = "write-key", required = true)]
    write_keys: Vec<String>,
    /// The demo app (or any static site) served at `/`.
    #[arg(long, default_value = "www")]
    www: PathBuf,
    /// The built SDK served at `/uptake/`.
    #[arg(long, default_value = "pkg")]
    sdk: PathBuf,
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
}

pub fn serve(options: ServeOptions) -> Result<(), ServeError> {
    let config = ConfigFile::load(&options.config)?;
    let store = Store::open(&options.database)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(options.listen)
            .await
            .map_err(|source| ServeError::Listen { address: options.listen, source })?;
        let address = listener.local_addr()?;
        if !options.sdk.join("uptake.js").is_file() {
            eprintln!("uptake-collector: warning: no SDK build in {} (run scripts/build-sdk)", options.sdk.display());
        }
        let state =
            AppState { config_text: config.text, write_keys: options.write_keys, store: Arc::new(Mutex::new(store)) };
        let app = router(state, StaticDirs { www: options.www, sdk: options.sdk });
        println!(
            "uptake-collector listening on http://{address}/ (config {}, database {})",
            options.config.display(),
            options.database.display()
        );
        axum::serve(listener, app).with_graceful_shutdown(shutdown_signal()).await?;
        Ok(())
    })
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
