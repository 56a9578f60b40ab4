//! Values from the host app into JSON. Properties and traits go through `JSON.stringify`, so
//! they mean on the device what they will mean on the wire: `Date`s become ISO strings,
//! `toJSON` is honoured, functions are dropped, and a cyclic object is refused instead of
//! recursing forever.

use js_sys::JSON;
use serde_json::{Map, Value};
use wasm_bindgen::{JsCast, JsValue};

use crate::json;

/// Why a value from the host app was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ConvertError {
    NotAnObject,
    NotSerializable,
}

impl ConvertError {
    pub(crate) fn message(self) -> &'static str {
        match self {
            ConvertError::NotAnObject => "expected a plain object of properties",
            ConvertError::NotSerializable => "the object cannot be turned into JSON (a cycle, or a BigInt)",
        }
    }
}

/// A plain object, `undefined` or `null` (an empty object), as a JSON map.
pub(crate) fn object(value: &JsValue) -> Result<Map<String, Value>, ConvertError> {
    if value.is_undefined() || value.is_null() {
        return Ok(Map::new());
    }
    if !value.is_object() || js_sys::Array::is_array(value) {
        return Err(ConvertError::NotAnObject);
    }
    let text = JSON::stringify(value).map_err(|_| ConvertError::NotSerializable)?;
    object_from_json(&String::from(text))
}

/// A JSON text of an object (what `JSON.stringify` made of the host's value) as a JSON map.
pub(crate) fn object_from_json(text: &str) -> Result<Map<String, Value>, ConvertError> {
    match json::parse(text) {
        Some(Value::Object(map)) => Ok(map),
        _ => Err(ConvertError::NotAnObject),
    }
}

/// A string argument, or `None` for anything else.
pub(crate) fn string(value: &JsValue) -> Option<String> {
    value.as_string()
}

/// A JSON text parsed by the browser into a JS value, for handing data back to the host app.
pub(crate) fn to_js(value: &Value) -> JsValue {
    JSON::parse(&json::write(value)).unwrap_or(JsValue::NULL)
}

/// A function argument, if it is one.
pub(crate) fn function(value: &JsValue) -> Option<js_sys::Function> {
    value.dyn_ref::<js_sys::Function>().cloned()
}
