//! The compiled config: what the collector serves to SDKs once it has decoded and checked the
//! PM's JSON. It is one flat JSON array of the config's values in a fixed order, without field
//! names: a struct is its fields one after the other, a list its length then its items, an
//! option `null` or the value, an enum a tag then its payload. The SDK reads it without the
//! config decoder, its error messages and its checks, which the collector has already run: the
//! decoder is the largest part of the SDK's wasm that a browser does not need.
//!
//! The first value names the format (`COMPACT_FORMAT`), so an SDK refuses a compiled config of
//! another version (a cached one, or a collector of another release) with a clear message.

mod types;

use serde_json::Value;
use thiserror::Error;

use super::glob::PathGlob;
use super::sorted_map::SortedMap;
use super::{CONFIG_FORMAT_VERSION, Config};
use crate::json_writer::{serde_float, to_text};
use crate::quote::quoted;
use crate::time::{Delay, Duration, Timestamp, Window};

/// The first value of every compiled config: its format and version.
pub const COMPACT_FORMAT: &str = "uptake-compiled-config/2";

/// Lists and boxes nest at most this deep, so reading cannot recurse without bound on a damaged
/// file: twice the decoder's limit on nested conditions, which leaves room for the lists around
/// them.
const MAX_DEPTH: u32 = 64;

/// Why a compiled config could not be read.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum CompactError {
    #[error("the compiled config is not a JSON array; serve the config from uptake-collector")]
    NotAnArray,
    #[error(
        "the compiled config is of format {found}, and this SDK reads {COMPACT_FORMAT}; serve the SDK and the config from the same uptake-collector"
    )]
    OtherFormat { found: String },
    #[error("the compiled config is damaged at value {at}; compile it again with uptake-collector")]
    Damaged { at: usize },
}

impl Config {
    /// The compiled form of this (already checked) config, as JSON text.
    pub fn to_compact_json(&self) -> String {
        let mut writer = Writer(vec![Value::from(COMPACT_FORMAT)]);
        self.write(&mut writer);
        to_text(&Value::Array(writer.0), serde_float)
    }

    /// Reads a compiled config from its JSON text.
    pub fn from_compact_json(text: &str) -> Result<Config, CompactError> {
        let value: Value = serde_json::from_str(text).map_err(|_| CompactError::NotAnArray)?;
        Config::from_compact(&value)
    }

    /// Reads a compiled config, parsed from its JSON text (the SDK parses it with
    /// `json_reader`). Its values are not checked again: the collector compiled it from a config
    /// that passed the decoder's checks. A damaged one is refused, and none of its values can
    /// make the engine panic (`tests/compiled_config.rs`).
    pub fn from_compact(value: &Value) -> Result<Config, CompactError> {
        let Value::Array(values) = value else { return Err(CompactError::NotAnArray) };
        match values.first().and_then(Value::as_str) {
            Some(COMPACT_FORMAT) => {}
            found => {
                let found = found.map_or_else(|| "unknown".to_owned(), quoted);
                return Err(CompactError::OtherFormat { found });
            }
        }
        let mut reader = Reader { values, at: 1, depth: 0 };
        match Config::read(&mut reader) {
            Some(config) if reader.at == values.len() => Ok(config),
            _ => Err(CompactError::Damaged { at: reader.at }),
        }
    }
}

/// The values written so far.
pub(crate) struct Writer(Vec<Value>);

impl Writer {
    fn push(&mut self, value: impl Into<Value>) {
        self.0.push(value.into());
    }
}

/// The values of a compiled config and where reading is.
pub(crate) struct Reader<'v> {
    values: &'v [Value],
    at: usize,
    depth: u32,
}

impl<'v> Reader<'v> {
    fn next(&mut self) -> Option<&'v Value> {
        let value = self.values.get(self.at)?;
        self.at += 1;
        Some(value)
    }

    fn peek_is_null(&self) -> bool {
        matches!(self.values.get(self.at), Some(Value::Null))
    }

    fn tag(&mut self) -> Option<u64> {
        self.next()?.as_u64()
    }

    /// Goes one level deeper into a list or a box; `None` past `MAX_DEPTH`. Not generic, so the
    /// wasm has one copy of it, not one per type of list.
    #[inline(never)]
    fn enter(&mut self) -> Option<()> {
        (self.depth < MAX_DEPTH).then(|| self.depth += 1)
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }
}

/// A type with a compiled form: written in a fixed order, read back in the same order.
pub(crate) trait Compact: Sized {
    /// Whether the form can start with `null` (an option comes first), so that an option of
    /// this type marks its `Some` to tell it from `None`.
    const MAY_START_WITH_NULL: bool = false;

    fn write(&self, out: &mut Writer);
    fn read(input: &mut Reader<'_>) -> Option<Self>;
}

/// Whether the form of the field `field` picks out of `S` can start with `null`: a struct's
/// form can when its first field's can, which `compact_struct!` finds out from the field's type.
pub(crate) const fn field_may_start_with_null<S, T: Compact>(_field: fn(&S) -> &T) -> bool {
    T::MAY_START_WITH_NULL
}

/// A struct written as its fields in the order listed.
macro_rules! compact_struct {
    ($name:ident { $first:ident $(, $field:ident)* $(,)? }) => {
        impl $crate::config::compact::Compact for $name {
            const MAY_START_WITH_NULL: bool =
                $crate::config::compact::field_may_start_with_null::<$name, _>(|value| &value.$first);

            fn write(&self, out: &mut $crate::config::compact::Writer) {
                $crate::config::compact::Compact::write(&self.$first, out);
                $($crate::config::compact::Compact::write(&self.$field, out);)*
            }
            fn read(input: &mut $crate::config::compact::Reader<'_>) -> Option<Self> {
                Some($name {
                    $first: $crate::config::compact::Compact::read(input)?,
                    $($field: $crate::config::compact::Compact::read(input)?,)*
                })
            }
        }
    };
}

/// An enum written as its variant's tag, then the variant's value if it has one. Unit variants
/// come before the `;`, variants holding one value after it: `Display { 0 Modal; 1 Banner }`.
macro_rules! compact_enum {
    ($name:ident { $($unit_tag:literal $unit:ident),* ; $($tag:literal $variant:ident),* $(,)? }) => {
        impl $crate::config::compact::Compact for $name {
            fn write(&self, out: &mut $crate::config::compact::Writer) {
                match self {
                    $($name::$unit => out.push($unit_tag),)*
                    $($name::$variant(value) => {
                        out.push($tag);
                        $crate::config::compact::Compact::write(value, out);
                    })*
                }
            }
            fn read(input: &mut $crate::config::compact::Reader<'_>) -> Option<Self> {
                match input.tag()? {
                    $($unit_tag => Some($name::$unit),)*
                    $($tag => Some($name::$variant($crate::config::compact::Compact::read(input)?)),)*
                    _ => None,
                }
            }
        }
    };
}

pub(crate) use {compact_enum, compact_struct};

impl Compact for Config {
    fn write(&self, out: &mut Writer) {
        self.settings.write(out);
        self.features.write(out);
        self.rules.write(out);
        self.prompts.write(out);
        self.tours.write(out);
        self.checklists.write(out);
        self.surveys.write(out);
    }

    fn read(input: &mut Reader<'_>) -> Option<Self> {
        Some(Config {
            schema: None,
            version: CONFIG_FORMAT_VERSION,
            settings: Compact::read(input)?,
            features: Compact::read(input)?,
            rules: Compact::read(input)?,
            prompts: Compact::read(input)?,
            tours: Compact::read(input)?,
            checklists: Compact::read(input)?,
            surveys: Compact::read(input)?,
        })
    }
}

impl Compact for String {
    fn write(&self, out: &mut Writer) {
        out.push(self.as_str());
    }
    fn read(input: &mut Reader<'_>) -> Option<Self> {
        input.next()?.as_str().map(str::to_owned)
    }
}

impl Compact for bool {
    fn write(&self, out: &mut Writer) {
        out.push(*self);
    }
    fn read(input: &mut Reader<'_>) -> Option<Self> {
        input.next()?.as_bool()
    }
}

impl Compact for u32 {
    fn write(&self, out: &mut Writer) {
        out.push(*self);
    }
    fn read(input: &mut Reader<'_>) -> Option<Self> {
        u32::try_from(input.next()?.as_u64()?).ok()
    }
}

impl Compact for i32 {
    fn write(&self, out: &mut Writer) {
        out.push(*self);
    }
    fn read(input: &mut Reader<'_>) -> Option<Self> {
        i32::try_from(input.next()?.as_i64()?).ok()
    }
}

impl Compact for i64 {
    fn write(&self, out: &mut Writer) {
        out.push(*self);
    }
    fn read(input: &mut Reader<'_>) -> Option<Self> {
        input.next()?.as_i64()
    }
}

impl Compact for f64 {
    fn write(&self, out: &mut Writer) {
        out.push(*self);
    }
    fn read(input: &mut Reader<'_>) -> Option<Self> {
        input.next()?.as_f64()
    }
}

/// `null`, or the value (after a `1` when the value's form can start with `null`).
impl<T: Compact> Compact for Option<T> {
    const MAY_START_WITH_NULL: bool = true;

    fn write(&self, out: &mut Writer) {
        match self {
            Some(value) => {
                if T::MAY_START_WITH_NULL {
                    out.push(1);
                }
                value.write(out);
            }
            None => out.push(Value::Null),
        }
    }
    fn read(input: &mut Reader<'_>) -> Option<Self> {
        if input.peek_is_null() {
            input.at += 1;
            return Some(None);
        }
        if T::MAY_START_WITH_NULL && input.tag()? != 1 {
            return None;
        }
        T::read(input).map(Some)
    }
}

impl<T: Compact> Compact for Vec<T> {
    fn write(&self, out: &mut Writer) {
        out.push(self.len());
        for item in self {
            item.write(out);
        }
    }
    fn read(input: &mut Reader<'_>) -> Option<Self> {
        let len = input.tag()?;
        input.enter()?;
        let mut items = Vec::new();
        for _ in 0..len {
            items.push(T::read(input)?);
        }
        input.leave();
        Some(items)
    }
}

impl<T: Compact> Compact for Box<T> {
    fn write(&self, out: &mut Writer) {
        (**self).write(out);
    }
    fn read(input: &mut Reader<'_>) -> Option<Self> {
        input.enter()?;
        let value = T::read(input)?;
        input.leave();
        Some(Box::new(value))
    }
}

impl<V: Compact> Compact for SortedMap<V> {
    fn write(&self, out: &mut Writer) {
        out.push(self.iter().count());
        for (name, value) in self.iter() {
            out.push(name);
            value.write(out);
        }
    }
    fn read(input: &mut Reader<'_>) -> Option<Self> {
        let len = input.tag()?;
        let mut map = SortedMap::default();
        for _ in 0..len {
            let name = String::read(input)?;
            map.insert(name, V::read(input)?);
        }
        Some(map)
    }
}

impl Compact for Timestamp {
    fn write(&self, out: &mut Writer) {
        out.push(self.as_millis());
    }
    fn read(input: &mut Reader<'_>) -> Option<Self> {
        i64::read(input).map(Timestamp::from_millis)
    }
}

impl Compact for Window {
    fn write(&self, out: &mut Writer) {
        out.push(self.duration().as_millis());
    }
    fn read(input: &mut Reader<'_>) -> Option<Self> {
        i64::read(input).map(|millis| Window::from_duration(Duration::from_millis(millis)))
    }
}

impl Compact for Delay {
    fn write(&self, out: &mut Writer) {
        out.push(self.duration().as_millis());
    }
    fn read(input: &mut Reader<'_>) -> Option<Self> {
        i64::read(input).map(Delay::from_millis)
    }
}

impl Compact for PathGlob {
    fn write(&self, out: &mut Writer) {
        out.push(self.as_str());
    }
    fn read(input: &mut Reader<'_>) -> Option<Self> {
        PathGlob::parse(input.next()?.as_str()?).ok()
    }
}

#[cfg(test)]
mod tests;
