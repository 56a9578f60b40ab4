use proptest::prelude::*;
use serde_json::{Value, json};

use super::{MAX_NESTING, parse};

/// Rust's own float parsing, which rounds correctly, as the browser's `parseFloat` does.
fn read(text: &str) -> Option<Value> {
    parse(text, |number| number.parse().ok())
}

#[test]
fn values_read_as_serde_json_reads_them() {
    let text = r#" {"name": "Ann \u00e9 \ud83d\ude00 \"q\" \\ \/ \b\f\n\r\t é", "n": 3, "neg": -4, "x": 1.5,
        "e": 2E-3, "big": 1e300, "list": [true, false, null, [], {}], "nested": {"a": {"b": [0.25]}},
        "a": 1, "a": 2, "u64": 18446744073709551615, "i64": -9223372036854775808} "#;
    assert_eq!(read(text), Some(serde_json::from_str(text).unwrap()));
    assert_eq!(read("[1.0, 0, -0.0, 100000000000000000000]"), Some(json!([1.0, 0, -0.0, 1e20])));
    assert_eq!(read(r#""text""#), Some(json!("text")));
    assert_eq!(read("\t\r\n 7 \n"), Some(json!(7)));
}

#[test]
fn a_lone_surrogate_reads_as_the_replacement_character() {
    assert_eq!(read(r#""a\ud800b""#), Some(json!("a\u{fffd}b")));
    assert_eq!(read(r#""\udc00""#), Some(json!("\u{fffd}")));
    assert_eq!(read(r#""\ud800\u0041""#), Some(json!("\u{fffd}A")));
}

#[test]
fn what_is_not_json_is_refused() {
    for text in [
        "",
        " ",
        "nul",
        "tru",
        "True",
        "NaN",
        "Infinity",
        "undefined",
        "'a'",
        "[1,]",
        "[1 2]",
        "{\"a\":1,}",
        "{a:1}",
        "{\"a\" 1}",
        "{\"a\":}",
        "{1:2}",
        "[",
        "]",
        "{",
        "\"open",
        "01",
        "-01",
        "1.",
        ".5",
        "-",
        "+1",
        "1e",
        "1e+",
        "0x10",
        "1 2",
        "[] x",
        "\"\\x\"",
        "\"\\u12\"",
        "\"\\u12g4\"",
        "\"tab\there\"",
        "/* */ 1",
        "1e400",
    ] {
        assert_eq!(read(text), None, "{text}");
        assert!(serde_json::from_str::<Value>(text).is_err(), "serde_json reads {text}");
    }
}

#[test]
fn nesting_stops_at_the_limit() {
    let depth = MAX_NESTING as usize;
    let nested = |depth: usize| format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let objects = |depth: usize| format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth));
    for text in [nested(depth), nested(depth + 1), objects(depth), objects(depth + 1)] {
        assert_eq!(read(&text).is_some(), serde_json::from_str::<Value>(&text).is_ok(), "as deep as serde_json");
    }
    assert!(read(&nested(depth)).is_some());
    assert_eq!(read(&objects(depth + 1)), None);
    // Far deeper than the stack allows: refused, not a crash.
    assert_eq!(read(&nested(1_000_000)), None);
}

pub(crate) fn json_values() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |number| number.is_finite()).prop_map(Value::from),
        any::<String>().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((any::<String>(), inner), 0..6)
                .prop_map(|entries| Value::Object(entries.into_iter().collect())),
        ]
    })
}

proptest! {
    /// Whatever serde_json writes reads back as the same value.
    #[test]
    fn what_serde_json_writes_reads_back_the_same(value in json_values(), pretty in any::<bool>()) {
        let text = if pretty { serde_json::to_string_pretty(&value) } else { serde_json::to_string(&value) };
        prop_assert_eq!(read(&text.unwrap()), Some(value));
    }

    /// A text is read exactly when serde_json reads it (texts of JSON's own characters, without
    /// the surrogate escapes that the two read differently).
    #[test]
    fn texts_are_refused_exactly_when_serde_json_refuses_them(text in r#"[\[\]{}",:0-9eE.+\- tfrunlas\\/bu0Ax]{0,24}"#) {
        prop_assert_eq!(read(&text).is_some(), serde_json::from_str::<Value>(&text).is_ok(), "{}", text);
    }
}
