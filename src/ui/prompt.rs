//! The modal prompt: a `<dialog>` opened with `showModal()`, so it sits in the top layer above
//! anything the host renders, the rest of the page is inert while it is open, focus moves into
//! it and Escape closes it. It has a title, a body, up to two buttons and a close button; the
//! title and body label and describe it for screen readers. Focus returns to where it was.

use std::rc::Rc;

use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Document, Element, Event, HtmlDialogElement, HtmlElement};

use super::{UiRoot, element, focused_element};
use crate::listener::EventListener;

/// What the person did with the prompt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PromptChoice {
    /// Closed it: the close button, Escape, or a click on the backdrop.
    Closed,
    /// Pressed the config's button at this index.
    Button(usize),
}

/// A prompt's texts in the reader's locale.
pub(crate) struct PromptContent {
    pub(crate) title: String,
    pub(crate) body: Option<String>,
    pub(crate) buttons: Vec<String>,
}

/// An open prompt. Dropping it removes it from the page.
pub(crate) struct PromptView {
    dialog: HtmlDialogElement,
    restore_focus: Option<HtmlElement>,
    _listeners: [EventListener; 2],
}

const ACTION_ATTRIBUTE: &str = "data-uptake-choice";
const CLOSE_CHOICE: &str = "close";

/// The choice a click inside the dialog means, if any.
fn choice_of_click(event: &Event, dialog: &HtmlDialogElement) -> Option<PromptChoice> {
    let target: Element = event.target()?.dyn_into().ok()?;
    // A click on the dialog itself, outside its content box, is a click on the backdrop.
    if &target == dialog.unchecked_ref::<Element>() {
        let mouse: &web_sys::MouseEvent = event.dyn_ref()?;
        let rect = dialog.get_bounding_client_rect();
        let (x, y) = (f64::from(mouse.client_x()), f64::from(mouse.client_y()));
        let inside = x >= rect.left() && x <= rect.right() && y >= rect.top() && y <= rect.bottom();
        return (!inside).then_some(PromptChoice::Closed);
    }
    let choice = target.closest(&format!("[{ACTION_ATTRIBUTE}]")).ok()??.get_attribute(ACTION_ATTRIBUTE)?;
    if choice == CLOSE_CHOICE {
        return Some(PromptChoice::Closed);
    }
    choice.parse().ok().map(PromptChoice::Button)
}

impl PromptView {
    /// Renders `prompt` and opens it; `on_choice` is called once per choice the person makes.
    pub(crate) fn open(
        document: &Document,
        root: &UiRoot,
        prompt: &PromptContent,
        on_choice: Rc<dyn Fn(PromptChoice)>,
    ) -> Result<PromptView, JsValue> {
        let restore_focus = focused_element(document);
        let dialog: HtmlDialogElement = element(document, "dialog", "uptake-modal", None)?.dyn_into()?;
        dialog.set_attribute("aria-labelledby", "uptake-prompt-title")?;

        let close = element(document, "button", "uptake-close", Some("\u{00d7}"))?;
        close.set_attribute("type", "button")?;
        close.set_attribute("aria-label", "Close")?;
        close.set_attribute(ACTION_ATTRIBUTE, CLOSE_CHOICE)?;

        let title = element(document, "h2", "uptake-title", Some(&prompt.title))?;
        title.set_id("uptake-prompt-title");
        dialog.append_child(&title)?;
        if let Some(text) = &prompt.body {
            let body = element(document, "p", "uptake-body", Some(text))?;
            body.set_id("uptake-prompt-body");
            dialog.set_attribute("aria-describedby", "uptake-prompt-body")?;
            dialog.append_child(&body)?;
        }
        let mut first_button: Option<HtmlElement> = None;
        if !prompt.buttons.is_empty() {
            let actions = element(document, "div", "uptake-actions", None)?;
            for (index, label) in prompt.buttons.iter().enumerate() {
                let class = if index == 0 { "uptake-button uptake-primary" } else { "uptake-button" };
                let node = element(document, "button", class, Some(label))?;
                node.set_attribute("type", "button")?;
                node.set_attribute(ACTION_ATTRIBUTE, &index.to_string())?;
                if index == 0 {
                    first_button = node.clone().dyn_into().ok();
                }
                actions.append_child(&node)?;
            }
            dialog.append_child(&actions)?;
        }
        // Last in the DOM, so Tab reaches the prompt's own buttons first.
        dialog.append_child(&close)?;
        root.shadow().append_child(&dialog)?;

        let click_choice = Rc::clone(&on_choice);
        let clicked_dialog = dialog.clone();
        let on_click = EventListener::new(&dialog, "click", false, move |event| {
            if let Some(choice) = choice_of_click(&event, &clicked_dialog) {
                click_choice(choice);
            }
        });
        // Escape: the dialog's own `cancel`; the prompt closes through the same path as a click.
        let on_cancel = EventListener::new(&dialog, "cancel", false, move |event| {
            event.prevent_default();
            on_choice(PromptChoice::Closed);
        });
        let (Some(on_click), Some(on_cancel)) = (on_click, on_cancel) else {
            dialog.remove();
            return Err(JsValue::from_str("could not listen to the prompt"));
        };
        let view = PromptView { dialog, restore_focus, _listeners: [on_click, on_cancel] };
        view.dialog.show_modal()?;
        if let Some(button) = first_button {
            let _ = button.focus();
        }
        Ok(view)
    }
}

impl Drop for PromptView {
    fn drop(&mut self) {
        self.dialog.close();
        self.dialog.remove();
        if let Some(element) = self.restore_focus.take().filter(|element| element.is_connected()) {
            let _ = element.focus();
        }
    }
}
