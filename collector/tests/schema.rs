//! The JSON Schema of configs: the committed copy is the one generated from the config types,
//! and it agrees with the decoder on the demo config and on configs with mistakes.

use std::path::Path;

use serde_json::{Value, json};
use uptake_core::config::{Config, config_schema_json};

fn committed_schema() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../schema/uptake-config.schema.json")).unwrap()
}

fn demo_config() -> Value {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../www/uptake.config.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn the_committed_schema_is_the_generated_one() {
    assert!(
        committed_schema() == config_schema_json(),
        "schema/uptake-config.schema.json is stale: run `cargo run -p uptake-collector -- schema > schema/uptake-config.schema.json`"
    );
}

#[test]
fn the_schema_and_the_decoder_agree() {
    let schema: Value = serde_json::from_str(&committed_schema()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let mut wrong_type = demo_config();
    wrong_type["rules"][0]["when"]["all"][0]["count"]["gte"] = json!("five");
    let mut unknown_field = demo_config();
    unknown_field["prompts"][0]["colour"] = json!("red");
    let mut bad_window = demo_config();
    bad_window["rules"][0]["goal"]["within"] = json!("2 weeks");
    let mut three_buttons = demo_config();
    three_buttons["prompts"][0]["buttons"] = json!([{"label": "a"}, {"label": "b"}, {"label": "c"}]);
    let mut tour = demo_config();
    let extra_tour = json!({"id": "t", "steps": [{"target": "#x", "title": "T", "advance": {"event": "x"}, "missing_target": {"wait": "5s", "then": "abort"}}]});
    tour["tours"].as_array_mut().unwrap().push(extra_tour);
    let cases = [
        (demo_config(), true),
        (tour, true),
        (wrong_type, false),
        (unknown_field, false),
        (bad_window, false),
        (three_buttons, false),
    ];
    for (index, (config, valid)) in cases.into_iter().enumerate() {
        let by_schema = validator.is_valid(&config);
        let by_decoder = Config::from_json(&config).is_ok();
        assert_eq!((by_schema, by_decoder), (valid, valid), "case {index}");
    }
}
