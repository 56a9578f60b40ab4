//! The config being served, which a PM changes without restarting anything: `PUT /v1/config`
//! with the admin key, or an edit of the config file (read again every two seconds). A new
//! config is checked with the core's checker first (refused with every error at its path, and
//! nothing changes), written to the file (so the file and the collector agree), recorded in the
//! store with its time by the writer, which then rebuilds the metrics' records under it in the
//! background, and served from the next request on. SDKs revalidate the config on every page
//! (`no-cache` with an entity tag), so the next page of every user gets it.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use uptake_core::config::{Config, ConfigErrors};

use crate::admin::refusal;
use crate::derived::Deriver;
use crate::routes::{AppState, message, now_ms};
use crate::served_config::ServedConfig;
use crate::store::writer::Writer;

/// How often the config file is read again.
const FILE_POLL: Duration = Duration::from_secs(2);

/// One version of the config, as everything uses it.
pub struct Live {
    pub deriver: Arc<Deriver>,
    pub served: Arc<ServedConfig>,
    /// The JSON as the PM wrote it.
    pub source: String,
}

impl Live {
    pub fn new(config: Config, source: String) -> Live {
        let served = Arc::new(ServedConfig::new(config.to_compact_json()));
        Live { deriver: Arc::new(Deriver::new(config)), served, source }
    }
}

/// The config being served, swapped whole when it changes.
pub struct LiveConfig {
    current: RwLock<Arc<Live>>,
    /// The file it is read from and written to.
    file: PathBuf,
    /// One change at a time: the file, the store and the served config change in the same order.
    changing: tokio::sync::Mutex<()>,
}

/// Why a new config was not taken.
#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    #[error("the config is invalid:\n{0}")]
    Invalid(ConfigErrors),
    #[error("cannot write the config file {}: {source}", path.display())]
    File { path: PathBuf, source: std::io::Error },
    #[error("cannot record the config: {0}")]
    Store(String),
}

/// What a change did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Changed {
    /// A new version, now served.
    To(String),
    /// The same config as the one served.
    Unchanged(String),
}

/// Writes `text` to `path` whole or not at all: a reader never sees half a config.
fn write_whole(path: &Path, text: &str) -> std::io::Result<()> {
    let partial = path.with_extension("json.partial");
    std::fs::write(&partial, text)?;
    std::fs::rename(&partial, path)
}

impl LiveConfig {
    pub fn new(live: Live, file: PathBuf) -> LiveConfig {
        LiveConfig { current: RwLock::new(Arc::new(live)), file, changing: tokio::sync::Mutex::new(()) }
    }

    pub fn current(&self) -> Arc<Live> {
        match self.current.read() {
            Ok(current) => current.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Takes `text` as the new config: checked, written to the file (unless it comes from it),
    /// recorded by `writer`, then served.
    pub async fn change(&self, writer: &Writer, text: String, from_file: bool) -> Result<Changed, ChangeError> {
        let config = Config::from_json_text(&text).map_err(ChangeError::Invalid)?;
        let _one_at_a_time = self.changing.lock().await;
        let live = Live::new(config, text);
        let version = live.deriver.version();
        if version == self.current().deriver.version() {
            return Ok(Changed::Unchanged(version));
        }
        if !from_file {
            write_whole(&self.file, &live.source)
                .map_err(|source| ChangeError::File { path: self.file.clone(), source })?;
        }
        writer
            .change_config(live.deriver.clone(), live.source.clone(), now_ms())
            .await
            .map_err(|error| ChangeError::Store(error.to_string()))?;
        match self.current.write() {
            Ok(mut current) => *current = Arc::new(live),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(live),
        }
        Ok(Changed::To(version))
    }

    /// Reads the file every two seconds and takes a changed config from it; an invalid one is
    /// reported and the one served stays.
    pub async fn follow_file(self: Arc<Self>, writer: Writer) {
        let mut last_read = std::fs::read_to_string(&self.file).ok();
        loop {
            tokio::time::sleep(FILE_POLL).await;
            let Ok(text) = tokio::fs::read_to_string(&self.file).await else { continue };
            if last_read.as_deref() == Some(text.as_str()) {
                continue;
            }
            last_read = Some(text.clone());
            // Written without `println!`, which panics once nobody reads the output.
            let said = match self.change(&writer, text, true).await {
                Ok(Changed::To(version)) => {
                    format!("uptake-collector: serving config version {version} from {}", self.file.display())
                }
                Ok(Changed::Unchanged(_)) => continue,
                Err(error) => format!("uptake-collector: the changed config file is not served: {error}"),
            };
            let _ = writeln!(std::io::stderr(), "{said}");
        }
    }
}

/// `PUT /v1/config` (admin key): the body is the new config's JSON.
pub async fn put_config(State(state): State<Arc<AppState>>, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(refusal) = refusal(state.admin_key.as_deref(), &headers, "changing the config") {
        return refusal;
    }
    let text = String::from_utf8_lossy(&body).into_owned();
    match state.live.change(&state.writer, text, false).await {
        Ok(Changed::To(version)) => axum::Json(json!({"version": version, "changed": true})).into_response(),
        Ok(Changed::Unchanged(version)) => axum::Json(json!({"version": version, "changed": false})).into_response(),
        Err(ChangeError::Invalid(errors)) => {
            let listed: Vec<_> = errors
                .0
                .iter()
                .map(|error| json!({"path": error.path, "message": error.problem.to_string()}))
                .collect();
            let body = json!({"error": "the config is invalid; nothing changed", "errors": listed});
            (StatusCode::BAD_REQUEST, axum::Json(body)).into_response()
        }
        Err(error) => message(StatusCode::SERVICE_UNAVAILABLE, error),
    }
}
