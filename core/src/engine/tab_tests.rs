//! The engine as one of several tabs of a user: it decides from its own part plus what the other
//! tabs recorded, saves its own part only, passes over a rule whose experience another tab shows,
//! decides nothing while its page is hidden, and takes the later change of the tour.

use serde_json::json;

use super::experience_tests::at;
use super::tests::options;
use super::*;

fn config() -> Config {
    Config::from_json(&json!({
        "version": 1,
        "features": [{"id": "approve", "name": "Approve", "events": ["invoice.approved"]}],
        "rules": [
            {"id": "suggest", "when": {"event": "invoice.approved", "count": {"gte": 3}}, "show": {"prompt": "automate"},
             "frequency": {"max_shows": 5, "stop_when": []}},
            {"id": "help", "when": {"event": "help.requested"}, "show": {"tour": "welcome"}}
        ],
        "prompts": [{"id": "automate", "title": "Automate it?"}],
        "tours": [{"id": "welcome", "steps": [{"title": "One"}, {"title": "Two"}, {"title": "Three"}]}]
    }))
    .unwrap()
}

fn tab(seed: u8) -> Engine {
    let mut engine =
        Engine::new(EngineOptions { write_key: None, seed: [seed; 32], user_id: Some("u-1".into()), ..options() });
    engine.load_config(config(), at(0));
    engine
}

fn approve(engine: &mut Engine, now: Timestamp) -> Option<Decision> {
    engine.track("invoice.approved", Map::new(), now).unwrap()
}

fn approvals(engine: &Engine) -> u64 {
    engine.feature_usage("approve").map_or(0, |usage| usage.count)
}

#[test]
fn a_tab_decides_from_every_tabs_uses_and_saves_only_its_own() {
    let (mut first, mut second) = (tab(1), tab(2));
    approve(&mut first, at(1));
    approve(&mut first, at(2));
    second.absorb_others(first.own_part(), at(3));
    assert_eq!(approvals(&second), 2);
    let decision = approve(&mut second, at(4)).expect("the third use overall calls for the prompt");
    assert_eq!(decision.reference.rule_id.as_deref(), Some("suggest"));
    assert_eq!(second.own_part().features.get("approve").unwrap().count, 1, "its part holds its own use");
    // Taking in the others again counts nothing twice.
    second.absorb_others(first.own_part(), at(5));
    assert_eq!(approvals(&second), 3);
}

#[test]
fn a_rule_another_tab_shows_is_passed_over_until_it_closes_there() {
    let mut engine = tab(1);
    engine.set_claimed_elsewhere(vec!["suggest".into()]);
    for second in 1..=3 {
        assert_eq!(approve(&mut engine, at(second)), None);
    }
    let reasons = engine.explain(at(3));
    assert_eq!(reasons.iter().find(|reason| reason.rule_id == "suggest").unwrap().verdict, "on screen in another tab");
    engine.set_claimed_elsewhere(Vec::new());
    assert!(approve(&mut engine, at(4)).is_some(), "shown once the other tab closed it");
}

#[test]
fn a_hidden_page_decides_nothing_until_it_is_seen_again() {
    let mut engine = tab(1);
    engine.set_visible(false);
    for second in 1..=3 {
        assert_eq!(approve(&mut engine, at(second)), None);
    }
    assert_eq!(engine.rule_exposure("suggest").map_or(0, |exposure| exposure.shows), 0, "nothing counted as shown");
    engine.set_visible(true);
    assert!(engine.evaluate(at(4)).is_some(), "decided when the user is back");
}

#[test]
fn of_two_tabs_moving_a_tour_the_later_change_holds() {
    let (mut first, mut second) = (tab(1), tab(2));
    first.track("help.requested", Map::new(), at(1)).unwrap();
    second.absorb_others(first.own_part(), at(2));
    assert_eq!(second.tour_view().unwrap().step, 0, "the tour started in the other tab");
    second.tour_next(at(3));
    first.tour_next(at(4));
    first.tour_next(at(5));
    second.absorb_others(first.own_part(), at(6));
    first.absorb_others(second.own_part(), at(6));
    assert_eq!((first.tour_view().unwrap().step, second.tour_view().unwrap().step), (2, 2));
    first.tour_close(at(7));
    second.absorb_others(first.own_part(), at(8));
    assert!(second.tour_view().is_none(), "closed in one tab, closed in both");
}

#[test]
fn a_new_part_after_the_back_forward_cache_starts_from_the_others() {
    let mut engine = tab(1);
    approve(&mut engine, at(1));
    let old_part = engine.own_part();
    engine.start_new_part();
    engine.absorb_others(old_part, at(2));
    assert_eq!(approvals(&engine), 1);
    assert!(engine.own_part().features.get("approve").is_none_or(|usage| usage.count == 0), "nothing of its own yet");
    approve(&mut engine, at(3));
    assert_eq!((approvals(&engine), engine.own_part().features.get("approve").unwrap().count), (2, 1));
}
