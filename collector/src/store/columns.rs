//! How records are kept in a table's columns, the same in every store: the user's state in the
//! stored form the device writes (`UserState::to_json`), traits as JSON text, times as
//! milliseconds since the epoch, and a digest of them all, by which the metrics' cache of parsed
//! records (`metrics::cache`) tells a changed record without reading it.

use serde_json::{Map, Value};
use uptake_core::analytics::{AccountRecord, UserRecord};
use uptake_core::hash::stable_hash;
use uptake_core::state::UserState;
use uptake_core::time::Timestamp;

use super::{StoreError, StoredUser};
use crate::derived::Person;

/// A user record's columns.
pub struct UserColumns {
    pub account: Option<String>,
    pub first_seen_ms: Option<i64>,
    pub last_seen_ms: Option<i64>,
    pub traits: String,
    pub state: String,
    /// A hash of the other columns: equal digests, the same record.
    pub digest: i64,
}

impl UserColumns {
    pub fn of(record: &UserRecord) -> UserColumns {
        let first_seen_ms = record.first_seen.map(Timestamp::as_millis);
        let last_seen_ms = record.last_seen.map(Timestamp::as_millis);
        let traits = Value::Object(record.traits.clone()).to_string();
        let state = record.state.to_json().to_string();
        let times = format!("{first_seen_ms:?} {last_seen_ms:?}");
        let account = record.account.as_deref().map_or(String::new(), |account| format!("={account}"));
        // The hash's bits as a signed integer: both stores keep 64-bit signed integers.
        let digest = stable_hash(&[&account, &times, &traits, &state]) as i64;
        UserColumns { account: record.account.clone(), first_seen_ms, last_seen_ms, traits, state, digest }
    }

    /// The record of `person`, with its digest, for the metrics.
    pub fn stored(self, write_key: String, person: Person) -> Result<StoredUser, StoreError> {
        let digest = self.digest;
        Ok(StoredUser { write_key, person, record: self.record()?, digest })
    }

    pub fn record(self) -> Result<UserRecord, StoreError> {
        let state: Value = serde_json::from_str(&self.state).map_err(|error| unreadable("state", error))?;
        Ok(UserRecord {
            state: UserState::from_json(&state).map_err(|error| unreadable("state", error))?,
            traits: traits(&self.traits)?,
            account: self.account,
            first_seen: self.first_seen_ms.map(Timestamp::from_millis),
            last_seen: self.last_seen_ms.map(Timestamp::from_millis),
        })
    }
}

pub fn account_record(first_seen_ms: Option<i64>, traits_text: &str) -> Result<AccountRecord, StoreError> {
    Ok(AccountRecord { traits: traits(traits_text)?, first_seen: first_seen_ms.map(Timestamp::from_millis) })
}

pub fn traits_text(record: &AccountRecord) -> String {
    Value::Object(record.traits.clone()).to_string()
}

fn traits(text: &str) -> Result<Map<String, Value>, StoreError> {
    match serde_json::from_str(text) {
        Ok(Value::Object(traits)) => Ok(traits),
        Ok(_) => Err(StoreError::Database("stored traits are not a JSON object".into())),
        Err(error) => Err(unreadable("traits", error)),
    }
}

fn unreadable(what: &str, error: impl std::fmt::Display) -> StoreError {
    StoreError::Database(format!("a stored user {what} is unreadable: {error}"))
}
