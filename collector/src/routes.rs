//! The HTTP interface: `GET /v1/config` serves the config, `POST /v1/batch` stores events, and
//! everything else is static files: the SDK under `/uptake/`, the demo app at the root.

use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;
use tower_http::cors::{Any, CorsLayer};
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::batch::{BatchError, read_batch};
use crate::store::Store;

/// The largest batch body accepted.
pub const BATCH_MAX_BYTES: usize = 500 * 1024;

pub struct AppState {
    pub config_text: String,
    pub write_keys: Vec<String>,
    pub store: Arc<Mutex<Store>>,
}

pub struct StaticDirs {
    pub www: std::path::PathBuf,
    pub sdk: std::path::PathBuf,
}

pub fn router(state: AppState, dirs: StaticDirs) -> Router {
    let no_cache = SetResponseHeaderLayer::overriding(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    let api = Router::new()
        .route("/v1/config", get(serve_config))
        .route("/v1/batch", post(receive_batch).layer(DefaultBodyLimit::max(BATCH_MAX_BYTES)))
        .with_state(Arc::new(state))
        // Browsers send batches as simple `text/plain` requests: no preflight, but the answer
        // must allow the page's origin to read it.
        .layer(CorsLayer::permissive());
    // Pages of other origins load the SDK as a module and its wasm with a streaming fetch:
    // both are CORS requests.
    let sdk = Router::new()
        .fallback_service(ServeDir::new(dirs.sdk))
        .layer(CorsLayer::new().allow_origin(Any).allow_methods([Method::GET, Method::HEAD]));
    Router::new().merge(api).nest("/uptake", sdk).fallback_service(ServeDir::new(dirs.www)).layer(no_cache)
}

async fn serve_config(State(state): State<Arc<AppState>>) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], state.config_text.clone()).into_response()
}

fn error_response(status: StatusCode, body: serde_json::Value) -> Response {
    (status, axum::Json(body)).into_response()
}

async fn receive_batch(State(state): State<Arc<AppState>>, headers: HeaderMap, body: Bytes) -> Response {
    let batch = match read_batch(&body, &headers, &state.write_keys) {
        Ok(batch) => batch,
        Err(error) => {
            let status = match error {
                BatchError::MissingWriteKey | BatchError::UnknownWriteKey => StatusCode::UNAUTHORIZED,
                BatchError::Malformed(_) | BatchError::InvalidEvents { .. } => StatusCode::BAD_REQUEST,
            };
            let mut body = json!({"error": error.to_string()});
            if let BatchError::InvalidEvents { invalid, .. } = &error {
                body["invalid"] = json!(invalid);
            }
            return error_response(status, body);
        }
    };
    let received_at_ms = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |since| since.as_millis() as i64);
    let store = Arc::clone(&state.store);
    let stored = tokio::task::spawn_blocking(move || {
        let mut store = store.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        store.insert_batch(&batch.write_key, &batch.events, received_at_ms)
    })
    .await;
    match stored {
        Ok(Ok(outcome)) => axum::Json(outcome).into_response(),
        Ok(Err(error)) => {
            eprintln!("uptake-collector: could not store a batch: {error}");
            error_response(
                StatusCode::SERVICE_UNAVAILABLE,
                json!({"error": "the events could not be stored; retry later"}),
            )
        }
        Err(error) => {
            eprintln!("uptake-collector: the storage task failed: {error}");
            error_response(StatusCode::INTERNAL_SERVER_ERROR, json!({"error": "internal error; retry later"}))
        }
    }
}
