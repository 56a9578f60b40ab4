//! Prompts that are not attached to an element: the modal, a `<dialog>` opened with
//! `showModal()` so it sits in the top layer above anything the host renders, with the rest of
//! the page inert, focus moved into it and trapped there, and Escape closing it; and the banner,
//! fixed along the top or bottom of the window over the page, pushing nothing. Focus returns to
//! where it was when either closes.

use std::rc::Rc;

use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Document, Element, Event, HtmlDialogElement, KeyboardEvent};

use super::card::{self, Choice, Content};
use super::{FocusReturn, UiRoot, element, focus_main_button};
use crate::listener::EventListener;

/// Whether a click on a modal dialog itself fell outside its box: on the backdrop.
fn on_backdrop(event: &Event, dialog: &HtmlDialogElement) -> bool {
    let Some(target) = event.target().and_then(|target| target.dyn_into::<Element>().ok()) else { return false };
    if &target != dialog.unchecked_ref::<Element>() {
        return false;
    }
    let Some(mouse) = event.dyn_ref::<web_sys::MouseEvent>() else { return false };
    let rect = dialog.get_bounding_client_rect();
    let (x, y) = (f64::from(mouse.client_x()), f64::from(mouse.client_y()));
    x < rect.left() || x > rect.right() || y < rect.top() || y > rect.bottom()
}

/// Keeps Tab and Shift+Tab inside `container`: from its last control to its first, and back.
/// (A modal dialog makes the page inert, but Tab would still leave for the browser's own UI.)
fn trap_tab(container: &Element, key: &KeyboardEvent) {
    if key.key() != "Tab" {
        return;
    }
    let Ok(controls) = container.query_selector_all("button, a[href], textarea, input, select") else { return };
    let (Some(first), Some(last)) = (controls.item(0), controls.item(controls.length().saturating_sub(1))) else {
        return;
    };
    let active =
        container.get_root_node().dyn_into::<web_sys::ShadowRoot>().ok().and_then(|root| root.active_element());
    let active: Option<web_sys::Node> = active.map(Into::into);
    let wrap_to = match (key.shift_key(), active) {
        (true, Some(active)) if active == first => last,
        (false, Some(active)) if active == last => first,
        (_, None) => first,
        _ => return,
    };
    if let Ok(wrap_to) = wrap_to.dyn_into::<web_sys::HtmlElement>() {
        key.prevent_default();
        let _ = wrap_to.focus();
    }
}

/// A modal prompt or a banner. Dropping it removes it and gives focus back.
pub(crate) struct ModalView {
    container: Element,
    dialog: Option<HtmlDialogElement>,
    _listeners: Vec<EventListener>,
    _focus: FocusReturn,
}

impl ModalView {
    /// A modal prompt.
    pub(crate) fn modal(
        document: &Document,
        root: &UiRoot,
        content: &Content,
        on_choice: Rc<dyn Fn(Choice)>,
    ) -> Result<ModalView, JsValue> {
        const ID: &str = "uptake-modal";
        let focus = FocusReturn::remember(document);
        let dialog: HtmlDialogElement = element(document, "dialog", "uptake-card uptake-modal", None)?.dyn_into()?;
        card::label_dialog(&dialog, content, ID, true)?;
        card::fill(document, &dialog, content, ID)?;
        root.shadow().append_child(&dialog)?;
        let click_dialog = dialog.clone();
        let click_choice = Rc::clone(&on_choice);
        let on_click = EventListener::new(&dialog, "click", false, move |event| {
            if on_backdrop(&event, &click_dialog) {
                click_choice(Choice::Close);
            } else if let Some(choice) = Choice::of_click(&event) {
                click_choice(choice);
            }
        });
        // Escape: the dialog's own `cancel`; closed through the same path as a click.
        let on_cancel = EventListener::new(&dialog, "cancel", false, move |event| {
            event.prevent_default();
            on_choice(Choice::Escape);
        });
        let trap_dialog: Element = dialog.clone().into();
        let on_tab = EventListener::new(&dialog, "keydown", false, move |event| {
            if let Some(key) = event.dyn_ref::<KeyboardEvent>() {
                trap_tab(&trap_dialog, key);
            }
        });
        let (Some(on_click), Some(on_cancel), Some(on_tab)) = (on_click, on_cancel, on_tab) else {
            dialog.remove();
            return Err(JsValue::from_str("could not listen to the prompt"));
        };
        let container: Element = dialog.clone().into();
        let view =
            ModalView { container, dialog: Some(dialog), _listeners: vec![on_click, on_cancel, on_tab], _focus: focus };
        if let Some(dialog) = &view.dialog {
            dialog.show_modal()?;
            focus_main_button(dialog);
        }
        Ok(view)
    }

    /// A banner along the top or bottom of the window. It does not take the focus.
    pub(crate) fn banner(
        document: &Document,
        root: &UiRoot,
        content: &Content,
        bottom: bool,
        on_choice: Rc<dyn Fn(Choice)>,
    ) -> Result<ModalView, JsValue> {
        const ID: &str = "uptake-banner";
        let focus = FocusReturn::remember(document);
        let edge =
            if bottom { "uptake-card uptake-banner uptake-bottom" } else { "uptake-card uptake-banner uptake-top" };
        let banner = element(document, "div", edge, None)?;
        card::label_dialog(&banner, content, ID, false)?;
        card::fill(document, &banner, content, ID)?;
        root.shadow().append_child(&banner)?;
        let click_choice = Rc::clone(&on_choice);
        let on_click = EventListener::new(&banner, "click", false, move |event| {
            if let Some(choice) = Choice::of_click(&event) {
                click_choice(choice);
            }
        });
        let on_key = EventListener::new(&banner, "keydown", false, move |event| {
            if event.dyn_ref::<KeyboardEvent>().is_some_and(|key| key.key() == "Escape") {
                on_choice(Choice::Escape);
            }
        });
        let (Some(on_click), Some(on_key)) = (on_click, on_key) else {
            banner.remove();
            return Err(JsValue::from_str("could not listen to the banner"));
        };
        Ok(ModalView { container: banner, dialog: None, _listeners: vec![on_click, on_key], _focus: focus })
    }
}

impl Drop for ModalView {
    fn drop(&mut self) {
        if let Some(dialog) = &self.dialog {
            dialog.close();
        }
        self.container.remove();
    }
}
