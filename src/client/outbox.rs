//! The client's side of the shared outbox: every event is written ahead to the device's
//! storage as soon as it is queued (in order, at most 64 writes per transaction), the tab
//! elected to send reads back what other tabs wrote, and a storage that fails is replaced by
//! the next one, reported once as a console warning and a `storage_fallback` event.

use std::rc::Rc;

use gloo_timers::future::TimeoutFuture;
use uptake_core::outbox::{OutboxChanges, Role};
use wasm_bindgen::JsCast;
use web_sys::BroadcastChannel;

use super::{Client, now};
use crate::console::{warn, warn_with};
use crate::listener::EventListener;
use crate::outbox_store::{Backend, Fallback, Message, Method, enter_election, records};
use crate::tasks;

/// How long `flush()` waits for this tab to learn whether it sends, in steps of `WAIT_STEP_MS`.
const ROLE_WAIT_STEPS: u32 = 300;
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

/// Appends `more` to `changes`, keeping their order.
fn append(changes: &mut OutboxChanges, more: OutboxChanges) {
    changes.added.extend(more.added);
    changes.removed.extend(more.removed);
    if more.unreported.is_some() {
        changes.unreported = more.unreported;
    }
}

impl Client {
    /// Opens the best storage that works, in the background; events queued meanwhile wait in
    /// `unwritten`.
    pub(super) fn open_outbox_store(&self) {
        let client = self.clone();
        tasks::spawn(async move {
            let (backend, fallbacks) = Backend::open(&client.inner.window, &client.inner.write_key).await;
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
        if self.with_engine(|engine| engine.outbox_role()) != Some(Role::Sender) {
            return;
        }
        match message {
            Message::Added(events) => {
                self.with_engine(|engine| engine.restore_outbox(events, None, now()));
                self.after_change();
            }
            Message::Flush => {
                let client = self.clone();
                tasks::spawn(async move { client.send_all().await });
            }
        }
    }

    /// Hands what the outbox changed to the storage task.
    pub(super) fn persist_outbox(&self) {
        if self.collect_outbox_changes() {
            self.run_storage();
        }
    }

    /// Moves what the outbox changed into `unwritten`; false when nothing changed.
    pub(super) fn collect_outbox_changes(&self) -> bool {
        let Some(changes) = self.with_engine(|engine| engine.take_outbox_changes()) else { return false };
        if changes.is_empty() {
            return false;
        }
        append(&mut self.inner.unwritten.borrow_mut(), changes);
        true
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
                match backend.write(&changes, &records).await {
                    Ok(()) => {
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
        let (next, fallbacks) = backend.next(&self.inner.window, &self.inner.write_key, reason);
        self.put_back(failed);
        if !matches!(next, Backend::Memory) {
            // Another storage, another set of tabs: this one waits for its verdict there.
            self.with_engine(|engine| engine.set_outbox_role(Role::Follower));
            self.inner.role_known.set(false);
        }
        self.use_backend(next);
        self.report_fallbacks(fallbacks);
    }

    /// The page is going away: what is not written yet is written now, in a transaction begun
    /// before the handler returns, rather than after writes still waiting to finish. With no
    /// storage open yet, this page keeps and sends its own events, as a page alone does.
    pub(super) fn write_before_leaving(&self) {
        let store = self.inner.outbox_store.borrow().clone();
        let Some(backend) = store else {
            let unwritten = std::mem::take(&mut *self.inner.unwritten.borrow_mut());
            self.with_engine(|engine| {
                engine.set_outbox_role(Role::Alone);
                engine.restore_outbox(unwritten.added, None, now());
            });
            return;
        };
        let changes = std::mem::take(&mut *self.inner.unwritten.borrow_mut());
        if changes.is_empty() {
            return;
        }
        let client = self.clone();
        tasks::spawn(async move {
            if let Err(reason) = backend.write(&changes, &records(&changes.added)).await {
                // Too late for another storage; put them back for the storage task.
                warn(&format!("could not write the last events to {}: {reason}", backend.name()));
                client.put_back(changes);
            }
        });
    }

    /// Changes a write failed to store go back ahead of those queued since, to be written first.
    fn put_back(&self, failed: OutboxChanges) {
        let mut unwritten = self.inner.unwritten.borrow_mut();
        let later = std::mem::replace(&mut *unwritten, failed);
        append(&mut unwritten, later);
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
    /// asks the sender to.
    pub(crate) async fn flush(&self) {
        self.save_now();
        self.persist_outbox();
        self.storage_settled().await;
        if self.with_engine(|engine| engine.outbox_role()) == Some(Role::Follower) {
            self.post(&Message::flush());
        } else {
            self.send_all().await;
        }
    }
}
