//! `uptake-collector`: serves the PM's config and the SDK to browsers, receives their event
//! batches and stores each event once in SQLite. `check` validates a config file without
//! serving it; `compile` prints the compiled form SDKs read (for an SDK given its config inline);
//! `generate-history` writes a deterministic history of the demo app, `import` loads NDJSON
//! events into the database as `POST /v1/batch` would, and `rebuild` recomputes the metrics'
//! records.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(name = "uptake-collector", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve the config, the SDK and the demo app, and store the event batches sent to it.
    Serve(Box<uptake_collector::server::ServeOptions>),
    /// Check a config file and print every error in it, or OK.
    Check {
        /// The JSON config file.
        config: PathBuf,
    },
    /// Check a config file and print its compiled form, as `GET /v1/config` serves it: the form
    /// to give the SDK's `config` option.
    Compile {
        /// The JSON config file.
        config: PathBuf,
    },
    /// Print the JSON Schema of config files (committed as schema/uptake-config.schema.json).
    Schema,
    /// Write a deterministic history of the demo app as NDJSON (the form `GET /v1/export`
    /// writes), made by the device engine driven by simulated users (docs/history.md).
    GenerateHistory(Box<uptake_collector::history::HistoryOptions>),
    /// Load NDJSON events (the form `GET /v1/export` writes) through the checks and the
    /// deduplication of `POST /v1/batch`, keeping the metrics' records up to date.
    Import(Box<uptake_collector::import::ImportOptions>),
    /// Recompute the metrics' records from the stored events under a config (a running
    /// collector does it in the background when its config changes).
    Rebuild(uptake_collector::rebuild::RebuildOptions),
}

/// The exit of a command that prints what it did, or why it failed.
fn finish(result: Result<impl std::fmt::Display, impl std::fmt::Display>) -> ExitCode {
    match result {
        Ok(summary) => {
            println!("{summary}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("uptake-collector: {error}");
            ExitCode::FAILURE
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check { config } => match uptake_collector::config_file::ConfigFile::load(&config) {
            Ok(_) => {
                println!("{}: OK", config.display());
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("{error}");
                ExitCode::FAILURE
            }
        },
        Command::Compile { config } => match uptake_collector::config_file::ConfigFile::load(&config) {
            Ok(file) => {
                println!("{}", file.compiled);
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("{error}");
                ExitCode::FAILURE
            }
        },
        Command::Schema => {
            print!("{}", uptake_core::config::config_schema_json());
            ExitCode::SUCCESS
        }
        Command::GenerateHistory(options) => match uptake_collector::history::generate(&options) {
            Ok(summary) => {
                eprintln!("uptake-collector: wrote {summary}");
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("uptake-collector: {error}");
                ExitCode::FAILURE
            }
        },
        Command::Import(options) => finish(uptake_collector::import::import(*options)),
        Command::Rebuild(options) => finish(uptake_collector::rebuild::rebuild(&options)),
        Command::Serve(options) => match uptake_collector::server::serve(*options) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("uptake-collector: {error}");
                ExitCode::FAILURE
            }
        },
    }
}
