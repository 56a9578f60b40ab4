//! The client's side of the shared outbox: every event is written ahead to the device's
//! storage as soon as it is queued (in order, at most 64 writes per transaction), the tab
//! elected to send reads back what other tabs wrote, and a storage that fails is replaced by
//! the next one, reported once as a console warning and a `storage_fallback` event.
//!
//! An event is never only in memory when the page can go away: until IndexedDB is open, each
//! is also copied to `localStorage` in the task that queued it (the next sender moves such
//! copies into IndexedDB); when the page is hidden, every event not committed yet is copied
//! there at once, posted to the sending tab, and (before this tab knows who sends) carried by
//! requests that outlive the page. A copy is deleted once IndexedDB has its event.

use std::rc::Rc;

use gloo_timers::future::TimeoutFuture;
use uptake_core::outbox::{OutboxChanges, Role, StoredEvent};
use wasm_bindgen::JsCast;
use web_sys::BroadcastChannel;

use super::{Client, now};
use crate::console::{warn, warn_with};
use crate::listener::EventListener;
use crate::outbox_store::{Backend, Fallback, LocalEvents, Message, Method, enter_election, records};
use crate::tasks;
use crate::transport::KEEPALIVE_MAX_BYTES;

/// How long `flush()` waits for this tab to learn whether it sends, in steps of `WAIT_STEP_MS`.
const ROLE_WAIT_STEPS: u32 = 300;
/// How long a follower's `flush()` waits for the sending tab to say the collector answered, in
/// steps of `WAIT_STEP_MS`: longer than a request may hang, since the sender may be in one.
const FLUSH_ANSWER_WAIT_STEPS: u32 = 3_000;
const WAIT_STEP_MS: u32 = 10;
/// Writes (events added or deleted) per storage transaction. Each `put` into IndexedDB costs
/// the main thread tens of microseconds or more, so a burst of events is written in several
/// transactions, one after the other, rather than in one long task.
const WRITES_PER_TRANSACTION: usize = 64;

/// The tabs sharing one storage: the channel they talk on, and this tab's part in the election.
pub(super) struct Sharing {
    channel: Option<(BroadcastChannel, Option<EventListener>)>,
    _election: crate::outbox_store::Election,
    /// With a lease and no channel, the sender reads storage back at each check.
    polls: bool,
}

impl Drop for Sharing {
    fn drop(&mut self) {
        // A channel left open receives messages, and a page in the back-forward cache that
        // receives one is evicted from it.
        if let Some((channel, _)) = &self.channel {
            channel.close();
        }
    }
}

/// How long after another tab copied events to `localStorage` the sending tab takes them in.
const READ_BACK_DELAY_MS: u32 = 250;

/// The bytes of events the outbox keeps in `localStorage` when it is their only storage: with
/// their keys, they take about 750 KiB, and the rest of the SDK's share holds the identity, the
/// state and the config. Beyond it, the oldest are dropped and counted.
const LOCAL_EVENTS_BYTES: usize = 640 << 10;

impl Client {
    /// Opens the best storage that works, in the background; events queued meanwhile wait in
    /// `unwritten`.
    pub(super) fn open_outbox_store(&self) {
        let client = self.clone();
        tasks::spawn(async move {
            let share = client.inner.share.clone();
            let (backend, fallbacks) =
                Backend::open(&client.inner.window, &client.inner.write_key, share.as_ref()).await;
            client.report_fallbacks(fallbacks);
            client.use_backend(backend);
        });
    }

    fn report_fallbacks(&self, fallbacks: Vec<Fallback>) {
        for Fallback { from, to, reason } in fallbacks {
            warn(&format!("{from} cannot keep events waiting to be sent ({reason}); falling back to {to}"));
            self.with_engine(|engine| engine.report_storage_fallback(from, to, &reason, now()));
        }
        self.after_change();
    }

    fn use_backend(&self, backend: Backend) {
        self.inner.sharing.borrow_mut().take();
        if let Backend::Memory = backend {
            // Nothing to share: this tab keeps and sends its own events.
            let unwritten = std::mem::take(&mut *self.inner.unwritten.borrow_mut());
            self.with_engine(|engine| {
                engine.set_outbox_role(Role::Alone);
                engine.restore_outbox(unwritten.added, None, now());
            });
            *self.inner.outbox_store.borrow_mut() = Some(Rc::new(backend));
            self.inner.role_known.set(true);
            self.after_change();
            return;
        }
        if let Backend::Local(_) = backend {
            self.with_engine(|engine| engine.limit_outbox_bytes(LOCAL_EVENTS_BYTES));
        }
        *self.inner.outbox_store.borrow_mut() = Some(Rc::new(backend));
        self.join_tabs();
        self.run_storage();
    }

    /// Joins the tabs sharing this storage: their channel and their election. Also when the
    /// page comes back from the back-forward cache.
    pub(super) fn join_tabs(&self) {
        let Some(backend) = self.inner.outbox_store.borrow().clone() else { return };
        if matches!(*backend, Backend::Memory) || self.inner.sharing.borrow().is_some() {
            return;
        }
        let name = backend.shared_name(&self.inner.write_key);
        let channel = BroadcastChannel::new(&name).ok().map(|channel| {
            let weak = self.weak();
            let listener = EventListener::new(&channel, "message", false, move |event| {
                let message = event.dyn_ref::<web_sys::MessageEvent>().and_then(|event| Message::read(&event.data()));
                if let (Some(client), Some(message)) = (Client::from_weak(&weak), message) {
                    client.on_message(message);
                }
            });
            (channel, listener)
        });
        let weak = self.weak();
        let tab = self.with_engine(|engine| engine.random_id()).unwrap_or_default();
        let (election, method) = enter_election(&self.inner.window, &name, tab, move |sender| {
            if let Some(client) = Client::from_weak(&weak) {
                client.on_role(sender);
            }
        });
        // Without a channel, the sender learns of other tabs' events only by reading storage.
        let polls = !matches!(method, Method::None) && channel.is_none();
        *self.inner.sharing.borrow_mut() = Some(Sharing { channel, _election: election, polls });
    }

    /// Leaves the tabs' election and channel (the page goes into the back-forward cache): the
    /// events it kept stay in storage for the next sender.
    pub(super) fn leave_tabs(&self) {
        if self.inner.sharing.borrow_mut().take().is_some() {
            self.with_engine(|engine| engine.set_outbox_role(Role::Follower));
            self.inner.role_known.set(false);
        }
    }

    /// The election's verdict: this tab sends (and reads back every tab's events first), or
    /// another one does.
    fn on_role(&self, sender: bool) {
        self.inner.role_known.set(true);
        let role = self.with_engine(|engine| engine.outbox_role());
        let polls = self.inner.sharing.borrow().as_ref().is_some_and(|sharing| sharing.polls);
        match (sender, role) {
            (true, Some(Role::Follower)) => {
                self.with_engine(|engine| engine.set_outbox_role(Role::Sender));
                self.inner.read_back.set(true);
            }
            (true, _) => self.inner.read_back.set(self.inner.read_back.get() || polls),
            (false, Some(Role::Sender)) => {
                self.with_engine(|engine| engine.set_outbox_role(Role::Follower));
            }
            (false, _) => {}
        }
        self.run_storage();
        self.after_change();
    }

    fn on_message(&self, message: Message) {
        if let Message::Flushed(id) = &message {
            self.inner.flushes_passed_on.borrow_mut().retain(|waiting| waiting != id);
            return;
        }
        if self.with_engine(|engine| engine.outbox_role()) != Some(Role::Sender) {
            return;
        }
        match message {
            Message::Added(events) => {
                self.with_engine(|engine| engine.restore_outbox(events, None, now()));
                self.after_change();
            }
            Message::Flush(id) => {
                let client = self.clone();
                tasks::spawn(async move {
                    client.flush().await;
                    client.post(&Message::flushed(&id));
                });
            }
            Message::Flushed(_) => {}
        }
    }

    /// Another tab copied events to `localStorage`: it went away before its IndexedDB was open,
    /// or before it knew which tab sends. The sending tab takes them in (a quarter of a second
    /// later, once for a burst of them), moving them into IndexedDB.
    pub(super) fn take_in_events_left(&self) {
        let sends_from_indexed_db = self.with_engine(|engine| engine.outbox_role()) == Some(Role::Sender)
            && matches!(self.inner.outbox_store.borrow().as_deref(), Some(Backend::IndexedDb(..)));
        if !sends_from_indexed_db || self.inner.read_back_timer.borrow().is_some() {
            return;
        }
        let weak = self.weak();
        let timer = tasks::after(READ_BACK_DELAY_MS, move || {
            if let Some(client) = Client::from_weak(&weak) {
                client.inner.read_back_timer.borrow_mut().take();
                client.inner.read_back.set(true);
                client.run_storage();
            }
        });
        *self.inner.read_back_timer.borrow_mut() = Some(timer);
    }

    /// Hands what the outbox changed to the storage task.
    pub(super) fn persist_outbox(&self) {
        if self.collect_outbox_changes() {
            self.run_storage();
        }
    }

    /// Moves what the outbox changed into `unwritten`; false when nothing changed. Until the
    /// storage is open, new events are also copied to `localStorage` now.
    pub(super) fn collect_outbox_changes(&self) -> bool {
        let Some(changes) = self.with_engine(|engine| engine.take_outbox_changes()) else { return false };
        if changes.is_empty() {
            return false;
        }
        if self.inner.outbox_store.borrow().is_none() {
            self.write_ahead(&changes.added);
        }
        self.inner.unwritten.borrow_mut().append(changes);
        true
    }

    /// Copies `events` to `localStorage`, those not copied yet, in order, as long as they fit
    /// the SDK's share.
    fn write_ahead(&self, events: &[StoredEvent]) {
        let Some(share) = &self.inner.share else { return };
        let local = LocalEvents::new(Rc::clone(share));
        let mut written = self.inner.written_ahead.borrow_mut();
        for event in events {
            if written.contains_key(&*event.id) {
                continue;
            }
            if local.add(std::slice::from_ref(event)).is_err() {
                break;
            }
            written.insert(event.id.to_string(), 0);
        }
    }

    /// IndexedDB has `events` now: their copies in `localStorage` go.
    fn drop_written_ahead(&self, events: &[StoredEvent]) {
        let mut written = self.inner.written_ahead.borrow_mut();
        if written.is_empty() {
            return;
        }
        let Some(share) = &self.inner.share else { return };
        let local = LocalEvents::new(Rc::clone(share));
        for event in events {
            if written.remove(&*event.id).is_some() {
                local.delete(std::slice::from_ref(&event.id));
            }
        }
    }

    /// Runs the storage task unless it runs already: writes what is unwritten, in order, then
    /// reads back when asked, until nothing is left. It starts in a microtask, so the first
    /// write of a task's events begins before anything else happens.
    fn run_storage(&self) {
        if self.inner.outbox_store.borrow().is_none() || self.inner.storage_busy.replace(true) {
            return;
        }
        let client = self.clone();
        tasks::spawn(async move {
            // After a fallback, on with the next storage.
            loop {
                let store = client.inner.outbox_store.borrow().clone();
                let Some(backend) = store else { break };
                if !client.storage_task(&backend).await {
                    break;
                }
            }
            client.inner.storage_busy.set(false);
        });
    }

    /// Writes and reads back until nothing is left; true when `backend` failed and another
    /// one took its place.
    async fn storage_task(&self, backend: &Backend) -> bool {
        loop {
            let changes = self.inner.unwritten.borrow_mut().take_first(WRITES_PER_TRANSACTION);
            if !changes.is_empty() {
                let records = records(&changes.added);
                self.inner.writing.borrow_mut().clone_from(&changes.added);
                let written = backend.write(&changes, &records).await;
                self.inner.writing.borrow_mut().clear();
                match written {
                    Ok(()) => {
                        if let Backend::IndexedDb(..) = backend {
                            self.drop_written_ahead(&changes.added);
                        }
                        let follower = self.with_engine(|engine| engine.outbox_role()) == Some(Role::Follower);
                        if follower && records.length() > 0 {
                            self.post(&Message::added(&records));
                        }
                    }
                    Err(reason) => {
                        self.fall_back(backend, reason, changes);
                        return true;
                    }
                }
                continue;
            }
            if self.inner.read_back.replace(false) {
                match backend.read().await {
                    Ok((events, unreported)) => {
                        self.with_engine(|engine| engine.restore_outbox(events, unreported, now()));
                        self.after_change();
                    }
                    Err(reason) => warn(&format!("could not read the events waiting in {}: {reason}", backend.name())),
                }
                continue;
            }
            return false;
        }
    }

    /// `backend` could not write `failed`: the next storage takes them and what follows.
    fn fall_back(&self, backend: &Backend, reason: String, failed: OutboxChanges) {
        let (next, fallbacks) = backend.next(reason, self.inner.share.as_ref());
        self.put_back(failed);
        if !matches!(next, Backend::Memory) {
            // Another storage, another set of tabs: this one waits for its verdict there.
            self.with_engine(|engine| engine.set_outbox_role(Role::Follower));
            self.inner.role_known.set(false);
        }
        self.use_backend(next);
        self.report_fallbacks(fallbacks);
    }

    /// The page is hidden, perhaps going away: every event not committed to storage yet is
    /// made to last now. With IndexedDB (or none open yet) each is copied to `localStorage`;
    /// with `localStorage` alone the waiting writes are made at once. A tab that does not send
    /// posts them to the one that does; before it knows who sends, it sends them itself in
    /// requests that outlive the page. Returns what is left of the browser's budget for those
    /// requests.
    pub(super) fn write_before_leaving(&self) -> usize {
        let store = self.inner.outbox_store.borrow().clone();
        let mut pending = self.inner.writing.borrow().clone();
        pending.extend(self.inner.unwritten.borrow().added.iter().cloned());
        match store.as_deref() {
            Some(Backend::Local(local)) => {
                let changes = std::mem::take(&mut *self.inner.unwritten.borrow_mut());
                if let Err(reason) = local.write(&changes) {
                    warn(&format!("could not write the last events to localStorage: {reason}"));
                    self.put_back(changes);
                }
            }
            Some(Backend::Memory) => {}
            Some(Backend::IndexedDb(..)) | None => self.write_ahead(&pending),
        }
        let role = self.with_engine(|engine| engine.outbox_role());
        if pending.is_empty() || role != Some(Role::Follower) {
            return KEEPALIVE_MAX_BYTES;
        }
        if self.inner.role_known.get() {
            // Posted again once written, if the page stays: the sender takes an event once.
            self.post(&Message::added(&records(&pending)));
            return KEEPALIVE_MAX_BYTES;
        }
        let bodies =
            self.with_engine(|engine| engine.bodies_for(&pending, now(), KEEPALIVE_MAX_BYTES)).unwrap_or_default();
        let mut left = KEEPALIVE_MAX_BYTES;
        for body in bodies {
            left = left.saturating_sub(body.len());
            self.inner.transport.send_and_forget(body);
        }
        left
    }

    /// Changes a write failed to store go back ahead of those queued since, to be written first.
    fn put_back(&self, failed: OutboxChanges) {
        let mut unwritten = self.inner.unwritten.borrow_mut();
        let later = std::mem::replace(&mut *unwritten, failed);
        unwritten.append(later);
    }

    fn post(&self, message: &wasm_bindgen::JsValue) {
        let sharing = self.inner.sharing.borrow();
        if let Some((channel, _)) = sharing.as_ref().and_then(|sharing| sharing.channel.as_ref())
            && let Err(error) = channel.post_message(message)
        {
            warn_with("could not tell the sending tab about new events:", &error);
        }
    }

    /// Waits, a few seconds at most, until this tab knows its role and storage has written
    /// everything queued so far (and read back, for a new sender).
    async fn storage_settled(&self) {
        for _ in 0..ROLE_WAIT_STEPS {
            if self.inner.role_known.get() && !self.inner.storage_busy.get() {
                return;
            }
            TimeoutFuture::new(WAIT_STEP_MS).await;
        }
    }

    /// `flush()`: the sender sends everything now; a follower, once its events are written,
    /// asks the sender to and waits until it says the collector answered (or this tab becomes
    /// the sender, or the wait runs out).
    pub(crate) async fn flush(&self) {
        self.save_now();
        self.persist_outbox();
        self.storage_settled().await;
        let follows = || self.with_engine(|engine| engine.outbox_role()) == Some(Role::Follower);
        let has_channel = self.inner.sharing.borrow().as_ref().is_some_and(|sharing| sharing.channel.is_some());
        if follows() && has_channel {
            let id = self.with_engine(|engine| engine.random_id()).unwrap_or_default();
            self.inner.flushes_passed_on.borrow_mut().push(id.clone());
            self.post(&Message::flush(&id));
            let answered = || !self.inner.flushes_passed_on.borrow().contains(&id);
            for _ in 0..FLUSH_ANSWER_WAIT_STEPS {
                if answered() || !follows() {
                    break;
                }
                TimeoutFuture::new(WAIT_STEP_MS).await;
            }
            self.inner.flushes_passed_on.borrow_mut().retain(|waiting| waiting != &id);
        }
        if !follows() {
            self.storage_settled().await;
            self.send_all().await;
        }
    }
}
