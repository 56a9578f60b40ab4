//! Typed reads of a JSON object's fields, for the forms the SDK stores and reads back (the usage
//! state, the drop counts, the collector's answer). They are decoded by hand from a parsed
//! `serde_json::Value` rather than with serde's derive: each derived deserializer is a few
//! kilobytes of the browser SDK's wasm, and their error messages pull in float formatting.
//!
//! A missing field or a `null` reads as `None`; a field of the wrong type is an error naming it.
//! `ObjectBuilder` builds those forms, and `json_writer` writes any of them out.

use serde_json::{Map, Value};

/// The fields of one JSON object; `path` names it in errors ("r.suggest-automation").
pub struct Fields<'a> {
    object: &'a Map<String, Value>,
    path: String,
}

impl<'a> Fields<'a> {
    /// The fields of `value`, which must be an object.
    pub fn of(value: &'a Value, path: impl Into<String>) -> Result<Fields<'a>, String> {
        let path = path.into();
        match value {
            Value::Object(object) => Ok(Fields { object, path }),
            _ if path.is_empty() => Err("the value must be an object".to_owned()),
            _ => Err(format!("{path} must be an object")),
        }
    }

    fn field(&self, key: &str) -> Option<&'a Value> {
        self.object.get(key).filter(|value| !value.is_null())
    }

    fn wrong(&self, key: &str, expected: &str) -> String {
        format!("{} must be {expected}", self.child(key))
    }

    /// A whole number from 0 to `u64::MAX`.
    pub fn u64(&self, key: &str) -> Result<Option<u64>, String> {
        self.field(key).map(|value| value.as_u64().ok_or_else(|| self.wrong(key, "a whole number"))).transpose()
    }

    /// A whole number that fits an `i64`.
    pub fn i64(&self, key: &str) -> Result<Option<i64>, String> {
        self.field(key).map(|value| value.as_i64().ok_or_else(|| self.wrong(key, "a whole number"))).transpose()
    }

    /// A whole number from 0 to `u32::MAX`.
    pub fn u32(&self, key: &str) -> Result<Option<u32>, String> {
        self.field(key)
            .map(|value| {
                value.as_u64().and_then(|number| u32::try_from(number).ok()).ok_or_else(|| self.wrong(key, "a count"))
            })
            .transpose()
    }

    /// A whole number that fits an `i32`.
    pub fn i32(&self, key: &str) -> Result<Option<i32>, String> {
        self.field(key)
            .map(|value| {
                value.as_i64().and_then(|number| i32::try_from(number).ok()).ok_or_else(|| self.wrong(key, "a day"))
            })
            .transpose()
    }

    pub fn bool(&self, key: &str) -> Result<Option<bool>, String> {
        self.field(key).map(|value| value.as_bool().ok_or_else(|| self.wrong(key, "true or false"))).transpose()
    }

    pub fn str(&self, key: &str) -> Result<Option<&'a str>, String> {
        self.field(key).map(|value| value.as_str().ok_or_else(|| self.wrong(key, "a string"))).transpose()
    }

    pub fn array(&self, key: &str) -> Result<Option<&'a [Value]>, String> {
        self.field(key)
            .map(|value| value.as_array().map(Vec::as_slice).ok_or_else(|| self.wrong(key, "a list")))
            .transpose()
    }

    /// A nested object's fields.
    pub fn object(&self, key: &str) -> Result<Option<Fields<'a>>, String> {
        self.field(key).map(|value| Fields::of(value, self.child(key))).transpose()
    }

    fn child(&self, key: &str) -> String {
        if self.path.is_empty() { key.to_owned() } else { format!("{}.{key}", self.path) }
    }

    /// Passes each entry of an object to `visit`, with its name and its fields (named
    /// `<key>.<name>` in errors), and stops at the first error. Not generic in what the entries
    /// become, so the wasm has one copy of it.
    pub fn each_entry<E: From<String>>(
        &self,
        key: &str,
        visit: &mut dyn FnMut(&'a str, Fields<'a>) -> Result<(), E>,
    ) -> Result<(), E> {
        let Some(value) = self.field(key) else { return Ok(()) };
        let Value::Object(object) = value else { return Err(self.wrong(key, "an object").into()) };
        let path = self.child(key);
        for (name, entry) in object {
            visit(name, Fields::of(entry, format!("{path}.{name}"))?)?;
        }
        Ok(())
    }

    /// `value`, or an error that the field is missing.
    pub fn required<T>(&self, key: &str, value: Option<T>) -> Result<T, String> {
        value.ok_or_else(|| format!("{} is missing", self.child(key)))
    }
}

/// Building a JSON object field by field, leaving out what is empty.
#[derive(Default)]
pub struct ObjectBuilder(Map<String, Value>);

impl ObjectBuilder {
    pub fn new() -> ObjectBuilder {
        ObjectBuilder::default()
    }

    pub fn field(mut self, key: &str, value: impl Into<Value>) -> ObjectBuilder {
        self.0.insert(key.to_owned(), value.into());
        self
    }

    /// The field when there is a value.
    pub fn some(self, key: &str, value: Option<impl Into<Value>>) -> ObjectBuilder {
        match value {
            Some(value) => self.field(key, value),
            None => self,
        }
    }

    /// The field when `keep` holds: the stored forms leave out zeros, `false` and empty lists.
    pub fn field_if(self, keep: bool, key: &str, value: impl Into<Value>) -> ObjectBuilder {
        if keep { self.field(key, value) } else { self }
    }

    pub fn build(self) -> Value {
        Value::Object(self.0)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn fields_read_their_type_and_name_the_field_when_it_is_wrong() {
        let value = json!({"n": 3, "t": -5, "b": true, "s": "x", "none": null, "f": 1.5, "big": 5_000_000_000u64});
        let fields = Fields::of(&value, "r.x").unwrap();
        assert_eq!(fields.u64("n"), Ok(Some(3)));
        assert_eq!(fields.i64("t"), Ok(Some(-5)));
        assert_eq!(fields.bool("b"), Ok(Some(true)));
        assert_eq!(fields.str("s"), Ok(Some("x")));
        assert_eq!(fields.u64("none"), Ok(None));
        assert_eq!(fields.u64("absent"), Ok(None));
        assert_eq!(fields.u64("t"), Err("r.x.t must be a whole number".to_owned()));
        assert_eq!(fields.i64("f"), Err("r.x.f must be a whole number".to_owned()));
        assert_eq!(fields.u32("big"), Err("r.x.big must be a count".to_owned()));
        assert_eq!(fields.str("n"), Err("r.x.n must be a string".to_owned()));
        assert_eq!(fields.required("absent", None::<u64>), Err("r.x.absent is missing".to_owned()));
        assert!(Fields::of(&json!([1]), "").is_err());
    }

    #[test]
    fn a_built_object_leaves_out_what_is_empty() {
        let built = ObjectBuilder::new()
            .field("v", 3)
            .some("a", None::<i64>)
            .some("b", Some(2))
            .field_if(false, "c", 0)
            .build();
        assert_eq!(built, json!({"v": 3, "b": 2}));
    }
}
