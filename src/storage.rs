//! What the SDK keeps on the device in `localStorage`, within its share (`local_share`): the
//! identity, the last config, and each user's state as the tabs keep it
//! (`uptake_core::state::OtherParts`): a base, `state:u:<user>` (`state:anonymous` before
//! `identify`), and the part of each tab, `tab:<tab id>:state:u:<user>`. When storage is blocked
//! (private modes, sandboxed frames) or a value does not fit, the SDK carries on in memory and
//! says so once.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use serde_json::{Map, Value};
use uptake_core::state::{FoldedBase, OtherParts, RestoreError, TabPart};

use crate::console::warn;
use crate::json;
use crate::local_share::{CONFIG, LocalShare};

pub(crate) struct Storage {
    share: Option<Rc<LocalShare>>,
    /// Values kept when `localStorage` refuses them, so this page still works: a few names (the
    /// identity, a state per user, the config), so a list, not one more hash map type.
    memory: RefCell<Vec<(String, String)>>,
    warned: Cell<bool>,
}

/// The identity saved between page loads.
pub(crate) struct StoredIdentity {
    pub(crate) anonymous_id: Option<String>,
    pub(crate) user_id: Option<String>,
    pub(crate) traits: Map<String, Value>,
}

/// The name of a user's base.
pub(crate) fn base_name(user_id: Option<&str>) -> String {
    match user_id {
        Some(user) => format!("state:u:{user}"),
        None => "state:anonymous".to_owned(),
    }
}

/// The name of a tab's part of a user's state.
pub(crate) fn part_name(tab: &str, user_id: Option<&str>) -> String {
    format!("tab:{tab}:{}", base_name(user_id))
}

/// The tab and the base name of a part's name: `tab:<tab>:<base name>`.
pub(crate) fn part_of(name: &str) -> Option<(&str, &str)> {
    name.strip_prefix("tab:")?.split_once(':')
}

/// A stored state that cannot be used, and whether it may be deleted: one written by a newer
/// release is another tab's to keep.
pub(crate) struct Unusable {
    pub(crate) error: RestoreError,
}

impl Unusable {
    pub(crate) fn is_newer(&self) -> bool {
        matches!(self.error, RestoreError::NewerVersion { .. })
    }
}

fn read<T>(text: &str, from_json: fn(&Value) -> Result<T, RestoreError>) -> Result<T, Unusable> {
    let value = json::parse(text).ok_or_else(|| Unusable { error: RestoreError::not_json() })?;
    from_json(&value).map_err(|error| Unusable { error })
}

impl Storage {
    /// Storage within `share` (the window's `localStorage`), or in memory alone when there is none.
    pub(crate) fn open(share: Option<Rc<LocalShare>>) -> Storage {
        let storage = Storage { share, memory: RefCell::new(Vec::new()), warned: Cell::new(false) };
        if storage.share.is_none() {
            storage.warn_once();
        }
        storage
    }

    fn warn_once(&self) {
        if !self.warned.replace(true) {
            warn("localStorage is not available; feature usage is kept for this page only");
        }
    }

    /// Drops what memory kept under `name`.
    fn forget(&self, name: &str) {
        self.memory.borrow_mut().retain(|(kept, _)| kept != name);
    }

    fn get(&self, name: &str) -> Option<String> {
        if let Some((_, value)) = self.memory.borrow().iter().find(|(kept, _)| kept == name) {
            return Some(value.clone());
        }
        self.share.as_ref()?.get(name)
    }

    fn set(&self, name: &str, value: String) {
        let stored = self.share.as_ref().is_some_and(|share| share.set(name, &value).is_ok());
        self.forget(name);
        if !stored {
            self.warn_once();
            self.memory.borrow_mut().push((name.to_owned(), value));
        }
    }

    fn remove(&self, name: &str) {
        self.forget(name);
        if let Some(share) = &self.share {
            share.remove(name);
        }
    }

    pub(crate) fn load_identity(&self) -> StoredIdentity {
        let user = match self.get("user").and_then(|text| json::parse(&text)) {
            Some(Value::Object(user)) => Some(user),
            _ => None,
        };
        let user_id = user.as_ref().and_then(|user| user.get("userId")?.as_str().map(str::to_owned));
        // Taken by a loop over the entries: `Map::remove` would bring a B-tree's removal code
        // (merging and rebalancing nodes) into the wasm for this one call.
        let traits = user.and_then(|user| {
            user.into_iter().find_map(|(name, value)| match value {
                Value::Object(traits) if name == "traits" => Some(traits),
                _ => None,
            })
        });
        StoredIdentity { anonymous_id: self.get("anonymousId"), user_id, traits: traits.unwrap_or_default() }
    }

    pub(crate) fn save_identity(&self, anonymous_id: &str, user_id: Option<&str>, traits: &Map<String, Value>) {
        self.set("anonymousId", anonymous_id.to_owned());
        match user_id {
            Some(user_id) => {
                let mut user = Map::new();
                user.insert("userId".to_owned(), Value::from(user_id));
                user.insert("traits".to_owned(), Value::Object(traits.clone()));
                self.set("user", json::write(&Value::Object(user)));
            }
            None => self.remove("user"),
        }
    }

    /// The base of a user, if it can be read.
    pub(crate) fn load_base(&self, user_id: Option<&str>) -> Result<Option<FoldedBase>, Unusable> {
        self.load_base_named(&base_name(user_id))
    }

    pub(crate) fn load_base_named(&self, name: &str) -> Result<Option<FoldedBase>, Unusable> {
        self.get(name).map(|text| read(&text, FoldedBase::from_json)).transpose()
    }

    pub(crate) fn save_base(&self, base_name: &str, base: &FoldedBase) {
        self.set(base_name, json::write(&base.to_json()));
    }

    /// Removes a base that could not be read, so it is not read again, or one a tab took along.
    pub(crate) fn discard_base(&self, user_id: Option<&str>) {
        self.remove(&base_name(user_id));
    }

    /// The parts of a user's state that other tabs than `tab` stored, with its base; a part
    /// that cannot be read is left out.
    pub(crate) fn load_others(&self, user_id: Option<&str>, tab: &str, base: FoldedBase) -> OtherParts {
        let mut others = OtherParts { base, parts: Vec::new() };
        let wanted = base_name(user_id);
        for name in self.share.as_ref().map(|share| share.names("tab:")).unwrap_or_default() {
            let Some((owner, base)) = part_of(&name) else { continue };
            if owner == tab || base != wanted {
                continue;
            }
            if let Some(Ok(part)) = self.get(&name).map(|text| read(&text, TabPart::from_json)) {
                others.parts.push((owner.to_owned(), part));
            }
        }
        others
    }

    /// This tab's part of a user, if it saved one.
    pub(crate) fn load_own_part(&self, tab: &str, user_id: Option<&str>) -> Option<TabPart> {
        self.load_part(&part_name(tab, user_id)).ok()
    }

    /// A part as another tab wrote it (the new value of a `storage` event); `None` when it was
    /// deleted or cannot be read.
    pub(crate) fn read_part(text: Option<&str>) -> Option<TabPart> {
        read(text?, TabPart::from_json).ok()
    }

    /// The base as another tab wrote it; the empty base when it was deleted or cannot be read.
    pub(crate) fn read_base(text: Option<&str>) -> FoldedBase {
        text.and_then(|text| read(text, FoldedBase::from_json).ok()).unwrap_or_default()
    }

    pub(crate) fn save_part(&self, tab: &str, user_id: Option<&str>, part: &TabPart) {
        self.set(&part_name(tab, user_id), json::write(&part.to_json()));
    }

    pub(crate) fn remove_part(&self, tab: &str, user_id: Option<&str>) {
        self.remove(&part_name(tab, user_id));
    }

    /// The names of every part stored, of any user (see `part_of`).
    pub(crate) fn all_parts(&self) -> Vec<String> {
        self.share.as_ref().map(|share| share.names("tab:")).unwrap_or_default()
    }

    /// The part stored under `name` (one of `all_parts`).
    pub(crate) fn load_part(&self, name: &str) -> Result<TabPart, Unusable> {
        read(&self.get(name).unwrap_or_default(), TabPart::from_json)
    }

    pub(crate) fn remove_part_named(&self, name: &str) {
        self.remove(name);
    }

    /// Folds `part`, stored under `name` by `tab`, into the base named `base`: the base is
    /// written first, listing the tab (and no longer the folded tabs whose parts are gone from
    /// `parts`, every part's name), then the part deleted. A base that cannot be read is left,
    /// and the part with it.
    pub(crate) fn fold_into_base(&self, name: &str, tab: &str, base: &str, part: &TabPart, parts: &[String]) {
        let Ok(mut folded) = self.load_base_named(base).map(Option::unwrap_or_default) else { return };
        if folded.fold(tab, part) {
            folded.forget_folded(|folded| {
                parts.iter().any(|other| other != name && part_of(other) == Some((folded, base)))
            });
            self.save_base(base, &folded);
        }
        self.remove(name);
    }

    pub(crate) fn load_config(&self) -> Option<String> {
        self.get(CONFIG)
    }

    pub(crate) fn forget_config(&self) {
        self.remove(CONFIG);
    }

    pub(crate) fn save_config(&self, text: &str) {
        self.set(CONFIG, text.to_owned());
    }
}

#[cfg(test)]
mod tests {
    use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

    use super::{Storage, part_of};

    wasm_bindgen_test_configure!(run_in_browser);

    #[wasm_bindgen_test]
    fn without_local_storage_values_are_kept_in_memory_one_per_key() {
        // As where `localStorage` is blocked: everything is kept in memory.
        let storage = Storage::open(None);
        storage.set("config", "first".to_owned());
        storage.set("user", "someone".to_owned());
        storage.set("config", "second".to_owned());
        assert_eq!(storage.get("config").as_deref(), Some("second"));
        assert_eq!(storage.get("user").as_deref(), Some("someone"));
        assert_eq!(storage.memory.borrow().len(), 2);
        storage.remove("config");
        assert_eq!(storage.get("config"), None);
        assert_eq!(storage.get("user").as_deref(), Some("someone"));
        assert!(storage.warned.get(), "the fallback to memory is said once");
    }

    #[wasm_bindgen_test]
    fn a_part_names_its_tab_and_its_users_base() {
        assert_eq!(part_of("tab:t1:state:u:a:b"), Some(("t1", "state:u:a:b")));
        assert_eq!(part_of("tab:t1:state:anonymous"), Some(("t1", "state:anonymous")));
        assert_eq!(part_of("state:u:x"), None);
    }
}
