//! The queue of events waiting to go to the collector, sans-IO: the caller pushes events (as
//! the JSON they are sent as), asks when to wake up (`poll_timeout`), takes batches to send
//! (`poll_transmit`) and reports how each send went (`handle_delivery`). It decides when a
//! batch is due (by count, by size or by age), how long to back off after a failure (full
//! jitter, `Retry-After` honoured), what is split, retried or dropped, and counts every drop so
//! the next batch reports it. The browser layer only owns the timer and the network.
//!
//! Shared between the tabs of an app (`journal`): each tab writes its events ahead to the
//! device's storage, and the one tab that sends reads every tab's events back.

mod delivery;
mod journal;
pub mod lease;
#[cfg(test)]
mod tests;

use std::collections::VecDeque;
use std::sync::Arc;

pub use delivery::{Delivery, parse_retry_after, request_deadline};
pub use journal::{OutboxChanges, Role, StoredEvent};

use crate::hash::IdMap;
use crate::iso8601::format_timestamp;
use crate::json_fields::Fields;
use crate::quote::quoted;
use crate::time::{Duration, Timestamp};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutboxSettings {
    /// Send as soon as this many events are queued, and at most this many in a batch.
    pub flush_at: usize,
    /// Send as soon as this many bytes are queued, and at most this many in a batch (under the
    /// browser's 64 KB budget for a request that outlives its page).
    pub flush_bytes: usize,
    /// Send what is queued once the oldest event has waited this long.
    pub flush_interval: Duration,
    /// The first retry waits up to this long; each failure doubles it ...
    pub backoff_base: Duration,
    /// ... up to this.
    pub backoff_cap: Duration,
    /// An event not delivered after this long is dropped and counted.
    pub ttl: Duration,
    /// Keep at most this many events; beyond it the oldest are dropped and counted.
    pub max_events: usize,
    /// Keep at most this many bytes of events; beyond it the oldest are dropped and counted.
    pub max_bytes: usize,
}

impl Default for OutboxSettings {
    fn default() -> Self {
        OutboxSettings {
            flush_at: 50,
            flush_bytes: 64 * 1024,
            flush_interval: Duration::from_millis(5_000),
            backoff_base: Duration::from_millis(1_000),
            backoff_cap: Duration::from_minutes(5),
            ttl: Duration::from_days(7),
            max_events: 10_000,
            max_bytes: 5 * 1024 * 1024,
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

/// A batch to send: the JSON body of `POST /v1/batch`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutgoingBatch {
    pub id: BatchId,
    pub body: String,
    /// How many events it carries.
    pub events: usize,
}

/// Counts of events that will never reach the collector, by reason.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DropCounts {
    /// The queue was full.
    pub overflow: u64,
    /// Not delivered within the TTL.
    pub expired: u64,
    /// Their batch was refused (a 4xx that sending again cannot fix).
    pub refused: u64,
    /// The collector named them as invalid.
    pub invalid: u64,
    /// Too large for the collector even alone.
    pub too_large: u64,
}

impl DropCounts {
    pub fn total(&self) -> u64 {
        self.overflow + self.expired + self.refused + self.invalid + self.too_large
    }

    pub(crate) fn plus(self, other: DropCounts) -> DropCounts {
        DropCounts {
            overflow: self.overflow.saturating_add(other.overflow),
            expired: self.expired.saturating_add(other.expired),
            refused: self.refused.saturating_add(other.refused),
            invalid: self.invalid.saturating_add(other.invalid),
            too_large: self.too_large.saturating_add(other.too_large),
        }
    }

    /// The counts as JSON, as batches report them and storage keeps them:
    /// `{"overflow":0,"expired":2,"refused":0,"invalid":1,"tooLarge":0}`.
    pub fn to_json_text(&self) -> String {
        format!(
            "{{\"overflow\":{},\"expired\":{},\"refused\":{},\"invalid\":{},\"tooLarge\":{}}}",
            self.overflow, self.expired, self.refused, self.invalid, self.too_large
        )
    }

    /// Counts read back from `to_json_text`'s form, once parsed; a missing count is 0. `None`
    /// when the value is not such an object.
    pub fn from_json(value: &serde_json::Value) -> Option<DropCounts> {
        let fields = Fields::of(value, "").ok()?;
        let count = |key: &str| fields.u64(key).ok().map(Option::unwrap_or_default);
        Some(DropCounts {
            overflow: count("overflow")?,
            expired: count("expired")?,
            refused: count("refused")?,
            invalid: count("invalid")?,
            too_large: count("tooLarge")?,
        })
    }

    pub(crate) fn minus(self, reported: DropCounts) -> DropCounts {
        DropCounts {
            overflow: self.overflow.saturating_sub(reported.overflow),
            expired: self.expired.saturating_sub(reported.expired),
            refused: self.refused.saturating_sub(reported.refused),
            invalid: self.invalid.saturating_sub(reported.invalid),
            too_large: self.too_large.saturating_sub(reported.too_large),
        }
    }
}

#[derive(Debug)]
struct Entry {
    /// The event's `messageId`, its key in the device's storage.
    id: Arc<str>,
    body: Arc<str>,
    enqueued_at: Timestamp,
    in_flight: Option<BatchId>,
}

#[derive(Debug)]
struct InFlight {
    id: BatchId,
    /// The drops this batch reports, forgotten once it is stored.
    reported: DropCounts,
}

#[derive(Debug)]
pub struct Outbox {
    settings: OutboxSettings,
    write_key: Option<String>,
    /// In the order they were queued.
    entries: VecDeque<Entry>,
    bytes: usize,
    /// Of `entries`, how many are in flight and their bytes: what is queued is the rest.
    in_flight_events: usize,
    in_flight_bytes: usize,
    in_flight: Vec<InFlight>,
    next_batch: u64,
    /// Failures in a row, for the backoff.
    attempt: u32,
    /// No regular send before this instant (after a failure).
    not_before: Option<Timestamp>,
    /// After a 413: at most this many events in the next batches, until one is stored.
    split_limit: Option<usize>,
    online: bool,
    dropped: DropCounts,
    /// Drops no stored batch has reported yet.
    unreported: DropCounts,
    /// The ids of `entries`, as a set: its values are unused. An `IdMap<usize>`, the one hash map
    /// type of the core and the SDK, so the wasm carries no other hash table's code.
    ids: IdMap<usize>,
    role: Role,
    /// What to write to the device's storage, when the role keeps a journal.
    changes: OutboxChanges,
    /// The unreported drops as last handed out to be stored.
    stored_unreported: DropCounts,
}

impl Outbox {
    pub fn new(settings: OutboxSettings, write_key: Option<String>) -> Self {
        Outbox {
            settings,
            write_key,
            entries: VecDeque::new(),
            bytes: 0,
            in_flight_events: 0,
            in_flight_bytes: 0,
            in_flight: Vec::new(),
            next_batch: 1,
            attempt: 0,
            not_before: None,
            split_limit: None,
            online: true,
            dropped: DropCounts::default(),
            unreported: DropCounts::default(),
            ids: IdMap::default(),
            role: Role::Alone,
            changes: OutboxChanges::default(),
            stored_unreported: DropCounts::default(),
        }
    }

    pub fn queued(&self) -> usize {
        self.entries.len() - self.in_flight_events
    }

    pub fn in_flight(&self) -> usize {
        self.in_flight_events
    }

    /// Every drop since the outbox was made.
    pub fn dropped(&self) -> DropCounts {
        self.dropped
    }

    fn count_drops(&mut self, add: impl Fn(&mut DropCounts)) {
        add(&mut self.dropped);
        add(&mut self.unreported);
    }

    /// Queues an event: its `messageId` and the JSON it is sent as. A tab that does not send
    /// only writes it ahead to storage, for the sending tab to read.
    pub fn push(&mut self, id: &str, body: String, now: Timestamp) {
        let (id, body): (Arc<str>, Arc<str>) = (Arc::from(id), Arc::from(body));
        if self.role.keeps_journal() {
            self.changes.added.push(StoredEvent { id: id.clone(), queued_at: now, body: body.clone() });
        }
        if self.role.sends() {
            self.expire(now);
            self.make_room(body.len());
            self.insert(Entry { id, body, enqueued_at: now, in_flight: None });
        }
    }

    /// Drops the oldest waiting events until one of `bytes` more fits the bounds.
    fn make_room(&mut self, bytes: usize) {
        let max_events = self.settings.max_events.max(1);
        while self.entries.len() >= max_events || self.bytes + bytes > self.settings.max_bytes {
            // The oldest waiting event goes first; events in flight may yet be stored.
            let Some(position) = self.entries.iter().position(|entry| entry.in_flight.is_none()) else { break };
            self.remove_at(position);
            self.count_drops(|counts| counts.overflow += 1);
        }
    }

    /// Adds an entry in time order: at the back, unless it was queued before the last one (read
    /// back from storage).
    fn insert(&mut self, entry: Entry) {
        self.bytes += entry.body.len();
        self.ids.insert(entry.id.to_string(), 0);
        let at = entry.enqueued_at;
        if self.entries.back().is_none_or(|last| last.enqueued_at <= at) {
            self.entries.push_back(entry);
        } else {
            let position = self.entries.partition_point(|queued| queued.enqueued_at <= at);
            self.entries.insert(position, entry);
        }
    }

    /// Removes an entry and says so in the journal: storage deletes it too.
    fn remove_at(&mut self, position: usize) {
        if let Some(entry) = self.take_at(position)
            && self.role.keeps_journal()
        {
            self.changes.delete(entry.id);
        }
    }

    /// Removes an entry from memory, keeping the counts and the id set true.
    fn take_at(&mut self, position: usize) -> Option<Entry> {
        let entry = self.entries.remove(position)?;
        self.ids.remove(&*entry.id);
        self.bytes -= entry.body.len();
        if entry.in_flight.is_some() {
            self.in_flight_events -= 1;
            self.in_flight_bytes -= entry.body.len();
        }
        Some(entry)
    }

    fn set_in_flight(&mut self, position: usize, batch: Option<BatchId>) {
        let Some(entry) = self.entries.get_mut(position) else { return };
        match (entry.in_flight.is_some(), batch.is_some()) {
            (false, true) => {
                self.in_flight_events += 1;
                self.in_flight_bytes += entry.body.len();
            }
            (true, false) => {
                self.in_flight_events -= 1;
                self.in_flight_bytes -= entry.body.len();
            }
            _ => {}
        }
        entry.in_flight = batch;
    }

    /// Drops the oldest events while they are older than the TTL and not in flight. Events are
    /// queued in time order, so this looks at the front only: a push stays O(1).
    fn expire(&mut self, now: Timestamp) {
        let ttl = self.settings.ttl;
        let mut expired = 0;
        while self.entries.front().is_some_and(|entry| entry.in_flight.is_none() && entry.enqueued_at.plus(ttl) <= now)
        {
            self.remove_at(0);
            expired += 1;
        }
        if expired > 0 {
            self.count_drops(|counts| counts.expired += expired);
        }
    }

    /// Keeps at most `max_bytes` of events from now on (the events' only storage holds no
    /// more), dropping the oldest waiting ones beyond it, counted as overflow.
    pub fn limit_bytes(&mut self, max_bytes: usize) {
        self.settings.max_bytes = self.settings.max_bytes.min(max_bytes);
        while self.bytes > self.settings.max_bytes {
            let Some(position) = self.entries.iter().position(|entry| entry.in_flight.is_none()) else { break };
            self.remove_at(position);
            self.count_drops(|counts| counts.overflow += 1);
        }
    }

    /// Whether the network is up (`navigator.onLine`, or a send got through). Offline, nothing
    /// is sent by the timer; back online, sending resumes at once.
    pub fn set_online(&mut self, online: bool) {
        if online && !self.online {
            self.not_before = None;
            self.attempt = 0;
        }
        self.online = online;
    }

    /// When the caller should call `poll_transmit` next, if anything is to be sent.
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        if !self.role.sends() || !self.online || !self.in_flight.is_empty() {
            // Offline, `set_online` wakes the caller; else the answer in flight does.
            return None;
        }
        // In flight are the oldest, at the front: the first queued one is near.
        let oldest = self.entries.iter().find(|entry| entry.in_flight.is_none())?.enqueued_at;
        let (count, bytes) = (self.queued(), self.bytes - self.in_flight_bytes);
        if let Some(not_before) = self.not_before {
            // A retry, or the rest of a batch the collector answered: the batch was due already.
            return Some(not_before);
        }
        let full = count >= self.settings.flush_at || bytes >= self.settings.flush_bytes;
        Some(if full { oldest } else { oldest.plus(self.settings.flush_interval) })
    }

    /// The next batch to send now, if one is due. One batch is in flight at a time.
    pub fn poll_transmit(&mut self, now: Timestamp) -> Option<OutgoingBatch> {
        self.expire(now);
        let due = self.poll_timeout()?;
        (now >= due).then(|| self.take_batch(now))?
    }

    /// A batch of what is queued, due or not, backing off or not: for an explicit `flush()`.
    /// Call until `None`.
    pub fn transmit_now(&mut self, now: Timestamp) -> Option<OutgoingBatch> {
        self.expire(now);
        self.take_batch(now)
    }

    /// Batches of what is queued for a page that is going away, at most `budget` bytes in all
    /// (the browser's quota for requests that outlive their page). They stay in the outbox, in
    /// flight: an answer that still comes is handled as usual.
    pub fn drain_for_exit(&mut self, now: Timestamp, budget: usize) -> Vec<OutgoingBatch> {
        let mut batches = Vec::new();
        let mut left = budget;
        while let Some(batch) = self.take_batch_within(now, left) {
            left -= batch.body.len();
            batches.push(batch);
        }
        batches
    }

    /// Batch bodies carrying `events`, which are not in this outbox (a tab's events not yet
    /// written to storage, as its page goes away), in order, as many as fit `budget` bytes in
    /// all. Nothing is marked: the events stay where they are, and the collector drops a copy
    /// it already has.
    pub fn bodies_for(&self, events: &[StoredEvent], now: Timestamp, budget: usize) -> Vec<String> {
        let suffix = self.batch_suffix(now, DropCounts::default());
        let mut bodies = Vec::new();
        let mut left = budget;
        let mut body = String::from("{\"batch\":[");
        let mut count = 0;
        for event in events {
            let grown = body.len() + usize::from(count > 0) + event.body.len() + suffix.len();
            if count > 0 && (grown > self.settings.flush_bytes || count == self.settings.flush_at) {
                body.push_str(&suffix);
                left -= body.len();
                bodies.push(std::mem::replace(&mut body, String::from("{\"batch\":[")));
                count = 0;
            }
            if body.len() + usize::from(count > 0) + event.body.len() + suffix.len() > left {
                break;
            }
            if count > 0 {
                body.push(',');
            }
            body.push_str(&event.body);
            count += 1;
        }
        if count > 0 {
            body.push_str(&suffix);
            bodies.push(body);
        }
        bodies
    }

    fn take_batch(&mut self, now: Timestamp) -> Option<OutgoingBatch> {
        self.take_batch_within(now, usize::MAX)
    }

    /// The oldest queued events that fit in one batch, marked in flight; none when the first of
    /// them alone would make the body larger than `budget`.
    fn take_batch_within(&mut self, now: Timestamp, budget: usize) -> Option<OutgoingBatch> {
        if self.queued() == 0 || !self.role.sends() {
            return None;
        }
        let limit = self.split_limit.unwrap_or(self.settings.flush_at).clamp(1, self.settings.flush_at.max(1));
        let reported = self.unreported;
        let mut body = String::from("{\"batch\":[");
        let suffix = self.batch_suffix(now, reported);
        let id = BatchId(self.next_batch);
        let mut events = 0;
        let mut taken = Vec::new();
        for (position, entry) in self.entries.iter().enumerate().filter(|(_, entry)| entry.in_flight.is_none()) {
            let grown = body.len() + usize::from(events > 0) + entry.body.len() + suffix.len();
            let over_size = grown > self.settings.flush_bytes.max(1) && events > 0;
            if events == limit || over_size || grown > budget {
                break;
            }
            if events > 0 {
                body.push(',');
            }
            body.push_str(&entry.body);
            taken.push(position);
            events += 1;
        }
        for position in taken {
            self.set_in_flight(position, Some(id));
        }
        if events == 0 {
            return None;
        }
        body.push_str(&suffix);
        self.next_batch += 1;
        self.in_flight.push(InFlight { id, reported });
        Some(OutgoingBatch { id, body, events })
    }

    /// What follows the events in a batch body: when it is sent, the write key, and the drops
    /// not yet reported.
    fn batch_suffix(&self, now: Timestamp, reported: DropCounts) -> String {
        let mut suffix = format!("],\"sentAt\":\"{}\"", format_timestamp(now));
        if let Some(key) = &self.write_key {
            suffix.push_str(",\"writeKey\":");
            suffix.push_str(&quoted(key));
        }
        if reported.total() > 0 {
            let dropped = reported.to_json_text();
            suffix.push_str(&format!(",\"context\":{{\"uptake\":{{\"dropped\":{dropped}}}}}"));
        }
        suffix.push('}');
        suffix
    }

    /// Reports how the send of batch `id` ended. `random` is 64 random bits, for the jitter of
    /// the retry delay.
    pub fn handle_delivery(&mut self, id: BatchId, delivery: Delivery, now: Timestamp, random: u64) {
        let Some(position) = self.in_flight.iter().position(|in_flight| in_flight.id == id) else { return };
        let in_flight = self.in_flight.remove(position);
        let mut positions = Vec::new();
        for (position, entry) in self.entries.iter().enumerate() {
            if entry.in_flight == Some(id) {
                positions.push(position);
            }
        }
        match delivery {
            Delivery::Accepted { refused } => {
                let invalid = refused.iter().filter(|&&index| index < positions.len()).count() as u64;
                self.remove_positions(&positions);
                self.count_drops(|counts| counts.invalid += invalid);
                self.unreported = self.unreported.minus(in_flight.reported);
                self.attempt = 0;
                self.not_before = None;
                self.split_limit = None;
                self.online = true;
            }
            Delivery::Retry { after } => {
                self.requeue(&positions);
                self.attempt = self.attempt.saturating_add(1);
                let delay = self.backoff(random).as_millis().max(after.map_or(0, Duration::as_millis));
                self.not_before = Some(now.plus(Duration::from_millis(delay)));
            }
            Delivery::TooLarge if positions.len() <= 1 => {
                self.remove_positions(&positions);
                self.count_drops(|counts| counts.too_large += positions.len() as u64);
                self.not_before = Some(now);
            }
            Delivery::TooLarge => {
                self.requeue(&positions);
                self.split_limit = Some(positions.len() / 2);
                self.not_before = Some(now);
            }
            Delivery::RefusedEvents { indices } => {
                let mut refused = Vec::with_capacity(indices.len());
                for &index in &indices {
                    if let Some(&position) = positions.get(index) {
                        refused.push(position);
                    }
                }
                self.requeue(&positions);
                self.remove_positions(&refused);
                self.count_drops(|counts| counts.invalid += refused.len() as u64);
                self.not_before = Some(now);
            }
            Delivery::Refused { .. } => {
                self.remove_positions(&positions);
                self.count_drops(|counts| counts.refused += positions.len() as u64);
            }
        }
        if !self.role.sends() {
            // Stepped down while the batch was out: what is left is the sender's, in storage.
            self.set_role(Role::Follower);
        }
        self.expire(now);
    }

    fn requeue(&mut self, positions: &[usize]) {
        for &position in positions {
            self.set_in_flight(position, None);
        }
    }

    /// Removes entries at increasing `positions`.
    fn remove_positions(&mut self, positions: &[usize]) {
        for &position in positions.iter().rev() {
            self.remove_at(position);
        }
    }

    /// Full jitter: a random delay between zero and `base × 2^(failures − 1)`, capped.
    fn backoff(&self, random: u64) -> Duration {
        let doublings = self.attempt.saturating_sub(1).min(30);
        let ceiling = self
            .settings
            .backoff_base
            .as_millis()
            .saturating_mul(1_i64 << doublings)
            .min(self.settings.backoff_cap.as_millis())
            .max(0);
        Duration::from_millis((random % (ceiling as u64 + 1)) as i64)
    }
}
