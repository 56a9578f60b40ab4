//! Where events are kept: one SQLite file (the default, embedded) or a PostgreSQL server, chosen
//! by `--database`. Both keep one row per event and `(write_key, message_id)` once, so a batch
//! sent twice stores its events once (PostgreSQL with a unique index, SQLite with `seen`); both
//! carry a schema version and migrate on open.
//! Writes come from one thread (`writer`), which commits the batches of many requests together;
//! exports read page by page from their own connections.

mod buffer;
mod checkpointer;
mod columns;
pub mod postgres;
mod rebuild;
mod seen;
pub mod sqlite;
pub mod writer;

use std::path::PathBuf;

use uptake_core::analytics::{AccountRecord, UserRecord};
use uptake_core::event::Event;

use crate::derived::{Deriver, Person};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the database {place}: {reason}")]
    Open { place: String, reason: String },
    #[error("the database was written by a newer collector (schema {found}, this one knows up to {known})")]
    NewerSchema { found: i64, known: i64 },
    #[error("database error: {0}")]
    Database(String),
}

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> Self {
        StoreError::Database(error.to_string())
    }
}

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

/// Storing batches.
pub trait EventStore: Send {
    /// Stores several batches `(write key, events)` in one transaction, with one outcome per
    /// batch: events whose message id is already stored for the write key are counted as
    /// duplicates and left alone. Each event is stored with its tags, and the new ones are taken
    /// into the records by `deriver` (in the same transaction, or in memory until `write_back`).
    /// Returns once the events are durable.
    fn insert_batches(
        &mut self,
        batches: &[(&str, &[IncomingEvent])],
        received_at_ms: i64,
        deriver: &Deriver,
    ) -> Result<Vec<StoreOutcome>, StoreError>;

    /// Records that config `version` (its JSON `source`) went live at `at_ms`, unless it is the
    /// latest version recorded already.
    fn record_config(&mut self, version: &str, source: &str, at_ms: i64) -> Result<(), StoreError>;

    /// Which config the records were built under, and how far their rebuild has come; `None`
    /// before any.
    fn derived_state(&mut self) -> Result<Option<DerivedState>, StoreError>;

    /// Starts rebuilding the records under config `version`: they are cleared, and the events
    /// stored so far are to be taken in again (`rebuild_step`). Events stored from now on are
    /// taken in as they come, under the new config.
    fn begin_rebuild(&mut self, version: &str) -> Result<DerivedState, StoreError>;

    /// Tags again and takes into the records the next `limit` events of the rebuild, in one
    /// transaction.
    fn rebuild_step(&mut self, deriver: &Deriver, limit: u32) -> Result<DerivedState, StoreError>;

    /// Takes into the records the events stored but not yet in them (a store that writes its
    /// records behind, after a crash), under `deriver`, the config they were built under.
    fn catch_up(&mut self, deriver: &Deriver) -> Result<(), StoreError>;

    /// Writes out the records a store holds in memory, so that readers see every event stored.
    fn write_back(&mut self) -> Result<(), StoreError>;
}

/// A config version, and when it went live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigVersion {
    pub version: String,
    pub live_from_ms: i64,
}

/// The config the records are built under, and the rebuild's progress: the events up to row
/// `rebuilt_through` are taken in; those after `rebuild_until` were stored under it already.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DerivedState {
    pub version: String,
    pub rebuilt_through: i64,
    pub rebuild_until: i64,
}

impl DerivedState {
    pub fn is_complete(&self) -> bool {
        self.rebuilt_through >= self.rebuild_until
    }
}

/// Reading stored events back.
pub trait EventReader: Send {
    /// Up to `limit` stored events that pass `filter`, after the row `after` (0 for the start),
    /// in the order they were stored: `(row, JSON as received)`. No transaction stays open
    /// between pages, so a long export never holds the writer back.
    fn export_page(&mut self, filter: &ExportFilter, after: i64, limit: u32) -> Result<Vec<(i64, String)>, StoreError>;

    /// Every user record (of one app, or all), one at a time.
    fn users(&mut self, write_key: Option<&str>, each: &mut dyn FnMut(StoredUser)) -> Result<(), StoreError>;

    /// Every user record's key and digest (of one app, or all), without the record.
    fn user_digests(&mut self, write_key: Option<&str>, each: &mut dyn FnMut(UserDigest)) -> Result<(), StoreError>;

    /// One user's record, if stored.
    fn user(&mut self, write_key: &str, person: &Person) -> Result<Option<StoredUser>, StoreError>;

    /// Every account record (of one app, or all): `(write key, account id, record)`.
    fn accounts(&mut self, write_key: Option<&str>) -> Result<Vec<(String, String, AccountRecord)>, StoreError>;

    /// Every config version, oldest first.
    fn config_versions(&mut self) -> Result<Vec<ConfigVersion>, StoreError>;

    /// Which config the records were built under, and how far their rebuild has come.
    fn built_under(&mut self) -> Result<Option<DerivedState>, StoreError>;
}

/// A user's record as the metrics read it.
pub struct StoredUser {
    pub write_key: String,
    pub person: Person,
    pub record: UserRecord,
    /// Changes whenever the record does (`columns::UserColumns::digest`).
    pub digest: i64,
}

/// Whose record, and its digest.
pub struct UserDigest {
    pub write_key: String,
    pub person: Person,
    pub digest: i64,
}

/// The database named by `--database`: a `postgres://` (or `postgresql://`) URL, else the path
/// of a SQLite file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    Sqlite(PathBuf),
    Postgres(String),
}

impl Database {
    pub fn parse(text: &str) -> Result<Database, String> {
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            return Ok(Database::Postgres(text.to_owned()));
        }
        if text.contains("://") {
            return Err(format!("{text:?}: give a SQLite file path or a postgres:// URL"));
        }
        Ok(Database::Sqlite(PathBuf::from(text)))
    }

    /// A connection for the writer, with the schema migrated.
    pub fn open_store(&self) -> Result<Box<dyn EventStore>, StoreError> {
        Ok(match self {
            Database::Sqlite(path) => Box::new(sqlite::SqliteStore::open(path)?),
            Database::Postgres(url) => Box::new(postgres::PostgresStore::connect(url)?),
        })
    }

    /// A connection for an export.
    pub fn open_reader(&self) -> Result<Box<dyn EventReader>, StoreError> {
        Ok(match self {
            Database::Sqlite(path) => Box::new(sqlite::SqliteStore::open_reader(path)?),
            Database::Postgres(url) => Box::new(postgres::PostgresReader::connect(url)?),
        })
    }
}

/// How the database is named in the collector's output: a URL without its password.
impl std::fmt::Display for Database {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Database::Sqlite(path) => write!(formatter, "{}", path.display()),
            Database::Postgres(url) => write!(formatter, "{}", postgres::without_password(url)),
        }
    }
}
