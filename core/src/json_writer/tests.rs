use proptest::prelude::*;
use serde_json::json;

use super::{serde_float, to_text, write_string};
use crate::json_reader::tests::json_values;

#[test]
fn values_are_written_as_serde_json_writes_them() {
    let value = json!({
        "text": "Ann \u{e9} \u{1f600} \"q\" \\ / \u{8}\u{c}\n\r\t \u{0} \u{1f} \u{7f}",
        "n": 3, "neg": -4, "min": i64::MIN, "max": u64::MAX, "zero": 0,
        "floats": [1.5, 1.0, -0.0, 1e21, 1e-7, 0.1, 5e-324, 1.7976931348623157e308, 100000000000000000000.0],
        "list": [true, false, null, [], {}], "nested": {"b": {"a": [0.25]}}
    });
    assert_eq!(to_text(&value, serde_float), serde_json::to_string(&value).unwrap());
}

#[test]
fn strings_escape_quotes_backslashes_and_control_characters_only() {
    let mut out = String::new();
    write_string(&mut out, "a\"b\\c\u{1}\u{7f}é/");
    assert_eq!(out, concat!(r#""a\"b\\c\u0001"#, "\u{7f}é/\""));
}

#[test]
fn floats_are_written_by_the_writer_given() {
    let value = json!({"x": 1.5, "n": 2});
    assert_eq!(to_text(&value, |_, out| out.push_str("1.5f")), r#"{"n":2,"x":1.5f}"#);
}

proptest! {
    /// With serde_json's float form, the text is serde_json's, byte for byte.
    #[test]
    fn what_is_written_is_what_serde_json_writes(value in json_values()) {
        prop_assert_eq!(to_text(&value, serde_float), serde_json::to_string(&value).unwrap());
    }
}
