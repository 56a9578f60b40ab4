//! The onboarding checklist: a launcher button at the bottom of the window showing progress
//! ("Get started 1/3"), and its panel listing the items, each ticked when its feature has been
//! used. An item with a tour starts it; the close button dismisses the checklist.

use std::rc::Rc;

use uptake_core::markup::plain_text;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Document, Element, KeyboardEvent};

use super::{UiRoot, append, button, element, markup};
use crate::listener::EventListener;

/// One item, in the reader's locale.
pub(crate) struct ChecklistItemTexts {
    pub(crate) label: String,
    pub(crate) done: bool,
    pub(crate) has_tour: bool,
}

pub(crate) struct ChecklistTexts {
    pub(crate) title: String,
    pub(crate) items: Vec<ChecklistItemTexts>,
    pub(crate) open: bool,
    /// "1/3".
    pub(crate) progress: String,
    pub(crate) done_label: String,
    pub(crate) dismiss_label: String,
}

/// What the user did with the checklist.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ChecklistAction {
    Toggle,
    Item(usize),
    Dismiss,
}

const ID: &str = "uptake-checklist";
const ACTION_ATTRIBUTE: &str = "data-uptake-checklist";

fn action_of(value: &str) -> Option<ChecklistAction> {
    match value {
        "toggle" => Some(ChecklistAction::Toggle),
        "dismiss" => Some(ChecklistAction::Dismiss),
        item => item.strip_prefix("item:")?.parse().ok().map(ChecklistAction::Item),
    }
}

fn marked(document: &Document, class: &str, label: &str, action: &str) -> Result<Element, JsValue> {
    let control = button(document, class, label, "")?;
    control.remove_attribute(super::card::CHOICE_ATTRIBUTE)?;
    control.set_attribute(ACTION_ATTRIBUTE, action)?;
    Ok(control)
}

pub(crate) struct ChecklistView {
    container: Element,
    _listeners: [EventListener; 2],
}

impl ChecklistView {
    pub(crate) fn open(
        document: &Document,
        root: &UiRoot,
        texts: &ChecklistTexts,
        on_action: Rc<dyn Fn(ChecklistAction)>,
    ) -> Result<ChecklistView, JsValue> {
        let container = element(document, "div", "uptake-checklist", None)?;
        if texts.open {
            let panel = element(document, "div", "uptake-card uptake-checklist-panel", None)?;
            panel.set_id(&format!("{ID}-panel"));
            panel.set_attribute("role", "dialog")?;
            panel.set_attribute("aria-labelledby", &format!("{ID}-title"))?;
            let title = element(document, "h2", "uptake-title", None)?;
            markup::append(document, &title, &texts.title)?;
            title.set_id(&format!("{ID}-title"));
            panel.append_child(&title)?;
            let list = element(document, "ul", "uptake-items", None)?;
            for (index, item) in texts.items.iter().enumerate() {
                let entry =
                    element(document, "li", if item.done { "uptake-item uptake-done" } else { "uptake-item" }, None)?;
                let mark = element(document, "span", "uptake-mark", Some(if item.done { "\u{2713}" } else { "" }))?;
                mark.set_attribute("aria-hidden", "true")?;
                entry.append_child(&mark)?;
                let label = plain_text(&item.label);
                let label = if item.done { format!("{label} ({})", texts.done_label) } else { label };
                if item.has_tour && !item.done {
                    append(&entry, &marked(document, "uptake-item-button", &label, &format!("item:{index}"))?)?;
                } else {
                    append(&entry, &element(document, "span", "uptake-item-label", Some(&label))?)?;
                }
                list.append_child(&entry)?;
            }
            panel.append_child(&list)?;
            let dismiss = marked(document, "uptake-close", "\u{00d7}", "dismiss")?;
            dismiss.set_attribute("aria-label", &texts.dismiss_label)?;
            panel.append_child(&dismiss)?;
            container.append_child(&panel)?;
        }
        let launcher =
            marked(document, "uptake-launcher", &format!("{} {}", plain_text(&texts.title), texts.progress), "toggle")?;
        launcher.set_attribute("aria-expanded", if texts.open { "true" } else { "false" })?;
        launcher.set_attribute("aria-controls", &format!("{ID}-panel"))?;
        container.append_child(&launcher)?;
        root.shadow().append_child(&container)?;
        let click_action = Rc::clone(&on_action);
        let on_click = EventListener::new(&container, "click", false, move |event| {
            let action = event
                .target()
                .and_then(|target| target.dyn_into::<Element>().ok())
                .and_then(|target| target.closest(&format!("[{ACTION_ATTRIBUTE}]")).ok().flatten())
                .and_then(|control| control.get_attribute(ACTION_ATTRIBUTE))
                .and_then(|value| action_of(&value));
            if let Some(action) = action {
                click_action(action);
            }
        });
        let open = texts.open;
        let on_key = EventListener::new(&container, "keydown", false, move |event| {
            if open && event.dyn_ref::<KeyboardEvent>().is_some_and(|key| key.key() == "Escape") {
                on_action(ChecklistAction::Toggle);
            }
        });
        let (Some(on_click), Some(on_key)) = (on_click, on_key) else {
            container.remove();
            return Err(JsValue::from_str("could not listen to the checklist"));
        };
        Ok(ChecklistView { container, _listeners: [on_click, on_key] })
    }

    /// Focuses the launcher, or the panel's first control when it is open.
    pub(crate) fn focus(&self, open: bool) {
        let selector = if open { ".uptake-checklist-panel button" } else { ".uptake-launcher" };
        if let Ok(Some(control)) = self.container.query_selector(selector)
            && let Ok(control) = control.dyn_into::<web_sys::HtmlElement>()
        {
            let _ = control.focus();
        }
    }
}

impl Drop for ChecklistView {
    fn drop(&mut self) {
        self.container.remove();
    }
}
