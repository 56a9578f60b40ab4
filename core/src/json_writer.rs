//! A JSON writer for the browser SDK, which writes its JSON texts with it instead of serde_json's
//! writer: that writer, its float formatting (zmij) and the serialization code derived for the
//! event were 3.2 KB of the gzipped SDK (2026-12-06).
//!
//! It writes compact JSON, byte for byte as `serde_json::to_string` does, but for the floats:
//! those are written by the `write_float` the caller gives, which must write the shortest text
//! that reads back as the same `f64`. The SDK gives the browser's number-to-string
//! (`src/json.rs`), whose code is not in the wasm; native callers give `serde_float`, and then
//! the text is serde_json's exactly.

use serde_json::{Map, Number, Value};

/// Writes a finite float as a JSON number that reads back as the same `f64`.
pub type FloatWriter = fn(f64, &mut String);

/// `value` as compact JSON.
pub fn to_text(value: &Value, write_float: FloatWriter) -> String {
    let mut out = String::new();
    write_value(&mut out, value, write_float);
    out
}

/// `value` as compact JSON, after what `out` holds.
pub fn write_value(out: &mut String, value: &Value, write_float: FloatWriter) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(flag) => out.push_str(if *flag { "true" } else { "false" }),
        Value::Number(number) => write_number(out, number, write_float),
        Value::String(text) => write_string(out, text),
        Value::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_value(out, item, write_float);
            }
            out.push(']');
        }
        Value::Object(map) => write_object(out, map, write_float),
    }
}

/// `{"key":value,...}`, in the map's order.
pub fn write_object(out: &mut String, map: &Map<String, Value>, write_float: FloatWriter) {
    out.push('{');
    for (index, (key, value)) in map.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        write_string(out, key);
        out.push(':');
        write_value(out, value, write_float);
    }
    out.push('}');
}

/// `text` as a JSON string: in double quotes, with quotes, backslashes and control characters
/// escaped as serde_json escapes them.
pub fn write_string(out: &mut String, text: &str) {
    out.reserve(text.len() + 2);
    out.push('"');
    let mut start = 0;
    for (at, byte) in text.bytes().enumerate() {
        let escape = ESCAPES[usize::from(byte)];
        if escape == 0 {
            continue;
        }
        out.push_str(&text[start..at]);
        out.push('\\');
        out.push(char::from(escape));
        if escape == b'u' {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.push_str("00");
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0xf)]));
        }
        start = at + 1;
    }
    out.push_str(&text[start..]);
    out.push('"');
}

/// For each byte, the letter after the backslash that escapes it (`u` for `\u00XX`), or 0 when
/// it is written as it is: one look-up per byte, as serde_json's writer does.
const ESCAPES: [u8; 256] = {
    let mut escapes = [0u8; 256];
    let mut byte = 0;
    while byte < 0x20 {
        escapes[byte] = b'u';
        byte += 1;
    }
    escapes[0x08] = b'b';
    escapes[0x0c] = b'f';
    escapes[b'\n' as usize] = b'n';
    escapes[b'\r' as usize] = b'r';
    escapes[b'\t' as usize] = b't';
    escapes[b'"' as usize] = b'"';
    escapes[b'\\' as usize] = b'\\';
    escapes
};

fn write_number(out: &mut String, number: &Number, write_float: FloatWriter) {
    if let Some(whole) = number.as_u64() {
        write_digits(out, whole);
    } else if let Some(whole) = number.as_i64() {
        out.push('-');
        write_digits(out, whole.unsigned_abs());
    } else {
        match number.as_f64() {
            Some(float) if float.is_finite() => write_float(float, out),
            _ => out.push_str("null"),
        }
    }
}

fn write_digits(out: &mut String, mut number: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (number % 10) as u8;
        number /= 10;
        if number == 0 {
            break;
        }
    }
    if let Ok(text) = std::str::from_utf8(&digits[at..]) {
        out.push_str(text);
    }
}

/// serde_json's own float form (`1.5`, `1.0`, `1e+21`), for native callers: with it, `to_text`
/// writes what `serde_json::to_string` writes.
pub fn serde_float(float: f64, out: &mut String) {
    match Number::from_f64(float) {
        Some(number) => out.push_str(&number.to_string()),
        None => out.push_str("null"),
    }
}

#[cfg(test)]
mod tests;
