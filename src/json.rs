//! JSON texts read into `serde_json` values by the core's small reader (`json_reader`), with
//! the browser's `parseFloat` for numbers that are not whole: the SDK's wasm carries neither
//! serde_json's parser nor float parsing (5.8 KB of the gzipped SDK, 2026-12-06).

use serde_json::Value;
use uptake_core::json_reader;

/// A JSON text as a value; `None` when it is not JSON, or nests too deep.
pub(crate) fn parse(text: &str) -> Option<Value> {
    json_reader::parse(text, read_float)
}

/// A JSON number's text (the reader checked its form) as the nearest `f64`.
fn read_float(text: &str) -> Option<f64> {
    Some(js_sys::Number::parse_float(text))
}

#[cfg(test)]
mod tests {
    use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

    use super::parse;

    wasm_bindgen_test_configure!(run_in_browser);

    #[wasm_bindgen_test]
    fn numbers_that_are_not_whole_are_read_by_the_browser_to_the_nearest_float() {
        for text in
            ["0.1", "-2.5", "1e300", "5e-324", "1.7976931348623157e308", "123.456e-7", "2E+3", "0.30000000000000004"]
        {
            let expected: f64 = text.parse().unwrap();
            assert_eq!(parse(text).and_then(|value| value.as_f64()), Some(expected), "{text}");
        }
        assert_eq!(parse("1e400"), None, "an infinity is not a JSON number");
        assert_eq!(parse(r#"{"amount": 12.99}"#), Some(serde_json::json!({"amount": 12.99})));
    }
}
