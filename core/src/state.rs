//! One user's state on the device (usage and exposure) and its stored form. The stored form is
//! its own versioned type, separate from the in-memory structs: a state written by an older
//! version is migrated, a newer or unreadable one is refused with a reason the caller reports,
//! and the caller starts afresh. Nothing here reads or writes storage.

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};

use crate::exposure::{ExposureState, RuleExposure};
use crate::time::{DayNumber, Timestamp};
use crate::usage::{ActiveDays, EventHistory, EventLog, FeatureUsage, UsageState};

/// The version written by this code.
pub const STATE_VERSION: u32 = 1;

/// Everything kept on the device for one user.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserState {
    pub usage: UsageState,
    pub exposure: ExposureState,
}

/// The first thing read from a stored state: which version wrote it.
#[derive(Clone, Copy, Debug, Deserialize)]
pub struct StoredVersion {
    pub v: u32,
}

/// Why a stored state cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RestoreError {
    #[error("the stored state was written by a newer version (format {found}, this SDK reads up to {STATE_VERSION})")]
    NewerVersion { found: u32 },
    #[error("the stored state is unreadable: {0}")]
    Unreadable(String),
    #[error("the stored state is inconsistent: {0}")]
    Inconsistent(&'static str),
}

/// Stored form, version 1. Short keys: this is written on every change.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StoredUserState {
    pub v: u32,
    #[serde(default, rename = "f", skip_serializing_if = "BTreeMap::is_empty")]
    pub features: BTreeMap<String, StoredFeatureUsage>,
    #[serde(default, rename = "e", skip_serializing_if = "BTreeMap::is_empty")]
    pub events: BTreeMap<String, StoredEventHistory>,
    #[serde(default, rename = "r", skip_serializing_if = "BTreeMap::is_empty")]
    pub rules: BTreeMap<String, StoredRuleExposure>,
    /// `[day, shows]`: prompts shown on the latest day one was shown.
    #[serde(default, rename = "d", skip_serializing_if = "Option::is_none")]
    pub shows_on_day: Option<(i32, u32)>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StoredFeatureUsage {
    pub n: u64,
    pub first: i64,
    pub last: i64,
    /// The newest day of use.
    pub day: i32,
    /// The 400-day bitmap as hex, little end first, trailing zero bytes dropped.
    pub bits: String,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub older: u32,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StoredEventHistory {
    pub n: u64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub at: Vec<i64>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StoredRuleExposure {
    #[serde(default)]
    pub shows: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dismissed: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acted: Option<i64>,
}

fn is_zero(value: &u32) -> bool {
    *value == 0
}

const HEX: &[u8; 16] = b"0123456789abcdef";

fn bits_to_hex(words: &[u64]) -> String {
    let mut bytes: Vec<u8> = words.iter().flat_map(|word| word.to_le_bytes()).collect();
    while bytes.last() == Some(&0) {
        bytes.pop();
    }
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(HEX[usize::from(byte >> 4)]));
        out.push(char::from(HEX[usize::from(byte & 0x0F)]));
    }
    out
}

fn hex_to_bits<const N: usize>(hex: &str) -> Option<[u64; N]> {
    let digits = hex.as_bytes();
    if !digits.len().is_multiple_of(2) || digits.len() > N * 16 {
        return None;
    }
    let mut bytes = vec![0u8; N * 8];
    for (slot, pair) in bytes.iter_mut().zip(digits.chunks_exact(2)) {
        let text = std::str::from_utf8(pair).ok()?;
        *slot = u8::from_str_radix(text, 16).ok()?;
    }
    let mut words = [0u64; N];
    for (word, chunk) in words.iter_mut().zip(bytes.chunks_exact(8)) {
        let mut le = [0u8; 8];
        le.copy_from_slice(chunk);
        *word = u64::from_le_bytes(le);
    }
    Some(words)
}

impl UserState {
    pub fn to_stored(&self) -> StoredUserState {
        let features = self
            .usage
            .features()
            .iter()
            .map(|(id, usage)| {
                let stored = StoredFeatureUsage {
                    n: usage.count,
                    first: usage.first_used.as_millis(),
                    last: usage.last_used.as_millis(),
                    day: usage.days.newest().map_or(0, |day| day.0),
                    bits: bits_to_hex(usage.days.bits()),
                    older: usage.days.older_days(),
                };
                (id.clone(), stored)
            })
            .collect();
        let events = self
            .usage
            .events
            .histories()
            .iter()
            .map(|(name, history)| {
                let at = history.latest.iter().map(|at| at.as_millis()).collect();
                (name.clone(), StoredEventHistory { n: history.total, at })
            })
            .collect();
        let rules = self
            .exposure
            .by_rule()
            .iter()
            .map(|(id, exposure)| {
                let stored = StoredRuleExposure {
                    shows: exposure.shows,
                    last: exposure.last_shown.map(Timestamp::as_millis),
                    dismissed: exposure.dismissed_at.map(Timestamp::as_millis),
                    acted: exposure.acted_at.map(Timestamp::as_millis),
                };
                (id.clone(), stored)
            })
            .collect();
        let shows_on_day = self.exposure.shows_on_day().map(|(day, shows)| (day.0, shows));
        StoredUserState { v: STATE_VERSION, features, events, rules, shows_on_day }
    }

    /// Restores a state from its stored form, migrating older versions.
    pub fn from_stored(stored: StoredUserState) -> Result<UserState, RestoreError> {
        if stored.v > STATE_VERSION {
            return Err(RestoreError::NewerVersion { found: stored.v });
        }
        if stored.v == 0 {
            return Err(RestoreError::Inconsistent("version 0 was never written"));
        }
        let mut features = BTreeMap::new();
        for (id, feature) in stored.features {
            let bits = hex_to_bits(&feature.bits)
                .ok_or(RestoreError::Inconsistent("a feature's days are not a valid bitmap"))?;
            let days = ActiveDays::from_parts(Some(DayNumber(feature.day)), bits, feature.older)
                .ok_or(RestoreError::Inconsistent("a feature's days do not fit together"))?;
            if feature.n == 0 || feature.first > feature.last {
                return Err(RestoreError::Inconsistent("a feature's count or dates are impossible"));
            }
            let usage = FeatureUsage {
                count: feature.n,
                first_used: Timestamp::from_millis(feature.first),
                last_used: Timestamp::from_millis(feature.last),
                days,
            };
            features.insert(id, usage);
        }
        let mut histories = BTreeMap::new();
        for (name, history) in stored.events {
            if !history.at.is_sorted() || history.at.len() as u64 > history.n {
                return Err(RestoreError::Inconsistent("an event's history is out of order"));
            }
            let latest: VecDeque<Timestamp> = history.at.into_iter().map(Timestamp::from_millis).collect();
            histories.insert(name, EventHistory { total: history.n, latest });
        }
        let by_rule = stored
            .rules
            .into_iter()
            .map(|(id, rule)| {
                let exposure = RuleExposure {
                    shows: rule.shows,
                    last_shown: rule.last.map(Timestamp::from_millis),
                    dismissed_at: rule.dismissed.map(Timestamp::from_millis),
                    acted_at: rule.acted.map(Timestamp::from_millis),
                };
                (id, exposure)
            })
            .collect();
        let shows_on_day = stored.shows_on_day.map(|(day, shows)| (DayNumber(day), shows));
        Ok(UserState {
            usage: UsageState::from_parts(features, EventLog::from_histories(histories)),
            exposure: ExposureState::from_parts(by_rule, shows_on_day),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exposure::PromptOutcome;
    use crate::time::{DayOffset, Duration};
    use crate::usage::EventRetention;

    const DAY: i64 = 86_400_000;

    fn sample_state() -> UserState {
        let mut state = UserState::default();
        let utc = DayOffset::default();
        for day in [1, 2, 30, 420] {
            state.usage.record_feature_use("invoices.approve", Timestamp::from_millis(day * DAY + 5), utc).unwrap();
        }
        state.usage.record_feature_use("reports.export", Timestamp::from_millis(400 * DAY), utc).unwrap();
        let retention = EventRetention { keep_latest: 5, horizon: Duration::from_days(7) };
        let now = Timestamp::from_millis(420 * DAY);
        state.usage.events.record("invoice.approved", now, retention, now);
        state.exposure.record_show("suggest-automation", now, DayNumber(420));
        state.exposure.record_outcome("suggest-automation", PromptOutcome::Dismissed, now);
        state
    }

    #[test]
    fn survives_a_round_trip_through_json() {
        let state = sample_state();
        let json = serde_json::to_string(&state.to_stored()).unwrap();
        let stored: StoredUserState = serde_json::from_str(&json).unwrap();
        assert_eq!(UserState::from_stored(stored).unwrap(), state);
    }

    #[test]
    fn a_state_from_a_newer_version_is_refused() {
        let stored = StoredUserState { v: STATE_VERSION + 1, ..StoredUserState::default() };
        assert_eq!(UserState::from_stored(stored), Err(RestoreError::NewerVersion { found: 2 }));
    }

    #[test]
    fn inconsistent_states_are_refused() {
        let mut stored = sample_state().to_stored();
        stored.features.get_mut("reports.export").unwrap().bits = "zz".into();
        assert!(matches!(UserState::from_stored(stored), Err(RestoreError::Inconsistent(_))));
        let mut stored = sample_state().to_stored();
        stored.events.get_mut("invoice.approved").unwrap().at = vec![5, 1];
        assert!(matches!(UserState::from_stored(stored), Err(RestoreError::Inconsistent(_))));
        let mut stored = sample_state().to_stored();
        stored.features.get_mut("reports.export").unwrap().n = 0;
        assert!(matches!(UserState::from_stored(stored), Err(RestoreError::Inconsistent(_))));
    }

    #[test]
    fn the_bitmap_is_stored_compactly() {
        let stored = sample_state().to_stored();
        assert_eq!(stored.features["reports.export"].bits, "01");
        assert_eq!(stored.features["invoices.approve"].older, 2);
    }
}
