//! A hotspot: a small pulsing dot, or a "New" badge, on the corner of an element (a navigation
//! item), following it as the page moves. Activating it (click, Enter, Space) opens the
//! prompt's tooltip.

use std::rc::Rc;

use uptake_core::config::Badge;
use uptake_core::decimal::fixed;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Document, Element, HtmlElement, Window};

use super::floating::Follow;
use super::targets::{Target, target_rect, visible_rect};
use super::{UiRoot, element};
use crate::listener::EventListener;

/// The badge's words in the reader's locale.
pub(crate) struct HotspotLabels<'a> {
    /// The text of a "New" badge.
    pub(crate) badge: &'a str,
    /// What a screen reader announces: "New: Automations".
    pub(crate) accessible: &'a str,
}

pub(crate) struct HotspotView {
    badge: HtmlElement,
    target: Rc<Target>,
    _follow: Follow,
    _listener: EventListener,
}

/// The badge's distance inside the element's top-right corner.
const INSET: f64 = 4.0;

/// Places the badge on its element; returns the element when the page replaced the one it was on.
fn place(window: &Window, badge: &HtmlElement, target: &Target) -> Option<Element> {
    let Some((target, replaced)) = target.current() else {
        let _ = badge.style().set_property("visibility", "hidden");
        return None;
    };
    let target = &target;
    let rect = target_rect(target);
    let size = badge.get_bounding_client_rect();
    let style = badge.style();
    let _ = style.set_property("left", &format!("{}px", fixed(rect.right() - size.width() / 2.0 - INSET, 1)));
    let _ = style.set_property("top", &format!("{}px", fixed(rect.y - size.height() / 2.0 + INSET, 1)));
    let hidden = rect.is_outside(&visible_rect(window, target));
    let _ = style.set_property("visibility", if hidden { "hidden" } else { "visible" });
    replaced.then(|| target.clone())
}

impl HotspotView {
    pub(crate) fn open(
        document: &Document,
        window: &Window,
        root: &UiRoot,
        target: Target,
        badge: Badge,
        labels: HotspotLabels<'_>,
        on_open: Rc<dyn Fn()>,
    ) -> Result<HotspotView, JsValue> {
        let (class, text) = match badge {
            Badge::Dot => ("uptake-hotspot uptake-dot", None),
            Badge::New => ("uptake-hotspot uptake-new", Some(labels.badge)),
        };
        let button: HtmlElement = element(document, "button", class, text)?.dyn_into()?;
        button.set_attribute("type", "button")?;
        button.set_attribute("aria-label", labels.accessible)?;
        button.set_attribute("aria-haspopup", "dialog")?;
        root.shadow().append_child(&button)?;
        let target = Rc::new(target);
        place(window, &button, &target);
        let (follow_window, follow_badge, follow_target) = (window.clone(), button.clone(), Rc::clone(&target));
        let follow = Follow::start(
            window,
            &[&target.element()],
            Rc::new(move || place(&follow_window, &follow_badge, &follow_target)),
        );
        let listener = EventListener::new(&button, "click", false, move |_| on_open())
            .ok_or_else(|| JsValue::from_str("could not listen to the hotspot"))?;
        Ok(HotspotView { badge: button, target, _follow: follow, _listener: listener })
    }

    /// The element the badge is on.
    pub(crate) fn target(&self) -> Element {
        self.target.element()
    }

    /// Marks the badge as having its tooltip open, or not.
    pub(crate) fn set_expanded(&self, expanded: bool) {
        let _ = self.badge.set_attribute("aria-expanded", if expanded { "true" } else { "false" });
    }
}

impl Drop for HotspotView {
    fn drop(&mut self) {
        self.badge.remove();
    }
}
