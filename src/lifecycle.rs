//! The page's lifecycle: when the page is hidden (tab switched, window minimized, page being
//! left) what is queued must go out now, and when it is shown again what waited for it is
//! decided; when it is left or put in the back-forward cache it gives up what it shows, and a
//! page restored from that cache takes part again. No `unload` listener: it breaks the
//! back-forward cache and does not fire reliably on mobile.

use wasm_bindgen::JsValue;
use web_sys::{Document, VisibilityState, Window};

use crate::listener::EventListener;

/// What the client does at each moment of the page's life.
pub(crate) struct Page<V, L, R> {
    /// The page became visible (`true`) or hidden.
    pub(crate) on_visibility: V,
    /// The page is being left (`pagehide`); `true` when it goes into the back-forward cache.
    pub(crate) on_leave: L,
    /// The page came back from the back-forward cache.
    pub(crate) on_restore: R,
}

/// Whether a `pagehide` or `pageshow` event is about the back-forward cache.
fn persisted(event: &web_sys::Event) -> bool {
    js_sys::Reflect::get(event, &JsValue::from_str("persisted")).is_ok_and(|value| value.is_truthy())
}

/// Listens to the page's lifecycle; the listeners are added to `listeners`.
pub(crate) fn listen(
    window: &Window,
    document: &Document,
    page: Page<impl Fn(bool) + 'static, impl Fn(bool) + 'static, impl Fn() + 'static>,
    listeners: &mut Vec<EventListener>,
) {
    let Page { on_visibility, on_leave, on_restore } = page;
    let visibility_document = document.clone();
    let visibility = EventListener::new(document, "visibilitychange", false, move |_| {
        on_visibility(visibility_document.visibility_state() != VisibilityState::Hidden);
    });
    let page_hide = EventListener::new(window, "pagehide", false, move |event| on_leave(persisted(&event)));
    let page_show = EventListener::new(window, "pageshow", false, move |event| {
        if persisted(&event) {
            on_restore();
        }
    });
    listeners.extend(visibility);
    listeners.extend(page_hide);
    listeners.extend(page_show);
}
