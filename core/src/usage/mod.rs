//! What a user did, kept on the device: per feature, how often, when first and last, and on
//! which days; per watched event, the recent history that rules count. Bounded whatever the
//! history: 400 days day by day, a capped number of features and of event timestamps.

mod active_days;
mod event_log;

use std::collections::BTreeMap;

pub use active_days::{ActiveDays, TRACKED_DAYS};
pub use event_log::{EventHistory, EventLog, EventRetention};

use crate::time::{DayOffset, Timestamp};

/// The most features one user's state keeps. Catalog features are few; the cap stops a page
/// with endless `data-uptake-feature` values from growing the state without bound.
pub const FEATURES_MAX: usize = 1000;

/// One user's use of one feature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeatureUsage {
    pub count: u64,
    pub first_used: Timestamp,
    pub last_used: Timestamp,
    pub days: ActiveDays,
}

impl FeatureUsage {
    fn first(at: Timestamp, offset: DayOffset) -> Self {
        let mut days = ActiveDays::default();
        days.record(at.day(offset));
        FeatureUsage { count: 1, first_used: at, last_used: at, days }
    }

    fn record(&mut self, at: Timestamp, offset: DayOffset) {
        self.count = self.count.saturating_add(1);
        self.first_used = self.first_used.min(at);
        self.last_used = self.last_used.max(at);
        self.days.record(at.day(offset));
    }

    /// Whether the feature was used at or after `since`.
    pub fn used_since(&self, since: Timestamp) -> bool {
        self.last_used >= since
    }
}

/// Everything one user did that the adoption model and the rules look at.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UsageState {
    features: BTreeMap<String, FeatureUsage>,
    pub events: EventLog,
}

/// Why a use was not recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UsageError {
    #[error("this user already has {FEATURES_MAX} features recorded; uses of new ones are not kept")]
    TooManyFeatures,
}

impl UsageState {
    pub fn from_parts(features: BTreeMap<String, FeatureUsage>, events: EventLog) -> Self {
        UsageState { features, events }
    }

    pub fn features(&self) -> &BTreeMap<String, FeatureUsage> {
        &self.features
    }

    pub fn feature(&self, id: &str) -> Option<&FeatureUsage> {
        self.features.get(id)
    }

    /// Records a use of `feature` at `at`, on the day `offset` puts it.
    pub fn record_feature_use(&mut self, feature: &str, at: Timestamp, offset: DayOffset) -> Result<(), UsageError> {
        if let Some(usage) = self.features.get_mut(feature) {
            usage.record(at, offset);
            return Ok(());
        }
        if self.features.len() >= FEATURES_MAX {
            return Err(UsageError::TooManyFeatures);
        }
        self.features.insert(feature.to_owned(), FeatureUsage::first(at, offset));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::{DayNumber, Duration};

    const DAY: i64 = 86_400_000;

    #[test]
    fn counts_uses_first_last_and_days() {
        let mut usage = UsageState::default();
        let utc = DayOffset::default();
        for millis in [5 * DAY + 10, 5 * DAY + 20, 7 * DAY, 2 * DAY] {
            usage.record_feature_use("invoices.approve", Timestamp::from_millis(millis), utc).unwrap();
        }
        let feature = usage.feature("invoices.approve").unwrap();
        assert_eq!(feature.count, 4);
        assert_eq!(feature.first_used, Timestamp::from_millis(2 * DAY));
        assert_eq!(feature.last_used, Timestamp::from_millis(7 * DAY));
        assert_eq!(feature.days.total(), 3);
        assert!(feature.days.contains(DayNumber(5)));
        assert!(feature.used_since(Timestamp::from_millis(7 * DAY)));
        assert!(!feature.used_since(Timestamp::from_millis(7 * DAY).plus(Duration::from_millis(1))));
        assert!(usage.feature("workflow.automation").is_none());
    }

    #[test]
    fn the_day_of_a_use_follows_the_day_offset() {
        let mut usage = UsageState::default();
        let tokyo = DayOffset::from_minutes(540).unwrap();
        usage.record_feature_use("x", Timestamp::from_millis(DAY - 3_600_000), tokyo).unwrap();
        assert!(usage.feature("x").unwrap().days.contains(DayNumber(1)));
    }

    #[test]
    fn the_number_of_features_is_capped() {
        let mut usage = UsageState::default();
        let at = Timestamp::from_millis(0);
        for index in 0..FEATURES_MAX {
            usage.record_feature_use(&format!("f{index}"), at, DayOffset::default()).unwrap();
        }
        assert_eq!(usage.record_feature_use("one-more", at, DayOffset::default()), Err(UsageError::TooManyFeatures));
        assert_eq!(usage.record_feature_use("f0", at, DayOffset::default()), Ok(()));
    }
}
