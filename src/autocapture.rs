//! No-code feature tracking: a click on an element marked `data-uptake-feature="x"` (or inside
//! one) records a use of feature x, without the host writing any code.

use wasm_bindgen::JsCast;
use web_sys::{Document, Element, Event};

use crate::listener::EventListener;

const FEATURE_ATTRIBUTE: &str = "data-uptake-feature";

/// The feature a click is a use of, if the clicked element is marked.
fn feature_of_click(event: &Event) -> Option<String> {
    let target: Element = event.target()?.dyn_into().ok()?;
    let marked = target.closest("[data-uptake-feature]").ok()??;
    marked.get_attribute(FEATURE_ATTRIBUTE).filter(|feature| !feature.trim().is_empty())
}

/// Listens for clicks on marked elements, in the capture phase, so a host handler that stops
/// propagation does not hide the use.
pub(crate) fn listen(document: &Document, on_feature: impl Fn(String) + 'static) -> Option<EventListener> {
    EventListener::new(document, "click", true, move |event| {
        if let Some(feature) = feature_of_click(&event) {
            on_feature(feature);
        }
    })
}
