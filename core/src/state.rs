//! One user's state on the device, and (`stored`) its versioned stored form: a state written by
//! an older version is migrated (format 1, from the first release, has no first-exposure time
//! and calls a click "acted"), a newer or inconsistent one is refused with a reason the caller
//! reports, and the caller starts afresh. Format 3 adds the tour in progress and the checklist
//! shown. Nothing here reads or writes storage.

use crate::checklist::ChecklistRun;
use crate::exposure::RuleExposure;
use crate::table::Table;
use crate::time::{DayNumber, Timestamp};
use crate::tour::TourRun;
use crate::usage::{EventHistory, FeatureUsage, SequenceProgress};

mod merge;
mod parts;
mod stored;

pub use parts::{FoldedBase, OtherParts, TabPart};

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
    /// When the tour was last started, moved on or ended: of two records of it, the later
    /// change holds.
    pub tour_changed: Option<Timestamp>,
    /// The checklist shown, until it is dismissed or done.
    pub checklist: Option<ChecklistRun>,
    /// When the checklist was last shown, opened, closed, dismissed or ticked.
    pub checklist_changed: Option<Timestamp>,
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

#[cfg(test)]
mod tests;
