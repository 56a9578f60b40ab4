//! Decoding whole configs: the invoice scenario, each kind of error with its path, every
//! condition kind, and agreement with the serde shape the JSON Schema is generated from.

use serde_json::json;

use super::*;
use crate::time::Window;

fn demo_config_json() -> Value {
    serde_json::from_str(include_str!("../../../www/uptake.config.json")).unwrap()
}

fn errors_of(value: Value) -> Vec<String> {
    match Config::from_json(&value) {
        Ok(config) => panic!("expected errors, decoded {config:?}"),
        Err(errors) => errors.0.iter().map(ToString::to_string).collect(),
    }
}

fn with_rule(when: Value) -> Value {
    let mut config = demo_config_json();
    config["rules"][0]["when"] = when;
    config
}

#[test]
fn the_demo_config_decodes_with_a_holdout_and_a_goal() {
    let config = Config::from_json(&demo_config_json()).unwrap();
    let rule = &config.rules[0];
    assert_eq!(rule.show, Show::Prompt("automate-invoices".into()));
    assert_eq!(rule.holdout, 0.1);
    assert_eq!(
        rule.goal,
        Some(Goal::Feature(FeatureGoal {
            feature: "workflow.automation".into(),
            within: Window::parse("14d").unwrap()
        }))
    );
    assert_eq!(rule.frequency.max_shows, Some(3));
    let Condition::All(AllCondition { all }) = &rule.when else { panic!("{:?}", rule.when) };
    let Condition::Event(event) = &all[0] else { panic!() };
    assert_eq!(event.count.unwrap().bounds(), Some((5, None)));
    let tests: Vec<_> = event.filter.as_ref().unwrap().tests().iter().collect();
    assert_eq!(tests, [("manual", &ValueTest::Equals(Scalar::Bool(true)))]);
    let prompt = config.prompt("automate-invoices").unwrap();
    assert_eq!(prompt.title.resolve("ja", "en"), "請求書の承認を自動化しませんか？");
    assert_eq!(prompt.buttons[0].action, ButtonAction::Navigate("/automations.html".into()));
    assert!(config.features[0].activation);
    let automation = config.features.iter().find(|feature| feature.id == "workflow.automation").unwrap();
    assert_eq!(
        automation.entry_point,
        Some(EntryPoint::Selector(SelectorEntryPoint { selector: "#new-automation".into() }))
    );
}

#[test]
fn every_condition_kind_decodes() {
    let when = json!({"all": [
        {"event": "invoice.approved", "where": {"amount": {"gte": 1000}, "vendor": {"in": ["Acme"]}}, "count": {"lte": 2}, "within": "1d"},
        {"sequence": ["invoice.opened", {"event": "invoice.approved", "where": {"manual": true}}], "gap": "10m", "count": {"gte": 5}, "within": "7d"},
        {"feature": "workflow.automation", "used": false, "within": "90d"},
        {"page": "/invoices/*"},
        {"element": "#new-automation"},
        {"trait": "role", "in": ["admin", "approver"]},
        {"account_trait": "seats", "gte": 10},
        {"trait": "signed_up_at", "before": "-30d"},
        {"tenure_days": {"gte": 30}},
        {"level": {"gte": 2}},
        {"recency": ["active", "at_risk"]},
        {"depth": {"lt": 0.3}},
        {"barrier": {"feature": "workflow.automation", "is": "unaware"}},
        {"any": [{"not": {"recency": "dormant"}}, {"trait": "beta", "eq": true}]}
    ]});
    let config = Config::from_json(&with_rule(when)).unwrap();
    let Condition::All(AllCondition { all }) = &config.rules[0].when else { panic!() };
    assert_eq!(all.len(), 14);
    assert!(
        matches!(&all[1], Condition::Sequence(sequence) if sequence.sequence.len() == 2 && sequence.gap == Window::parse("10m").ok())
    );
    assert!(matches!(&all[6], Condition::AccountTrait(t) if t.test.gte == Some(10.0)));
    assert!(matches!(&all[12], Condition::Barrier(b) if b.barrier.is == OneOrMany::One(Barrier::Unaware)));
}

#[test]
fn a_wrong_type_names_its_path_and_what_was_found() {
    let mut config = demo_config_json();
    config["rules"][0]["when"]["all"][0]["count"]["gte"] = json!("five");
    assert_eq!(
        errors_of(config),
        ["rules[0].when.all[0].count.gte: expected a whole number from 0 to 1000, found \"five\""]
    );
}

#[test]
fn all_errors_are_reported_at_once() {
    let mut config = demo_config_json();
    config["features"][1]["events"] = json!("invoice.opened");
    config["rules"][0]["when"]["all"][0]["within"] = json!("7 days");
    config["rules"][0]["when"]["all"][1]["used"] = json!("no");
    config["prompts"][0]["buttons"][0]["action"] = json!({"navigate": "javascript:alert(1)"});
    config["prompts"][0]["colour"] = json!("red");
    assert_eq!(
        errors_of(config),
        [
            "features[1].events: expected a list of events, found \"invoice.opened\"",
            "rules[0].when.all[0].within: expected a window such as \"30m\", \"12h\" or \"7d\" (1m to 400d), found \"7 days\"",
            "rules[0].when.all[1].used: expected true or false, found \"no\"",
            "prompts[0].colour: unknown field \"colour\"; expected one of: id, title, body, buttons, display",
            "prompts[0].buttons[0].action.navigate: expected an http, https or relative URL, found \"javascript:alert(1)\"",
        ]
    );
}

#[test]
fn missing_fields_are_named() {
    assert_eq!(errors_of(json!({})), ["missing field \"version\""]);
    let mut config = demo_config_json();
    config["rules"][0].as_object_mut().unwrap().remove("show");
    assert_eq!(errors_of(config), ["rules[0]: missing field \"show\""]);
}

#[test]
fn only_format_version_1_is_read() {
    let mut config = demo_config_json();
    config["version"] = json!(2);
    assert_eq!(errors_of(config), ["version: expected 1, the config format version, found 2"]);
}

#[test]
fn references_to_unknown_ids_name_the_id() {
    let mut config = demo_config_json();
    config["rules"][0]["show"]["prompt"] = json!("automate-invoice");
    config["rules"][0]["when"]["all"][1]["feature"] = json!("workflow.automations");
    config["rules"][0]["goal"]["feature"] = json!("reports.print");
    config["checklists"].as_array_mut().unwrap().push(json!({"id": "start", "title": "Get started", "items": [{"id": "a", "label": "A", "feature": "invoices.approve", "tour": "welcome"}]}));
    assert_eq!(
        errors_of(config),
        [
            "rules[0].when.all[1].feature: no feature has the id \"workflow.automations\"",
            "rules[0].show.prompt: no prompt has the id \"automate-invoice\"",
            "rules[0].goal.feature: no feature has the id \"reports.print\"",
            "checklists[1].items[0].tour: no tour has the id \"welcome\"",
        ]
    );
}

#[test]
fn duplicate_ids_point_at_the_first_use() {
    let mut config = demo_config_json();
    config["features"][1]["id"] = json!("invoices.approve");
    config["checklists"] = json!([{"id": "start", "title": "Go", "items": [
        {"id": "a", "label": "A", "feature": "invoices.approve"},
        {"id": "a", "label": "B", "feature": "invoices.approve"}
    ]}]);
    let errors = errors_of(config);
    assert!(
        errors.contains(&"features[1].id: duplicate id \"invoices.approve\" (first used at features[0].id)".to_owned()),
        "{errors:?}"
    );
    assert!(
        errors.contains(
            &"checklists[0].items[1].id: duplicate id \"a\" (first used at checklists[0].items[0].id)".to_owned()
        ),
        "{errors:?}"
    );
}

#[test]
fn bad_globs_windows_and_selectors_are_refused() {
    assert_eq!(
        errors_of(with_rule(json!({"page": "invoices/*"}))),
        ["rules[0].when.page: expected a path glob starting with \"/\", such as \"/invoices/*\", found \"invoices/*\""]
    );
    assert_eq!(errors_of(with_rule(json!({"page": "/a/***"}))).len(), 1);
    assert_eq!(
        errors_of(with_rule(json!({"event": "x", "within": "401d"}))),
        ["rules[0].when.within: expected a window such as \"30m\", \"12h\" or \"7d\" (1m to 400d), found \"401d\""]
    );
    assert_eq!(
        errors_of(with_rule(json!({"element": ""}))),
        ["rules[0].when.element: expected a CSS selector such as \"#new-automation\", found \"\""]
    );
    assert_eq!(
        errors_of(with_rule(json!({"sequence": ["a"]}))),
        ["rules[0].when.sequence: expected a list of 2 to 8 events, found an array"]
    );
}

#[test]
fn rules_that_can_never_show_are_refused() {
    let contradiction = json!({"all": [{"feature": "workflow.automation", "used": false}, {"feature": "workflow.automation", "used": true}]});
    assert_eq!(
        errors_of(with_rule(contradiction)),
        ["rules[0].when.all[1]: this rule can never show: it contradicts rules[0].when.all[0]"]
    );
    let negation = json!({"all": [{"event": "x"}, {"not": {"event": "x"}}]});
    assert_eq!(
        errors_of(with_rule(negation)),
        ["rules[0].when.all[1]: this rule can never show: it contradicts rules[0].when.all[0]"]
    );
    assert_eq!(
        errors_of(with_rule(json!({"level": {"gt": 5}}))),
        ["rules[0].when: this rule can never show: levels go from 0 to 5"]
    );
    assert_eq!(
        errors_of(with_rule(json!({"not": {"level": {"gte": 0}}}))),
        ["rules[0].when: this rule can never show: it negates a condition that always holds"]
    );
    assert_eq!(
        errors_of(with_rule(json!({"depth": {"gt": 1}}))),
        ["rules[0].when.depth: expected a comparison that some depth from 0 to 1 can meet, found an object"]
    );
    let mut audience = demo_config_json();
    audience["rules"][0]["audience"] = json!({"not": {"all": [{"event": "invoice.approved", "where": {"manual": true}, "count": {"gte": 5}, "within": "7d"}, {"feature": "workflow.automation", "used": false}]}});
    assert_eq!(errors_of(audience), ["rules[0].audience: this rule can never show: it contradicts rules[0].when"]);
    let mut holdout = demo_config_json();
    holdout["rules"][0]["holdout"] = json!(1);
    assert_eq!(errors_of(holdout).len(), 1);
}

#[test]
fn a_condition_must_say_what_it_tests() {
    let errors = errors_of(with_rule(json!({"events": "x"})));
    assert_eq!(errors.len(), 1);
    assert!(errors[0].starts_with("rules[0].when: expected a condition: an object with one of \"all\""), "{errors:?}");
    assert_eq!(
        errors_of(with_rule(json!({"any": []}))),
        ["rules[0].when.any: expected at least one condition, found an array"]
    );
}

#[test]
fn prompts_have_at_most_two_buttons_and_text_that_is_not_blank() {
    let mut config = demo_config_json();
    config["prompts"][0]["buttons"] = json!([{"label": "a"}, {"label": "b"}, {"label": "c"}]);
    config["prompts"][0]["title"] = json!({"en": "  "});
    assert_eq!(
        errors_of(config),
        [
            "prompts[0].title.en: expected a non-blank text, found \"  \"",
            "prompts[0].buttons: at most 2 buttons allowed, found 3"
        ]
    );
}

#[test]
fn settings_have_documented_defaults_and_bounds() {
    let config = Config::from_json(&json!({"version": 1})).unwrap();
    assert_eq!(config.settings.throttle, Throttle { per_page_view: 1, per_day: 3 });
    assert_eq!(config.settings.day_offset_minutes, 0);
    assert_eq!(config.settings.default_locale, "en");
    assert_eq!(config.settings.model, ModelSettings::default());
    assert_eq!(config.settings.model.power_depth, 0.7);
    assert_eq!(
        errors_of(
            json!({"version": 1, "settings": {"day_offset_minutes": 900, "model": {"advanced_depth": 2}, "theme": {"accent": "red; x: url(y)"}}})
        ),
        [
            "settings.day_offset_minutes: expected a whole number of minutes from -840 to 840, found 900",
            "settings.theme.accent: expected a CSS value such as \"#1d4ed8\" or \"12px\" (no ; { } quotes or url()), found \"red; x: url(y)\"",
            "settings.model.advanced_depth: expected a share from 0 to 1, found 2",
        ]
    );
}

#[test]
fn tours_checklists_and_surveys_decode_and_are_checked() {
    let mut config = demo_config_json();
    let tour = json!({"id": "welcome", "steps": [
        {"target": "#invoices", "title": "Your invoices", "placement": "bottom"},
        {"target": "#new-automation", "title": "Automate", "advance": "click", "missing_target": {"wait": "5s", "then": "centered"}},
        {"title": "Done", "advance": {"page": "/automations.html"}}
    ], "spotlight": true});
    config["tours"] = json!([tour]);
    config["checklists"] = json!([{"id": "get-started", "title": {"en": "Get started"}, "items": [{"id": "approve", "label": "Approve an invoice", "feature": "invoices.approve", "tour": "welcome"}]}]);
    config["prompts"][1]["buttons"][0]["action"] = json!({"tour": "welcome"});
    config["rules"]
        .as_array_mut()
        .unwrap()
        .retain(|rule| !rule["show"]["tour"].is_string() && !rule["show"]["survey"].is_string());
    config["surveys"] =
        json!([{"id": "nps", "kind": "nps", "question": "How likely...?", "follow_up": "What would make it better?"}]);
    let decoded = Config::from_json(&config).unwrap();
    assert_eq!(decoded.tours[0].steps[1].missing_target.unwrap().then, MissingThen::Centered);
    assert_eq!(decoded.tours[0].missing_target, MissingTarget::default());
    config["tours"][0]["steps"][0]["advance"] = json!("click");
    config["tours"][0]["steps"][0].as_object_mut().unwrap().remove("target");
    config["surveys"][0]["choices"] = json!(["a", "b"]);
    assert_eq!(
        errors_of(config),
        [
            "tours[0].steps[0]: expected a \"target\" for a step that advances on a click on it, found an object",
            "surveys[0]: expected no \"choices\": NPS and CSAT surveys have their own scale, found an object",
        ]
    );
}

#[test]
fn syntax_errors_give_line_and_column() {
    let errors = Config::from_json_text("{\n  \"version\": 1,\n  \"rules\": [,]\n}").unwrap_err();
    assert_eq!(errors.to_string(), "invalid JSON at line 3, column 13: expected value");
}

/// The decoder and the serde shape (from which the schema is generated) agree on these.
#[test]
fn the_decoder_agrees_with_the_serde_shape() {
    let valid = [demo_config_json(), with_rule(json!({"sequence": ["a", "b"], "count": {"eq": 2}, "within": "1d"}))];
    for config in valid {
        let decoded = Config::from_json(&config).unwrap();
        let via_serde: Config = serde_json::from_value(config.clone()).unwrap();
        assert_eq!(decoded, via_serde);
        let written = serde_json::to_value(&decoded).unwrap();
        assert_eq!(Config::from_json(&written).unwrap(), decoded, "what serde writes decodes the same");
    }
    let invalid = [
        json!({"version": 1, "extra": true}),
        with_rule(json!({"event": "x", "cout": 5})),
        json!({"version": 1, "rules": "none"}),
    ];
    for config in invalid {
        assert!(Config::from_json(&config).is_err());
        assert!(serde_json::from_value::<Config>(config).is_err());
    }
}
