//! The records the figures are computed from, for one request: every account, read from a
//! reader connection, then every user's record, from the cache of parsed records brought in line
//! with the store (`cache`), with their figures as of the day asked for (the core's
//! `user_figures` and `user_levels`, on every core), keeping of each user only what the
//! endpoints need. Memory goes with the number of users, never with the number of events.

use std::collections::HashMap;
use std::sync::RwLock;

use serde_json::{Map, Value};
use uptake_core::analytics::{AccountRecord, UserFigures, user_figures, user_levels};
use uptake_core::exposure::RuleExposure;
use uptake_core::time::DayNumber;

use super::cache::{CachedRecord, RecordCache};
use crate::derived::{Deriver, Person};
use crate::store::{DerivedState, EventReader, StoreError};

/// One user, as the endpoints see them.
pub struct UserRow {
    pub write_key: String,
    pub person: Person,
    pub account: Option<String>,
    pub figures: UserFigures,
    /// The exposures of the config's rules, by rule index.
    pub exposures: Vec<(usize, RuleExposure)>,
    /// The level at each point of an activity range (only when asked for).
    pub levels: Vec<u32>,
}

/// Everything one request reads.
pub struct Snapshot {
    pub users: Vec<UserRow>,
    pub accounts: HashMap<(String, String), AccountRecord>,
    /// The config the records were built under, and the progress of their rebuild.
    pub built_under: Option<DerivedState>,
}

/// What to read: an app or all, and whose figures on which days.
pub struct Reading<'a> {
    pub write_key: Option<&'a str>,
    pub as_of: DayNumber,
    /// Days to compute each user's level on, for activity.
    pub level_days: &'a [DayNumber],
}

pub fn read(
    reader: &mut dyn EventReader,
    cache: &RwLock<RecordCache>,
    deriver: &Deriver,
    reading: &Reading<'_>,
) -> Result<Snapshot, StoreError> {
    let built_under = reader.built_under()?;
    let accounts: HashMap<(String, String), AccountRecord> = reader
        .accounts(reading.write_key)?
        .into_iter()
        .map(|(write_key, account_id, record)| ((write_key, account_id), record))
        .collect();
    cache.write().unwrap_or_else(|poisoned| poisoned.into_inner()).refresh(reader, reading.write_key)?;
    let cache = cache.read().unwrap_or_else(|poisoned| poisoned.into_inner());
    let cached: Vec<CachedRecord<'_>> = cache.users(reading.write_key).collect();
    let share = cached.len().div_ceil(threads()).max(1);
    let users = std::thread::scope(|scope| {
        let parts: Vec<_> = cached
            .chunks(share)
            .map(|part| scope.spawn(|| part.iter().map(|user| user_row(user, &accounts, deriver, reading)).collect()))
            .collect();
        let mut users = Vec::with_capacity(cached.len());
        for part in parts {
            let rows: Vec<UserRow> = part.join().unwrap_or_default();
            users.extend(rows);
        }
        users
    });
    Ok(Snapshot { users, accounts, built_under })
}

/// The threads a request computes on: one per core.
pub fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

fn user_row(
    user: &CachedRecord<'_>,
    accounts: &HashMap<(String, String), AccountRecord>,
    deriver: &Deriver,
    reading: &Reading<'_>,
) -> UserRow {
    let no_traits = Map::<String, Value>::new();
    let program = deriver.program();
    let record = user.record;
    let account_traits = record
        .account
        .as_ref()
        .and_then(|account| accounts.get(&(user.write_key.to_owned(), account.clone())))
        .map_or(&no_traits, |account| &account.traits);
    let figures = user_figures(program, record, account_traits, reading.as_of);
    let levels = user_levels(program, record, account_traits, reading.level_days);
    let exposures = program
        .config()
        .rules
        .iter()
        .enumerate()
        .filter_map(|(index, rule)| record.state.rules.get(&rule.id).map(|exposure| (index, exposure.clone())))
        .collect();
    UserRow {
        write_key: user.write_key.to_owned(),
        person: user.person.clone(),
        account: record.account.clone(),
        figures,
        exposures,
        levels,
    }
}
