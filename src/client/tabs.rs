//! The user's state shared with the other tabs of the app (`uptake_core::state::OtherParts`).
//! This tab writes only its own part: what it recorded, and what it has on screen (the rules
//! whose prompt or survey it shows, the tour); it reads the other parts at the start and takes
//! in their changes as `storage` events bring them, so every tab decides from everything the
//! user did, and shows nothing another tab has on screen.
//!
//! Each tab holds a Web Lock named after it while it lives (`uptake:<write key>:tab:<id>`), and
//! writes no part before it holds it; the parts of tabs holding none (closed, crashed, in the
//! back-forward cache) are folded into the base by one tab at a time, so the stored state does
//! not grow with the tabs ever opened. A page restored from the back-forward cache starts a new
//! part under a new id. Without Web Locks, parts are written at once, and a page folds its own
//! as it goes.

use uptake_core::state::TabPart;
use wasm_bindgen::JsCast;

use super::{Client, now};
use crate::console::warn_with;
use crate::listener::EventListener;
use crate::locks::{self, lock_manager};
use crate::storage::{Storage, base_name, part_name, part_of};
use crate::tasks;

/// How long after the start the parts of closed tabs are folded: off the page's start.
const FOLD_AFTER_MS: u32 = 3_000;
/// Folds are at least this far apart.
const FOLD_EVERY_MS: f64 = 10_000.0;

impl Client {
    fn tab_lock_name(&self, tab: &str) -> String {
        format!("uptake:{}:tab:{tab}", self.inner.write_key)
    }

    fn user_id(&self) -> Option<String> {
        self.with_engine(|engine| engine.identity().user_id.clone()).flatten()
    }

    /// Holds this tab's lock, and writes its part once it does; with no Web Locks, at once.
    pub(super) fn hold_tab_lock(&self) {
        let Some(locks) = lock_manager(&self.inner.window) else {
            self.inner.part_writable.set(true);
            return;
        };
        let weak = self.weak();
        let name = self.tab_lock_name(&self.inner.tab.borrow());
        let lock = locks::hold(&locks, &name, move || {
            if let Some(client) = Client::from_weak(&weak) {
                client.inner.part_writable.set(true);
                client.save_now();
            }
        });
        *self.inner.tab_lock.borrow_mut() = Some(lock);
        let weak = self.weak();
        tasks::after(FOLD_AFTER_MS, move || {
            if let Some(client) = Client::from_weak(&weak) {
                client.fold_closed_tabs();
            }
        })
        .forget();
    }

    /// Reads what the other tabs and the closed ones stored of `user_id`, and decides from it
    /// plus what this tab recorded. A base that cannot be read is discarded and reported (one
    /// a newer release wrote is left to it).
    pub(super) fn restore_state(&self, user_id: Option<&str>) {
        let storage = &self.inner.storage;
        let base = match storage.load_base(user_id) {
            Ok(base) => base.unwrap_or_default(),
            Err(unusable) => {
                let reason = unusable.error.to_string();
                warn_with("the stored usage state was discarded:", &reason.as_str().into());
                if !unusable.is_newer() {
                    storage.discard_base(user_id);
                }
                self.with_engine(|engine| engine.report_state_discarded(&reason, now()));
                Default::default()
            }
        };
        let tab = self.inner.tab.borrow().clone();
        *self.inner.others.borrow_mut() = storage.load_others(user_id, &tab, base);
        self.take_in_others();
    }

    /// Back to a user this tab switched away from (`identify`): what it recorded of them then is
    /// its own part again.
    pub(super) fn take_back_own_part(&self, user_id: &str) {
        let tab = self.inner.tab.borrow().clone();
        if let Some(part) = self.inner.storage.load_own_part(&tab, Some(user_id)) {
            self.with_engine(|engine| engine.adopt(&part.state, now()));
        }
    }

    /// Decides from what the others recorded (as last read) plus what this tab recorded.
    fn take_in_others(&self) {
        let (sum, shown) = {
            let others = self.inner.others.borrow();
            (others.sum(), others.shown_rules())
        };
        self.with_engine(|engine| {
            engine.absorb_others(sum, now());
            engine.set_claimed_elsewhere(shown);
        });
    }

    /// Another tab changed a key of the SDK's: its share counts it, and a part or the base of
    /// this tab's user is taken in.
    pub(super) fn on_storage_event(&self, event: &web_sys::StorageEvent) {
        let Some(share) = &self.inner.share else { return };
        let (key, new_value) = (event.key(), event.new_value());
        let Some(name) = share.observe(key.as_deref(), event.old_value().as_deref(), new_value.as_deref()) else {
            return;
        };
        if name.starts_with("event:") && new_value.is_some() {
            self.take_in_events_left();
            return;
        }
        let base = base_name(self.user_id().as_deref());
        if name == base {
            self.inner.others.borrow_mut().base = Storage::read_base(new_value.as_deref());
        } else if let Some((tab, _)) = part_of(name).filter(|(_, of)| *of == base) {
            if *tab == *self.inner.tab.borrow() {
                return;
            }
            self.inner.others.borrow_mut().set_part(tab, Storage::read_part(new_value.as_deref()));
        } else {
            return;
        }
        self.take_in_others();
        self.refresh_experiences();
        self.after_change();
    }

    /// Listens to the other tabs' writes.
    pub(super) fn listen_to_tabs(&self) -> Option<EventListener> {
        let weak = self.weak();
        EventListener::new(&self.inner.window, "storage", false, move |event| {
            if let (Some(client), Some(event)) = (Client::from_weak(&weak), event.dyn_ref::<web_sys::StorageEvent>()) {
                client.on_storage_event(event);
            }
        })
    }

    /// Writes this tab's part, if it changed (or what it shows did) and it may write it.
    pub(super) fn save_part(&self) {
        if !self.inner.part_writable.get() {
            return;
        }
        let changed = self.inner.part_changed.replace(false);
        let Some((user_id, state)) = self.with_engine(|engine| {
            let state = engine.take_changed_part().or_else(|| changed.then(|| engine.own_part()));
            (engine.identity().user_id.clone(), state)
        }) else {
            return;
        };
        let Some(state) = state else { return };
        // What it shows, as the screen has it; nothing once the page is left.
        let shown = !self.inner.left.get();
        let part = TabPart {
            state,
            shown_rules: self.shown_interruption_rule().filter(|_| shown).into_iter().collect(),
            shows_tour: shown && self.shows_tour_step(),
        };
        self.inner.storage.save_part(&self.inner.tab.borrow(), user_id.as_deref(), &part);
    }

    /// What this tab shows changed (a prompt or survey of a rule, the tour's step): the other
    /// tabs learn it now.
    pub(super) fn claims_changed(&self) {
        self.inner.part_changed.set(true);
        self.save_now();
    }

    /// Whether another tab shows the tour now. Its holder may be gone without a word (a
    /// crash): the parts of closed tabs are folded then, which ends their claims.
    pub(super) fn tour_shown_elsewhere(&self) -> bool {
        let elsewhere = self.inner.others.borrow().tour_shown_by().is_some();
        if elsewhere {
            self.fold_closed_tabs();
        }
        elsewhere
    }

    /// Without Web Locks no tab can tell that another closed, so a page folds its own part into
    /// the base as it goes (two pages closing at the same instant may then lose one's fold).
    pub(super) fn fold_own_part_without_locks(&self) {
        if lock_manager(&self.inner.window).is_some() {
            return;
        }
        let storage = &self.inner.storage;
        let user_id = self.user_id();
        let tab = self.inner.tab.borrow().clone();
        if let Some(part) = storage.load_own_part(&tab, user_id.as_deref()) {
            let name = part_name(&tab, user_id.as_deref());
            storage.fold_into_base(&name, &tab, &base_name(user_id.as_deref()), &part, &storage.all_parts());
        }
    }

    /// The page leaves (or goes into the back-forward cache): its part says it shows nothing.
    pub(super) fn leave_screen(&self) {
        self.inner.left.set(true);
        self.inner.part_changed.set(true);
    }

    /// The page came back from the back-forward cache: its old part, saved as it left, may have
    /// been folded meanwhile, so it is another tab's now; this tab starts a new one, under a new
    /// id and lock, which claims again what it still shows.
    pub(super) fn start_new_part(&self) {
        let tab = self.with_engine(|engine| engine.random_id()).unwrap_or_default();
        *self.inner.tab.borrow_mut() = tab;
        self.inner.part_writable.set(false);
        self.inner.left.set(false);
        self.inner.part_changed.set(true);
        self.with_engine(|engine| engine.start_new_part());
        let user_id = self.user_id();
        self.restore_state(user_id.as_deref());
        self.hold_tab_lock();
        self.refresh_experiences();
    }

    /// Folds the parts of closed tabs into their users' bases, where Web Locks tell which tabs
    /// live; one tab at a time (the fold's own lock), in the background.
    pub(super) fn fold_closed_tabs(&self) {
        let Some(locks) = lock_manager(&self.inner.window) else { return };
        let started = js_sys::Date::now();
        if self.inner.folding.get() || started < self.inner.last_fold.get() + FOLD_EVERY_MS {
            return;
        }
        self.inner.folding.set(true);
        self.inner.last_fold.set(started);
        let client = self.clone();
        tasks::spawn(async move {
            let held = locks::held(&locks).await;
            let fold_lock = format!("uptake:{}:fold", client.inner.write_key);
            let folder = client.clone();
            locks::with_lock_if_free(&locks, &fold_lock, move || folder.fold(&held)).await;
            client.inner.folding.set(false);
        });
    }

    /// Folds every part whose tab holds no lock (`held`, the locks held) into its base: the base
    /// is written first, listing the tab, then the part deleted.
    fn fold(&self, held: &[String]) {
        let storage = &self.inner.storage;
        let mine = self.inner.tab.borrow().clone();
        let parts = storage.all_parts();
        for name in &parts {
            let Some((tab, base)) = part_of(name) else { continue };
            if tab == mine || held.contains(&self.tab_lock_name(tab)) {
                continue;
            }
            let part = match storage.load_part(name) {
                Ok(part) => part,
                // Another release's part is its to fold; a broken one is deleted.
                Err(unusable) if unusable.is_newer() => continue,
                Err(_) => {
                    storage.remove_part_named(name);
                    continue;
                }
            };
            storage.fold_into_base(name, tab, base, &part, &parts);
        }
        // The base just written, and the part deletions, reach this tab too.
        let user_id = self.user_id();
        self.restore_state(user_id.as_deref());
    }
}
