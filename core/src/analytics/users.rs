//! One user's figures as of a day: the device's `UserMetrics` (level, recency, depth) from the
//! same function, each catalog feature's frequency class and barrier, the days of activity the
//! account and activity figures count, and time to first value.

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::record::UserRecord;
use crate::config::Barrier;
use crate::merge::earlier;
use crate::model::{self, FrequencyClass, ModelFeature, UserMetrics};
use crate::program::Program;
use crate::time::DayNumber;
use crate::usage::{DayMask, FeatureUsage};

/// One catalog feature, for one user.
#[derive(Clone, Debug, PartialEq)]
pub struct FeatureStanding {
    pub frequency: FrequencyClass,
    pub barrier: Barrier,
    /// Used in the last 30 days (the adoption rate's numerator).
    pub used_last_30_days: bool,
    pub applicable: bool,
    pub count: u64,
}

/// Where one user stands as of a day.
#[derive(Clone, Debug, PartialEq)]
pub struct UserFigures {
    pub metrics: UserMetrics,
    /// Days of activity (use of any catalog feature), bit `i` the day `as_of - i`.
    pub active: DayMask,
    /// The last day of activity up to `as_of`.
    pub last_active: Option<DayNumber>,
    /// The first day of activity ever (up to `as_of`).
    pub first_active: Option<DayNumber>,
    /// The first day the user was seen (any event).
    pub first_seen: Option<DayNumber>,
    /// The first day an activation feature (any catalog feature if none is marked) was used.
    pub first_value: Option<DayNumber>,
    /// The day the user signed up: the sign-up trait, else the first day seen.
    pub signed_up: Option<DayNumber>,
    /// Catalog features in catalog order.
    pub features: Vec<FeatureStanding>,
}

impl UserFigures {
    /// Days from sign-up to first value; `None` while not reached.
    pub fn time_to_first_value(&self) -> Option<i64> {
        Some(self.first_value?.days_since(self.signed_up?))
    }

    /// Active on at least one of the last `days` days.
    pub fn active_within(&self, days: u32) -> bool {
        self.active.count(0, days) > 0
    }
}

/// Days in the windows of the adoption rate and of breadth.
pub(super) const LAST_30_DAYS: u32 = 30;

/// The user's figures as of `as_of` (a day of the config's calendar); `account_traits` are their
/// account's, for the features that apply to them.
pub fn user_figures(
    program: &Program,
    record: &UserRecord,
    account_traits: &Map<String, Value>,
    as_of: DayNumber,
) -> UserFigures {
    let config = program.config();
    let offset = config.settings.day_offset();
    let settings = &config.settings.model;
    let empty = FeatureUsage::default();
    let usages: Vec<Cow<'_, FeatureUsage>> = config
        .features
        .iter()
        .map(|feature| record.state.features.get(&feature.id).unwrap_or(&empty).as_of(as_of, offset))
        .collect();
    let applicable: Vec<bool> =
        config.features.iter().map(|feature| model::applies_to(feature, &record.traits, account_traits)).collect();
    let marked = config.features.iter().any(|feature| feature.activation);
    let model_features = config.features.iter().zip(&usages).zip(&applicable).map(|((feature, usage), applicable)| {
        ModelFeature { usage, applicable: *applicable, activation: feature.activation }
    });
    let metrics = model::user_metrics(model_features, as_of, settings, offset);
    let mut active = DayMask::default();
    let mut first_active = None;
    let mut first_value = None;
    let mut features = Vec::with_capacity(usages.len());
    for ((feature, usage), applicable) in config.features.iter().zip(&usages).zip(&applicable) {
        let mask = usage.days.as_of(as_of);
        active.union(&mask);
        let first_day = usage.first_used.map(|first| first.day(offset));
        first_active = earlier(first_active, first_day);
        if feature.activation || !marked {
            first_value = earlier(first_value, first_day);
        }
        features.push(FeatureStanding {
            frequency: model::frequency_class(usage, as_of, settings),
            barrier: model::barrier(usage, as_of, settings, offset),
            used_last_30_days: mask.count(0, LAST_30_DAYS) > 0,
            applicable: *applicable,
            count: usage.count,
        });
    }
    let last_active = (0..crate::usage::TRACKED_DAYS)
        .find(|age| active.count(*age, age + 1) == 1)
        .map(|age| DayNumber(as_of.0 - age as i32))
        .or_else(|| usages.iter().filter_map(|usage| usage.last_used).max().map(|last| last.day(offset)));
    let first_seen = record.first_seen.map(|seen| seen.day(offset)).filter(|day| *day <= as_of);
    let signed_up = model::signed_up_at(&record.traits).map(|at| at.day(offset)).or(first_seen);
    UserFigures { metrics, active, last_active, first_active, first_seen, first_value, signed_up, features }
}

/// The user's adoption level on each of `days` (0 on a day before they were first seen, when
/// they are not counted): the same model as `user_figures`, without the per-feature figures, the
/// features that apply worked out once, for activity over a range.
pub fn user_levels(
    program: &Program,
    record: &UserRecord,
    account_traits: &Map<String, Value>,
    days: &[DayNumber],
) -> Vec<u32> {
    let config = program.config();
    let offset = config.settings.day_offset();
    let empty = FeatureUsage::default();
    let catalog: Vec<(&FeatureUsage, bool, bool)> = config
        .features
        .iter()
        .map(|feature| {
            let usage = record.state.features.get(&feature.id).unwrap_or(&empty);
            (usage, model::applies_to(feature, &record.traits, account_traits), feature.activation)
        })
        .collect();
    let first_seen = record.first_seen.map(|seen| seen.day(offset));
    days.iter()
        .map(|&day| {
            if first_seen.is_none_or(|seen| seen > day) {
                return 0;
            }
            let usages: Vec<Cow<'_, FeatureUsage>> =
                catalog.iter().map(|(usage, _, _)| usage.as_of(day, offset)).collect();
            let features = usages.iter().zip(&catalog).map(|(usage, (_, applicable, activation))| ModelFeature {
                usage,
                applicable: *applicable,
                activation: *activation,
            });
            model::user_metrics(features, day, &config.settings.model, offset).level
        })
        .collect()
}
