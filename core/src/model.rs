//! The adoption model of PRODUCT.md, computed the same way on the device and on the collector:
//! per feature, frequency class and barrier (with the usage they come from, `FeatureFigures`);
//! per user, depth, recency and adoption level; and the derived tenure and the features that
//! apply to a user. Every threshold comes from `settings.model`.

use serde_json::{Map, Value};

use crate::config::{Barrier, FeatureDefinition, ModelSettings, RecencyClass, as_instant, property};
use crate::time::{DayNumber, DayOffset, Duration, Timestamp};
use crate::usage::{DayMask, FeatureUsage};

/// How often a feature is used, over the last 28 days.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrequencyClass {
    Daily,
    Weekly,
    Monthly,
    /// Used before, not in the last 28 days.
    Lapsed,
    Never,
}

impl FrequencyClass {
    /// The class as the SDK's `featureUsage` writes it: "daily", "weekly", "monthly", "lapsed"
    /// or "never".
    pub fn as_str(self) -> &'static str {
        match self {
            FrequencyClass::Daily => "daily",
            FrequencyClass::Weekly => "weekly",
            FrequencyClass::Monthly => "monthly",
            FrequencyClass::Lapsed => "lapsed",
            FrequencyClass::Never => "never",
        }
    }
}

/// Days in the last 4 weeks.
const FOUR_WEEKS: u32 = 28;

/// Weeks 0 to `weeks - 1` (week k is the days `7k` to `7k + 6` ago) with at least one day set.
fn active_weeks(mask: &DayMask, weeks: u32) -> u32 {
    (0..weeks).filter(|week| mask.count(week * 7, week * 7 + 7) > 0).count() as u32
}

pub fn frequency_class(usage: &FeatureUsage, today: DayNumber, settings: &ModelSettings) -> FrequencyClass {
    if !usage.is_used() {
        return FrequencyClass::Never;
    }
    let mask = usage.days.as_of(today);
    if mask.count(0, FOUR_WEEKS) == 0 {
        FrequencyClass::Lapsed
    } else if mask.count(0, FOUR_WEEKS) >= settings.daily_min_days {
        FrequencyClass::Daily
    } else if active_weeks(&mask, 4) >= settings.weekly_min_weeks {
        FrequencyClass::Weekly
    } else {
        FrequencyClass::Monthly
    }
}

/// Whether the feature was used in the last `days` days (today included).
fn used_in_last_days(usage: &FeatureUsage, today: DayNumber, days: u32, offset: DayOffset) -> bool {
    usage.last_used.is_some_and(|last| today.days_since(last.day(offset)) < i64::from(days))
}

/// What stands between the user and the feature.
pub fn barrier(usage: &FeatureUsage, today: DayNumber, settings: &ModelSettings, offset: DayOffset) -> Barrier {
    if !usage.is_used() {
        return if usage.entry_seen_at.is_some() { Barrier::Stuck } else { Barrier::Unaware };
    }
    if used_in_last_days(usage, today, settings.unconvinced_after_days, offset) {
        Barrier::None
    } else {
        Barrier::Unconvinced
    }
}

/// One user's record of one feature, with where they stand with it as of a day: its frequency
/// class and barrier.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeatureFigures {
    pub usage: FeatureUsage,
    pub frequency: FrequencyClass,
    pub barrier: Barrier,
}

impl FeatureFigures {
    /// The figures of `usage` as of `today`.
    pub fn as_of(usage: FeatureUsage, today: DayNumber, settings: &ModelSettings, offset: DayOffset) -> FeatureFigures {
        let frequency = frequency_class(&usage, today, settings);
        let barrier = barrier(&usage, today, settings, offset);
        FeatureFigures { usage, frequency, barrier }
    }
}

/// Whether a string trait, or a string of a list trait, passes `test`.
fn any_trait_string(traits: &Map<String, Value>, name: &str, test: impl Fn(&str) -> bool) -> bool {
    match property(traits, name) {
        Some(Value::String(value)) => test(value),
        Some(Value::Array(values)) => values.iter().any(|value| value.as_str().is_some_and(&test)),
        _ => false,
    }
}

/// A string trait, or the first string of a list trait.
fn first_trait_string<'t>(traits: &'t Map<String, Value>, name: &str) -> Option<&'t str> {
    match property(traits, name)? {
        Value::String(value) => Some(value),
        Value::Array(values) => values.iter().find_map(Value::as_str),
        _ => None,
    }
}

/// Whether a catalog feature applies to a user: its roles include the user's role (trait
/// `role` or `roles`) and its plans include the plan (trait `plan` of the account, else of
/// the user). A feature without roles or plans applies to all.
pub fn applies_to(
    feature: &FeatureDefinition,
    traits: &Map<String, Value>,
    account_traits: &Map<String, Value>,
) -> bool {
    let is_a_role = |role: &str| feature.roles.iter().any(|r| r == role);
    let role_fits = feature.roles.is_empty()
        || any_trait_string(traits, "role", is_a_role)
        || any_trait_string(traits, "roles", is_a_role);
    let plan = first_trait_string(account_traits, "plan").or_else(|| first_trait_string(traits, "plan"));
    let plan_fits = feature.plans.is_empty() || plan.is_some_and(|plan| feature.plans.iter().any(|p| p == plan));
    role_fits && plan_fits
}

/// The sign-up traits tenure is counted from, in order.
const SIGNUP_TRAITS: [&str; 3] = ["signed_up_at", "created_at", "createdAt"];

/// When the user (or, from an account's traits, the account) signed up: the first readable
/// trait of `signed_up_at`, `created_at` and `createdAt`.
pub fn signed_up_at(traits: &Map<String, Value>) -> Option<Timestamp> {
    SIGNUP_TRAITS.iter().find_map(|name| traits.get(*name).and_then(as_instant))
}

/// Whole days since the user signed up; `None` without a readable sign-up date.
pub fn tenure_days(traits: &Map<String, Value>, now: Timestamp) -> Option<u32> {
    let signed_up = signed_up_at(traits)?;
    let days = (now.as_millis() - signed_up.as_millis()).div_euclid(Duration::from_days(1).as_millis());
    u32::try_from(days.max(0)).ok()
}

/// One catalog feature as the user metrics see it.
pub struct ModelFeature<'a> {
    pub usage: &'a FeatureUsage,
    pub applicable: bool,
    pub activation: bool,
}

/// Where a user stands in the adoption model.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct UserMetrics {
    /// Applicable features used in the depth window, over applicable features (0 without any).
    pub depth: f64,
    pub recency: RecencyClass,
    /// 0 to 5.
    pub level: u32,
}

/// The user metrics from the catalog features (in catalog order).
pub fn user_metrics<'a>(
    features: impl Iterator<Item = ModelFeature<'a>>,
    today: DayNumber,
    settings: &ModelSettings,
    offset: DayOffset,
) -> UserMetrics {
    let mut active_days = DayMask::default();
    let mut applicable = 0u32;
    let mut applicable_used = 0u32;
    let mut activation_marked = false;
    let mut activated = false;
    let mut any_used = false;
    let mut last_active: Option<DayNumber> = None;
    for feature in features {
        let usage = feature.usage;
        if feature.applicable {
            applicable += 1;
            if used_in_last_days(usage, today, settings.depth_window_days, offset) {
                applicable_used += 1;
            }
        }
        activation_marked |= feature.activation;
        if !usage.is_used() {
            continue;
        }
        any_used = true;
        activated |= feature.activation;
        active_days.union(&usage.days.as_of(today));
        if let Some(last) = usage.last_used.map(|last| last.day(offset)) {
            last_active = Some(last_active.map_or(last, |known| known.max(last)));
        }
    }
    let depth = if applicable == 0 { 0.0 } else { f64::from(applicable_used) / f64::from(applicable) };
    let recency = match last_active.map(|last| today.days_since(last)) {
        None => RecencyClass::New,
        Some(days) if days <= i64::from(settings.active_within_days) => RecencyClass::Active,
        Some(days) if days <= i64::from(settings.dormant_after_days) => RecencyClass::AtRisk,
        Some(_) => RecencyClass::Dormant,
    };
    let steps = [
        if activation_marked { activated } else { any_used },
        active_weeks(&active_days, 4) >= settings.regular_min_weeks,
        (0..3).all(|week| active_days.count(week * 7, week * 7 + 7) >= settings.habit_min_days_per_week),
        depth >= settings.advanced_depth,
        depth >= settings.power_depth,
    ];
    let level = steps.iter().take_while(|holds| **holds).count() as u32;
    UserMetrics { depth, recency, level }
}

#[cfg(test)]
mod tests;
