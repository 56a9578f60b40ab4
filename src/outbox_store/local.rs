//! Events written ahead in `localStorage`, within the SDK's share of it (`local_share`): where
//! IndexedDB cannot be used, and as the copies a page writes ahead before its IndexedDB is open
//! or while it goes away. One key per event (`uptake:<write key>:event:<messageId>` holding
//! `<queued at in ms> <JSON>`), so tabs append without overwriting each other, and one key for
//! the drops not yet reported.

use std::rc::Rc;
use std::sync::Arc;

use uptake_core::outbox::{DropCounts, OutboxChanges, StoredEvent};
use uptake_core::time::Timestamp;

use super::unreported_drops;
use crate::local_share::LocalShare;

const EVENT: &str = "event:";
const UNREPORTED: &str = "unreported";

#[derive(Clone)]
pub(crate) struct LocalEvents {
    share: Rc<LocalShare>,
}

impl LocalEvents {
    /// `localStorage`, if there is one and it takes writes; an error says why not.
    pub(crate) fn open(share: Option<&Rc<LocalShare>>) -> Result<LocalEvents, String> {
        let share = share.ok_or_else(|| "localStorage is not available".to_owned())?;
        share.set("writable", "1").map_err(|refusal| refusal.message().to_owned())?;
        share.remove("writable");
        Ok(LocalEvents::new(Rc::clone(share)))
    }

    /// The events in `share`, to read and delete, without checking it takes writes.
    pub(crate) fn new(share: Rc<LocalShare>) -> LocalEvents {
        LocalEvents { share }
    }

    /// Writes `changes`: deletions, then new events, then the drops. Stops at the first event
    /// that does not fit, leaving the caller to keep the rest elsewhere.
    pub(crate) fn write(&self, changes: &OutboxChanges) -> Result<(), String> {
        self.delete(&changes.removed);
        self.add(&changes.added)?;
        if let Some(counts) = &changes.unreported {
            self.share.set(UNREPORTED, &counts.to_json_text()).map_err(|refusal| refusal.message().to_owned())?;
        }
        Ok(())
    }

    /// Writes `events`, in order; an error at the first that does not fit.
    pub(crate) fn add(&self, events: &[StoredEvent]) -> Result<(), String> {
        for event in events {
            let value = format!("{} {}", event.queued_at.as_millis(), event.body);
            self.share.set(&format!("{EVENT}{}", event.id), &value).map_err(|refusal| refusal.message().to_owned())?;
        }
        Ok(())
    }

    pub(crate) fn delete(&self, ids: &[Arc<str>]) {
        for id in ids {
            self.share.remove(&format!("{EVENT}{id}"));
        }
    }

    /// The event stored under `name`, if it is one.
    fn event(&self, name: &str) -> Option<StoredEvent> {
        let id = name.strip_prefix(EVENT)?;
        let value = self.share.get(name)?;
        let (at, body) = value.split_once(' ')?;
        let queued_at = Timestamp::from_millis(at.parse().ok()?);
        Some(StoredEvent { id: Arc::from(id), queued_at, body: Arc::from(body) })
    }

    /// Every event written ahead, by any tab, and the drops not reported yet.
    pub(crate) fn read(&self) -> (Vec<StoredEvent>, Option<DropCounts>) {
        // A loop, not a `filter_map` and `collect` chain: each chain is its own copy in the wasm.
        let mut events = Vec::new();
        for name in self.share.names(EVENT) {
            if let Some(event) = self.event(&name) {
                events.push(event);
            }
        }
        let unreported = self.share.get(UNREPORTED);
        (events, unreported.as_deref().and_then(unreported_drops))
    }
}
