//! Events in a PostgreSQL server, for teams that run one: the same table as SQLite, with
//! `ON CONFLICT DO NOTHING` on `(write_key, message_id)`. A batch goes in as one statement
//! (arrays unnested), and a commit returns once the server has made it durable
//! (`synchronous_commit` is on by default). The schema version lives in `uptake_schema`, and
//! concurrent collectors migrate one at a time (an advisory lock). Each event keeps its tags;
//! the records the metrics read (`derived`) are updated in the transaction that stores them.

use std::collections::{HashMap, HashSet};

use postgres::{Client, GenericClient, NoTls, Statement, Transaction};
use uptake_core::analytics::{AccountRecord, UserRecord};

use super::columns::{UserColumns, account_record, traits_text};
use super::{
    ConfigVersion, DerivedState, EventReader, EventStore, ExportFilter, IncomingEvent, StoreError, StoreOutcome,
    StoredUser, UserDigest,
};
use crate::derived::{Deriver, NewEvent, Person, RecordSet, Records};

/// The schema this code writes.
const SCHEMA_VERSION: i64 = 3;

/// Any number, the same in every collector: the lock migrations take.
const MIGRATION_LOCK: i64 = 0x7570_7461_6b65;

const SCHEMA_V1: &str = "
CREATE TABLE events (
    id BIGSERIAL PRIMARY KEY,
    write_key TEXT NOT NULL,
    message_id TEXT NOT NULL,
    type TEXT NOT NULL,
    event TEXT,
    user_id TEXT,
    anonymous_id TEXT,
    group_id TEXT,
    timestamp_ms BIGINT NOT NULL,
    received_at_ms BIGINT NOT NULL,
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
    anonymous BOOLEAN NOT NULL,
    user_key TEXT NOT NULL,
    account TEXT,
    first_seen_ms BIGINT,
    last_seen_ms BIGINT,
    traits TEXT NOT NULL,
    state TEXT NOT NULL,
    PRIMARY KEY (write_key, anonymous, user_key)
);
CREATE TABLE aliases (
    write_key TEXT NOT NULL,
    anonymous_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    PRIMARY KEY (write_key, anonymous_id)
);
CREATE TABLE accounts (
    write_key TEXT NOT NULL,
    account_id TEXT NOT NULL,
    first_seen_ms BIGINT,
    traits TEXT NOT NULL,
    PRIMARY KEY (write_key, account_id)
);
CREATE TABLE config_versions (
    id BIGSERIAL PRIMARY KEY,
    version TEXT NOT NULL,
    source TEXT NOT NULL,
    live_from_ms BIGINT NOT NULL
);
CREATE TABLE derived_state (
    only_row INTEGER PRIMARY KEY CHECK (only_row = 1),
    version TEXT NOT NULL,
    rebuilt_through BIGINT NOT NULL,
    rebuild_until BIGINT NOT NULL
);
";

/// Version 3: a digest of each user record, which changes with it (no index on it: keeping one
/// up to date cost ingest over many users about 30% of its rate).
const SCHEMA_V3: &str = "ALTER TABLE users ADD COLUMN digest BIGINT NOT NULL DEFAULT 0;";

impl From<postgres::Error> for StoreError {
    fn from(error: postgres::Error) -> Self {
        // The server's own message says what is wrong; the error's Display alone does not.
        match error.as_db_error() {
            Some(db) => StoreError::Database(format!("{}: {}", db.code().code(), db.message())),
            None => StoreError::Database(error.to_string()),
        }
    }
}

/// The URL with its password replaced, for messages.
pub fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_owned() };
    let Some((credentials, host)) = rest.rsplit_once('@') else { return url.to_owned() };
    match credentials.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

/// The writer's connection, with its insert prepared once.
pub struct PostgresStore {
    client: Client,
    insert: Statement,
}

/// An export's connection, with its page query prepared once.
pub struct PostgresReader {
    client: Client,
    page: Statement,
}

fn connect(url: &str) -> Result<Client, StoreError> {
    Client::connect(url, NoTls)
        .map_err(|error| StoreError::Open { place: without_password(url), reason: error.to_string() })
}

impl PostgresReader {
    /// Connects for reading; the schema is the writer's to migrate.
    pub fn connect(url: &str) -> Result<PostgresReader, StoreError> {
        let mut client = connect(url)?;
        let page = client.prepare(
            "SELECT id, body FROM events
             WHERE id > $1
               AND ($2::bigint IS NULL OR timestamp_ms >= $2)
               AND ($3::bigint IS NULL OR timestamp_ms < $3)
               AND ($4::text IS NULL OR event = $4)
               AND ($5::text IS NULL OR user_id = $5 OR anonymous_id = $5)
               AND ($6::text IS NULL OR write_key = $6)
             ORDER BY id LIMIT $7",
        )?;
        Ok(PostgresReader { client, page })
    }
}

impl PostgresStore {
    /// Connects, migrates the schema and prepares the insert.
    pub fn connect(url: &str) -> Result<PostgresStore, StoreError> {
        let mut client = connect(url)?;
        migrate(&mut client)?;
        let insert = client.prepare(
            "INSERT INTO events
             (write_key, message_id, type, event, user_id, anonymous_id, group_id, timestamp_ms, received_at_ms, body, tags)
             SELECT $1, m, t, e, u, a, g, ts, $2, b, x
             FROM UNNEST($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::bigint[], $10::text[],
                         $11::text[])
                  AS incoming (m, t, e, u, a, g, ts, b, x)
             ON CONFLICT (write_key, message_id) DO NOTHING
             RETURNING message_id",
        )?;
        Ok(PostgresStore { client, insert })
    }
}

/// Creates or checks the schema, one collector at a time.
fn migrate(client: &mut Client) -> Result<(), StoreError> {
    let mut transaction = client.transaction()?;
    transaction.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
    transaction.batch_execute("CREATE TABLE IF NOT EXISTS uptake_schema (version BIGINT NOT NULL)")?;
    let version: i64 = transaction.query_opt("SELECT version FROM uptake_schema", &[])?.map_or(0, |row| row.get(0));
    if version > SCHEMA_VERSION {
        return Err(StoreError::NewerSchema { found: version, known: SCHEMA_VERSION });
    }
    if version < SCHEMA_VERSION {
        if version < 1 {
            transaction.batch_execute(SCHEMA_V1)?;
        }
        if version < 2 {
            transaction.batch_execute(SCHEMA_V2)?;
        }
        transaction.batch_execute(SCHEMA_V3)?;
        transaction.execute("DELETE FROM uptake_schema", &[])?;
        transaction.execute("INSERT INTO uptake_schema (version) VALUES ($1)", &[&SCHEMA_VERSION])?;
    }
    transaction.commit()?;
    Ok(())
}

impl EventStore for PostgresStore {
    fn insert_batches(
        &mut self,
        batches: &[(&str, &[IncomingEvent])],
        received_at_ms: i64,
        deriver: &Deriver,
    ) -> Result<Vec<StoreOutcome>, StoreError> {
        let mut transaction = self.client.transaction()?;
        let mut outcomes = Vec::with_capacity(batches.len());
        let tags: Vec<Vec<_>> = batches
            .iter()
            .map(|(_, events)| events.iter().map(|incoming| deriver.tag(&incoming.event)).collect())
            .collect();
        let mut new_events = Vec::new();
        for ((write_key, events), tags) in batches.iter().zip(&tags) {
            let column = |field: fn(&IncomingEvent) -> Option<&str>| events.iter().map(field).collect::<Vec<_>>();
            let message_ids = column(|incoming| Some(incoming.event.message_id.as_str()));
            let types = column(|incoming| Some(incoming.event.event_type.as_str()));
            let names = column(|incoming| incoming.event.event.as_deref());
            let users = column(|incoming| incoming.event.user_id.as_deref());
            let anonymous = column(|incoming| incoming.event.anonymous_id.as_deref());
            let groups = column(|incoming| incoming.event.group_id.as_deref());
            let timestamps: Vec<i64> = events.iter().map(|incoming| incoming.event.timestamp.as_millis()).collect();
            let bodies = column(|incoming| Some(incoming.body.as_str()));
            let tag_texts: Vec<Option<String>> = tags.iter().map(super::rebuild::tags_text).collect();
            let rows = transaction.query(
                &self.insert,
                &[
                    write_key,
                    &received_at_ms,
                    &message_ids,
                    &types,
                    &names,
                    &users,
                    &anonymous,
                    &groups,
                    &timestamps,
                    &bodies,
                    &tag_texts,
                ],
            )?;
            let inserted: HashSet<String> = rows.iter().map(|row| row.get(0)).collect();
            // A message id twice in one batch is inserted once: its first copy is the new one.
            let mut taken = HashSet::new();
            for (incoming, tags) in events.iter().zip(tags) {
                let id = incoming.event.message_id.as_str();
                if inserted.contains(id) && taken.insert(id) {
                    new_events.push(NewEvent { write_key, event: &incoming.event, tags });
                }
            }
            outcomes.push(StoreOutcome { stored: inserted.len(), duplicates: events.len() - inserted.len() });
        }
        take_in(&mut transaction, deriver, &new_events)?;
        transaction.commit()?;
        Ok(outcomes)
    }

    fn record_config(&mut self, version: &str, source: &str, at_ms: i64) -> Result<(), StoreError> {
        let mut transaction = self.client.transaction()?;
        transaction.execute("LOCK TABLE config_versions IN EXCLUSIVE MODE", &[])?;
        let latest = transaction.query_opt("SELECT version FROM config_versions ORDER BY id DESC LIMIT 1", &[])?;
        if latest.map(|row| row.get::<_, String>(0)).as_deref() != Some(version) {
            transaction.execute(
                "INSERT INTO config_versions (version, source, live_from_ms) VALUES ($1, $2, $3)",
                &[&version, &source, &at_ms],
            )?;
        }
        transaction.commit()?;
        Ok(())
    }

    fn derived_state(&mut self) -> Result<Option<DerivedState>, StoreError> {
        read_derived_state(&mut self.client)
    }

    fn begin_rebuild(&mut self, version: &str) -> Result<DerivedState, StoreError> {
        let mut transaction = self.client.transaction()?;
        transaction.batch_execute("DELETE FROM users; DELETE FROM aliases; DELETE FROM accounts;")?;
        let until: i64 = transaction.query_one("SELECT COALESCE(MAX(id), 0) FROM events", &[])?.get(0);
        let state = DerivedState { version: version.to_owned(), rebuilt_through: 0, rebuild_until: until };
        write_derived_state(&mut transaction, &state)?;
        transaction.commit()?;
        Ok(state)
    }

    fn rebuild_step(&mut self, deriver: &Deriver, limit: u32) -> Result<DerivedState, StoreError> {
        let mut transaction = self.client.transaction()?;
        let Some(mut state) = read_derived_state(&mut transaction)? else {
            return Err(StoreError::Database("no rebuild was started".into()));
        };
        let rows: Vec<(i64, String, String)> = transaction
            .query(
                "SELECT id, write_key, body FROM events WHERE id > $1 AND id <= $2 ORDER BY id LIMIT $3",
                &[&state.rebuilt_through, &state.rebuild_until, &i64::from(limit)],
            )?
            .iter()
            .map(|row| (row.get(0), row.get(1), row.get(2)))
            .collect();
        let events = super::rebuild::read_events(&rows)?;
        let tags: Vec<_> = events.iter().map(|(_, _, event)| deriver.tag(event)).collect();
        let ids: Vec<i64> = events.iter().map(|(id, _, _)| *id).collect();
        let tag_texts: Vec<Option<String>> = tags.iter().map(super::rebuild::tags_text).collect();
        transaction.execute(
            "UPDATE events SET tags = incoming.x FROM UNNEST($1::bigint[], $2::text[]) AS incoming (i, x)
             WHERE events.id = incoming.i",
            &[&ids, &tag_texts],
        )?;
        let new_events: Vec<NewEvent<'_>> =
            events.iter().zip(&tags).map(|((_, write_key, event), tags)| NewEvent { write_key, event, tags }).collect();
        take_in(&mut transaction, deriver, &new_events)?;
        state.rebuilt_through = match rows.last() {
            Some((last, _, _)) if rows.len() == limit as usize => *last,
            _ => state.rebuild_until,
        };
        write_derived_state(&mut transaction, &state)?;
        transaction.commit()?;
        Ok(state)
    }

    /// Records are written in the transaction that stores the events: none are behind.
    fn catch_up(&mut self, _deriver: &Deriver) -> Result<(), StoreError> {
        Ok(())
    }

    fn write_back(&mut self) -> Result<(), StoreError> {
        Ok(())
    }
}

fn read_derived_state(client: &mut impl postgres::GenericClient) -> Result<Option<DerivedState>, StoreError> {
    let row = client.query_opt("SELECT version, rebuilt_through, rebuild_until FROM derived_state", &[])?;
    Ok(row.map(|row| DerivedState { version: row.get(0), rebuilt_through: row.get(1), rebuild_until: row.get(2) }))
}

fn write_derived_state(client: &mut impl postgres::GenericClient, state: &DerivedState) -> Result<(), StoreError> {
    client.execute(
        "INSERT INTO derived_state (only_row, version, rebuilt_through, rebuild_until) VALUES (1, $1, $2, $3)
         ON CONFLICT (only_row) DO UPDATE SET version = EXCLUDED.version,
             rebuilt_through = EXCLUDED.rebuilt_through, rebuild_until = EXCLUDED.rebuild_until",
        &[&state.version, &state.rebuilt_through, &state.rebuild_until],
    )?;
    Ok(())
}

/// The columns of a user record, after its key, as `UserColumns` reads them.
const USER_COLUMNS: &str = "account, first_seen_ms, last_seen_ms, traits, state, digest";

fn user_columns(row: &postgres::Row, first: usize) -> UserColumns {
    UserColumns {
        account: row.get(first),
        first_seen_ms: row.get(first + 1),
        last_seen_ms: row.get(first + 2),
        traits: row.get(first + 3),
        state: row.get(first + 4),
        digest: row.get(first + 5),
    }
}

/// The person of a row that starts `write_key, anonymous, user_key`.
fn person(row: &postgres::Row) -> Person {
    let user_key: String = row.get(2);
    if row.get(1) { Person::Anonymous(user_key) } else { Person::User(user_key) }
}

fn stored_user(
    client: &mut impl GenericClient,
    write_key: &str,
    person: &Person,
) -> Result<Option<StoredUser>, StoreError> {
    let row = client.query_opt(
        &format!("SELECT {USER_COLUMNS} FROM users WHERE write_key = $1 AND anonymous = $2 AND user_key = $3"),
        &[&write_key, &person.is_anonymous(), &person.id()],
    )?;
    row.map(|row| user_columns(&row, 0).stored(write_key.to_owned(), person.clone())).transpose()
}

/// Runs `query` (with the write key as its one parameter) in pages of 1,000 rows, in one
/// transaction, so a large table is never held in memory at once.
fn in_pages(
    client: &mut Client,
    query: &str,
    write_key: Option<&str>,
    each: &mut dyn FnMut(&postgres::Row) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let mut transaction = client.transaction()?;
    let portal = transaction.bind(query, &[&write_key])?;
    loop {
        let rows = transaction.query_portal(&portal, 1_000)?;
        for row in &rows {
            each(row)?;
        }
        if rows.len() < 1_000 {
            return Ok(());
        }
    }
}

/// Takes `events` into the records, in `transaction`.
fn take_in(transaction: &mut Transaction<'_>, deriver: &Deriver, events: &[NewEvent<'_>]) -> Result<(), StoreError> {
    let mut set = RecordSet::default();
    let mut records = PostgresRecords::new(transaction);
    records.prefetch(events)?;
    deriver.apply(&mut set, &mut records, events)?;
    set.write_out(&mut records)?;
    records.finish()
}

/// The records, read and written inside the writer's transaction. A round trip per record
/// held ingest to under 2,000 events/s over 100,000 users: the records of a transaction's events
/// are read in one query beforehand (`prefetch`), and saved in one statement at the end
/// (`finish`).
struct PostgresRecords<'c, 't> {
    transaction: &'c mut Transaction<'t>,
    users: HashMap<(String, Person), Option<UserRecord>>,
    aliases: HashMap<(String, String), Option<String>>,
    saved: Vec<(String, Person, UserColumns)>,
    saved_aliases: Vec<(String, String, String)>,
}

impl<'c, 't> PostgresRecords<'c, 't> {
    fn new(transaction: &'c mut Transaction<'t>) -> Self {
        PostgresRecords {
            transaction,
            users: HashMap::new(),
            aliases: HashMap::new(),
            saved: Vec::new(),
            saved_aliases: Vec::new(),
        }
    }

    /// Reads at once the records and aliases `events` may need: each user named, each visitor,
    /// and the alias of each anonymous id. What is not read here is read when asked.
    fn prefetch(&mut self, events: &[NewEvent<'_>]) -> Result<(), StoreError> {
        let mut people = HashSet::new();
        let mut visitors = HashSet::new();
        for new in events {
            if let Some(user_id) = &new.event.user_id {
                people.insert((new.write_key, false, user_id.as_str()));
            }
            if let Some(anonymous_id) = &new.event.anonymous_id {
                people.insert((new.write_key, true, anonymous_id.as_str()));
                visitors.insert((new.write_key, anonymous_id.as_str()));
            }
        }
        let keys: Vec<&str> = people.iter().map(|person| person.0).collect();
        let anonymous: Vec<bool> = people.iter().map(|person| person.1).collect();
        let ids: Vec<&str> = people.iter().map(|person| person.2).collect();
        let rows = self.transaction.query(
            &format!(
                "SELECT write_key, anonymous, user_key, {USER_COLUMNS} FROM users
                 WHERE (write_key, anonymous, user_key) IN (SELECT * FROM UNNEST($1::text[], $2::bool[], $3::text[]))"
            ),
            &[&keys, &anonymous, &ids],
        )?;
        for (write_key, is_anonymous, id) in &people {
            let person =
                if *is_anonymous { Person::Anonymous((*id).to_owned()) } else { Person::User((*id).to_owned()) };
            self.users.insert(((*write_key).to_owned(), person), None);
        }
        for row in &rows {
            let write_key: String = row.get(0);
            let stored = user_columns(row, 3).stored(write_key.clone(), person(row))?;
            self.users.insert((write_key, stored.person), Some(stored.record));
        }
        let keys: Vec<&str> = visitors.iter().map(|visitor| visitor.0).collect();
        let ids: Vec<&str> = visitors.iter().map(|visitor| visitor.1).collect();
        for (write_key, anonymous_id) in &visitors {
            self.aliases.insert(((*write_key).to_owned(), (*anonymous_id).to_owned()), None);
        }
        let rows = self.transaction.query(
            "SELECT write_key, anonymous_id, user_id FROM aliases
             WHERE (write_key, anonymous_id) IN (SELECT * FROM UNNEST($1::text[], $2::text[]))",
            &[&keys, &ids],
        )?;
        for row in &rows {
            self.aliases.insert((row.get(0), row.get(1)), Some(row.get(2)));
        }
        Ok(())
    }

    /// Saves the records and aliases saved since `new`, one statement each.
    fn finish(self) -> Result<(), StoreError> {
        let column = |field: fn(&(String, Person, UserColumns)) -> Option<&str>| {
            self.saved.iter().map(field).collect::<Vec<_>>()
        };
        let keys = column(|saved| Some(saved.0.as_str()));
        let ids = column(|saved| Some(saved.1.id()));
        let accounts = column(|saved| saved.2.account.as_deref());
        let traits = column(|saved| Some(saved.2.traits.as_str()));
        let states = column(|saved| Some(saved.2.state.as_str()));
        let anonymous: Vec<bool> = self.saved.iter().map(|saved| saved.1.is_anonymous()).collect();
        let first_seen: Vec<Option<i64>> = self.saved.iter().map(|saved| saved.2.first_seen_ms).collect();
        let last_seen: Vec<Option<i64>> = self.saved.iter().map(|saved| saved.2.last_seen_ms).collect();
        let digests: Vec<i64> = self.saved.iter().map(|saved| saved.2.digest).collect();
        self.transaction.execute(
            "INSERT INTO users
                 (write_key, anonymous, user_key, account, first_seen_ms, last_seen_ms, traits, state, digest)
             SELECT * FROM UNNEST($1::text[], $2::bool[], $3::text[], $4::text[], $5::bigint[], $6::bigint[],
                 $7::text[], $8::text[], $9::bigint[])
             ON CONFLICT (write_key, anonymous, user_key) DO UPDATE SET account = EXCLUDED.account,
                 first_seen_ms = EXCLUDED.first_seen_ms, last_seen_ms = EXCLUDED.last_seen_ms,
                 traits = EXCLUDED.traits, state = EXCLUDED.state, digest = EXCLUDED.digest",
            &[&keys, &anonymous, &ids, &accounts, &first_seen, &last_seen, &traits, &states, &digests],
        )?;
        let keys: Vec<&str> = self.saved_aliases.iter().map(|alias| alias.0.as_str()).collect();
        let anonymous_ids: Vec<&str> = self.saved_aliases.iter().map(|alias| alias.1.as_str()).collect();
        let user_ids: Vec<&str> = self.saved_aliases.iter().map(|alias| alias.2.as_str()).collect();
        self.transaction.execute(
            "INSERT INTO aliases (write_key, anonymous_id, user_id)
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[]) ON CONFLICT DO NOTHING",
            &[&keys, &anonymous_ids, &user_ids],
        )?;
        Ok(())
    }
}

impl Records for PostgresRecords<'_, '_> {
    fn user(&mut self, write_key: &str, person: &Person) -> Result<Option<UserRecord>, StoreError> {
        if let Some(prefetched) = self.users.remove(&(write_key.to_owned(), person.clone())) {
            return Ok(prefetched);
        }
        Ok(stored_user(&mut *self.transaction, write_key, person)?.map(|stored| stored.record))
    }

    fn save_user(&mut self, write_key: &str, person: &Person, record: &UserRecord) -> Result<(), StoreError> {
        self.saved.push((write_key.to_owned(), person.clone(), UserColumns::of(record)));
        Ok(())
    }

    fn delete_user(&mut self, write_key: &str, person: &Person) -> Result<(), StoreError> {
        self.transaction.execute(
            "DELETE FROM users WHERE write_key = $1 AND anonymous = $2 AND user_key = $3",
            &[&write_key, &person.is_anonymous(), &person.id()],
        )?;
        Ok(())
    }

    fn alias(&mut self, write_key: &str, anonymous_id: &str) -> Result<Option<String>, StoreError> {
        if let Some(prefetched) = self.aliases.remove(&(write_key.to_owned(), anonymous_id.to_owned())) {
            return Ok(prefetched);
        }
        let row = self.transaction.query_opt(
            "SELECT user_id FROM aliases WHERE write_key = $1 AND anonymous_id = $2",
            &[&write_key, &anonymous_id],
        )?;
        Ok(row.map(|row| row.get(0)))
    }

    fn save_alias(&mut self, write_key: &str, anonymous_id: &str, user_id: &str) -> Result<(), StoreError> {
        self.saved_aliases.push((write_key.to_owned(), anonymous_id.to_owned(), user_id.to_owned()));
        Ok(())
    }

    fn account(&mut self, write_key: &str, account_id: &str) -> Result<Option<AccountRecord>, StoreError> {
        let row = self.transaction.query_opt(
            "SELECT first_seen_ms, traits FROM accounts WHERE write_key = $1 AND account_id = $2",
            &[&write_key, &account_id],
        )?;
        row.map(|row| account_record(row.get(0), row.get(1))).transpose()
    }

    fn save_account(&mut self, write_key: &str, account_id: &str, record: &AccountRecord) -> Result<(), StoreError> {
        self.transaction.execute(
            "INSERT INTO accounts (write_key, account_id, first_seen_ms, traits) VALUES ($1, $2, $3, $4)
             ON CONFLICT (write_key, account_id) DO UPDATE SET first_seen_ms = EXCLUDED.first_seen_ms,
                 traits = EXCLUDED.traits",
            &[
                &write_key,
                &account_id,
                &record.first_seen.map(uptake_core::time::Timestamp::as_millis),
                &traits_text(record),
            ],
        )?;
        Ok(())
    }
}

impl EventReader for PostgresReader {
    fn export_page(&mut self, filter: &ExportFilter, after: i64, limit: u32) -> Result<Vec<(i64, String)>, StoreError> {
        let rows = self.client.query(
            &self.page,
            &[
                &after,
                &filter.since_ms,
                &filter.until_ms,
                &filter.event,
                &filter.user,
                &filter.write_key,
                &i64::from(limit),
            ],
        )?;
        Ok(rows.iter().map(|row| (row.get(0), row.get(1))).collect())
    }

    fn users(&mut self, write_key: Option<&str>, each: &mut dyn FnMut(StoredUser)) -> Result<(), StoreError> {
        let query = format!(
            "SELECT write_key, anonymous, user_key, {USER_COLUMNS} FROM users WHERE $1::text IS NULL OR write_key = $1"
        );
        in_pages(&mut self.client, &query, write_key, &mut |row| {
            each(user_columns(row, 3).stored(row.get(0), person(row))?);
            Ok(())
        })
    }

    fn user_digests(&mut self, write_key: Option<&str>, each: &mut dyn FnMut(UserDigest)) -> Result<(), StoreError> {
        let query = "SELECT write_key, anonymous, user_key, digest FROM users WHERE $1::text IS NULL OR write_key = $1";
        in_pages(&mut self.client, query, write_key, &mut |row| {
            each(UserDigest { write_key: row.get(0), person: person(row), digest: row.get(3) });
            Ok(())
        })
    }

    fn user(&mut self, write_key: &str, person: &Person) -> Result<Option<StoredUser>, StoreError> {
        stored_user(&mut self.client, write_key, person)
    }

    fn accounts(&mut self, write_key: Option<&str>) -> Result<Vec<(String, String, AccountRecord)>, StoreError> {
        let rows = self.client.query(
            "SELECT write_key, account_id, first_seen_ms, traits FROM accounts WHERE $1::text IS NULL OR write_key = $1",
            &[&write_key],
        )?;
        rows.iter().map(|row| Ok((row.get(0), row.get(1), account_record(row.get(2), row.get(3))?))).collect()
    }

    fn config_versions(&mut self) -> Result<Vec<ConfigVersion>, StoreError> {
        let rows = self.client.query("SELECT version, live_from_ms FROM config_versions ORDER BY id", &[])?;
        Ok(rows.iter().map(|row| ConfigVersion { version: row.get(0), live_from_ms: row.get(1) }).collect())
    }

    fn built_under(&mut self) -> Result<Option<DerivedState>, StoreError> {
        read_derived_state(&mut self.client)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_stay_out_of_messages() {
        assert_eq!(without_password("postgres://uptake:s3cret@db:5432/events"), "postgres://uptake:***@db:5432/events");
        assert_eq!(without_password("postgres://uptake@db/events"), "postgres://uptake@db/events");
        assert_eq!(without_password("postgres://db/events"), "postgres://db/events");
    }
}
