//! What the metrics need, kept up to date as batches are stored: each event is tagged by the
//! core with what it means under the served config (features used, entry points, exposures,
//! goals; kept with the event), and each user's and account's record (`uptake_core::analytics`)
//! takes in the events stored for them, in a `RecordSet` that the store writes out (PostgreSQL
//! in the same transaction; SQLite holds it across commits, `store/buffer`). An anonymous
//! visitor's record joins the user's when an event first names both, as the device carries the
//! visitor's state over on `identify`. Stores only load and save records (`Records`); every
//! decision is here and in the core.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

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

    /// Takes newly stored events, in the order stored, into the records of `set`, loading from
    /// `records` those it does not hold yet. Nothing is written: the caller writes `set` out.
    pub fn apply(
        &self,
        set: &mut RecordSet,
        records: &mut dyn Records,
        events: &[NewEvent<'_>],
    ) -> Result<(), StoreError> {
        for new in events {
            let write_key = new.write_key;
            let event = new.event;
            let person = match (&event.user_id, &event.anonymous_id) {
                (Some(user_id), anonymous_id) => {
                    if let Some(anonymous_id) = anonymous_id {
                        set.join_visitor(records, write_key, anonymous_id, user_id)?;
                    }
                    Person::User(user_id.clone())
                }
                (None, Some(anonymous_id)) => match set.alias(records, write_key, anonymous_id)? {
                    Some(user_id) => Person::User(user_id.to_owned()),
                    None => Person::Anonymous(anonymous_id.clone()),
                },
                (None, None) => continue,
            };
            set.user(records, write_key, person)?.apply(&self.program, event, new.tags);
            if event.event_type == EventType::Group
                && let Some(account_id) = &event.group_id
            {
                set.account(records, write_key, account_id)?.apply(event);
            }
        }
        Ok(())
    }
}

/// Records loaded and changed, by app (write key) and whom they are about: what a transaction
/// changes, or what a store holds in memory across transactions.
#[derive(Default)]
pub struct RecordSet {
    /// `None`: a record deleted (a visitor's, joined to the user's).
    users: HashMap<(String, Person), Held<Option<UserRecord>>>,
    accounts: HashMap<(String, String), Held<AccountRecord>>,
    /// Every alias looked up; `None`: none stored.
    aliases: HashMap<(String, String), Option<String>>,
    /// The aliases made since the last write-out, to be saved.
    new_aliases: Vec<(String, String)>,
}

/// A record, and whether it changed since it was loaded or last written out.
struct Held<T> {
    record: T,
    changed: bool,
}

impl<T> Held<T> {
    fn changed(record: T) -> Self {
        Held { record, changed: true }
    }
}

impl RecordSet {
    /// How many records are held.
    pub fn held(&self) -> usize {
        self.users.len() + self.accounts.len() + self.aliases.len()
    }

    /// Saves every record changed (and deletes those deleted) into `records`.
    pub fn write_out(&self, records: &mut dyn Records) -> Result<(), StoreError> {
        for ((write_key, person), held) in self.users.iter().filter(|(_, held)| held.changed) {
            match &held.record {
                Some(record) => records.save_user(write_key, person, record)?,
                None => records.delete_user(write_key, person)?,
            }
        }
        for (write_key, anonymous_id) in &self.new_aliases {
            if let Some(Some(user_id)) = self.aliases.get(&(write_key.clone(), anonymous_id.clone())) {
                records.save_alias(write_key, anonymous_id, user_id)?;
            }
        }
        for ((write_key, account_id), held) in self.accounts.iter().filter(|(_, held)| held.changed) {
            records.save_account(write_key, account_id, &held.record)?;
        }
        Ok(())
    }

    /// What `write_out` wrote is in the database: the records held are as stored.
    pub fn written(&mut self) {
        self.users.values_mut().for_each(|held| held.changed = false);
        self.accounts.values_mut().for_each(|held| held.changed = false);
        self.new_aliases.clear();
    }

    /// The first event naming both an anonymous id and a user: the visitor's record joins the
    /// user's, and later events of the visitor alone count for the user.
    fn join_visitor(
        &mut self,
        records: &mut dyn Records,
        write_key: &str,
        anonymous_id: &str,
        user_id: &str,
    ) -> Result<(), StoreError> {
        if self.alias(records, write_key, anonymous_id)?.is_some() {
            return Ok(());
        }
        self.aliases.insert((write_key.to_owned(), anonymous_id.to_owned()), Some(user_id.to_owned()));
        self.new_aliases.push((write_key.to_owned(), anonymous_id.to_owned()));
        let visitor = Person::Anonymous(anonymous_id.to_owned());
        let visited = std::mem::take(self.user(records, write_key, visitor.clone())?);
        if visited == UserRecord::default() {
            self.users.remove(&(write_key.to_owned(), visitor));
            return Ok(());
        }
        self.users.insert((write_key.to_owned(), visitor), Held::changed(None));
        self.user(records, write_key, Person::User(user_id.to_owned()))?.merge(&visited);
        Ok(())
    }

    /// The user an anonymous id was first seen signed in as.
    fn alias(
        &mut self,
        records: &mut dyn Records,
        write_key: &str,
        anonymous_id: &str,
    ) -> Result<Option<&str>, StoreError> {
        let key = (write_key.to_owned(), anonymous_id.to_owned());
        if !self.aliases.contains_key(&key) {
            let alias = records.alias(write_key, anonymous_id)?;
            self.aliases.insert(key.clone(), alias);
        }
        Ok(self.aliases.get(&key).and_then(|alias| alias.as_deref()))
    }

    /// The record of `person`, loaded once (a deleted one starts afresh).
    fn user(
        &mut self,
        records: &mut dyn Records,
        write_key: &str,
        person: Person,
    ) -> Result<&mut UserRecord, StoreError> {
        let key = (write_key.to_owned(), person);
        let held = match self.users.entry(key) {
            Entry::Occupied(held) => held.into_mut(),
            Entry::Vacant(vacant) => {
                let loaded = records.user(write_key, &vacant.key().1)?.unwrap_or_default();
                vacant.insert(Held::changed(Some(loaded)))
            }
        };
        held.changed = true;
        Ok(held.record.get_or_insert_with(UserRecord::default))
    }

    fn account(
        &mut self,
        records: &mut dyn Records,
        write_key: &str,
        account_id: &str,
    ) -> Result<&mut AccountRecord, StoreError> {
        let held = match self.accounts.entry((write_key.to_owned(), account_id.to_owned())) {
            Entry::Occupied(held) => held.into_mut(),
            Entry::Vacant(vacant) => {
                let loaded = records.account(write_key, account_id)?.unwrap_or_default();
                vacant.insert(Held::changed(loaded))
            }
        };
        held.changed = true;
        Ok(&mut held.record)
    }
}
