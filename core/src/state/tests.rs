//! The stored state: round trips, migration from format 1, refusals, and its size bound.

use super::*;
use crate::config::Frequency;
use crate::exposure::Outcome;
use crate::time::{DayOffset, Duration};
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

fn entry<'a, T>(entries: &'a mut [(String, T)], key: &str) -> &'a mut T {
    &mut entries.iter_mut().find(|(found, _)| found == key).unwrap().1
}

fn round_trip(state: &UserState) -> UserState {
    let json = state.to_stored().to_text();
    UserState::from_stored(StoredUserState::parse(&json).unwrap()).unwrap()
}

#[test]
fn survives_a_round_trip_through_json_without_its_empty_rows() {
    let state = sample_state();
    let mut expected = state.clone();
    expected.features.retain(|_, usage| !usage.is_empty());
    assert_eq!(round_trip(&state), expected);
}

#[test]
fn a_state_of_format_1_is_migrated() {
    // Written by the first release: no first-exposure time, a click called "acted".
    let version_1 = r#"{"v":1,
        "f":{"invoices.approve":{"n":5,"first":1795000000000,"last":1795000300000,"day":20775,"bits":"01"}},
        "e":{"invoice.approved":{"n":5,"at":[1795000000000,1795000300000]}},
        "r":{"suggest-automation":{"shows":1,"last":1795000300000,"acted":1795000400000}},
        "d":[20775,1]}"#;
    let state = UserState::from_stored(StoredUserState::parse(version_1).unwrap()).unwrap();
    let exposure = state.rules.get("suggest-automation").unwrap();
    assert_eq!(exposure.clicked_at, Some(Timestamp::from_millis(1_795_000_400_000)));
    assert_eq!(exposure.first_exposed_at, Some(Timestamp::from_millis(1_795_000_300_000)));
    assert!(exposure.is_over(&Frequency::default()));
    assert_eq!(state.features.get("invoices.approve").unwrap().count, 5);
    assert_eq!(state.histories.get("invoice.approved").unwrap().latest.len(), 2);
    assert_eq!(state.to_stored().v, STATE_VERSION, "saved again in the current format");
}

#[test]
fn a_state_from_a_newer_version_is_refused() {
    let stored = StoredUserState { v: STATE_VERSION + 1, ..StoredUserState::default() };
    assert_eq!(UserState::from_stored(stored), Err(RestoreError::NewerVersion { found: STATE_VERSION + 1 }));
}

#[test]
fn inconsistent_states_are_refused() {
    let corruptions: [fn(&mut StoredUserState); 6] = [
        |stored| entry(&mut stored.features, "reports.export").bits = "zz".into(),
        |stored| entry(&mut stored.events, "invoice.approved").at = vec![5, 1],
        |stored| entry(&mut stored.features, "reports.export").n = 0,
        |stored| entry(&mut stored.features, "reports.export").first = None,
        |stored| entry(&mut stored.rules, "suggest-automation").variant = Some("x".into()),
        |stored| stored.sequences[0].1.c = vec![(5, 1)],
    ];
    for (index, corrupt) in corruptions.iter().enumerate() {
        let mut stored = sample_state().to_stored();
        corrupt(&mut stored);
        assert!(matches!(UserState::from_stored(stored), Err(RestoreError::Inconsistent(_))), "corruption {index}");
    }
}

#[test]
fn the_bitmap_is_stored_compactly() {
    let mut stored = sample_state().to_stored();
    assert_eq!(entry(&mut stored.features, "reports.export").bits, "01");
    assert_eq!(entry(&mut stored.features, "invoices.approve").older, 2);
    assert!(!stored.features.iter().any(|(id, _)| id == "never.touched"));
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
    let bytes = state.to_stored().to_text().len();
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
    let written: serde_json::Value = serde_json::from_str(&state.to_stored().to_text()).unwrap();
    assert_eq!(written, serde_json::from_str::<serde_json::Value>(earlier).unwrap());
    assert_eq!(state.to_stored().to_text().len(), earlier.len());
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
        ("{", "it is not JSON"),
    ];
    for (text, why) in cases {
        assert_eq!(StoredUserState::parse(text), Err(RestoreError::Unreadable(why.to_owned())), "{text}");
    }
    assert_eq!(StoredUserState::parse(r#"{"v":9,"f":7}"#), Err(RestoreError::NewerVersion { found: 9 }));
}
