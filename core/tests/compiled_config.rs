//! A compiled config is read by the SDK without the decoder's checks, so whatever one holds must
//! be refused or run without a panic: each value of a compiled config that uses every kind of
//! condition, experience and setting is replaced, one at a time, by extreme values, and the
//! result is read, loaded into an engine, and driven through its features' events and a page
//! view. Tests build with overflow checks, so an overflow counts as a panic.

use serde_json::{Map, Value, json};
use uptake_core::config::{Config, ExperienceKind};
use uptake_core::engine::{Engine, EngineOptions};
use uptake_core::json_writer::serde_float;
use uptake_core::outbox::OutboxSettings;
use uptake_core::time::{Duration, Timestamp};

const EVERY_KIND: &str = include_str!("../fuzz/seeds/config/every-kind.json");
const DEMO: &str = include_str!("../../www/uptake.config.json");

fn run(config: Config) {
    let mut engine = Engine::new(EngineOptions {
        write_key: Some("dev".into()),
        outbox: OutboxSettings::default(),
        seed: [5; 32],
        anonymous_id: None,
        user_id: None,
        traits: Map::new(),
        renderable: vec![
            ExperienceKind::Prompt,
            ExperienceKind::Tour,
            ExperienceKind::Checklist,
            ExperienceKind::Survey,
        ],
        write_float: serde_float,
    });
    let mut now = Timestamp::from_millis(1_795_000_000_000);
    engine.load_config(config.clone(), now);
    let props = json!({"manual": true, "amount": 5000, "kind": "approval", "vendor": "Acme"});
    let Value::Object(props) = props else { unreachable!() };
    for round in 0..3 {
        for feature in &config.features {
            for event in &feature.events {
                let _ = engine.track(event.event(), props.clone(), now);
            }
        }
        let present = vec![round != 1; engine.selectors().len()];
        let _ = engine.set_elements(&present, now);
        let _ = engine.page(None, Map::new(), now);
        now = now.plus(Duration::from_days(3));
    }
}

const EXTREMES: [fn() -> Value; 9] = [
    || json!(0),
    || json!(-1),
    || json!(1),
    || json!(i64::MAX),
    || json!(i64::MIN),
    || json!(u64::MAX),
    || json!(1e300),
    || json!(-0.5),
    || json!(""),
];

fn each_value_at_its_extremes(config_text: &str) {
    let compiled = Config::from_json_text(config_text).unwrap().to_compact_json();
    let Value::Array(values) = serde_json::from_str(&compiled).unwrap() else { unreachable!() };
    let (mut read, mut refused) = (0, 0);
    for at in 1..values.len() {
        for extreme in EXTREMES {
            let mut changed = values.clone();
            changed[at] = extreme();
            match Config::from_compact_json(&Value::Array(changed).to_string()) {
                Ok(config) => {
                    read += 1;
                    run(config);
                }
                Err(_) => refused += 1,
            }
        }
    }
    assert!(read > 0 && refused > 0, "{read} read, {refused} refused");
}

#[test]
fn every_kind_config_with_any_value_at_an_extreme_is_refused_or_runs() {
    each_value_at_its_extremes(EVERY_KIND);
}

#[test]
fn the_demo_config_with_any_value_at_an_extreme_is_refused_or_runs() {
    each_value_at_its_extremes(DEMO);
}
