//! `uptake-collector generate-history`, run as a process: the same arguments write the same
//! bytes (to a file or to standard output) and another seed other bytes; every line is an event
//! the collector accepts, and the history holds every kind of event a device sends; the demo's
//! campaign (`automate-approvals`, a 10% holdout, goal: an automation within 14 days) converts
//! more users in treatment than in the holdout, with a lift interval that excludes 0, computed
//! from the events by the core's own functions, as the collector computes it.

mod common;

use std::collections::{HashMap, HashSet};
use std::process::Command;

use serde_json::Value;
use uptake_collector::batch::{Limits, check_event};
use uptake_collector::derived::Deriver;
use uptake_core::analytics::{UserRecord, campaign_figures};
use uptake_core::config::Config;
use uptake_core::event::Event;
use uptake_core::iso8601::parse_timestamp;

const END: &str = "2026-12-01";

/// Runs `generate-history` with `arguments` (besides the config and the end day): its output.
fn generate(arguments: &[&str]) -> Vec<u8> {
    let output = Command::new(common::BINARY)
        .arg("generate-history")
        .arg("--config")
        .arg(common::demo_config())
        .args(["--end", END])
        .args(arguments)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    output.stdout
}

fn lines(history: &[u8]) -> Vec<Value> {
    history
        .split(|byte| *byte == b'\n')
        .filter(|line| !line.is_empty())
        .map(|line| serde_json::from_slice(line).unwrap())
        .collect()
}

#[test]
fn the_same_arguments_write_the_same_bytes_and_another_seed_others() {
    let arguments = ["--seed", "7", "--users", "40", "--accounts", "3", "--days", "30"];
    let first = generate(&arguments);
    assert!(first.len() > 10_000, "a history of 40 users over 30 days: {} bytes", first.len());
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("history.ndjson");
    let to_file = generate(&[&arguments[..], &["--out", file.to_str().unwrap()]].concat());
    assert!(to_file.is_empty(), "nothing on standard output when --out is given");
    assert!(std::fs::read(&file).unwrap() == first, "the same arguments, the same bytes (in a file too)");
    let other_seed = generate(&["--seed", "8", "--users", "40", "--accounts", "3", "--days", "30"]);
    assert!(other_seed != first, "another seed, another history");
    let more_users = generate(&["--seed", "7", "--users", "41", "--accounts", "3", "--days", "30"]);
    assert!(more_users != first);
}

#[test]
fn every_line_is_an_event_the_collector_accepts_and_every_kind_is_there() {
    let history = generate(&["--seed", "3", "--users", "120", "--accounts", "4", "--days", "60"]);
    let first_day = parse_timestamp("2026-10-03").unwrap().as_millis();
    let after_end = parse_timestamp("2026-12-02").unwrap().as_millis();
    let mut message_ids = HashSet::new();
    let mut kinds = HashSet::new();
    let mut users = HashSet::new();
    for (index, value) in lines(&history).into_iter().enumerate() {
        let incoming = check_event(index, &value.to_string(), &Limits::default())
            .unwrap_or_else(|refused| panic!("line {}: {}: {value}", index + 1, refused.error));
        let event = incoming.event;
        assert!(message_ids.insert(event.message_id.clone()), "line {}: a message id twice", index + 1);
        let at = event.timestamp.as_millis();
        assert!((first_day..after_end).contains(&at), "line {}: {at} outside the 60 days", index + 1);
        users.insert(event.user_id.clone().expect("every event comes after the sign-in"));
        assert!(event.anonymous_id.is_some());
        match value["type"].as_str() {
            Some("identify") => {
                assert!(value["traits"]["role"].is_string() && value["traits"]["signed_up_at"].is_string(), "{value}");
                kinds.insert("identify".to_owned());
            }
            Some("group") => {
                let traits = &value["traits"];
                assert!(traits["seats"].is_u64() && traits["plan"].is_string() && traits["created_at"].is_string());
                kinds.insert("group".to_owned());
            }
            _ => {
                kinds.insert(event.event.clone().unwrap_or_else(|| "page".to_owned()));
            }
        }
    }
    assert_eq!(users.len(), 120, "every user signs in");
    for kind in [
        "identify",
        "group",
        "page",
        "invoice.approved",
        "invoice.opened",
        "report.exported",
        "automation.created",
        "feature_used",
        "feature_entry_seen",
        "experience_shown",
        "experience_held_out",
        "experience_action",
        "experience_dismissed",
        "experience_snoozed",
        "goal_reached",
        "survey_answered",
        "tour_completed",
        "checklist_item_completed",
    ] {
        assert!(kinds.contains(kind), "no {kind} in the history: {kinds:?}");
    }
}

#[test]
fn the_campaign_converts_more_users_in_treatment_than_in_the_holdout() {
    let history = generate(&["--seed", "1", "--users", "1000", "--accounts", "10", "--days", "120"]);
    let config = Config::from_json_text(&std::fs::read_to_string(common::demo_config()).unwrap()).unwrap();
    let offset = config.settings.day_offset();
    let deriver = Deriver::new(config);
    let mut records: HashMap<String, UserRecord> = HashMap::new();
    let mut clicked = HashSet::new();
    for value in lines(&history) {
        let event = Event::from_json(value).unwrap();
        let tags = deriver.tag(&event);
        let user = event.user_id.clone().unwrap();
        if event.event.as_deref() == Some("experience_action")
            && event.properties.get("rule_id").and_then(Value::as_str) == Some("automate-approvals")
        {
            clicked.insert(user.clone());
        }
        records.entry(user).or_default().apply(deriver.program(), &event, &tags);
    }
    let as_of = parse_timestamp(END).unwrap().day(offset);
    let exposures = records.values().filter_map(|record| record.state.rules.get("automate-approvals"));
    let figures = campaign_figures(exposures, as_of, offset);
    let (treatment, holdout) = (figures.treatment, figures.holdout);
    let held_out = f64::from(holdout.exposed) / f64::from(treatment.exposed + holdout.exposed);
    assert!((0.05..0.15).contains(&held_out), "the holdout is 10% of those exposed: {held_out} ({figures:?})");
    let (treatment_rate, holdout_rate) = (treatment.conversion().unwrap(), holdout.conversion().unwrap());
    assert!(treatment_rate > holdout_rate + 0.1, "treatment {treatment_rate} against holdout {holdout_rate}");
    let (_, interval) = figures.lift.unwrap();
    assert!(interval.excludes_zero(), "{figures:?}");
    // Of those shown the prompt, those who clicked it converted most.
    let converted_clickers = clicked
        .iter()
        .filter(|user| {
            records[*user].state.rules.get("automate-approvals").is_some_and(|rule| rule.goal_reached_at.is_some())
        })
        .count();
    let clicker_rate = converted_clickers as f64 / clicked.len() as f64;
    assert!(clicker_rate > treatment_rate, "clickers {clicker_rate}, treatment {treatment_rate}");
}

#[test]
fn a_history_that_cannot_be_made_is_refused_saying_why() {
    let run = |arguments: &[&str]| {
        let output = Command::new(common::BINARY).arg("generate-history").args(arguments).output().unwrap();
        (output.status.success(), String::from_utf8_lossy(&output.stderr).into_owned())
    };
    let config = common::demo_config();
    let config = config.to_str().unwrap();
    let (ok, error) = run(&["--config", config, "--end", "2026-13-01"]);
    assert!(!ok && error.contains("expected a day such as 2026-12-01"), "{error}");
    let (ok, error) = run(&["--config", config, "--end", END, "--users", "2", "--accounts", "3"]);
    assert!(!ok && error.contains("--users must be at least --accounts"), "{error}");
    let (ok, error) = run(&["--config", "/nonexistent/uptake.config.json", "--end", END]);
    assert!(!ok && error.contains("cannot read the config file /nonexistent/uptake.config.json"), "{error}");
}
