//! What a queued event costs in memory: its JSON, and a bounded amount more (its id, the outbox's
//! id set and the queue's slot). The queued events are a large part of the SDK's heap after a
//! burst of events (the peers benchmark's "heap after 10,000 events"), since the wasm's memory
//! keeps its peak. dhat's heap statistics watch the engine, with a config loaded, queue the benchmark's
//! events with a page's context. The sizes are native (64-bit): the wasm's pointers and string
//! headers are half as large.

use serde_json::{Map, json};
use uptake_core::config::Config;
use uptake_core::engine::{Engine, EngineOptions};
use uptake_core::json_writer::serde_float;
use uptake_core::outbox::{Delivery, OutboxSettings};
use uptake_core::time::Timestamp;

#[global_allocator]
static ALLOCATOR: dhat::Alloc = dhat::Alloc;

/// Fewer than the default outbox bounds hold (10,000 events, 5 MiB), so none is dropped.
const EVENTS: usize = 9_000;

/// What an event may cost beyond its JSON, in bytes: 273 were measured (2026-12-07). Most of it is
/// its id, kept twice (in the queue and in the id set), and the room the queue and the id set
/// keep for 16,384 events, the power of two above 9,000.
const OVERHEAD_PER_EVENT: usize = 300;

#[test]
fn a_queued_event_costs_its_json_and_a_bounded_overhead() {
    let _profiler = dhat::Profiler::builder().testing().build();
    let now = Timestamp::from_millis(1_795_000_000_000);
    let mut engine = Engine::new(EngineOptions {
        write_key: Some("bench".into()),
        outbox: OutboxSettings::default(),
        seed: [9; 32],
        anonymous_id: None,
        user_id: None,
        traits: Map::new(),
        renderable: Vec::new(),
        write_float: serde_float,
    });
    // The context the SDK gives a page (`src/context.rs`), as it was in a benchmark's page.
    let context = json!({
        "library": {"name": "uptake", "version": "0.1.0"},
        "locale": "en-US",
        "page": {"path": "/m.html", "title": "m", "url": "http://127.0.0.1:33151/m.html"},
        "userAgent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36"
    });
    engine.set_context(context.as_object().cloned().unwrap());
    // With a config, as in a page: without one, the engine keeps the first events to record
    // once it comes.
    engine.load_config(Config::from_json(&json!({"version": 1})).unwrap(), now);
    let before = dhat::HeapStats::get().curr_bytes;
    for sequence in 0..EVENTS {
        let properties = json!({"bench_seq": sequence, "plan": "pro", "amount": 1200, "manual": true});
        engine.track("bench.track", properties.as_object().cloned().unwrap(), now).unwrap();
        // The write-ahead records, which the SDK hands to storage at once.
        drop(engine.take_outbox_changes());
    }
    let held = dhat::HeapStats::get().curr_bytes - before;
    assert_eq!(engine.pending_events(), EVENTS);

    // The events' JSON, as the batches carry it (with a comma between events and each batch's
    // wrapper, which only loosens the bound).
    let mut json_bytes = 0;
    let mut delivered = 0;
    while let Some(batch) = engine.transmit_now(now) {
        json_bytes += batch.body.len();
        delivered += batch.events;
        engine.handle_delivery(batch.id, Delivery::Accepted { refused: Vec::new() }, now);
    }
    assert_eq!(delivered, EVENTS);
    assert!(json_bytes / EVENTS > 500, "an event's JSON with its context is over 500 bytes");
    assert!(
        held <= json_bytes + OVERHEAD_PER_EVENT * EVENTS,
        "{EVENTS} queued events held {held} bytes: {} per event beyond the JSON",
        held.saturating_sub(json_bytes) / EVENTS
    );
}
