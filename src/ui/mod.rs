//! Everything the SDK shows lives in shadow roots attached to `<uptake-root>` elements: one at
//! the end of the body, and one inside a host's open modal `<dialog>` or popover when a target is
//! there (the rest of the page is inert then, and below the top layer). The host's CSS cannot
//! reach inside, and the SDK's CSS cannot leak out. Config text is set as text, with a small
//! safe markup built by DOM calls, never as HTML.

mod card;
mod checklist;
mod floating;
mod hotspot;
mod markup;
mod modal;
mod survey;
mod targets;

use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Document, Element, ShadowRoot, ShadowRootInit, ShadowRootMode, Window};

pub(crate) use card::{Choice, Content};
pub(crate) use checklist::{ChecklistAction, ChecklistItemTexts, ChecklistTexts, ChecklistView};
pub(crate) use floating::{Anchor, FloatingOptions, FloatingView};
pub(crate) use hotspot::{HotspotLabels, HotspotView};
pub(crate) use modal::ModalView;
pub(crate) use survey::{SurveyAnswerChoice, SurveyTexts, SurveyView};
pub(crate) use targets::{Target, TargetSearch, scroll_into_view, top_layer_ancestor};

/// `styles.css` without its comments and spare whitespace (the build script writes it).
const STYLES: &str = include_str!(concat!(env!("OUT_DIR"), "/styles.css"));

/// A shadow root the SDK renders into.
pub(crate) struct UiRoot {
    document: Document,
    window: Window,
    host: Element,
    shadow: ShadowRoot,
}

impl UiRoot {
    /// A root at the end of `parent`.
    pub(crate) fn create(document: &Document, parent: &Element) -> Result<UiRoot, JsValue> {
        let host = document.create_element("uptake-root")?;
        pin_host_styles(&host);
        let shadow = host.attach_shadow(&ShadowRootInit::new(ShadowRootMode::Open))?;
        adopt_styles(document, &shadow)?;
        parent.append_child(&host)?;
        let window = document.default_view().ok_or_else(|| JsValue::from_str("the document has no window"))?;
        Ok(UiRoot { document: document.clone(), window, host, shadow })
    }

    /// A root at the end of the body.
    pub(crate) fn in_body(document: &Document) -> Result<UiRoot, JsValue> {
        let parent: Element = match document.body() {
            Some(body) => body.into(),
            None => document.document_element().ok_or(JsValue::NULL)?,
        };
        UiRoot::create(document, &parent)
    }

    pub(crate) fn document(&self) -> &Document {
        &self.document
    }

    pub(crate) fn window(&self) -> &Window {
        &self.window
    }

    pub(crate) fn shadow(&self) -> &ShadowRoot {
        &self.shadow
    }

    /// Whether the root is still in the document (a SPA may have replaced the body).
    pub(crate) fn is_attached(&self) -> bool {
        self.host.is_connected()
    }

    /// Whether the root was made inside `container`.
    pub(crate) fn is_in(&self, container: &Element) -> bool {
        self.host.parent_element().is_some_and(|parent| &parent == container)
    }

    /// Sets the config's theme as CSS custom properties of `:host`, through the CSS object model
    /// (a value cannot add rules). The page's own `uptake-root { --uptake-accent: ... }` rules
    /// win over them, as the page's rules win over `:host` ones.
    pub(crate) fn apply_theme(&self, properties: &[(&str, String)]) {
        if properties.is_empty() {
            return;
        }
        let Ok(sheet) = web_sys::CssStyleSheet::new() else { return };
        if sheet.insert_rule(":host {}").is_err() {
            return;
        }
        let Some(rule) = sheet.css_rules().ok().and_then(|rules| rules.item(0)) else { return };
        let Ok(rule) = rule.dyn_into::<web_sys::CssStyleRule>() else { return };
        let style = rule.style();
        for (name, value) in properties {
            let _ = style.set_property(name, value);
        }
        let sheets = self.shadow.adopted_style_sheets();
        sheets.push(&sheet);
        self.shadow.set_adopted_style_sheets(&sheets);
    }
}

impl Drop for UiRoot {
    fn drop(&mut self) {
        self.host.remove();
    }
}

/// Inline `!important` declarations outrank every stylesheet rule of the page, so that rules
/// such as `* { display: none !important }` or a transform on every element cannot hide the
/// SDK or move its fixed-position views.
const PINNED_HOST_STYLES: &[(&str, &str)] = &[
    ("display", "block"),
    ("position", "static"),
    ("visibility", "visible"),
    ("opacity", "1"),
    ("transform", "none"),
    ("filter", "none"),
    ("contain", "none"),
    ("pointer-events", "auto"),
];

fn pin_host_styles(host: &Element) {
    let Some(host) = host.dyn_ref::<web_sys::HtmlElement>() else { return };
    let style = host.style();
    for (name, value) in PINNED_HOST_STYLES {
        let _ = style.set_property_with_priority(name, value, "important");
    }
}

/// Styles as a constructed stylesheet, which strict CSPs allow; a `<style>` element where the
/// browser has no constructed stylesheets.
fn adopt_styles(document: &Document, shadow: &ShadowRoot) -> Result<(), JsValue> {
    if let Ok(sheet) = web_sys::CssStyleSheet::new()
        && sheet.replace_sync(STYLES).is_ok()
    {
        shadow.set_adopted_style_sheets(&js_sys::Array::of1(&sheet));
        return Ok(());
    }
    let style = document.create_element("style")?;
    style.set_text_content(Some(STYLES));
    shadow.append_child(&style)?;
    Ok(())
}

/// Creates an element with a class and, optionally, plain text.
pub(crate) fn element(document: &Document, tag: &str, class: &str, text: Option<&str>) -> Result<Element, JsValue> {
    let element = document.create_element(tag)?;
    if !class.is_empty() {
        element.set_class_name(class);
    }
    if let Some(text) = text {
        element.set_text_content(Some(text));
    }
    Ok(element)
}

/// Creates a `<button type="button">` carrying the choice it stands for.
pub(crate) fn button(document: &Document, class: &str, label: &str, choice: &str) -> Result<Element, JsValue> {
    let button = element(document, "button", class, Some(label))?;
    button.set_attribute("type", "button")?;
    button.set_attribute(card::CHOICE_ATTRIBUTE, choice)?;
    Ok(button)
}

/// Gives focus back, when dropped, to what had it when this was made.
pub(crate) struct FocusReturn(Option<web_sys::HtmlElement>);

impl FocusReturn {
    pub(crate) fn remember(document: &Document) -> FocusReturn {
        FocusReturn(deep_active_element(document).and_then(|element| element.dyn_into().ok()))
    }
}

/// The focused element, inside open shadow roots (the document only sees their host).
pub(crate) fn deep_active_element(document: &Document) -> Option<Element> {
    let mut active = document.active_element()?;
    while let Some(inner) = active.shadow_root().and_then(|root| root.active_element()) {
        active = inner;
    }
    Some(active)
}

impl Drop for FocusReturn {
    fn drop(&mut self) {
        if let Some(element) = self.0.take().filter(|element| element.is_connected()) {
            let _ = element.focus();
        }
    }
}

/// Focuses the main button inside `container`, else its first one.
pub(crate) fn focus_main_button(container: &Element) {
    let main = container.query_selector("button.uptake-primary").ok().flatten();
    let button = main.or_else(|| container.query_selector("button").ok().flatten());
    if let Some(button) = button.and_then(|button| button.dyn_into::<web_sys::HtmlElement>().ok()) {
        let _ = button.focus();
    }
}

/// Appends `child` at the end of `parent`.
pub(crate) fn append(parent: &Element, child: &Element) -> Result<(), JsValue> {
    parent.append_child(child).map(drop)
}
