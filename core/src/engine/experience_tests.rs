//! Tours, checklists, surveys, hotspots, previews and explanations, driven through the engine
//! as the SDK drives them, on a simulated clock.

use serde_json::json;

use super::tests::{options, sent_events};
use super::*;
use crate::tour::{StepPlace, TargetVerdict};

const SECOND: i64 = 1000;

pub(super) fn at(seconds: i64) -> Timestamp {
    Timestamp::from_millis(1_795_000_000_000 + seconds * SECOND)
}

fn config() -> Config {
    Config::from_json(&json!({
        "version": 1,
        "features": [
            {"id": "approve", "name": "Approve", "events": ["invoice.approved"]},
            {"id": "automate", "name": "Automate", "events": ["automation.created"], "entry_point": {"selector": "#new-automation"}}
        ],
        "rules": [
            {"id": "help", "when": {"event": "help.requested"}, "show": {"tour": "welcome"}},
            {"id": "onboarding", "when": {"event": "app.opened"}, "show": {"checklist": "start"}},
            {"id": "csat", "when": {"event": "automation.created"}, "show": {"survey": "csat"}},
            {"id": "new-badge", "when": {"barrier": {"feature": "automate", "is": "unaware"}}, "show": {"prompt": "badge"}}
        ],
        "prompts": [{"id": "badge", "title": "New", "display": {"hotspot": {"target": "#nav-automations", "badge": "new"}}}],
        "tours": [{"id": "welcome", "missing_target": {"wait": "2s", "then": "skip"}, "steps": [
            {"target": "#invoices", "title": "Invoices", "page": "/"},
            {"target": "#approve", "title": "Approve", "advance": {"event": "invoice.approved"}, "page": "/"},
            {"target": "#nav-automations", "title": "Automations", "advance": {"page": "/automations*"}, "page": "/"},
            {"target": "#new-automation", "title": "Automate", "page": "/automations*", "missing_target": {"wait": "1s", "then": "abort"}}
        ]}],
        "checklists": [{"id": "start", "title": "Get started", "items": [
            {"id": "approve", "label": "Approve an invoice", "feature": "approve", "tour": "welcome"},
            {"id": "automate", "label": "Create an automation", "feature": "automate"}
        ]}],
        "surveys": [{"id": "csat", "kind": "csat", "question": "How easy was it?", "follow_up": "What would make it easier?"}]
    }))
    .unwrap()
}

fn engine() -> Engine {
    let mut engine =
        Engine::new(EngineOptions { write_key: None, seed: [5; 32], user_id: Some("u-9".into()), ..options() });
    engine.load_config(config(), at(0));
    engine.page(None, page("/"), at(0));
    engine
}

fn page(path: &str) -> Map<String, Value> {
    json!({"path": path}).as_object().unwrap().clone()
}

fn events(engine: &mut Engine) -> Vec<Event> {
    sent_events(engine, at(0))
}

fn named<'e>(events: &'e [Event], name: &str) -> Vec<&'e Event> {
    events.iter().filter(|event| event.event.as_deref() == Some(name)).collect()
}

#[test]
fn a_rule_starts_a_tour_that_advances_by_next_event_and_page_and_resumes_after_a_reload() {
    let mut engine = engine();
    let decision = engine.track("help.requested", Map::new(), at(1)).unwrap().unwrap();
    assert_eq!(decision.reference.kind, ExperienceKind::Tour);
    let view = engine.tour_view().unwrap();
    assert_eq!((view.step, view.steps, view.place), (0, 4, StepPlace::Anchored("#invoices".into())));
    assert_eq!(engine.tour_target(true, at(1)), Some(TargetVerdict::Show));
    engine.tour_step_displayed(at(1));
    engine.tour_step_displayed(at(1));
    engine.tour_next(at(2));
    assert_eq!(engine.tour_view().unwrap().step, 1);
    engine.track("invoice.approved", Map::new(), at(3)).unwrap();
    assert_eq!(engine.tour_view().unwrap().step, 2, "advanced by the event");

    // A reload: the state goes to storage and back, the tour resumes where it was.
    let saved = UserState::from_json(&engine.state().to_json()).unwrap();
    let mut reloaded = Engine::new(EngineOptions { user_id: Some("u-9".into()), ..options_without_config() });
    reloaded.absorb_others(saved, at(4));
    reloaded.load_config(config(), at(4));
    reloaded.page(None, page("/"), at(4));
    assert_eq!(reloaded.tour_view().unwrap().step, 2);

    reloaded.page(None, page("/automations.html"), at(5));
    let view = reloaded.tour_view().unwrap();
    assert_eq!((view.step, view.place), (3, StepPlace::Anchored("#new-automation".into())), "advanced by the page");
    reloaded.page(None, page("/"), at(6));
    assert_eq!(reloaded.tour_view().unwrap().place, StepPlace::Elsewhere, "the step belongs to another page");
    reloaded.page(None, page("/automations.html"), at(7));
    reloaded.tour_next(at(8));
    assert!(reloaded.tour_view().is_none(), "completed");
    let sent = events(&mut reloaded);
    assert_eq!(named(&sent, sdk_events::TOUR_COMPLETED).len(), 1);
    assert!(
        reloaded.rule_exposure("help").unwrap().is_over(&config().rules[0].frequency),
        "a completed tour is a click"
    );

    let sent = events(&mut engine);
    let viewed = named(&sent, sdk_events::TOUR_STEP_VIEWED);
    assert_eq!(viewed.len(), 1, "once per step");
    assert_eq!((viewed[0].properties["step"].clone(), viewed[0].properties["steps"].clone()), (json!(1), json!(4)));
}

#[test]
fn missing_targets_are_waited_for_then_skipped_or_aborted_with_an_event() {
    let mut engine = engine();
    assert!(engine.start_tour("welcome", at(0)));
    assert_eq!(engine.tour_target(false, at(0)), Some(TargetVerdict::Wait { until: at(2) }));
    assert_eq!(engine.tour_target(false, at(2)), Some(TargetVerdict::Skipped));
    assert_eq!(engine.tour_view().unwrap().step, 1);
    engine.tour_next(at(3));
    engine.tour_next(at(3));
    engine.page(None, page("/automations.html"), at(3));
    assert_eq!(engine.tour_target(false, at(3)), Some(TargetVerdict::Wait { until: at(4) }));
    assert_eq!(engine.tour_target(false, at(4)), Some(TargetVerdict::Aborted));
    assert!(engine.tour_view().is_none());
    let sent = events(&mut engine);
    let missing = named(&sent, sdk_events::TOUR_TARGET_MISSING);
    assert_eq!(missing.len(), 2);
    assert_eq!(missing[0].properties["policy"], "skip");
    assert_eq!(missing[0].properties["waited_ms"], 2000);
    assert_eq!(missing[1].properties["policy"], "abort");
    assert_eq!(missing[1].properties["selector"], "#new-automation");
    let abandoned = named(&sent, sdk_events::TOUR_ABANDONED);
    assert_eq!(abandoned[0].properties["reason"], "target_missing");
}

#[test]
fn closing_a_tour_abandons_it_and_dismisses_its_rule() {
    let mut engine = engine();
    engine.track("help.requested", Map::new(), at(1)).unwrap();
    engine.tour_next(at(2));
    engine.tour_back(at(3));
    assert_eq!(engine.tour_view().unwrap().step, 0);
    engine.tour_close(at(3));
    assert!(engine.tour_view().is_none());
    assert!(engine.rule_exposure("help").unwrap().dismissed_at.is_some());
    let sent = events(&mut engine);
    assert_eq!(named(&sent, sdk_events::TOUR_ABANDONED)[0].properties["reason"], "closed");
}

#[test]
fn checklist_items_are_completed_by_real_use_once_each() {
    let mut engine = engine();
    let decision = engine.track("app.opened", Map::new(), at(1)).unwrap().unwrap();
    assert_eq!(decision.reference.kind, ExperienceKind::Checklist);
    assert_eq!(engine.checklist_view().unwrap().done, [false, false]);
    engine.checklist_set_open(true, at(3));
    assert!(engine.checklist_view().unwrap().open);
    engine.track("invoice.approved", Map::new(), at(2)).unwrap();
    engine.track("invoice.approved", Map::new(), at(3)).unwrap();
    assert_eq!(engine.checklist_view().unwrap().done, [true, false]);
    assert!(engine.checklist_item_tour(0, at(4)), "the item's tour starts");
    assert!(!engine.checklist_item_tour(1, at(4)), "this item has no tour");
    engine.tour_close(at(4));
    engine.track("automation.created", Map::new(), at(5)).unwrap();
    let sent = events(&mut engine);
    let completed = named(&sent, sdk_events::CHECKLIST_ITEM_COMPLETED);
    assert_eq!(
        completed.iter().map(|e| e.properties["item_id"].clone()).collect::<Vec<_>>(),
        [json!("approve"), json!("automate")]
    );
    assert_eq!(named(&sent, sdk_events::CHECKLIST_COMPLETED).len(), 1);
    engine.checklist_dismiss(at(6));
    assert!(engine.checklist_view().is_none());
}

#[test]
fn a_hotspot_shows_once_its_element_is_on_the_page() {
    let mut engine = engine();
    assert_eq!(engine.rule_exposure("new-badge").unwrap().shows, 0, "#nav-automations is not on the page");
    let selectors = engine.selectors().to_vec();
    let present: Vec<bool> = selectors.iter().map(|selector| selector == "#nav-automations").collect();
    let decision = engine.set_elements(&present, at(1)).unwrap();
    assert_eq!(decision.reference.id, "badge");
    assert!(engine.set_elements(&present, at(2)).is_none(), "once per page view");
}

#[test]
fn ambient_experiences_do_not_use_up_the_interruption_throttle() {
    let mut engine = engine();
    let present: Vec<bool> = engine.selectors().iter().map(|selector| selector == "#nav-automations").collect();
    engine.set_elements(&present, at(0));
    assert!(engine.rule_exposure("new-badge").unwrap().shows == 1);
    engine.track("app.opened", Map::new(), at(1)).unwrap();
    let tour = engine.track("help.requested", Map::new(), at(2)).unwrap();
    assert_eq!(tour.map(|d| d.reference.kind), Some(ExperienceKind::Tour), "still room for an interruption");
}

#[test]
fn survey_answers_are_checked_and_sent_with_the_follow_up() {
    let mut engine = engine();
    let decision = engine.track("automation.created", Map::new(), at(1)).unwrap().unwrap();
    assert_eq!(decision.reference.kind, ExperienceKind::Survey);
    let reference = decision.reference;
    let too_high = SurveyAnswer { score: Some(6), ..SurveyAnswer::default() };
    assert_eq!(engine.survey_answered(&reference, too_high, at(2)), Err(SurveyError::ScoreOutOfRange));
    let answer = SurveyAnswer { score: Some(4), choice: None, comment: Some("  Show me examples first  ".into()) };
    engine.survey_answered(&reference, answer, at(2)).unwrap();
    assert!(engine.rule_exposure("csat").unwrap().clicked_at.is_some());
    let sent = events(&mut engine);
    let answered = named(&sent, sdk_events::SURVEY_ANSWERED);
    assert_eq!(answered[0].properties["score"], 4);
    assert_eq!(answered[0].properties["kind"], "csat");
    assert_eq!(answered[0].properties["comment"], "Show me examples first");
}

#[test]
fn a_survey_comment_is_cut_at_2000_characters_not_bytes() {
    let mut engine = engine();
    let reference = engine.track("automation.created", Map::new(), at(1)).unwrap().unwrap().reference;
    let comment = format!("{}{}", "自".repeat(1999), "動化");
    let answer = SurveyAnswer { score: Some(4), choice: None, comment: Some(comment) };
    engine.survey_answered(&reference, answer, at(2)).unwrap();
    let sent = events(&mut engine);
    let kept = named(&sent, sdk_events::SURVEY_ANSWERED)[0].properties["comment"].as_str().unwrap().to_owned();
    assert_eq!(kept.chars().count(), 2000);
    assert!(kept.ends_with("自動"), "the first 2,000 characters, whole");
}

#[test]
fn a_preview_shows_any_experience_and_counts_for_nothing() {
    let mut engine = engine();
    let decision = engine.preview("csat", at(1)).unwrap();
    assert!(decision.reference.preview && decision.reference.rule_id.is_none());
    engine
        .survey_answered(&decision.reference, SurveyAnswer { score: Some(5), ..SurveyAnswer::default() }, at(2))
        .unwrap();
    assert!(engine.rule_exposure("csat").unwrap().is_empty(), "no exposure recorded");
    let tour = engine.preview("welcome", at(3)).unwrap();
    assert_eq!(tour.reference.kind, ExperienceKind::Tour);
    assert!(engine.tour_view().unwrap().preview);
    assert!(engine.preview("nothing-has-this-id", at(4)).is_none());
    let sent = events(&mut engine);
    assert!(named(&sent, sdk_events::SURVEY_ANSWERED)[0].properties["preview"] == true);
    let previews: Vec<_> = named(&sent, sdk_events::EXPERIENCE_SHOWN)
        .into_iter()
        .filter(|event| event.properties["experience_id"] != "badge")
        .collect();
    assert_eq!(previews.len(), 2);
    assert!(previews.iter().all(|event| event.properties.get("preview") == Some(&Value::Bool(true))));
    assert!(previews.iter().all(|event| !event.properties.contains_key("rule_id")));
}

#[test]
fn explanations_say_why_each_woken_rule_did_or_did_not_fire() {
    let mut engine = engine();
    let present: Vec<bool> = engine.selectors().iter().map(|selector| selector == "#nav-automations").collect();
    engine.set_elements(&present, at(0));
    engine.track("invoice.approved", Map::new(), at(1)).unwrap();
    engine.evaluate(at(1));
    let verdicts: Vec<(String, String)> = engine.explain(at(1)).into_iter().map(|e| (e.rule_id, e.verdict)).collect();
    assert!(
        verdicts.contains(&("help".into(), "when: help.requested happened 0 times ever, needs at least 1".into())),
        "{verdicts:?}"
    );
    assert!(verdicts.contains(&("new-badge".into(), "shown in this page view".into())), "{verdicts:?}");
    engine.page(None, page("/"), at(2));
    engine.track("help.requested", Map::new(), at(3)).unwrap();
    engine.page(None, page("/"), at(3));
    let verdicts: Vec<(String, String)> = engine.explain(at(3)).into_iter().map(|e| (e.rule_id, e.verdict)).collect();
    assert!(
        verdicts
            .iter()
            .any(|(rule, verdict)| rule == "help" && verdict.starts_with("not shown: no tour can be shown now")),
        "{verdicts:?}"
    );
}

fn options_without_config() -> EngineOptions {
    EngineOptions { write_key: None, seed: [6; 32], ..options() }
}

#[test]
fn a_prompt_on_screen_is_not_shown_again_by_a_route_change_or_a_newer_config() {
    let route_config = || {
        Config::from_json(&json!({
            "version": 1,
            "features": [{"id": "export", "name": "Export", "events": ["report.exported"]}],
            "rules": [{"id": "banner", "when": {"page": "/#/reports"}, "show": {"prompt": "news"}, "frequency": {"stop_when": []}}],
            "prompts": [{"id": "news", "title": "News", "display": {"banner": "top"}}]
        }))
        .unwrap()
    };
    let mut engine = Engine::new(options_without_config());
    engine.load_config(route_config(), at(0));
    let shown = engine.page(None, page("/#/reports"), at(1)).expect("shown on the route");
    assert!(engine.page(None, page("/#/reports"), at(2)).is_none(), "still on screen after a route change");
    assert!(engine.load_config(route_config(), at(3)).is_none(), "still on screen after a newer config");
    engine.experience_closed(&shown.reference, Outcome::Dismissed, at(4));
    assert!(engine.page(None, page("/#/reports"), at(5)).is_some(), "closed: its rule may show it again");
}

#[test]
fn one_evaluation_can_show_a_checklist_a_hotspot_and_a_banner() {
    let config = Config::from_json(&json!({
        "version": 1,
        "settings": {"throttle": {"per_page_view": 2}},
        "features": [{"id": "export", "name": "Export", "events": ["report.exported"]}],
        "rules": [
            {"id": "start", "when": {"level": {"lte": 3}}, "show": {"checklist": "start"}},
            {"id": "badge", "when": {"feature": "export", "used": false}, "show": {"prompt": "badge"}},
            {"id": "held-out", "when": {"page": "/#/reports"}, "show": {"prompt": "other"}, "holdout": 0.99, "priority": 5},
            {"id": "banner", "when": {"page": "/#/reports"}, "show": {"prompt": "news"}}
        ],
        "prompts": [
            {"id": "badge", "title": "New", "display": {"hotspot": {"target": "#export"}}},
            {"id": "other", "title": "Other"},
            {"id": "news", "title": "News", "display": {"banner": "top"}}
        ],
        "checklists": [{"id": "start", "title": "Start", "items": [{"id": "export", "label": "Export", "feature": "export"}]}]
    }))
    .unwrap();
    let mut engine = Engine::new(options_without_config());
    engine.page(None, page("/#/reports"), at(0));
    let mut shown = Vec::new();
    let mut decision = engine.load_config(config, at(1));
    while let Some(next) = decision {
        shown.push(next.reference.rule_id.unwrap());
        decision = engine.next_decision(at(1));
    }
    shown.sort();
    assert_eq!(shown, ["banner", "start"], "the held-out rule is passed over, not the end");
    let badge = engine.set_elements(&[true], at(2)).expect("its element is on the page now");
    assert_eq!(badge.reference.rule_id.as_deref(), Some("badge"));
    assert!(engine.next_decision(at(2)).is_none());
    assert!(named(&events(&mut engine), sdk_events::EXPERIENCE_HELD_OUT).len() == 1);
}

#[test]
fn an_event_that_ticks_a_checklist_item_still_wakes_its_own_rules() {
    let mut engine = engine();
    let checklist = engine.track("app.opened", Map::new(), at(1)).unwrap().unwrap();
    assert_eq!(checklist.reference.kind, ExperienceKind::Checklist);
    // `automation.created` completes the "automate" item (an SDK event recorded after it), and
    // is what the CSAT survey's rule waits for.
    let decision = engine.track("automation.created", Map::new(), at(2)).unwrap();
    assert_eq!(decision.map(|d| d.reference.rule_id), Some(Some("csat".into())));
    assert_eq!(named(&events(&mut engine), sdk_events::CHECKLIST_ITEM_COMPLETED).len(), 1);
}
