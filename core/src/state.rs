//! One user's state on the device and its stored form. The stored form is its own versioned
//! type, separate from the in-memory structs: a state written by an older version is migrated
//! (format 1, from the first release, has no first-exposure time and calls a click "acted"), a
//! newer or inconsistent one is refused with a reason the caller reports, and the caller starts
//! afresh. Format 3 adds the tour in progress and the checklist shown. Nothing here reads or
//! writes storage.

use std::collections::VecDeque;

use crate::checklist::ChecklistRun;
use crate::exposure::{RuleExposure, Variant};
use crate::table::Table;
use crate::time::{DayNumber, Timestamp};
use crate::tour::TourRun;
use crate::usage::{ActiveDays, EventHistory, FeatureUsage, Run, SequenceProgress};

mod stored;
pub use stored::{
    StoredChecklist, StoredEventHistory, StoredFeatureUsage, StoredRuleExposure, StoredSequence, StoredTour,
    StoredUserState,
};

/// The version written by this code.
pub const STATE_VERSION: u32 = 3;

/// Everything kept on the device for one user, by stable key: feature id, event matcher key,
/// sequence key, rule id.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserState {
    pub features: Table<FeatureUsage>,
    pub histories: Table<EventHistory>,
    pub sequences: Table<SequenceProgress>,
    pub rules: Table<RuleExposure>,
    /// Experiences shown on the latest day one was shown.
    pub shows_on_day: Option<(DayNumber, u32)>,
    /// The tour in progress, resumed after a navigation or a reload.
    pub tour: Option<TourRun>,
    /// The checklist shown, until it is dismissed or done.
    pub checklist: Option<ChecklistRun>,
}

impl UserState {
    /// Experiences shown on `day`.
    pub fn shows_on(&self, day: DayNumber) -> u32 {
        match self.shows_on_day {
            Some((shown_day, shows)) if shown_day == day => shows,
            _ => 0,
        }
    }

    pub fn record_show_on(&mut self, day: DayNumber) {
        self.shows_on_day = Some((day, self.shows_on(day).saturating_add(1)));
    }
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

const HEX: &[u8; 16] = b"0123456789abcdef";

fn bits_to_hex(words: &[u64]) -> String {
    let mut bytes = Vec::with_capacity(words.len() * 8);
    for word in words {
        bytes.extend_from_slice(&word.to_le_bytes());
    }
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

fn millis(at: Option<Timestamp>) -> Option<i64> {
    at.map(Timestamp::as_millis)
}

fn instant(millis: Option<i64>) -> Option<Timestamp> {
    millis.map(Timestamp::from_millis)
}

fn runs(pairs: Vec<(i64, i64)>) -> Result<VecDeque<Run>, RestoreError> {
    let mut runs = VecDeque::with_capacity(pairs.len());
    for (start, last) in pairs {
        if start > last {
            return Err(RestoreError::Inconsistent("a sequence run ends before it starts"));
        }
        runs.push_back(Run { start: Timestamp::from_millis(start), last: Timestamp::from_millis(last) });
    }
    Ok(runs)
}

fn pairs(runs: &VecDeque<Run>) -> Vec<(i64, i64)> {
    let mut pairs = Vec::with_capacity(runs.len());
    for run in runs {
        pairs.push((run.start.as_millis(), run.last.as_millis()));
    }
    pairs
}

impl UserState {
    /// The stored form; empty rows are left out. Written with loops, not `filter`, `map` and
    /// `collect` chains: each chain was its own copy of the iterator code in the wasm.
    pub fn to_stored(&self) -> StoredUserState {
        let mut features = Vec::new();
        for (id, usage) in self.features.by_key() {
            if usage.is_empty() {
                continue;
            }
            let stored = StoredFeatureUsage {
                n: usage.count,
                first: millis(usage.first_used),
                last: millis(usage.last_used),
                day: usage.days.newest().map(|day| day.0),
                bits: bits_to_hex(usage.days.bits()),
                older: usage.days.older_days(),
                seen: millis(usage.entry_seen_at),
            };
            features.push((id.to_owned(), stored));
        }
        let mut events = Vec::new();
        for (key, history) in self.histories.by_key() {
            if history.total == 0 {
                continue;
            }
            let mut at = Vec::with_capacity(history.latest.len());
            for seen in &history.latest {
                at.push(seen.as_millis());
            }
            events.push((key.to_owned(), StoredEventHistory { n: history.total, at }));
        }
        let mut sequences = Vec::new();
        for (key, progress) in self.sequences.by_key() {
            if progress.is_empty() {
                continue;
            }
            let mut waiting = Vec::with_capacity(progress.waiting.len());
            for runs in &progress.waiting {
                waiting.push(pairs(runs));
            }
            let stored = StoredSequence { n: progress.total, w: waiting, c: pairs(&progress.completions) };
            sequences.push((key.to_owned(), stored));
        }
        let mut rules = Vec::new();
        for (id, exposure) in self.rules.by_key() {
            if exposure.is_empty() {
                continue;
            }
            let stored = StoredRuleExposure {
                shows: exposure.shows,
                first: millis(exposure.first_exposed_at),
                last: millis(exposure.last_shown),
                dismissed: millis(exposure.dismissed_at),
                clicked: millis(exposure.clicked_at),
                snoozed: millis(exposure.snoozed_until),
                goal: millis(exposure.goal_reached_at),
                variant: exposure.variant.map(|variant| {
                    match variant {
                        Variant::Treatment => "t",
                        Variant::Holdout => "h",
                    }
                    .to_owned()
                }),
            };
            rules.push((id.to_owned(), stored));
        }
        let shows_on_day = self.shows_on_day.map(|(day, shows)| (day.0, shows));
        let tour = self.tour.as_ref().map(|run| StoredTour {
            id: run.tour_id.clone(),
            step: run.step,
            rule: run.rule_id.clone(),
            preview: run.preview,
            started: run.started_at.as_millis(),
            missing: millis(run.missing_since),
            centered: run.centered,
            viewed: run.viewed,
        });
        let checklist = self.checklist.as_ref().map(|run| StoredChecklist {
            id: run.checklist_id.clone(),
            rule: run.rule_id.clone(),
            preview: run.preview,
            open: run.open,
            dismissed: run.dismissed,
            reported: run.reported,
        });
        StoredUserState { v: STATE_VERSION, features, events, sequences, rules, shows_on_day, tour, checklist }
    }

    /// Restores a state from its stored form, migrating older versions.
    pub fn from_stored(stored: StoredUserState) -> Result<UserState, RestoreError> {
        if stored.v > STATE_VERSION {
            return Err(RestoreError::NewerVersion { found: stored.v });
        }
        if stored.v == 0 {
            return Err(RestoreError::Inconsistent("version 0 was never written"));
        }
        let from_version_1 = stored.v == 1;
        let mut features = Table::default();
        for (id, feature) in stored.features {
            let bits =
                hex_to_bits(&feature.bits).ok_or(RestoreError::Inconsistent("a feature's days are not a bitmap"))?;
            let days = ActiveDays::from_parts(feature.day.map(DayNumber), bits, feature.older)
                .ok_or(RestoreError::Inconsistent("a feature's days do not fit together"))?;
            let used = feature.n > 0;
            let dates_fit = match (feature.first, feature.last) {
                (Some(first), Some(last)) => used && first <= last && feature.day.is_some(),
                (None, None) => !used && feature.day.is_none(),
                _ => false,
            };
            if !dates_fit {
                return Err(RestoreError::Inconsistent("a feature's count or dates are impossible"));
            }
            let usage = FeatureUsage {
                count: feature.n,
                first_used: instant(feature.first),
                last_used: instant(feature.last),
                days,
                entry_seen_at: instant(feature.seen),
            };
            features.insert(id, usage);
        }
        let mut histories = Table::default();
        for (key, history) in stored.events {
            if !history.at.is_sorted() || history.at.len() as u64 > history.n {
                return Err(RestoreError::Inconsistent("an event's history is out of order"));
            }
            let mut latest = VecDeque::with_capacity(history.at.len());
            for at in history.at {
                latest.push_back(Timestamp::from_millis(at));
            }
            histories.insert(key, EventHistory { total: history.n, latest });
        }
        let mut sequences = Table::default();
        for (key, sequence) in stored.sequences {
            let mut waiting = Vec::with_capacity(sequence.w.len());
            for step in sequence.w {
                waiting.push(runs(step)?);
            }
            let completions = runs(sequence.c)?;
            if completions.len() as u64 > sequence.n || waiting.len() >= crate::config::SEQUENCE_MAX_STEPS {
                return Err(RestoreError::Inconsistent("a sequence's progress is impossible"));
            }
            sequences.insert(key, SequenceProgress { waiting, completions, total: sequence.n });
        }
        let mut rules = Table::default();
        for (id, rule) in stored.rules {
            let variant = match rule.variant.as_deref() {
                None => None,
                Some("t") => Some(Variant::Treatment),
                Some("h") => Some(Variant::Holdout),
                Some(_) => return Err(RestoreError::Inconsistent("a rule's variant is unknown")),
            };
            // Format 1 did not keep the first exposure: the last show is the best known.
            let first = if from_version_1 { rule.first.or(rule.last) } else { rule.first };
            let exposure = RuleExposure {
                shows: rule.shows,
                first_exposed_at: instant(first),
                last_shown: instant(rule.last),
                dismissed_at: instant(rule.dismissed),
                clicked_at: instant(rule.clicked),
                snoozed_until: instant(rule.snoozed),
                goal_reached_at: instant(rule.goal),
                variant,
            };
            rules.insert(id, exposure);
        }
        let shows_on_day = stored.shows_on_day.map(|(day, shows)| (DayNumber(day), shows));
        let tour = stored.tour.map(|tour| TourRun {
            tour_id: tour.id,
            step: tour.step,
            rule_id: tour.rule,
            preview: tour.preview,
            started_at: Timestamp::from_millis(tour.started),
            missing_since: instant(tour.missing),
            centered: tour.centered,
            viewed: tour.viewed,
        });
        let checklist = stored.checklist.map(|checklist| ChecklistRun {
            checklist_id: checklist.id,
            rule_id: checklist.rule,
            preview: checklist.preview,
            open: checklist.open,
            dismissed: checklist.dismissed,
            reported: checklist.reported,
        });
        Ok(UserState { features, histories, sequences, rules, shows_on_day, tour, checklist })
    }
}

#[cfg(test)]
mod tests;
