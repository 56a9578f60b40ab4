//! The elements experiences point at: found through open shadow roots, found again when the
//! page replaces them (`Target`: a framework's re-render), their top-layer ancestor (a host's
//! open modal dialog or popover, which the SDK must render inside), scrolled into view below any
//! fixed or sticky header, and the area in which they can be seen (the viewport clipped by their
//! scroll containers).

use std::cell::{OnceCell, RefCell};

use uptake_core::layout::Rect;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{
    Document, Element, Node, ScrollBehavior, ScrollIntoViewOptions, ScrollLogicalPosition, ShadowRoot, Window,
};

/// The most shadow roots searched.
const SHADOW_ROOTS_MAX: usize = 500;

/// The first rendered element (not `display: none`, not inside a closed `<details>`...) among
/// `nodes`.
fn first_rendered(nodes: &web_sys::NodeList) -> Option<Element> {
    (0..nodes.length())
        .filter_map(|index| nodes.item(index)?.dyn_into::<Element>().ok())
        .find(|element| element.get_client_rects().length() > 0)
}

/// The open shadow roots of `scope`'s elements (not the SDK's own).
fn shadow_roots_in(scope: &web_sys::NodeList, roots: &mut Vec<ShadowRoot>) {
    for index in 0..scope.length() {
        let Some(element) = scope.item(index).and_then(|node| node.dyn_into::<Element>().ok()) else { continue };
        if let Some(root) = element.shadow_root().filter(|_| element.local_name() != "uptake-root") {
            roots.push(root);
        }
    }
}

/// Finds elements by selector in a document and in the open shadow roots within it (a web
/// component's inside), which are listed once, on the first selector the document alone does
/// not answer.
pub(crate) struct TargetSearch<'d> {
    document: &'d Document,
    roots: OnceCell<Vec<ShadowRoot>>,
}

impl<'d> TargetSearch<'d> {
    pub(crate) fn new(document: &'d Document) -> TargetSearch<'d> {
        TargetSearch { document, roots: OnceCell::new() }
    }

    fn roots(&self) -> &[ShadowRoot] {
        self.roots.get_or_init(|| {
            let mut roots = Vec::new();
            if let Ok(all) = self.document.query_selector_all("*") {
                shadow_roots_in(&all, &mut roots);
            }
            let mut next = 0;
            while next < roots.len() && roots.len() < SHADOW_ROOTS_MAX {
                if let Ok(inner) = roots[next].query_selector_all("*") {
                    shadow_roots_in(&inner, &mut roots);
                }
                next += 1;
            }
            roots.truncate(SHADOW_ROOTS_MAX);
            roots
        })
    }

    /// The open shadow roots listed, if a search had to look into them.
    pub(crate) fn listed_roots(&self) -> &[ShadowRoot] {
        self.roots.get().map_or(&[], Vec::as_slice)
    }

    /// The first rendered element matching `selector`; `Err` when the browser cannot parse the
    /// selector. A hidden match is not found: a step waits for its target to be shown.
    pub(crate) fn find(&self, selector: &str) -> Result<Option<Element>, JsValue> {
        if let Some(found) = first_rendered(&self.document.query_selector_all(selector)?) {
            return Ok(Some(found));
        }
        for root in self.roots() {
            if let Some(found) = first_rendered(&root.query_selector_all(selector)?) {
                return Ok(Some(found));
            }
        }
        Ok(None)
    }
}

/// The first rendered element matching `selector`, in the document or its open shadow roots.
pub(crate) fn find_target(document: &Document, selector: &str) -> Result<Option<Element>, JsValue> {
    TargetSearch::new(document).find(selector)
}

/// The element an experience points at, by its selector: when the page replaces it (a
/// framework renders it again), the element matching the selector then.
pub(crate) struct Target {
    element: RefCell<Element>,
    selector: String,
}

impl Target {
    pub(crate) fn new(element: Element, selector: &str) -> Target {
        Target { element: RefCell::new(element), selector: selector.to_owned() }
    }

    /// The element, as found last.
    pub(crate) fn element(&self) -> Element {
        self.element.borrow().clone()
    }

    /// The element now, and whether it is another than before (the page replaced it); `None`
    /// while the page has none.
    pub(crate) fn current(&self) -> Option<(Element, bool)> {
        let element = self.element();
        if element.is_connected() {
            return Some((element, false));
        }
        let document = element.owner_document()?;
        let found = find_target(&document, &self.selector).ok().flatten()?;
        *self.element.borrow_mut() = found.clone();
        Some((found, true))
    }
}

/// The shadow roots `element` is inside, innermost first.
pub(crate) fn shadow_roots_around(element: &Element) -> Vec<ShadowRoot> {
    let mut roots = Vec::new();
    let mut root = element.get_root_node();
    while let Ok(shadow) = root.dyn_into::<ShadowRoot>() {
        root = shadow.host().get_root_node();
        roots.push(shadow);
    }
    roots
}

/// The parent of `node`, crossing out of a shadow root to its host.
fn parent_across_shadow(node: &Node) -> Option<Element> {
    if let Some(parent) = node.parent_element() {
        return Some(parent);
    }
    let root = node.get_root_node();
    root.dyn_ref::<web_sys::ShadowRoot>().map(web_sys::ShadowRoot::host)
}

/// The nearest ancestor of `target` in the top layer: an open modal dialog or an open popover.
pub(crate) fn top_layer_ancestor(target: &Element) -> Option<Element> {
    let mut current = parent_across_shadow(target);
    while let Some(element) = current {
        if element.matches(":modal").unwrap_or(false) || element.matches(":popover-open").unwrap_or(false) {
            return Some(element);
        }
        current = parent_across_shadow(&element);
    }
    None
}

fn rect_of(element: &Element) -> Rect {
    let rect = element.get_bounding_client_rect();
    Rect { x: rect.left(), y: rect.top(), width: rect.width(), height: rect.height() }
}

pub(crate) fn viewport(window: &Window) -> Rect {
    let document_element = window.document().and_then(|document| document.document_element());
    let width = document_element.as_ref().map_or(0.0, |e| f64::from(e.client_width()));
    let height = document_element.as_ref().map_or(0.0, |e| f64::from(e.client_height()));
    Rect { x: 0.0, y: 0.0, width, height }
}

fn intersect(a: Rect, b: Rect) -> Rect {
    let x = a.x.max(b.x);
    let y = a.y.max(b.y);
    Rect { x, y, width: (a.right().min(b.right()) - x).max(0.0), height: (a.bottom().min(b.bottom()) - y).max(0.0) }
}

/// The area in which `target` can be seen: the viewport, clipped by every ancestor that clips
/// its overflow.
pub(crate) fn visible_rect(window: &Window, target: &Element) -> Rect {
    let mut visible = viewport(window);
    let mut current = parent_across_shadow(target);
    while let Some(element) = current {
        if let Ok(Some(style)) = window.get_computed_style(&element) {
            let clips = |axis: &str| {
                let overflow = style.get_property_value(axis).unwrap_or_default();
                matches!(overflow.as_str(), "auto" | "scroll" | "hidden" | "clip")
            };
            if clips("overflow-x") || clips("overflow-y") {
                visible = intersect(visible, rect_of(&element));
            }
            if style.get_property_value("position").is_ok_and(|position| position == "fixed") {
                break;
            }
        }
        current = parent_across_shadow(&element);
    }
    visible
}

pub(crate) fn target_rect(target: &Element) -> Rect {
    rect_of(target)
}

/// How far a fixed or sticky header covers the top of `rect`, if one does.
fn covered_by_header(window: &Window, document: &Document, target: &Element, rect: Rect) -> f64 {
    let x = rect.x + rect.width / 2.0;
    let y = rect.y + 1.0;
    let elements = document.elements_from_point(x as f32, y as f32);
    for item in elements.iter() {
        let Ok(element) = item.dyn_into::<Element>() else { continue };
        if &element == target || target.contains(Some(&element)) || element.contains(Some(target)) {
            continue;
        }
        let position =
            window.get_computed_style(&element).ok().flatten().and_then(|s| s.get_property_value("position").ok());
        if matches!(position.as_deref(), Some("fixed" | "sticky")) {
            return rect_of(&element).bottom() - rect.y;
        }
    }
    0.0
}

/// Scrolls `target` into view when it is not fully visible, then below any fixed or sticky
/// header covering it. Instant, so the card can be placed right away.
pub(crate) fn scroll_into_view(window: &Window, document: &Document, target: &Element) {
    let rect = rect_of(target);
    let visible = visible_rect(window, target);
    let fully_visible = rect.y >= visible.y
        && rect.bottom() <= visible.bottom()
        && rect.x >= visible.x
        && rect.right() <= visible.right();
    if !fully_visible {
        let options = ScrollIntoViewOptions::new();
        options.set_behavior(ScrollBehavior::Instant);
        // A target taller than the view shows its start; others are centred, leaving room for the card.
        let block =
            if rect.height > visible.height { ScrollLogicalPosition::Start } else { ScrollLogicalPosition::Center };
        options.set_block(block);
        options.set_inline(ScrollLogicalPosition::Nearest);
        target.scroll_into_view_with_scroll_into_view_options(&options);
    }
    let covered = covered_by_header(window, document, target, rect_of(target));
    if covered > 0.0 {
        window.scroll_by_with_x_and_y(0.0, -(covered + 12.0));
    }
}
