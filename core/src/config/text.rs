//! Text shown to people: one string, or one per locale (`{"en": "...", "ja": "..."}`), resolved
//! for the reader's locale with a fallback to the config's default locale.

use super::json::Json;
use serde::{Deserialize, Serialize};

use super::decode::Decoder;
use super::sorted_map::SortedMap;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[serde(untagged)]
pub enum Text {
    Plain(String),
    /// Locale tag (`en`, `ja`, `pt-BR`) to text.
    Localized(
        #[cfg_attr(any(test, feature = "schema"), schemars(with = "std::collections::BTreeMap<String, String>"))]
        SortedMap<String>,
    ),
}

fn same_language(tag: &str, language: &str) -> bool {
    tag.split('-').next().is_some_and(|primary| primary.eq_ignore_ascii_case(language))
}

impl Text {
    /// The text for `locale`: the exact tag, else the same language, else the default locale,
    /// else English, else the first one given.
    pub fn resolve<'t>(&'t self, locale: &str, default_locale: &str) -> &'t str {
        let map = match self {
            Text::Plain(text) => return text,
            Text::Localized(map) => map,
        };
        let language = locale.split('-').next().unwrap_or(locale);
        let exact = map.iter().find(|(tag, _)| tag.eq_ignore_ascii_case(locale));
        let found = exact
            .or_else(|| map.iter().find(|(tag, _)| same_language(tag, language)))
            .or_else(|| map.iter().find(|(tag, _)| tag.eq_ignore_ascii_case(default_locale)))
            .or_else(|| map.iter().find(|(tag, _)| same_language(tag, "en")))
            .or_else(|| map.iter().next());
        found.map_or("", |(_, text)| text.as_str())
    }
}

/// Whether `tag` looks like a BCP 47 locale tag: letters, digits and hyphens, starting with 2-3
/// letters.
pub(crate) fn is_locale_tag(tag: &str) -> bool {
    let primary = tag.split('-').next().unwrap_or_default();
    (2..=3).contains(&primary.len())
        && primary.bytes().all(|b| b.is_ascii_alphabetic())
        && tag.len() <= 35
        && tag.split('-').all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_alphanumeric()))
}

impl Decoder {
    /// Text shown to people: a non-blank string, or an object of locale tags to non-blank strings.
    pub(crate) fn text(&mut self, value: &Json<'_>) -> Option<Text> {
        const EXPECTED: &str = "a non-blank text, or an object of locale tags to texts such as {\"en\": \"...\"}";
        match value {
            Json::String(text) if !text.trim().is_empty() => Some(Text::Plain(text.to_string())),
            Json::Object(map) if !map.is_empty() => {
                let mut texts = SortedMap::default();
                let mut valid = true;
                for (tag, text) in map.iter() {
                    let path = self.path_with_key(tag);
                    match text {
                        Json::String(text) if !text.trim().is_empty() && is_locale_tag(tag) => {
                            texts.insert(tag.to_owned(), text.to_string());
                        }
                        Json::String(_) if !is_locale_tag(tag) => {
                            self.expected_at(
                                path,
                                "a locale tag such as \"en\" or \"pt-BR\"",
                                &Json::String(tag.into()),
                            );
                            valid = false;
                        }
                        other => {
                            self.expected_at(path, "a non-blank text", other);
                            valid = false;
                        }
                    }
                }
                valid.then_some(Text::Localized(texts))
            }
            other => self.expected(EXPECTED, other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn localized(pairs: &[(&str, &str)]) -> Text {
        Text::Localized(pairs.iter().map(|(tag, text)| (tag.to_string(), text.to_string())).collect())
    }

    #[test]
    fn resolves_exact_then_language_then_default_then_english() {
        let text = localized(&[("en", "Hello"), ("ja", "こんにちは"), ("pt-BR", "Olá")]);
        assert_eq!(text.resolve("ja", "en"), "こんにちは");
        assert_eq!(text.resolve("ja-JP", "en"), "こんにちは");
        assert_eq!(text.resolve("PT-br", "en"), "Olá");
        assert_eq!(text.resolve("pt-PT", "en"), "Olá");
        assert_eq!(text.resolve("fr", "ja"), "こんにちは");
        assert_eq!(text.resolve("fr", "de"), "Hello");
        assert_eq!(localized(&[("de", "Hallo")]).resolve("fr", "es"), "Hallo");
        assert_eq!(Text::Plain("Hi".into()).resolve("ja", "en"), "Hi");
    }

    #[test]
    fn locale_tags_are_checked() {
        for tag in ["en", "ja", "pt-BR", "zh-Hant-TW", "fil"] {
            assert!(is_locale_tag(tag), "{tag}");
        }
        for tag in ["", "e", "english", "en_US", "en-", "-en", "1a"] {
            assert!(!is_locale_tag(tag), "{tag}");
        }
    }
}
