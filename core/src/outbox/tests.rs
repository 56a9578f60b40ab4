//! The outbox on an injected clock: when batches are due, what each answer does to their
//! events, the backoff, the TTL, the bounds, and the drops reported by the next batch.

use serde_json::{Value, json};

use super::*;

pub(super) fn at(millis: i64) -> Timestamp {
    Timestamp::from_millis(millis)
}

pub(super) fn body(index: usize) -> String {
    format!(r#"{{"messageId":"m-{index}","type":"track","event":"x","anonymousId":"a"}}"#)
}

pub(super) fn push(outbox: &mut Outbox, index: usize, now: Timestamp) {
    outbox.push(&format!("m-{index}"), body(index), now);
}

/// An outbox with `settings` holding events 1 to `events`, queued at 0.
pub(super) fn filled(settings: OutboxSettings, events: usize) -> Outbox {
    let mut outbox = Outbox::new(settings, None);
    for index in 1..=events {
        push(&mut outbox, index, at(0));
    }
    outbox
}

pub(super) fn parsed(batch: &OutgoingBatch) -> Value {
    serde_json::from_str(&batch.body).expect("a batch body is JSON")
}

pub(super) fn ids(batch: &OutgoingBatch) -> Vec<String> {
    parsed(batch)["batch"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| event["messageId"].as_str().unwrap().to_owned())
        .collect()
}

fn outbox() -> Outbox {
    Outbox::new(OutboxSettings { flush_at: 3, ..OutboxSettings::default() }, Some("dev".into()))
}

pub(super) const ACCEPTED: Delivery = Delivery::Accepted { refused: Vec::new() };

#[test]
fn a_batch_is_due_by_count() {
    let mut outbox = outbox();
    push(&mut outbox, 1, at(0));
    push(&mut outbox, 2, at(1));
    assert_eq!(outbox.poll_transmit(at(2)), None);
    push(&mut outbox, 3, at(2));
    assert_eq!(outbox.poll_timeout(), Some(at(0)));
    let batch = outbox.poll_transmit(at(2)).unwrap();
    assert_eq!(ids(&batch), ["m-1", "m-2", "m-3"]);
    assert_eq!(batch.events, 3);
    let body = parsed(&batch);
    assert_eq!((body["writeKey"].as_str(), body["sentAt"].as_str()), (Some("dev"), Some("1970-01-01T00:00:00.002Z")));
    assert_eq!(body.get("context"), None, "nothing dropped, nothing reported");
}

#[test]
fn a_batch_is_due_by_age() {
    let mut outbox = outbox();
    push(&mut outbox, 1, at(1_000));
    assert_eq!(outbox.poll_timeout(), Some(at(6_000)));
    assert_eq!(outbox.poll_transmit(at(5_999)), None);
    assert_eq!(ids(&outbox.poll_transmit(at(6_000)).unwrap()), ["m-1"]);
    assert_eq!(outbox.poll_timeout(), None);
}

#[test]
fn a_batch_is_due_by_size_and_never_larger_than_the_size_limit() {
    let settings = OutboxSettings { flush_at: 50, flush_bytes: 300, ..OutboxSettings::default() };
    let mut outbox = Outbox::new(settings, Some("dev".into()));
    for index in 1..=5 {
        push(&mut outbox, index, at(0));
    }
    assert_eq!(outbox.poll_timeout(), Some(at(0)), "300 bytes are queued");
    let first = outbox.poll_transmit(at(0)).unwrap();
    assert!(first.body.len() <= 300, "{} bytes", first.body.len());
    assert_eq!(ids(&first), ["m-1", "m-2", "m-3"]);
    outbox.handle_delivery(first.id, ACCEPTED, at(1), 0);
    assert_eq!(ids(&outbox.transmit_now(at(1)).unwrap()), ["m-4", "m-5"]);
}

#[test]
fn one_batch_is_in_flight_at_a_time_and_an_answer_releases_the_next() {
    let mut outbox = outbox();
    for index in 1..=6 {
        push(&mut outbox, index, at(0));
    }
    let first = outbox.poll_transmit(at(0)).unwrap();
    assert_eq!(outbox.poll_transmit(at(0)), None);
    assert_eq!((outbox.queued(), outbox.in_flight()), (3, 3));
    outbox.handle_delivery(first.id, ACCEPTED, at(10), 0);
    assert_eq!(ids(&outbox.poll_transmit(at(10)).unwrap()), ["m-4", "m-5", "m-6"]);
}

#[test]
fn failures_back_off_with_full_jitter_up_to_the_cap() {
    let mut outbox = outbox();
    push(&mut outbox, 1, at(0));
    let mut now = 0;
    // A random value equal to the ceiling gives the ceiling: 1 s, 2 s, 4 s ... capped at 5 min.
    for expected_ceiling in [1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 128_000, 256_000, 300_000, 300_000] {
        let batch = outbox.transmit_now(at(now)).unwrap();
        outbox.handle_delivery(batch.id, Delivery::Retry { after: None }, at(now), expected_ceiling);
        assert_eq!(outbox.poll_timeout(), Some(at(now + expected_ceiling as i64)), "ceiling {expected_ceiling}");
        now += expected_ceiling as i64;
    }
    // A random value of zero retries at once: the jitter spans the whole range.
    let batch = outbox.transmit_now(at(now)).unwrap();
    outbox.handle_delivery(batch.id, Delivery::Retry { after: None }, at(now), 0);
    assert_eq!(outbox.poll_timeout(), Some(at(now)));
    // A success resets the backoff.
    let batch = outbox.transmit_now(at(now)).unwrap();
    outbox.handle_delivery(batch.id, ACCEPTED, at(now), 0);
    push(&mut outbox, 2, at(now));
    let batch = outbox.transmit_now(at(now)).unwrap();
    outbox.handle_delivery(batch.id, Delivery::Retry { after: None }, at(now), u64::MAX);
    assert!(outbox.poll_timeout().unwrap() <= at(now + 1_000));
    assert_eq!(outbox.dropped(), DropCounts::default());
}

#[test]
fn retry_after_is_honoured_when_longer_than_the_backoff() {
    let mut outbox = outbox();
    push(&mut outbox, 1, at(0));
    let batch = outbox.transmit_now(at(0)).unwrap();
    let after = Some(Duration::from_millis(30_000));
    outbox.handle_delivery(batch.id, Delivery::from_answer(429, Some("30"), None, at(0)), at(0), 0);
    assert_eq!(outbox.poll_timeout(), Some(at(30_000)));
    let batch = outbox.poll_transmit(at(30_000)).unwrap();
    assert_eq!(ids(&batch), ["m-1"], "the same event, with the same message id");
    outbox.handle_delivery(batch.id, Delivery::Retry { after }, at(30_000), u64::MAX);
    assert_eq!(outbox.poll_timeout(), Some(at(60_000)), "30 s is longer than the 2 s ceiling");
}

#[test]
fn a_413_splits_the_batch_until_one_event_alone_is_dropped() {
    let mut outbox = filled(OutboxSettings { flush_at: 4, ..OutboxSettings::default() }, 4);
    let batch = outbox.transmit_now(at(0)).unwrap();
    outbox.handle_delivery(batch.id, Delivery::TooLarge, at(0), 0);
    let half = outbox.poll_transmit(at(0)).unwrap();
    assert_eq!(ids(&half), ["m-1", "m-2"], "half of it, at once");
    outbox.handle_delivery(half.id, Delivery::TooLarge, at(0), 0);
    let one = outbox.poll_transmit(at(0)).unwrap();
    assert_eq!(ids(&one), ["m-1"]);
    outbox.handle_delivery(one.id, Delivery::TooLarge, at(0), 0);
    assert_eq!(outbox.dropped().too_large, 1);
    let next = outbox.poll_transmit(at(0)).unwrap();
    assert_eq!(ids(&next), ["m-2"], "still split until a batch is stored");
    outbox.handle_delivery(next.id, ACCEPTED, at(0), 0);
    assert_eq!(ids(&outbox.transmit_now(at(0)).unwrap()), ["m-3", "m-4"], "whole batches again");
}

#[test]
fn events_the_collector_names_are_dropped_and_the_others_sent_again() {
    let mut outbox = outbox();
    for index in 1..=3 {
        push(&mut outbox, index, at(0));
    }
    let batch = outbox.transmit_now(at(0)).unwrap();
    let answer = json!({"error": "none can be stored", "invalid": [{"index": 1, "kind": "invalid"}]});
    outbox.handle_delivery(batch.id, Delivery::from_answer(400, None, Some(&answer), at(0)), at(0), 0);
    assert_eq!(outbox.dropped().invalid, 1);
    let again = outbox.poll_transmit(at(0)).unwrap();
    assert_eq!(ids(&again), ["m-1", "m-3"]);
    // A 2xx that names events: the rest is stored, the named ones counted.
    let answer = json!({"stored": 1, "duplicates": 0, "invalid": [{"index": 0}]});
    outbox.handle_delivery(again.id, Delivery::from_answer(200, None, Some(&answer), at(0)), at(0), 0);
    assert_eq!(outbox.dropped().invalid, 2);
    assert_eq!(outbox.queued() + outbox.in_flight(), 0);
}

#[test]
fn a_refused_batch_is_dropped_and_counted() {
    let mut outbox = outbox();
    push(&mut outbox, 1, at(0));
    let batch = outbox.transmit_now(at(0)).unwrap();
    outbox.handle_delivery(batch.id, Delivery::from_answer(401, None, None, at(1)), at(1), 0);
    assert_eq!(outbox.dropped().refused, 1);
    assert_eq!(outbox.queued() + outbox.in_flight(), 0);
}

#[test]
fn events_older_than_the_ttl_are_dropped_and_counted_but_not_while_in_flight() {
    let settings = OutboxSettings { ttl: Duration::from_days(7), ..OutboxSettings::default() };
    let mut outbox = Outbox::new(settings, None);
    push(&mut outbox, 1, at(0));
    push(&mut outbox, 2, at(1_000));
    let week = Duration::from_days(7).as_millis();
    let batch = outbox.transmit_now(at(week - 1)).unwrap();
    // The answer comes after the TTL: the events were in flight, their fate is the answer's.
    outbox.handle_delivery(batch.id, Delivery::Retry { after: None }, at(week + 500), 0);
    assert_eq!(outbox.dropped().expired, 1, "m-1 is a week old; m-2 is not yet");
    assert_eq!(ids(&outbox.transmit_now(at(week + 500)).unwrap()), ["m-2"]);
}

#[test]
fn the_queue_is_bounded_by_count_and_by_bytes_dropping_the_oldest() {
    let by_count = OutboxSettings { max_events: 2, ..OutboxSettings::default() };
    let mut outbox = filled(by_count, 3);
    assert_eq!(outbox.dropped().overflow, 1);
    assert_eq!(ids(&outbox.transmit_now(at(0)).unwrap()), ["m-2", "m-3"]);

    let by_bytes = OutboxSettings { max_bytes: 2 * body(1).len(), ..OutboxSettings::default() };
    let mut outbox = filled(by_bytes, 3);
    assert_eq!(outbox.dropped().overflow, 1);
    assert_eq!(ids(&outbox.transmit_now(at(0)).unwrap()), ["m-2", "m-3"]);
}

#[test]
fn drops_are_reported_by_the_next_batches_until_one_is_stored() {
    let mut outbox = filled(OutboxSettings { max_events: 2, flush_at: 1, ..OutboxSettings::default() }, 3);
    let first = outbox.transmit_now(at(0)).unwrap();
    assert_eq!(parsed(&first)["context"]["uptake"]["dropped"]["overflow"], 1);
    outbox.handle_delivery(first.id, Delivery::Retry { after: None }, at(0), 0);
    let again = outbox.transmit_now(at(0)).unwrap();
    assert_eq!(parsed(&again)["context"]["uptake"]["dropped"]["overflow"], 1, "not stored yet: reported again");
    outbox.handle_delivery(again.id, ACCEPTED, at(0), 0);
    let next = outbox.transmit_now(at(0)).unwrap();
    assert_eq!(parsed(&next).get("context"), None, "reported once stored");
    assert_eq!(outbox.dropped().overflow, 1, "the total stays");
}

#[test]
fn offline_nothing_is_due_and_back_online_sending_resumes_at_once() {
    let mut outbox = outbox();
    push(&mut outbox, 1, at(0));
    let batch = outbox.transmit_now(at(0)).unwrap();
    outbox.handle_delivery(batch.id, Delivery::Retry { after: None }, at(0), u64::MAX);
    outbox.set_online(false);
    assert_eq!(outbox.poll_timeout(), None);
    assert_eq!(outbox.poll_transmit(at(100_000)), None);
    outbox.set_online(true);
    assert_eq!(outbox.poll_timeout(), Some(at(5_000)), "due by age, the backoff forgotten");
}

#[test]
fn leaving_the_page_sends_what_fits_the_keepalive_budget_and_keeps_it_in_flight() {
    let mut outbox = filled(OutboxSettings { flush_at: 2, ..OutboxSettings::default() }, 7);
    let one_batch = outbox.transmit_now(at(0)).unwrap();
    outbox.handle_delivery(one_batch.id, Delivery::Retry { after: None }, at(0), 0);
    let budget = one_batch.body.len() * 2 + 10;
    let batches = outbox.drain_for_exit(at(1), budget);
    assert_eq!(batches.iter().map(|batch| batch.events).collect::<Vec<_>>(), [2, 2]);
    assert!(batches.iter().map(|batch| batch.body.len()).sum::<usize>() <= budget);
    assert_eq!((outbox.in_flight(), outbox.queued()), (4, 3), "kept until an answer says they are stored");
    // The page stayed (only hidden): answers still come and settle the events.
    for batch in batches {
        outbox.handle_delivery(batch.id, ACCEPTED, at(2), 0);
    }
    assert_eq!(outbox.queued() + outbox.in_flight(), 3);
}

#[test]
fn drop_counts_are_written_and_read_back_in_the_reported_shape() {
    let counts = DropCounts { overflow: 1, expired: 2, refused: 3, invalid: 4, too_large: 5 };
    let text = counts.to_json_text();
    assert_eq!(text, r#"{"overflow":1,"expired":2,"refused":3,"invalid":4,"tooLarge":5}"#);
    let read = |text: &str| DropCounts::from_json(&serde_json::from_str(text).unwrap());
    assert_eq!(read(&text), Some(counts));
    assert_eq!(read(r#"{"expired":7}"#), Some(DropCounts { expired: 7, ..DropCounts::default() }));
    assert_eq!(read(r#"{"expired":-1}"#), None);
    assert_eq!(read("[]"), None);
    assert_eq!(read(r#""nope""#), None);
}

#[test]
fn a_tighter_bound_drops_the_oldest_waiting_events_and_counts_them() {
    let mut outbox = filled(OutboxSettings::default(), 10);
    outbox.limit_bytes((7..=10).map(|index| body(index).len()).sum());
    assert_eq!(outbox.queued(), 4);
    assert_eq!(outbox.dropped().overflow, 6);
    let batch = outbox.transmit_now(at(1)).unwrap();
    assert_eq!(ids(&batch), ["m-7", "m-8", "m-9", "m-10"], "the newest are kept");
    assert_eq!(parsed(&batch)["context"]["uptake"]["dropped"]["overflow"], 6, "and the drops reported");
    push(&mut outbox, 11, at(2));
    assert_eq!((outbox.queued(), outbox.dropped().overflow), (1, 6), "in flight, the batch is not dropped");
}

#[test]
fn events_not_in_the_outbox_are_packed_into_bodies_within_a_budget() {
    let outbox = Outbox::new(OutboxSettings { flush_at: 3, ..OutboxSettings::default() }, Some("dev".into()));
    let events: Vec<StoredEvent> = (1..=8)
        .map(|index| StoredEvent {
            id: Arc::from(format!("m-{index}")),
            queued_at: at(0),
            body: Arc::from(body(index)),
        })
        .collect();
    let bodies = outbox.bodies_for(&events, at(1), usize::MAX);
    let counts: Vec<usize> = bodies
        .iter()
        .map(|body| serde_json::from_str::<Value>(body).unwrap()["batch"].as_array().unwrap().len())
        .collect();
    assert_eq!(counts, [3, 3, 2], "batches of at most flush_at");
    assert_eq!(serde_json::from_str::<Value>(&bodies[0]).unwrap()["writeKey"], "dev");
    let budget = bodies[0].len() + bodies[1].len() / 2;
    let within = outbox.bodies_for(&events, at(1), budget);
    assert_eq!(within.len(), 2);
    assert!(within.iter().map(String::len).sum::<usize>() <= budget, "within the budget");
    assert_eq!(outbox.queued(), 0, "nothing was marked or kept");
}
