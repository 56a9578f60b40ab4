//! Which of the selectors the rules watch are on the page (shown, and found in open shadow
//! roots too, as experiences find their targets): checked when the config loads, on
//! each page view, and after the DOM changes (a MutationObserver, at most every 250 ms), and
//! reported to the engine. A selector the browser cannot parse is reported once and counts as
//! absent. The DOM watched is the document's and, once a search had to look into them (a
//! selector or a tour's target not found outside), that of every open shadow root (at most as
//! many as a search looks into, `TargetSearch`), so an element a web component renders later is
//! seen too.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gloo_timers::callback::Timeout;
use uptake_core::quote::quoted;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{Document, MutationObserver, MutationObserverInit, ShadowRoot};

use crate::console::warn;
use crate::tasks;
use crate::ui::TargetSearch;

/// Checks after DOM changes are at least this far apart.
const CHECK_DELAY_MS: u32 = 250;

/// Whether each selector matches an element on screen (in the document or an open shadow root,
/// and rendered: what the SDK can point at), found with `search`; a selector the browser refuses
/// is absent.
pub(crate) fn present(search: &TargetSearch<'_>, selectors: &[String], warned: &Cell<bool>) -> Vec<bool> {
    let mut present = Vec::with_capacity(selectors.len());
    for selector in selectors {
        present.push(match search.find(selector) {
            Ok(found) => found.is_some(),
            Err(_) => {
                if !warned.replace(true) {
                    warn(&format!("the config's selector {} is not valid CSS; it never matches", quoted(selector)));
                }
                false
            }
        });
    }
    present
}

/// Watches the DOM and calls `on_change` (throttled) after it changes. Stops when dropped.
pub(crate) struct ElementWatch {
    observer: MutationObserver,
    _callback: Closure<dyn FnMut()>,
    _pending: Rc<RefCell<Option<Timeout>>>,
}

impl ElementWatch {
    pub(crate) fn start(document: &Document, on_change: impl Fn() + 'static) -> Option<ElementWatch> {
        let on_change = Rc::new(on_change);
        let pending: Rc<RefCell<Option<Timeout>>> = Rc::new(RefCell::new(None));
        let scheduled = Rc::clone(&pending);
        let callback = Closure::<dyn FnMut()>::new(move || {
            if scheduled.borrow().is_some() {
                return;
            }
            let on_change = Rc::clone(&on_change);
            let done = Rc::clone(&scheduled);
            let timer = tasks::after(CHECK_DELAY_MS, move || {
                done.borrow_mut().take();
                on_change();
            });
            *scheduled.borrow_mut() = Some(timer);
        });
        let observer = MutationObserver::new(callback.as_ref().unchecked_ref()).ok()?;
        let root = document.document_element()?;
        observer.observe_with_options(&root, &changes()).ok()?;
        Some(ElementWatch { observer, _callback: callback, _pending: pending })
    }

    /// Watches the DOM of these shadow roots too (those a search listed); one already watched
    /// is watched once.
    pub(crate) fn watch_shadow_roots(&self, roots: &[ShadowRoot]) {
        for root in roots {
            let _ = self.observer.observe_with_options(root, &changes());
        }
    }
}

/// The changes that may show or hide an element: nodes added or removed, attributes.
fn changes() -> MutationObserverInit {
    let options = MutationObserverInit::new();
    options.set_child_list(true);
    options.set_subtree(true);
    options.set_attributes(true);
    options
}

impl Drop for ElementWatch {
    fn drop(&mut self) {
        self.observer.disconnect();
    }
}
