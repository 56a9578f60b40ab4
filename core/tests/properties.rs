//! Properties over generated inputs: any valid config survives a round trip through its JSON
//! shape; the engine never panics, whatever the config, the calls, the clock and the stored
//! state; the state survives serialization unchanged; arbitrary stored states are refused, not
//! crashed on.

use proptest::prelude::*;
use serde_json::{Map, Value, json};
use uptake_core::config::{Config, ExperienceKind};
use uptake_core::engine::{Engine, EngineOptions, ExperienceRef, sdk_events};
use uptake_core::exposure::Outcome;
use uptake_core::json_reader;
use uptake_core::json_writer::serde_float;
use uptake_core::outbox::OutboxSettings;
use uptake_core::state::UserState;
use uptake_core::time::{Duration, Timestamp};

const EVENTS: &[&str] = &["invoice.approved", "invoice.opened", "report.exported", "automation.created"];
const FEATURES: &[&str] = &["f0", "f1", "f2"];
const WINDOWS: &[&str] = &["1m", "10m", "12h", "1d", "7d", "30d", "400d"];

fn pick<T: Clone + std::fmt::Debug + 'static>(items: &'static [T]) -> impl Strategy<Value = T> {
    proptest::sample::select(items)
}

fn comparison(max: u32) -> impl Strategy<Value = Value> {
    prop_oneof![
        (0..=max).prop_map(|n| json!({"gte": n})),
        (0..=max).prop_map(|n| json!({"lte": n})),
        (0..=max).prop_map(|n| json!({"eq": n})),
        (0..max, 1..=max).prop_map(|(a, b)| json!({"gt": a.min(b - 1), "lt": a.max(b) + 1})),
    ]
}

fn event_match() -> impl Strategy<Value = Value> {
    prop_oneof![
        pick(EVENTS).prop_map(Value::from),
        (pick(EVENTS), any::<bool>()).prop_map(|(event, manual)| json!({"event": event, "where": {"manual": manual}})),
    ]
}

fn leaf_condition() -> impl Strategy<Value = Value> {
    prop_oneof![
        (pick(EVENTS), proptest::option::of(comparison(20)), proptest::option::of(pick(WINDOWS)), any::<bool>())
            .prop_map(|(event, count, within, filtered)| {
                let mut condition = json!({"event": event});
                if let Some(count) = count {
                    condition["count"] = count;
                }
                if let Some(within) = within {
                    condition["within"] = json!(within);
                }
                if filtered {
                    condition["where"] = json!({"amount": {"gte": 100}});
                }
                condition
            }),
        (
            proptest::collection::vec(event_match(), 2..4),
            proptest::option::of(pick(WINDOWS)),
            proptest::option::of(comparison(5))
        )
            .prop_map(|(steps, within, count)| {
                let mut condition = json!({"sequence": steps, "gap": "1d"});
                if let Some(within) = within {
                    condition["within"] = json!(within);
                }
                if let Some(count) = count {
                    condition["count"] = count;
                }
                condition
            }),
        (pick(FEATURES), any::<bool>(), proptest::option::of(pick(WINDOWS))).prop_map(|(feature, used, within)| {
            match within {
                Some(within) => json!({"feature": feature, "used": used, "within": within}),
                None => json!({"feature": feature, "used": used}),
            }
        }),
        pick(&["/", "/invoices/*", "/reports/**", "/a?c"][..]).prop_map(|glob| json!({"page": glob})),
        pick(&["#new-automation", ".x", "main > nav"][..]).prop_map(|selector| json!({"element": selector})),
        pick(&["admin", "viewer"][..]).prop_map(|role| json!({"trait": "role", "eq": role})),
        (0..50u32).prop_map(|seats| json!({"account_trait": "seats", "gte": seats})),
        comparison(400).prop_map(|days| json!({"tenure_days": days})),
        comparison(5).prop_map(|level| json!({"level": level})),
        pick(&["new", "active", "at_risk", "dormant"][..]).prop_map(|recency| json!({"recency": recency})),
        (0u32..=10).prop_map(|tenths| json!({"depth": {"gte": f64::from(tenths) / 10.0}})),
        (pick(FEATURES), pick(&["unaware", "stuck", "unconvinced", "none"][..]))
            .prop_map(|(feature, barrier)| json!({"barrier": {"feature": feature, "is": barrier}})),
    ]
}

fn condition() -> impl Strategy<Value = Value> {
    leaf_condition().prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 1..3).prop_map(|all| json!({"all": all})),
            proptest::collection::vec(inner.clone(), 1..3).prop_map(|any| json!({"any": any})),
            inner.prop_map(|not| json!({"not": not})),
        ]
    })
}

fn rule(index: usize) -> impl Strategy<Value = Value> {
    (
        condition(),
        proptest::option::of(condition()),
        -2i32..3,
        prop_oneof![Just(0.0), Just(0.5)],
        any::<bool>(),
        1u32..4,
    )
        .prop_map(move |(when, audience, priority, holdout, goal, max_shows)| {
            let mut rule = json!({
                "id": format!("r{index}"),
                "when": when,
                "show": {"prompt": "p"},
                "priority": priority,
                "holdout": holdout,
                "frequency": {"max_shows": max_shows, "stop_when": ["dismissed"], "snooze": "1d"}
            });
            if let Some(audience) = audience {
                rule["audience"] = audience;
            }
            if goal {
                rule["goal"] = json!({"feature": "f2", "within": "7d"});
            }
            rule
        })
}

fn config() -> impl Strategy<Value = Value> {
    (0usize..5).prop_flat_map(|count| {
        let rules: Vec<_> = (0..count).map(rule).collect();
        (rules, any::<bool>()).prop_map(|(rules, closed)| {
            json!({
                "version": 1,
                "settings": {"throttle": {"per_page_view": 1, "per_day": if closed { 0 } else { 3 }}},
                "features": [
                    {"id": "f0", "name": "F0", "events": ["invoice.approved"], "activation": true},
                    {"id": "f1", "name": "F1", "events": [{"event": "invoice.opened", "where": {"manual": true}}], "roles": ["admin"], "entry_point": {"selector": "#new-automation"}},
                    {"id": "f2", "name": "F2", "events": ["automation.created"], "entry_point": {"event": "report.exported"}}
                ],
                "rules": rules,
                "prompts": [{"id": "p", "title": {"en": "T", "ja": "テ"}, "buttons": [{"label": "Go", "action": {"navigate": "/x"}}, {"label": "Later", "action": "snooze"}]}]
            })
        })
    })
}

#[derive(Clone, Debug)]
enum Call {
    Track { event: &'static str, manual: bool, amount: u32 },
    MarkedFeature(&'static str),
    Page(&'static str),
    Identify(&'static str, &'static str),
    Group(u32),
    Elements(bool),
    Close(usize),
    Wait(i64),
    Reload,
}

fn call() -> impl Strategy<Value = Call> {
    prop_oneof![
        4 => (pick(EVENTS), any::<bool>(), 0..500u32).prop_map(|(event, manual, amount)| Call::Track { event, manual, amount }),
        1 => pick(&["f1", "uncatalogued"][..]).prop_map(Call::MarkedFeature),
        1 => pick(&["/", "/invoices/7", "/reports/a/b"][..]).prop_map(Call::Page),
        1 => (pick(&["u-1", "u-2"][..]), pick(&["admin", "viewer"][..])).prop_map(|(user, role)| Call::Identify(user, role)),
        1 => (0..40u32).prop_map(Call::Group),
        1 => any::<bool>().prop_map(Call::Elements),
        1 => (0..3usize).prop_map(Call::Close),
        2 => (0..20_000i64).prop_map(Call::Wait),
        1 => Just(Call::Reload),
    ]
}

fn engine_options() -> EngineOptions {
    EngineOptions {
        write_key: Some("dev".into()),
        outbox: OutboxSettings::default(),
        seed: [3; 32],
        anonymous_id: None,
        user_id: None,
        traits: Map::new(),
        renderable: vec![ExperienceKind::Prompt],
        write_float: serde_float,
    }
}

fn props(value: Value) -> Map<String, Value> {
    value.as_object().cloned().unwrap_or_default()
}

/// Written, then read back as the SDK reads it (`json_reader`, floats by Rust's parser here).
fn round_trip(state: &UserState) -> UserState {
    let value = json_reader::parse(&state.to_text(serde_float), |number| number.parse().ok()).unwrap();
    UserState::from_json(&value).map_err(|e| format!("{e}: {}", state.to_text(serde_float))).unwrap()
}

const OUTCOMES: [Outcome; 3] = [Outcome::Dismissed, Outcome::Snoozed, Outcome::Clicked { button: 0 }];

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn valid_configs_survive_a_round_trip_through_their_json_shape(config in config()) {
        // A generated rule may contradict itself: refusing it is the decoder's job.
        let Ok(decoded) = Config::from_json(&config) else { return Ok(()) };
        let written = serde_json::to_value(&decoded).unwrap();
        prop_assert_eq!(Config::from_json(&written).unwrap(), decoded);
    }

    #[test]
    fn valid_configs_survive_a_round_trip_through_their_compiled_form(config in config()) {
        let Ok(decoded) = Config::from_json(&config) else { return Ok(()) };
        prop_assert_eq!(Config::from_compact_json(&decoded.to_compact_json()).unwrap(), decoded);
    }

    #[test]
    fn the_engine_never_panics_and_its_state_round_trips(config in config(), calls in proptest::collection::vec(call(), 0..60)) {
        let Ok(config) = Config::from_json(&config) else { return Ok(()) };
        let mut engine = Engine::new(engine_options());
        let mut now = Timestamp::from_millis(1_795_000_000_000);
        engine.load_config(config.clone(), now);
        let mut open: Option<ExperienceRef> = None;
        for call in calls {
            let decision = match call {
                Call::Track { event, manual, amount } => {
                    engine.track(event, props(json!({"manual": manual, "amount": amount})), now).unwrap()
                }
                Call::MarkedFeature(feature) => {
                    engine.track(sdk_events::FEATURE_USED, props(json!({"feature": feature})), now).unwrap()
                }
                Call::Page(path) => engine.page(None, props(json!({"path": path})), now),
                Call::Identify(user, role) => {
                    engine.identify(user, props(json!({"role": role, "signed_up_at": "2026-01-01"})), now).unwrap();
                    engine.evaluate(now)
                }
                Call::Group(seats) => {
                    engine.group("acme", props(json!({"seats": seats})), now).unwrap();
                    engine.evaluate(now)
                }
                Call::Elements(present) => {
                    let present = vec![present; engine.selectors().len()];
                    engine.set_elements(&present, now)
                }
                Call::Close(outcome) => {
                    if let Some(reference) = open.take() {
                        engine.experience_closed(&reference, OUTCOMES[outcome], now);
                    }
                    None
                }
                Call::Wait(minutes) => {
                    now = now.plus(Duration::from_minutes(minutes));
                    None
                }
                Call::Reload => {
                    let saved = round_trip(engine.state());
                    let identity = engine.identity().clone();
                    engine = Engine::new(EngineOptions {
                        anonymous_id: Some(identity.anonymous_id),
                        user_id: identity.user_id,
                        traits: identity.traits,
                        ..engine_options()
                    });
                    engine.absorb_others(saved, now);
                    engine.load_config(config.clone(), now)
                }
            };
            if let Some(decision) = decision {
                open = Some(decision.reference);
            }
            let _ = engine.metrics(now);
        }
        prop_assert_eq!(round_trip(engine.state()).to_json(), engine.state().to_json());
    }

    #[test]
    fn arbitrary_stored_states_are_read_or_refused_never_crashed_on(
        features in proptest::collection::btree_map(
            "[a-z.]{1,8}",
            (0u64..5, proptest::option::of(-1_000i64..1_000), proptest::option::of(-1_000i64..1_000), proptest::option::of(-5i32..5), "[0-9a-fz]{0,12}", 0u32..3),
            0..4,
        ),
        events in proptest::collection::btree_map("[a-z.]{1,8}", (0u64..5, proptest::collection::vec(-100i64..100, 0..5)), 0..3),
        version in 0u32..4,
    ) {
        let features: Map<String, Value> = features
            .into_iter()
            .map(|(id, (n, first, last, day, bits, older))| (id, json!({"n": n, "first": first, "last": last, "day": day, "bits": bits, "older": older})))
            .collect();
        let events: Map<String, Value> = events.into_iter().map(|(key, (n, at))| (key, json!({"n": n, "at": at}))).collect();
        let stored = json!({"v": version, "f": features, "e": events});
        let Ok(state) = UserState::from_json(&stored) else { return Ok(()) };
        let config = Config::from_json(&json!({
            "version": 1,
            "features": [{"id": "a", "name": "A", "events": ["x"]}],
            "rules": [{"id": "r", "when": {"all": [{"event": "x", "count": {"gte": 2}, "within": "1d"}, {"level": {"gte": 1}}, {"barrier": {"feature": "a", "is": "stuck"}}]}, "show": {"prompt": "p"}}],
            "prompts": [{"id": "p", "title": "t"}]
        })).unwrap();
        let mut engine = Engine::new(engine_options());
        let now = Timestamp::from_millis(0);
        engine.absorb_others(state, now);
        engine.load_config(config, now);
        engine.track("x", Map::new(), now).unwrap();
        prop_assert_eq!(round_trip(engine.state()).to_json(), engine.state().to_json());
    }
}
