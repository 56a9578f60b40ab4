//! Events in one SQLite file, in WAL mode with every commit synced. The schema carries a
//! version (`PRAGMA user_version`) and is migrated on open. Exports read from their own
//! read-only connections, which never wait for the writer.

use std::path::Path;

use rusqlite::{Connection, params};

use super::{EventReader, EventStore, ExportFilter, IncomingEvent, StoreError, StoreOutcome};

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

pub struct SqliteStore {
    connection: Connection,
}

impl SqliteStore {
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        let open_error = |source: rusqlite::Error| StoreError::Open {
            place: path.display().to_string(),
            reason: source.to_string(),
        };
        let connection = Connection::open(path).map_err(open_error)?;
        // WAL keeps readers off the writer's back. FULL sync makes every commit reach the disk
        // before the batch is acknowledged, so an acknowledged event survives a crash of the
        // process and of the machine; the writer commits many requests at once to pay for it.
        connection.pragma_update(None, "journal_mode", "WAL").map_err(open_error)?;
        connection.pragma_update(None, "synchronous", "FULL").map_err(open_error)?;
        connection.busy_timeout(std::time::Duration::from_secs(5)).map_err(open_error)?;
        let mut store = SqliteStore { connection };
        store.migrate()?;
        Ok(store)
    }

    fn migrate(&mut self) -> Result<(), StoreError> {
        let version: i64 = self.connection.pragma_query_value(None, "user_version", |row| row.get(0))?;
        if version > SCHEMA_VERSION {
            return Err(StoreError::NewerSchema { found: version, known: SCHEMA_VERSION });
        }
        if version < 1 {
            let transaction = self.connection.transaction()?;
            transaction.execute_batch(SCHEMA_V1)?;
            transaction.pragma_update(None, "user_version", SCHEMA_VERSION)?;
            transaction.commit()?;
        }
        Ok(())
    }

    /// A connection that only reads, for exports: it never waits for the writer (WAL).
    pub fn open_reader(path: &Path) -> Result<SqliteStore, StoreError> {
        let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let connection = Connection::open_with_flags(path, flags)
            .map_err(|source| StoreError::Open { place: path.display().to_string(), reason: source.to_string() })?;
        connection.busy_timeout(std::time::Duration::from_secs(5))?;
        Ok(SqliteStore { connection })
    }
}

impl EventStore for SqliteStore {
    fn insert_batches(
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
}

impl EventReader for SqliteStore {
    fn export_page(&mut self, filter: &ExportFilter, after: i64, limit: u32) -> Result<Vec<(i64, String)>, StoreError> {
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_is_in_wal_mode_with_synced_commits() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("events.db")).unwrap();
        let mode: String = store.connection.pragma_query_value(None, "journal_mode", |row| row.get(0)).unwrap();
        let synchronous: i64 = store.connection.pragma_query_value(None, "synchronous", |row| row.get(0)).unwrap();
        assert_eq!((mode.as_str(), synchronous), ("wal", 2), "2 is FULL");
    }

    #[test]
    fn a_database_from_a_newer_collector_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.db");
        Connection::open(&path).unwrap().pragma_update(None, "user_version", 99).unwrap();
        assert!(matches!(SqliteStore::open(&path), Err(StoreError::NewerSchema { found: 99, .. })));
    }
}
