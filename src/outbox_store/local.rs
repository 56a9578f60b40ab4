//! Events written ahead in `localStorage`, where IndexedDB cannot be used: one key per event
//! (`uptake:<write key>:event:<messageId>` holding `<queued at in ms> <JSON>`), so tabs append
//! without overwriting each other, and one key for the drops not yet reported.

use std::sync::Arc;

use uptake_core::outbox::{DropCounts, OutboxChanges, StoredEvent};
use uptake_core::time::Timestamp;

use super::{describe_error, unreported_drops};

pub(crate) struct LocalEvents {
    storage: web_sys::Storage,
    /// `uptake:<write key>:event:`
    event_prefix: String,
    unreported_key: String,
}

impl LocalEvents {
    /// `localStorage`, if it can be written to; an error says why not.
    pub(crate) fn open(window: &web_sys::Window, write_key: &str) -> Result<LocalEvents, String> {
        let storage = window
            .local_storage()
            .map_err(|error| describe_error(&error))?
            .ok_or_else(|| "localStorage is not available".to_owned())?;
        let probe = format!("uptake:{write_key}:probe");
        storage.set_item(&probe, "1").map_err(|error| describe_error(&error))?;
        let _ = storage.remove_item(&probe);
        Ok(LocalEvents::new(storage, write_key))
    }

    /// The events in `storage`, to read and delete, without checking it takes writes.
    pub(crate) fn new(storage: web_sys::Storage, write_key: &str) -> LocalEvents {
        LocalEvents {
            storage,
            event_prefix: format!("uptake:{write_key}:event:"),
            unreported_key: format!("uptake:{write_key}:unreported"),
        }
    }

    /// Writes `changes`: new events, then deletions, then the drops. Stops at the first event
    /// that does not fit (a full quota), leaving the caller to keep the rest elsewhere.
    pub(crate) fn write(&self, changes: &OutboxChanges) -> Result<(), String> {
        for event in &changes.added {
            let key = format!("{}{}", self.event_prefix, event.id);
            let value = format!("{} {}", event.queued_at.as_millis(), event.body);
            self.storage.set_item(&key, &value).map_err(|error| describe_error(&error))?;
        }
        for id in &changes.removed {
            let _ = self.storage.remove_item(&format!("{}{id}", self.event_prefix));
        }
        if let Some(counts) = &changes.unreported {
            let text = counts.to_json_text();
            self.storage.set_item(&self.unreported_key, &text).map_err(|error| describe_error(&error))?;
        }
        Ok(())
    }

    /// The event stored under `key`, if it is one of this outbox's.
    fn event(&self, key: &str) -> Option<StoredEvent> {
        let id = key.strip_prefix(&self.event_prefix)?;
        let value = self.storage.get_item(key).ok().flatten()?;
        let (at, body) = value.split_once(' ')?;
        let queued_at = Timestamp::from_millis(at.parse().ok()?);
        Some(StoredEvent { id: Arc::from(id), queued_at, body: Arc::from(body) })
    }

    /// Every event written ahead, by any tab, and the drops not reported yet.
    pub(crate) fn read(&self) -> (Vec<StoredEvent>, Option<DropCounts>) {
        let count = self.storage.length().unwrap_or(0);
        // A loop, not a `filter_map` and `collect` chain: each chain is its own copy in the wasm.
        let mut events = Vec::new();
        for index in 0..count {
            if let Some(event) = self.storage.key(index).ok().flatten().and_then(|key| self.event(&key)) {
                events.push(event);
            }
        }
        let unreported = self.storage.get_item(&self.unreported_key).ok().flatten();
        (events, unreported.as_deref().and_then(unreported_drops))
    }
}
