//! Events in a PostgreSQL server, for teams that run one: the same table as SQLite, with
//! `ON CONFLICT DO NOTHING` on `(write_key, message_id)`. A batch goes in as one statement
//! (arrays unnested), and a commit returns once the server has made it durable
//! (`synchronous_commit` is on by default). The schema version lives in `uptake_schema`, and
//! concurrent collectors migrate one at a time (an advisory lock).

use postgres::{Client, NoTls, Statement};

use super::{EventReader, EventStore, ExportFilter, IncomingEvent, StoreError, StoreOutcome};

/// The schema this code writes.
const SCHEMA_VERSION: i64 = 1;

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
             (write_key, message_id, type, event, user_id, anonymous_id, group_id, timestamp_ms, received_at_ms, body)
             SELECT $1, m, t, e, u, a, g, ts, $2, b
             FROM UNNEST($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::bigint[], $10::text[])
                  AS incoming (m, t, e, u, a, g, ts, b)
             ON CONFLICT (write_key, message_id) DO NOTHING",
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
    if version < 1 {
        transaction.batch_execute(SCHEMA_V1)?;
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
    ) -> Result<Vec<StoreOutcome>, StoreError> {
        let mut transaction = self.client.transaction()?;
        let mut outcomes = Vec::with_capacity(batches.len());
        for (write_key, events) in batches {
            let column = |field: fn(&IncomingEvent) -> Option<&str>| events.iter().map(field).collect::<Vec<_>>();
            let message_ids = column(|incoming| Some(incoming.event.message_id.as_str()));
            let types = column(|incoming| Some(incoming.event.event_type.as_str()));
            let names = column(|incoming| incoming.event.event.as_deref());
            let users = column(|incoming| incoming.event.user_id.as_deref());
            let anonymous = column(|incoming| incoming.event.anonymous_id.as_deref());
            let groups = column(|incoming| incoming.event.group_id.as_deref());
            let timestamps: Vec<i64> = events.iter().map(|incoming| incoming.event.timestamp.as_millis()).collect();
            let bodies = column(|incoming| Some(incoming.body.as_str()));
            let stored = transaction.execute(
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
                ],
            )? as usize;
            outcomes.push(StoreOutcome { stored, duplicates: events.len() - stored });
        }
        transaction.commit()?;
        Ok(outcomes)
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
