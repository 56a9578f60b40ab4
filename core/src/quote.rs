//! `quoted`: a text as a JSON string literal, for messages that show a value from outside (an
//! id, a selector). Messages quote through here, not through `{:?}`: the SDK's wasm is built
//! with `Debug` formatting off (`scripts/build-wasm`), so `{:?}` would print nothing there.

/// `text` in double quotes, with quotes, backslashes and control characters escaped.
pub fn quoted(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_default()
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
