//! Which tab sends the shared outbox: the holder of a Web Lock (`navigator.locks`), which the
//! browser releases when the tab closes, crashes or navigates away, handing it to the next tab
//! waiting for it. Where there is no Web Locks API, a lease in `localStorage` decided in
//! `uptake_core::outbox::lease`; where there is neither, every tab sends its own.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gloo_timers::callback::Interval;
use js_sys::{Function, Object, Promise, Reflect};
use uptake_core::outbox::lease::{self, LEASE_CHECK_EVERY, Lease};
use uptake_core::time::Timestamp;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::locks::{LockManager, lock_manager};
use crate::tasks;

/// Keeps this tab in the election while it lives: dropping it gives the role up.
pub(crate) struct Election {
    lock: Rc<LockHold>,
    _lease_check: Option<Interval>,
}

/// This tab's part in the Web Lock: whether it still wants it, how to release it, and how to
/// take back a request still waiting.
#[derive(Default)]
struct LockHold {
    withdrawn: Cell<bool>,
    /// Resolving it releases the lock this tab holds.
    release: RefCell<Option<Function>>,
    waiting: RefCell<Option<web_sys::AbortController>>,
}

impl LockHold {
    fn withdraw(&self) {
        self.withdrawn.set(true);
        if let Some(release) = self.release.borrow_mut().take() {
            let _ = release.call0(&JsValue::UNDEFINED);
        }
        if let Some(waiting) = self.waiting.borrow_mut().take() {
            waiting.abort();
        }
    }
}

impl Drop for Election {
    fn drop(&mut self) {
        self.lock.withdraw();
    }
}

/// How the role is decided here.
pub(crate) enum Method {
    WebLocks,
    Lease,
    /// Neither: this tab sends its own events.
    None,
}

/// Enters the election for `name`. `on_role(true)` when this tab becomes the sender,
/// `on_role(false)` when another tab is; called again whenever that changes (and, with a
/// lease, at each check).
pub(crate) fn enter(
    window: &web_sys::Window,
    name: &str,
    tab: String,
    on_role: impl Fn(bool) + 'static,
) -> (Election, Method) {
    let on_role: Rc<dyn Fn(bool)> = Rc::new(on_role);
    let lock = Rc::new(LockHold::default());
    if let Some(locks) = lock_manager(window) {
        request_lock(locks, name.to_owned(), true, on_role, lock.clone());
        return (Election { lock, _lease_check: None }, Method::WebLocks);
    }
    let Ok(Some(storage)) = window.local_storage() else {
        on_role(true);
        return (Election { lock, _lease_check: None }, Method::None);
    };
    let key = format!("{name}:lease");
    let check = move || {
        let now = Timestamp::from_millis(js_sys::Date::now() as i64);
        let current = storage.get_item(&key).ok().flatten().and_then(|text| Lease::parse(&text));
        if let Some(claimed) = lease::claim(current.as_ref(), &tab, now) {
            let _ = storage.set_item(&key, &claimed.to_text());
        }
        // Read back: of two tabs writing at once, the last write holds.
        let held = storage.get_item(&key).ok().flatten().and_then(|text| Lease::parse(&text));
        on_role(held.is_some_and(|lease| lease.is_held_by(&tab, now)));
    };
    check();
    let interval = Interval::new(LEASE_CHECK_EVERY.as_millis() as u32, check);
    (Election { lock, _lease_check: Some(interval) }, Method::Lease)
}

/// Asks for the lock; the first time only if it is free (to learn at once that another tab
/// sends), then waiting in line for it.
fn request_lock(locks: LockManager, name: String, if_available: bool, on_role: Rc<dyn Fn(bool)>, hold: Rc<LockHold>) {
    let options = Object::new();
    let _ = Reflect::set(&options, &JsValue::from_str("ifAvailable"), &JsValue::from_bool(if_available));
    if !if_available && let Ok(controller) = web_sys::AbortController::new() {
        let _ = Reflect::set(&options, &JsValue::from_str("signal"), &controller.signal());
        *hold.waiting.borrow_mut() = Some(controller);
    }
    let withdrawn = hold.clone();
    let (locks_again, name_again, on_refusal): (LockManager, _, _) =
        (locks.clone().unchecked_into(), name.clone(), on_role.clone());
    let granted = Closure::once_into_js(move |lock: JsValue| -> Promise {
        hold.waiting.borrow_mut().take();
        if hold.withdrawn.get() {
            return Promise::resolve(&JsValue::UNDEFINED);
        }
        if lock.is_null() {
            on_role(false);
            request_lock(locks_again, name_again, false, on_role, hold);
            return Promise::resolve(&JsValue::UNDEFINED);
        }
        // Held until this promise settles: when the page goes or the election is dropped.
        let held = Promise::new(&mut |resolve, _| {
            *hold.release.borrow_mut() = Some(resolve);
        });
        on_role(true);
        held
    });
    let pending = locks.request(&name, &options, granted.unchecked_ref());
    // Refused (an opaque origin, a sandboxed frame): this tab sends its own events.
    tasks::spawn(async move {
        if let Err(error) = JsFuture::from(pending).await
            && !withdrawn.withdrawn.get()
        {
            crate::console::warn_with("no Web Lock to share the sending of events; this tab sends its own:", &error);
            on_refusal(true);
        }
    });
}
