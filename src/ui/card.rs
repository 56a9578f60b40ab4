//! The card every experience is made of: a title, a body, buttons, an optional progress line
//! ("2 of 5") and a close button, labelled for screen readers. Buttons carry the choice they
//! stand for, read back by one delegated click listener.

use uptake_core::markup::plain_text;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Document, Element, Event};

use super::{append, button, element, markup};

pub(crate) const CHOICE_ATTRIBUTE: &str = "data-uptake-choice";

/// What a click or a key inside an experience means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Choice {
    /// The close button, or a click on a modal's backdrop.
    Close,
    /// The Escape key: closes, except a hotspot's tooltip, which it only hides.
    Escape,
    /// The config's button at this index.
    Button(usize),
    Back,
    Next,
}

impl Choice {
    fn attribute(self) -> String {
        match self {
            Choice::Close | Choice::Escape => "close".to_owned(),
            Choice::Back => "back".to_owned(),
            Choice::Next => "next".to_owned(),
            Choice::Button(index) => index.to_string(),
        }
    }

    fn from_attribute(value: &str) -> Option<Choice> {
        match value {
            "close" => Some(Choice::Close),
            "back" => Some(Choice::Back),
            "next" => Some(Choice::Next),
            index => index.parse().ok().map(Choice::Button),
        }
    }

    /// The choice a click inside a card means, if any.
    pub(crate) fn of_click(event: &Event) -> Option<Choice> {
        let target: Element = event.target()?.dyn_into().ok()?;
        let marked = target.closest(&format!("[{CHOICE_ATTRIBUTE}]")).ok()??;
        Choice::from_attribute(&marked.get_attribute(CHOICE_ATTRIBUTE)?)
    }
}

/// The texts of a card in the reader's locale.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Content {
    pub(crate) title: String,
    pub(crate) body: Option<String>,
    /// The config's buttons; the first is the main one.
    pub(crate) buttons: Vec<String>,
    /// `(step, steps)` of a tour, 1-based: adds the progress line and Back/Next.
    pub(crate) progress: Option<(usize, usize)>,
    /// Whether a tour step has a Next button (not when a click, an event or a page advances it).
    pub(crate) next: bool,
    /// The label of the close button, for screen readers.
    pub(crate) close_label: String,
    /// Labels of Back, Next and Done.
    pub(crate) back_label: String,
    pub(crate) next_label: String,
    pub(crate) done_label: String,
    /// "2 of 5".
    pub(crate) progress_label: String,
}

/// Builds a card into `card`; `id` prefixes the ids the title and body get, which label and
/// describe the card's dialog.
pub(crate) fn fill(document: &Document, card: &Element, content: &Content, id: &str) -> Result<(), JsValue> {
    let title = element(document, "h2", "uptake-title", None)?;
    markup::append(document, &title, &content.title)?;
    title.set_id(&format!("{id}-title"));
    card.append_child(&title)?;
    if let Some(text) = &content.body {
        let body = element(document, "p", "uptake-body", None)?;
        markup::append(document, &body, text)?;
        body.set_id(&format!("{id}-body"));
        card.append_child(&body)?;
    }
    let actions = element(document, "div", "uptake-actions", None)?;
    if let Some((step, steps)) = content.progress {
        let progress = element(document, "span", "uptake-progress", Some(&content.progress_label))?;
        progress.set_attribute("aria-label", &format!("{step} / {steps}"))?;
        actions.append_child(&progress)?;
        if step > 1 {
            append(&actions, &button(document, "uptake-button", &content.back_label, &Choice::Back.attribute())?)?;
        }
        if content.next {
            let label = if step == steps { &content.done_label } else { &content.next_label };
            append(&actions, &button(document, "uptake-button uptake-primary", label, &Choice::Next.attribute())?)?;
        }
    }
    for (index, label) in content.buttons.iter().enumerate() {
        let class =
            if index == 0 && content.progress.is_none() { "uptake-button uptake-primary" } else { "uptake-button" };
        append(&actions, &button(document, class, &plain_text(label), &Choice::Button(index).attribute())?)?;
    }
    if actions.child_element_count() > 0 {
        card.append_child(&actions)?;
    }
    // Last, so that Tab reaches the card's own buttons first.
    let close = button(document, "uptake-close", "\u{00d7}", &Choice::Close.attribute())?;
    close.set_attribute("aria-label", &content.close_label)?;
    card.append_child(&close)?;
    Ok(())
}

/// Sets the dialog role and its label and description on `dialog`.
pub(crate) fn label_dialog(dialog: &Element, content: &Content, id: &str, modal: bool) -> Result<(), JsValue> {
    // A `<dialog>` has the role already.
    if dialog.local_name() != "dialog" {
        dialog.set_attribute("role", "dialog")?;
    }
    if modal {
        dialog.set_attribute("aria-modal", "true")?;
    }
    dialog.set_attribute("aria-labelledby", &format!("{id}-title"))?;
    if content.body.is_some() {
        dialog.set_attribute("aria-describedby", &format!("{id}-body"))?;
    }
    Ok(())
}
