//! Rule evaluation on an injected clock: window edges, counts, negation, priorities and the
//! throttles.

use serde_json::json;

use super::*;
use crate::exposure::PromptOutcome;
use crate::time::DayOffset;

const MINUTE: i64 = 60_000;
const DAY: i64 = 86_400_000;

fn at(millis: i64) -> Timestamp {
    Timestamp::from_millis(millis)
}

fn rule_set(rules: serde_json::Value) -> RuleSet {
    let prompts: Vec<_> = ["p1", "p2", "p3"].iter().map(|id| json!({"id": id, "title": "t"})).collect();
    let config = json!({
        "version": 1,
        "features": [
            {"id": "invoices.approve", "name": "Approve", "events": ["invoice.approved"]},
            {"id": "workflow.automation", "name": "Automation", "events": ["automation.created", "automation.edited"]}
        ],
        "rules": rules,
        "prompts": prompts
    });
    RuleSet::new(Config::from_json(&config).unwrap())
}

fn record(rules: &RuleSet, state: &mut UserState, event: &str, when: Timestamp) {
    if let Some(retention) = rules.retention(event) {
        state.usage.events.record(event, when, retention, when);
    }
    for feature in rules.features_for_event(event) {
        state.usage.record_feature_use(feature, when, DayOffset::default()).unwrap();
    }
}

fn holds(rules: &RuleSet, state: &UserState, now: Timestamp) -> bool {
    rules.holds(&rules.config().rules[0].when, state, now)
}

#[test]
fn counts_an_event_within_a_window_including_its_edge() {
    let rules = rule_set(
        json!([{"id": "r", "when": {"event": "invoice.approved", "count": {"gte": 3}, "within": "10m"}, "show": {"prompt": "p1"}}]),
    );
    let mut state = UserState::default();
    for minute in [0, 4, 9] {
        record(&rules, &mut state, "invoice.approved", at(minute * MINUTE));
    }
    assert!(holds(&rules, &state, at(9 * MINUTE)), "three in the window");
    assert!(holds(&rules, &state, at(10 * MINUTE)), "the first is exactly at the window's start");
    assert!(!holds(&rules, &state, at(10 * MINUTE + 1)), "the first has left the window");
}

#[test]
fn exactly_n_and_n_minus_one() {
    let rules = rule_set(
        json!([{"id": "r", "when": {"event": "invoice.approved", "count": {"gte": 5}, "within": "7d"}, "show": {"prompt": "p1"}}]),
    );
    let mut state = UserState::default();
    for index in 0..4 {
        record(&rules, &mut state, "invoice.approved", at(index * DAY));
    }
    assert!(!holds(&rules, &state, at(4 * DAY)), "4 of 5");
    record(&rules, &mut state, "invoice.approved", at(4 * DAY));
    assert!(holds(&rules, &state, at(4 * DAY)), "5 of 5");
}

#[test]
fn at_most_and_exactly_counts() {
    let rules = rule_set(json!([
        {"id": "r", "when": {"event": "invoice.approved", "count": {"lte": 2}, "within": "1d"}, "show": {"prompt": "p1"}},
        {"id": "s", "when": {"event": "invoice.approved", "count": {"eq": 1}}, "show": {"prompt": "p2"}}
    ]));
    let mut state = UserState::default();
    let at_most_two = &rules.config().rules[0].when;
    let exactly_once_ever = &rules.config().rules[1].when;
    assert!(rules.holds(at_most_two, &state, at(0)), "zero is at most two");
    assert!(!rules.holds(exactly_once_ever, &state, at(0)));
    record(&rules, &mut state, "invoice.approved", at(0));
    assert!(rules.holds(exactly_once_ever, &state, at(0)));
    record(&rules, &mut state, "invoice.approved", at(1));
    record(&rules, &mut state, "invoice.approved", at(2));
    assert!(!rules.holds(at_most_two, &state, at(2)));
    assert!(!rules.holds(exactly_once_ever, &state, at(2)));
    assert!(rules.holds(at_most_two, &state, at(DAY + 1)), "two have left the window");
}

#[test]
fn feature_use_ever_or_within_a_window_and_its_negation() {
    let rules = rule_set(json!([
        {"id": "r", "when": {"feature": "workflow.automation", "used": true, "within": "2d"}, "show": {"prompt": "p1"}},
        {"id": "s", "when": {"not": {"feature": "workflow.automation"}}, "show": {"prompt": "p2"}}
    ]));
    let used_recently = &rules.config().rules[0].when;
    let never_used = &rules.config().rules[1].when;
    let mut state = UserState::default();
    assert!(rules.holds(never_used, &state, at(0)));
    record(&rules, &mut state, "automation.edited", at(DAY));
    assert!(!rules.holds(never_used, &state, at(DAY)));
    assert!(rules.holds(used_recently, &state, at(3 * DAY)));
    assert!(!rules.holds(used_recently, &state, at(3 * DAY + 1)));
}

#[test]
fn any_and_all_combine() {
    let rules = rule_set(json!([{"id": "r", "when": {"any": [
        {"event": "invoice.approved", "count": {"gte": 2}},
        {"all": [{"feature": "invoices.approve"}, {"feature": "workflow.automation"}]}
    ]}, "show": {"prompt": "p1"}}]));
    let mut state = UserState::default();
    record(&rules, &mut state, "invoice.approved", at(0));
    assert!(!holds(&rules, &state, at(0)));
    record(&rules, &mut state, "automation.created", at(1));
    assert!(holds(&rules, &state, at(1)), "both features used");
}

#[test]
fn the_highest_priority_wins_and_ties_go_to_the_earlier_rule() {
    let rules = rule_set(json!([
        {"id": "low", "when": {"event": "invoice.approved"}, "show": {"prompt": "p1"}},
        {"id": "high", "when": {"event": "invoice.approved"}, "show": {"prompt": "p2"}, "priority": 5},
        {"id": "high-later", "when": {"event": "invoice.approved"}, "show": {"prompt": "p3"}, "priority": 5}
    ]));
    let mut state = UserState::default();
    record(&rules, &mut state, "invoice.approved", at(0));
    let limits = ShowLimits { shown_this_page_view: 0 };
    assert_eq!(rules.decide(&state, limits, at(0)).unwrap().id, "high");
    state.exposure.record_outcome("high", PromptOutcome::Dismissed, at(1));
    assert_eq!(rules.decide(&state, limits, at(1)).unwrap().id, "high-later");
}

#[test]
fn throttles_limit_shows_per_page_view_and_per_day() {
    let rules = rule_set(json!([{"id": "r", "when": {"event": "invoice.approved"}, "show": {"prompt": "p1"}}]));
    let mut state = UserState::default();
    record(&rules, &mut state, "invoice.approved", at(0));
    assert!(rules.decide(&state, ShowLimits { shown_this_page_view: 1 }, at(0)).is_none());
    let fresh_page = ShowLimits { shown_this_page_view: 0 };
    for _ in 0..3 {
        assert!(rules.decide(&state, fresh_page, at(DAY)).is_some());
        state.exposure.record_show("r", at(DAY), at(DAY).day(DayOffset::default()));
    }
    assert!(rules.decide(&state, fresh_page, at(DAY)).is_none(), "three a day");
    assert!(rules.decide(&state, fresh_page, at(2 * DAY)).is_some(), "a new day");
}

#[test]
fn the_rules_keep_only_the_history_they_need() {
    let rules = rule_set(json!([
        {"id": "r", "when": {"event": "invoice.approved", "count": {"gte": 5}, "within": "7d"}, "show": {"prompt": "p1"}},
        {"id": "s", "when": {"event": "invoice.approved", "count": {"lte": 9}, "within": "1d"}, "show": {"prompt": "p2"}},
        {"id": "t", "when": {"event": "report.exported", "count": {"gte": 3}}, "show": {"prompt": "p3"}}
    ]));
    assert_eq!(
        rules.retention("invoice.approved"),
        Some(EventRetention { keep_latest: 10, horizon: Duration::from_days(7) })
    );
    assert_eq!(rules.retention("report.exported"), Some(EventRetention::default()));
    assert_eq!(rules.retention("invoice.opened"), None);
    assert_eq!(rules.features_for_event("automation.created"), ["workflow.automation"]);
    assert!(rules.features_for_event("invoice.opened").is_empty());
}
