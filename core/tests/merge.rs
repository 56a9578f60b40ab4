//! Merging states of one user, over generated histories: joining copies of a part is
//! commutative, associative and idempotent; summing the parts of several replicas (tabs) holds
//! exactly what one replica recording every event would hold; a part taken back out of a sum
//! leaves what the others recorded; and tabs that record, save and take in each other's parts in
//! any interleaving end with the counts of one tab that saw everything.

use proptest::prelude::*;
use serde_json::{Map, Value, json};
use uptake_core::checklist::ChecklistRun;
use uptake_core::config::{Config, ExperienceKind, Frequency};
use uptake_core::engine::{Engine, EngineOptions};
use uptake_core::exposure::{Outcome, RuleExposure};
use uptake_core::json_writer::serde_float;
use uptake_core::merge::Combine;
use uptake_core::outbox::OutboxSettings;
use uptake_core::state::UserState;
use uptake_core::time::{DayNumber, DayOffset, Duration, Timestamp};
use uptake_core::tour::TourRun;
use uptake_core::usage::{EventHistory, EventRetention, FeatureUsage, SequenceProgress};

const START: i64 = 1_790_000_000_000;
const FEATURES: [&str; 3] = ["approve", "automate", "export"];
const RULES: [&str; 2] = ["suggest", "announce"];
/// Retention that keeps every occurrence the tests make, so sums can be compared exactly.
const KEEP_ALL: EventRetention = EventRetention { keep_latest: 10_000, horizon: Duration::from_days(1_000) };

/// One thing a replica records, at an offset in minutes from `START`.
#[derive(Clone, Debug)]
enum Op {
    Use(usize),
    EntrySeen(usize),
    Event(usize),
    Step(usize),
    Show(usize, bool),
    Close(usize, usize),
    ShowOnDay,
    Tour(u8),
    Checklist(u8),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..FEATURES.len()).prop_map(Op::Use),
        1 => (0..FEATURES.len()).prop_map(Op::EntrySeen),
        3 => (0..2usize).prop_map(Op::Event),
        2 => (0..2usize).prop_map(Op::Step),
        1 => (0..RULES.len(), any::<bool>()).prop_map(|(rule, shown)| Op::Show(rule, shown)),
        1 => (0..RULES.len(), 0..3usize).prop_map(|(rule, outcome)| Op::Close(rule, outcome)),
        1 => Just(Op::ShowOnDay),
        1 => (0..4u8).prop_map(Op::Tour),
        1 => (0..4u8).prop_map(Op::Checklist),
    ]
}

/// Minutes in 300 days: histories within the 400 days kept day by day.
const WITHIN_BITMAP: i64 = 300 * 1_440;
/// Minutes in 900 days: histories whose older days leave the bitmap.
const BEYOND_BITMAP: i64 = 900 * 1_440;

/// A replica's history: operations at increasing times, over `span` minutes.
fn history_over(span: i64) -> impl Strategy<Value = Vec<(i64, Op)>> {
    proptest::collection::vec((0i64..span, op()), 0..40).prop_map(|mut ops| {
        ops.sort_by_key(|(at, _)| *at);
        ops
    })
}

fn history() -> impl Strategy<Value = Vec<(i64, Op)>> {
    history_over(WITHIN_BITMAP)
}

fn long_history() -> impl Strategy<Value = Vec<(i64, Op)>> {
    history_over(BEYOND_BITMAP)
}

fn at(minutes: i64) -> Timestamp {
    Timestamp::from_millis(START + minutes * 60_000)
}

/// Records `op` at `minutes` in `state`, as the engine does.
fn apply(state: &mut UserState, minutes: i64, op: &Op) {
    let now = at(minutes);
    let utc = DayOffset::default();
    match op {
        Op::Use(feature) => {
            let row = state.features.row_or_insert_with(FEATURES[*feature], FeatureUsage::default);
            state.features.at_mut(row).unwrap().record_use(now, utc);
        }
        Op::EntrySeen(feature) => {
            let row = state.features.row_or_insert_with(FEATURES[*feature], FeatureUsage::default);
            state.features.at_mut(row).unwrap().record_entry_seen(now);
        }
        Op::Event(event) => {
            let row = state
                .histories
                .row_or_insert_with(["invoice.approved", "report.exported"][*event], EventHistory::default);
            state.histories.at_mut(row).unwrap().record(now, KEEP_ALL, now);
        }
        Op::Step(step) => {
            let row = state.sequences.row_or_insert_with("opened>approved", SequenceProgress::default);
            state.sequences.at_mut(row).unwrap().advance(&[*step], 2, None, now);
        }
        Op::Show(rule, shown) => {
            let row = state.rules.row_or_insert_with(RULES[*rule], RuleExposure::default);
            state.rules.at_mut(row).unwrap().record_exposure(now, *shown);
            if *shown {
                state.record_show_on(now.day(utc));
            }
        }
        Op::Close(rule, outcome) => {
            let outcome = [Outcome::Dismissed, Outcome::Snoozed, Outcome::Clicked { button: 0 }][*outcome];
            let row = state.rules.row_or_insert_with(RULES[*rule], RuleExposure::default);
            state.rules.at_mut(row).unwrap().record_outcome(outcome, &Frequency::default(), now);
        }
        Op::ShowOnDay => state.record_show_on(DayNumber(now.day(utc).0)),
        Op::Tour(step) => {
            state.tour = (*step < 3).then(|| {
                let mut run = TourRun::new("welcome", None, false, at(0));
                run.go_to(usize::from(*step));
                run
            });
            state.tour_changed = Some(now);
        }
        Op::Checklist(reported) => {
            let mut run = ChecklistRun::new("start", None, false);
            run.reported = u32::from(*reported);
            state.checklist = Some(run);
            state.checklist_changed = Some(now);
        }
    }
}

fn built(ops: &[(i64, Op)]) -> UserState {
    let mut state = UserState::default();
    for (minutes, op) in ops {
        apply(&mut state, *minutes, op);
    }
    state
}

fn merged(a: &UserState, b: &UserState, how: Combine) -> UserState {
    let mut merged = a.clone();
    merged.merge(b, how);
    merged
}

/// States compared as stored: rows in any order, empty rows left out.
fn same(a: &UserState, b: &UserState) -> bool {
    a.to_json() == b.to_json()
}

/// What a sum of parts must hold exactly, whatever the order of the events between replicas:
/// per feature its count, first and last use and days; per event its count and times; per
/// rule its shows and dates; the shows of the latest day.
fn counts(state: &UserState) -> Value {
    let mut features = Map::new();
    for (id, usage) in state.features.iter().filter(|(_, usage)| !usage.is_empty()) {
        let first_day = at(0).day(DayOffset::default()).0;
        let days: Vec<i32> = (first_day..first_day + 400).filter(|day| usage.days.contains(DayNumber(*day))).collect();
        features.insert(
            id.to_owned(),
            json!([
                usage.count,
                usage.first_used.map(Timestamp::as_millis),
                usage.last_used.map(Timestamp::as_millis),
                days,
                usage.days.total(),
                usage.entry_seen_at.map(Timestamp::as_millis)
            ]),
        );
    }
    let mut events = Map::new();
    for (key, history) in state.histories.iter().filter(|(_, history)| history.total > 0) {
        let times: Vec<i64> = history.latest.iter().map(|at| at.as_millis()).collect();
        events.insert(key.to_owned(), json!([history.total, times]));
    }
    let mut rules = Map::new();
    for (id, exposure) in state.rules.iter().filter(|(_, exposure)| !exposure.is_empty()) {
        rules.insert(
            id.to_owned(),
            json!([
                exposure.shows,
                exposure.first_exposed_at.map(Timestamp::as_millis),
                exposure.last_shown.map(Timestamp::as_millis),
                exposure.dismissed_at.is_some()
            ]),
        );
    }
    json!({"features": features, "events": events, "rules": rules, "day": state.shows_on_day.map(|(day, shows)| (day.0, shows))})
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn joining_is_commutative_associative_and_idempotent(a in long_history(), b in long_history(), c in long_history()) {
        let (a, b, c) = (built(&a), built(&b), built(&c));
        prop_assert!(same(&merged(&a, &b, Combine::Join), &merged(&b, &a, Combine::Join)), "commutative");
        let left = merged(&merged(&a, &b, Combine::Join), &c, Combine::Join);
        let right = merged(&a, &merged(&b, &c, Combine::Join), Combine::Join);
        prop_assert!(same(&left, &right), "associative");
        prop_assert!(same(&merged(&a, &a, Combine::Join), &a), "idempotent");
        prop_assert!(same(&merged(&left, &b, Combine::Join), &left), "a joined part changes nothing again");
    }

    #[test]
    fn summing_replicas_is_commutative_and_associative(a in long_history(), b in long_history(), c in long_history()) {
        let (a, b, c) = (built(&a), built(&b), built(&c));
        prop_assert!(same(&merged(&a, &b, Combine::Sum), &merged(&b, &a, Combine::Sum)));
        let left = merged(&merged(&a, &b, Combine::Sum), &c, Combine::Sum);
        let right = merged(&a, &merged(&b, &c, Combine::Sum), Combine::Sum);
        prop_assert!(same(&left, &right));
    }

    #[test]
    fn the_sum_of_replicas_holds_what_one_replica_recording_everything_holds(
        replicas in proptest::collection::vec(history(), 1..4),
    ) {
        let mut sum = UserState::default();
        let mut everything = Vec::new();
        for ops in &replicas {
            sum.merge(&built(ops), Combine::Sum);
            everything.extend(ops.iter().cloned());
        }
        everything.sort_by_key(|(at, _)| *at);
        prop_assert_eq!(counts(&sum), counts(&built(&everything)));
    }

    #[test]
    fn a_part_taken_out_of_a_sum_leaves_what_summing_it_again_restores(others in long_history(), own in long_history()) {
        let (others, own) = (built(&others), built(&own));
        let view = merged(&others, &own, Combine::Sum);
        let back = view.without(&others);
        prop_assert!(same(&merged(&others, &back, Combine::Sum), &view));
        prop_assert_eq!(counts(&merged(&others, &back, Combine::Sum)), counts(&view));
    }

    #[test]
    fn parts_survive_storage(ops in history(), others in history()) {
        let part = merged(&built(&others), &built(&ops), Combine::Sum).without(&built(&others));
        let text = part.to_text(serde_float);
        let read = UserState::from_json(&serde_json::from_str(&text).unwrap()).unwrap();
        prop_assert!(same(&read, &part));
    }
}

fn config() -> Config {
    Config::from_json(&json!({
        "version": 1,
        "features": [
            {"id": "approve", "name": "Approve", "events": ["invoice.approved"]},
            {"id": "automate", "name": "Automate", "events": ["automation.created"]}
        ],
        "rules": [{
            "id": "suggest",
            "when": {"event": "invoice.approved", "count": {"gte": 5}, "within": "7d"},
            "show": {"prompt": "automate"}
        }],
        "prompts": [{"id": "automate", "title": "Automate it?"}]
    }))
    .unwrap()
}

fn engine(seed: u8) -> Engine {
    let mut engine = Engine::new(EngineOptions {
        write_key: None,
        outbox: OutboxSettings::default(),
        seed: [seed; 32],
        anonymous_id: Some("anon".into()),
        user_id: Some("u-1".into()),
        traits: Map::new(),
        renderable: vec![ExperienceKind::Prompt],
        write_float: serde_float,
    });
    engine.load_config(config(), at(0));
    engine
}

/// One step of the tabs' life: a tab tracks an event, saves its part, or takes in the parts the
/// others saved.
#[derive(Clone, Debug)]
enum TabStep {
    Track(usize, usize),
    Save(usize),
    TakeIn(usize),
}

fn tab_steps(tabs: usize) -> impl Strategy<Value = Vec<TabStep>> {
    proptest::collection::vec(
        prop_oneof![
            4 => (0..tabs, 0..2usize).prop_map(|(tab, event)| TabStep::Track(tab, event)),
            1 => (0..tabs).prop_map(TabStep::Save),
            1 => (0..tabs).prop_map(TabStep::TakeIn),
        ],
        0..80,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 100, ..ProptestConfig::default() })]

    #[test]
    fn tabs_that_save_and_take_in_each_others_parts_count_every_use_once(steps in tab_steps(3)) {
        const EVENTS: [&str; 2] = ["invoice.approved", "automation.created"];
        let mut tabs: Vec<Engine> = (0..3).map(|tab| engine(tab as u8 + 1)).collect();
        // What each tab saved last: the parts in storage.
        let mut saved: Vec<UserState> = vec![UserState::default(); 3];
        let mut one_tab = engine(9);
        let others_of = |saved: &[UserState], tab: usize| {
            let mut others = UserState::default();
            for (_, part) in saved.iter().enumerate().filter(|(index, _)| *index != tab) {
                others.merge(part, Combine::Sum);
            }
            others
        };
        for (minute, step) in steps.iter().enumerate() {
            let now = at(minute as i64 + 1);
            match *step {
                TabStep::Track(tab, event) => {
                    tabs[tab].track(EVENTS[event], Map::new(), now).unwrap();
                    one_tab.track(EVENTS[event], Map::new(), now).unwrap();
                }
                TabStep::Save(tab) => saved[tab] = tabs[tab].own_part(),
                TabStep::TakeIn(tab) => {
                    let others = others_of(&saved, tab);
                    tabs[tab].absorb_others(others, now);
                }
            }
        }
        // Every tab saves, then each takes in the others: all of them see everything, once.
        for (tab, engine) in tabs.iter().enumerate() {
            saved[tab] = engine.own_part();
        }
        let end = at(steps.len() as i64 + 2);
        for (tab, engine) in tabs.iter_mut().enumerate() {
            engine.absorb_others(others_of(&saved, tab), end);
            for feature in ["approve", "automate"] {
                prop_assert_eq!(
                    engine.feature_usage(feature).map(|usage| (usage.count, usage.days.total())),
                    one_tab.feature_usage(feature).map(|usage| (usage.count, usage.days.total())),
                    "tab {} feature {}", tab, feature
                );
            }
            prop_assert_eq!(
                engine.state().histories.iter().map(|(key, history)| (key.to_owned(), history.total, history.latest.len())).collect::<Vec<_>>(),
                one_tab.state().histories.iter().map(|(key, history)| (key.to_owned(), history.total, history.latest.len())).collect::<Vec<_>>()
            );
        }
    }
}
