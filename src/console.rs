//! Warnings to the developer console, each prefixed with `[uptake]`. Warnings are how the SDK
//! reports bad input without throwing into the host page.

use wasm_bindgen::JsValue;

pub(crate) fn warn(message: &str) {
    web_sys::console::warn_2(&JsValue::from_str("[uptake]"), &JsValue::from_str(message));
}

pub(crate) fn warn_with(message: &str, detail: &JsValue) {
    web_sys::console::warn_3(&JsValue::from_str("[uptake]"), &JsValue::from_str(message), detail);
}
