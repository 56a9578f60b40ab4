//! The HTTP interface: `GET /v1/config` serves the compiled config (`PUT` changes it, admin
//! key), `POST /v1/batch` stores events,
//! `GET /v1/export` reads them back and `/v1/metrics/` computes the figures (admin key), and
//! everything else is static files: the SDK under `/uptake/` (in the compressed form the browser
//! accepts), the dashboard under `/dashboard/`, the demo app at the root. The
//! API answers cross-origin requests from the configured app origins only.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;
use tower_http::compression::Compression;
use tower_http::cors::{AllowOrigin, Any, CorsLayer};
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::batch::{BatchError, Limits, read_batch};
use crate::body::{self, BodyError};
use crate::export::export;
use crate::live_config::{LiveConfig, put_config};
use crate::rate_limit::WriteKeyRateLimit;
use crate::store::Database;
use crate::store::writer::Writer;

pub struct AppState {
    /// The config: as SDKs read it (`uptake_core::config::compact`), as it is served, and as
    /// events are tagged and the metrics' records built under it.
    pub live: Arc<LiveConfig>,
    pub write_keys: Vec<String>,
    pub writer: Writer,
    /// The database, opened by exports and metrics for reading.
    pub database: Database,
    /// The users' records the metrics read, parsed, kept between requests.
    pub records: Arc<std::sync::RwLock<crate::metrics::RecordCache>>,
    /// The longest pause allowed while a batch's body arrives.
    pub body_timeout: std::time::Duration,
    /// The key `GET /v1/export` asks for; no export without one.
    pub admin_key: Option<String>,
    pub limits: Limits,
    pub rate_limit: WriteKeyRateLimit,
}

pub struct StaticDirs {
    pub www: PathBuf,
    /// The dashboard's files, served at `/dashboard/` (its data comes from `/v1/metrics/`).
    pub dashboard: PathBuf,
    pub sdk: PathBuf,
}

/// The CORS policy of the API: the listed origins may read its answers; others may not.
fn api_cors(origins: Vec<HeaderValue>) -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::CONTENT_TYPE, header::AUTHORIZATION, header::CONTENT_ENCODING])
        // The SDK reads `Retry-After` from a 429 or a 503.
        .expose_headers([header::RETRY_AFTER])
        .max_age(Duration::from_secs(24 * 60 * 60))
}

pub fn router(state: AppState, dirs: StaticDirs, allowed_origins: Vec<HeaderValue>) -> Router {
    let no_cache = SetResponseHeaderLayer::overriding(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    let api = Router::new()
        .route("/v1/config", get(serve_config).put(put_config))
        .route("/v1/batch", post(receive_batch))
        .route("/v1/export", get(export))
        .merge(crate::metrics::routes())
        .with_state(Arc::new(state))
        // Browsers send batches as simple `text/plain` requests: no preflight, but the answer
        // must allow the page's origin to read it.
        .layer(api_cors(allowed_origins));
    // Pages of other origins load the SDK as a module and its wasm with a streaming fetch:
    // both are CORS requests, and the SDK is public. Browsers that accept brotli or gzip get the
    // forms `scripts/build-sdk` writes next to each file (`.br`, `.gz`).
    let sdk = Router::new()
        .fallback_service(ServeDir::new(dirs.sdk).precompressed_br().precompressed_gzip())
        .layer(CorsLayer::new().allow_origin(Any).allow_methods([Method::GET, Method::HEAD]));
    Router::new()
        .merge(api)
        .nest("/uptake", sdk)
        .route_service(
            "/dashboard",
            axum::routing::get(|| async { axum::response::Redirect::permanent("/dashboard/") }),
        )
        // The dashboard's files (its charting library too) compressed for browsers that accept it.
        .nest_service("/dashboard/", Compression::new(ServeDir::new(dirs.dashboard)))
        .fallback_service(ServeDir::new(dirs.www))
        .layer(no_cache)
}

async fn serve_config(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    state.live.current().served.respond(&headers)
}

fn error_response(status: StatusCode, body: serde_json::Value) -> Response {
    (status, axum::Json(body)).into_response()
}

/// An answer with a JSON body `{"error": text}`.
pub(crate) fn message(status: StatusCode, text: impl std::fmt::Display) -> Response {
    error_response(status, json!({"error": text.to_string()}))
}

fn body_error(error: BodyError) -> Response {
    let status = match error {
        BodyError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        BodyError::BadGzip(_) => StatusCode::BAD_REQUEST,
        BodyError::UnsupportedEncoding(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        BodyError::Stalled(_) => StatusCode::REQUEST_TIMEOUT,
        BodyError::Unreadable(_) => StatusCode::BAD_REQUEST,
    };
    message(status, error)
}

/// 429, with when to come back in whole seconds (at least one).
fn too_many_requests(wait: Duration) -> Response {
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let mut response = message(
        StatusCode::TOO_MANY_REQUESTS,
        format!("too many batches for this write key; retry in {} s", seconds.max(1)),
    );
    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds.max(1)));
    response
}

/// Now, in milliseconds since the epoch.
pub(crate) fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |since| since.as_millis() as i64)
}

async fn receive_batch(
    State(state): State<Arc<AppState>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Response {
    let raw = match body::read(body, &headers, state.limits.batch_bytes, state.body_timeout).await {
        Ok(raw) => raw,
        Err(error) => return body_error(error),
    };
    let json = match body::is_gzip(&headers, query.as_deref())
        .and_then(|gzip| body::decoded(&raw, gzip, state.limits.batch_bytes))
    {
        Ok(json) => json,
        Err(error) => return body_error(error),
    };
    let batch = match read_batch(&json, &headers, &state.write_keys, &state.limits) {
        Ok(batch) => batch,
        Err(error) => {
            let status = match error {
                BatchError::MissingWriteKey | BatchError::UnknownWriteKey => StatusCode::UNAUTHORIZED,
                BatchError::Malformed(_) => StatusCode::BAD_REQUEST,
            };
            return message(status, error);
        }
    };
    if let Err(wait) = state.rate_limit.check(&batch.write_key) {
        return too_many_requests(wait);
    }
    if batch.events.is_empty() && batch.invalid_count > 0 {
        let status = if batch.any_too_large { StatusCode::PAYLOAD_TOO_LARGE } else { StatusCode::BAD_REQUEST };
        let error = format!("none of the {} events can be stored; see \"invalid\"", batch.invalid_count);
        let answer = json!({"error": error, "invalid": batch.invalid, "invalid_count": batch.invalid_count});
        return error_response(status, answer);
    }
    match state.writer.insert(batch.write_key, batch.events, now_ms()).await {
        Ok(outcome) => axum::Json(json!({
            "stored": outcome.stored,
            "duplicates": outcome.duplicates,
            "invalid": batch.invalid,
            "invalid_count": batch.invalid_count,
        }))
        .into_response(),
        Err(error) => {
            let mut response = message(StatusCode::SERVICE_UNAVAILABLE, format!("{error}; retry later"));
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            response
        }
    }
}
