//! A JSON document as the config decoder reads it: strings borrowed from the text when they
//! have no escapes, objects as lists of members in document order. serde_json parses it; this
//! shape exists because a 1 MB config has tens of thousands of small objects and strings, and a
//! tree of owned maps and strings costs more to build and drop than the decoding itself.
//! Duplicate keys are kept, so the decoder can report them instead of silently keeping one.

use std::borrow::Cow;
use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Number;

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Json<'a> {
    Null,
    Bool(bool),
    Number(Number),
    String(Cow<'a, str>),
    Array(Vec<Json<'a>>),
    Object(Object<'a>),
}

/// The members of a JSON object, in document order.
#[derive(Clone, Debug, PartialEq, Default)]
pub(crate) struct Object<'a> {
    members: Vec<(Cow<'a, str>, Json<'a>)>,
}

impl<'a> Object<'a> {
    /// The value of `key`; the last one when the key appears more than once, as JSON parsers
    /// commonly do.
    pub(crate) fn get(&self, key: &str) -> Option<&Json<'a>> {
        self.members.iter().rev().find(|(name, _)| name == key).map(|(_, value)| value)
    }

    pub(crate) fn contains_key(&self, key: &str) -> bool {
        self.members.iter().any(|(name, _)| name == key)
    }

    pub(crate) fn len(&self) -> usize {
        self.members.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, &Json<'a>)> {
        self.members.iter().map(|(name, value)| (name.as_ref(), value))
    }

    pub(crate) fn keys(&self) -> impl Iterator<Item = &str> {
        self.members.iter().map(|(name, _)| name.as_ref())
    }
}

impl<'a> Json<'a> {
    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(text) => Some(text),
            _ => None,
        }
    }

    pub(crate) fn as_f64(&self) -> Option<f64> {
        match self {
            Json::Number(number) => number.as_f64(),
            _ => None,
        }
    }

    pub(crate) fn as_i64(&self) -> Option<i64> {
        match self {
            Json::Number(number) => number.as_i64(),
            _ => None,
        }
    }

    pub(crate) fn as_array(&self) -> Option<&[Json<'a>]> {
        match self {
            Json::Array(items) => Some(items),
            _ => None,
        }
    }

    /// The value of `key` of an object.
    pub(crate) fn get(&self, key: &str) -> Option<&Json<'a>> {
        match self {
            Json::Object(object) => object.get(key),
            _ => None,
        }
    }
}

impl<'a> From<&'a serde_json::Value> for Json<'a> {
    fn from(value: &'a serde_json::Value) -> Self {
        match value {
            serde_json::Value::Null => Json::Null,
            serde_json::Value::Bool(flag) => Json::Bool(*flag),
            serde_json::Value::Number(number) => Json::Number(number.clone()),
            serde_json::Value::String(text) => Json::String(Cow::Borrowed(text)),
            serde_json::Value::Array(items) => Json::Array(items.iter().map(Json::from).collect()),
            serde_json::Value::Object(map) => Json::Object(Object {
                members: map.iter().map(|(key, value)| (Cow::Borrowed(key.as_str()), Json::from(value))).collect(),
            }),
        }
    }
}

impl<'de> Deserialize<'de> for Json<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct JsonVisitor;
        impl<'de> Visitor<'de> for JsonVisitor {
            type Value = Json<'de>;

            fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str("a JSON value")
            }

            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Json::Null)
            }

            fn visit_bool<E>(self, flag: bool) -> Result<Self::Value, E> {
                Ok(Json::Bool(flag))
            }

            fn visit_i64<E>(self, number: i64) -> Result<Self::Value, E> {
                Ok(Json::Number(number.into()))
            }

            fn visit_u64<E>(self, number: u64) -> Result<Self::Value, E> {
                Ok(Json::Number(number.into()))
            }

            fn visit_f64<E>(self, number: f64) -> Result<Self::Value, E> {
                Ok(Number::from_f64(number).map_or(Json::Null, Json::Number))
            }

            fn visit_borrowed_str<E>(self, text: &'de str) -> Result<Self::Value, E> {
                Ok(Json::String(Cow::Borrowed(text)))
            }

            fn visit_str<E>(self, text: &str) -> Result<Self::Value, E> {
                Ok(Json::String(Cow::Owned(text.to_owned())))
            }

            fn visit_string<E>(self, text: String) -> Result<Self::Value, E> {
                Ok(Json::String(Cow::Owned(text)))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<Self::Value, A::Error> {
                let mut list = Vec::with_capacity(items.size_hint().unwrap_or(0).min(64));
                while let Some(item) = items.next_element()? {
                    list.push(item);
                }
                Ok(Json::Array(list))
            }

            fn visit_map<A: MapAccess<'de>>(self, mut entries: A) -> Result<Self::Value, A::Error> {
                let mut members = Vec::with_capacity(entries.size_hint().unwrap_or(0).min(16));
                // JSON's keys are strings; reading them as values shares this visitor. serde_json
                // gives every key as a string. A key of another kind, from another deserializer,
                // is kept as an empty name, which the decoder reports as an unknown field: no
                // error is built here, because building one brings serde_json's message parsing
                // (and its substring search) into the SDK's wasm.
                while let Some(key) = entries.next_key::<Json<'de>>()? {
                    let key = match key {
                        Json::String(key) => key,
                        _ => Cow::Borrowed(""),
                    };
                    members.push((key, entries.next_value()?));
                }
                Ok(Json::Object(Object { members }))
            }
        }
        deserializer.deserialize_any(JsonVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_without_escapes_are_borrowed() {
        let text = r#"{"plain": "abc", "escaped": "a\nb", "list": [1, 2.5, true, null]}"#;
        let json: Json<'_> = serde_json::from_str(text).unwrap();
        assert!(matches!(json.get("plain"), Some(Json::String(Cow::Borrowed("abc")))));
        assert!(matches!(json.get("escaped"), Some(Json::String(Cow::Owned(text))) if text == "a\nb"));
        let list = json.get("list").and_then(Json::as_array).unwrap();
        assert_eq!(list[0].as_i64(), Some(1));
        assert_eq!(list[1].as_f64(), Some(2.5));
        assert_eq!(list[2], Json::Bool(true));
    }

    #[test]
    fn duplicate_keys_are_kept_and_the_last_one_wins() {
        let json: Json<'_> = serde_json::from_str(r#"{"a": 1, "a": 2}"#).unwrap();
        let Json::Object(object) = &json else { panic!() };
        assert_eq!(object.len(), 2);
        assert_eq!(object.get("a").and_then(Json::as_i64), Some(2));
    }

    #[test]
    fn a_key_that_is_not_a_string_is_kept_as_an_empty_name() {
        use serde::de::value::{Error, MapDeserializer};
        let entries = MapDeserializer::<_, Error>::new([(7_u32, "seven")].into_iter());
        let json = Json::deserialize(entries).unwrap();
        let Json::Object(object) = &json else { panic!("not an object") };
        assert_eq!(object.len(), 1);
        assert_eq!(object.get("").and_then(Json::as_str), Some("seven"));
    }

    #[test]
    fn a_serde_json_value_converts_without_copying_strings() {
        let value = serde_json::json!({"id": "x", "n": [1]});
        let json = Json::from(&value);
        assert!(matches!(json.get("id"), Some(Json::String(Cow::Borrowed("x")))));
    }
}
