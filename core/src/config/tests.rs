//! Decoding whole configs: the invoice scenario, and each kind of error with its path.

use serde_json::json;

use super::*;
use crate::time::Window;

fn invoice_config() -> Value {
    json!({
        "version": 1,
        "settings": {"throttle": {"per_page_view": 1, "per_day": 3}},
        "features": [
            {"id": "invoices.approve", "name": "Approve invoices", "events": ["invoice.approved"]},
            {"id": "workflow.automation", "name": "Workflow automation", "events": ["automation.created"]}
        ],
        "rules": [{
            "id": "suggest-automation",
            "when": {"all": [
                {"event": "invoice.approved", "count": {"gte": 5}, "within": "7d"},
                {"feature": "workflow.automation", "used": false}
            ]},
            "show": {"prompt": "automate-invoices"}
        }],
        "prompts": [{
            "id": "automate-invoices",
            "title": "Automate invoice approval?",
            "body": "You approved 5 invoices by hand this week.",
            "buttons": [
                {"label": "Show me", "action": {"navigate": "/automations.html"}},
                {"label": "Not now", "action": "dismiss"}
            ]
        }]
    })
}

fn errors_of(value: Value) -> Vec<String> {
    match Config::from_json(&value) {
        Ok(config) => panic!("expected errors, decoded {config:?}"),
        Err(errors) => errors.0.iter().map(ToString::to_string).collect(),
    }
}

#[test]
fn the_invoice_scenario_decodes() {
    let config = Config::from_json(&invoice_config()).unwrap();
    assert_eq!(config.features.len(), 2);
    assert_eq!(config.features[0].events, ["invoice.approved"]);
    let rule = &config.rules[0];
    assert_eq!(rule.show, Show::Prompt("automate-invoices".into()));
    assert_eq!(rule.priority, 0);
    let Condition::All(parts) = &rule.when else { panic!("{:?}", rule.when) };
    assert_eq!(
        parts[0],
        Condition::Event(EventCondition {
            event: "invoice.approved".into(),
            count: CountRange { min: 5, max: None },
            within: Some(Window::parse("7d").unwrap()),
        })
    );
    assert_eq!(
        parts[1],
        Condition::Feature(FeatureCondition { feature: "workflow.automation".into(), used: false, within: None })
    );
    let prompt = config.prompt("automate-invoices").unwrap();
    assert_eq!(prompt.buttons[0].action, ButtonAction::Navigate("/automations.html".into()));
    assert_eq!(prompt.buttons[1].action, ButtonAction::Dismiss);
}

#[test]
fn the_demo_config_in_www_decodes() {
    let text = include_str!("../../../www/uptake.config.json");
    Config::from_json_text(text).unwrap();
}

#[test]
fn a_wrong_type_names_its_path_and_what_was_found() {
    let mut config = invoice_config();
    config["rules"][0]["when"]["all"][0]["count"]["gte"] = json!("five");
    assert_eq!(
        errors_of(config),
        ["rules[0].when.all[0].count.gte: expected a whole number from 0 to 1000, found \"five\""]
    );
}

#[test]
fn all_errors_are_reported_at_once() {
    let mut config = invoice_config();
    config["features"][1]["events"] = json!("automation.created");
    config["rules"][0]["when"]["all"][0]["within"] = json!("7 days");
    config["rules"][0]["when"]["all"][1]["used"] = json!("no");
    config["prompts"][0]["buttons"][0]["action"] = json!({"navigate": "javascript:alert(1)"});
    config["prompts"][0]["colour"] = json!("red");
    assert_eq!(
        errors_of(config),
        [
            "features[1].events: expected a list of event names, found \"automation.created\"",
            "rules[0].when.all[0].within: expected a window such as \"30m\", \"12h\" or \"7d\" (1m to 400d), found \"7 days\"",
            "rules[0].when.all[1].used: expected true or false, found \"no\"",
            "prompts[0].colour: unknown field \"colour\"; expected one of: id, title, body, buttons",
            "prompts[0].buttons[0].action.navigate: expected an http, https or relative URL, found \"javascript:alert(1)\"",
        ]
    );
}

#[test]
fn missing_fields_are_named() {
    assert_eq!(errors_of(json!({})), ["missing field \"version\""]);
    let mut config = invoice_config();
    config["rules"][0].as_object_mut().unwrap().remove("show");
    assert_eq!(errors_of(config), ["rules[0]: missing field \"show\""]);
}

#[test]
fn only_format_version_1_is_read() {
    let mut config = invoice_config();
    config["version"] = json!(2);
    assert_eq!(errors_of(config), ["version: expected 1, the config format version, found 2"]);
}

#[test]
fn references_to_unknown_ids_name_the_id() {
    let mut config = invoice_config();
    config["rules"][0]["show"]["prompt"] = json!("automate-invoice");
    config["rules"][0]["when"]["all"][1]["feature"] = json!("workflow.automations");
    assert_eq!(
        errors_of(config),
        [
            "rules[0].when.all[1].feature: no feature has the id \"workflow.automations\"",
            "rules[0].show.prompt: no prompt has the id \"automate-invoice\"",
        ]
    );
}

#[test]
fn duplicate_ids_point_at_the_first_use() {
    let mut config = invoice_config();
    config["features"][1]["id"] = json!("invoices.approve");
    let errors = errors_of(config);
    assert!(
        errors.contains(&"features[1].id: duplicate id \"invoices.approve\" (first used at features[0].id)".to_owned()),
        "{errors:?}"
    );
}

#[test]
fn a_condition_must_say_what_it_tests() {
    let mut config = invoice_config();
    config["rules"][0]["when"] = json!({"events": "x"});
    assert_eq!(
        errors_of(config),
        [
            "rules[0].when: expected a condition: an object with one of \"all\", \"any\", \"not\", \"event\" or \"feature\", found an object"
        ]
    );
    let mut config = invoice_config();
    config["rules"][0]["when"] = json!({"any": []});
    assert_eq!(errors_of(config), ["rules[0].when.any: expected at least one condition, found an array"]);
}

#[test]
fn prompts_have_at_most_two_buttons_and_text_that_is_not_blank() {
    let mut config = invoice_config();
    config["prompts"][0]["buttons"] = json!([{"label": "a"}, {"label": "b"}, {"label": "c"}]);
    config["prompts"][0]["title"] = json!("  ");
    assert_eq!(
        errors_of(config),
        [
            "prompts[0].title: expected a non-blank text, found \"  \"",
            "prompts[0].buttons: at most 2 buttons allowed, found 3"
        ]
    );
}

#[test]
fn settings_have_documented_defaults_and_bounds() {
    let config = Config::from_json(&json!({"version": 1})).unwrap();
    assert_eq!(config.settings.throttle, Throttle { per_page_view: 1, per_day: 3 });
    assert_eq!(config.settings.day_offset.minutes(), 0);
    assert_eq!(
        errors_of(json!({"version": 1, "settings": {"day_offset_minutes": 900}})),
        ["settings.day_offset_minutes: expected a whole number of minutes from -840 to 840, found 900"]
    );
}

#[test]
fn syntax_errors_give_line_and_column() {
    let errors = Config::from_json_text("{\n  \"version\": 1,\n  \"rules\": [,]\n}").unwrap_err();
    assert_eq!(errors.to_string(), "invalid JSON at line 3, column 13: expected value");
}
