//! Events in one SQLite file, in WAL mode with every commit synced. The schema carries a
//! version (`PRAGMA user_version`) and is migrated on open. Exports and metrics read from their
//! own read-only connections, which never wait for the writer. Each event keeps the tags it was
//! given; the records the metrics read (`derived`) are updated in the transaction that stores
//! the events.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, Transaction, params};
use uptake_core::analytics::{AccountRecord, UserRecord};

use super::buffer::RecordBuffer;
use super::checkpointer::Checkpointer;
use super::columns::{UserColumns, account_record, traits_text};
use super::seen::{self, SeenMessages};
use super::{
    ConfigVersion, DerivedState, EventReader, EventStore, ExportFilter, IncomingEvent, StoreError, StoreOutcome,
    StoredUser, UserDigest,
};
use crate::derived::{Deriver, NewEvent, Person, Records};

/// Events taken in again per step after a crash.
const CATCH_UP_STEP: i64 = 5_000;

/// The schema this code writes.
const SCHEMA_VERSION: i64 = 4;

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

/// Version 2: the tags of each event, and the records the metrics read.
const SCHEMA_V2: &str = "
ALTER TABLE events ADD COLUMN tags TEXT;
CREATE TABLE users (
    write_key TEXT NOT NULL,
    anonymous INTEGER NOT NULL,
    user_key TEXT NOT NULL,
    account TEXT,
    first_seen_ms INTEGER,
    last_seen_ms INTEGER,
    traits TEXT NOT NULL,
    state TEXT NOT NULL,
    PRIMARY KEY (write_key, anonymous, user_key)
) WITHOUT ROWID;
CREATE TABLE aliases (
    write_key TEXT NOT NULL,
    anonymous_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    PRIMARY KEY (write_key, anonymous_id)
) WITHOUT ROWID;
CREATE TABLE accounts (
    write_key TEXT NOT NULL,
    account_id TEXT NOT NULL,
    first_seen_ms INTEGER,
    traits TEXT NOT NULL,
    PRIMARY KEY (write_key, account_id)
) WITHOUT ROWID;
CREATE TABLE config_versions (
    id INTEGER PRIMARY KEY,
    version TEXT NOT NULL,
    source TEXT NOT NULL,
    live_from_ms INTEGER NOT NULL
);
CREATE TABLE derived_state (
    only INTEGER PRIMARY KEY CHECK (only = 1),
    version TEXT NOT NULL,
    rebuilt_through INTEGER NOT NULL,
    rebuild_until INTEGER NOT NULL
);
";

/// Version 3: a digest of each user record, which changes with it (no index on it: keeping one
/// up to date cost ingest over many users about 30% of its rate).
const SCHEMA_V3: &str = "ALTER TABLE users ADD COLUMN digest INTEGER NOT NULL DEFAULT 0;";

/// Version 4: no unique index over message ids (`seen` knows them), the events copied into a
/// table without it; the last event the records written out take in (`buffer`).
const SCHEMA_V4: &str = "
CREATE TABLE events_v4 (
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
    tags TEXT
);
INSERT INTO events_v4 SELECT id, write_key, message_id, type, event, user_id, anonymous_id, group_id,
    timestamp_ms, received_at_ms, body, tags FROM events;
DROP TABLE events;
ALTER TABLE events_v4 RENAME TO events;
CREATE INDEX events_by_time ON events (write_key, timestamp_ms);
ALTER TABLE derived_state ADD COLUMN applied_through INTEGER NOT NULL DEFAULT 0;
UPDATE derived_state SET applied_through = (SELECT COALESCE(MAX(id), 0) FROM events);
";

pub struct SqliteStore {
    connection: Connection,
    /// The message ids stored, for a store that writes; `None` for a reader.
    seen: Option<SeenMessages>,
    /// The records changed since they were last written out.
    records: RecordBuffer,
    /// Whether events stored are missing from `records` (after a crash, or a transaction that
    /// failed after changing them): they are taken in before the next batch.
    records_behind: bool,
    /// Copies the log into the database, for a store that writes.
    _checkpointer: Option<Checkpointer>,
}

impl SqliteStore {
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        SqliteStore::open_checkpointing(path, seen::CHECKPOINT_EVENTS)
    }

    /// Opens a store that writes its message ids out once `checkpoint_events` are held.
    fn open_checkpointing(path: &Path, checkpoint_events: usize) -> Result<SqliteStore, StoreError> {
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
        // The writer's page cache (64 MiB) holds the pages of `seen_messages` it reads for
        // every event.
        connection.pragma_update(None, "cache_size", -65_536).map_err(open_error)?;
        // The log is copied into the database by `checkpointer`, not by the commit that fills
        // it; a log grown under load is cut back to 64 MiB when it restarts.
        connection.pragma_update(None, "wal_autocheckpoint", 0).map_err(open_error)?;
        connection.pragma_update(None, "journal_size_limit", 64 << 20).map_err(open_error)?;
        let checkpointer = Checkpointer::start(path)?;
        let mut store = SqliteStore {
            connection,
            seen: None,
            records: RecordBuffer::default(),
            records_behind: false,
            _checkpointer: Some(checkpointer),
        };
        store.migrate()?;
        store.seen = Some(SeenMessages::load(&mut store.connection, checkpoint_events)?);
        // The records start from the database's, which may lack the last events stored.
        store.drop_records()?;
        Ok(store)
    }

    fn migrate(&mut self) -> Result<(), StoreError> {
        let version: i64 = self.connection.pragma_query_value(None, "user_version", |row| row.get(0))?;
        if version > SCHEMA_VERSION {
            return Err(StoreError::NewerSchema { found: version, known: SCHEMA_VERSION });
        }
        if version < SCHEMA_VERSION {
            let transaction = self.connection.transaction()?;
            if version < 1 {
                transaction.execute_batch(SCHEMA_V1)?;
            }
            if version < 2 {
                transaction.execute_batch(SCHEMA_V2)?;
            }
            if version < 3 {
                transaction.execute_batch(SCHEMA_V3)?;
            }
            transaction.execute_batch(SCHEMA_V4)?;
            transaction.execute_batch(seen::SCHEMA)?;
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
        Ok(SqliteStore {
            connection,
            seen: None,
            records: RecordBuffer::default(),
            records_behind: false,
            _checkpointer: None,
        })
    }
}

impl EventStore for SqliteStore {
    fn insert_batches(
        &mut self,
        batches: &[(&str, &[IncomingEvent])],
        received_at_ms: i64,
        deriver: &Deriver,
    ) -> Result<Vec<StoreOutcome>, StoreError> {
        if self.records_behind {
            self.catch_up(deriver)?;
        }
        let SqliteStore { connection, seen, records, .. } = self;
        let seen = seen.as_mut().ok_or_else(|| StoreError::Database("this store was opened to read".into()))?;
        let stored = insert_in_transaction(connection, seen, records, batches, received_at_ms, deriver);
        match stored {
            Ok(_) => {
                seen.committed();
                self.write_out_when_due();
            }
            Err(_) => {
                seen.rolled_back();
                self.drop_records()?;
            }
        }
        stored
    }

    fn record_config(&mut self, version: &str, source: &str, at_ms: i64) -> Result<(), StoreError> {
        let latest: Option<String> = self
            .connection
            .query_row("SELECT version FROM config_versions ORDER BY id DESC LIMIT 1", [], |row| row.get(0))
            .optional()?;
        if latest.as_deref() != Some(version) {
            self.connection.execute(
                "INSERT INTO config_versions (version, source, live_from_ms) VALUES (?1, ?2, ?3)",
                params![version, source, at_ms],
            )?;
        }
        Ok(())
    }

    fn derived_state(&mut self) -> Result<Option<DerivedState>, StoreError> {
        read_derived_state(&self.connection)
    }

    fn begin_rebuild(&mut self, version: &str) -> Result<DerivedState, StoreError> {
        let transaction = self.connection.transaction()?;
        transaction.execute_batch("DELETE FROM users; DELETE FROM aliases; DELETE FROM accounts;")?;
        let until: i64 = transaction.query_row("SELECT COALESCE(MAX(id), 0) FROM events", [], |row| row.get(0))?;
        let state = DerivedState { version: version.to_owned(), rebuilt_through: 0, rebuild_until: until };
        write_derived_state(&transaction, &state, until)?;
        transaction.commit()?;
        // What was held is rebuilt with the rest.
        self.records.reset(until);
        self.records_behind = false;
        Ok(state)
    }

    fn rebuild_step(&mut self, deriver: &Deriver, limit: u32) -> Result<DerivedState, StoreError> {
        let transaction = self.connection.transaction()?;
        let Some(mut state) = read_derived_state(&transaction)? else {
            return Err(StoreError::Database("no rebuild was started".into()));
        };
        let rows: Vec<(i64, String, String)> = transaction
            .prepare_cached("SELECT id, write_key, body FROM events WHERE id > ?1 AND id <= ?2 ORDER BY id LIMIT ?3")?
            .query_map(params![state.rebuilt_through, state.rebuild_until, limit], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?))
            })?
            .collect::<Result<_, _>>()?;
        let events = super::rebuild::read_events(&rows)?;
        let tags: Vec<_> = events.iter().map(|(_, _, event)| deriver.tag(event)).collect();
        {
            let mut update = transaction.prepare_cached("UPDATE events SET tags = ?1 WHERE id = ?2")?;
            for ((id, _, _), tags) in events.iter().zip(&tags) {
                update.execute(params![super::rebuild::tags_text(tags), id])?;
            }
        }
        let new_events: Vec<NewEvent<'_>> =
            events.iter().zip(&tags).map(|((_, write_key, event), tags)| NewEvent { write_key, event, tags }).collect();
        state.rebuilt_through = match rows.last() {
            Some((last, _, _)) if rows.len() == limit as usize => *last,
            _ => state.rebuild_until,
        };
        // A step is written out whole, with the records held, so that the rebuild's progress and
        // the records always agree.
        let written = (|| {
            let mut database = SqliteRecords(&transaction);
            deriver.apply(&mut self.records.set, &mut database, &new_events)?;
            self.records.set.write_out(&mut database)?;
            write_derived_state(&transaction, &state, self.records.applied_through)
        })()
        .and_then(|()| Ok(transaction.commit()?));
        match written {
            Ok(()) => {
                self.records.written();
                Ok(state)
            }
            Err(error) => {
                self.drop_records()?;
                Err(error)
            }
        }
    }

    fn catch_up(&mut self, deriver: &Deriver) -> Result<(), StoreError> {
        self.records_behind = true;
        loop {
            let transaction = self.connection.transaction()?;
            let rows: Vec<(i64, String, String)> = transaction
                .prepare_cached("SELECT id, write_key, body FROM events WHERE id > ?1 ORDER BY id LIMIT ?2")?
                .query_map(params![self.records.applied_through, CATCH_UP_STEP], |row| {
                    Ok((row.get(0)?, row.get(1)?, row.get(2)?))
                })?
                .collect::<Result<_, _>>()?;
            let Some(&(last, _, _)) = rows.last() else {
                self.records_behind = false;
                return Ok(());
            };
            let events = super::rebuild::read_events(&rows)?;
            let tags: Vec<_> = events.iter().map(|(_, _, event)| deriver.tag(event)).collect();
            let new_events: Vec<NewEvent<'_>> = events
                .iter()
                .zip(&tags)
                .map(|((_, write_key, event), tags)| NewEvent { write_key, event, tags })
                .collect();
            if let Err(error) = deriver.apply(&mut self.records.set, &mut SqliteRecords(&transaction), &new_events) {
                drop(transaction);
                self.drop_records()?;
                return Err(error);
            }
            drop(transaction);
            self.records.took(new_events.len(), last);
            if self.records.write_out_due() {
                self.write_back()?;
            }
        }
    }

    fn write_back(&mut self) -> Result<(), StoreError> {
        if self.records.is_written() {
            return Ok(());
        }
        let transaction = self.connection.transaction()?;
        self.records.set.write_out(&mut SqliteRecords(&transaction))?;
        transaction.execute("UPDATE derived_state SET applied_through = ?1", params![self.records.applied_through])?;
        transaction.commit()?;
        self.records.written();
        Ok(())
    }
}

impl SqliteStore {
    /// Writes out the message ids and the records held in memory when they are due. The
    /// batches are stored already: what fails here is tried again after the next batch.
    fn write_out_when_due(&mut self) {
        if let Some(seen) = self.seen.as_mut().filter(|seen| seen.checkpoint_due())
            && let Err(error) = checkpoint(&mut self.connection, seen)
        {
            eprintln!("uptake-collector: could not write out the message ids, retrying later: {error}");
        }
        if self.records.write_out_due()
            && let Err(error) = self.write_back()
        {
            eprintln!("uptake-collector: could not write out the metrics' records, retrying later: {error}");
        }
    }

    /// The records held are dropped (they may be ahead of the events stored), and the events
    /// after the database's records taken in again before the next batch; records built under
    /// no config yet have none to bring up to date.
    fn drop_records(&mut self) -> Result<(), StoreError> {
        let applied_through = read_applied_through(&self.connection)?;
        self.records.reset(applied_through.unwrap_or(0));
        self.records_behind = applied_through.is_some();
        Ok(())
    }
}

/// Stores the events of `batches` not stored before, tags them, and takes them into the
/// records, in one transaction.
fn insert_in_transaction(
    connection: &mut Connection,
    seen: &mut SeenMessages,
    records: &mut RecordBuffer,
    batches: &[(&str, &[IncomingEvent])],
    received_at_ms: i64,
    deriver: &Deriver,
) -> Result<Vec<StoreOutcome>, StoreError> {
    let transaction = connection.transaction()?;
    let mut outcomes = Vec::with_capacity(batches.len());
    let tags: Vec<Vec<_>> = batches
        .iter()
        .map(|(_, events)| events.iter().map(|incoming| deriver.tag(&incoming.event)).collect())
        .collect();
    let mut new_events = Vec::new();
    let mut last_id = 0;
    {
        let mut insert = transaction.prepare_cached(
            "INSERT INTO events
             (write_key, message_id, type, event, user_id, anonymous_id, group_id, timestamp_ms, received_at_ms, body, tags)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        )?;
        for ((write_key, events), tags) in batches.iter().zip(&tags) {
            let mut stored = 0;
            for (incoming, tags) in events.iter().zip(tags) {
                let event = &incoming.event;
                let hash = seen.hash(write_key, &event.message_id);
                if seen.holds(&transaction, hash, write_key, &event.message_id)? {
                    continue;
                }
                insert.execute(params![
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
                    super::rebuild::tags_text(tags),
                ])?;
                last_id = transaction.last_insert_rowid();
                seen.remember(hash, last_id);
                new_events.push(NewEvent { write_key, event, tags });
                stored += 1;
            }
            outcomes.push(StoreOutcome { stored, duplicates: events.len() - stored });
        }
    }
    deriver.apply(&mut records.set, &mut SqliteRecords(&transaction), &new_events)?;
    transaction.commit()?;
    records.took(new_events.len(), last_id);
    Ok(outcomes)
}

/// Writes the message ids held in memory out to the database.
fn checkpoint(connection: &mut Connection, seen: &mut SeenMessages) -> Result<(), StoreError> {
    let transaction = connection.transaction()?;
    let written = seen.checkpoint(&transaction).and_then(|()| Ok(transaction.commit()?));
    match written {
        Ok(()) => seen.committed(),
        Err(_) => seen.rolled_back(),
    }
    written
}

fn read_derived_state(connection: &Connection) -> Result<Option<DerivedState>, StoreError> {
    Ok(connection
        .query_row("SELECT version, rebuilt_through, rebuild_until FROM derived_state", [], |row| {
            Ok(DerivedState { version: row.get(0)?, rebuilt_through: row.get(1)?, rebuild_until: row.get(2)? })
        })
        .optional()?)
}

/// Writes how far the records have come: the rebuild's `state`, and the last event stored since
/// that they take in.
fn write_derived_state(connection: &Connection, state: &DerivedState, applied_through: i64) -> Result<(), StoreError> {
    connection.execute(
        "INSERT OR REPLACE INTO derived_state (only, version, rebuilt_through, rebuild_until, applied_through)
         VALUES (1, ?1, ?2, ?3, ?4)",
        params![state.version, state.rebuilt_through, state.rebuild_until, applied_through],
    )?;
    Ok(())
}

/// The last event the records in the database take in; `None` before any rebuild.
fn read_applied_through(connection: &Connection) -> Result<Option<i64>, StoreError> {
    Ok(connection.query_row("SELECT applied_through FROM derived_state", [], |row| row.get(0)).optional()?)
}

/// The columns of a user record, after its key, as `UserColumns` reads them.
const USER_COLUMNS: &str = "account, first_seen_ms, last_seen_ms, traits, state, digest";

fn user_columns(row: &rusqlite::Row<'_>, first: usize) -> rusqlite::Result<UserColumns> {
    Ok(UserColumns {
        account: row.get(first)?,
        first_seen_ms: row.get(first + 1)?,
        last_seen_ms: row.get(first + 2)?,
        traits: row.get(first + 3)?,
        state: row.get(first + 4)?,
        digest: row.get(first + 5)?,
    })
}

fn stored_user(connection: &Connection, write_key: &str, person: &Person) -> Result<Option<StoredUser>, StoreError> {
    let mut query = connection.prepare_cached(&format!(
        "SELECT {USER_COLUMNS} FROM users WHERE write_key = ?1 AND anonymous = ?2 AND user_key = ?3"
    ))?;
    let columns = query.query_row(params![write_key, person.is_anonymous(), person.id()], |row| user_columns(row, 0));
    columns.optional()?.map(|columns| columns.stored(write_key.to_owned(), person.clone())).transpose()
}

/// The records, read and written inside the writer's transaction.
struct SqliteRecords<'t>(&'t Transaction<'t>);

impl Records for SqliteRecords<'_> {
    fn user(&mut self, write_key: &str, person: &Person) -> Result<Option<UserRecord>, StoreError> {
        Ok(stored_user(self.0, write_key, person)?.map(|stored| stored.record))
    }

    fn save_user(&mut self, write_key: &str, person: &Person, record: &UserRecord) -> Result<(), StoreError> {
        let columns = UserColumns::of(record);
        self.0
            .prepare_cached(
                "INSERT OR REPLACE INTO users
                 (write_key, anonymous, user_key, account, first_seen_ms, last_seen_ms, traits, state, digest)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                write_key,
                person.is_anonymous(),
                person.id(),
                columns.account,
                columns.first_seen_ms,
                columns.last_seen_ms,
                columns.traits,
                columns.state,
                columns.digest,
            ])?;
        Ok(())
    }

    fn delete_user(&mut self, write_key: &str, person: &Person) -> Result<(), StoreError> {
        self.0
            .prepare_cached("DELETE FROM users WHERE write_key = ?1 AND anonymous = ?2 AND user_key = ?3")?
            .execute(params![write_key, person.is_anonymous(), person.id()])?;
        Ok(())
    }

    fn alias(&mut self, write_key: &str, anonymous_id: &str) -> Result<Option<String>, StoreError> {
        let mut query =
            self.0.prepare_cached("SELECT user_id FROM aliases WHERE write_key = ?1 AND anonymous_id = ?2")?;
        Ok(query.query_row(params![write_key, anonymous_id], |row| row.get(0)).optional()?)
    }

    fn save_alias(&mut self, write_key: &str, anonymous_id: &str, user_id: &str) -> Result<(), StoreError> {
        self.0
            .prepare_cached("INSERT OR IGNORE INTO aliases (write_key, anonymous_id, user_id) VALUES (?1, ?2, ?3)")?
            .execute(params![write_key, anonymous_id, user_id])?;
        Ok(())
    }

    fn account(&mut self, write_key: &str, account_id: &str) -> Result<Option<AccountRecord>, StoreError> {
        let mut query = self
            .0
            .prepare_cached("SELECT first_seen_ms, traits FROM accounts WHERE write_key = ?1 AND account_id = ?2")?;
        let row = query
            .query_row(params![write_key, account_id], |row| {
                Ok((row.get::<_, Option<i64>>(0)?, row.get::<_, String>(1)?))
            })
            .optional()?;
        row.map(|(first_seen_ms, traits)| account_record(first_seen_ms, &traits)).transpose()
    }

    fn save_account(&mut self, write_key: &str, account_id: &str, record: &AccountRecord) -> Result<(), StoreError> {
        self.0
            .prepare_cached(
                "INSERT OR REPLACE INTO accounts (write_key, account_id, first_seen_ms, traits) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![
                write_key,
                account_id,
                record.first_seen.map(uptake_core::time::Timestamp::as_millis),
                traits_text(record)
            ])?;
        Ok(())
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

    fn users(&mut self, write_key: Option<&str>, each: &mut dyn FnMut(StoredUser)) -> Result<(), StoreError> {
        let mut query = self.connection.prepare_cached(&format!(
            "SELECT write_key, anonymous, user_key, {USER_COLUMNS} FROM users WHERE ?1 IS NULL OR write_key = ?1"
        ))?;
        let mut rows = query.query(params![write_key])?;
        while let Some(row) = rows.next()? {
            let user_key: String = row.get(2)?;
            let person = if row.get(1)? { Person::Anonymous(user_key) } else { Person::User(user_key) };
            each(user_columns(row, 3)?.stored(row.get(0)?, person)?);
        }
        Ok(())
    }

    fn user_digests(&mut self, write_key: Option<&str>, each: &mut dyn FnMut(UserDigest)) -> Result<(), StoreError> {
        let mut query = self.connection.prepare_cached(
            "SELECT write_key, anonymous, user_key, digest FROM users WHERE ?1 IS NULL OR write_key = ?1",
        )?;
        let mut rows = query.query(params![write_key])?;
        while let Some(row) = rows.next()? {
            let user_key: String = row.get(2)?;
            let person = if row.get(1)? { Person::Anonymous(user_key) } else { Person::User(user_key) };
            each(UserDigest { write_key: row.get(0)?, person, digest: row.get(3)? });
        }
        Ok(())
    }

    fn user(&mut self, write_key: &str, person: &Person) -> Result<Option<StoredUser>, StoreError> {
        stored_user(&self.connection, write_key, person)
    }

    fn accounts(&mut self, write_key: Option<&str>) -> Result<Vec<(String, String, AccountRecord)>, StoreError> {
        let mut query = self.connection.prepare_cached(
            "SELECT write_key, account_id, first_seen_ms, traits FROM accounts WHERE ?1 IS NULL OR write_key = ?1",
        )?;
        let mut rows = query.query(params![write_key])?;
        let mut accounts = Vec::new();
        while let Some(row) = rows.next()? {
            let traits: String = row.get(3)?;
            accounts.push((row.get(0)?, row.get(1)?, account_record(row.get(2)?, &traits)?));
        }
        Ok(accounts)
    }

    fn config_versions(&mut self) -> Result<Vec<ConfigVersion>, StoreError> {
        let mut query =
            self.connection.prepare_cached("SELECT version, live_from_ms FROM config_versions ORDER BY id")?;
        let rows = query.query_map([], |row| Ok(ConfigVersion { version: row.get(0)?, live_from_ms: row.get(1)? }))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn built_under(&mut self) -> Result<Option<DerivedState>, StoreError> {
        read_derived_state(&self.connection)
    }
}

#[cfg(test)]
mod tests {
    use uptake_core::event::Event;

    use super::*;

    fn incoming(message_id: &str) -> IncomingEvent {
        used(message_id, "u-1")
    }

    fn used(message_id: &str, user: &str) -> IncomingEvent {
        let value = serde_json::json!({
            "messageId": message_id, "type": "track", "event": "invoice.approved",
            "userId": user, "timestamp": "2026-11-24T09:30:00.000Z"
        });
        IncomingEvent { body: value.to_string(), event: Event::from_json(value).unwrap() }
    }

    fn demo_deriver() -> Deriver {
        let config =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../www/uptake.config.json")).unwrap();
        Deriver::new(uptake_core::config::Config::from_json(&serde_json::from_str(&config).unwrap()).unwrap())
    }

    fn records(path: &Path) -> Vec<(String, UserRecord)> {
        let mut reader = SqliteStore::open_reader(path).unwrap();
        let mut users = Vec::new();
        reader.users(None, &mut |user| users.push((user.person.id().to_owned(), user.record))).unwrap();
        users.sort_by(|a, b| a.0.cmp(&b.0));
        users
    }

    /// Events of 30 users, each a use of a feature of the demo config.
    fn uses(range: std::ops::Range<u32>) -> Vec<IncomingEvent> {
        range.map(|i| used(&format!("m-{i}"), &format!("u-{}", i % 30))).collect()
    }

    #[test]
    fn records_held_in_memory_are_taken_in_again_after_a_crash() {
        let dir = tempfile::tempdir().unwrap();
        let deriver = demo_deriver();
        let (crashed, steady) = (dir.path().join("crashed.db"), dir.path().join("steady.db"));
        for path in [&crashed, &steady] {
            let mut store = SqliteStore::open(path).unwrap();
            store.begin_rebuild(&deriver.version()).unwrap();
            store.insert_batches(&[("dev", &uses(0..50))], 0, &deriver).unwrap();
            store.write_back().unwrap();
            store.insert_batches(&[("dev", &uses(50..120))], 0, &deriver).unwrap();
            if path == &steady {
                store.write_back().unwrap();
            }
            // The crashed store ends without writing out what it held.
        }
        let (before, expected) = (records(&crashed), records(&steady));
        assert_eq!(expected.len(), 30);
        assert_ne!(before, expected, "the crashed store's records lack the last batch");
        let mut reopened = SqliteStore::open(&crashed).unwrap();
        reopened.catch_up(&deriver).unwrap();
        reopened.write_back().unwrap();
        assert_eq!(records(&crashed), expected);
        reopened.catch_up(&deriver).unwrap();
        reopened.write_back().unwrap();
        assert_eq!(records(&crashed), expected, "nothing taken in twice");
    }

    #[test]
    fn a_rebuild_step_writes_out_the_records_held_with_it() {
        let dir = tempfile::tempdir().unwrap();
        let deriver = demo_deriver();
        let (rebuilt, steady) = (dir.path().join("rebuilt.db"), dir.path().join("steady.db"));
        let mut store = SqliteStore::open(&rebuilt).unwrap();
        store.insert_batches(&[("dev", &uses(0..60))], 0, &deriver).unwrap();
        let state = store.begin_rebuild(&deriver.version()).unwrap();
        // Events arrive while the rebuild has not begun its steps: held in memory.
        store.insert_batches(&[("dev", &uses(60..90))], 0, &deriver).unwrap();
        let mut state = DerivedState { rebuilt_through: 0, ..state };
        while !state.is_complete() {
            state = store.rebuild_step(&deriver, 25).unwrap();
        }
        drop(store);
        let mut other = SqliteStore::open(&steady).unwrap();
        other.begin_rebuild(&deriver.version()).unwrap();
        other.insert_batches(&[("dev", &uses(0..90))], 0, &deriver).unwrap();
        other.write_back().unwrap();
        assert_eq!(
            records(&rebuilt),
            records(&steady),
            "the steps wrote the records held, and nothing since is missing"
        );
        let mut reopened = SqliteStore::open(&rebuilt).unwrap();
        reopened.catch_up(&deriver).unwrap();
        reopened.write_back().unwrap();
        assert_eq!(records(&rebuilt), records(&steady), "nothing taken in twice");
    }

    fn stored(store: &mut SqliteStore, write_key: &str, ids: &[String]) -> usize {
        let events: Vec<IncomingEvent> = ids.iter().map(|id| incoming(id)).collect();
        let deriver = Deriver::new(Default::default());
        store.insert_batches(&[(write_key, &events)], 0, &deriver).unwrap()[0].stored
    }

    fn ids(range: std::ops::Range<u32>) -> Vec<String> {
        range.map(|i| format!("m-{i}")).collect()
    }

    #[test]
    fn message_ids_are_known_across_checkpoints_and_a_reopening_without_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.db");
        let mut store = SqliteStore::open_checkpointing(&path, 10).unwrap();
        for start in (0..35).step_by(7) {
            assert_eq!(stored(&mut store, "dev", &ids(start..start + 7)), 7);
        }
        let written: i64 =
            store.connection.query_row("SELECT COUNT(*) FROM seen_messages", [], |row| row.get(0)).unwrap();
        assert_eq!(written, 28, "checkpoints after 14 and 28 events; 7 held in memory");
        assert_eq!(stored(&mut store, "dev", &ids(30..40)), 5, "m-30 to m-34 were held in memory");
        assert_eq!(stored(&mut store, "other", &ids(0..3)), 3, "ids are per write key");
        drop(store);
        let mut reopened = SqliteStore::open_checkpointing(&path, 10).unwrap();
        assert_eq!(stored(&mut reopened, "dev", &ids(0..41)), 1, "only m-40 is new");
        assert_eq!(stored(&mut reopened, "other", &ids(0..4)), 1);
        let events: i64 = reopened.connection.query_row("SELECT COUNT(*) FROM events", [], |row| row.get(0)).unwrap();
        assert_eq!(events, 45);
    }

    #[test]
    fn a_batch_repeating_an_id_stores_it_once() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = SqliteStore::open(&dir.path().join("events.db")).unwrap();
        let repeated = vec!["a".to_owned(), "b".to_owned(), "a".to_owned()];
        assert_eq!(stored(&mut store, "dev", &repeated), 2);
    }

    #[test]
    fn a_database_of_schema_3_keeps_its_events_and_knows_their_ids() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.db");
        {
            let connection = Connection::open(&path).unwrap();
            connection.execute_batch(SCHEMA_V1).unwrap();
            connection.execute_batch(SCHEMA_V2).unwrap();
            connection.execute_batch(SCHEMA_V3).unwrap();
            connection.pragma_update(None, "user_version", 3).unwrap();
            connection
                .execute(
                    "INSERT INTO events (write_key, message_id, type, timestamp_ms, received_at_ms, body)
                     VALUES ('dev', 'old', 'track', 0, 0, '{\"messageId\":\"old\"}')",
                    [],
                )
                .unwrap();
        }
        let mut store = SqliteStore::open(&path).unwrap();
        let unique_indexes: i64 = store
            .connection
            .query_row("SELECT COUNT(*) FROM sqlite_master WHERE name LIKE 'sqlite_autoindex_events%'", [], |row| {
                row.get(0)
            })
            .unwrap();
        assert_eq!(unique_indexes, 0);
        assert_eq!(stored(&mut store, "dev", &["old".to_owned(), "new".to_owned()]), 1);
    }

    #[test]
    fn a_hash_found_is_only_a_candidate() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = SqliteStore::open(&dir.path().join("events.db")).unwrap();
        assert_eq!(stored(&mut store, "dev", &["a".to_owned()]), 1);
        let SqliteStore { connection, seen, .. } = &mut store;
        let seen = seen.as_mut().unwrap();
        // The hash of "b" made to point at the event of "a", as a collision would.
        let hash_of_b = seen.hash("dev", "b");
        seen.remember(hash_of_b, 1);
        seen.committed();
        let transaction = connection.transaction().unwrap();
        assert!(!seen.holds(&transaction, hash_of_b, "dev", "b").unwrap());
        assert!(seen.holds(&transaction, seen.hash("dev", "a"), "dev", "a").unwrap());
    }

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
