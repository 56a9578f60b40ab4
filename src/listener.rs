//! A DOM event listener owned by a handle: it is removed when the handle is dropped, so
//! listeners never outlive what they serve. Before the SDK handles any event, the `track` calls
//! the ES-module wrapper has noted are taken in, so that what the event records (a page view, a
//! click, the page being hidden) comes after them, as it did in the app.

use std::cell::RefCell;

use js_sys::Function;
use wasm_bindgen::JsCast;
use wasm_bindgen::JsValue;
use wasm_bindgen::closure::Closure;
use web_sys::{Event, EventTarget};

thread_local! {
    static TAKE_IN_NOTED_CALLS: RefCell<Option<Function>> = const { RefCell::new(None) };
}

/// The wrapper's function that takes in the `track` calls it noted (`takeInNoted` of the
/// options `start` gets); the SDK calls it before handling an event.
pub(crate) fn set_take_in_noted_calls(take_in: Option<Function>) {
    TAKE_IN_NOTED_CALLS.with(|slot| *slot.borrow_mut() = take_in);
}

/// Takes in the `track` calls noted so far, before the SDK handles an event of the page.
pub(crate) fn take_in_noted_calls() {
    let take_in = TAKE_IN_NOTED_CALLS.with(|slot| slot.borrow().clone());
    if let Some(take_in) = take_in {
        let _ = take_in.call0(&JsValue::UNDEFINED);
    }
}

#[must_use = "the listener is removed when this handle is dropped"]
pub(crate) struct EventListener {
    target: EventTarget,
    kind: &'static str,
    capture: bool,
    callback: Closure<dyn FnMut(Event)>,
}

impl EventListener {
    /// Listens for `kind` on `target`; `None` if the browser refused the listener.
    pub(crate) fn new(
        target: &EventTarget,
        kind: &'static str,
        capture: bool,
        handler: impl FnMut(Event) + 'static,
    ) -> Option<EventListener> {
        Self::boxed(target, kind, capture, Box::new(handler))
    }

    /// `new` without its type parameter: one closure type for every listener, so the wasm
    /// carries one copy of wasm-bindgen's closure glue instead of one per call site.
    fn boxed(
        target: &EventTarget,
        kind: &'static str,
        capture: bool,
        mut handler: Box<dyn FnMut(Event)>,
    ) -> Option<EventListener> {
        let callback = Closure::<dyn FnMut(Event)>::new(move |event| {
            take_in_noted_calls();
            handler(event);
        });
        target.add_event_listener_with_callback_and_bool(kind, callback.as_ref().unchecked_ref(), capture).ok()?;
        Some(EventListener { target: target.clone(), kind, capture, callback })
    }
}

impl Drop for EventListener {
    fn drop(&mut self) {
        let _ = self.target.remove_event_listener_with_callback_and_bool(
            self.kind,
            self.callback.as_ref().unchecked_ref(),
            self.capture,
        );
    }
}
