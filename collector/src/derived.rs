//! What the metrics need, kept up to date as batches are stored, in the same transaction: each
//! event is tagged by the core with what it means under the served config (features used,
//! entry points, exposures, goals; kept with the event), and each user's and account's record
//! (`uptake_core::analytics`) takes in the events stored for them. An anonymous visitor's record
//! joins the user's when an event first names both, as the device carries the visitor's state
//! over on `identify`. Stores only load and save records (`Records`); every decision is here
//! and in the core.

use std::collections::HashMap;

use uptake_core::analytics::{AccountRecord, UserRecord};
use uptake_core::config::Config;
use uptake_core::event::{Event, EventType};
use uptake_core::hash::stable_hash;
use uptake_core::program::{EventTags, Program};

use crate::store::StoreError;

/// Whom a record is about, within an app (write key).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Person {
    User(String),
    /// A visitor never seen signed in.
    Anonymous(String),
}

impl Person {
    pub fn id(&self) -> &str {
        match self {
            Person::User(id) | Person::Anonymous(id) => id,
        }
    }

    pub fn is_anonymous(&self) -> bool {
        matches!(self, Person::Anonymous(_))
    }
}

/// Loading and saving records inside the store's open transaction.
pub trait Records {
    fn user(&mut self, write_key: &str, person: &Person) -> Result<Option<UserRecord>, StoreError>;
    fn save_user(&mut self, write_key: &str, person: &Person, record: &UserRecord) -> Result<(), StoreError>;
    fn delete_user(&mut self, write_key: &str, person: &Person) -> Result<(), StoreError>;
    /// The user an anonymous id was first seen signed in as.
    fn alias(&mut self, write_key: &str, anonymous_id: &str) -> Result<Option<String>, StoreError>;
    fn save_alias(&mut self, write_key: &str, anonymous_id: &str, user_id: &str) -> Result<(), StoreError>;
    fn account(&mut self, write_key: &str, account_id: &str) -> Result<Option<AccountRecord>, StoreError>;
    fn save_account(&mut self, write_key: &str, account_id: &str, record: &AccountRecord) -> Result<(), StoreError>;
}

/// The served config, compiled, and its version: what events are tagged and records built
/// under.
pub struct Deriver {
    program: Program,
    /// A stable hash of the compiled config: the same config gives the same version.
    version: u64,
}

/// An event newly stored, with its tags.
pub struct NewEvent<'a> {
    pub write_key: &'a str,
    pub event: &'a Event,
    pub tags: &'a EventTags,
}

impl Deriver {
    pub fn new(config: Config) -> Deriver {
        let version = stable_hash(&[&config.to_compact_json()]);
        Deriver { program: Program::compile(config), version }
    }

    pub fn program(&self) -> &Program {
        &self.program
    }

    /// The version as the store and the answers write it: 16 hex digits.
    pub fn version(&self) -> String {
        format!("{:016x}", self.version)
    }

    /// What `event` means under this config.
    pub fn tag(&self, event: &Event) -> EventTags {
        match (&event.event_type, &event.event) {
            (EventType::Track, Some(name)) => self.program.tag_event(name, &event.properties, event.timestamp),
            _ => EventTags::default(),
        }
    }

    /// Takes newly stored events, in the order stored, into the records.
    pub fn apply(&self, records: &mut dyn Records, events: &[NewEvent<'_>]) -> Result<(), StoreError> {
        let mut users: HashMap<(String, Person), Option<UserRecord>> = HashMap::new();
        let mut accounts: HashMap<(String, String), AccountRecord> = HashMap::new();
        let mut aliases: HashMap<(String, String), Option<String>> = HashMap::new();
        for new in events {
            let write_key = new.write_key.to_owned();
            let event = new.event;
            let person = match (&event.user_id, &event.anonymous_id) {
                (Some(user_id), anonymous_id) => {
                    if let Some(anonymous_id) = anonymous_id {
                        self.join_visitor(records, &mut users, &mut aliases, &write_key, anonymous_id, user_id)?;
                    }
                    Person::User(user_id.clone())
                }
                (None, Some(anonymous_id)) => {
                    let alias = cached_alias(records, &mut aliases, &write_key, anonymous_id)?;
                    alias.map_or_else(|| Person::Anonymous(anonymous_id.clone()), Person::User)
                }
                (None, None) => continue,
            };
            let record = load_user(records, &mut users, &write_key, &person)?;
            record.apply(&self.program, event, new.tags);
            if event.event_type == EventType::Group
                && let Some(account_id) = &event.group_id
            {
                let key = (write_key.clone(), account_id.clone());
                if !accounts.contains_key(&key) {
                    let loaded = records.account(&write_key, account_id)?.unwrap_or_default();
                    accounts.insert(key.clone(), loaded);
                }
                if let Some(account) = accounts.get_mut(&key) {
                    account.apply(event);
                }
            }
        }
        for ((write_key, person), record) in &users {
            match record {
                Some(record) => records.save_user(write_key, person, record)?,
                None => records.delete_user(write_key, person)?,
            }
        }
        for ((write_key, account_id), record) in &accounts {
            records.save_account(write_key, account_id, record)?;
        }
        Ok(())
    }

    /// The first event naming both an anonymous id and a user: the visitor's record joins the
    /// user's, and later events of the visitor alone count for the user.
    fn join_visitor(
        &self,
        records: &mut dyn Records,
        users: &mut HashMap<(String, Person), Option<UserRecord>>,
        aliases: &mut HashMap<(String, String), Option<String>>,
        write_key: &str,
        anonymous_id: &str,
        user_id: &str,
    ) -> Result<(), StoreError> {
        if cached_alias(records, aliases, write_key, anonymous_id)?.is_some() {
            return Ok(());
        }
        records.save_alias(write_key, anonymous_id, user_id)?;
        aliases.insert((write_key.to_owned(), anonymous_id.to_owned()), Some(user_id.to_owned()));
        let visitor = Person::Anonymous(anonymous_id.to_owned());
        let visited = load_user(records, users, write_key, &visitor)?.clone();
        if visited == UserRecord::default() {
            users.remove(&(write_key.to_owned(), visitor));
            return Ok(());
        }
        users.insert((write_key.to_owned(), visitor), None);
        load_user(records, users, write_key, &Person::User(user_id.to_owned()))?.merge(&visited);
        Ok(())
    }
}

fn cached_alias(
    records: &mut dyn Records,
    aliases: &mut HashMap<(String, String), Option<String>>,
    write_key: &str,
    anonymous_id: &str,
) -> Result<Option<String>, StoreError> {
    let key = (write_key.to_owned(), anonymous_id.to_owned());
    if let Some(known) = aliases.get(&key) {
        return Ok(known.clone());
    }
    let alias = records.alias(write_key, anonymous_id)?;
    aliases.insert(key, alias.clone());
    Ok(alias)
}

/// The record of `person`, loaded once per transaction (a deleted one starts afresh).
fn load_user<'m>(
    records: &mut dyn Records,
    users: &'m mut HashMap<(String, Person), Option<UserRecord>>,
    write_key: &str,
    person: &Person,
) -> Result<&'m mut UserRecord, StoreError> {
    let key = (write_key.to_owned(), person.clone());
    if !users.contains_key(&key) {
        let loaded = records.user(write_key, person)?.unwrap_or_default();
        users.insert(key.clone(), Some(loaded));
    }
    let slot = users.entry(key).or_insert(None);
    Ok(slot.get_or_insert_with(UserRecord::default))
}
