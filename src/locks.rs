//! Web Locks (`navigator.locks`), which `web-sys` has only behind its unstable flag: the locks
//! the tabs of an app share. The browser releases a tab's locks when it closes, crashes or
//! navigates away, so a held lock also tells the other tabs that its holder is alive.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Array, Function, Object, Promise, Reflect};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen]
extern "C" {
    pub(crate) type LockManager;

    #[wasm_bindgen(method, js_name = request)]
    pub(crate) fn request(this: &LockManager, name: &str, options: &Object, callback: &Function) -> Promise;

    #[wasm_bindgen(method, js_name = query)]
    fn query(this: &LockManager) -> Promise;
}

/// The page's lock manager, where there is one.
pub(crate) fn lock_manager(window: &web_sys::Window) -> Option<LockManager> {
    let locks = Reflect::get(&window.navigator(), &JsValue::from_str("locks")).ok()?;
    locks.is_object().then(|| locks.unchecked_into())
}

/// A lock held until this handle is dropped (or the page goes).
#[must_use = "the lock is released when this handle is dropped"]
pub(crate) struct HeldLock {
    state: Rc<LockState>,
}

#[derive(Default)]
struct LockState {
    /// Resolving it releases the lock, once granted.
    release: RefCell<Option<Function>>,
    /// Dropped before it was granted: released as soon as it is.
    dropped: Cell<bool>,
}

impl Drop for HeldLock {
    fn drop(&mut self) {
        self.state.dropped.set(true);
        if let Some(release) = self.state.release.borrow_mut().take() {
            let _ = release.call0(&JsValue::UNDEFINED);
        }
    }
}

/// Asks for `name` and holds it, once granted (then calls `on_granted`), until the handle is
/// dropped.
pub(crate) fn hold(locks: &LockManager, name: &str, on_granted: impl FnOnce() + 'static) -> HeldLock {
    let state = Rc::new(LockState::default());
    let granted_state = Rc::clone(&state);
    let granted = Closure::once_into_js(move |_lock: JsValue| -> Promise {
        if granted_state.dropped.get() {
            return Promise::resolve(&JsValue::UNDEFINED);
        }
        let held = Promise::new(&mut |resolve, _| {
            *granted_state.release.borrow_mut() = Some(resolve);
        });
        on_granted();
        held
    });
    let _ = locks.request(name, &Object::new(), granted.unchecked_ref());
    HeldLock { state }
}

/// Runs `task` holding `name`, if no one else holds it now; false when someone does (or the
/// browser refused).
pub(crate) async fn with_lock_if_free(locks: &LockManager, name: &str, task: impl FnOnce() + 'static) -> bool {
    let options = Object::new();
    let _ = Reflect::set(&options, &JsValue::from_str("ifAvailable"), &JsValue::TRUE);
    let granted = Closure::once_into_js(move |lock: JsValue| -> JsValue {
        if lock.is_null() {
            return JsValue::FALSE;
        }
        task();
        JsValue::TRUE
    });
    let done = locks.request(name, &options, granted.unchecked_ref());
    JsFuture::from(done).await.is_ok_and(|ran| ran.is_truthy())
}

/// The names of the locks held now, by any tab of the origin.
pub(crate) async fn held(locks: &LockManager) -> Vec<String> {
    let Ok(snapshot) = JsFuture::from(locks.query()).await else { return Vec::new() };
    let held: Array =
        Reflect::get(&snapshot, &JsValue::from_str("held")).map(JsCast::unchecked_into).unwrap_or_default();
    let mut names = Vec::with_capacity(held.length() as usize);
    for lock in held.iter() {
        if let Some(name) = Reflect::get(&lock, &JsValue::from_str("name")).ok().and_then(|name| name.as_string()) {
            names.push(name);
        }
    }
    names
}
