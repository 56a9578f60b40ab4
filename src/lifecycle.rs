//! The page's lifecycle: when the page is hidden (tab switched, closed, navigated away) or put
//! in the back-forward cache, what is queued must go out now. No `unload` listener: it breaks the
//! back-forward cache and does not fire reliably on mobile.

use web_sys::{Document, VisibilityState, Window};

use crate::listener::EventListener;

/// Calls `on_hide` when the page becomes hidden or is being left.
pub(crate) fn listen(window: &Window, document: &Document, on_hide: impl Fn() + Clone + 'static) -> Vec<EventListener> {
    let visibility_document = document.clone();
    let on_visibility_hide = on_hide.clone();
    let visibility = EventListener::new(document, "visibilitychange", false, move |_| {
        if visibility_document.visibility_state() == VisibilityState::Hidden {
            on_visibility_hide();
        }
    });
    let page_hide = EventListener::new(window, "pagehide", false, move |_| on_hide());
    visibility.into_iter().chain(page_hide).collect()
}
