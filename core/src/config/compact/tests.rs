use serde_json::{Value, json};

use super::{COMPACT_FORMAT, CompactError};
use crate::config::{AllCondition, Condition, Config, EventCondition};

const DEMO_CONFIG: &str = include_str!("../../../../www/uptake.config.json");

fn demo() -> Config {
    let mut config = Config::from_json_text(DEMO_CONFIG).unwrap();
    // The compiled form leaves out the editor's schema link.
    config.schema = None;
    config
}

fn values_of(text: &str) -> Vec<Value> {
    match serde_json::from_str(text).unwrap() {
        Value::Array(values) => values,
        other => panic!("not an array: {other}"),
    }
}

#[test]
fn the_demo_config_reads_back_equal_from_its_compiled_form() {
    let config = demo();
    let compiled = config.to_compact_json();
    assert_eq!(Config::from_compact_json(&compiled).unwrap(), config);
    assert!(compiled.len() < DEMO_CONFIG.len(), "{} bytes compiled, {} as written", compiled.len(), DEMO_CONFIG.len());
}

/// The SDK keys filtered events' histories by the filter's text, which the collector writes into
/// the compiled config: the SDK takes it as written, and writes no JSON of the config itself.
#[test]
fn a_filter_is_compiled_with_its_text_and_read_back_with_it() {
    let config = demo();
    let mut values = values_of(&config.to_compact_json());
    let at = values.iter().position(|value| value == r#"{"manual":true}"#).expect("the demo's filter text");
    values[at] = json!("the text as written");
    let read = Config::from_compact(&Value::Array(values)).unwrap();
    let Condition::All(AllCondition { all }) = &read.rules[0].when else { panic!("the demo's rule is all of") };
    let Condition::Event(EventCondition { filter: Some(filter), .. }) = &all[0] else { panic!("a filtered event") };
    assert_eq!(filter.text(), "the text as written");
}

#[test]
fn an_empty_config_is_its_format_settings_and_six_empty_lists() {
    let compiled = values_of(&Config::default().to_compact_json());
    assert_eq!(compiled[0], json!(COMPACT_FORMAT));
    // day offset, throttle (2), default locale, theme (8), model (10), then six empty lists.
    assert_eq!(compiled.len(), 1 + 1 + 2 + 1 + 8 + 10 + 6);
    assert_eq!(&compiled[1..5], &[json!(0), json!(1), json!(3), json!("en")]);
    assert_eq!(compiled[compiled.len() - 6..].to_vec(), vec![json!(0); 6]);
    assert_eq!(Config::from_compact_json(&Config::default().to_compact_json()).unwrap(), Config::default());
}

#[test]
fn every_truncation_of_a_compiled_config_is_refused_as_damaged() {
    let values = values_of(&demo().to_compact_json());
    for len in 1..values.len() {
        let text = Value::Array(values[..len].to_vec()).to_string();
        assert!(
            matches!(Config::from_compact_json(&text), Err(CompactError::Damaged { at }) if at <= len),
            "a compiled config cut to {len} values was read"
        );
    }
}

#[test]
fn a_value_of_the_wrong_kind_or_a_value_too_many_is_refused() {
    let mut values = values_of(&demo().to_compact_json());
    let mut extra = values.clone();
    extra.push(json!(0));
    assert_eq!(
        Config::from_compact_json(&Value::Array(extra).to_string()),
        Err(CompactError::Damaged { at: values.len() })
    );
    // The default locale, a string, as a number.
    values[4] = json!(7);
    assert_eq!(Config::from_compact_json(&Value::Array(values).to_string()), Err(CompactError::Damaged { at: 5 }));
}

#[test]
fn text_of_another_kind_or_format_is_refused_with_what_was_found() {
    assert_eq!(Config::from_compact_json(DEMO_CONFIG), Err(CompactError::NotAnArray));
    assert_eq!(Config::from_compact_json("[1,"), Err(CompactError::NotAnArray));
    let other = Config::from_compact_json(r#"["uptake-compiled-config/0", 0]"#).unwrap_err();
    assert_eq!(other, CompactError::OtherFormat { found: "\"uptake-compiled-config/0\"".into() });
    assert!(other.to_string().contains(COMPACT_FORMAT), "{other}");
    assert_eq!(Config::from_compact_json("[]"), Err(CompactError::OtherFormat { found: "unknown".into() }));
}

/// A rule whose `when` is `not` nested `depth` times around an element condition.
fn nested_rule(depth: usize) -> Vec<Value> {
    let mut values = vec![json!("r")];
    values.extend(std::iter::repeat_n(json!(2), depth));
    values.extend([json!(7), json!("#x")]);
    // no audience, show prompt "p", frequency, no goal, holdout, priority
    values.extend([Value::Null, json!(0), json!("p"), Value::Null, Value::Null, json!(0), Value::Null, Value::Null]);
    values.extend([json!(0.0), json!(0)]);
    values
}

fn with_rule(rule: Vec<Value>) -> String {
    let mut values = values_of(&Config::default().to_compact_json());
    let rules_at = values.len() - 5;
    values[rules_at] = json!(1);
    values.splice(rules_at + 1..rules_at + 1, rule);
    Value::Array(values).to_string()
}

#[test]
fn conditions_nest_as_deep_as_the_decoder_allows_and_no_deeper_than_the_reader_does() {
    let config = Config::from_compact_json(&with_rule(nested_rule(31))).unwrap();
    assert_eq!(config.rules[0].id, "r");
    assert!(matches!(Config::from_compact_json(&with_rule(nested_rule(10_000))), Err(CompactError::Damaged { .. })));
}

#[test]
fn every_kind_of_condition_display_goal_and_survey_reads_back_equal() {
    let mut config: Value = serde_json::from_str(DEMO_CONFIG).unwrap();
    config["settings"]["day_offset_minutes"] = json!(-300);
    config["settings"]["theme"] = json!({"accent": "#0f766e", "radius": "4px", "z_index": 10});
    config["settings"]["model"] = json!({"advanced_depth": 0.4, "power_depth": 0.8, "daily_min_days": 10});
    config["rules"][0]["when"] = json!({"all": [
        {"event": "invoice.approved", "where": {"amount": {"gte": 1000}, "vendor": {"in": ["Acme", 7, true]}}, "count": {"lte": 2}, "within": "1d"},
        {"sequence": ["invoice.opened", {"event": "invoice.approved", "where": {"manual": true}}], "gap": "10m", "count": {"gte": 5}, "within": "7d"},
        {"feature": "workflow.automation", "used": false, "within": "90d"},
        {"page": "/invoices/*"},
        {"element": "#new-automation"},
        {"trait": "role", "not_in": ["viewer"], "exists": true},
        {"account_trait": "seats", "gt": 10, "lt": 500.5},
        {"trait": "signed_up_at", "before": "-30d", "after": "2026-01-01T00:00:00Z"},
        {"tenure_days": {"gte": 30}},
        {"level": {"eq": 2}},
        {"recency": ["active", "at_risk"]},
        {"depth": {"lt": 0.3}},
        {"barrier": {"feature": "workflow.automation", "is": ["unaware", "stuck"]}},
        {"any": [{"not": {"recency": "dormant"}}, {"trait": "beta", "ne": "no"}]}
    ]});
    config["rules"][0]["goal"] = json!({"event": "automation.created", "where": {"kind": "approval"}, "within": "14d"});
    config["rules"][0]["priority"] = json!(-3);
    config["rules"][0]["holdout"] = json!(0.25);
    config["rules"][0]["frequency"] =
        json!({"max_shows": 2, "min_interval": "2h", "stop_when": ["clicked"], "snooze": "3d"});
    config["prompts"][0]["display"] = json!({"banner": "bottom"});
    config["prompts"][1]["display"] = json!({"tooltip": {"target": "#export-csv", "placement": "left"}});
    config["surveys"][0] = json!({"id": "automation-ease", "kind": "choice", "question": "Which?", "choices": ["A", {"en": "B", "ja": "ビ"}]});
    let mut config = Config::from_json(&config).unwrap();
    config.schema = None;
    assert_eq!(Config::from_compact_json(&config.to_compact_json()).unwrap(), config);
}

#[test]
fn a_struct_whose_first_field_is_an_option_marks_its_options() {
    use super::Compact;
    use crate::config::{Category, Frequency, ModelSettings, Rule, Theme, TourStep, ValueOperators};
    let leading_option = [
        Category::MAY_START_WITH_NULL,
        Theme::MAY_START_WITH_NULL,
        TourStep::MAY_START_WITH_NULL,
        ValueOperators::MAY_START_WITH_NULL,
        Frequency::MAY_START_WITH_NULL,
    ];
    assert_eq!(leading_option, [true; 5]);
    assert_eq!([Rule::MAY_START_WITH_NULL, ModelSettings::MAY_START_WITH_NULL], [false; 2]);
}
