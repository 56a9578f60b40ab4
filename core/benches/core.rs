//! The core's hot paths, with the size the product must handle: 200 features, 1,000 rules and a
//! year of history in the user's state. Recording an event, evaluating the rules it wakes,
//! evaluating all of them (a page view), building a batch, parsing a 1 MB config, and the
//! sending tab taking in what another tab wrote ahead.
//!
//! `cargo bench -p uptake-core` for full runs; the test command runs them briefly
//! (`-- --warm-up-time 0.5 --measurement-time 1`).

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::{Map, json};
use uptake_core::config::{Config, ExperienceKind};
use uptake_core::engine::{Engine, EngineOptions};
use uptake_core::json_reader;
use uptake_core::json_writer::{self, serde_float};
use uptake_core::outbox::{Outbox, OutboxSettings, Role, StoredEvent};
use uptake_core::program::{Program, Scratch};
use uptake_core::state::UserState;
use uptake_core::time::{DayOffset, Duration, Timestamp};
use uptake_core::usage::{EventRetention, FeatureUsage};
use workload::{FEATURES, RULES, config_json};

#[path = "surroundings.rs"]
mod surroundings;
#[path = "workload.rs"]
mod workload;

use surroundings::{Surroundings, situation};

const DAY: i64 = 86_400_000;
const NOW: i64 = 1_795_000_000_000;

/// A state with a year of use: every feature on about 40% of the last 365 days, and recent
/// history of every event the rules count.
fn year_of_history(program: &Program, now: Timestamp) -> UserState {
    let mut state = UserState::default();
    let utc = DayOffset::default();
    let mut seed: u64 = 0x1234_5678;
    let mut random = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for f in 0..FEATURES {
        let row = state.features.row_or_insert_with(&format!("feature.{f:03}"), FeatureUsage::default);
        for day in 0..365 {
            if random() % 10 < 4 {
                let at = now.minus(Duration::from_millis(day * DAY + (random() % 3_600_000) as i64));
                state.features.at_mut(row).unwrap().record_use(at, utc);
            }
        }
    }
    let slots = program.bind(&mut state, now);
    for (matcher, row) in slots.histories.iter().enumerate() {
        let Some(row) = row else { continue };
        let retention = EventRetention { keep_latest: 10, horizon: Duration::from_days(30) };
        for minute in 0..(matcher % 6) as i64 {
            let at = now.minus(Duration::from_minutes(minute * 97));
            state.histories.at_mut(*row).unwrap().record(at, retention, now);
        }
    }
    state
}

fn rules(c: &mut Criterion) {
    let now = Timestamp::from_millis(NOW);
    let config = Config::from_json(&config_json(RULES, 0)).unwrap();
    let program = Program::compile(config.clone());
    let mut state = year_of_history(&program, now);
    let slots = program.bind(&mut state, now);
    let surroundings = Surroundings::new(&program, FEATURES, now);
    let facts = surroundings.facts();
    let properties = json!({"amount": 1200, "manual": true}).as_object().unwrap().clone();

    // One incoming event: record it, then evaluate the rules it wakes.
    let mut scratch = Scratch::default();
    let mut recorded = state.clone();
    program.record_event(&mut recorded, &slots, "event.042", &properties, None, now, &mut scratch);
    program.wake_for_event(&mut scratch);
    let woken = program.woken_count(&scratch);
    let after_event = situation(&recorded, &slots, &facts);
    c.bench_function(
        &format!("evaluate the {woken} of {RULES} rules one event wakes (200 features, a year of history)"),
        |b| b.iter(|| black_box(program.decide(&after_event, &scratch))),
    );

    let mut all = Scratch::default();
    program.wake_all(&mut all);
    c.bench_function("evaluate all 1000 rules (a page view)", |b| {
        b.iter(|| black_box(program.decide(&after_event, &all)))
    });

    let mut record_scratch = Scratch::default();
    c.bench_function("record an event into the usage state", |b| {
        b.iter_batched_ref(
            || state.clone(),
            |state| program.record_event(state, &slots, "event.042", &properties, None, now, &mut record_scratch),
            criterion::BatchSize::LargeInput,
        )
    });

    let mut engine = Engine::new(EngineOptions {
        outbox: OutboxSettings { max_events: 100_000, ..OutboxSettings::default() },
        traits: facts.traits.clone(),
        ..engine_options()
    });
    engine.load_config(config, now);
    engine.absorb_others(year_of_history(&program, now), now);
    c.bench_function("engine.track: record, wake, evaluate, queue", |b| {
        b.iter(|| black_box(engine.track("event.042", properties.clone(), now)))
    });

    // Events are serialized when they are queued (in `Engine::track`); a batch joins them.
    c.bench_function("build the JSON body of a batch of 50 queued events", |b| {
        b.iter_batched(
            || {
                let mut engine = Engine::new(EngineOptions {
                    outbox: OutboxSettings { flush_at: 50, ..OutboxSettings::default() },
                    ..engine_options()
                });
                for index in 0..50 {
                    let _ = engine.track(
                        "invoice.approved",
                        json!({"invoice_id": index}).as_object().unwrap().clone(),
                        now,
                    );
                }
                engine
            },
            |mut engine| black_box(engine.transmit_now(now).unwrap().body),
            criterion::BatchSize::SmallInput,
        )
    });
}

/// An event as the SDK writes it (about 400 bytes with its context), by the core's writer and,
/// for comparison, by serde_json's.
fn event_json(c: &mut Criterion) {
    let event = json!({
        "messageId": "01931d5e-8a00-7000-8000-000000000001", "type": "track", "event": "invoice.approved",
        "anonymousId": "8c0d3f2e-4b1a-4c3d-9e8f-123456789abc", "userId": "u-42",
        "context": {
            "library": {"name": "uptake", "version": "0.1.0"},
            "page": {"path": "/invoices/INV-7", "url": "https://app.example.com/invoices/INV-7?tab=lines",
                "title": "Invoice INV-7 \u{2014} Acme", "referrer": ""},
            "userAgent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36",
            "locale": "en-US"
        },
        "properties": {"invoice_id": "INV-7", "manual": true, "amount": 1240, "note": "line 1\nline 2"},
        "timestamp": "2026-11-24T09:30:00.000Z"
    });
    c.bench_function("write an event's JSON (json_writer)", |b| {
        b.iter(|| black_box(json_writer::to_text(black_box(&event), serde_float)))
    });
    c.bench_function("write an event's JSON (serde_json, for comparison)", |b| {
        b.iter(|| black_box(serde_json::to_string(black_box(&event))))
    });
}

fn engine_options() -> EngineOptions {
    EngineOptions {
        write_key: Some("dev".into()),
        outbox: OutboxSettings::default(),
        seed: [9; 32],
        anonymous_id: None,
        user_id: Some("u-42".into()),
        traits: Map::new(),
        renderable: vec![ExperienceKind::Prompt],
        write_float: serde_float,
    }
}

fn config_parsing(c: &mut Criterion) {
    // As many rules, pretty-printed as a PM would write them, as make just over 1 MiB.
    let text = (100..=RULES)
        .step_by(10)
        .map(|rules| serde_json::to_string_pretty(&config_json(rules, 0)).unwrap())
        .find(|text| text.len() >= 1024 * 1024)
        .unwrap_or_default();
    let size_kib = text.len() / 1024;
    c.bench_function(&format!("parse and check a {size_kib} KiB config"), |b| {
        b.iter(|| black_box(Config::from_json_text(&text).unwrap()))
    });
    // What the SDK reads instead: the form the collector compiles that config into, with the
    // core's JSON reader (the SDK's floats are read by the browser; here by Rust).
    let compiled = Config::from_json_text(&text).unwrap().to_compact_json();
    let compiled_kib = compiled.len() / 1024;
    c.bench_function(&format!("read the same config compiled ({compiled_kib} KiB), as the SDK does"), |b| {
        b.iter(|| {
            let value = json_reader::parse(&compiled, |number| number.parse().ok()).unwrap();
            black_box(Config::from_compact(&value).unwrap())
        })
    });
    let config = Config::from_json(&config_json(RULES, 0)).unwrap();
    c.bench_function("compile a config of 1000 rules", |b| b.iter(|| black_box(Program::compile(config.clone()))));
}

/// The sending tab hears of events another tab wrote ahead (a message on the channel, or storage
/// read back): it skips those it holds already, with thousands waiting after an outage.
fn shared_outbox(c: &mut Criterion) {
    let now = Timestamp::from_millis(NOW);
    let mut outbox = Outbox::new(OutboxSettings::default(), Some("dev".into()));
    outbox.set_role(Role::Sender);
    let id = |index: usize| format!("0190a1b2-c3d4-7e5f-8a9b-{index:012}");
    for index in 0..5_000 {
        outbox.push(&id(index), json!({"messageId": id(index)}).to_string(), now);
    }
    let heard: Vec<StoredEvent> = (4_936..5_000)
        .map(|index| StoredEvent { id: Arc::from(id(index)), queued_at: now, body: Arc::from("{}") })
        .collect();
    c.bench_function("take in 64 events another tab wrote, holding 5000", |b| {
        b.iter(|| outbox.restore(black_box(heard.clone()), now))
    });
}

criterion_group!(benches, rules, config_parsing, shared_outbox, event_json);
criterion_main!(benches);
