//! A card next to an element (a tooltip, a tour step, a hotspot's tooltip) or centred in the
//! window, with an arrow pointing at the element and, for a tour step, an optional spotlight
//! that dims the page around it without blocking it. Placed by `uptake_core::layout` and kept in
//! place as the page scrolls (in any container), resizes, or the element or card change size.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use uptake_core::config::Placement;
use uptake_core::decimal::fixed;
use uptake_core::layout::{self, LayoutOptions, Rect, Side};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Element, HtmlElement, KeyboardEvent, MutationObserver, MutationObserverInit, ResizeObserver, Window};

use super::card::{self, Choice, Content};
use super::targets::{Target, shadow_roots_around, target_rect, viewport, visible_rect};
use super::{FocusReturn, UiRoot, element, focus_main_button};
use crate::listener::EventListener;

/// Where a card goes.
pub(crate) enum Anchor {
    /// Next to an element, found again by its selector if the page replaces it.
    Target(Target),
    Centered,
}

/// Calls `update` whenever `watched` elements may have moved: a scroll anywhere (captured at
/// the window), a resize of the window, of the elements or of the page, and any change to the
/// page's DOM or to the shadow roots the elements are in (content added above a target moves it
/// without resizing it; a re-render replaces it), at most once per frame for the last. `update`
/// returns the element it follows from now on when the page replaced the one it followed, which
/// is then watched too. Stops when dropped.
pub(crate) struct Follow {
    window: Window,
    frame_request: Rc<Cell<Option<i32>>>,
    _listeners: Vec<EventListener>,
    observers: Rc<RefCell<Observers>>,
    _on_resize: Closure<dyn FnMut()>,
    _on_mutation: Closure<dyn FnMut()>,
    _on_frame: Rc<Closure<dyn FnMut()>>,
}

#[derive(Default)]
struct Observers {
    resize: Option<ResizeObserver>,
    mutations: Option<MutationObserver>,
}

impl Observers {
    /// Watches `element`'s size, and the DOM of the shadow roots it is in.
    fn watch(&self, element: &Element) {
        if let Some(observer) = &self.resize {
            observer.observe(element);
        }
        if let Some(observer) = &self.mutations {
            for root in shadow_roots_around(element) {
                let _ = observer.observe_with_options(&root, &dom_changes());
            }
        }
    }
}

/// Any change to a DOM tree: what is added or removed, attributes, text.
fn dom_changes() -> MutationObserverInit {
    let options = MutationObserverInit::new();
    options.set_child_list(true);
    options.set_subtree(true);
    options.set_attributes(true);
    options.set_character_data(true);
    options
}

impl Follow {
    pub(crate) fn start(window: &Window, watched: &[&Element], update: Rc<dyn Fn() -> Option<Element>>) -> Follow {
        let observers: Rc<RefCell<Observers>> = Rc::default();
        let run_observers = Rc::clone(&observers);
        let run: Rc<dyn Fn()> = Rc::new(move || {
            if let Some(replaced) = update() {
                run_observers.borrow().watch(&replaced);
            }
        });
        let mut listeners = Vec::new();
        let on_scroll = Rc::clone(&run);
        listeners.extend(EventListener::new(window, "scroll", true, move |_| on_scroll()));
        let on_window_resize = Rc::clone(&run);
        listeners.extend(EventListener::new(window, "resize", false, move |_| on_window_resize()));

        let on_resize_run = Rc::clone(&run);
        let on_resize = Closure::<dyn FnMut()>::new(move || on_resize_run());
        // The frame requested, if any: cancelled on drop, so the browser never calls a freed closure.
        let frame_request: Rc<Cell<Option<i32>>> = Rc::new(Cell::new(None));
        let frame_done = Rc::clone(&frame_request);
        let on_frame = Rc::new(Closure::<dyn FnMut()>::new(move || {
            frame_done.set(None);
            run();
        }));
        let frame_window = window.clone();
        let frame = Rc::clone(&on_frame);
        let requested = Rc::clone(&frame_request);
        let on_mutation = Closure::<dyn FnMut()>::new(move || {
            if requested.get().is_none() {
                requested.set(frame_window.request_animation_frame((*frame).as_ref().unchecked_ref()).ok());
            }
        });
        {
            let mut observing = observers.borrow_mut();
            observing.resize = ResizeObserver::new(on_resize.as_ref().unchecked_ref()).ok();
            observing.mutations = MutationObserver::new(on_mutation.as_ref().unchecked_ref()).ok();
        }
        let page = window.document().and_then(|document| document.document_element());
        {
            let observing = observers.borrow();
            if let (Some(observer), Some(page)) = (&observing.mutations, &page) {
                let _ = observer.observe_with_options(page, &dom_changes());
            }
            if let (Some(observer), Some(page)) = (&observing.resize, &page) {
                observer.observe(page);
            }
            for element in watched {
                observing.watch(element);
            }
        }
        Follow {
            window: window.clone(),
            frame_request,
            _listeners: listeners,
            observers,
            _on_resize: on_resize,
            _on_mutation: on_mutation,
            _on_frame: on_frame,
        }
    }
}

impl Drop for Follow {
    fn drop(&mut self) {
        let observers = self.observers.borrow();
        if let Some(observer) = &observers.resize {
            observer.disconnect();
        }
        if let Some(observer) = &observers.mutations {
            observer.disconnect();
        }
        if let Some(request) = self.frame_request.take() {
            let _ = self.window.cancel_animation_frame(request);
        }
    }
}

struct Placed {
    window: Window,
    card: HtmlElement,
    arrow: HtmlElement,
    spotlight: Option<HtmlElement>,
    anchor: Anchor,
    placement: Placement,
}

fn set_px(element: &HtmlElement, property: &str, value: f64) {
    let _ = element.style().set_property(property, &format!("{}px", fixed(value, 1)));
}

/// Padding kept around a spotlit target.
const SPOTLIGHT_PADDING: f64 = 6.0;

impl Placed {
    /// Places the card; returns the element it points at now when the page replaced the one it
    /// pointed at.
    fn place(&self) -> Option<Element> {
        let viewport = viewport(&self.window);
        let bounds = self.card.get_bounding_client_rect();
        let size = Rect { x: 0.0, y: 0.0, width: bounds.width(), height: bounds.height() };
        let style = self.card.style();
        match &self.anchor {
            Anchor::Centered => {
                let (x, y) = layout::center(size, viewport);
                set_px(&self.card, "left", x);
                set_px(&self.card, "top", y);
                let _ = self.card.set_attribute("data-side", "none");
                let _ = style.set_property("visibility", "visible");
                None
            }
            Anchor::Target(target) => {
                let Some((target, replaced)) = target.current() else {
                    let _ = style.set_property("visibility", "hidden");
                    if let Some(spotlight) = &self.spotlight {
                        let _ = spotlight.style().set_property("visibility", "hidden");
                    }
                    return None;
                };
                let rect = target_rect(&target);
                let visible = visible_rect(&self.window, &target);
                let position =
                    layout::compute_position(rect, size, viewport, visible, self.placement, LayoutOptions::default());
                set_px(&self.card, "left", position.x);
                set_px(&self.card, "top", position.y);
                let _ = self.card.set_attribute("data-side", position.side.as_str());
                let (along, across) =
                    if matches!(position.side, Side::Top | Side::Bottom) { ("left", "top") } else { ("top", "left") };
                set_px(&self.arrow, along, position.arrow);
                let _ = self.arrow.style().remove_property(across);
                let hidden = if position.target_hidden { "hidden" } else { "visible" };
                let _ = style.set_property("visibility", hidden);
                if let Some(spotlight) = &self.spotlight {
                    set_px(spotlight, "left", rect.x - SPOTLIGHT_PADDING);
                    set_px(spotlight, "top", rect.y - SPOTLIGHT_PADDING);
                    set_px(spotlight, "width", rect.width + 2.0 * SPOTLIGHT_PADDING);
                    set_px(spotlight, "height", rect.height + 2.0 * SPOTLIGHT_PADDING);
                    let _ = spotlight.style().set_property("visibility", hidden);
                }
                replaced.then_some(target)
            }
        }
    }
}

/// An open floating card. Dropping it removes it and gives focus back.
pub(crate) struct FloatingView {
    placed: Rc<Placed>,
    _follow: Follow,
    _listeners: [EventListener; 2],
    _focus: Option<FocusReturn>,
}

pub(crate) struct FloatingOptions {
    pub(crate) placement: Placement,
    pub(crate) spotlight: bool,
    /// Move focus into the card (a tooltip the user asked for, a tour step).
    pub(crate) take_focus: bool,
    /// Prefix of the ids that label the card.
    pub(crate) id: &'static str,
}

impl FloatingView {
    pub(crate) fn open(
        root: &UiRoot,
        content: &Content,
        anchor: Anchor,
        options: FloatingOptions,
        on_choice: Rc<dyn Fn(Choice)>,
    ) -> Result<FloatingView, JsValue> {
        let (document, window) = (root.document(), root.window());
        let focus = options.take_focus.then(|| FocusReturn::remember(document));
        let spotlight = if options.spotlight && matches!(anchor, Anchor::Target(_)) {
            let spotlight: HtmlElement = element(document, "div", "uptake-spotlight", None)?.dyn_into()?;
            spotlight.set_attribute("aria-hidden", "true")?;
            root.shadow().append_child(&spotlight)?;
            Some(spotlight)
        } else {
            None
        };
        let class = match anchor {
            Anchor::Target(_) => "uptake-card uptake-floating",
            Anchor::Centered => "uptake-card uptake-floating uptake-centered",
        };
        let card: HtmlElement = element(document, "div", class, None)?.dyn_into()?;
        card::label_dialog(&card, content, options.id, false)?;
        card.set_attribute("tabindex", "-1")?;
        let arrow: HtmlElement = element(document, "div", "uptake-arrow", None)?.dyn_into()?;
        arrow.set_attribute("aria-hidden", "true")?;
        card.append_child(&arrow)?;
        card::fill(document, &card, content, options.id)?;
        root.shadow().append_child(&card)?;

        let placed = Rc::new(Placed {
            window: window.clone(),
            card: card.clone(),
            arrow,
            spotlight,
            anchor,
            placement: options.placement,
        });
        placed.place();
        let follow_placed = Rc::clone(&placed);
        let target = match &placed.anchor {
            Anchor::Target(target) => Some(target.element()),
            Anchor::Centered => None,
        };
        let mut watched: Vec<&Element> = vec![card.as_ref()];
        watched.extend(target.as_ref());
        let follow = Follow::start(window, &watched, Rc::new(move || follow_placed.place()));
        let click_choice = Rc::clone(&on_choice);
        let on_click = EventListener::new(&card, "click", false, move |event| {
            if let Some(choice) = Choice::of_click(&event) {
                click_choice(choice);
            }
        });
        let on_key = EventListener::new(&card, "keydown", false, move |event| {
            if event.dyn_ref::<KeyboardEvent>().is_some_and(|key| key.key() == "Escape") {
                event.stop_propagation();
                on_choice(Choice::Escape);
            }
        });
        let (Some(on_click), Some(on_key)) = (on_click, on_key) else {
            return Err(JsValue::from_str("could not listen to the card"));
        };
        if options.take_focus {
            focus_main_button(&card);
        }
        Ok(FloatingView { placed, _follow: follow, _listeners: [on_click, on_key], _focus: focus })
    }
}

impl Drop for FloatingView {
    fn drop(&mut self) {
        self.placed.card.remove();
        if let Some(spotlight) = &self.placed.spotlight {
            spotlight.remove();
        }
    }
}
