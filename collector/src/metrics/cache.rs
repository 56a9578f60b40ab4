//! The users' records, parsed, kept between requests. Parsing a stored record costs tens of
//! microseconds, so reading every record for each request took seconds at 100,000 users. A
//! request first reads each record's key and digest (a few bytes a user, no record), then
//! parses again only the records whose digest changed or that are new, and forgets those no
//! longer stored. Whoever changed them, this collector's writer, a rebuild, or another
//! collector on the same PostgreSQL database, the records answered from are the stored ones.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use uptake_core::analytics::UserRecord;

use crate::derived::Person;
use crate::store::{Database, EventReader, StoreError, StoredUser, UserDigest};

/// Above this share of records changed or new, one scan reads them all rather than one query
/// each.
const SCAN_ABOVE_SHARE: f64 = 0.05;

/// A user's record as cached, under its write key and person.
struct CachedUser {
    record: UserRecord,
    digest: i64,
    /// The refresh that last found it stored.
    seen: u64,
}

/// One cached record, with whose it is.
#[derive(Clone, Copy)]
pub struct CachedRecord<'a> {
    pub write_key: &'a str,
    pub person: &'a Person,
    pub record: &'a UserRecord,
}

/// The parsed records of every user read so far.
#[derive(Default)]
pub struct RecordCache {
    users: HashMap<(String, Person), CachedUser>,
    refreshes: u64,
}

impl RecordCache {
    /// A cache filled in the background from `database`, so that the first request does not
    /// parse every record (a request meanwhile waits for it, or fills what it still lacks).
    pub fn warmed(database: &Database) -> Arc<RwLock<RecordCache>> {
        let cache = Arc::new(RwLock::new(RecordCache::default()));
        let (filling, database) = (cache.clone(), database.clone());
        let spawned = std::thread::Builder::new().name("uptake-records".into()).spawn(move || {
            let mut cache = filling.write().unwrap_or_else(|poisoned| poisoned.into_inner());
            let filled = database.open_reader().and_then(|mut reader| cache.refresh(reader.as_mut(), None));
            if let Err(error) = filled {
                eprintln!("uptake-collector: the metrics' records will be read at the first request: {error}");
            }
        });
        if let Err(error) = spawned {
            eprintln!("uptake-collector: the metrics' records will be read at the first request: {error}");
        }
        cache
    }

    /// Brings the records of one app (or all) in line with the store.
    pub fn refresh(&mut self, reader: &mut dyn EventReader, write_key: Option<&str>) -> Result<(), StoreError> {
        self.refreshes += 1;
        let refresh = self.refreshes;
        let mut changed = Vec::new();
        let mut stored = 0usize;
        reader.user_digests(write_key, &mut |UserDigest { write_key, person, digest }| {
            stored += 1;
            let key = (write_key, person);
            match self.users.get_mut(&key) {
                Some(cached) if cached.digest == digest => cached.seen = refresh,
                _ => changed.push(key),
            }
        })?;
        if changed.len() as f64 > stored as f64 * SCAN_ABOVE_SHARE {
            reader.users(write_key, &mut |user| self.keep(user, refresh))?;
        } else {
            for (write_key, person) in changed {
                if let Some(user) = reader.user(&write_key, &person)? {
                    self.keep(user, refresh);
                }
            }
        }
        // A record stored no more (a visitor's, joined to the user's) is forgotten; one stored
        // after the digests were read is kept, and counted from the next request.
        self.users.retain(|(key_write_key, _), cached| {
            cached.seen == refresh || write_key.is_some_and(|write_key| write_key != key_write_key)
        });
        Ok(())
    }

    fn keep(&mut self, user: StoredUser, refresh: u64) {
        let StoredUser { write_key, person, record, digest } = user;
        self.users.insert((write_key, person), CachedUser { record, digest, seen: refresh });
    }

    /// The records of one app (or all), in no particular order.
    pub fn users<'a>(&'a self, write_key: Option<&'a str>) -> impl Iterator<Item = CachedRecord<'a>> + 'a {
        self.users
            .iter()
            .filter(move |((key_write_key, _), _)| write_key.is_none_or(|write_key| key_write_key == write_key))
            .map(|((write_key, person), cached)| CachedRecord { write_key, person, record: &cached.record })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use uptake_core::event::Event;

    use super::*;
    use crate::derived::Deriver;
    use crate::store::sqlite::SqliteStore;
    use crate::store::{EventStore, IncomingEvent};

    fn event(message_id: &str, user_id: Option<&str>, anonymous_id: &str, at: &str) -> IncomingEvent {
        let mut value = json!({
            "messageId": message_id, "type": "track", "event": "invoice.approved",
            "anonymousId": anonymous_id, "timestamp": at
        });
        if let Some(user_id) = user_id {
            value["userId"] = json!(user_id);
        }
        IncomingEvent { body: value.to_string(), event: Event::from_json(value).unwrap() }
    }

    /// Every stored record, as a fresh read gives it.
    fn stored(reader: &mut dyn EventReader) -> Vec<(String, Person, UserRecord)> {
        let mut users = Vec::new();
        reader.users(None, &mut |user| users.push((user.write_key, user.person, user.record))).unwrap();
        users.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        users
    }

    fn cached(cache: &RecordCache) -> Vec<(String, Person, UserRecord)> {
        let mut users: Vec<_> = cache
            .users(None)
            .map(|user| (user.write_key.to_owned(), user.person.clone(), user.record.clone()))
            .collect();
        users.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        users
    }

    #[test]
    fn the_cache_follows_every_change_to_the_stored_records() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.db");
        let mut store = SqliteStore::open(&path).unwrap();
        let deriver = Deriver::new(Default::default());
        let mut reader = SqliteStore::open_reader(&path).unwrap();
        let mut cache = RecordCache::default();
        // Many users at once: one scan reads them.
        let first: Vec<_> =
            (0..40).map(|i| event(&format!("m-{i}"), None, &format!("a-{i}"), "2026-11-24T09:30:00.000Z")).collect();
        store.insert_batches(&[("dev", &first)], 0, &deriver).unwrap();
        store.insert_batches(&[("other", &first[..2])], 0, &deriver).unwrap();
        store.write_back().unwrap();
        cache.refresh(&mut reader, None).unwrap();
        assert_eq!(cached(&cache), stored(&mut reader));
        assert_eq!(cached(&cache).len(), 42);

        // One visitor signs in (their record joins the user's and is deleted), another uses the
        // app on a later day: each record read again by itself.
        let later = [
            event("m-40", Some("u-1"), "a-1", "2026-11-25T09:30:00.000Z"),
            event("m-41", None, "a-2", "2026-11-26T09:30:00.000Z"),
        ];
        store.insert_batches(&[("dev", &later)], 0, &deriver).unwrap();
        store.write_back().unwrap();
        cache.refresh(&mut reader, Some("dev")).unwrap();
        assert_eq!(cached(&cache), stored(&mut reader));
        assert!(cache.users(Some("dev")).all(|user| *user.person != Person::Anonymous("a-1".into())));
        assert!(cache.users(Some("dev")).any(|user| *user.person == Person::User("u-1".into())));
        assert_eq!(cache.users(Some("other")).count(), 2, "another app's records kept");
    }
}
