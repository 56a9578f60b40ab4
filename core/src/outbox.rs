//! The queue of events waiting to go to the collector, sans-IO: the caller pushes events,
//! asks when to wake up (`poll_timeout`), takes batches to send (`poll_transmit`) and reports how
//! each send went (`handle_delivery`). It decides when a batch is due (by count or by age), what
//! is retried and what is dropped; the browser layer only owns the timer and the network.

use std::collections::VecDeque;

use crate::event::{Batch, Event};
use crate::time::{Duration, Timestamp};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutboxSettings {
    /// Send as soon as this many events are queued.
    pub flush_at: usize,
    /// Send what is queued once the oldest event has waited this long.
    pub flush_interval: Duration,
    /// Wait this long after a failed send before trying again.
    pub retry_delay: Duration,
    /// Keep at most this many events; beyond it the oldest are dropped and counted.
    pub max_queued: usize,
}

impl Default for OutboxSettings {
    fn default() -> Self {
        OutboxSettings {
            flush_at: 20,
            flush_interval: Duration::from_millis(5_000),
            retry_delay: Duration::from_millis(5_000),
            max_queued: 1_000,
        }
    }
}

/// Identifies a batch handed out for sending, to report its delivery.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BatchId(u64);

impl BatchId {
    pub fn as_u64(self) -> u64 {
        self.0
    }

    pub fn from_u64(id: u64) -> Self {
        BatchId(id)
    }
}

/// A batch to send.
#[derive(Clone, Debug, PartialEq)]
pub struct OutgoingBatch {
    pub id: BatchId,
    pub batch: Batch,
}

/// How a send ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// The collector answered 2xx: the events are stored.
    Accepted,
    /// The collector refused the batch as it is (4xx other than 408 and 429): sending it again
    /// cannot help, so it is dropped and counted.
    Refused { status: u16 },
    /// The network failed, or the collector could not take it now (5xx, 408, 429): retried.
    Failed,
}

impl Delivery {
    /// The delivery an HTTP status means.
    pub fn from_status(status: u16) -> Delivery {
        match status {
            200..=299 => Delivery::Accepted,
            408 | 429 => Delivery::Failed,
            400..=499 => Delivery::Refused { status },
            _ => Delivery::Failed,
        }
    }
}

/// Counts of events that will never reach the collector.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DropCounts {
    /// Dropped because the queue was full.
    pub overflow: u64,
    /// Dropped because the collector refused their batch.
    pub refused: u64,
}

#[derive(Debug)]
pub struct Outbox {
    settings: OutboxSettings,
    write_key: Option<String>,
    queue: VecDeque<Event>,
    in_flight: Vec<(BatchId, Vec<Event>)>,
    next_batch: u64,
    /// When the oldest queued event was queued.
    oldest_queued_at: Option<Timestamp>,
    /// No regular send before this instant (after a failure).
    retry_not_before: Option<Timestamp>,
    dropped: DropCounts,
}

impl Outbox {
    pub fn new(settings: OutboxSettings, write_key: Option<String>) -> Self {
        Outbox {
            settings,
            write_key,
            queue: VecDeque::new(),
            in_flight: Vec::new(),
            next_batch: 1,
            oldest_queued_at: None,
            retry_not_before: None,
            dropped: DropCounts::default(),
        }
    }

    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    pub fn in_flight(&self) -> usize {
        self.in_flight.iter().map(|(_, events)| events.len()).sum()
    }

    pub fn dropped(&self) -> DropCounts {
        self.dropped
    }

    pub fn push(&mut self, event: Event, now: Timestamp) {
        if self.queue.len() >= self.settings.max_queued.max(1) {
            self.queue.pop_front();
            self.dropped.overflow += 1;
        }
        self.queue.push_back(event);
        self.oldest_queued_at.get_or_insert(now);
    }

    /// When the caller should call `poll_transmit` next, if anything is queued.
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        let oldest = self.oldest_queued_at?;
        if !self.in_flight.is_empty() {
            // The answer to the batch in flight wakes the caller.
            return None;
        }
        let due =
            if self.queue.len() >= self.settings.flush_at { oldest } else { oldest.plus(self.settings.flush_interval) };
        Some(self.retry_not_before.map_or(due, |not_before| due.max(not_before)))
    }

    /// The next batch to send now, if one is due. One batch is in flight at a time.
    pub fn poll_transmit(&mut self, now: Timestamp) -> Option<OutgoingBatch> {
        let due = self.poll_timeout()?;
        (now >= due).then(|| self.take_batch(now))?
    }

    /// A batch of what is queued, due or not: for an explicit `flush()`. Call until `None`.
    pub fn transmit_now(&mut self, now: Timestamp) -> Option<OutgoingBatch> {
        self.take_batch(now)
    }

    /// Everything queued, in batches, for a page that is going away. Their deliveries cannot be
    /// reported, so they are considered sent.
    pub fn drain(&mut self, now: Timestamp) -> Vec<Batch> {
        let mut batches = Vec::new();
        while let Some(outgoing) = self.take_batch(now) {
            self.in_flight.retain(|(id, _)| *id != outgoing.id);
            batches.push(outgoing.batch);
        }
        batches
    }

    fn take_batch(&mut self, now: Timestamp) -> Option<OutgoingBatch> {
        if self.queue.is_empty() {
            return None;
        }
        let size = self.queue.len().min(self.settings.flush_at.max(1));
        let events: Vec<Event> = self.queue.drain(..size).collect();
        if self.queue.is_empty() {
            self.oldest_queued_at = None;
        }
        let id = BatchId(self.next_batch);
        self.next_batch += 1;
        let mut batch = Batch { batch: events.clone(), sent_at: now, write_key: self.write_key.clone() };
        for event in &mut batch.batch {
            event.sent_at = Some(now);
        }
        self.in_flight.push((id, events));
        Some(OutgoingBatch { id, batch })
    }

    /// Reports how the send of batch `id` ended.
    pub fn handle_delivery(&mut self, id: BatchId, delivery: Delivery, now: Timestamp) {
        let Some(position) = self.in_flight.iter().position(|(in_flight, _)| *in_flight == id) else {
            return;
        };
        let (_, events) = self.in_flight.remove(position);
        match delivery {
            Delivery::Accepted => self.retry_not_before = None,
            Delivery::Refused { .. } => self.dropped.refused += events.len() as u64,
            Delivery::Failed => {
                // Back to the front, in their order, to be sent again after the retry delay.
                for event in events.into_iter().rev() {
                    self.queue.push_front(event);
                }
                while self.queue.len() > self.settings.max_queued.max(1) {
                    self.queue.pop_front();
                    self.dropped.overflow += 1;
                }
                self.oldest_queued_at = Some(self.oldest_queued_at.map_or(now, |oldest| oldest.min(now)));
                self.retry_not_before = Some(now.plus(self.settings.retry_delay));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::EventType;

    fn event(index: usize) -> Event {
        Event {
            message_id: format!("m-{index}"),
            event_type: EventType::Track,
            event: Some("x".into()),
            name: None,
            user_id: None,
            anonymous_id: Some("a".into()),
            group_id: None,
            properties: Default::default(),
            traits: Default::default(),
            context: Default::default(),
            timestamp: Timestamp::from_millis(0),
            sent_at: None,
        }
    }

    fn at(millis: i64) -> Timestamp {
        Timestamp::from_millis(millis)
    }

    fn ids(batch: &OutgoingBatch) -> Vec<&str> {
        batch.batch.batch.iter().map(|event| event.message_id.as_str()).collect()
    }

    fn outbox() -> Outbox {
        Outbox::new(OutboxSettings { flush_at: 3, ..OutboxSettings::default() }, Some("dev".into()))
    }

    #[test]
    fn a_batch_is_due_by_count() {
        let mut outbox = outbox();
        outbox.push(event(1), at(0));
        outbox.push(event(2), at(1));
        assert_eq!(outbox.poll_transmit(at(2)), None);
        outbox.push(event(3), at(2));
        assert_eq!(outbox.poll_timeout(), Some(at(0)));
        let batch = outbox.poll_transmit(at(2)).unwrap();
        assert_eq!(ids(&batch), ["m-1", "m-2", "m-3"]);
        assert_eq!(batch.batch.write_key.as_deref(), Some("dev"));
        assert!(batch.batch.batch.iter().all(|event| event.sent_at == Some(at(2))));
    }

    #[test]
    fn a_batch_is_due_by_age() {
        let mut outbox = outbox();
        outbox.push(event(1), at(1_000));
        assert_eq!(outbox.poll_timeout(), Some(at(6_000)));
        assert_eq!(outbox.poll_transmit(at(5_999)), None);
        assert_eq!(ids(&outbox.poll_transmit(at(6_000)).unwrap()), ["m-1"]);
        assert_eq!(outbox.poll_timeout(), None);
    }

    #[test]
    fn one_batch_is_in_flight_at_a_time_and_an_answer_releases_the_next() {
        let mut outbox = outbox();
        for index in 1..=6 {
            outbox.push(event(index), at(0));
        }
        let first = outbox.poll_transmit(at(0)).unwrap();
        assert_eq!(outbox.poll_transmit(at(0)), None);
        outbox.handle_delivery(first.id, Delivery::Accepted, at(10));
        assert_eq!(ids(&outbox.poll_transmit(at(10)).unwrap()), ["m-4", "m-5", "m-6"]);
    }

    #[test]
    fn a_failed_batch_is_retried_first_after_the_delay() {
        let mut outbox = outbox();
        for index in 1..=4 {
            outbox.push(event(index), at(0));
        }
        let first = outbox.poll_transmit(at(0)).unwrap();
        outbox.handle_delivery(first.id, Delivery::Failed, at(100));
        assert_eq!(outbox.poll_timeout(), Some(at(5_100)));
        assert_eq!(outbox.poll_transmit(at(5_099)), None);
        let retry = outbox.poll_transmit(at(5_100)).unwrap();
        assert_eq!(ids(&retry), ["m-1", "m-2", "m-3"]);
        assert_eq!(outbox.dropped(), DropCounts::default());
    }

    #[test]
    fn a_refused_batch_is_dropped_and_counted() {
        let mut outbox = outbox();
        outbox.push(event(1), at(0));
        let batch = outbox.transmit_now(at(0)).unwrap();
        outbox.handle_delivery(batch.id, Delivery::from_status(400), at(1));
        assert_eq!(outbox.dropped().refused, 1);
        assert_eq!(outbox.queued() + outbox.in_flight(), 0);
    }

    #[test]
    fn statuses_map_to_deliveries() {
        assert_eq!(Delivery::from_status(204), Delivery::Accepted);
        assert_eq!(Delivery::from_status(400), Delivery::Refused { status: 400 });
        assert_eq!(Delivery::from_status(401), Delivery::Refused { status: 401 });
        for status in [0, 408, 429, 500, 503] {
            assert_eq!(Delivery::from_status(status), Delivery::Failed, "{status}");
        }
    }

    #[test]
    fn a_full_queue_drops_the_oldest_and_counts_them() {
        let mut outbox = Outbox::new(OutboxSettings { max_queued: 2, ..OutboxSettings::default() }, None);
        for index in 1..=3 {
            outbox.push(event(index), at(0));
        }
        assert_eq!(outbox.dropped().overflow, 1);
        assert_eq!(ids(&outbox.transmit_now(at(0)).unwrap()), ["m-2", "m-3"]);
    }

    #[test]
    fn draining_hands_out_everything_queued() {
        let mut outbox = outbox();
        for index in 1..=7 {
            outbox.push(event(index), at(0));
        }
        let batches = outbox.drain(at(1));
        assert_eq!(batches.iter().map(|batch| batch.batch.len()).collect::<Vec<_>>(), [3, 3, 1]);
        assert_eq!(outbox.queued() + outbox.in_flight(), 0);
        assert_eq!(outbox.poll_timeout(), None);
    }
}
