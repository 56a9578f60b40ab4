//! The records the figures are computed from, read once per request from a reader connection:
//! every account, then every user with their figures as of the day asked for (the core's
//! `user_figures`), keeping of each user only what the endpoints need. Memory goes with the
//! number of users, never with the number of events.

use std::collections::HashMap;

use serde_json::{Map, Value};
use uptake_core::analytics::{AccountRecord, UserFigures, user_figures, user_levels};
use uptake_core::exposure::RuleExposure;
use uptake_core::time::DayNumber;

use crate::derived::{Deriver, Person};
use crate::store::{DerivedState, EventReader, StoreError, StoredUser};

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

pub fn read(reader: &mut dyn EventReader, deriver: &Deriver, reading: &Reading<'_>) -> Result<Snapshot, StoreError> {
    let built_under = reader.built_under()?;
    let accounts: HashMap<(String, String), AccountRecord> = reader
        .accounts(reading.write_key)?
        .into_iter()
        .map(|(write_key, account_id, record)| ((write_key, account_id), record))
        .collect();
    let no_traits = Map::<String, Value>::new();
    let program = deriver.program();
    let rules = &program.config().rules;
    let mut users = Vec::new();
    reader.users(reading.write_key, &mut |stored: StoredUser| {
        let StoredUser { write_key, person, record } = stored;
        let account_traits = record
            .account
            .as_ref()
            .and_then(|account| accounts.get(&(write_key.clone(), account.clone())))
            .map_or(&no_traits, |account| &account.traits);
        let figures = user_figures(program, &record, account_traits, reading.as_of);
        let levels = user_levels(program, &record, account_traits, reading.level_days);
        let exposures = rules
            .iter()
            .enumerate()
            .filter_map(|(index, rule)| record.state.rules.get(&rule.id).map(|exposure| (index, exposure.clone())))
            .collect();
        users.push(UserRow { write_key, person, account: record.account, figures, exposures, levels });
    })?;
    Ok(Snapshot { users, accounts, built_under })
}
