//! The outbox shared through storage: what a sender and a follower write ahead and delete, how
//! the sender takes in other tabs' events, and how unreported drops pass to the next sender.

use super::super::tests::{ACCEPTED, at, body, ids, parsed, push};
use super::*;
use crate::outbox::{Delivery, OutboxSettings};

fn outbox(role: Role) -> Outbox {
    let mut outbox = Outbox::new(OutboxSettings { flush_at: 10, ..OutboxSettings::default() }, None);
    outbox.set_role(role);
    outbox
}

/// A sender with `settings` that queued events 1 to `events` at 0.
fn sender(settings: OutboxSettings, events: usize) -> Outbox {
    let mut outbox = Outbox::new(settings, None);
    outbox.set_role(Role::Sender);
    for index in 1..=events {
        push(&mut outbox, index, at(0));
    }
    outbox
}

fn stored(index: usize, millis: i64) -> StoredEvent {
    StoredEvent { id: Arc::from(format!("m-{index}")), queued_at: at(millis), body: Arc::from(body(index)) }
}

fn added_ids(changes: &OutboxChanges) -> Vec<&str> {
    changes.added.iter().map(|event| &*event.id).collect()
}

fn removed_ids(changes: &OutboxChanges) -> Vec<&str> {
    let mut ids: Vec<&str> = changes.removed.iter().map(|id| &**id).collect();
    ids.sort_unstable();
    ids
}

#[test]
fn a_sender_writes_each_event_ahead_and_deletes_it_once_stored() {
    let mut outbox = outbox(Role::Sender);
    for index in 1..=3 {
        push(&mut outbox, index, at(index as i64));
    }
    let changes = outbox.take_changes();
    assert_eq!(added_ids(&changes), ["m-1", "m-2", "m-3"]);
    assert_eq!(changes.added[1], stored(2, 2), "the id, when it was queued and the JSON sent");
    assert!(outbox.take_changes().is_empty(), "handed out once");
    let batch = outbox.transmit_now(at(10)).unwrap();
    outbox.handle_delivery(batch.id, Delivery::Retry { after: None }, at(11), 0);
    assert!(outbox.take_changes().is_empty(), "a failed send deletes nothing");
    let batch = outbox.transmit_now(at(12)).unwrap();
    outbox.handle_delivery(batch.id, ACCEPTED, at(13), 0);
    assert_eq!(removed_ids(&outbox.take_changes()), ["m-1", "m-2", "m-3"]);
}

#[test]
fn a_follower_writes_ahead_and_keeps_and_sends_nothing() {
    let mut outbox = outbox(Role::Follower);
    push(&mut outbox, 1, at(0));
    assert_eq!(added_ids(&outbox.take_changes()), ["m-1"]);
    assert_eq!((outbox.queued(), outbox.poll_timeout(), outbox.transmit_now(at(60_000))), (0, None, None));
    outbox.restore([stored(2, 0)], at(1));
    assert_eq!(outbox.queued(), 0, "other tabs' events are the sender's business");
}

#[test]
fn alone_nothing_is_written_ahead() {
    let mut outbox = outbox(Role::Alone);
    push(&mut outbox, 1, at(0));
    let batch = outbox.transmit_now(at(0)).unwrap();
    outbox.handle_delivery(batch.id, ACCEPTED, at(1), 0);
    assert!(outbox.take_changes().is_empty());
}

#[test]
fn the_sender_takes_in_other_tabs_events_once_each_in_time_order() {
    let mut outbox = outbox(Role::Sender);
    push(&mut outbox, 2, at(20));
    outbox.restore([stored(3, 30), stored(1, 10), stored(2, 20)], at(40));
    outbox.restore([stored(1, 10), stored(3, 30)], at(40));
    assert_eq!(outbox.queued(), 3);
    let batch = outbox.transmit_now(at(40)).unwrap();
    assert_eq!(ids(&batch), ["m-1", "m-2", "m-3"]);
    outbox.restore([stored(1, 10)], at(41));
    assert_eq!(outbox.queued(), 0, "an event in flight is not taken twice");
}

#[test]
fn restored_events_past_the_bounds_or_the_ttl_are_dropped_counted_and_deleted() {
    let settings =
        OutboxSettings { max_events: 2, ttl: crate::time::Duration::from_millis(1_000), ..Default::default() };
    let mut outbox = sender(settings, 0);
    outbox.restore([stored(1, 0), stored(2, 5_000), stored(3, 5_001), stored(4, 5_002)], at(5_500));
    assert_eq!((outbox.dropped().expired, outbox.dropped().overflow), (1, 1), "m-1 is too old, m-2 makes room");
    assert_eq!(removed_ids(&outbox.take_changes()), ["m-1", "m-2"]);
    outbox.restore([stored(5, 100)], at(5_500));
    assert_eq!(outbox.dropped().expired, 2, "older than the TTL on arrival");
    assert_eq!(removed_ids(&outbox.take_changes()), ["m-5"]);
    assert_eq!(ids(&outbox.transmit_now(at(5_500)).unwrap()), ["m-3", "m-4"]);
}

#[test]
fn unreported_drops_are_stored_and_reported_by_the_tab_that_takes_over() {
    let mut closing = sender(OutboxSettings { max_events: 1, ..OutboxSettings::default() }, 2);
    let stored_counts = closing.take_changes().unreported.expect("the drop is stored");
    assert_eq!(stored_counts.overflow, 1);
    assert_eq!(closing.take_changes().unreported, None, "stored once until it changes");

    let mut taking_over = outbox(Role::Sender);
    taking_over.adopt_unreported(stored_counts);
    taking_over.restore([stored(2, 0)], at(1));
    let batch = taking_over.transmit_now(at(1)).unwrap();
    assert_eq!(parsed(&batch)["context"]["uptake"]["dropped"]["overflow"], 1);
    taking_over.handle_delivery(batch.id, ACCEPTED, at(2), 0);
    let changes = taking_over.take_changes();
    assert_eq!(changes.unreported, Some(DropCounts::default()), "reported: the stored count is cleared");
    assert_eq!(removed_ids(&changes), ["m-2"]);
}

#[test]
fn a_sender_that_becomes_a_follower_forgets_waiting_events_and_settles_those_in_flight() {
    let mut outbox = sender(OutboxSettings { flush_at: 2, ..OutboxSettings::default() }, 3);
    outbox.take_changes();
    let batch = outbox.transmit_now(at(0)).unwrap();
    outbox.set_role(Role::Follower);
    assert_eq!((outbox.queued(), outbox.in_flight()), (0, 2));
    assert!(outbox.take_changes().is_empty(), "m-3 stays in storage for the new sender");
    outbox.handle_delivery(batch.id, ACCEPTED, at(1), 0);
    assert_eq!(removed_ids(&outbox.take_changes()), ["m-1", "m-2"]);
}

#[test]
fn reading_storage_back_again_and_again_does_not_count_a_drop_twice() {
    let mut outbox = sender(OutboxSettings { max_events: 1, ..OutboxSettings::default() }, 2);
    let mut stored_counts = outbox.take_changes().unreported.unwrap();
    for _ in 0..4 {
        // The sender reads storage back (a lease without a channel does, every few seconds).
        outbox.adopt_unreported(stored_counts);
        if let Some(written) = outbox.take_changes().unreported {
            stored_counts = written;
        }
    }
    assert_eq!(stored_counts.overflow, 1);
    let batch = outbox.transmit_now(at(1)).unwrap();
    assert_eq!(parsed(&batch)["context"]["uptake"]["dropped"]["overflow"], 1);
}

#[test]
fn a_sender_stepping_down_leaves_its_drops_to_storage_and_forgets_a_failed_batch() {
    let mut outbox = sender(OutboxSettings { max_events: 2, ..OutboxSettings::default() }, 3);
    let batch = outbox.transmit_now(at(0)).unwrap();
    outbox.set_role(Role::Follower);
    let changes = outbox.take_changes();
    assert_eq!(changes.unreported.map(|counts| counts.overflow), Some(1), "written as it steps down");
    outbox.handle_delivery(batch.id, Delivery::Retry { after: None }, at(2), 0);
    assert_eq!((outbox.queued(), outbox.in_flight()), (0, 0), "the sender sends them again, from storage");
    assert_eq!(outbox.take_changes().unreported, None, "a follower writes no drops");
}

/// What storage holds after writing `changes`: deletions, then additions.
fn written(holding: &mut std::collections::BTreeMap<String, i64>, changes: &OutboxChanges) {
    for id in &changes.removed {
        holding.remove(&**id);
    }
    for event in &changes.added {
        holding.insert(event.id.to_string(), event.queued_at.as_millis());
    }
}

#[test]
fn changes_written_in_parts_do_what_the_whole_does_and_the_drops_come_last() {
    // Event 3 is added, then deleted before it was written: it is never written.
    let mut whole =
        OutboxChanges { added: (1..=5).map(|index| stored(index, index as i64)).collect(), ..OutboxChanges::default() };
    whole.append(OutboxChanges {
        removed: vec![Arc::from("m-3"), Arc::from("m-0"), Arc::from("m-9")],
        unreported: Some(DropCounts { overflow: 2, ..DropCounts::default() }),
        ..OutboxChanges::default()
    });
    assert_eq!(whole.added.len(), 4, "the deleted addition is gone");
    assert_eq!(whole.removed, [Arc::from("m-0"), Arc::from("m-9")], "only written events are deleted");
    let mut at_once = std::collections::BTreeMap::from([("m-0".to_owned(), 0), ("m-9".to_owned(), 9)]);
    let mut in_parts = at_once.clone();
    written(&mut at_once, &whole);

    let mut rest = whole.clone();
    let mut parts = Vec::new();
    while !rest.is_empty() {
        let part = rest.take_first(2);
        written(&mut in_parts, &part);
        parts.push(part);
    }
    assert_eq!(in_parts, at_once);
    assert_eq!(
        parts.iter().map(|part| (part.removed.len(), part.added.len())).collect::<Vec<_>>(),
        [(2, 0), (0, 2), (0, 2)],
        "deletions first, at most two writes each"
    );
    assert!(parts[..2].iter().all(|part| part.unreported.is_none()));
    assert_eq!(parts[2].unreported, whole.unreported, "the drops with the last part");
    assert_eq!(whole.clone().take_first(100), whole, "small enough: all of it");
}
