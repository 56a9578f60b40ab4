//! A JSON reader for the browser SDK, which reads JSON texts with it instead of serde_json's
//! parser: serde_json's, with its number parsing, its error messages and its tables, was 5.8 KB
//! of the gzipped SDK (2026-12-06). Texts become the same `serde_json::Value`s serde_json makes
//! of them; the core's readers take those values, and native callers (the collector, the tests)
//! parse with serde_json.
//!
//! It reads RFC 8259 JSON, as strictly as serde_json: no trailing commas, comments or control
//! characters in strings. Whole numbers are read exactly, as `u64` or `i64`; the others are read
//! by the `read_float` the caller gives, which must round correctly (the SDK gives the
//! browser's `parseFloat`, whose code is not in the wasm). A lone UTF-16 surrogate in a `\u`
//! escape, which serde_json refuses, reads as U+FFFD: `JSON.stringify` writes one for a string
//! the host app cut in half, and the event is kept.

use serde_json::{Map, Number, Value};

/// Arrays and objects nest at most this deep, as in serde_json: reading stops there instead of
/// recursing until the stack runs out.
pub const MAX_NESTING: u32 = 127;

/// `text` as a JSON value; `None` when it is not JSON, or nests deeper than `MAX_NESTING`.
pub fn parse(text: &str, read_float: fn(&str) -> Option<f64>) -> Option<Value> {
    let mut reader = Reader { text, at: 0, read_float };
    let value = reader.value(0)?;
    reader.skip_whitespace();
    (reader.at == text.len()).then_some(value)
}

struct Reader<'t> {
    text: &'t str,
    at: usize,
    read_float: fn(&str) -> Option<f64>,
}

impl Reader<'_> {
    // Inlined, with `next` and `skip_whitespace`: V8 runs a page's first reading in its baseline
    // compiler, where each call costs. Reading a 383 KB config took 23.9 ms then, against
    // serde_json's 24.7 (medians of 15 pages, 2026-12-06); as calls, about 5 ms more.
    #[inline(always)]
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    #[inline(always)]
    fn next(&mut self) -> Option<u8> {
        let byte = self.peek()?;
        self.at += 1;
        Some(byte)
    }

    #[inline(always)]
    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    /// Takes `word` (the rest of `true`, `false` or `null`).
    fn word(&mut self, word: &str) -> Option<()> {
        let rest = self.text.get(self.at..)?;
        rest.starts_with(word).then(|| self.at += word.len())
    }

    fn value(&mut self, depth: u32) -> Option<Value> {
        self.skip_whitespace();
        match self.next()? {
            b'n' => self.word("ull").map(|()| Value::Null),
            b't' => self.word("rue").map(|()| Value::Bool(true)),
            b'f' => self.word("alse").map(|()| Value::Bool(false)),
            b'"' => self.string().map(Value::String),
            b'[' if depth < MAX_NESTING => self.array(depth + 1),
            b'{' if depth < MAX_NESTING => self.object(depth + 1),
            b'-' | b'0'..=b'9' => {
                self.at -= 1;
                self.number()
            }
            _ => None,
        }
    }

    /// Whether a list (after its opening `[` or `{`) is empty: its closing `close` comes next.
    fn closes_at_once(&mut self, close: u8) -> bool {
        self.skip_whitespace();
        let closes = self.peek() == Some(close);
        self.at += usize::from(closes);
        closes
    }

    /// After an item of a list: `Some(true)` at the list's closing `close`, `Some(false)` at a
    /// comma, `None` at anything else. Inlined, as `peek` is: it runs after every item.
    #[inline(always)]
    fn closes_after_item(&mut self, close: u8) -> Option<bool> {
        self.skip_whitespace();
        match self.next()? {
            b',' => Some(false),
            byte if byte == close => Some(true),
            _ => None,
        }
    }

    /// After `[`.
    fn array(&mut self, depth: u32) -> Option<Value> {
        let mut items = Vec::new();
        if !self.closes_at_once(b']') {
            loop {
                items.push(self.value(depth)?);
                if self.closes_after_item(b']')? {
                    break;
                }
            }
        }
        Some(Value::Array(items))
    }

    /// After `{`.
    fn object(&mut self, depth: u32) -> Option<Value> {
        let mut map = Map::new();
        if !self.closes_at_once(b'}') {
            loop {
                self.skip_whitespace();
                if self.next()? != b'"' {
                    return None;
                }
                let key = self.string()?;
                self.skip_whitespace();
                if self.next()? != b':' {
                    return None;
                }
                // A repeated key keeps its last value, as in serde_json.
                map.insert(key, self.value(depth)?);
                if self.closes_after_item(b'}')? {
                    break;
                }
            }
        }
        Some(Value::Object(map))
    }

    /// After the opening quote.
    fn string(&mut self) -> Option<String> {
        let mut string = String::new();
        loop {
            // Copies the run of plain characters up to the next quote, backslash or control.
            let rest = self.text.get(self.at..)?;
            let plain = rest.bytes().position(|byte| byte == b'"' || byte == b'\\' || byte < 0x20)?;
            string.push_str(rest.get(..plain)?);
            self.at += plain;
            match self.next()? {
                b'"' => return Some(string),
                b'\\' => {
                    let unescaped = match self.next()? {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.escaped_char()?,
                        _ => return None,
                    };
                    string.push(unescaped);
                }
                _ => return None,
            }
        }
    }

    /// After `\u`: the character, with the low half of a surrogate pair if one follows.
    fn escaped_char(&mut self) -> Option<char> {
        let unit = self.hex_unit()?;
        if !(0xD800..0xDC00).contains(&unit) {
            return Some(char::from_u32(unit).unwrap_or(char::REPLACEMENT_CHARACTER));
        }
        let low_follows = self.text.get(self.at..).is_some_and(|rest| rest.starts_with("\\u"));
        if low_follows {
            let before = self.at;
            self.at += 2;
            let low = self.hex_unit()?;
            if (0xDC00..0xE000).contains(&low) {
                let code = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
                return char::from_u32(code);
            }
            // Not a low half: read as an escape of its own.
            self.at = before;
        }
        Some(char::REPLACEMENT_CHARACTER)
    }

    fn hex_unit(&mut self) -> Option<u32> {
        let digits = self.text.get(self.at..self.at + 4)?;
        self.at += 4;
        let mut unit = 0;
        for digit in digits.chars() {
            unit = unit * 16 + digit.to_digit(16)?;
        }
        Some(unit)
    }

    fn digits(&mut self) -> usize {
        let start = self.at;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.at += 1;
        }
        self.at - start
    }

    fn number(&mut self) -> Option<Value> {
        let start = self.at;
        let negative = self.peek() == Some(b'-');
        if negative {
            self.at += 1;
        }
        let whole = self.digits();
        let leading_zero = self.text.as_bytes().get(self.at - whole) == Some(&b'0');
        if whole == 0 || (whole > 1 && leading_zero) {
            return None;
        }
        let mut integer = true;
        if self.peek() == Some(b'.') {
            self.at += 1;
            if self.digits() == 0 {
                return None;
            }
            integer = false;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.at += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.at += 1;
            }
            if self.digits() == 0 {
                return None;
            }
            integer = false;
        }
        let text = self.text.get(start..self.at)?;
        if integer {
            // Out of the 64-bit range, serde_json reads a whole number as a float too.
            let exact = if negative {
                text.parse::<i64>().ok().map(Number::from)
            } else {
                text.parse::<u64>().ok().map(Number::from)
            };
            if let Some(number) = exact {
                return Some(Value::Number(number));
            }
        }
        // JSON numbers are finite, but one too large for an f64 reads as an infinity, which JSON
        // cannot hold: refused, as serde_json refuses it.
        Number::from_f64((self.read_float)(text)?).map(Value::Number)
    }
}

#[cfg(test)]
pub(crate) mod tests;
