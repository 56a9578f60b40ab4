//! The collector's figures equal the device's: for generated sessions (uses, events that do not
//! count, entry points on the page, prompts shown, held out, dismissed, clicked, goals, over
//! weeks), the events the device's engine sends, tagged and applied as the collector applies
//! them, give the same feature usage, rule exposure, level, recency, depth, frequency classes
//! and barriers as the engine holds.

use proptest::prelude::*;
use serde_json::{Map, Value, json};
use uptake_core::analytics::{UserRecord, user_figures};
use uptake_core::config::{Config, ExperienceKind};
use uptake_core::engine::{Engine, EngineOptions};
use uptake_core::event::Event;
use uptake_core::exposure::Outcome;
use uptake_core::json_writer::serde_float;
use uptake_core::model;
use uptake_core::outbox::{Delivery, OutboxSettings};
use uptake_core::program::Program;
use uptake_core::time::Timestamp;
use uptake_core::usage::FeatureUsage;

const START: i64 = 1_795_000_000_000;
const MINUTE: i64 = 60_000;

fn config() -> Config {
    Config::from_json(&json!({
        "version": 1,
        "features": [
            {"id": "approve", "name": "Approve", "events": ["invoice.approved"], "activation": true},
            {"id": "automate", "name": "Automate", "events": ["automation.created"],
             "entry_point": {"selector": "#new-automation"}, "roles": ["admin"]},
            {"id": "export", "name": "Export", "events": [{"event": "report.exported", "where": {"format": "csv"}}],
             "entry_point": {"event": "reports.opened"}}
        ],
        "prompts": [{"id": "p", "title": "Automate it?", "buttons": [{"label": "Show me", "action": "dismiss"}]}],
        "rules": [{
            "id": "suggest",
            "when": {"event": "invoice.approved", "count": {"gte": 3}, "within": "7d"},
            "show": {"prompt": "p"},
            "frequency": {"max_shows": 3, "min_interval": "1d"},
            "goal": {"feature": "automate", "within": "14d"},
            "holdout": 0.3
        }]
    }))
    .expect("the test config is valid")
}

#[derive(Clone, Debug)]
enum Op {
    Track(&'static str, Value),
    /// Whether `#new-automation` is on the page.
    Elements(bool),
    /// How the user leaves a prompt on screen: 0 dismiss, 1 click, 2 snooze.
    Close(u8),
    /// Minutes to wait.
    Wait(i64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => Just(Op::Track("invoice.approved", json!({}))),
        1 => Just(Op::Track("automation.created", json!({}))),
        1 => prop_oneof![Just("csv"), Just("pdf")].prop_map(|format| Op::Track("report.exported", json!({"format": format}))),
        1 => Just(Op::Track("reports.opened", json!({}))),
        1 => Just(Op::Track("unrelated", json!({}))),
        1 => any::<bool>().prop_map(Op::Elements),
        2 => (0..3u8).prop_map(Op::Close),
        3 => prop_oneof![1..120i64, 600..3_000i64, 5_000..20_000i64].prop_map(Op::Wait),
    ]
}

fn engine(user: &str, role: &str, now: Timestamp) -> Engine {
    let mut engine = Engine::new(EngineOptions {
        write_key: Some("dev".into()),
        outbox: OutboxSettings::default(),
        seed: [3; 32],
        anonymous_id: None,
        user_id: None,
        traits: Map::new(),
        renderable: vec![ExperienceKind::Prompt],
        write_float: serde_float,
    });
    let traits = json!({"role": role}).as_object().cloned().unwrap_or_default();
    engine.identify(user, traits, now).expect("a valid user id");
    engine.load_config(config(), now);
    engine.page(None, Map::new(), now);
    engine
}

/// Every event the engine sends, as the collector reads it.
fn sent(engine: &mut Engine, now: Timestamp) -> Vec<Event> {
    let mut events = Vec::new();
    while let Some(outgoing) = engine.transmit_now(now) {
        let mut body: Value = serde_json::from_str(&outgoing.body).expect("the outbox sends JSON");
        for event in body["batch"].as_array_mut().map(std::mem::take).unwrap_or_default() {
            events.push(Event::from_json(event).expect("the collector accepts what the device sends"));
        }
        engine.handle_delivery(outgoing.id, Delivery::Accepted { refused: Vec::new() }, now);
    }
    events
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn the_collector_computes_what_the_device_holds(
        user in 0..1000u32,
        admin in any::<bool>(),
        ops in prop::collection::vec(op(), 1..80),
    ) {
        let user = format!("u-{user}");
        let mut now = Timestamp::from_millis(START);
        let mut engine = engine(&user, if admin { "admin" } else { "viewer" }, now);
        let mut on_screen = None;
        let mut events = Vec::new();
        for op in ops {
            let decision = match op {
                Op::Track(name, properties) => {
                    engine.track(name, properties.as_object().cloned().unwrap_or_default(), now).ok().flatten()
                }
                Op::Elements(present) => engine.set_elements(&[present], now),
                Op::Close(how) => {
                    if let Some(reference) = on_screen.take() {
                        let outcome = match how {
                            0 => Outcome::Dismissed,
                            1 => Outcome::Clicked { button: 0 },
                            _ => Outcome::Snoozed,
                        };
                        engine.experience_closed(&reference, outcome, now);
                    }
                    None
                }
                Op::Wait(minutes) => {
                    // Sent before the wait: the device gives up on events a week old.
                    events.extend(sent(&mut engine, now));
                    now = now.plus(uptake_core::time::Duration::from_millis(minutes * MINUTE));
                    None
                }
            };
            if let Some(decision) = decision {
                on_screen = Some(decision.reference);
            }
            events.extend(sent(&mut engine, now));
        }
        let program = Program::compile(config());
        let mut record = UserRecord::default();
        for event in &events {
            let tags = match &event.event {
                Some(name) => program.tag_event(name, &event.properties, event.timestamp),
                None => Default::default(),
            };
            record.apply(&program, event, &tags);
        }
        for feature in &program.config().features {
            let device = engine.feature_usage(&feature.id).cloned().unwrap_or_default();
            let collector = record.state.features.get(&feature.id).cloned().unwrap_or_default();
            prop_assert_eq!(&device, &collector, "feature {}", feature.id);
        }
        let device_rule = engine.rule_exposure("suggest").cloned().unwrap_or_default();
        let collector_rule = record.state.rules.get("suggest").cloned().unwrap_or_default();
        prop_assert_eq!(device_rule.first_exposed_at, collector_rule.first_exposed_at);
        prop_assert_eq!(device_rule.variant, collector_rule.variant);
        prop_assert_eq!(device_rule.shows, collector_rule.shows);
        prop_assert_eq!(device_rule.goal_reached_at, collector_rule.goal_reached_at);
        prop_assert_eq!(device_rule.dismissed_at, collector_rule.dismissed_at);
        prop_assert_eq!(device_rule.clicked_at, collector_rule.clicked_at);
        prop_assert_eq!(device_rule.snoozed_until, collector_rule.snoozed_until);

        let config = program.config();
        let offset = config.settings.day_offset();
        let today = now.day(offset);
        let figures = user_figures(&program, &record, &Map::new(), today);
        prop_assert_eq!(Some(figures.metrics), engine.metrics(now));
        for (index, feature) in config.features.iter().enumerate() {
            let usage = engine.feature_usage(&feature.id).cloned().unwrap_or_else(FeatureUsage::default);
            let standing = &figures.features[index];
            prop_assert_eq!(standing.frequency, model::frequency_class(&usage, today, &config.settings.model));
            prop_assert_eq!(standing.barrier, model::barrier(&usage, today, &config.settings.model, offset));
        }
    }
}
