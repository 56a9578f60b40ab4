//! A JSON decoder that keeps the path it is at and collects every error instead of stopping at
//! the first, so a PM sees all the mistakes in a config at once. The typed config modules build
//! on its small vocabulary: objects with known fields, required and optional fields, lists,
//! strings, ids, numbers and windows.

use std::borrow::Cow;

use super::json::{Json, Object};

use super::error::{ConfigError, ConfigProblem};
use crate::quote::quoted;
use crate::time::{Delay, Window};

/// One step of a JSON path.
#[derive(Clone, Debug)]
enum Segment {
    Key(Cow<'static, str>),
    Index(usize),
}

/// The kinds of config items other items refer to by id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum IdKind {
    Feature,
    Prompt,
    Tour,
    Checklist,
    Survey,
}

impl IdKind {
    pub(crate) fn noun(self) -> &'static str {
        match self {
            IdKind::Feature => "feature",
            IdKind::Prompt => "prompt",
            IdKind::Tour => "tour",
            IdKind::Checklist => "checklist",
            IdKind::Survey => "survey",
        }
    }
}

/// An id used somewhere in the config, to check once every item is known.
#[derive(Clone, Debug)]
pub(crate) struct Reference {
    pub(crate) path: String,
    pub(crate) kind: IdKind,
    pub(crate) id: String,
}

/// Walks a JSON value, tracking the path, collecting errors and the ids it refers to.
#[derive(Debug, Default)]
pub(crate) struct Decoder {
    path: Vec<Segment>,
    errors: Vec<ConfigError>,
    references: Vec<Reference>,
}

/// The most characters of a string shown back in an error.
const QUOTED_MAX_CHARS: usize = 40;

/// A short description of a JSON value for "found ..." in errors.
pub(crate) fn describe(value: &Json<'_>) -> String {
    match value {
        Json::Null => "null".to_owned(),
        Json::Bool(flag) => flag.to_string(),
        Json::Number(number) => number.to_string(),
        Json::String(text) => {
            let shown: String = text.chars().take(QUOTED_MAX_CHARS).collect();
            let ellipsis = if shown.len() < text.len() { "..." } else { "" };
            format!("{}{ellipsis}", quoted(&shown))
        }
        Json::Array(_) => "an array".to_owned(),
        Json::Object(_) => "an object".to_owned(),
    }
}

impl Decoder {
    pub(crate) fn into_errors(self) -> Vec<ConfigError> {
        self.errors
    }

    /// Notes that the item at the current path refers to `id`, checked by the caller later.
    pub(crate) fn refer(&mut self, kind: IdKind, id: &str) {
        let path = self.path();
        self.references.push(Reference { path, kind, id: id.to_owned() });
    }

    pub(crate) fn take_references(&mut self) -> Vec<Reference> {
        std::mem::take(&mut self.references)
    }

    pub(crate) fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    /// The current path, as `rules[0].when.count`.
    pub(crate) fn path(&self) -> String {
        let mut out = String::new();
        for segment in &self.path {
            match segment {
                Segment::Key(key) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(key);
                }
                Segment::Index(index) => {
                    out.push('[');
                    out.push_str(&index.to_string());
                    out.push(']');
                }
            }
        }
        out
    }

    /// Records a problem at the current path.
    pub(crate) fn report(&mut self, problem: ConfigProblem) {
        let path = self.path();
        self.errors.push(ConfigError { path, problem });
    }

    /// Records a problem at an explicit path (for checks made after decoding).
    pub(crate) fn report_at(&mut self, path: String, problem: ConfigProblem) {
        self.errors.push(ConfigError { path, problem });
    }

    /// Reports that `found` is not what was expected; always `None`, to return from a decoder.
    pub(crate) fn expected<T>(&mut self, expected: &'static str, found: &Json<'_>) -> Option<T> {
        self.report_expected(expected, found);
        None
    }

    /// `expected`'s report, out of line: `expected` is instantiated for every type a field
    /// decodes to.
    #[inline(never)]
    fn report_expected(&mut self, expected: &'static str, found: &Json<'_>) {
        self.report(ConfigProblem::Expected { expected, found: describe(found) });
    }

    /// Like `expected`, at an explicit path.
    pub(crate) fn expected_at(&mut self, path: String, expected: &'static str, found: &Json<'_>) {
        self.report_at(path, ConfigProblem::Expected { expected, found: describe(found) });
    }

    /// The current path followed by `key`.
    pub(crate) fn path_with_key(&self, key: &str) -> String {
        let mut path = self.path();
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(key);
        path
    }

    // The generic helpers below are instantiated once per field of the config. What does not
    // depend on the field's type (looking the key up, the path's bookkeeping, reporting a
    // missing field) is in these functions, kept out of line so that the wasm has one copy of
    // it instead of one per field.

    #[inline(never)]
    fn enter(&mut self, segment: Segment) {
        self.path.push(segment);
    }

    #[inline(never)]
    fn leave(&mut self) {
        self.path.pop();
    }

    /// The value of `key` in `map`, with the path entered into it; `None` when it is absent.
    #[inline(never)]
    fn enter_field<'v, 'a>(&mut self, map: &'v Object<'a>, key: &'static str) -> Option<&'v Json<'a>> {
        let value = map.get(key)?;
        self.enter(Segment::Key(Cow::Borrowed(key)));
        Some(value)
    }

    #[inline(never)]
    fn report_missing(&mut self, field: &'static str) {
        self.report(ConfigProblem::MissingField { field });
    }

    /// Decodes under `key`, as `required` and `with_default` do: tests set a path with it.
    #[cfg(test)]
    pub(crate) fn in_key<T>(&mut self, key: &'static str, decode: impl FnOnce(&mut Self) -> T) -> T {
        self.enter(Segment::Key(Cow::Borrowed(key)));
        let result = decode(self);
        self.leave();
        result
    }

    /// Like `in_key`, for a key that comes from the config (a property name, a locale).
    pub(crate) fn in_dynamic_key<T>(&mut self, key: &str, decode: impl FnOnce(&mut Self) -> T) -> T {
        self.enter(Segment::Key(Cow::Owned(key.to_owned())));
        let result = decode(self);
        self.leave();
        result
    }

    pub(crate) fn in_index<T>(&mut self, index: usize, decode: impl FnOnce(&mut Self) -> T) -> T {
        self.enter(Segment::Index(index));
        let result = decode(self);
        self.leave();
        result
    }

    /// `value` as an object whose keys are all in `known`; reports each other key.
    pub(crate) fn object<'v, 'a>(
        &mut self,
        value: &'v Json<'a>,
        what: &'static str,
        known: &'static [&'static str],
    ) -> Option<&'v Object<'a>> {
        let Json::Object(map) = value else {
            return self.expected(what, value);
        };
        for (index, key) in map.keys().enumerate() {
            if !known.contains(&key) {
                let path = self.path_with_key(key);
                self.report_at(path, ConfigProblem::UnknownField { field: key.to_owned(), expected: known });
            } else if map.keys().take(index).any(|earlier| earlier == key) {
                let path = self.path_with_key(key);
                self.report_at(path, ConfigProblem::DuplicateKey { key: key.to_owned() });
            }
        }
        Some(map)
    }

    /// Decodes a field that must be present.
    pub(crate) fn required<'v, 'a, T>(
        &mut self,
        map: &'v Object<'a>,
        key: &'static str,
        decode: impl FnOnce(&mut Self, &'v Json<'a>) -> Option<T>,
    ) -> Option<T> {
        let Some(value) = self.enter_field(map, key) else {
            self.report_missing(key);
            return None;
        };
        let result = decode(self, value);
        self.leave();
        result
    }

    /// Decodes a field that may be absent: `default` when absent, `None` when present and
    /// invalid (reported).
    pub(crate) fn with_default<'v, 'a, T>(
        &mut self,
        map: &'v Object<'a>,
        key: &'static str,
        default: T,
        decode: impl FnOnce(&mut Self, &'v Json<'a>) -> Option<T>,
    ) -> Option<T> {
        let Some(value) = self.enter_field(map, key) else {
            return Some(default);
        };
        let result = decode(self, value);
        self.leave();
        result
    }

    /// Decodes each item of a list; `None` when `value` is not a list or any item is invalid.
    pub(crate) fn list<'v, 'a, T>(
        &mut self,
        value: &'v Json<'a>,
        what: &'static str,
        mut decode_item: impl FnMut(&mut Self, &'v Json<'a>) -> Option<T>,
    ) -> Option<Vec<T>> {
        let Json::Array(items) = value else {
            return self.expected(what, value);
        };
        let mut decoded = Vec::with_capacity(items.len());
        let mut all_valid = true;
        for (index, item) in items.iter().enumerate() {
            match self.in_index(index, |decoder| decode_item(decoder, item)) {
                Some(value) => decoded.push(value),
                None => all_valid = false,
            }
        }
        all_valid.then_some(decoded)
    }

    /// A non-empty string without surrounding whitespace or control characters: an id, an
    /// event name, a feature name.
    pub(crate) fn name(&mut self, value: &Json<'_>) -> Option<String> {
        const EXPECTED: &str = "a non-empty name without surrounding spaces or control characters";
        match value {
            Json::String(text)
                if !text.is_empty()
                    && text.trim() == text
                    && text.len() <= 200
                    && !text.chars().any(char::is_control) =>
            {
                Some(text.to_string())
            }
            other => self.expected(EXPECTED, other),
        }
    }

    /// One of a fixed set of words.
    pub(crate) fn one_of<T: Copy>(
        &mut self,
        value: &Json<'_>,
        words: &[(&str, T)],
        expected: &'static str,
    ) -> Option<T> {
        let found = value.as_str().and_then(|word| words.iter().find(|(name, _)| *name == word));
        match found {
            Some((_, item)) => Some(*item),
            None => self.expected(expected, value),
        }
    }

    pub(crate) fn boolean(&mut self, value: &Json<'_>) -> Option<bool> {
        match value {
            Json::Bool(flag) => Some(*flag),
            other => self.expected("true or false", other),
        }
    }

    /// A whole number in `min..=max` (`5.0` counts as whole).
    pub(crate) fn integer(&mut self, value: &Json<'_>, min: i64, max: i64, expected: &'static str) -> Option<i64> {
        let whole = value.as_i64().or_else(|| {
            let number = value.as_f64()?;
            (number.fract() == 0.0 && number.abs() < 9.0e15).then_some(number as i64)
        });
        match whole {
            Some(number) if (min..=max).contains(&number) => Some(number),
            _ => self.expected(expected, value),
        }
    }

    /// A number in `min..=max`.
    pub(crate) fn share(&mut self, value: &Json<'_>, min: f64, max: f64, expected: &'static str) -> Option<f64> {
        match value.as_f64() {
            Some(number) if (min..=max).contains(&number) => Some(number),
            _ => self.expected(expected, value),
        }
    }

    /// An id of an item of another list, checked once every item is known.
    pub(crate) fn reference(&mut self, value: &Json<'_>, kind: IdKind) -> Option<String> {
        let id = self.name(value)?;
        self.refer(kind, &id);
        Some(id)
    }

    /// A duration such as "500ms", "5s" or "2m", up to an hour.
    pub(crate) fn delay(&mut self, value: &Json<'_>) -> Option<Delay> {
        const EXPECTED: &str = "a duration such as \"500ms\", \"5s\" or \"2m\" (at most 1h)";
        match value.as_str().and_then(|text| Delay::parse(text).ok()) {
            Some(delay) => Some(delay),
            None => self.expected(EXPECTED, value),
        }
    }

    pub(crate) fn window(&mut self, value: &Json<'_>) -> Option<Window> {
        const EXPECTED: &str = "a window such as \"30m\", \"12h\" or \"7d\" (1m to 400d)";
        match value {
            Json::String(text) => match Window::parse(text) {
                Ok(window) => Some(window),
                Err(_) => self.expected(EXPECTED, value),
            },
            other => self.expected(EXPECTED, other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn tree(value: &Value) -> Json<'_> {
        Json::from(value)
    }

    #[test]
    fn describes_found_values_briefly() {
        assert_eq!(describe(&tree(&json!("five"))), "\"five\"");
        assert_eq!(describe(&tree(&json!(5))), "5");
        assert_eq!(describe(&tree(&json!(null))), "null");
        assert_eq!(describe(&tree(&json!([1]))), "an array");
        assert_eq!(describe(&tree(&json!({"a": 1}))), "an object");
        let long = "x".repeat(100);
        assert_eq!(describe(&tree(&json!(long))), format!("\"{}\"...", "x".repeat(40)));
    }

    #[test]
    fn paths_name_keys_and_indices() {
        let mut decoder = Decoder::default();
        decoder.in_key("rules", |d| {
            d.in_index(0, |d| {
                d.in_key("when", |d| d.in_key("count", |d| d.integer(&tree(&json!("five")), 0, 10, "a number")))
            })
        });
        let errors = decoder.into_errors();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].to_string(), "rules[0].when.count: expected a number, found \"five\"");
    }

    #[test]
    fn unknown_fields_are_reported_with_what_is_allowed() {
        let mut decoder = Decoder::default();
        let value = json!({"event": "x", "cout": 5});
        decoder.in_key("when", |d| d.object(&tree(&value), "a condition", &["event", "count", "within"]).is_some());
        assert_eq!(
            decoder.into_errors()[0].to_string(),
            "when.cout: unknown field \"cout\"; expected one of: event, count, within"
        );
    }

    #[test]
    fn every_bad_item_of_a_list_is_reported() {
        let mut decoder = Decoder::default();
        let value = json!(["a", 1, "b", false]);
        let value = tree(&value);
        let decoded = decoder.in_key("events", |d| d.list(&value, "a list", |d, item| d.name(item)));
        assert_eq!(decoded, None);
        let paths: Vec<String> = decoder.into_errors().into_iter().map(|e| e.path).collect();
        assert_eq!(paths, ["events[1]", "events[3]"]);
    }

    #[test]
    fn names_refuse_blank_padded_and_control_characters() {
        for bad in [json!(""), json!(" x"), json!("x\n"), json!("a\u{7}b"), json!(7)] {
            let mut decoder = Decoder::default();
            assert_eq!(decoder.name(&tree(&bad)), None, "{bad}");
            assert!(decoder.has_errors());
        }
        assert_eq!(Decoder::default().name(&tree(&json!("invoice.approved"))).as_deref(), Some("invoice.approved"));
    }

    #[test]
    fn a_key_written_twice_is_reported() {
        let text = r#"{"event": "x", "count": {"gte": 1}, "count": {"gte": 5}}"#;
        let value: Json<'_> = serde_json::from_str(text).unwrap();
        let mut decoder = Decoder::default();
        decoder.in_key("when", |d| d.object(&value, "a condition", &["event", "count"]).is_some());
        assert_eq!(
            decoder.into_errors()[0].to_string(),
            "when.count: the key \"count\" appears more than once in this object"
        );
    }
}
