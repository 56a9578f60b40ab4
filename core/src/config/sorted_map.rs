//! `SortedMap`: a few names and their values, as a list kept sorted by name. It behaves like the
//! `BTreeMap` it stands for (sorted by name; setting a name again replaces its value) and reads
//! and writes as a JSON object, but the wasm carries the code of one `Vec` for it, not a
//! B-tree's insertion, search, clone and drop code for each value type.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SortedMap<V>(Vec<(String, V)>);

impl<V> Default for SortedMap<V> {
    fn default() -> Self {
        SortedMap(Vec::new())
    }
}

impl<V> SortedMap<V> {
    /// Sets `name` to `value`, replacing the value it had.
    pub fn insert(&mut self, name: String, value: V) {
        let at = self.0.partition_point(|(existing, _)| *existing < name);
        match self.0.get_mut(at) {
            Some((existing, slot)) if *existing == name => *slot = value,
            _ => self.0.insert(at, (name, value)),
        }
    }

    /// The names and their values, by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &V)> {
        self.0.iter().map(|(name, value)| (name.as_str(), value))
    }
}

impl<V> FromIterator<(String, V)> for SortedMap<V> {
    fn from_iter<I: IntoIterator<Item = (String, V)>>(pairs: I) -> Self {
        let mut map = SortedMap::default();
        for (name, value) in pairs {
            map.insert(name, value);
        }
        map
    }
}

impl<V: Serialize> Serialize for SortedMap<V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for SortedMap<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        BTreeMap::<String, V>::deserialize(deserializer).map(|map| SortedMap(map.into_iter().collect()))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::SortedMap;

    #[test]
    fn keeps_names_sorted_and_the_last_value_of_a_name() {
        let map: SortedMap<u32> =
            [("ja", 1), ("en", 2), ("pt-BR", 3), ("en", 4)].into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        assert_eq!(map.iter().collect::<Vec<_>>(), [("en", &4), ("ja", &1), ("pt-BR", &3)]);
    }

    #[test]
    fn reads_and_writes_as_a_json_object() {
        let map: SortedMap<String> = serde_json::from_value(json!({"ja": "b", "en": "a"})).unwrap();
        assert_eq!(map.iter().collect::<Vec<_>>(), [("en", &"a".to_owned()), ("ja", &"b".to_owned())]);
        assert_eq!(serde_json::to_value(&map).unwrap(), json!({"en": "a", "ja": "b"}));
    }
}
