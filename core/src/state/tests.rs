//! The stored state: round trips, migration from format 1, refusals, and its size bound.

use super::*;
use crate::config::Frequency;
use crate::exposure::{Outcome, Variant};
use crate::json_writer::serde_float;
use crate::time::{DayOffset, Duration, Timestamp};
use crate::usage::{EventRetention, SequenceRetention};

const DAY: i64 = 86_400_000;

fn sample_state() -> UserState {
    let mut state = UserState::default();
    let utc = DayOffset::default();
    let approve = state.features.row_or_insert_with("invoices.approve", FeatureUsage::default);
    for day in [1, 2, 30, 420] {
        state.features.at_mut(approve).unwrap().record_use(Timestamp::from_millis(day * DAY + 5), utc);
    }
    let export = state.features.row_or_insert_with("reports.export", FeatureUsage::default);
    state.features.at_mut(export).unwrap().record_use(Timestamp::from_millis(400 * DAY), utc);
    let automation = state.features.row_or_insert_with("workflow.automation", FeatureUsage::default);
    state.features.at_mut(automation).unwrap().record_entry_seen(Timestamp::from_millis(410 * DAY));
    state.features.row_or_insert_with("never.touched", FeatureUsage::default);
    let now = Timestamp::from_millis(420 * DAY);
    let retention = EventRetention { keep_latest: 5, horizon: Duration::from_days(7) };
    let history = state.histories.row_or_insert_with("invoice.approved", EventHistory::default);
    state.histories.at_mut(history).unwrap().record(now, retention, now);
    let sequence = state.sequences.row_or_insert_with("invoice.opened>invoice.approved", SequenceProgress::default);
    let progress = state.sequences.at_mut(sequence).unwrap();
    progress.advance(&[0], 2, None, now);
    progress.advance(&[1], 2, None, now.plus(Duration::from_minutes(1)));
    progress.advance(&[0], 2, None, now.plus(Duration::from_minutes(2)));
    progress.prune(SequenceRetention { keep_latest: 5, horizon: Duration::from_days(7) }, now);
    let rule = state.rules.row_or_insert_with("suggest-automation", RuleExposure::default);
    let exposure = state.rules.at_mut(rule).unwrap();
    exposure.record_exposure(now, true);
    exposure.record_outcome(Outcome::Dismissed, &Frequency::default(), now);
    exposure.variant = Some(Variant::Treatment);
    state.record_show_on(DayNumber(420));
    let mut tour = crate::tour::TourRun::new("welcome", Some("r".into()), false, now);
    tour.go_to(2);
    tour.missing_since = Some(now);
    state.tour = Some(tour);
    let mut checklist = crate::checklist::ChecklistRun::new("start", None, true);
    checklist.reported = 0b101;
    state.checklist = Some(checklist);
    state
}

fn round_trip(state: &UserState) -> UserState {
    UserState::parse(&state.to_text(serde_float)).unwrap()
}

/// The state read back from `json`, compared by value: rows are kept in the order read.
fn same_state(read: &UserState, expected: &UserState) -> bool {
    read.to_json() == expected.to_json()
}

#[test]
fn survives_a_round_trip_through_json_without_its_empty_rows() {
    let state = sample_state();
    let read = round_trip(&state);
    assert!(same_state(&read, &state));
    assert_eq!(read.features.get("never.touched"), None);
    for (id, usage) in read.features.iter() {
        assert_eq!(state.features.get(id), Some(usage), "{id}");
    }
    for (key, history) in read.histories.iter() {
        assert_eq!(state.histories.get(key), Some(history), "{key}");
    }
    for (key, progress) in read.sequences.iter() {
        assert_eq!(state.sequences.get(key), Some(progress), "{key}");
    }
    for (id, exposure) in read.rules.iter() {
        assert_eq!(state.rules.get(id), Some(exposure), "{id}");
    }
    assert_eq!((read.shows_on_day, &read.tour, &read.checklist), (state.shows_on_day, &state.tour, &state.checklist));
}

#[test]
fn a_state_of_format_1_is_migrated() {
    // Written by the first release: no first-exposure time, a click called "acted".
    let version_1 = r#"{"v":1,
        "f":{"invoices.approve":{"n":5,"first":1795000000000,"last":1795000300000,"day":20775,"bits":"01"}},
        "e":{"invoice.approved":{"n":5,"at":[1795000000000,1795000300000]}},
        "r":{"suggest-automation":{"shows":1,"last":1795000300000,"acted":1795000400000}},
        "d":[20775,1]}"#;
    let state = UserState::parse(version_1).unwrap();
    let exposure = state.rules.get("suggest-automation").unwrap();
    assert_eq!(exposure.clicked_at, Some(Timestamp::from_millis(1_795_000_400_000)));
    assert_eq!(exposure.first_exposed_at, Some(Timestamp::from_millis(1_795_000_300_000)));
    assert!(exposure.is_over(&Frequency::default()));
    assert_eq!(state.features.get("invoices.approve").unwrap().count, 5);
    assert_eq!(state.histories.get("invoice.approved").unwrap().latest.len(), 2);
    assert_eq!(state.to_json()["v"], STATE_VERSION, "saved again in the current format");
}

#[test]
fn a_state_from_a_newer_version_is_refused() {
    let newer = serde_json::json!({"v": STATE_VERSION + 1, "f": {"x": {"n": "many"}}});
    assert_eq!(UserState::from_json(&newer), Err(RestoreError::NewerVersion { found: STATE_VERSION + 1 }));
    assert_eq!(UserState::parse(r#"{"v":0}"#), Err(RestoreError::Inconsistent("version 0 was never written")));
}

#[test]
fn inconsistent_states_are_refused() {
    // Counts below their lists or dates are not refused: a tab's part may hold the dates and
    // occurrences of uses another part counts (`UserState::without`).
    let corruptions: [fn(&mut serde_json::Value); 6] = [
        |stored| stored["f"]["reports.export"]["bits"] = "zz".into(),
        |stored| stored["e"]["invoice.approved"]["at"] = serde_json::json!([5, 1]),
        |stored| stored["f"]["reports.export"]["first"] = serde_json::Value::Null,
        |stored| stored["f"]["reports.export"]["day"] = serde_json::Value::Null,
        |stored| stored["r"]["suggest-automation"]["variant"] = "x".into(),
        |stored| stored["s"]["invoice.opened>invoice.approved"]["c"] = serde_json::json!([[5, 1]]),
    ];
    for (index, corrupt) in corruptions.iter().enumerate() {
        let mut stored = sample_state().to_json();
        corrupt(&mut stored);
        assert!(matches!(UserState::from_json(&stored), Err(RestoreError::Inconsistent(_))), "corruption {index}");
    }
}

#[test]
fn the_bitmap_is_stored_compactly() {
    let stored = sample_state().to_json();
    assert_eq!(stored["f"]["reports.export"]["bits"], "01");
    assert_eq!(stored["f"]["reports.export"].get("older"), None);
    assert_eq!(stored["f"]["invoices.approve"]["older"], 2);
    assert_eq!(stored["f"]["workflow.automation"].get("bits"), None, "seen, never used: no days");
    assert_eq!(stored["f"].get("never.touched"), None);
}

#[test]
fn two_hundred_features_with_400_days_of_history_fit_in_64_kib() {
    let mut state = UserState::default();
    let utc = DayOffset::default();
    let today = 20_000i64;
    for feature in 0..200 {
        let row = state.features.row_or_insert_with(&format!("catalog.feature.{feature:03}"), FeatureUsage::default);
        let usage = state.features.at_mut(row).unwrap();
        // Used on every one of the last 400 days, plus years before.
        for day in (today - 1500)..=today {
            usage.record_use(Timestamp::from_millis(day * DAY + feature), utc);
        }
        usage.record_entry_seen(Timestamp::from_millis((today - 1500) * DAY));
    }
    let retention = EventRetention { keep_latest: 20, horizon: Duration::from_days(30) };
    let now = Timestamp::from_millis(today * DAY);
    for event in 0..50 {
        let row = state.histories.row_or_insert_with(&format!("catalog.event.{event:02}"), EventHistory::default);
        for minute in 0..20 {
            state.histories.at_mut(row).unwrap().record(now.minus(Duration::from_minutes(minute)), retention, now);
        }
    }
    let bytes = state.to_text(serde_float).len();
    assert!(bytes <= 64 * 1024, "{bytes} bytes");
    assert_eq!(round_trip(&state), state);
}

#[test]
fn the_stored_text_keeps_the_format_earlier_versions_wrote() {
    let mut state = sample_state();
    state.shows_on_day = Some((DayNumber(20775), 2));
    // Written by the serde-derived form this hand-written one replaced (its keys in field order;
    // the same fields and values are what matters).
    let earlier = r#"{"v":3,"f":{"invoices.approve":{"n":4,"first":86400005,"last":36288000005,"day":420,"bits":"01000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000040","older":2},"reports.export":{"n":1,"first":34560000000,"last":34560000000,"day":400,"bits":"01"},"workflow.automation":{"n":0,"seen":35424000000}},"e":{"invoice.approved":{"n":1,"at":[36288000000]}},"s":{"invoice.opened>invoice.approved":{"n":1,"w":[[[36288120000,36288120000]]],"c":[[36288000000,36288060000]]}},"r":{"suggest-automation":{"shows":1,"first":36288000000,"last":36288000000,"dismissed":36288000000,"variant":"t"}},"d":[20775,2],"t":{"id":"welcome","step":2,"rule":"r","started":36288000000,"missing":36288000000},"c":{"id":"start","preview":true,"reported":5}}"#;
    let written: serde_json::Value = serde_json::from_str(&state.to_text(serde_float)).unwrap();
    assert_eq!(written, serde_json::from_str::<serde_json::Value>(earlier).unwrap());
    assert_eq!(state.to_text(serde_float).len(), earlier.len());
    assert!(same_state(&UserState::parse(earlier).unwrap(), &state));
}

#[test]
fn unreadable_stored_states_say_which_field_is_wrong() {
    let cases = [
        ("[]", "the value must be an object"),
        (r#"{"f":{}}"#, "v is missing"),
        (r#"{"v":3,"f":{"a":{"n":-1}}}"#, "f.a.n must be a whole number"),
        (r#"{"v":3,"e":{"x":{"at":[1]}}}"#, "e.x.n is missing"),
        (r#"{"v":3,"t":{"id":"t","step":1}}"#, "t.started is missing"),
        (r#"{"v":3,"d":[1]}"#, "d must be [day, shows]"),
        (r#"{"v":3,"f":{"a":3}}"#, "f.a must be an object"),
        (r#"{"v":3,"r":[]}"#, "r must be an object"),
        (r#"{"v":3,"s":{"x":{"n":1,"c":[[1]]}}}"#, "c must be a list of [start, last]"),
        (r#"{"v":3,"s":{"x":{"n":1,"w":[[[1,"2"]]]}}}"#, "w must be a list of lists of [start, last]"),
        (r#"{"v":3,"r":{"x":{"variant":1}}}"#, "r.x.variant must be a string"),
        ("{", "it is not JSON"),
    ];
    for (text, why) in cases {
        assert_eq!(UserState::parse(text), Err(RestoreError::Unreadable(why.to_owned())), "{text}");
    }
    assert_eq!(UserState::parse(r#"{"v":9,"f":7}"#), Err(RestoreError::NewerVersion { found: 9 }));
}

/// The stored form of `sample_state` as the release before this one wrote it (format 3,
/// 2026-12-07), before the tabs' merge added when the tour and the checklist last changed.
const WRITTEN_BY_THE_RELEASE_BEFORE: &str = r#"{"c":{"id":"start","preview":true,"reported":5},"d":[420,1],"e":{"invoice.approved":{"at":[36288000000],"n":1}},"f":{"invoices.approve":{"bits":"01000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000040","day":420,"first":86400005,"last":36288000005,"n":4,"older":2},"reports.export":{"bits":"01","day":400,"first":34560000000,"last":34560000000,"n":1},"workflow.automation":{"n":0,"seen":35424000000}},"r":{"suggest-automation":{"dismissed":36288000000,"first":36288000000,"last":36288000000,"shows":1,"variant":"t"}},"s":{"invoice.opened>invoice.approved":{"c":[[36288000000,36288060000]],"n":1,"w":[[[36288120000,36288120000]]]}},"t":{"id":"welcome","missing":36288000000,"rule":"r","started":36288000000,"step":2},"v":3}"#;

#[test]
fn the_release_before_and_this_one_read_and_write_one_stored_state() {
    let read = UserState::parse(WRITTEN_BY_THE_RELEASE_BEFORE).unwrap();
    assert!(same_state(&read, &sample_state()), "this release reads what the one before wrote");
    let mut state = sample_state();
    state.tour_changed = Some(Timestamp::from_millis(420 * DAY));
    state.checklist_changed = Some(Timestamp::from_millis(420 * DAY + 1));
    let mut written = state.to_json();
    assert_eq!(written["v"], 3, "the same format: the fields added since are optional");
    assert!(same_state(&round_trip(&state), &state));
    // What a reader of the release before sees: all it knows, and two fields it does not.
    let object = written.as_object_mut().unwrap();
    assert_eq!((object.remove("ta"), object.remove("ca")), (Some((420 * DAY).into()), Some((420 * DAY + 1).into())));
    assert_eq!(written, serde_json::from_str::<serde_json::Value>(WRITTEN_BY_THE_RELEASE_BEFORE).unwrap());
}
