//! The engine driven as the SDK drives it, on a simulated clock: the invoice scenario end to
//! end, identity changes, and what happens before a config arrives.

use serde_json::json;

use super::*;
use crate::outbox::Delivery;
use crate::state::StoredUserState;

const MINUTE: i64 = 60_000;

fn at(minutes: i64) -> Timestamp {
    Timestamp::from_millis(1_795_000_000_000 + minutes * MINUTE)
}

fn engine() -> Engine {
    Engine::new(EngineOptions {
        write_key: Some("dev".into()),
        outbox: OutboxSettings::default(),
        seed: [7; 32],
        anonymous_id: None,
        user_id: None,
        traits: Map::new(),
    })
}

fn invoice_config() -> Config {
    Config::from_json_text(include_str!("../../../www/uptake.config.json")).unwrap()
}

fn approve(engine: &mut Engine, invoice: u32, now: Timestamp) -> Option<PromptToShow> {
    let properties = json!({"invoice_id": format!("INV-{invoice}"), "manual": true});
    engine.track("invoice.approved", properties.as_object().unwrap().clone(), now).unwrap()
}

fn sent_event_names(engine: &mut Engine, now: Timestamp) -> Vec<String> {
    let mut names = Vec::new();
    while let Some(outgoing) = engine.transmit_now(now) {
        for event in &outgoing.batch.batch {
            names.push(event.event.clone().unwrap_or_else(|| event.event_type.as_str().to_owned()));
        }
        engine.handle_delivery(outgoing.id, Delivery::Accepted, now);
    }
    names
}

#[test]
fn five_manual_approvals_bring_the_automation_prompt_once() {
    let mut engine = engine();
    assert!(engine.load_config(invoice_config(), at(0)).is_none());
    assert!(engine.page(None, Map::new(), at(0)).is_none());
    for invoice in 1..=4 {
        assert!(approve(&mut engine, invoice, at(i64::from(invoice))).is_none(), "approval {invoice}");
    }
    let shown = approve(&mut engine, 5, at(5)).expect("the fifth approval brings the prompt");
    assert_eq!(shown.rule_id, "suggest-automation");
    assert_eq!(shown.prompt.id, "automate-invoices");
    assert!(approve(&mut engine, 6, at(6)).is_none(), "one prompt per page view");

    engine.prompt_closed("suggest-automation", PromptOutcome::Dismissed, at(7));
    assert!(engine.page(None, Map::new(), at(8)).is_none(), "a dismissal is remembered");
    assert!(approve(&mut engine, 7, at(9)).is_none());

    let names = sent_event_names(&mut engine, at(10));
    assert_eq!(names.iter().filter(|name| *name == "invoice.approved").count(), 7);
    assert_eq!(names.iter().filter(|name| *name == sdk_events::EXPERIENCE_SHOWN).count(), 1);
    assert_eq!(names.iter().filter(|name| *name == sdk_events::EXPERIENCE_DISMISSED).count(), 1);
}

#[test]
fn the_first_page_event_names_the_page_view_the_engine_started_in() {
    let mut config = invoice_config();
    let mut second = config.rules[0].clone();
    second.id = "another".into();
    config.rules.push(second);
    let mut engine = engine();
    for invoice in 1..=5 {
        approve(&mut engine, invoice, at(i64::from(invoice)));
    }
    // A cached config decides before the SDK tracks its first page view: still one page view.
    assert!(engine.load_config(config, at(6)).is_some());
    assert!(engine.page(None, Map::new(), at(6)).is_none(), "one prompt per page view");
    assert!(engine.page(None, Map::new(), at(7)).is_some(), "the next page view");
}

#[test]
fn a_prompt_not_answered_comes_back_on_the_next_page_view() {
    let mut engine = engine();
    engine.load_config(invoice_config(), at(0));
    engine.page(None, Map::new(), at(0));
    for invoice in 1..=5 {
        approve(&mut engine, invoice, at(i64::from(invoice)));
    }
    assert!(engine.page(None, Map::new(), at(10)).is_some());
}

#[test]
fn using_the_feature_stops_the_prompt() {
    let mut engine = engine();
    engine.load_config(invoice_config(), at(0));
    engine
        .track(sdk_events::FEATURE_USED, json!({"feature": "workflow.automation"}).as_object().unwrap().clone(), at(0))
        .unwrap();
    for invoice in 1..=5 {
        assert!(approve(&mut engine, invoice, at(i64::from(invoice))).is_none());
    }
    assert_eq!(engine.state().usage.feature("workflow.automation").unwrap().count, 1);
}

#[test]
fn approvals_spread_over_more_than_a_week_do_not_count() {
    let mut engine = engine();
    engine.load_config(invoice_config(), at(0));
    for invoice in 1..=5 {
        let now = at(i64::from(invoice) * 2 * 24 * 60);
        engine.page(None, Map::new(), now);
        assert!(approve(&mut engine, invoice, now).is_none(), "approval {invoice}");
    }
}

#[test]
fn uses_tracked_before_the_config_arrives_are_applied_when_it_does() {
    let mut engine = engine();
    for invoice in 1..=5 {
        assert!(approve(&mut engine, invoice, at(i64::from(invoice))).is_none());
    }
    let shown = engine.load_config(invoice_config(), at(6));
    assert_eq!(shown.map(|shown| shown.prompt.id), Some("automate-invoices".to_owned()));
    assert_eq!(engine.state().usage.feature("invoices.approve").unwrap().count, 5);
}

#[test]
fn every_event_carries_the_identity_and_a_unique_message_id() {
    let mut engine = engine();
    engine.set_context(json!({"library": {"name": "uptake"}}).as_object().unwrap().clone());
    engine.identify("u-42", json!({"role": "admin"}).as_object().unwrap().clone(), at(0)).unwrap();
    engine.group("acme", Map::new(), at(0)).unwrap();
    engine.track("invoice.opened", Map::new(), at(0)).unwrap();
    let batch = engine.transmit_now(at(1)).unwrap().batch;
    let anonymous = engine.identity().anonymous_id.clone();
    assert_eq!(batch.batch.len(), 3);
    for event in &batch.batch {
        assert_eq!(event.user_id.as_deref(), Some("u-42"));
        assert_eq!(event.anonymous_id.as_deref(), Some(anonymous.as_str()));
        assert_eq!(event.context["library"]["name"], "uptake");
        event.check().unwrap();
    }
    assert!(batch.batch[0].message_id < batch.batch[1].message_id);
    assert_eq!(batch.batch[1].group_id.as_deref(), Some("acme"));
}

#[test]
fn identifying_carries_the_anonymous_state_and_switching_user_hands_back_the_old_one() {
    let mut engine = engine();
    engine.load_config(invoice_config(), at(0));
    approve(&mut engine, 1, at(1));
    assert_eq!(engine.identify("u-1", Map::new(), at(2)), Ok(IdentifyOutcome::Identified));
    assert_eq!(engine.state().usage.feature("invoices.approve").unwrap().count, 1);
    assert_eq!(engine.identify("u-1", Map::new(), at(3)), Ok(IdentifyOutcome::SameUser));
    let Ok(IdentifyOutcome::SwitchedUser { previous_user, previous_state }) = engine.identify("u-2", Map::new(), at(4))
    else {
        panic!("expected a switch");
    };
    assert_eq!(previous_user, "u-1");
    assert_eq!(previous_state.usage.feature("invoices.approve").unwrap().count, 1);
    assert!(engine.state().usage.feature("invoices.approve").is_none());
}

#[test]
fn bad_calls_are_refused_with_a_reason() {
    let mut engine = engine();
    assert_eq!(engine.track("", Map::new(), at(0)), Err(CallError::EventName));
    assert_eq!(engine.track(&"x".repeat(201), Map::new(), at(0)), Err(CallError::EventName));
    assert_eq!(engine.identify("", Map::new(), at(0)), Err(CallError::UserId));
    assert_eq!(engine.group("", Map::new(), at(0)), Err(CallError::GroupId));
    assert_eq!(engine.pending_events(), 0);
}

#[test]
fn changed_state_and_identity_are_handed_out_once() {
    let mut engine = engine();
    assert!(engine.take_changed_identity().is_some(), "a new anonymous id must be saved");
    assert!(engine.take_changed_identity().is_none());
    engine.load_config(invoice_config(), at(0));
    approve(&mut engine, 1, at(1));
    let stored: StoredUserState = engine.take_changed_state().unwrap().to_stored();
    assert_eq!(stored.features["invoices.approve"].n, 1);
    assert!(engine.take_changed_state().is_none());
}

#[test]
fn a_stored_anonymous_id_is_kept() {
    let engine = Engine::new(EngineOptions { anonymous_id: Some("anon-1".into()), ..engine_options() });
    assert_eq!(engine.identity().anonymous_id, "anon-1");
}

fn engine_options() -> EngineOptions {
    EngineOptions {
        write_key: None,
        outbox: OutboxSettings::default(),
        seed: [1; 32],
        anonymous_id: None,
        user_id: None,
        traits: Map::new(),
    }
}
