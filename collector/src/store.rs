//! Event storage in one SQLite file, in WAL mode. Each event is one row; `(write_key,
//! message_id)` is unique, so a batch sent twice stores its events once. The schema carries a
//! version (`PRAGMA user_version`) and is migrated on open.

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

pub struct Store {
    connection: Connection,
}

impl Store {
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let open_error = |source| StoreError::Open { path: path.display().to_string(), source };
        let connection = Connection::open(path).map_err(open_error)?;
        // WAL keeps readers off the writer's back; NORMAL sync survives a crash of this process
        // (the WAL is written before the answer), which is what an acknowledgement promises.
        connection.pragma_update(None, "journal_mode", "WAL").map_err(open_error)?;
        connection.pragma_update(None, "synchronous", "NORMAL").map_err(open_error)?;
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
        let transaction = self.connection.transaction()?;
        let mut stored = 0;
        {
            let mut insert = transaction.prepare_cached(
                "INSERT OR IGNORE INTO events
                 (write_key, message_id, type, event, user_id, anonymous_id, group_id, timestamp_ms, received_at_ms, body)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?;
            for incoming in events {
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
        }
        transaction.commit()?;
        Ok(StoreOutcome { stored, duplicates: events.len() - stored })
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
    fn a_database_from_a_newer_collector_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.db");
        Connection::open(&path).unwrap().pragma_update(None, "user_version", 99).unwrap();
        assert!(matches!(Store::open(&path), Err(StoreError::NewerSchema { found: 99 })));
    }
}
