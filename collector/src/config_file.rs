//! The config file named on the command line: read, decoded and checked with the core's
//! decoder, so the collector refuses to serve a config the SDK could not use, and says where
//! every mistake is; then compiled into the form SDKs read (`uptake_core::config::compact`).

use std::path::{Path, PathBuf};

use uptake_core::config::{Config, ConfigErrors};

/// A config file that passed every check, compiled as served to SDKs.
#[derive(Debug, Clone)]
pub struct ConfigFile {
    pub config: Config,
    /// The file's text.
    pub source: String,
    pub compiled: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigFileError {
    #[error("cannot read the config file {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("the config file {} is invalid:\n{}", path.display(), indent(errors))]
    Invalid { path: PathBuf, errors: ConfigErrors },
}

fn indent(errors: &ConfigErrors) -> String {
    errors.0.iter().map(|error| format!("  {error}")).collect::<Vec<_>>().join("\n")
}

impl ConfigFile {
    pub fn load(path: &Path) -> Result<ConfigFile, ConfigFileError> {
        let text =
            std::fs::read_to_string(path).map_err(|source| ConfigFileError::Read { path: path.to_owned(), source })?;
        let config = Config::from_json_text(&text)
            .map_err(|errors| ConfigFileError::Invalid { path: path.to_owned(), errors })?;
        Ok(ConfigFile { compiled: config.to_compact_json(), config, source: text })
    }
}
