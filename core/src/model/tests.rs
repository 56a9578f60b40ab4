//! The adoption model against hand-made histories on a fixed "today", with the documented
//! defaults and with changed thresholds.

use serde_json::json;

use super::*;

const DAY: i64 = 86_400_000;
const TODAY: i32 = 20_000;

fn utc() -> DayOffset {
    DayOffset::default()
}

fn today() -> DayNumber {
    DayNumber(TODAY)
}

/// Usage on the days `days_ago` before today.
fn used(days_ago: &[i32]) -> FeatureUsage {
    let mut usage = FeatureUsage::default();
    for ago in days_ago {
        usage.record_use(Timestamp::from_millis(i64::from(TODAY - ago) * DAY + 3_600_000), utc());
    }
    usage
}

fn defaults() -> ModelSettings {
    ModelSettings::default()
}

#[test]
fn frequency_classes_over_the_last_28_days() {
    let every_other_day: Vec<i32> = (0..28).step_by(2).collect();
    assert_eq!(frequency_class(&used(&every_other_day), today(), &defaults()), FrequencyClass::Daily, "14 of 28 days");
    let eleven_days: Vec<i32> = (0..11).collect();
    assert_eq!(
        frequency_class(&used(&eleven_days), today(), &defaults()),
        FrequencyClass::Monthly,
        "11 days, in weeks 0 and 1 only"
    );
    assert_eq!(frequency_class(&used(&[0, 7, 14]), today(), &defaults()), FrequencyClass::Weekly, "weeks 0, 1 and 2");
    assert_eq!(frequency_class(&used(&[0, 7]), today(), &defaults()), FrequencyClass::Monthly);
    assert_eq!(frequency_class(&used(&[27]), today(), &defaults()), FrequencyClass::Monthly, "the last of the 28 days");
    assert_eq!(frequency_class(&used(&[28]), today(), &defaults()), FrequencyClass::Lapsed, "just outside");
    assert_eq!(frequency_class(&FeatureUsage::default(), today(), &defaults()), FrequencyClass::Never);
    let strict = ModelSettings { daily_min_days: 20, ..defaults() };
    assert_eq!(frequency_class(&used(&every_other_day), today(), &strict), FrequencyClass::Weekly);
}

#[test]
fn barriers_tell_unaware_stuck_unconvinced_and_none() {
    let mut seen = FeatureUsage::default();
    assert_eq!(barrier(&seen, today(), &defaults(), utc()), Barrier::Unaware);
    seen.record_entry_seen(Timestamp::from_millis(i64::from(TODAY) * DAY));
    assert_eq!(barrier(&seen, today(), &defaults(), utc()), Barrier::Stuck);
    assert_eq!(barrier(&used(&[29]), today(), &defaults(), utc()), Barrier::None, "within the last 30 days");
    assert_eq!(barrier(&used(&[30]), today(), &defaults(), utc()), Barrier::Unconvinced);
}

#[test]
fn feature_figures_carry_the_usage_with_its_class_and_barrier() {
    let figures = FeatureFigures::as_of(used(&[0, 7, 14]), today(), &defaults(), utc());
    assert_eq!((figures.frequency, figures.barrier), (FrequencyClass::Weekly, Barrier::None));
    assert_eq!(figures.usage, used(&[0, 7, 14]));
    let lapsed = FeatureFigures::as_of(used(&[40]), today(), &defaults(), utc());
    assert_eq!((lapsed.frequency, lapsed.barrier), (FrequencyClass::Lapsed, Barrier::Unconvinced));
    let lenient = ModelSettings { unconvinced_after_days: 60, ..defaults() };
    assert_eq!(FeatureFigures::as_of(used(&[40]), today(), &lenient, utc()).barrier, Barrier::None);
}

#[test]
fn frequency_classes_are_written_in_lower_case() {
    let names = [
        FrequencyClass::Daily,
        FrequencyClass::Weekly,
        FrequencyClass::Monthly,
        FrequencyClass::Lapsed,
        FrequencyClass::Never,
    ]
    .map(FrequencyClass::as_str);
    assert_eq!(names, ["daily", "weekly", "monthly", "lapsed", "never"]);
}

fn feature(activation: bool, roles: &[&str], plans: &[&str]) -> FeatureDefinition {
    serde_json::from_value(json!({
        "id": "f", "name": "F", "activation": activation, "roles": roles, "plans": plans
    }))
    .unwrap()
}

#[test]
fn features_apply_by_role_and_plan() {
    let admin_pro = feature(false, &["admin"], &["pro", "enterprise"]);
    let traits = json!({"role": "admin"}).as_object().unwrap().clone();
    let account = json!({"plan": "pro"}).as_object().unwrap().clone();
    assert!(applies_to(&admin_pro, &traits, &account));
    assert!(!applies_to(&admin_pro, &traits, &Map::new()), "no plan known");
    let roles = json!({"roles": ["viewer", "admin"], "plan": "enterprise"}).as_object().unwrap().clone();
    assert!(applies_to(&admin_pro, &roles, &Map::new()), "a list of roles, and the user's plan");
    let viewer = json!({"role": "viewer"}).as_object().unwrap().clone();
    assert!(!applies_to(&admin_pro, &viewer, &account));
    assert!(applies_to(&feature(false, &[], &[]), &Map::new(), &Map::new()));
}

#[test]
fn tenure_counts_whole_days_since_sign_up() {
    let now = Timestamp::from_millis(i64::from(TODAY) * DAY + 5);
    let thirty_days_ago = crate::iso8601::format_timestamp(Timestamp::from_millis(i64::from(TODAY - 30) * DAY + 10));
    assert_eq!(tenure_days(json!({"signed_up_at": thirty_days_ago}).as_object().unwrap(), now), Some(29));
    assert_eq!(
        tenure_days(json!({"createdAt": "2024-01-01"}).as_object().unwrap(), now),
        Some(u32::try_from(TODAY - 19_723).unwrap())
    );
    assert_eq!(tenure_days(json!({"created_at": (i64::from(TODAY) - 2) * DAY}).as_object().unwrap(), now), Some(2));
    assert_eq!(tenure_days(json!({"signed_up_at": "soon"}).as_object().unwrap(), now), None);
    assert_eq!(tenure_days(&Map::new(), now), None);
}

struct Catalog(Vec<(FeatureUsage, bool, bool)>);

impl Catalog {
    fn metrics(&self, settings: &ModelSettings) -> UserMetrics {
        let features = self.0.iter().map(|(usage, applicable, activation)| ModelFeature {
            usage,
            applicable: *applicable,
            activation: *activation,
        });
        user_metrics(features, today(), settings, utc())
    }
}

#[test]
fn depth_counts_applicable_features_used_in_90_days() {
    let catalog = Catalog(vec![
        (used(&[0]), true, false),
        (used(&[89]), true, false),
        (used(&[90]), true, false),
        (FeatureUsage::default(), true, false),
        (used(&[0]), false, false),
    ]);
    assert_eq!(catalog.metrics(&defaults()).depth, 0.5, "2 of 4 applicable");
    assert_eq!(catalog.metrics(&ModelSettings { depth_window_days: 91, ..defaults() }).depth, 0.75);
    assert_eq!(Catalog(vec![]).metrics(&defaults()).depth, 0.0);
}

#[test]
fn recency_from_the_last_active_day() {
    let recency = |ago: &[i32]| Catalog(vec![(used(ago), true, false)]).metrics(&defaults()).recency;
    assert_eq!(recency(&[]), RecencyClass::New);
    assert_eq!(recency(&[6]), RecencyClass::Active);
    assert_eq!(recency(&[7]), RecencyClass::AtRisk);
    assert_eq!(recency(&[30]), RecencyClass::AtRisk);
    assert_eq!(recency(&[31]), RecencyClass::Dormant);
    assert_eq!(recency(&[500, 31]), RecencyClass::Dormant);
}

#[test]
fn levels_are_cumulative() {
    let level = |catalog: Catalog| catalog.metrics(&defaults()).level;
    assert_eq!(level(Catalog(vec![(FeatureUsage::default(), true, false)])), 0);
    // Activation marked on another feature than the one used: not activated.
    assert_eq!(level(Catalog(vec![(used(&[0]), true, false), (FeatureUsage::default(), true, true)])), 0);
    assert_eq!(level(Catalog(vec![(used(&[0]), true, true), (FeatureUsage::default(), true, false)])), 1);
    // Active in weeks 0, 1 and 3: regular.
    let regular = used(&[0, 7, 21]);
    assert_eq!(
        level(Catalog(vec![
            (regular, true, true),
            (FeatureUsage::default(), true, false),
            (FeatureUsage::default(), true, false)
        ])),
        2
    );
    // Three days in each of weeks 0, 1, 2: a habit; with 1 of 3 features, depth 0.33.
    let habit = used(&[0, 1, 2, 7, 8, 9, 14, 15, 16]);
    let catalog = vec![
        (habit.clone(), true, true),
        (FeatureUsage::default(), true, false),
        (FeatureUsage::default(), true, false),
    ];
    assert_eq!(level(Catalog(catalog)), 3);
    let catalog = vec![(habit.clone(), true, true), (used(&[40]), true, false), (FeatureUsage::default(), true, false)];
    assert_eq!(level(Catalog(catalog)), 4, "depth 2/3");
    let catalog = vec![(habit.clone(), true, true), (used(&[40]), true, false), (used(&[80]), true, false)];
    assert_eq!(level(Catalog(catalog)), 5, "depth 1");
    // Depth without a habit stays at level 2.
    let catalog = vec![(used(&[0, 7, 21]), true, true), (used(&[1]), true, false)];
    assert_eq!(level(Catalog(catalog)), 2);
    let lenient = ModelSettings { habit_min_days_per_week: 1, ..defaults() };
    assert_eq!(Catalog(vec![(used(&[0, 7, 14]), true, true)]).metrics(&lenient).level, 5);
}
