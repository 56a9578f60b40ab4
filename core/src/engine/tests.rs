//! The engine driven as the SDK drives it, on a simulated clock over simulated days: the invoice
//! scenario end to end, frequency limits, the holdout and goals, entry points on the page,
//! identity changes, and what happens before a config arrives.

use serde_json::json;

use super::*;
use crate::config::Barrier;
use crate::json_writer::serde_float;
use crate::model::FrequencyClass;
use crate::outbox::{Delivery, OutgoingBatch};

const MINUTE: i64 = 60_000;
const DAY: i64 = 86_400_000;

fn at(minutes: i64) -> Timestamp {
    Timestamp::from_millis(1_795_000_000_000 + minutes * MINUTE)
}

fn on_day(day: i64, minutes: i64) -> Timestamp {
    Timestamp::from_millis(1_795_000_000_000 + day * DAY + minutes * MINUTE)
}

pub(super) fn options() -> EngineOptions {
    EngineOptions {
        write_key: Some("dev".into()),
        outbox: OutboxSettings::default(),
        seed: [7; 32],
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
    }
}

/// The demo config with only its "automate invoice approval?" rule and prompt: the story these
/// tests follow. (Its other experiences are tested in `experience_tests`.)
fn demo_config() -> Config {
    let mut json: Value = serde_json::from_str(include_str!("../../../www/uptake.config.json")).unwrap();
    json["rules"].as_array_mut().unwrap().retain(|rule| rule["id"] == "automate-approvals");
    json["prompts"].as_array_mut().unwrap().retain(|prompt| prompt["id"] == "automate-invoices");
    json["features"].as_array_mut().unwrap().retain(|feature| feature["id"] != "reports.export");
    for kind in ["tours", "checklists", "surveys"] {
        json.as_object_mut().unwrap().remove(kind);
    }
    json["settings"]["throttle"]["per_page_view"] = json!(1);
    Config::from_json(&json).unwrap()
}

/// The page loaded again at `now`: a new engine with the user's stored state.
fn reloaded(engine: &Engine, user: &str, now: Timestamp) -> Engine {
    let stored = UserState::parse(&engine.state().to_text(serde_float)).unwrap();
    let mut reloaded = Engine::new(EngineOptions { user_id: Some(user.into()), ..options() });
    reloaded.absorb_others(stored, now);
    reloaded.load_config(demo_config(), now);
    reloaded.page(None, Map::new(), now);
    reloaded
}

/// An engine for `user`, with the demo config, in its first page view.
fn engine_for(user: &str) -> Engine {
    let mut engine = Engine::new(options());
    engine.identify(user, json!({"role": "admin"}).as_object().unwrap().clone(), at(0)).unwrap();
    engine.load_config(demo_config(), at(0));
    engine.page(None, Map::new(), at(0));
    engine
}

fn props(value: serde_json::Value) -> Map<String, Value> {
    value.as_object().unwrap().clone()
}

fn approve(engine: &mut Engine, invoice: u32, now: Timestamp) -> Option<Decision> {
    let properties = props(json!({"invoice_id": format!("INV-{invoice}"), "manual": true}));
    engine.track("invoice.approved", properties, now).unwrap()
}

fn rule_reference(rule: &str) -> ExperienceRef {
    ExperienceRef {
        rule_id: Some(rule.into()),
        kind: ExperienceKind::Prompt,
        id: "automate-invoices".into(),
        preview: false,
    }
}

fn shown_prompt(decision: Option<Decision>) -> Option<String> {
    match decision?.experience {
        Experience::Prompt(prompt) => Some(prompt.id),
        other => panic!("expected a prompt, got {other:?}"),
    }
}

/// The events a batch body carries.
pub(super) fn batch_of(outgoing: &OutgoingBatch) -> Vec<Event> {
    let mut body: Value = serde_json::from_str(&outgoing.body).expect("the outbox sends JSON");
    serde_json::from_value(body["batch"].take()).expect("a batch is a list of events")
}

/// Every event queued, sent and stored.
pub(super) fn sent_events(engine: &mut Engine, now: Timestamp) -> Vec<Event> {
    let mut events = Vec::new();
    while let Some(outgoing) = engine.transmit_now(now) {
        events.extend(batch_of(&outgoing));
        engine.handle_delivery(outgoing.id, Delivery::Accepted { refused: Vec::new() }, now);
    }
    events
}

fn named<'e>(events: &'e [Event], name: &str) -> Vec<&'e Event> {
    events.iter().filter(|event| event.event.as_deref() == Some(name)).collect()
}

#[test]
fn five_manual_approvals_bring_the_automation_prompt_once_per_page_view() {
    let mut engine = engine_for("u-42");
    for invoice in 1..=4 {
        assert_eq!(shown_prompt(approve(&mut engine, invoice, at(i64::from(invoice)))), None, "approval {invoice}");
    }
    let automatic = props(json!({"invoice_id": "INV-9", "manual": false}));
    assert!(engine.track("invoice.approved", automatic, at(5)).unwrap().is_none(), "not a manual approval");
    let decision = approve(&mut engine, 5, at(6)).expect("the fifth manual approval brings the prompt");
    assert_eq!(decision.reference.rule_id.as_deref(), Some("automate-approvals"));
    let reference = decision.reference.clone();
    assert_eq!(shown_prompt(Some(decision)), Some("automate-invoices".into()));
    assert!(approve(&mut engine, 6, at(7)).is_none(), "one prompt per page view");

    engine.experience_closed(&reference, Outcome::Dismissed, at(8));
    assert!(engine.page(None, Map::new(), on_day(2, 0)).is_none(), "a dismissal is remembered");

    let events = sent_events(&mut engine, at(10));
    assert_eq!(named(&events, "invoice.approved").len(), 7);
    let shown = named(&events, sdk_events::EXPERIENCE_SHOWN);
    assert_eq!(shown.len(), 1);
    assert_eq!(shown[0].properties["variant"], "treatment", "the rule has a holdout");
    assert_eq!(named(&events, sdk_events::EXPERIENCE_DISMISSED).len(), 1);
}

#[test]
fn frequency_limits_hold_across_simulated_days() {
    // max_shows 3, at least a day apart; ignored (not dismissed), it comes back.
    let mut engine = engine_for("u-42");
    for invoice in 1..=5 {
        approve(&mut engine, invoice, at(i64::from(invoice)));
    }
    assert_eq!(engine.rule_exposure("automate-approvals").unwrap().shows, 1);
    // The user leaves the page without closing the prompt, and comes back.
    let mut engine = reloaded(&engine, "u-42", at(60));
    assert!(engine.evaluate(at(60)).is_none(), "less than a day later");
    assert!(engine.page(None, Map::new(), on_day(1, 4)).is_none(), "a day after 00:05 is 00:05");
    for invoice in 6..=10 {
        approve(&mut engine, invoice, on_day(1, 5 + i64::from(invoice)));
    }
    assert_eq!(engine.rule_exposure("automate-approvals").unwrap().shows, 2, "shown again after a day");
    let mut engine = reloaded(&engine, "u-42", on_day(2, 30));
    for invoice in 11..=15 {
        approve(&mut engine, invoice, on_day(2, 30 + i64::from(invoice)));
    }
    assert_eq!(engine.rule_exposure("automate-approvals").unwrap().shows, 3);
    let mut engine = reloaded(&engine, "u-42", on_day(4, 0));
    for invoice in 16..=20 {
        engine.page(None, Map::new(), on_day(4, i64::from(invoice)));
        approve(&mut engine, invoice, on_day(4, 30 + i64::from(invoice)));
    }
    assert_eq!(engine.rule_exposure("automate-approvals").unwrap().shows, 3, "at most three shows");
}

#[test]
fn the_daily_throttle_counts_every_rule() {
    let mut config = demo_config();
    config.settings.throttle.per_day = 1;
    let mut second = config.rules[0].clone();
    second.id = "another".into();
    second.holdout = 0.0;
    config.rules.push(second);
    let mut engine = Engine::new(options());
    engine.identify("u-42", Map::new(), at(0)).unwrap();
    engine.load_config(config, at(0));
    for invoice in 1..=5 {
        approve(&mut engine, invoice, at(i64::from(invoice)));
    }
    engine.experience_closed(&rule_reference("automate-approvals"), Outcome::Dismissed, at(6));
    assert!(engine.page(None, Map::new(), at(7)).is_none(), "one a day, whichever rule");
    assert!(engine.page(None, Map::new(), on_day(1, 0)).is_some(), "the other rule, the next day");
}

#[test]
fn the_holdout_is_never_shown_but_its_moment_and_goal_are_measured() {
    // u-1 hashes into the 10% holdout of "automate-approvals"; u-42 into its treatment.
    let mut control = engine_for("u-1");
    for invoice in 1..=5 {
        assert!(approve(&mut control, invoice, at(i64::from(invoice))).is_none(), "never shown");
    }
    let exposure = control.rule_exposure("automate-approvals").unwrap();
    assert_eq!((exposure.shows, exposure.variant), (0, Some(Variant::Holdout)));
    assert_eq!(exposure.first_exposed_at, Some(at(5)));
    approve(&mut control, 6, on_day(1, 0));
    control.page(None, Map::new(), on_day(1, 1));
    control.track("automation.created", Map::new(), on_day(3, 0)).unwrap();
    let events = sent_events(&mut control, on_day(3, 1));
    let held_out = named(&events, sdk_events::EXPERIENCE_HELD_OUT);
    assert_eq!(held_out.len(), 1, "the eligible moment, once");
    assert_eq!(held_out[0].properties["variant"], "holdout");
    let goals = named(&events, sdk_events::GOAL_REACHED);
    assert_eq!(goals.len(), 1);
    assert_eq!(goals[0].properties["variant"], "holdout");
    assert_eq!(goals[0].properties["seconds_since_exposure"], json!((3 * DAY - 5 * MINUTE) / 1000));
    assert!(named(&events, sdk_events::EXPERIENCE_SHOWN).is_empty());
}

#[test]
fn a_goal_reached_within_its_window_is_recorded_once_and_ends_the_rule() {
    let mut engine = engine_for("u-42");
    for invoice in 1..=5 {
        approve(&mut engine, invoice, at(i64::from(invoice)));
    }
    engine.track(sdk_events::FEATURE_USED, props(json!({"feature": "workflow.automation"})), on_day(13, 0)).unwrap();
    engine.track("automation.created", Map::new(), on_day(13, 1)).unwrap();
    let exposure = engine.rule_exposure("automate-approvals").unwrap();
    assert_eq!(exposure.goal_reached_at, Some(on_day(13, 0)));
    let events = sent_events(&mut engine, on_day(13, 2));
    let goals = named(&events, sdk_events::GOAL_REACHED);
    assert_eq!(goals.len(), 1);
    assert_eq!(goals[0].properties["rule_id"], "automate-approvals");
    assert_eq!(goals[0].properties["experience_id"], "automate-invoices");
    assert_eq!(goals[0].properties["variant"], "treatment");
}

#[test]
fn a_goal_after_its_window_does_not_count() {
    let mut engine = engine_for("u-42");
    for invoice in 1..=5 {
        approve(&mut engine, invoice, at(i64::from(invoice)));
    }
    engine.track("automation.created", Map::new(), on_day(14, 6)).unwrap();
    assert_eq!(engine.rule_exposure("automate-approvals").unwrap().goal_reached_at, None);
}

#[test]
fn using_the_feature_before_the_prompt_stops_it() {
    let mut engine = engine_for("u-42");
    engine.track(sdk_events::FEATURE_USED, props(json!({"feature": "workflow.automation"})), at(0)).unwrap();
    for invoice in 1..=5 {
        assert!(approve(&mut engine, invoice, at(i64::from(invoice))).is_none());
    }
    assert_eq!(engine.feature_usage("workflow.automation").unwrap().count, 1);
}

#[test]
fn dormant_users_are_not_in_the_audience() {
    let mut engine = engine_for("u-42");
    for invoice in 1..=4 {
        approve(&mut engine, invoice, at(i64::from(invoice)));
    }
    // Active again after 40 days: recency is computed before this approval counts... and after.
    let decision = approve(&mut engine, 5, on_day(40, 0));
    assert!(decision.is_none(), "4 of the 5 approvals are older than 7 days");
    assert_eq!(engine.metrics(on_day(40, 0)).unwrap().recency, crate::config::RecencyClass::Active);
    assert_eq!(engine.metrics(on_day(80, 0)).unwrap().recency, crate::config::RecencyClass::Dormant);
}

#[test]
fn an_entry_point_seen_on_the_page_is_recorded() {
    let mut engine = engine_for("u-42");
    assert_eq!(engine.selectors(), ["#new-automation"]);
    assert!(engine.set_elements(&[true], at(1)).is_none());
    assert_eq!(engine.state().features.get("workflow.automation").unwrap().entry_seen_at, Some(at(1)));
    assert!(engine.set_elements(&[true, false], at(2)).is_none(), "a list of the wrong length is ignored");
}

/// `demo_config` with a feature whose entry point is an event: opening the reports.
fn config_with_an_event_entry_point() -> Config {
    let mut json = serde_json::to_value(demo_config()).unwrap();
    json["features"].as_array_mut().unwrap().push(json!({
        "id": "reports.export",
        "name": "Export a report",
        "events": ["report.exported"],
        "entry_point": {"event": "reports.opened"}
    }));
    Config::from_json(&json).unwrap()
}

#[test]
fn an_entry_point_first_seen_on_the_page_is_sent_once_per_user() {
    let mut engine = Engine::new(options());
    engine.identify("u-42", Map::new(), at(0)).unwrap();
    engine.load_config(config_with_an_event_entry_point(), at(0));
    assert_eq!(engine.selectors(), ["#new-automation"]);
    engine.set_elements(&[true], at(1));
    engine.set_elements(&[false], at(2));
    engine.set_elements(&[true], at(3));
    engine.track("reports.opened", Map::new(), at(4)).unwrap();
    assert_eq!(engine.state().features.get("reports.export").unwrap().entry_seen_at, Some(at(4)));
    let events = sent_events(&mut engine, at(5));
    let seen = named(&events, sdk_events::FEATURE_ENTRY_SEEN);
    assert_eq!(seen.len(), 1, "a second sighting sends nothing; an entry event is its own record: {seen:?}");
    assert_eq!(seen[0].properties, props(json!({"feature": "workflow.automation"})));
    assert_eq!((seen[0].timestamp, seen[0].user_id.as_deref()), (at(1), Some("u-42")));

    // A later page (or another tab) of the same user, whose state has the sighting.
    let mut next_page = reloaded(&engine, "u-42", on_day(1, 0));
    next_page.set_elements(&[true], on_day(1, 1));
    assert!(named(&sent_events(&mut next_page, on_day(1, 2)), sdk_events::FEATURE_ENTRY_SEEN).is_empty());
    // Another user sees it for the first time.
    let mut other_user = engine_for("u-7");
    other_user.set_elements(&[true], at(1));
    assert_eq!(named(&sent_events(&mut other_user, at(2)), sdk_events::FEATURE_ENTRY_SEEN).len(), 1);
}

#[test]
fn feature_figures_are_the_model_as_of_now_by_the_config_settings() {
    let mut config = demo_config();
    config.settings.day_offset_minutes = 60;
    let mut engine = Engine::new(options());
    engine.identify("u-42", Map::new(), at(0)).unwrap();
    engine.load_config(config.clone(), at(0));
    let figures = |engine: &Engine, now: Timestamp| {
        let figures = engine.feature_figures("workflow.automation", now).unwrap();
        (figures.frequency, figures.barrier)
    };
    assert!(engine.feature_figures("nowhere", at(0)).is_none(), "neither in the catalog nor recorded");
    assert_eq!(figures(&engine, at(0)), (FrequencyClass::Never, Barrier::Unaware), "in the catalog, not met yet");
    engine.set_elements(&[true], at(1));
    assert_eq!(figures(&engine, at(1)), (FrequencyClass::Never, Barrier::Stuck));
    // Used at 11:06 UTC on day 0: the config's day starts at 01:00 UTC.
    engine.track("automation.created", Map::new(), at(2)).unwrap();
    let used = engine.feature_figures("workflow.automation", at(3)).unwrap();
    assert_eq!((used.frequency, used.barrier), (FrequencyClass::Monthly, Barrier::None));
    assert_eq!((used.usage.count, used.usage.entry_seen_at), (1, Some(at(1))));
    // 23:36 UTC on day 27 is day 28 of the config: the use is 28 days old, out of the 4 weeks.
    let late_on_day_27 = on_day(27, 12 * 60 + 30);
    assert_eq!(figures(&engine, on_day(27, 0)), (FrequencyClass::Monthly, Barrier::None));
    assert_eq!(figures(&engine, late_on_day_27), (FrequencyClass::Lapsed, Barrier::None));
    // And 23:36 UTC on day 29, day 30 of the config: not used in the last 30 days.
    let late_on_day_29 = on_day(29, 12 * 60 + 30);
    assert_eq!(figures(&engine, late_on_day_29), (FrequencyClass::Lapsed, Barrier::Unconvinced));

    // The config's model thresholds: one day of use in four weeks is daily.
    config.settings.model.daily_min_days = 1;
    engine.load_config(config, at(3));
    assert_eq!(figures(&engine, at(3)).0, FrequencyClass::Daily);

    // Before a config has loaded: the stored record, by the default settings (UTC days).
    let mut no_config = Engine::new(EngineOptions { user_id: Some("u-42".into()), ..options() });
    no_config.absorb_others(UserState::parse(&engine.state().to_text(serde_float)).unwrap(), at(3));
    assert_eq!(figures(&no_config, late_on_day_27), (FrequencyClass::Monthly, Barrier::None));
    assert_eq!(figures(&no_config, late_on_day_29), (FrequencyClass::Lapsed, Barrier::None));
    assert!(no_config.feature_figures("invoices.open", at(3)).is_none(), "no catalog yet, nothing recorded");
}

#[test]
fn events_tracked_before_the_config_arrives_are_recorded_when_it_does() {
    let mut engine = Engine::new(options());
    engine.identify("u-42", Map::new(), at(0)).unwrap();
    for invoice in 1..=5 {
        assert!(approve(&mut engine, invoice, at(i64::from(invoice))).is_none());
    }
    let decision = engine.load_config(demo_config(), at(6));
    assert_eq!(shown_prompt(decision), Some("automate-invoices".into()));
    assert_eq!(engine.feature_usage("invoices.approve").unwrap().count, 5);
}

#[test]
fn the_first_page_event_names_the_page_view_the_engine_started_in() {
    let mut config = demo_config();
    let mut second = config.rules[0].clone();
    second.id = "another".into();
    config.rules.push(second);
    let mut engine = Engine::new(options());
    engine.identify("u-42", Map::new(), at(0)).unwrap();
    for invoice in 1..=5 {
        approve(&mut engine, invoice, at(i64::from(invoice)));
    }
    // A cached config decides before the SDK tracks its first page view: still one page view.
    assert!(engine.load_config(config, at(6)).is_some());
    assert!(engine.page(None, Map::new(), at(6)).is_none(), "one prompt per page view");
    assert!(engine.page(None, Map::new(), at(7)).is_some(), "the next page view");
}

#[test]
fn kinds_the_caller_cannot_show_are_passed_over() {
    let mut engine = Engine::new(EngineOptions { renderable: vec![ExperienceKind::Tour], ..options() });
    engine.identify("u-42", Map::new(), at(0)).unwrap();
    engine.load_config(demo_config(), at(0));
    for invoice in 1..=5 {
        assert!(approve(&mut engine, invoice, at(i64::from(invoice))).is_none());
    }
    assert_eq!(engine.rule_exposure("automate-approvals").unwrap().shows, 0, "nothing pretended to be shown");
}

#[test]
fn every_event_carries_the_identity_and_a_unique_message_id() {
    let mut engine = Engine::new(options());
    engine.set_context(props(json!({"library": {"name": "uptake"}})));
    engine.identify("u-42", props(json!({"role": "admin"})), at(0)).unwrap();
    engine.group("acme", Map::new(), at(0)).unwrap();
    engine.track("invoice.opened", Map::new(), at(0)).unwrap();
    let batch = batch_of(&engine.transmit_now(at(1)).unwrap());
    let anonymous = engine.identity().anonymous_id.clone();
    assert_eq!(batch.len(), 3);
    for event in &batch {
        assert_eq!(event.user_id.as_deref(), Some("u-42"));
        assert_eq!(event.anonymous_id.as_deref(), Some(anonymous.as_str()));
        assert_eq!(event.context["library"]["name"], "uptake");
        event.check().unwrap();
    }
    assert!(batch[0].message_id < batch[1].message_id);
    assert_eq!(batch[1].group_id.as_deref(), Some("acme"));
}

#[test]
fn identifying_carries_the_anonymous_state_and_switching_user_hands_back_the_old_one() {
    let mut engine = Engine::new(options());
    engine.load_config(demo_config(), at(0));
    approve(&mut engine, 1, at(1));
    assert_eq!(engine.identify("u-1", Map::new(), at(2)), Ok(IdentifyOutcome::Identified));
    assert_eq!(engine.feature_usage("invoices.approve").unwrap().count, 1);
    assert_eq!(engine.identify("u-1", Map::new(), at(3)), Ok(IdentifyOutcome::SameUser));
    let Ok(IdentifyOutcome::SwitchedUser { previous_user, previous_state }) = engine.identify("u-2", Map::new(), at(4))
    else {
        panic!("expected a switch");
    };
    assert_eq!(previous_user, "u-1");
    assert_eq!(previous_state.features.get("invoices.approve").unwrap().count, 1);
    assert!(engine.feature_usage("invoices.approve").is_none());
    approve(&mut engine, 2, at(5));
    assert_eq!(engine.feature_usage("invoices.approve").unwrap().count, 1, "the new user's state works");
}

#[test]
fn bad_calls_are_refused_with_a_reason() {
    let mut engine = Engine::new(options());
    assert_eq!(engine.track("", Map::new(), at(0)), Err(CallError::EventName));
    assert_eq!(engine.track(&"x".repeat(201), Map::new(), at(0)), Err(CallError::EventName));
    assert_eq!(engine.identify("", Map::new(), at(0)), Err(CallError::UserId));
    assert_eq!(engine.group("", Map::new(), at(0)), Err(CallError::GroupId));
    assert_eq!(engine.pending_events(), 0);
}

#[test]
fn changed_state_and_identity_are_handed_out_once() {
    let mut engine = Engine::new(options());
    assert!(engine.take_changed_identity().is_some(), "a new anonymous id must be saved");
    assert!(engine.take_changed_identity().is_none());
    engine.load_config(demo_config(), at(0));
    approve(&mut engine, 1, at(1));
    let stored = engine.take_changed_part().unwrap().to_json();
    assert_eq!(stored["f"]["invoices.approve"]["n"], 1);
    assert!(engine.take_changed_part().is_none());
}

#[test]
fn a_stored_anonymous_id_is_kept() {
    let engine = Engine::new(EngineOptions { anonymous_id: Some("anon-1".into()), ..options() });
    assert_eq!(engine.identity().anonymous_id, "anon-1");
}
