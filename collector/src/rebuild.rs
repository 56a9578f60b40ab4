//! `uptake-collector rebuild`: recomputes the metrics' records from the stored events under a
//! config, in the foreground, with the steps a running collector takes in the background after
//! a config change (`store::EventStore::begin_rebuild`, `rebuild_step`). For a database whose
//! records are in doubt, or to rebuild before serving rather than while serving.

use std::path::PathBuf;
use std::time::Instant;

use crate::config_file::{ConfigFile, ConfigFileError};
use crate::derived::Deriver;
use crate::store::{Database, StoreError};

/// Events taken in per transaction.
const STEP: u32 = 20_000;

#[derive(clap::Args, Debug)]
pub struct RebuildOptions {
    /// The config the records are built under: the one `serve` serves.
    #[arg(long, default_value = "www/uptake.config.json")]
    config: PathBuf,
    /// The database: a SQLite file or a PostgreSQL URL, as for `serve`.
    #[arg(long, default_value = "uptake.db", value_parser = Database::parse)]
    database: Database,
}

#[derive(Debug, thiserror::Error)]
pub enum RebuildError {
    #[error(transparent)]
    Config(#[from] ConfigFileError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Rebuilds the records; returns what it did, to print.
pub fn rebuild(options: &RebuildOptions) -> Result<String, RebuildError> {
    let config = ConfigFile::load(&options.config)?;
    let deriver = Deriver::new(config.config);
    let mut store = options.database.open_store()?;
    let started = Instant::now();
    let mut state = store.begin_rebuild(&deriver.version())?;
    while !state.is_complete() {
        state = store.rebuild_step(&deriver, STEP)?;
    }
    Ok(format!(
        "rebuilt the records from the stored events (rows up to {}) under config version {} in {:.1} s",
        state.rebuild_until,
        deriver.version(),
        started.elapsed().as_secs_f64()
    ))
}
