//! A DOM event listener owned by a handle: it is removed when the handle is dropped, so
//! listeners never outlive what they serve.

use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{Event, EventTarget};

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
        let callback = Closure::<dyn FnMut(Event)>::new(handler);
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
