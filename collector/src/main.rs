//! `uptake-collector`: serves the PM's config and the SDK to browsers, receives their event
//! batches and stores each event once in SQLite. `check` validates a config file without
//! serving it; `compile` prints the compiled form SDKs read (for an SDK given its config inline).

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
        Command::Serve(options) => match uptake_collector::server::serve(*options) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("uptake-collector: {error}");
                ExitCode::FAILURE
            }
        },
    }
}
