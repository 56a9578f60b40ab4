//! Event storage in one SQLite file, in WAL mode. Each event is one row; `(write_key,
//! message_id)` is unique, so a batch sent twice stores its events once. The schema carries a
//! version (`PRAGMA user_version`) and is migrated on open. Writes come from one thread
//! (`writer`), which commits the batches of many requests together; exports read from their own
//! connections.

pub mod writer;

use std::path::Path;

use rusqlite::{Connection, params};
use uptake_core::event::Event;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the database {path}: {source}")]
    Open { path: String, source: rusqlite::Error },
    #[error("the database was written by a newer collector (schema {found}, this one knows up to {SCHEMA_VERSION})")]
    NewerSchema { found: i64 },
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

/// The schema this code writes.
const SCHEMA_VERSION: i64 = 1;

const SCHEMA_V1: &str = "
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    write_key TEXT NOT NULL,
    message_id TEXT NOT NULL,
    type TEXT NOT NULL,
    event TEXT,
    user_id TEXT,
    anonymous_id TEXT,
    group_id TEXT,
    timestamp_ms INTEGER NOT NULL,
    received_at_ms INTEGER NOT NULL,
    body TEXT NOT NULL,
    UNIQUE (write_key, message_id)
);
CREATE INDEX events_by_time ON events (write_key, timestamp_ms);
";

/// An event ready to store: checked, with the JSON it arrived as.
#[derive(Debug)]
pub struct IncomingEvent {
    pub event: Event,
    pub body: String,
}

/// What storing a batch did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct StoreOutcome {
    pub stored: usize,
    pub duplicates: usize,
}

/// Which stored events an export returns; every part is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportFilter {
    /// Events that happened at or after this instant (ms since the epoch).
    pub since_ms: Option<i64>,
    /// Events that happened before this instant.
    pub until_ms: Option<i64>,
    /// Only this event name.
    pub event: Option<String>,
    /// Only this user id or anonymous id.
    pub user: Option<String>,
    /// Only this app.
    pub write_key: Option<String>,
}

pub struct Store {
    connection: Connection,
}

impl Store {
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let open_error = |source| StoreError::Open { path: path.display().to_string(), source };
        let connection = Connection::open(path).map_err(open_error)?;
        // WAL keeps readers off the writer's back. FULL sync makes every commit reach the disk
        // before the batch is acknowledged, so an acknowledged event survives a crash of the
        // process and of the machine; the writer commits many requests at once to pay for it.
        connection.pragma_update(None, "journal_mode", "WAL").map_err(open_error)?;
        connection.pragma_update(None, "synchronous", "FULL").map_err(open_error)?;
        connection.busy_timeout(std::time::Duration::from_secs(5)).map_err(open_error)?;
        let mut store = Store { connection };
        store.migrate()?;
        Ok(store)
    }

    fn migrate(&mut self) -> Result<(), StoreError> {
        let version: i64 = self.connection.pragma_query_value(None, "user_version", |row| row.get(0))?;
        if version > SCHEMA_VERSION {
            return Err(StoreError::NewerSchema { found: version });
        }
        if version < 1 {
            let transaction = self.connection.transaction()?;
            transaction.execute_batch(SCHEMA_V1)?;
            transaction.pragma_update(None, "user_version", SCHEMA_VERSION)?;
            transaction.commit()?;
        }
        Ok(())
    }

    /// Stores a batch in one transaction; events whose message id is already stored for this
    /// write key are counted as duplicates and left alone.
    pub fn insert_batch(
        &mut self,
        write_key: &str,
        events: &[IncomingEvent],
        received_at_ms: i64,
    ) -> Result<StoreOutcome, StoreError> {
        let mut outcomes = self.insert_batches(&[(write_key, events)], received_at_ms)?;
        Ok(outcomes.pop().unwrap_or(StoreOutcome { stored: 0, duplicates: 0 }))
    }

    /// Stores several batches in one transaction, with one outcome per batch.
    pub fn insert_batches(
        &mut self,
        batches: &[(&str, &[IncomingEvent])],
        received_at_ms: i64,
    ) -> Result<Vec<StoreOutcome>, StoreError> {
        let transaction = self.connection.transaction()?;
        let mut outcomes = Vec::with_capacity(batches.len());
        {
            let mut insert = transaction.prepare_cached(
                "INSERT OR IGNORE INTO events
                 (write_key, message_id, type, event, user_id, anonymous_id, group_id, timestamp_ms, received_at_ms, body)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?;
            for (write_key, events) in batches {
                let mut stored = 0;
                for incoming in *events {
                    let event = &incoming.event;
                    stored += insert.execute(params![
                        write_key,
                        event.message_id,
                        event.event_type.as_str(),
                        event.event,
                        event.user_id,
                        event.anonymous_id,
                        event.group_id,
                        event.timestamp.as_millis(),
                        received_at_ms,
                        incoming.body,
                    ])?;
                }
                outcomes.push(StoreOutcome { stored, duplicates: events.len() - stored });
            }
        }
        transaction.commit()?;
        Ok(outcomes)
    }

    /// A connection that only reads, for exports: it never waits for the writer (WAL).
    pub fn open_reader(path: &Path) -> Result<Store, StoreError> {
        let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let connection = Connection::open_with_flags(path, flags)
            .map_err(|source| StoreError::Open { path: path.display().to_string(), source })?;
        connection.busy_timeout(std::time::Duration::from_secs(5))?;
        Ok(Store { connection })
    }

    /// Up to `limit` stored events that pass `filter`, after the row `after` (0 for the start),
    /// in the order they were stored: `(row, JSON as received)`. Pages keep no read
    /// transaction open between them, so a long export never holds the database back.
    pub fn export_page(&self, filter: &ExportFilter, after: i64, limit: u32) -> Result<Vec<(i64, String)>, StoreError> {
        let mut query = self.connection.prepare_cached(
            "SELECT id, body FROM events
             WHERE id > ?1
               AND (?2 IS NULL OR timestamp_ms >= ?2)
               AND (?3 IS NULL OR timestamp_ms < ?3)
               AND (?4 IS NULL OR event = ?4)
               AND (?5 IS NULL OR user_id = ?5 OR anonymous_id = ?5)
               AND (?6 IS NULL OR write_key = ?6)
             ORDER BY id LIMIT ?7",
        )?;
        let rows = query.query_map(
            params![after, filter.since_ms, filter.until_ms, filter.event, filter.user, filter.write_key, limit],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// How many events are stored for a write key.
    #[cfg(test)]
    pub fn count(&self, write_key: &str) -> Result<i64, StoreError> {
        let count =
            self.connection
                .query_row("SELECT COUNT(*) FROM events WHERE write_key = ?1", [write_key], |row| row.get(0))?;
        Ok(count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn incoming(message_id: &str) -> IncomingEvent {
        let value = json!({
            "messageId": message_id, "type": "track", "event": "invoice.approved",
            "anonymousId": "a-1", "timestamp": "2026-11-24T09:30:00.000Z"
        });
        IncomingEvent { body: value.to_string(), event: Event::from_json(value).unwrap() }
    }

    #[test]
    fn a_message_id_is_stored_once_per_write_key() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("events.db")).unwrap();
        let first = store.insert_batch("dev", &[incoming("m-1"), incoming("m-2")], 0).unwrap();
        assert_eq!(first, StoreOutcome { stored: 2, duplicates: 0 });
        let again = store.insert_batch("dev", &[incoming("m-2"), incoming("m-3")], 0).unwrap();
        assert_eq!(again, StoreOutcome { stored: 1, duplicates: 1 });
        store.insert_batch("other", &[incoming("m-1")], 0).unwrap();
        assert_eq!(store.count("dev").unwrap(), 3);
        assert_eq!(store.count("other").unwrap(), 1);
    }

    #[test]
    fn the_database_is_in_wal_mode_and_reopens() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.db");
        let mut store = Store::open(&path).unwrap();
        store.insert_batch("dev", &[incoming("m-1")], 0).unwrap();
        let mode: String = store.connection.pragma_query_value(None, "journal_mode", |row| row.get(0)).unwrap();
        assert_eq!(mode, "wal");
        drop(store);
        assert_eq!(Store::open(&path).unwrap().count("dev").unwrap(), 1);
    }

    #[test]
    fn exports_filter_and_page_in_storage_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.db");
        let mut store = Store::open(&path).unwrap();
        let events: Vec<IncomingEvent> = (1..=5).map(|i| incoming(&format!("m-{i}"))).collect();
        store.insert_batch("dev", &events, 0).unwrap();
        store.insert_batch("other", &[incoming("m-9")], 0).unwrap();
        let reader = Store::open_reader(&path).unwrap();
        let dev = ExportFilter { write_key: Some("dev".into()), ..ExportFilter::default() };
        let first = reader.export_page(&dev, 0, 3).unwrap();
        let rest = reader.export_page(&dev, first.last().unwrap().0, 3).unwrap();
        let ids: Vec<String> = first
            .iter()
            .chain(&rest)
            .map(|(_, body)| {
                serde_json::from_str::<serde_json::Value>(body).unwrap()["messageId"].as_str().unwrap().to_owned()
            })
            .collect();
        assert_eq!(ids, ["m-1", "m-2", "m-3", "m-4", "m-5"]);
        let at = |iso: &str| uptake_core::iso8601::parse_timestamp(iso).unwrap().as_millis();
        let none_yet = ExportFilter { since_ms: Some(at("2026-11-25T00:00:00Z")), ..ExportFilter::default() };
        assert!(reader.export_page(&none_yet, 0, 10).unwrap().is_empty());
        let before = ExportFilter {
            until_ms: Some(at("2026-11-25T00:00:00Z")),
            user: Some("a-1".into()),
            event: Some("invoice.approved".into()),
            ..ExportFilter::default()
        };
        assert_eq!(reader.export_page(&before, 0, 10).unwrap().len(), 6);
        let nobody = ExportFilter { user: Some("a-2".into()), ..ExportFilter::default() };
        assert!(reader.export_page(&nobody, 0, 10).unwrap().is_empty());
    }

    #[test]
    fn a_database_from_a_newer_collector_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.db");
        Connection::open(&path).unwrap().pragma_update(None, "user_version", 99).unwrap();
        assert!(matches!(Store::open(&path), Err(StoreError::NewerSchema { found: 99 })));
    }
}
