//! The outbox shared by the tabs of an app through the device's storage. Every tab writes its
//! events ahead (`OutboxChanges::added`) before anything is sent; one tab, the sender, keeps
//! them in memory, reads back the events other tabs wrote (`restore`) and says which to delete
//! once the collector has them or they are dropped (`OutboxChanges::removed`). A tab that does
//! not send holds nothing but its journal. The count of drops not yet reported is stored too,
//! so a tab that takes over reports them.

#[cfg(test)]
mod tests;

use std::sync::Arc;

use super::{DropCounts, Entry, Outbox};
use crate::time::Timestamp;

/// What a tab does with the shared outbox.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Role {
    /// Keeps and sends its own events, writing nothing ahead: a page with no storage, or a
    /// caller that persists nothing.
    #[default]
    Alone,
    /// Writes its events ahead, keeps every tab's, and sends them.
    Sender,
    /// Writes its events ahead for the sender; keeps and sends none.
    Follower,
}

impl Role {
    pub(super) fn sends(self) -> bool {
        self != Role::Follower
    }

    pub(super) fn keeps_journal(self) -> bool {
        self != Role::Alone
    }
}

/// An event as the device keeps it until the collector has it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredEvent {
    /// Its `messageId`: the key it is stored under.
    pub id: Arc<str>,
    pub queued_at: Timestamp,
    /// The JSON it is sent as.
    pub body: Arc<str>,
}

/// What to write to the device's storage since the last `take_changes`: the ids to delete, the
/// events to add, and the drops not yet reported when they changed. No event is both added and
/// deleted: one deleted before it was written is simply not added (`delete`), so deletions can
/// be written first, and storage never holds both an event and what replaced it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OutboxChanges {
    pub added: Vec<StoredEvent>,
    pub removed: Vec<Arc<str>>,
    pub unreported: Option<DropCounts>,
}

impl OutboxChanges {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.unreported.is_none()
    }

    /// Deletes the event `id`: if it is still to be added, it is not added at all.
    pub fn delete(&mut self, id: Arc<str>) {
        match self.added.iter().position(|event| event.id == id) {
            Some(at) => {
                self.added.remove(at);
            }
            None => self.removed.push(id),
        }
    }

    /// Appends `later`, the changes made after these.
    pub fn append(&mut self, later: OutboxChanges) {
        if self.added.is_empty() {
            self.removed.extend(later.removed);
        } else {
            for id in later.removed {
                self.delete(id);
            }
        }
        self.added.extend(later.added);
        if later.unreported.is_some() {
            self.unreported = later.unreported;
        }
    }

    /// Takes the first `at_most` writes (deletions, then additions, the drops with the last of
    /// them) and leaves the rest: written one after the other, the parts do what the whole
    /// does, and none is long to write. Deletions go first, so storage makes room before it
    /// takes more.
    pub fn take_first(&mut self, at_most: usize) -> OutboxChanges {
        let at_most = at_most.max(1);
        if self.added.len() + self.removed.len() <= at_most {
            return std::mem::take(self);
        }
        let removed_count = self.removed.len().min(at_most);
        // `split_off` and `replace`, not `drain(..).collect()`: no iterator code for either list.
        let rest = self.removed.split_off(removed_count);
        let removed = std::mem::replace(&mut self.removed, rest);
        let added_count = (at_most - removed_count).min(self.added.len());
        let rest = self.added.split_off(added_count);
        let added = std::mem::replace(&mut self.added, rest);
        OutboxChanges { added, removed, unreported: None }
    }
}

impl Outbox {
    pub fn role(&self) -> Role {
        self.role
    }

    /// Becomes the sender, a follower, or alone. A follower forgets the events waiting in
    /// memory (they are in storage, for the sender); those in flight are settled by their
    /// answer, and forgotten too if it is not a success. A sender that steps down leaves its
    /// unreported drops in storage, for the next sender.
    pub fn set_role(&mut self, role: Role) {
        if self.role == Role::Sender && role == Role::Follower {
            if self.unreported != self.stored_unreported {
                self.changes.unreported = Some(self.unreported);
            }
            self.unreported = DropCounts::default();
            self.stored_unreported = DropCounts::default();
        }
        self.role = role;
        if role == Role::Follower {
            let mut position = 0;
            while position < self.entries.len() {
                if self.entries[position].in_flight.is_none() {
                    // From memory only: storage keeps it for the sender.
                    self.take_at(position);
                } else {
                    position += 1;
                }
            }
        }
    }

    /// What to write to storage since the last call.
    pub fn take_changes(&mut self) -> OutboxChanges {
        // Only the sender counts drops for the tabs; a follower's stay its own.
        if self.role == Role::Sender && self.unreported != self.stored_unreported {
            self.stored_unreported = self.unreported;
            self.changes.unreported = Some(self.unreported);
        }
        std::mem::take(&mut self.changes)
    }

    /// Events read back from storage: the sender keeps those it does not have yet, in time
    /// order, within its bounds (dropping the oldest beyond them) and the TTL. A follower
    /// ignores them.
    pub fn restore(&mut self, events: impl IntoIterator<Item = StoredEvent>, now: Timestamp) {
        if !self.role.sends() {
            return;
        }
        let ttl = self.settings.ttl;
        // Oldest first: each lands at the back, and the bounds drop the oldest of all.
        // Loops, not `collect` and `filter_map` chains: each chain is its own copy in the wasm.
        let mut slots = Vec::new();
        for event in events {
            slots.push(Some(event));
        }
        let queued_at = |at: usize| slots[at].as_ref().map(|event| event.queued_at);
        let order = crate::order::positions(slots.len(), &|a, b| queued_at(a).cmp(&queued_at(b)));
        for at in order {
            let Some(event) = slots.get_mut(at).and_then(Option::take) else { continue };
            if self.ids.contains_key(&*event.id) {
                continue;
            }
            if event.queued_at.plus(ttl) <= now {
                self.count_drops(|counts| counts.expired += 1);
                if self.role.keeps_journal() {
                    self.changes.delete(event.id);
                }
                continue;
            }
            self.make_room(event.body.len());
            self.insert(Entry { id: event.id, body: event.body, enqueued_at: event.queued_at, in_flight: None });
        }
        self.expire(now);
    }

    /// The unreported drops storage holds (read back by the sender, counted by whichever tab
    /// sent before): storage is the truth, plus what this tab counted since it last wrote them.
    /// Reported by the next batch.
    pub fn adopt_unreported(&mut self, counts: DropCounts) {
        let own = self.unreported.minus(self.stored_unreported);
        self.unreported = counts.plus(own);
        self.stored_unreported = counts;
    }
}
