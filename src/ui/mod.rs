//! Everything the SDK shows lives in one shadow root attached to `<uptake-root>` at the end of
//! the body: the host's CSS cannot reach inside, and the SDK's CSS cannot leak out. Content from
//! the config is always set as text, never as HTML.

mod prompt;

use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Document, Element, ShadowRoot, ShadowRootInit, ShadowRootMode};

pub(crate) use prompt::{PromptChoice, PromptContent, PromptView};

const STYLES: &str = include_str!("styles.css");

/// The shadow root the SDK renders into, created on first use.
pub(crate) struct UiRoot {
    host: Element,
    shadow: ShadowRoot,
}

impl UiRoot {
    pub(crate) fn create(document: &Document) -> Result<UiRoot, JsValue> {
        let host = document.create_element("uptake-root")?;
        let init = ShadowRootInit::new(ShadowRootMode::Open);
        let shadow = host.attach_shadow(&init)?;
        adopt_styles(document, &shadow)?;
        let parent: Element = match document.body() {
            Some(body) => body.into(),
            None => document.document_element().ok_or(JsValue::NULL)?,
        };
        parent.append_child(&host)?;
        Ok(UiRoot { host, shadow })
    }

    pub(crate) fn shadow(&self) -> &ShadowRoot {
        &self.shadow
    }

    /// Sets the config's theme as CSS custom properties on the host element, where the page's
    /// own `uptake-root { --uptake-accent: ... }` rules can also set them.
    pub(crate) fn apply_theme(&self, properties: &[(&str, String)]) {
        let Some(host) = self.host.dyn_ref::<web_sys::HtmlElement>() else { return };
        let style = host.style();
        for (name, value) in properties {
            let _ = style.set_property(name, value);
        }
    }

    /// Whether the host element is still in the document (a SPA may have replaced the body).
    pub(crate) fn is_attached(&self) -> bool {
        self.host.is_connected()
    }
}

impl Drop for UiRoot {
    fn drop(&mut self) {
        self.host.remove();
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

/// Creates an element with a class and, optionally, text.
pub(crate) fn element(document: &Document, tag: &str, class: &str, text: Option<&str>) -> Result<Element, JsValue> {
    let element = document.create_element(tag)?;
    element.set_class_name(class);
    if let Some(text) = text {
        element.set_text_content(Some(text));
    }
    Ok(element)
}

/// The element focused now, to give focus back to later.
pub(crate) fn focused_element(document: &Document) -> Option<web_sys::HtmlElement> {
    document.active_element()?.dyn_into().ok()
}
