//! The collector's per-user cost of the adoption figures, natively: reading a user's stored
//! record (the device's stored form), their figures as of today and as of a past day (each
//! feature's usage cut to that day) and their level on each of the last 90 days, for a user of
//! 30 catalog features with 120 days of use (and their levels with 10 of them used); and an
//! account's and a campaign's figures over 1,000 users. A metrics answer over N users costs
//! about N times the per-user figures.
//!
//! `cargo bench -p uptake-core --bench analytics`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::{Map, Value, json};
use uptake_core::analytics::{
    Period, UserRecord, account_figures, campaign_figures, point_days, user_figures, user_levels,
};
use uptake_core::config::Config;
use uptake_core::exposure::{RuleExposure, Variant};
use uptake_core::program::Program;
use uptake_core::state::UserState;
use uptake_core::time::{DayNumber, DayOffset, Timestamp};
use uptake_core::usage::FeatureUsage;

const FEATURES: usize = 30;
const DAY: i64 = 86_400_000;
const TODAY: i32 = 20_780;

fn program() -> Program {
    let features: Vec<Value> = (0..FEATURES)
        .map(|index| {
            json!({"id": format!("feature.{index:02}"), "name": "F", "events": [format!("event.{index:02}")],
                            "activation": index == 0, "category": {"tier": "core"}})
        })
        .collect();
    Program::compile(Config::from_json(&json!({"version": 1, "features": features})).unwrap())
}

/// A user who used every feature on about 40% of the last 120 days.
fn record(seed: u64) -> UserRecord {
    let mut record = UserRecord::default();
    let mut state = seed | 1;
    let mut random = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for feature in 0..FEATURES {
        let row = record.state.features.row_or_insert_with(&format!("feature.{feature:02}"), FeatureUsage::default);
        for day in 0..120 {
            if random() % 10 < 4 {
                let at = Timestamp::from_millis(i64::from(TODAY - day) * DAY + 36_000_000);
                record.state.features.at_mut(row).unwrap().record_use(at, DayOffset::default());
            }
        }
    }
    record.first_seen = Some(Timestamp::from_millis(i64::from(TODAY - 130) * DAY));
    record
}

fn analytics(c: &mut Criterion) {
    let program = program();
    let user = record(7);
    let stored = user.state.to_json().to_string();
    let no_traits = Map::new();
    c.bench_function("read a user's stored record (30 features, 120 days)", |b| {
        b.iter(|| {
            let value: Value = serde_json::from_str(&stored).unwrap();
            black_box(UserState::from_json(&value).unwrap())
        })
    });
    c.bench_function("a user's figures as of today", |b| {
        b.iter(|| black_box(user_figures(&program, &user, &no_traits, DayNumber(TODAY))))
    });
    c.bench_function("a user's figures as of 60 days ago", |b| {
        b.iter(|| black_box(user_figures(&program, &user, &no_traits, DayNumber(TODAY - 60))))
    });
    let days = point_days(DayNumber(TODAY), 90, Period::Day);
    c.bench_function("levels over 90 days", |b| {
        b.iter(|| black_box(user_levels(&program, &user, &no_traits, black_box(&days))))
    });
    let mut ten = UserRecord { first_seen: user.first_seen, ..UserRecord::default() };
    for (id, usage) in user.state.features.iter().take(10) {
        ten.state.features.insert(id.to_owned(), usage.clone());
    }
    c.bench_function("levels over 90 days, 10 of the features used", |b| {
        b.iter(|| black_box(user_levels(&program, &ten, &no_traits, black_box(&days))))
    });
    let users: Vec<_> =
        (0..1_000).map(|seed| user_figures(&program, &record(seed), &no_traits, DayNumber(TODAY))).collect();
    c.bench_function("an account's figures over 1,000 users", |b| {
        b.iter(|| black_box(account_figures(&no_traits, &users, DayOffset::default())))
    });
    let exposures: Vec<RuleExposure> = (0..1_000)
        .map(|index| RuleExposure {
            shows: 1,
            first_exposed_at: Some(Timestamp::from_millis(i64::from(TODAY - 20) * DAY)),
            goal_reached_at: (index % 3 == 0).then(|| Timestamp::from_millis(i64::from(TODAY - 10) * DAY)),
            variant: Some(if index % 10 == 0 { Variant::Holdout } else { Variant::Treatment }),
            ..RuleExposure::default()
        })
        .collect();
    c.bench_function("a campaign's figures over 1,000 exposed users", |b| {
        b.iter(|| black_box(campaign_figures(&exposures, DayNumber(TODAY), DayOffset::default())))
    });
}

criterion_group!(benches, analytics);
criterion_main!(benches);
