//! The collector's figures, computed by hand at every threshold of PRODUCT.md: recency at 6, 7,
//! 30 and 31 days, weeks 0 to 3, 12 of 28 days, depth 0.5 and 0.7, seats given or not, a trend
//! from no active users, campaigns with and without a holdout, conversions of 0 and 1, and
//! time to first value reached or not. Records are built from events through the tags, as the
//! collector builds them.

use serde_json::{Map, Value, json};

use super::*;
use crate::config::{Barrier, Config, RecencyClass};
use crate::event::{Event, EventType};
use crate::model::FrequencyClass;
use crate::program::Program;
use crate::time::{DayNumber, DayOffset, Timestamp};

const DAY: i64 = 86_400_000;
/// The day figures are computed as of: 2026-01-01 is day 20454.
const TODAY: DayNumber = DayNumber(20_454);

fn program(features: usize, rules: Value) -> Program {
    let mut catalog: Vec<Value> = (0..features)
        .map(|index| json!({"id": format!("f{index}"), "name": format!("F{index}"), "events": [format!("use.f{index}")]}))
        .collect();
    catalog[0]["activation"] = json!(true);
    catalog[0]["category"] = json!({"tier": "core"});
    let config = json!({
        "version": 1,
        "features": catalog,
        "prompts": [{"id": "p", "title": "Try it"}],
        "rules": rules,
    });
    Program::compile(Config::from_json(&config).unwrap())
}

/// Noon of `days_ago` days before today.
fn at(days_ago: i64) -> Timestamp {
    Timestamp::from_millis((i64::from(TODAY.0) - days_ago) * DAY + DAY / 2)
}

fn event(kind: EventType, name: Option<&str>, properties: Value, when: Timestamp) -> Event {
    Event {
        message_id: format!("m-{}", when.as_millis()),
        event_type: kind,
        event: name.map(str::to_owned),
        name: None,
        user_id: Some("u".into()),
        anonymous_id: None,
        group_id: None,
        properties: properties.as_object().cloned().unwrap_or_default(),
        traits: Map::new(),
        context: Map::new(),
        timestamp: when,
        sent_at: None,
    }
}

fn track(program: &Program, record: &mut UserRecord, name: &str, properties: Value, when: Timestamp) {
    let event = event(EventType::Track, Some(name), properties, when);
    let tags = program.tag_event(name, &event.properties, when);
    record.apply(program, &event, &tags);
}

/// A user who used feature `f{feature}` on each of `days_ago`.
fn user(program: &Program, uses: &[(usize, i64)]) -> UserRecord {
    let mut record = UserRecord::default();
    for &(feature, days_ago) in uses {
        track(program, &mut record, &format!("use.f{feature}"), json!({}), at(days_ago));
    }
    record
}

fn figures(program: &Program, record: &UserRecord) -> UserFigures {
    user_figures(program, record, &Map::new(), TODAY)
}

#[test]
fn recency_changes_at_6_7_30_and_31_days() {
    let program = program(1, json!([]));
    let recency = |days_ago| figures(&program, &user(&program, &[(0, days_ago)])).metrics.recency;
    assert_eq!(recency(6), RecencyClass::Active);
    assert_eq!(recency(7), RecencyClass::AtRisk);
    assert_eq!(recency(30), RecencyClass::AtRisk);
    assert_eq!(recency(31), RecencyClass::Dormant);
    assert_eq!(figures(&program, &UserRecord::default()).metrics.recency, RecencyClass::New);
}

#[test]
fn levels_count_weeks_0_to_3_and_3_days_in_each_of_weeks_0_to_2() {
    let program = program(10, json!([]));
    // Active in weeks 0, 1 and 3 (days 0, 7, 21): 3 of the last 4 weeks, level 2.
    let regular = user(&program, &[(0, 0), (0, 7), (0, 21)]);
    assert_eq!(figures(&program, &regular).metrics.level, 2);
    // Weeks 0, 1 and 4 (day 28 is week 4): 2 of weeks 0-3, level 1.
    let not_regular = user(&program, &[(0, 0), (0, 7), (0, 28)]);
    assert_eq!(figures(&program, &not_regular).metrics.level, 1);
    // 3 days in each of weeks 0, 1 and 2: level 3 (depth 1 of 10, no higher).
    let days = [0, 1, 2, 7, 8, 9, 14, 15, 16];
    let habit = user(&program, &days.map(|day| (0, day)));
    assert_eq!(figures(&program, &habit).metrics.level, 3);
    // Only 2 days in week 2: level 2.
    let almost = user(&program, &[0, 1, 2, 7, 8, 9, 14, 15].map(|day| (0, day)));
    assert_eq!(figures(&program, &almost).metrics.level, 2);
}

#[test]
fn depth_reaches_levels_4_and_5_at_0_5_and_0_7() {
    let program = program(10, json!([]));
    let habit_days = [0, 1, 2, 7, 8, 9, 14, 15, 16];
    let with_features = |count: usize| {
        let mut uses: Vec<(usize, i64)> = habit_days.iter().map(|&day| (0, day)).collect();
        uses.extend((1..count).map(|feature| (feature, 3)));
        figures(&program, &user(&program, &uses)).metrics
    };
    assert_eq!((with_features(4).depth, with_features(4).level), (0.4, 3));
    assert_eq!((with_features(5).depth, with_features(5).level), (0.5, 4));
    assert_eq!((with_features(6).depth, with_features(6).level), (0.6, 4));
    assert_eq!((with_features(7).depth, with_features(7).level), (0.7, 5));
}

#[test]
fn frequency_is_daily_from_12_of_28_days_and_barriers_follow_use_and_entry_points() {
    let program = program(2, json!([]));
    let twelve: Vec<(usize, i64)> = (0..12).map(|day| (0, day * 2)).collect();
    assert_eq!(figures(&program, &user(&program, &twelve)).features[0].frequency, FrequencyClass::Daily);
    let eleven: Vec<(usize, i64)> = (0..11).map(|day| (0, day * 2)).collect();
    assert_eq!(figures(&program, &user(&program, &eleven)).features[0].frequency, FrequencyClass::Weekly);
    let lapsed = figures(&program, &user(&program, &[(0, 28)]));
    assert_eq!(lapsed.features[0].frequency, FrequencyClass::Lapsed);
    assert_eq!(lapsed.features[0].barrier, Barrier::None, "used 28 days ago: within 30");
    assert_eq!(figures(&program, &user(&program, &[(0, 30)])).features[0].barrier, Barrier::Unconvinced);
    let mut seen = user(&program, &[(0, 1)]);
    track(&program, &mut seen, "feature_entry_seen", json!({"feature": "f1"}), at(2));
    assert_eq!(figures(&program, &seen).features[1].barrier, Barrier::Stuck);
    assert_eq!(figures(&program, &user(&program, &[(0, 1)])).features[1].barrier, Barrier::Unaware);
}

#[test]
fn a_figure_as_of_a_past_day_leaves_out_what_came_after() {
    let program = program(2, json!([]));
    let record = user(&program, &[(0, 40), (1, 2)]);
    let then = user_figures(&program, &record, &Map::new(), DayNumber(TODAY.0 - 35));
    assert_eq!(then.metrics.recency, RecencyClass::Active, "5 days after the use of day 40");
    assert_eq!(then.features[1].frequency, FrequencyClass::Never);
    assert_eq!(then.metrics.depth, 0.5);
    let now = figures(&program, &record);
    assert_eq!((now.metrics.recency, now.features[0].frequency), (RecencyClass::Active, FrequencyClass::Lapsed));
}

#[test]
fn time_to_first_value_counts_from_sign_up_or_first_seen() {
    let program = program(2, json!([]));
    let mut record = user(&program, &[(1, 20), (0, 12)]);
    assert_eq!(figures(&program, &record).time_to_first_value(), Some(8), "first seen 20 days ago");
    let mut identify = event(EventType::Identify, None, json!({}), at(25));
    identify.traits = json!({"signed_up_at": "2025-12-02T10:00:00Z"}).as_object().cloned().unwrap_or_default();
    record.apply(&program, &identify, &Default::default());
    assert_eq!(figures(&program, &record).time_to_first_value(), Some(18), "signed up on day -30");
    let not_reached = user(&program, &[(1, 3)]);
    assert_eq!(figures(&program, &not_reached).time_to_first_value(), None);
    let before = user_figures(&program, &record, &Map::new(), DayNumber(TODAY.0 - 13));
    assert_eq!(before.time_to_first_value(), None, "not reached as of the day before");
}

fn account(program: &Program, traits: Value, users: &[UserRecord]) -> AccountFigures {
    let traits = traits.as_object().cloned().unwrap_or_default();
    let figures: Vec<UserFigures> = users.iter().map(|user| user_figures(program, user, &traits, TODAY)).collect();
    account_figures(&traits, &figures, DayOffset::default())
}

#[test]
fn breadth_counts_seats_when_given_else_the_users_seen() {
    let program = program(2, json!([]));
    let users = [user(&program, &[(0, 1)]), user(&program, &[(0, 29)]), user(&program, &[(0, 31)])];
    let seen = account(&program, json!({}), &users);
    assert_eq!((seen.users_seen, seen.active_users, seen.seats), (3, 2, None));
    assert!((seen.breadth - 2.0 / 3.0).abs() < 1e-12);
    let seated = account(&program, json!({"seats": 10}), &users);
    assert_eq!((seated.seats, seated.breadth), (Some(10), 0.2));
    assert_eq!(account(&program, json!({"seats": 0}), &users).seats, None, "no seats: the users seen");
}

#[test]
fn dau_mau_trend_and_health_by_hand() {
    let program = program(2, json!([]));
    // User a: 15 of the last 30 days, f0 only; user b: day 3, both features; user c: 45 days
    // ago only (active before, not now).
    let a: Vec<(usize, i64)> = (0..15).map(|day| (0, day * 2)).collect();
    let users = [user(&program, &a), user(&program, &[(0, 3), (1, 3)]), user(&program, &[(0, 45)])];
    let figures = account(&program, json!({"seats": 4}), &users);
    assert_eq!((figures.active_users, figures.active_users_before), (2, 1));
    // (15 + 1) / 30 days / 2 active users.
    assert!((figures.dau_mau.unwrap() - 16.0 / 60.0).abs() < 1e-12);
    assert_eq!(figures.trend, Some(1.0), "from 1 to 2");
    assert_eq!(figures.mean_depth, 0.75, "(0.5 + 1) / 2");
    let expected = 100.0 * (0.4 * 0.5 + 0.3 * 0.75 + 0.3 * (16.0 / 60.0 / 0.4));
    assert!((figures.health - expected).abs() < 1e-9, "{} against {expected}", figures.health);
    assert!(!figures.risk.any(), "DAU/MAU 0.27, rising");
}

#[test]
fn a_trend_from_no_active_users_has_no_rate_and_falls_are_flagged_beyond_20_percent() {
    let program = program(1, json!([]));
    let fresh = account(&program, json!({}), &[user(&program, &[(0, 1)])]);
    assert_eq!((fresh.active_users_before, fresh.trend), (0, None));
    assert!(!fresh.risk.falling);
    // 5 before, 4 now: -20%, not beyond.
    let mut users: Vec<UserRecord> = (0..4).map(|_| user(&program, &[(0, 40), (0, 1)])).collect();
    users.push(user(&program, &[(0, 40)]));
    let steady = account(&program, json!({}), &users);
    assert_eq!(steady.trend, Some(-0.2));
    assert!(!steady.risk.falling);
    users.pop();
    users.pop();
    users.push(user(&program, &[(0, 40)]));
    users.push(user(&program, &[(0, 40)]));
    let falling = account(&program, json!({}), &users);
    assert_eq!(falling.trend, Some(-0.4));
    assert!(falling.risk.falling);
    assert!(falling.risk.low_stickiness, "DAU/MAU 1/30");
    let gone = account(&program, json!({}), &[user(&program, &[(0, 40)])]);
    assert!(gone.risk.no_active_users && gone.dau_mau.is_none() && gone.health == 0.0);
}

#[test]
fn account_time_to_first_value_counts_from_its_creation() {
    let program = program(2, json!([]));
    let users = [user(&program, &[(1, 50), (0, 10)]), user(&program, &[(0, 20)])];
    assert_eq!(account(&program, json!({}), &users).time_to_first_value, Some(30), "first seen day -50, value -20");
    let created = json!({"created_at": "2025-10-23T00:00:00Z"});
    assert_eq!(account(&program, created, &users).time_to_first_value, Some(50), "created on day -70");
    let none = account(&program, json!({}), &[user(&program, &[(1, 5)])]);
    assert_eq!(none.time_to_first_value, None);
}

fn campaign_rules(holdout: f64) -> Value {
    json!([{
        "id": "r", "when": {"event": "use.f0"}, "show": {"prompt": "p"},
        "goal": {"feature": "f1", "within": "14d"}, "holdout": holdout
    }])
}

/// A user exposed `exposed_days_ago` (held out or shown), who uses f1 `goal_days_ago` if any.
fn exposed(program: &Program, variant: &str, exposed_days_ago: i64, goal_days_ago: Option<i64>) -> UserRecord {
    let mut record = UserRecord::default();
    let (name, properties) = match variant {
        "holdout" => ("experience_held_out", json!({"rule_id": "r", "variant": "holdout"})),
        "treatment" => ("experience_shown", json!({"rule_id": "r", "variant": "treatment"})),
        _ => ("experience_shown", json!({"rule_id": "r"})),
    };
    track(program, &mut record, name, properties, at(exposed_days_ago));
    if let Some(days_ago) = goal_days_ago {
        track(program, &mut record, "use.f1", json!({}), at(days_ago));
    }
    record
}

fn campaign(records: &[UserRecord]) -> CampaignFigures {
    campaign_figures(records.iter().filter_map(|record| record.state.rules.get("r")), TODAY, DayOffset::default())
}

#[test]
fn a_campaign_converts_within_the_goal_window_after_the_first_exposure() {
    let program = program(2, campaign_rules(0.5));
    let records = [
        exposed(&program, "treatment", 20, Some(6)),  // 14 days after: counts
        exposed(&program, "treatment", 20, Some(5)),  // 15 days after: too late
        exposed(&program, "treatment", 20, Some(25)), // before the exposure
        exposed(&program, "holdout", 10, Some(9)),
        exposed(&program, "holdout", 10, None),
    ];
    let figures = campaign(&records);
    assert_eq!((figures.treatment.exposed, figures.treatment.converted), (3, 1));
    assert_eq!((figures.holdout.exposed, figures.holdout.converted), (2, 1));
    let (lift, interval) = figures.lift.unwrap();
    assert!((lift - (1.0 / 3.0 - 0.5)).abs() < 1e-12);
    assert!(interval.low < lift && lift < interval.high && !interval.excludes_zero());
}

#[test]
fn a_campaign_without_a_holdout_has_no_lift_and_conversions_of_0_and_1_have_intervals() {
    let without_holdout = program(2, campaign_rules(0.0));
    let none_held = campaign(&[exposed(&without_holdout, "none", 3, Some(2))]);
    assert_eq!((none_held.treatment.exposed, none_held.holdout.exposed, none_held.lift), (1, 0, None));
    let program = program(2, campaign_rules(0.5));
    let mut records: Vec<UserRecord> = (0..30).map(|_| exposed(&program, "treatment", 5, Some(4))).collect();
    records.extend((0..30).map(|_| exposed(&program, "holdout", 5, None)));
    let figures = campaign(&records);
    assert_eq!((figures.treatment.conversion(), figures.holdout.conversion()), (Some(1.0), Some(0.0)));
    let (lift, interval) = figures.lift.unwrap();
    assert_eq!(lift, 1.0);
    assert!(interval.excludes_zero() && interval.high <= 1.0 && interval.low > 0.8, "{interval:?}");
}

#[test]
fn interactions_and_dismissals_are_counted_per_arm_as_of_the_day() {
    let program = program(2, campaign_rules(0.5));
    let mut clicked = exposed(&program, "treatment", 5, None);
    track(&program, &mut clicked, "experience_action", json!({"rule_id": "r", "button": 0}), at(5));
    let mut dismissed = exposed(&program, "treatment", 5, None);
    track(&program, &mut dismissed, "experience_dismissed", json!({"rule_id": "r"}), at(1));
    let records = [clicked, dismissed];
    let figures = campaign(&records);
    assert_eq!((figures.treatment.interacted, figures.treatment.dismissed), (1, 1));
    let earlier = campaign_figures(
        records.iter().filter_map(|record| record.state.rules.get("r")),
        DayNumber(TODAY.0 - 2),
        DayOffset::default(),
    );
    assert_eq!((earlier.treatment.exposed, earlier.treatment.dismissed), (2, 0));
}

#[test]
fn wilson_and_newcombe_match_newcombes_published_examples() {
    // Newcombe (1998), Statistics in Medicine 17, table II: 56/70 against 48/80, method 10
    // gives 0.0524 to 0.3339.
    let (difference, interval) = newcombe_difference(56, 70, 48, 80).unwrap();
    assert!((difference - 0.2).abs() < 1e-12);
    assert!((interval.low - 0.0524).abs() < 5e-5 && (interval.high - 0.3339).abs() < 5e-5, "{interval:?}");
    // 9/10 against 3/10: 0.1705 to 0.8090.
    let (_, interval) = newcombe_difference(9, 10, 3, 10).unwrap();
    assert!((interval.low - 0.1705).abs() < 5e-5 && (interval.high - 0.8090).abs() < 5e-5, "{interval:?}");
    // Wilson of 0/10: 0 to 0.2775.
    let zero = wilson(0, 10).unwrap();
    assert!(zero.low == 0.0 && (zero.high - 0.2775).abs() < 5e-5);
    assert_eq!(wilson(0, 0), None);
}

/// A small deterministic generator (SplitMix64), so the simulation is the same on every run.
struct SplitMix(u64);

impl SplitMix {
    fn next_unit(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }

    fn binomial(&mut self, trials: u32, p: f64) -> u32 {
        (0..trials).filter(|_| self.next_unit() < p).count() as u32
    }
}

#[test]
fn the_lift_interval_covers_the_true_difference_95_percent_of_the_time() {
    let mut random = SplitMix(2026);
    for (p_treatment, p_holdout, treated, held) in [(0.30, 0.20, 400, 60), (0.64, 0.37, 120, 30), (0.05, 0.05, 300, 40)]
    {
        let simulations = 4000;
        let mut covered = 0;
        for _ in 0..simulations {
            let converted = random.binomial(treated, p_treatment);
            let held_converted = random.binomial(held, p_holdout);
            let (_, interval) = newcombe_difference(converted, treated, held_converted, held).unwrap();
            let truth = p_treatment - p_holdout;
            covered += u32::from(interval.low <= truth && truth <= interval.high);
        }
        let coverage = f64::from(covered) / f64::from(simulations);
        assert!((0.93..=0.97).contains(&coverage), "{p_treatment} against {p_holdout}: {coverage}");
    }
}

#[test]
fn feature_adoption_counts_active_users_against_the_tier_band() {
    let program = program(2, json!([]));
    let users: Vec<UserFigures> = [
        user(&program, &[(0, 1), (1, 1)]),
        user(&program, &[(0, 29)]),
        user(&program, &[(1, 2), (0, 31)]),
        user(&program, &[(0, 45)]),
    ]
    .iter()
    .map(|record| figures(&program, record))
    .collect();
    let core = feature_figures(&program.config().features[0], 0, &users);
    assert_eq!((core.active_users, core.adopters, core.users_ever), (3, 2, 4));
    assert_eq!(core.verdict, Some(BandVerdict::Below), "2/3 under 70%");
    assert_eq!(core.frequency_mix, [0, 0, 1, 2, 0], "monthly; lapsed at 29 and 31 days, beyond the 28");
    assert_eq!(core.barriers, [0, 0, 1, 2]);
    let untiered = feature_figures(&program.config().features[1], 1, &users);
    assert_eq!((untiered.band, untiered.verdict), (None, None));
    assert_eq!(untiered.barriers, [1, 0, 0, 2], "unaware, then two used lately");
}

#[test]
fn activity_counts_active_users_levels_and_lifecycle_per_day_and_week() {
    let program = program(1, json!([]));
    let records = [
        user(&program, &[(0, 0), (0, 1)]), // returning today
        user(&program, &[(0, 0)]),         // new today
        user(&program, &[(0, 0), (0, 5)]), // resurrecting today
        user(&program, &[(0, 1)]),         // dormant today
    ];
    let users: Vec<UserFigures> = records.iter().map(|record| figures(&program, record)).collect();
    let levels = vec![1u32];
    let points = activity(users.iter().map(|figures| UserActivity { figures, levels: &levels }), TODAY, 1, Period::Day);
    let today = points[0];
    assert_eq!(today.lifecycle, Lifecycle { new: 1, returning: 1, resurrecting: 1, dormant: 1 });
    assert_eq!((today.dau, today.wau, today.mau), (3.0, 4, 4));
    assert_eq!(today.levels, [0, 4, 0, 0, 0, 0]);
    // 6 days of activity in the 30 days, over 4 users.
    assert_eq!(today.dau_mau, Some(6.0 / 30.0 / 4.0));
    let weekly =
        activity(users.iter().map(|figures| UserActivity { figures, levels: &[1, 1] }), TODAY, 2, Period::Week);
    assert_eq!(weekly[1].lifecycle, Lifecycle { new: 4, returning: 0, resurrecting: 0, dormant: 0 });
    assert_eq!(weekly[0].day, DayNumber(TODAY.0 - 7));
    assert_eq!(weekly[0].levels, [0, 0, 0, 0, 0, 0], "no one seen a week ago");
    assert_eq!(weekly[1].dau, 6.0 / 7.0);
}

#[test]
fn an_anonymous_record_merges_into_the_signed_in_one() {
    let program = program(2, json!([]));
    let mut signed_in = user(&program, &[(0, 1)]);
    let anonymous = user(&program, &[(0, 3), (1, 3)]);
    signed_in.merge(&anonymous);
    let usage = signed_in.state.features.get("f0").unwrap();
    assert_eq!((usage.count, usage.days.total()), (2, 2));
    assert_eq!(signed_in.first_seen, Some(at(3)));
}

#[test]
fn levels_over_a_range_are_the_figures_level_of_each_day() {
    let program = program(10, json!([]));
    let uses: Vec<(usize, i64)> = (0..60).flat_map(|day| [(0, day), ((day % 10) as usize, day * 2)]).collect();
    let record = user(&program, &uses);
    let days: Vec<DayNumber> = (0..130).map(|back| DayNumber(TODAY.0 - back)).collect();
    let levels = user_levels(&program, &record, &Map::new(), &days);
    for (day, level) in days.iter().zip(&levels) {
        let expected = if record.first_seen.is_some_and(|seen| seen.day(DayOffset::default()) > *day) {
            0
        } else {
            user_figures(&program, &record, &Map::new(), *day).metrics.level
        };
        assert_eq!(*level, expected, "day {}", TODAY.0 - day.0);
    }
    assert!(levels.iter().any(|level| *level >= 3) && levels.contains(&0), "{levels:?}");
}
