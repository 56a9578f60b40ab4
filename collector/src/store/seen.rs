//! Which message ids a SQLite store holds, so that an event sent twice is stored once, without a
//! unique index over the ids. Such an index takes each new id where it sorts, and random ids
//! (UUIDv4, as Segment's server libraries send) sort anywhere: every event then dirtied a page
//! of the index of its own, written again at each commit, and ingest slowed to a third as the
//! table grew. Here each id is known by a keyed hash (SipHash-1-3, its key random per database,
//! so no sender can make ids collide on purpose): the ids stored since the last checkpoint are
//! in memory, the others in `seen_messages`, written sorted, many thousands at a time, at a
//! checkpoint. A hash found is only a candidate: the event it points to is read and its write
//! key and message id compared, so the answer is exact. After a crash the ids stored after the
//! last checkpoint are read back from the events themselves.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};

use rusqlite::{Connection, OptionalExtension, Transaction, params};
use siphasher::sip::SipHasher13;

use super::StoreError;

/// At most this many ids are held in memory (about 40 bytes each) before a checkpoint, which
/// writes most pages of `seen_messages` again (the hashes fall anywhere): the fewer the better.
pub const CHECKPOINT_EVENTS: usize = 1_000_000;

pub const SCHEMA: &str = "
CREATE TABLE seen_messages (
    hash INTEGER NOT NULL,
    event_id INTEGER NOT NULL,
    PRIMARY KEY (hash, event_id)
) WITHOUT ROWID;
CREATE TABLE seen_state (
    only INTEGER PRIMARY KEY CHECK (only = 1),
    key0 INTEGER NOT NULL,
    key1 INTEGER NOT NULL,
    through INTEGER NOT NULL
);
";

/// The message ids of a store, as its writer knows them.
pub struct SeenMessages {
    key: (u64, u64),
    /// Events with an id up to this one are in `seen_messages`.
    through: i64,
    /// Events stored after `through`: hash to event ids.
    recent: HashMap<i64, Vec<i64>>,
    recent_count: usize,
    /// The ids held that make a checkpoint due.
    checkpoint_events: usize,
    /// What the open transaction added to `recent`, taken back if it does not commit.
    staged: Vec<i64>,
    /// What the open transaction wrote out: `through` once it commits.
    checkpointed: Option<i64>,
}

impl SeenMessages {
    /// Reads the store's key and checkpoint (making them on first use) and the ids stored
    /// since; ids are checkpointed as they are read back, so a store of any size opens in
    /// bounded memory.
    pub fn load(connection: &mut Connection, checkpoint_events: usize) -> Result<SeenMessages, StoreError> {
        let state = connection
            .query_row("SELECT key0, key1, through FROM seen_state", [], |row| {
                Ok(((row.get::<_, i64>(0)? as u64, row.get::<_, i64>(1)? as u64), row.get::<_, i64>(2)?))
            })
            .optional()?;
        let (key, through) = match state {
            Some(state) => state,
            None => {
                let key = (random_u64(), random_u64());
                connection.execute(
                    "INSERT INTO seen_state (only, key0, key1, through) VALUES (1, ?1, ?2, 0)",
                    params![key.0 as i64, key.1 as i64],
                )?;
                (key, 0)
            }
        };
        let mut seen = SeenMessages {
            key,
            through,
            recent: HashMap::new(),
            recent_count: 0,
            checkpoint_events,
            staged: Vec::new(),
            checkpointed: None,
        };
        loop {
            let transaction = connection.transaction()?;
            let read = seen.read_back(&transaction)?;
            if seen.checkpoint_due() {
                seen.checkpoint(&transaction)?;
            }
            transaction.commit()?;
            seen.committed();
            if read < checkpoint_events {
                return Ok(seen);
            }
        }
    }

    /// Takes in up to `checkpoint_events` stored events not yet known; how many were read.
    fn read_back(&mut self, transaction: &Transaction<'_>) -> Result<usize, StoreError> {
        let after = self.recent.values().flatten().copied().max().unwrap_or(self.through);
        let mut query = transaction
            .prepare_cached("SELECT id, write_key, message_id FROM events WHERE id > ?1 ORDER BY id LIMIT ?2")?;
        let mut rows = query.query(params![after, self.checkpoint_events as i64])?;
        let mut read = 0;
        while let Some(row) = rows.next()? {
            let (id, write_key, message_id): (i64, String, String) = (row.get(0)?, row.get(1)?, row.get(2)?);
            let hash = self.hash(&write_key, &message_id);
            self.remember(hash, id);
            read += 1;
        }
        Ok(read)
    }

    /// The keyed hash of a message id within an app.
    pub fn hash(&self, write_key: &str, message_id: &str) -> i64 {
        let mut hasher = SipHasher13::new_with_keys(self.key.0, self.key.1);
        hasher.write(write_key.as_bytes());
        hasher.write_u8(0);
        hasher.write(message_id.as_bytes());
        hasher.finish() as i64
    }

    /// Whether the store already holds this message id (stored before, or earlier in the open
    /// transaction).
    pub fn holds(
        &self,
        transaction: &Transaction<'_>,
        hash: i64,
        write_key: &str,
        message_id: &str,
    ) -> Result<bool, StoreError> {
        let mut same = transaction.prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM events WHERE id = ?1 AND write_key = ?2 AND message_id = ?3)",
        )?;
        for &id in self.recent.get(&hash).into_iter().flatten() {
            if same.query_row(params![id, write_key, message_id], |row| row.get::<_, bool>(0))? {
                return Ok(true);
            }
        }
        let mut older = transaction.prepare_cached("SELECT event_id FROM seen_messages WHERE hash = ?1")?;
        let candidates: Vec<i64> = older.query_map(params![hash], |row| row.get(0))?.collect::<Result<_, _>>()?;
        for id in candidates {
            if same.query_row(params![id, write_key, message_id], |row| row.get::<_, bool>(0))? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// An event stored in the open transaction.
    pub fn remember(&mut self, hash: i64, event_id: i64) {
        self.recent.entry(hash).or_default().push(event_id);
        self.recent_count += 1;
        self.staged.push(hash);
    }

    /// Whether enough ids are held to write them out.
    pub fn checkpoint_due(&self) -> bool {
        self.recent_count >= self.checkpoint_events
    }

    /// Writes every id held into `seen_messages`, sorted, in the open transaction, which must
    /// store no event; memory is let go once it commits (`committed`).
    pub fn checkpoint(&mut self, transaction: &Transaction<'_>) -> Result<(), StoreError> {
        let mut entries: Vec<(i64, i64)> =
            self.recent.iter().flat_map(|(&hash, ids)| ids.iter().map(move |&id| (hash, id))).collect();
        entries.sort_unstable();
        let mut insert = transaction.prepare_cached("INSERT INTO seen_messages (hash, event_id) VALUES (?1, ?2)")?;
        for (hash, id) in &entries {
            insert.execute(params![hash, id])?;
        }
        let through = entries.iter().map(|&(_, id)| id).max().unwrap_or(self.through);
        transaction.execute("UPDATE seen_state SET through = ?1", params![through])?;
        self.checkpointed = Some(through);
        Ok(())
    }

    /// The open transaction committed: what it added stays, and what it checkpointed leaves
    /// memory.
    pub fn committed(&mut self) {
        self.staged.clear();
        if let Some(through) = self.checkpointed.take() {
            self.through = through;
            self.recent.clear();
            self.recent_count = 0;
        }
    }

    /// The open transaction was rolled back: what it added is forgotten.
    pub fn rolled_back(&mut self) {
        self.checkpointed = None;
        while let Some(hash) = self.staged.pop() {
            if let Some(ids) = self.recent.get_mut(&hash) {
                ids.pop();
                self.recent_count -= 1;
                if ids.is_empty() {
                    self.recent.remove(&hash);
                }
            }
        }
    }
}

/// A random number from the standard library's per-process random hashing keys.
fn random_u64() -> u64 {
    std::collections::hash_map::RandomState::new().build_hasher().finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_of_a_transaction_rolled_back_are_forgotten_and_a_commit_keeps_them() {
        let mut connection = Connection::open_in_memory().unwrap();
        connection
            .execute_batch("CREATE TABLE events (id INTEGER PRIMARY KEY, write_key TEXT, message_id TEXT);")
            .unwrap();
        connection.execute_batch(SCHEMA).unwrap();
        let mut seen = SeenMessages::load(&mut connection, 10).unwrap();
        let (a, b) = (seen.hash("dev", "a"), seen.hash("dev", "b"));
        seen.remember(a, 1);
        seen.committed();
        seen.remember(b, 2);
        seen.remember(a, 3);
        seen.rolled_back();
        assert_eq!((seen.recent_count, seen.recent.get(&a).cloned(), seen.recent.get(&b)), (1, Some(vec![1]), None));
    }

    #[test]
    fn the_hash_is_keyed_per_database_and_separates_key_and_id() {
        let mut first = Connection::open_in_memory().unwrap();
        let mut second = Connection::open_in_memory().unwrap();
        for connection in [&mut first, &mut second] {
            connection
                .execute_batch("CREATE TABLE events (id INTEGER PRIMARY KEY, write_key TEXT, message_id TEXT);")
                .unwrap();
            connection.execute_batch(SCHEMA).unwrap();
        }
        let (first, second) =
            (SeenMessages::load(&mut first, 10).unwrap(), SeenMessages::load(&mut second, 10).unwrap());
        assert_ne!(first.hash("dev", "a"), second.hash("dev", "a"));
        assert_ne!(first.hash("dev", "a"), first.hash("de", "va"));
    }
}
