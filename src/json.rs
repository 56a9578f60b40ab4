//! JSON texts read into `serde_json` values by the core's small reader (`json_reader`), with
//! the browser's `parseFloat` for numbers that are not whole, and written by its small writer
//! (`json_writer`), with the browser's number-to-string for floats: the SDK's wasm carries
//! neither serde_json's parser and writer nor float parsing and formatting (5.8 and 3.2 KB of
//! the gzipped SDK, 2026-12-06).

use serde_json::Value;
use uptake_core::json_reader;
use uptake_core::json_writer;

/// A JSON text as a value; `None` when it is not JSON, or nests too deep.
pub(crate) fn parse(text: &str) -> Option<Value> {
    json_reader::parse(text, read_float)
}

/// A JSON number's text (the reader checked its form) as the nearest `f64`.
fn read_float(text: &str) -> Option<f64> {
    Some(js_sys::Number::parse_float(text))
}

/// `value` as compact JSON.
pub(crate) fn write(value: &Value) -> String {
    json_writer::to_text(value, write_float)
}

/// A finite float as the shortest text that reads back as it: the browser's `String(number)`
/// (`1.5`, `1e+21`, `5e-324`), with `.0` after one that is whole (`3.0`), so that it reads back
/// as a float and not as an integer, and `-0.0` for negative zero, as serde_json writes them.
pub(crate) fn write_float(value: f64, out: &mut String) {
    if value == 0.0 && value.is_sign_negative() {
        out.push_str("-0.0");
        return;
    }
    let start = out.len();
    if let Some(text) = js_sys::Number::from(value).to_string_with_radix(10).ok().map(String::from) {
        out.push_str(&text);
    }
    if !out[start..].bytes().any(|byte| matches!(byte, b'.' | b'e')) {
        out.push_str(".0");
    }
}

#[cfg(test)]
mod tests {
    use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

    use super::{parse, write, write_float};

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

    #[wasm_bindgen_test]
    fn floats_are_written_by_the_browser_and_read_back_the_same() {
        let written = [
            (1.5, "1.5"),
            (1.0, "1.0"),
            (-0.0, "-0.0"),
            (1e21, "1e+21"),
            (1e20, "100000000000000000000.0"),
            (0.1, "0.1"),
            (-2.5e-7, "-2.5e-7"),
            (5e-324, "5e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (0.30000000000000004, "0.30000000000000004"),
        ];
        for (value, text) in written {
            let mut out = String::new();
            write_float(value, &mut out);
            assert_eq!(out, text);
        }
        // Floats from all over the range, from their bits: each reads back to the same bits.
        let mut bits: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..20_000 {
            bits = bits.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            let value = f64::from_bits(bits);
            if !value.is_finite() {
                continue;
            }
            let mut out = String::new();
            write_float(value, &mut out);
            let read = parse(&out).and_then(|read| read.as_f64());
            assert_eq!(read.map(f64::to_bits), Some(value.to_bits()), "{out}");
        }
        let value = serde_json::json!({"amount": 12.99, "n": 3, "whole": 3.0, "list": [1e-7, -1, "a\"b"]});
        assert_eq!(parse(&write(&value)), Some(value));
    }
}
