//! Every condition kind, evaluated by a compiled program on an injected clock: window edges
//! (exactly N, N-1, an event at the window's border), `where`, sequences, features, pages,
//! elements, traits, tenure, the adoption model, negation; and which rules an event wakes.

use serde_json::{Map, Value, json};

use super::condition::Evaluation;
use super::*;
use crate::config::Config;

const MINUTE: i64 = 60_000;
const DAY: i64 = 86_400_000;
/// Midnight UTC of day 20000 (2024-10-04).
const T0: i64 = 20_000 * DAY;

fn at(millis: i64) -> Timestamp {
    Timestamp::from_millis(T0 + millis)
}

struct Harness {
    program: Program,
    state: UserState,
    slots: Slots,
    scratch: Scratch,
    traits: Map<String, Value>,
    account: Map<String, Value>,
    page: String,
    elements: Vec<bool>,
}

impl Harness {
    /// A program with the demo-like catalog and one rule per `when`.
    fn new(whens: &[Value]) -> Harness {
        let rules: Vec<Value> = whens
            .iter()
            .enumerate()
            .map(|(index, when)| json!({"id": format!("r{index}"), "when": when, "show": {"prompt": "p"}}))
            .collect();
        let config = json!({
            "version": 1,
            "features": [
                {"id": "approve", "name": "Approve", "events": ["invoice.approved"], "activation": true},
                {"id": "automation", "name": "Automation", "events": ["automation.created", {"event": "automation.edited", "where": {"saved": true}}],
                 "entry_point": {"selector": "#new-automation"}, "roles": ["admin"]},
                {"id": "reports", "name": "Reports", "events": ["report.exported"], "entry_point": {"event": "reports.opened"}}
            ],
            "rules": rules,
            "prompts": [{"id": "p", "title": "t"}]
        });
        let program = Program::compile(Config::from_json(&config).unwrap());
        let mut state = UserState::default();
        let slots = program.bind(&mut state, at(0));
        let elements = vec![false; program.selectors().len()];
        Harness {
            program,
            state,
            slots,
            scratch: Scratch::default(),
            traits: Map::new(),
            account: Map::new(),
            page: "/".into(),
            elements,
        }
    }

    fn record(&mut self, event: &str, properties: Value, when: Timestamp) {
        let properties = properties.as_object().cloned().unwrap_or_default();
        self.program.record_event(&mut self.state, &self.slots, event, &properties, None, when, &mut self.scratch);
    }

    fn holds_rule(&self, rule: usize, now: Timestamp) -> bool {
        let applicable: Vec<bool> = self
            .program
            .config()
            .features
            .iter()
            .map(|feature| crate::model::applies_to(feature, &self.traits, &self.account))
            .collect();
        let facts = Facts {
            now,
            page_path: &self.page,
            elements: &self.elements,
            traits: &self.traits,
            account_traits: &self.account,
            applicable: &applicable,
            subject: "u-1",
        };
        let evaluation = Evaluation::new(&self.program, &self.state, &self.slots, &facts);
        evaluation.holds(&self.program.rules[rule].when)
    }

    fn holds(&self, now: Timestamp) -> bool {
        self.holds_rule(0, now)
    }
}

#[test]
fn event_counts_within_a_window_including_its_edge() {
    let mut h = Harness::new(&[json!({"event": "invoice.approved", "count": {"gte": 3}, "within": "10m"})]);
    for minute in [0, 4, 9] {
        h.record("invoice.approved", json!({}), at(minute * MINUTE));
    }
    assert!(h.holds(at(9 * MINUTE)), "three in the window");
    assert!(h.holds(at(10 * MINUTE)), "the first is exactly at the window's start");
    assert!(!h.holds(at(10 * MINUTE + 1)), "the first has left the window");
}

#[test]
fn exactly_n_and_n_minus_one() {
    let mut h = Harness::new(&[json!({"event": "invoice.approved", "count": {"gte": 5}, "within": "7d"})]);
    for day in 0..4 {
        h.record("invoice.approved", json!({}), at(day * DAY));
    }
    assert!(!h.holds(at(4 * DAY)), "4 of 5");
    h.record("invoice.approved", json!({}), at(4 * DAY));
    assert!(h.holds(at(4 * DAY)), "5 of 5");
    assert!(h.holds(at(7 * DAY)), "the first, 7 days ago, is still in");
    assert!(!h.holds(at(7 * DAY + 1)));
}

#[test]
fn at_most_exactly_and_ever() {
    let mut h = Harness::new(&[
        json!({"event": "invoice.approved", "count": {"lte": 2}, "within": "1d"}),
        json!({"event": "invoice.approved", "count": {"eq": 1}}),
        json!({"event": "invoice.approved"}),
    ]);
    assert!(h.holds_rule(0, at(0)), "zero is at most two");
    assert!(!h.holds_rule(1, at(0)) && !h.holds_rule(2, at(0)));
    h.record("invoice.approved", json!({}), at(0));
    assert!(h.holds_rule(1, at(0)) && h.holds_rule(2, at(0)));
    h.record("invoice.approved", json!({}), at(1));
    h.record("invoice.approved", json!({}), at(2));
    assert!(!h.holds_rule(0, at(2)), "three in a day");
    assert!(!h.holds_rule(1, at(2)));
    assert!(h.holds_rule(0, at(DAY + 1)), "two have left the window");
    assert!(h.holds_rule(2, at(400 * DAY)), "at least once, ever");
}

#[test]
fn where_filters_count_only_matching_events() {
    let mut h = Harness::new(&[
        json!({"event": "invoice.approved", "where": {"manual": true, "amount": {"gte": 100}}, "count": {"gte": 2}}),
    ]);
    h.record("invoice.approved", json!({"manual": true, "amount": 50}), at(0));
    h.record("invoice.approved", json!({"manual": false, "amount": 500}), at(1));
    h.record("invoice.approved", json!({"manual": true, "amount": 500}), at(2));
    assert!(!h.holds(at(3)));
    h.record("invoice.approved", json!({"manual": true, "amount": 100}), at(4));
    assert!(h.holds(at(5)));
}

#[test]
fn sequences_in_order_within_a_gap_and_counted_in_a_window() {
    let mut h = Harness::new(&[
        json!({"sequence": ["report.opened", "report.exported"], "within": "10m"}),
        json!({"sequence": ["invoice.opened", "invoice.approved"], "gap": "10m", "count": {"gte": 2}, "within": "7d"}),
    ]);
    h.record("report.exported", json!({}), at(0));
    h.record("report.opened", json!({}), at(MINUTE));
    assert!(!h.holds_rule(0, at(MINUTE)), "the export came before the opening");
    h.record("report.exported", json!({}), at(5 * MINUTE));
    assert!(h.holds_rule(0, at(5 * MINUTE)));
    assert!(h.holds_rule(0, at(11 * MINUTE)), "the run started 10 minutes ago");
    assert!(!h.holds_rule(0, at(11 * MINUTE + 1)), "the run has left the window");

    // Two invoices opened, then both approved: two completions; one approved too late.
    h.record("invoice.opened", json!({"id": 1}), at(DAY));
    h.record("invoice.opened", json!({"id": 2}), at(DAY + MINUTE));
    h.record("invoice.approved", json!({"id": 1}), at(DAY + 2 * MINUTE));
    assert!(!h.holds_rule(1, at(DAY + 2 * MINUTE)), "one completion");
    h.record("invoice.approved", json!({"id": 2}), at(DAY + 3 * MINUTE));
    assert!(h.holds_rule(1, at(DAY + 3 * MINUTE)), "two completions");
    h.record("invoice.opened", json!({}), at(2 * DAY));
    h.record("invoice.approved", json!({}), at(2 * DAY + 11 * MINUTE));
    assert!(h.holds_rule(1, at(8 * DAY)), "the two within 7 days");
    assert!(!h.holds_rule(1, at(8 * DAY + 3 * MINUTE)), "the late approval did not complete a run");
}

#[test]
fn features_used_ever_or_within_a_window_including_filtered_events() {
    let mut h = Harness::new(&[
        json!({"feature": "automation", "used": true, "within": "2d"}),
        json!({"not": {"feature": "automation"}}),
    ]);
    assert!(h.holds_rule(1, at(0)));
    h.record("automation.edited", json!({"saved": false}), at(DAY));
    assert!(h.holds_rule(1, at(DAY)), "a draft is not a use");
    h.record("automation.edited", json!({"saved": true}), at(DAY));
    assert!(!h.holds_rule(1, at(DAY)));
    assert!(h.holds_rule(0, at(3 * DAY)));
    assert!(!h.holds_rule(0, at(3 * DAY + 1)));
}

#[test]
fn pages_and_elements() {
    let mut h = Harness::new(&[json!({"page": "/invoices/*"}), json!({"element": "#new-automation"})]);
    h.page = "/invoices/INV-7".into();
    assert!(h.holds_rule(0, at(0)));
    h.page = "/invoices/INV-7/edit".into();
    assert!(!h.holds_rule(0, at(0)));
    assert!(!h.holds_rule(1, at(0)));
    h.elements[0] = true;
    assert!(h.holds_rule(1, at(0)));
}

#[test]
fn traits_of_the_user_and_the_account_and_tenure() {
    let mut h = Harness::new(&[
        json!({"trait": "role", "in": ["admin", "approver"]}),
        json!({"account_trait": "seats", "gte": 10}),
        json!({"trait": "signed_up_at", "before": "-30d"}),
        json!({"tenure_days": {"gte": 30}}),
        json!({"trait": "beta", "exists": false}),
    ]);
    assert!(!h.holds_rule(0, at(0)) && !h.holds_rule(1, at(0)) && !h.holds_rule(3, at(0)));
    assert!(h.holds_rule(4, at(0)));
    let signed_up = crate::iso8601::format_timestamp(at(-31 * DAY));
    h.traits = json!({"role": "approver", "signed_up_at": signed_up, "beta": true}).as_object().unwrap().clone();
    h.account = json!({"seats": 12}).as_object().unwrap().clone();
    for rule in 0..4 {
        assert!(h.holds_rule(rule, at(0)), "rule {rule}");
    }
    assert!(!h.holds_rule(4, at(0)));
    let recent = crate::iso8601::format_timestamp(at(-29 * DAY));
    h.traits.insert("signed_up_at".into(), Value::from(recent));
    assert!(!h.holds_rule(2, at(0)) && !h.holds_rule(3, at(0)));
}

#[test]
fn level_recency_depth_and_barrier() {
    let mut h = Harness::new(&[
        json!({"level": {"gte": 1}}),
        json!({"recency": "new"}),
        json!({"recency": ["at_risk", "dormant"]}),
        json!({"depth": {"gte": 0.5}}),
        json!({"barrier": {"feature": "automation", "is": "unaware"}}),
        json!({"barrier": {"feature": "automation", "is": "stuck"}}),
        json!({"barrier": {"feature": "reports", "is": ["stuck", "unaware"]}}),
    ]);
    assert!(!h.holds_rule(0, at(0)) && h.holds_rule(1, at(0)) && h.holds_rule(4, at(0)) && h.holds_rule(6, at(0)));
    h.record("invoice.approved", json!({}), at(0));
    assert!(h.holds_rule(0, at(0)), "activated");
    assert!(!h.holds_rule(1, at(0)));
    assert!(h.holds_rule(2, at(7 * DAY)), "at risk a week later");
    // Automation applies to admins only: for a viewer, depth is 1 of 2 applicable features.
    h.traits = json!({"role": "viewer"}).as_object().unwrap().clone();
    assert!(h.holds_rule(3, at(DAY)));
    h.traits = json!({"role": "admin"}).as_object().unwrap().clone();
    assert!(!h.holds_rule(3, at(DAY)), "1 of 3");
    // Entry points: a selector seen on the page, an event tracked.
    let present = vec![true];
    h.program.record_elements(&mut h.state, &h.slots, &present, at(DAY), &mut h.scratch);
    assert_eq!(h.scratch.entries_seen, [1]);
    assert!(!h.holds_rule(4, at(DAY)) && h.holds_rule(5, at(DAY)), "stuck");
    h.record("reports.opened", json!({}), at(DAY));
    assert_eq!(h.scratch.entries_seen, [2]);
    assert!(h.holds_rule(6, at(DAY)));
    h.record("report.exported", json!({}), at(DAY));
    assert!(!h.holds_rule(6, at(DAY)), "used: no barrier");
}

#[test]
fn all_any_and_not_combine() {
    let mut h = Harness::new(&[json!({"any": [
        {"event": "invoice.approved", "count": {"gte": 2}},
        {"all": [{"feature": "approve"}, {"not": {"feature": "reports"}}, {"feature": "automation"}]}
    ]})]);
    h.record("invoice.approved", json!({}), at(0));
    assert!(!h.holds(at(0)));
    h.record("automation.created", json!({}), at(1));
    assert!(h.holds(at(1)), "approve and automation used, reports not");
}

#[test]
fn an_event_wakes_only_the_rules_it_concerns() {
    let mut h = Harness::new(&[
        json!({"event": "invoice.approved"}),
        json!({"feature": "automation"}),
        json!({"level": {"gte": 1}}),
        json!({"page": "/x"}),
        json!({"sequence": ["report.opened", "report.exported"]}),
        json!({"element": "#new-automation"}),
    ]);
    let woken = |h: &Harness| -> Vec<usize> {
        (0..h.program.rules.len()).filter(|rule| h.scratch.woken[rule / 64] & (1 << (rule % 64)) != 0).collect()
    };
    h.record("invoice.approved", json!({}), at(0));
    h.program.wake_for_event(&mut h.scratch);
    assert_eq!(woken(&h), [0, 2], "its own rule, and the model's (it is a use of a feature)");
    h.record("automation.created", json!({}), at(0));
    h.program.wake_for_event(&mut h.scratch);
    assert_eq!(woken(&h), [1, 2]);
    h.record("report.opened", json!({}), at(0));
    h.program.wake_for_event(&mut h.scratch);
    assert_eq!(woken(&h), [4], "a step of a sequence; not a use");
    h.record("unknown.event", json!({}), at(0));
    h.program.wake_for_event(&mut h.scratch);
    assert!(woken(&h).is_empty());
    h.program.wake_for_elements(&mut h.scratch);
    assert_eq!(woken(&h), [5]);
    h.program.wake_all(&mut h.scratch);
    assert_eq!(woken(&h).len(), 6);
}

#[test]
fn conditions_share_matchers_and_keep_the_history_they_need() {
    let h = Harness::new(&[
        json!({"event": "invoice.approved", "count": {"gte": 5}, "within": "7d"}),
        json!({"event": "invoice.approved", "count": {"lte": 9}, "within": "1d"}),
        json!({"event": "report.exported", "count": {"gte": 3}}),
        json!({"event": "invoice.approved", "where": {"manual": true}}),
    ]);
    let matcher = |key: &str| h.program.matchers.iter().position(|m| m.key == key).unwrap();
    let approved = matcher("invoice.approved");
    assert_eq!(h.program.history[approved], Some(EventRetention { keep_latest: 10, horizon: Duration::from_days(7) }));
    assert_eq!(h.program.history[matcher("report.exported")], Some(EventRetention::default()));
    assert!(h.program.matchers.iter().any(|m| m.key == "invoice.approved\u{1f}{\"manual\":true}"));
    assert_eq!(h.program.feature_uses[approved], [0], "the catalog's matcher is the condition's");
}

#[test]
fn binding_drops_histories_no_rule_counts_and_keeps_exposures() {
    let mut h = Harness::new(&[json!({"event": "invoice.approved", "within": "1d"})]);
    h.record("invoice.approved", json!({}), at(0));
    h.state.rules.get_mut("r0").unwrap().shows = 1;
    let other = Harness::new(&[json!({"event": "report.exported", "within": "1d"})]);
    let mut state = h.state.clone();
    let slots = other.program.bind(&mut state, at(1));
    assert!(state.histories.get("invoice.approved").is_none());
    assert!(state.histories.get("report.exported").is_some());
    assert_eq!(state.rules.get("r0").unwrap().shows, 1, "a rule's history outlives a config without it");
    assert_eq!(slots.features.len(), 3);
}
