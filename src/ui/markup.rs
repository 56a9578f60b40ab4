//! Config text with its small markup (bold, italic, line breaks, safe links) built with DOM
//! calls from the spans `uptake_core::markup` parses: no config string reaches `innerHTML`.

use uptake_core::markup::{Span, parse};
use wasm_bindgen::JsValue;
use web_sys::{Document, Element, Node};

/// Appends `source`, with its markup, to `parent`.
pub(crate) fn append(document: &Document, parent: &Element, source: &str) -> Result<(), JsValue> {
    for span in parse(source) {
        let node: Node = match span {
            Span::LineBreak => document.create_element("br")?.into(),
            Span::Text { text, bold, italic, link } => {
                let mut node: Node = document.create_text_node(&text).into();
                if italic {
                    let wrapper = document.create_element("em")?;
                    wrapper.append_child(&node)?;
                    node = wrapper.into();
                }
                if bold {
                    let wrapper = document.create_element("strong")?;
                    wrapper.append_child(&node)?;
                    node = wrapper.into();
                }
                if let Some(url) = link {
                    let anchor = document.create_element("a")?;
                    anchor.set_attribute("href", &url)?;
                    anchor.set_attribute("rel", "noopener noreferrer")?;
                    anchor.append_child(&node)?;
                    node = anchor.into();
                }
                node
            }
        };
        parent.append_child(&node)?;
    }
    Ok(())
}
