//! `GET /v1/export`: the stored events as NDJSON, one event per line as it was received, in the
//! order they were stored, streamed page by page so an export of millions of events needs no
//! memory for them. Filters: `since` and `until` (ISO 8601 or milliseconds since the epoch, on
//! the event's timestamp), `event`, `user` (user id or anonymous id) and `write_key`. Protected
//! by the admin key (`admin`).

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tokio_stream::wrappers::ReceiverStream;
use uptake_core::iso8601::parse_timestamp;

use crate::admin::refusal;
use crate::routes::{AppState, message};
use crate::store::{EventReader, ExportFilter};

/// Rows read from the database at a time.
const PAGE: u32 = 1_000;

#[derive(Debug, Default, Deserialize)]
pub struct ExportQuery {
    since: Option<String>,
    until: Option<String>,
    event: Option<String>,
    user: Option<String>,
    write_key: Option<String>,
}

/// An instant given as ISO 8601 or as milliseconds since the epoch.
fn instant(name: &str, text: Option<&str>) -> Result<Option<i64>, String> {
    let Some(text) = text else { return Ok(None) };
    if let Ok(millis) = text.parse::<i64>() {
        return Ok(Some(millis));
    }
    parse_timestamp(text).map(|at| Some(at.as_millis())).map_err(|error| {
        format!("{name}: {error}; give an ISO 8601 time such as 2026-11-24T00:00:00Z or milliseconds since 1970")
    })
}

impl ExportQuery {
    fn filter(self) -> Result<ExportFilter, String> {
        Ok(ExportFilter {
            since_ms: instant("since", self.since.as_deref())?,
            until_ms: instant("until", self.until.as_deref())?,
            event: self.event,
            user: self.user,
            write_key: self.write_key,
        })
    }
}

pub async fn export(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    query: Result<Query<ExportQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    if let Some(refusal) = refusal(state.admin_key.as_deref(), &headers, "export") {
        return refusal;
    }
    let filter = match query.map_err(|rejection| rejection.body_text()).and_then(|Query(query)| query.filter()) {
        Ok(filter) => filter,
        Err(problem) => return message(StatusCode::BAD_REQUEST, problem),
    };
    let (lines, receiver) = tokio::sync::mpsc::channel(4);
    let database = state.database.clone();
    // A thread of its own rather than the runtime's blocking pool: the PostgreSQL client runs
    // its own runtime, which cannot start inside tokio's.
    let reading =
        std::thread::Builder::new().name("uptake-export".into()).spawn(move || match database.open_reader() {
            Ok(mut reader) => stream_pages(reader.as_mut(), &filter, &lines),
            Err(store_error) => {
                let _ = lines.blocking_send(Err(std::io::Error::other(store_error.to_string())));
            }
        });
    if let Err(spawn_error) = reading {
        return message(StatusCode::SERVICE_UNAVAILABLE, spawn_error.to_string());
    }
    ([(header::CONTENT_TYPE, "application/x-ndjson")], Body::from_stream(ReceiverStream::new(receiver))).into_response()
}

/// Sends the export page by page until it ends, fails, or nobody is reading any more.
fn stream_pages(
    reader: &mut dyn EventReader,
    filter: &ExportFilter,
    lines: &tokio::sync::mpsc::Sender<std::io::Result<Bytes>>,
) {
    let mut after = 0;
    loop {
        let page = match reader.export_page(filter, after, PAGE) {
            Ok(page) => page,
            Err(store_error) => {
                // The status is already sent: cutting the stream short tells the client.
                let _ = lines.blocking_send(Err(std::io::Error::other(store_error.to_string())));
                return;
            }
        };
        let Some(&(last, _)) = page.last() else { return };
        after = last;
        let mut chunk = String::with_capacity(page.iter().map(|(_, body)| body.len() + 1).sum());
        for (_, body) in &page {
            chunk.push_str(body);
            chunk.push('\n');
        }
        if lines.blocking_send(Ok(Bytes::from(chunk))).is_err() || page.len() < PAGE as usize {
            return;
        }
    }
}
