//! The page's lifecycle: when the page is hidden (tab switched, closed, navigated away) or put
//! in the back-forward cache, what is queued must go out now; a page restored from that cache
//! takes part again. No `unload` listener: it breaks the back-forward cache and does not fire
//! reliably on mobile.

use wasm_bindgen::JsValue;
use web_sys::{Document, VisibilityState, Window};

use crate::listener::EventListener;

/// Whether a `pagehide` or `pageshow` event is about the back-forward cache.
fn persisted(event: &web_sys::Event) -> bool {
    js_sys::Reflect::get(event, &JsValue::from_str("persisted")).is_ok_and(|value| value.is_truthy())
}

/// Calls `on_hide(entering_cache)` when the page becomes hidden or is being left
/// (`entering_cache` when it goes into the back-forward cache), and `on_restore` when it comes
/// back from that cache; the listeners are added to `listeners`.
pub(crate) fn listen(
    window: &Window,
    document: &Document,
    on_hide: impl Fn(bool) + Clone + 'static,
    on_restore: impl Fn() + 'static,
    listeners: &mut Vec<EventListener>,
) {
    let visibility_document = document.clone();
    let on_visibility_hide = on_hide.clone();
    let visibility = EventListener::new(document, "visibilitychange", false, move |_| {
        if visibility_document.visibility_state() == VisibilityState::Hidden {
            on_visibility_hide(false);
        }
    });
    let page_hide = EventListener::new(window, "pagehide", false, move |event| on_hide(persisted(&event)));
    let page_show = EventListener::new(window, "pageshow", false, move |event| {
        if persisted(&event) {
            on_restore();
        }
    });
    listeners.extend(visibility);
    listeners.extend(page_hide);
    listeners.extend(page_show);
}
