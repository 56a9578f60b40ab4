//! A table of values by string key whose rows keep their position: the state stores usage by
//! feature id, event matcher, sequence and rule id, and a compiled config binds to row numbers
//! once, so evaluating rules looks rows up by index, without hashing or allocating.

use crate::hash::IdMap;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table<T> {
    rows: Vec<(String, T)>,
    index: IdMap<usize>,
}

impl<T> Default for Table<T> {
    fn default() -> Self {
        Table { rows: Vec::new(), index: IdMap::default() }
    }
}

impl<T> Table<T> {
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn row_of(&self, key: &str) -> Option<usize> {
        self.index.get(key).copied()
    }

    pub fn get(&self, key: &str) -> Option<&T> {
        self.row_of(key).and_then(|row| self.at(row))
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut T> {
        let row = self.row_of(key)?;
        self.at_mut(row)
    }

    pub fn at(&self, row: usize) -> Option<&T> {
        self.rows.get(row).map(|(_, value)| value)
    }

    pub fn at_mut(&mut self, row: usize) -> Option<&mut T> {
        self.rows.get_mut(row).map(|(_, value)| value)
    }

    /// The row of `key`, added with `make()` when missing.
    pub fn row_or_insert_with(&mut self, key: &str, make: impl FnOnce() -> T) -> usize {
        if let Some(row) = self.row_of(key) {
            return row;
        }
        self.rows.push((key.to_owned(), make()));
        let row = self.rows.len() - 1;
        self.index.insert(key.to_owned(), row);
        row
    }

    pub fn insert(&mut self, key: String, value: T) {
        match self.row_of(&key) {
            Some(row) => {
                if let Some(slot) = self.at_mut(row) {
                    *slot = value;
                }
            }
            None => {
                self.index.insert(key.clone(), self.rows.len());
                self.rows.push((key, value));
            }
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &T)> {
        self.rows.iter().map(|(key, value)| (key.as_str(), value))
    }

    /// Keeps the rows for which `keep` is true; row numbers change, so bindings must be redone.
    pub fn retain(&mut self, mut keep: impl FnMut(&str, &T) -> bool) {
        self.rows.retain(|(key, value)| keep(key, value));
        self.index.clear();
        for (row, (key, _)) in self.rows.iter().enumerate() {
            self.index.insert(key.clone(), row);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_listed_in_insertion_order() {
        let mut table: Table<u32> = Table::default();
        for (key, value) in [("b", 2), ("c", 3), ("a", 1)] {
            table.insert(key.to_owned(), value);
        }
        table.insert("c".to_owned(), 4);
        assert_eq!(table.iter().collect::<Vec<_>>(), [("b", &2), ("c", &4), ("a", &1)]);
        assert_eq!(table.row_of("b"), Some(0));
    }

    #[test]
    fn rows_keep_their_position_until_retained() {
        let mut table: Table<u32> = Table::default();
        let a = table.row_or_insert_with("a", || 1);
        let b = table.row_or_insert_with("b", || 2);
        assert_eq!(table.row_or_insert_with("a", || 99), a);
        *table.at_mut(b).unwrap() += 10;
        assert_eq!(table.get("b"), Some(&12));
        table.retain(|key, _| key != "a");
        assert_eq!(table.row_of("b"), Some(0));
        assert_eq!(table.get("a"), None);
        assert_eq!(table.iter().collect::<Vec<_>>(), [("b", &12)]);
    }
}
