//! `quoted`: a text as a JSON string literal, for messages that show a value from outside (an
//! id, a selector). Messages quote through here, not through `{:?}`: the SDK's wasm is built
//! with `Debug` formatting off (`scripts/build-wasm`), so `{:?}` would print nothing there.

/// `text` in double quotes, with quotes, backslashes and control characters escaped.
pub fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    crate::json_writer::write_string(&mut out, text);
    out
}

#[cfg(test)]
mod tests {
    use super::quoted;

    #[test]
    fn quotes_and_escapes() {
        assert_eq!(quoted("#new-automation"), "\"#new-automation\"");
        assert_eq!(quoted("a \"b\"\n"), "\"a \\\"b\\\"\\n\"");
    }
}
