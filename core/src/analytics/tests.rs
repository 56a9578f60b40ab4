//! The collector's figures, computed by hand at every threshold of PRODUCT.md: recency at 6, 7,
//! 30 and 31 days, weeks 0 to 3, 12 of 28 days, depth 0.5 and 0.7, seats given or not, a trend
//! from no active users, campaigns with and without a holdout, conversions of 0 and 1, and
//! time to first value reached or not. Records are built from events through the tags, as the
//! collector builds them; and, to check `user_levels` against `user_figures`, at random, some
//! unlike any the device writes.

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
fn tallies_of_parts_of_the_users_merge_into_the_activity_of_all() {
    let program = program(1, json!([]));
    let records = [
        user(&program, &[(0, 0), (0, 1)]),
        user(&program, &[(0, 0)]),
        user(&program, &[(0, 0), (0, 5), (0, 12)]),
        user(&program, &[(0, 1), (0, 9)]),
        user(&program, &[(0, 20)]),
    ];
    let users: Vec<UserFigures> = records.iter().map(|record| figures(&program, record)).collect();
    let levels = [[1u32, 2, 0], [0, 1, 1], [2, 2, 3], [1, 0, 0], [1, 1, 1]];
    let each = |index: usize| UserActivity { figures: &users[index], levels: &levels[index] };
    for period in [Period::Day, Period::Week] {
        let all = activity((0..users.len()).map(each), TODAY, 3, period);
        let mut first = ActivityTally::new(TODAY, 3, period);
        let mut second = ActivityTally::new(TODAY, 3, period);
        for index in 0..users.len() {
            if index % 2 == 0 { first.add(&each(index)) } else { second.add(&each(index)) }
        }
        first.merge(&second);
        assert_eq!(first.finish(), all, "{period:?}");
    }
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

mod levels_against_figures {
    //! `user_levels` reads each record in place; `user_figures`, the reference, cuts each
    //! record to the day (`FeatureUsage::as_of`) and computes the model's metrics from it.

    use proptest::prelude::*;

    use super::*;
    use crate::usage::{ActiveDays, FeatureUsage};

    /// The first day of the generated uses; they run 500 days from it, beyond the 400 days the
    /// bitmap tracks.
    const START: i32 = 20_000;
    /// Offsets of the config's day, and of the device that recorded the uses.
    const OFFSETS: [i32; 3] = [0, 540, -300];

    #[derive(Clone, Debug)]
    struct Catalog {
        /// Per feature: activation, restricted to admins, restricted to the pro plan.
        features: Vec<(bool, bool, bool)>,
        offset: usize,
        depth_window_days: u32,
        regular_min_weeks: u32,
        habit_min_days_per_week: u32,
        advanced_depth: f64,
        power_depth: f64,
    }

    fn catalog() -> impl Strategy<Value = Catalog> {
        (
            prop::collection::vec(
                (prop::bool::weighted(0.3), prop::bool::weighted(0.2), prop::bool::weighted(0.2)),
                1..7,
            ),
            0..OFFSETS.len(),
            prop_oneof![Just(0u32), Just(1), Just(7), Just(30), Just(90), Just(400), 1..120u32],
            // Often no weeks or days asked for: the level then turns on step 1 and depth.
            prop_oneof![Just(0u32), 0..5u32],
            prop_oneof![Just(0u32), 0..4u32],
            prop_oneof![Just(0.5), Just(0.0), 0.0..1.0],
            prop_oneof![Just(0.7), Just(1.0), 0.0..1.0],
        )
            .prop_map(
                |(features, offset, depth_window_days, regular_min_weeks, habit_min_days_per_week, advanced, power)| {
                    Catalog {
                        features,
                        offset,
                        depth_window_days,
                        regular_min_weeks,
                        habit_min_days_per_week,
                        advanced_depth: advanced,
                        power_depth: power,
                    }
                },
            )
    }

    fn program(catalog: &Catalog) -> Program {
        let features: Vec<Value> = catalog
            .features
            .iter()
            .enumerate()
            .map(|(index, (activation, admins, pro))| {
                let mut feature = json!({"id": format!("f{index}"), "name": "F", "events": [format!("use.f{index}")],
                    "activation": activation});
                if *admins {
                    feature["roles"] = json!(["admin"]);
                }
                if *pro {
                    feature["plans"] = json!(["pro"]);
                }
                feature
            })
            .collect();
        let config = json!({
            "version": 1,
            "features": features,
            "settings": {
                "day_offset_minutes": OFFSETS[catalog.offset],
                "model": {
                    "depth_window_days": catalog.depth_window_days,
                    "regular_min_weeks": catalog.regular_min_weeks,
                    "habit_min_days_per_week": catalog.habit_min_days_per_week,
                    "advanced_depth": catalog.advanced_depth,
                    "power_depth": catalog.power_depth,
                },
            },
        });
        Program::compile(Config::from_json(&config).unwrap())
    }

    /// An instant `day` days after `START`, `millis` into it (UTC).
    fn instant(day: i32, millis: i64) -> Timestamp {
        Timestamp::from_millis(i64::from(START + day) * DAY + millis)
    }

    fn moment() -> impl Strategy<Value = (i32, i64)> {
        (0..500i32, 0..DAY)
    }

    /// Uses in a run of days, often enough to reach the higher levels.
    fn run() -> impl Strategy<Value = Vec<(i32, i64)>> {
        (0..500i32, 7..150i32, prop::collection::vec((0..150i32, 0..DAY), 0..40)).prop_map(|(from, span, uses)| {
            uses.into_iter().map(|(day, millis)| ((from + day % span).min(499), millis)).collect()
        })
    }

    /// One feature's record: uses in two runs of days (one may be beyond the 400 days tracked
    /// when the other is not), recorded under one of the offsets, perhaps merged from two
    /// devices, and an entry point seen or not; or a record not as the device writes one (first
    /// and last use and count apart from the days).
    fn usage() -> impl Strategy<Value = FeatureUsage> {
        let recorded = (
            (run(), run()).prop_map(|(mut uses, more)| {
                uses.extend(more);
                uses
            }),
            prop::collection::vec(moment(), 0..3),
            0..OFFSETS.len(),
            prop::option::of(moment()),
        )
            .prop_map(|(uses, other_device, offset, entry)| {
                let offset = DayOffset::from_minutes(OFFSETS[offset]).unwrap();
                let mut usage = FeatureUsage::default();
                for (day, millis) in uses {
                    usage.record_use(instant(day, millis), offset);
                }
                let mut other = FeatureUsage::default();
                for (day, millis) in other_device {
                    other.record_use(instant(day, millis), offset);
                }
                usage.merge(&other, crate::merge::Combine::Sum);
                if let Some((day, millis)) = entry {
                    usage.record_entry_seen(instant(day, millis));
                }
                usage
            });
        // Days near one another, so that first and last use, entry point and days of use meet.
        let near = |from: i32| (0..40i32, 0..DAY).prop_map(move |(day, millis)| ((from + day).min(499), millis));
        let odd = (0..500i32).prop_flat_map(move |from| {
            (
                0..3u64,
                prop::option::weighted(0.8, near(from)),
                prop::option::weighted(0.8, near(from)),
                prop::collection::vec(near(from), 0..12),
                prop::option::weighted(0.8, near(from)),
            )
        });
        let odd = odd.prop_map(|(count, first, last, days, entry)| {
            let mut usage = FeatureUsage {
                count,
                first_used: first.map(|(day, millis)| instant(day, millis)),
                last_used: last.map(|(day, millis)| instant(day, millis)),
                entry_seen_at: entry.map(|(day, millis)| instant(day, millis)),
                ..FeatureUsage::default()
            };
            for (day, _) in days {
                usage.days.record(DayNumber(START + day));
            }
            usage
        });
        prop_oneof![3 => recorded, 1 => odd]
    }

    fn traits(role: Option<&str>, plan: Option<&str>) -> Map<String, Value> {
        let mut traits = Map::new();
        if let Some(role) = role {
            traits.insert("role".into(), json!(role));
        }
        if let Some(plan) = plan {
            traits.insert("plan".into(), json!(plan));
        }
        traits
    }

    proptest! {
        #[test]
        fn levels_of_random_records_are_the_figures_level_of_each_day(
            catalog in catalog(),
            usages in prop::collection::vec(prop::option::weighted(0.8, usage()), 7),
            first_seen in prop_oneof![1 => Just(None), 4 => (0..40i32, 0..DAY).prop_map(Some), 2 => moment().prop_map(Some)],
            role in prop::option::of(prop::sample::select(vec!["admin", "viewer"])),
            plan in prop::option::of(prop::sample::select(vec!["pro", "free"])),
            account_plan in prop::option::of(prop::sample::select(vec!["pro", "free"])),
            to in -20..560i32,
            more_days in prop::collection::vec(-30..560i32, 0..10),
        ) {
            let program = program(&catalog);
            let mut record = UserRecord::default();
            // Records of features beyond the catalog's: features no longer in it.
            for (index, usage) in usages.into_iter().enumerate() {
                if let Some(usage) = usage {
                    record.state.features.insert(format!("f{index}"), usage);
                }
            }
            record.first_seen = first_seen.map(|(day, millis)| instant(day, millis));
            record.traits = traits(role, plan);
            let account = traits(None, account_plan);
            let mut days = point_days(DayNumber(START + to), 90, Period::Day);
            days.extend(more_days.iter().map(|day| DayNumber(START + day)));
            // The days a record changes on, and on which its last use leaves the depth window.
            let offset = program.config().settings.day_offset();
            let window = program.config().settings.model.depth_window_days as i32;
            for (_, usage) in record.state.features.iter() {
                for at in [usage.first_used, usage.last_used, usage.entry_seen_at].into_iter().flatten() {
                    let day = at.day(offset).0;
                    days.extend([day - 1, day, day + 1, day + window - 1, day + window].map(DayNumber));
                }
            }
            let levels = user_levels(&program, &record, &account, &days);
            prop_assert_eq!(levels.len(), days.len());
            for ((day, level), expected) in days.iter().zip(&levels).zip(figures_levels(&program, &record, &account, &days)) {
                prop_assert_eq!(*level, expected, "day {}", day.0 - START);
            }
        }
    }

    /// The level of `user_figures` on each day, 0 before the user was first seen.
    fn figures_levels(
        program: &Program,
        record: &UserRecord,
        account: &Map<String, Value>,
        days: &[DayNumber],
    ) -> Vec<u32> {
        let offset = program.config().settings.day_offset();
        let first_seen = record.first_seen.map(|seen| seen.day(offset));
        days.iter()
            .map(|day| match first_seen {
                Some(seen) if seen <= *day => user_figures(program, record, account, *day).metrics.level,
                _ => 0,
            })
            .collect()
    }

    #[test]
    fn levels_of_edge_case_records_are_the_figures_level_of_each_day() {
        // One feature, no weeks or days asked for: level 0 unused, 3 used, 5 last used within
        // the 7 days of the depth window.
        let catalog = Catalog {
            features: vec![(false, false, false)],
            offset: 0,
            depth_window_days: 7,
            regular_min_weeks: 0,
            habit_min_days_per_week: 0,
            advanced_depth: 0.5,
            power_depth: 0.7,
        };
        let program = program(&catalog);
        let noon = |day: i32| Some(instant(day, DAY / 2));
        let days_of_use = |days: &[i32]| {
            let mut active = ActiveDays::default();
            for day in days {
                active.record(DayNumber(START + day));
            }
            active
        };
        let usage = |count, first, last, days: &[i32]| FeatureUsage {
            count,
            first_used: first,
            last_used: last,
            days: days_of_use(days),
            entry_seen_at: None,
        };
        let mut beyond_the_days_tracked = FeatureUsage::default();
        for day in [0, 3, 450] {
            beyond_the_days_tracked.record_use(instant(day, 0), DayOffset::default());
        }
        let records = [
            ("days of use before the first use", usage(2, noon(30), noon(60), &[10])),
            ("counted, with no first use", usage(3, None, noon(50), &[45, 50])),
            ("uses not counted", usage(0, noon(20), noon(40), &[20, 40])),
            (
                "the entry point seen after the last use",
                FeatureUsage { entry_seen_at: noon(80), ..usage(2, noon(5), noon(70), &[5, 70]) },
            ),
            ("a first use beyond the 400 days tracked", beyond_the_days_tracked),
            // Last used the day before days 63, 127, ... before day 506, the last of the first
            // 512 days `user_levels` reads together: depth windows across its words of bits.
            ("windows across words", usage(8, noon(58), noon(500), &[58, 122, 186, 250, 314, 378, 442, 500])),
        ];
        // More days than one group of `user_levels` reads.
        let days: Vec<DayNumber> = (-5..520).map(|day| DayNumber(START + day)).collect();
        for (name, usage) in records {
            let mut record = UserRecord { first_seen: noon(0), ..UserRecord::default() };
            record.state.features.insert("f0".into(), usage);
            let expected = figures_levels(&program, &record, &Map::new(), &days);
            assert_eq!(user_levels(&program, &record, &Map::new(), &days), expected, "{name}");
            assert!(expected.contains(&3) && expected.contains(&5), "{name}: {expected:?}");
        }
    }
}
