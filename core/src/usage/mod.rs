//! What a user did, kept on the device: per feature, how often, when first and last, on which
//! days, and whether its entry point was seen; per event matcher, the recent history that rules
//! count; per sequence, its progress. Bounded whatever the history: 400 days day by day, a
//! capped number of timestamps and partial runs.

mod active_days;
mod event_history;
mod sequence;

pub use active_days::{ActiveDays, DayMask, TRACKED_DAYS};
pub use event_history::{EventHistory, EventRetention};
pub use sequence::{Run, SequenceProgress, SequenceRetention};

use std::borrow::Cow;

use crate::merge::{Combine, earlier};
use crate::time::{DayNumber, DayOffset, Duration, Timestamp};

/// The most features one user's state keeps. Catalog features are few; the cap stops a page
/// with endless `data-uptake-feature` values from growing the state without bound.
pub const FEATURES_MAX: usize = 1000;

/// One user's use of one feature.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FeatureUsage {
    pub count: u64,
    pub first_used: Option<Timestamp>,
    pub last_used: Option<Timestamp>,
    pub days: ActiveDays,
    /// When the feature's entry point was first seen.
    pub entry_seen_at: Option<Timestamp>,
}

impl FeatureUsage {
    pub fn record_use(&mut self, at: Timestamp, offset: DayOffset) {
        self.count = self.count.saturating_add(1);
        self.first_used = Some(self.first_used.map_or(at, |first| first.min(at)));
        self.last_used = Some(self.last_used.map_or(at, |last| last.max(at)));
        self.days.record(at.day(offset));
    }

    /// Returns whether this is the first sighting.
    pub fn record_entry_seen(&mut self, at: Timestamp) -> bool {
        let first = self.entry_seen_at.is_none();
        self.entry_seen_at = Some(self.entry_seen_at.map_or(at, |seen| seen.min(at)));
        first
    }

    pub fn is_used(&self) -> bool {
        self.count > 0
    }

    /// Whether the feature was used at or after `since`.
    pub fn used_since(&self, since: Timestamp) -> bool {
        self.last_used.is_some_and(|last| last >= since)
    }

    /// Nothing recorded: not worth storing.
    pub fn is_empty(&self) -> bool {
        self.count == 0 && self.entry_seen_at.is_none()
    }

    /// Adds another record of the same feature's use; see `Combine`.
    pub fn merge(&mut self, other: &FeatureUsage, how: Combine) {
        self.count = how.count(self.count, other.count);
        self.first_used = earlier(self.first_used, other.first_used);
        self.last_used = self.last_used.max(other.last_used);
        self.days.merge(&other.days);
        self.entry_seen_at = earlier(self.entry_seen_at, other.entry_seen_at);
    }

    /// The record as it stood at the end of `day`, for figures computed "as of" a past day.
    /// Uses after it are left out: first and last use, the days, the entry point. The last use
    /// becomes the start of the last day of use up to `day` (every figure counts days, not
    /// instants; one beyond the 400 days kept falls back to the first use), and the count, when
    /// later uses are left out, the days of use up to `day` (a lower bound: only whether a
    /// feature was used counts in the model). A record with nothing after `day` is unchanged.
    pub fn as_of(&self, day: DayNumber, offset: DayOffset) -> Cow<'_, FeatureUsage> {
        let after = |at: Option<Timestamp>| at.is_some_and(|at| at.day(offset) > day);
        if !after(self.last_used) && !after(self.entry_seen_at) {
            return Cow::Borrowed(self);
        }
        let entry_seen_at = self.entry_seen_at.filter(|seen| seen.day(offset) <= day);
        if after(self.first_used) || self.first_used.is_none() {
            return Cow::Owned(FeatureUsage { entry_seen_at, ..FeatureUsage::default() });
        }
        if !after(self.last_used) {
            return Cow::Owned(FeatureUsage { entry_seen_at, ..self.clone() });
        }
        let days = self.days.until(day);
        let day_start = |day: DayNumber| {
            let start = i64::from(day.0) * Duration::from_days(1).as_millis();
            Timestamp::from_millis(start - i64::from(offset.minutes()) * 60_000)
        };
        let last_used = days.newest().map(day_start).or(self.first_used);
        let count = u64::from(days.total().max(1));
        Cow::Owned(FeatureUsage { count, first_used: self.first_used, last_used, days, entry_seen_at })
    }

    /// This record without `part`'s uses, added to it before: what the rest of the replicas
    /// recorded. Dates and days are kept whole (merging them again changes nothing).
    pub fn without(&self, part: &FeatureUsage) -> FeatureUsage {
        FeatureUsage { count: self.count.saturating_sub(part.count), ..self.clone() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::{DayNumber, Duration};

    const DAY: i64 = 86_400_000;

    #[test]
    fn counts_uses_first_last_and_days() {
        let mut usage = FeatureUsage::default();
        let utc = DayOffset::default();
        assert!(usage.is_empty() && !usage.is_used());
        for millis in [5 * DAY + 10, 5 * DAY + 20, 7 * DAY, 2 * DAY] {
            usage.record_use(Timestamp::from_millis(millis), utc);
        }
        assert_eq!(usage.count, 4);
        assert_eq!(usage.first_used, Some(Timestamp::from_millis(2 * DAY)));
        assert_eq!(usage.last_used, Some(Timestamp::from_millis(7 * DAY)));
        assert_eq!(usage.days.total(), 3);
        assert!(usage.days.contains(DayNumber(5)));
        assert!(usage.used_since(Timestamp::from_millis(7 * DAY)));
        assert!(!usage.used_since(Timestamp::from_millis(7 * DAY).plus(Duration::from_millis(1))));
    }

    #[test]
    fn the_day_of_a_use_follows_the_day_offset() {
        let mut usage = FeatureUsage::default();
        let tokyo = DayOffset::from_minutes(540).unwrap();
        usage.record_use(Timestamp::from_millis(DAY - 3_600_000), tokyo);
        assert!(usage.days.contains(DayNumber(1)));
    }

    #[test]
    fn a_record_as_of_a_past_day_leaves_out_what_came_after() {
        let utc = DayOffset::default();
        let mut usage = FeatureUsage::default();
        for day in [5, 7, 12, 12] {
            usage.record_use(Timestamp::from_millis(day * DAY + 3_600_000), utc);
        }
        usage.record_entry_seen(Timestamp::from_millis(10 * DAY));
        let then = usage.as_of(DayNumber(8), utc).into_owned();
        assert_eq!((then.count, then.days.total(), then.entry_seen_at), (2, 2, None));
        assert_eq!(then.first_used, usage.first_used);
        assert_eq!(then.last_used, Some(Timestamp::from_millis(7 * DAY)), "the start of day 7");
        assert_eq!(*usage.as_of(DayNumber(4), utc), FeatureUsage::default());
        assert!(matches!(usage.as_of(DayNumber(12), utc), Cow::Borrowed(_)), "nothing after day 12");
    }

    #[test]
    fn the_entry_point_is_seen_once() {
        let mut usage = FeatureUsage::default();
        assert!(usage.record_entry_seen(Timestamp::from_millis(10)));
        assert!(!usage.record_entry_seen(Timestamp::from_millis(5)));
        assert_eq!(usage.entry_seen_at, Some(Timestamp::from_millis(5)));
        assert!(!usage.is_empty() && !usage.is_used());
    }
}
