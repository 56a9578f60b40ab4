//! Where events wait on the device until the collector has them, shared by the tabs of the
//! app: IndexedDB (`indexed_db`), else `localStorage` (`local`), else this page's memory. Each
//! step down is a fallback the client reports once. The tabs using one storage elect the one
//! that sends (`election`) and tell it about new events and flushes on a `BroadcastChannel`.

mod election;
mod indexed_db;
mod local;

use std::rc::Rc;

use gloo_timers::future::TimeoutFuture;
use js_sys::{Array, Object, Reflect};
use uptake_core::outbox::{DropCounts, OutboxChanges, StoredEvent};
use wasm_bindgen::{JsCast, JsValue};

use crate::json;
use crate::local_share::LocalShare;

pub(crate) use election::{Election, Method, enter as enter_election};
pub(crate) use indexed_db::records;
use indexed_db::{IndexedDb, events_from_records};
pub(crate) use local::LocalEvents;

/// The drops not yet reported, as either storage keeps them (`DropCounts::to_json_text`).
fn unreported_drops(text: &str) -> Option<DropCounts> {
    DropCounts::from_json(&json::parse(text)?)
}

/// A thrown value or a failed request, in words for a warning.
pub(crate) fn describe_error(error: &JsValue) -> String {
    if let Some(exception) = error.dyn_ref::<web_sys::DomException>() {
        return format!("{}: {}", exception.name(), exception.message());
    }
    if let Some(error) = error.dyn_ref::<js_sys::Error>() {
        return String::from(error.message());
    }
    error.as_string().unwrap_or_else(|| "unknown error".to_owned())
}

const INDEXED_DB: &str = "indexedDB";
const LOCAL_STORAGE: &str = "localStorage";
const MEMORY: &str = "memory";

pub(crate) enum Backend {
    /// With `localStorage` where it works, to take in events a page left there (when it had to
    /// fall back, or wrote them ahead before its IndexedDB was open or as it went away).
    IndexedDb(IndexedDb, Option<LocalEvents>),
    Local(LocalEvents),
    /// Nothing survives the page: this tab keeps and sends its own events.
    Memory,
}

/// Events had to go to a lesser storage: `from` could not be used, for `reason`.
pub(crate) struct Fallback {
    pub(crate) from: &'static str,
    pub(crate) to: &'static str,
    pub(crate) reason: String,
}

impl Backend {
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Backend::IndexedDb(..) => INDEXED_DB,
            Backend::Local(_) => LOCAL_STORAGE,
            Backend::Memory => MEMORY,
        }
    }

    /// The best storage that works, and the fallbacks taken to reach it.
    pub(crate) async fn open(
        window: &web_sys::Window,
        write_key: &str,
        share: Option<&Rc<LocalShare>>,
    ) -> (Backend, Vec<Fallback>) {
        match IndexedDb::open(window, &format!("uptake:{write_key}")).await {
            Ok(database) => {
                // Only read and deleted from: no test write on every page load.
                let leftovers = share.map(|share| LocalEvents::new(Rc::clone(share)));
                (Backend::IndexedDb(database, leftovers), Vec::new())
            }
            Err(reason) => Backend::after(INDEXED_DB, reason, share),
        }
    }

    /// The storage to use after this one failed to write, with the fallbacks taken.
    pub(crate) fn next(&self, reason: String, share: Option<&Rc<LocalShare>>) -> (Backend, Vec<Fallback>) {
        Backend::after(self.name(), reason, share)
    }

    /// The storage below `failed` that works: localStorage after IndexedDB, then memory; and
    /// each fallback taken on the way.
    fn after(failed: &'static str, reason: String, share: Option<&Rc<LocalShare>>) -> (Backend, Vec<Fallback>) {
        if failed != INDEXED_DB {
            return (Backend::Memory, vec![Fallback { from: failed, to: MEMORY, reason }]);
        }
        let to_local = Fallback { from: INDEXED_DB, to: LOCAL_STORAGE, reason };
        match LocalEvents::open(share) {
            Ok(local) => (Backend::Local(local), vec![to_local]),
            Err(reason) => (Backend::Memory, vec![to_local, Fallback { from: LOCAL_STORAGE, to: MEMORY, reason }]),
        }
    }

    /// Writes `changes`; `records` are its added events as objects (built once, also posted
    /// to the sending tab).
    pub(crate) async fn write(&self, changes: &OutboxChanges, records: &Array) -> Result<(), String> {
        match self {
            Backend::IndexedDb(database, leftovers) => {
                database.write(changes, records).await?;
                // A copy written ahead to localStorage goes with the event.
                if let Some(leftovers) = leftovers {
                    leftovers.delete(&changes.removed);
                }
                Ok(())
            }
            Backend::Local(local) => {
                let written = local.write(changes);
                // localStorage writes synchronously: other tasks run before the next part.
                TimeoutFuture::new(0).await;
                written
            }
            Backend::Memory => Ok(()),
        }
    }

    /// Every event waiting, written by any tab, and the drops not reported yet. Events left in
    /// `localStorage` by a page that fell back are moved into IndexedDB first.
    pub(crate) async fn read(&self) -> Result<(Vec<StoredEvent>, Option<DropCounts>), String> {
        match self {
            Backend::IndexedDb(database, local) => {
                if let Some(local) = local {
                    let (left, _) = local.read();
                    if !left.is_empty() {
                        let moved = OutboxChanges { added: left, ..OutboxChanges::default() };
                        database.write(&moved, &records(&moved.added)).await?;
                        let mut removed = Vec::with_capacity(moved.added.len());
                        for event in moved.added {
                            removed.push(event.id);
                        }
                        local.delete(&removed);
                    }
                }
                database.read().await
            }
            Backend::Local(local) => Ok(local.read()),
            Backend::Memory => Ok((Vec::new(), None)),
        }
    }

    /// The name of the lock, lease and channel of the tabs sharing this storage.
    pub(crate) fn shared_name(&self, write_key: &str) -> String {
        format!("uptake:{write_key}:outbox:{}", self.name())
    }
}

/// What one tab tells the others on the channel.
pub(crate) enum Message {
    /// Events it wrote ahead, for the sending tab to take in.
    Added(Vec<StoredEvent>),
    /// `flush()` was called there, under this random id: the sending tab sends now.
    Flush(String),
    /// The sending tab sent everything it had when the flush with this id reached it, and the
    /// collector answered.
    Flushed(String),
}

impl Message {
    pub(crate) fn added(records: &Array) -> JsValue {
        let message = Object::new();
        let _ = Reflect::set(&message, &JsValue::from_str("added"), records);
        message.into()
    }

    pub(crate) fn flush(id: &str) -> JsValue {
        Self::with_id("flush", id)
    }

    pub(crate) fn flushed(id: &str) -> JsValue {
        Self::with_id("flushed", id)
    }

    fn with_id(kind: &str, id: &str) -> JsValue {
        let message = Object::new();
        let _ = Reflect::set(&message, &JsValue::from_str(kind), &JsValue::from_str(id));
        message.into()
    }

    pub(crate) fn read(data: &JsValue) -> Option<Message> {
        let id = |kind: &str| Reflect::get(data, &JsValue::from_str(kind)).ok()?.as_string();
        if let Some(id) = id("flush") {
            return Some(Message::Flush(id));
        }
        if let Some(id) = id("flushed") {
            return Some(Message::Flushed(id));
        }
        let records: Array = Reflect::get(data, &JsValue::from_str("added")).ok()?.dyn_into().ok()?;
        Some(Message::Added(events_from_records(&records)))
    }
}
