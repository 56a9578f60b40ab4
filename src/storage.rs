//! What the SDK keeps on the device, in `localStorage` under keys prefixed by the write key: the
//! identity, each user's state and the last config. When storage is blocked (private modes,
//! sandboxed frames, a full quota) the SDK carries on in memory and says so once.

use std::cell::{Cell, RefCell};

use serde_json::{Map, Value};
use uptake_core::state::{RestoreError, UserState};

use crate::console::warn;
use crate::json;

pub(crate) struct Storage {
    prefix: String,
    local: Option<web_sys::Storage>,
    /// Values kept when `localStorage` refuses them, so this page still works: a few keys (the
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

/// The key a user's state is stored under.
fn state_key(user_id: Option<&str>) -> String {
    match user_id {
        Some(user) => format!("state:u:{user}"),
        None => "state:anonymous".to_owned(),
    }
}

impl Storage {
    /// Storage over `local` (the window's `localStorage`), or in memory alone when there is none.
    pub(crate) fn open(local: Option<web_sys::Storage>, write_key: &str) -> Storage {
        let storage = Storage {
            prefix: format!("uptake:{write_key}:"),
            local,
            memory: RefCell::new(Vec::new()),
            warned: Cell::new(false),
        };
        if storage.local.is_none() {
            storage.warn_once();
        }
        storage
    }

    fn warn_once(&self) {
        if !self.warned.replace(true) {
            warn("localStorage is not available; feature usage is kept for this page only");
        }
    }

    /// Drops what memory kept under `key` (the full key, with the prefix).
    fn forget(&self, key: &str) {
        self.memory.borrow_mut().retain(|(kept, _)| kept != key);
    }

    fn get(&self, key: &str) -> Option<String> {
        let key = format!("{}{key}", self.prefix);
        if let Some((_, value)) = self.memory.borrow().iter().find(|(kept, _)| *kept == key) {
            return Some(value.clone());
        }
        self.local.as_ref()?.get_item(&key).ok().flatten()
    }

    fn set(&self, key: &str, value: String) {
        let key = format!("{}{key}", self.prefix);
        let stored = self.local.as_ref().is_some_and(|local| local.set_item(&key, &value).is_ok());
        self.forget(&key);
        if !stored {
            self.warn_once();
            self.memory.borrow_mut().push((key, value));
        }
    }

    fn remove(&self, key: &str) {
        let key = format!("{}{key}", self.prefix);
        self.forget(&key);
        if let Some(local) = &self.local {
            let _ = local.remove_item(&key);
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

    /// The stored state of a user; `Ok(None)` when there is none.
    pub(crate) fn load_state(&self, user_id: Option<&str>) -> Result<Option<UserState>, RestoreError> {
        let Some(text) = self.get(&state_key(user_id)) else { return Ok(None) };
        let value = json::parse(&text).ok_or_else(RestoreError::not_json)?;
        UserState::from_json(&value).map(Some)
    }

    pub(crate) fn save_state(&self, user_id: Option<&str>, state: &UserState) {
        self.set(&state_key(user_id), state.to_text(json::write_float));
    }

    /// Removes a stored state that could not be read, so it is not read again.
    pub(crate) fn discard_state(&self, user_id: Option<&str>) {
        self.remove(&state_key(user_id));
    }

    pub(crate) fn load_config(&self) -> Option<String> {
        self.get("config")
    }

    pub(crate) fn forget_config(&self) {
        self.remove("config");
    }

    pub(crate) fn save_config(&self, text: &str) {
        self.set("config", text.to_owned());
    }
}

#[cfg(test)]
mod tests {
    use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

    use super::Storage;

    wasm_bindgen_test_configure!(run_in_browser);

    #[wasm_bindgen_test]
    fn without_local_storage_values_are_kept_in_memory_one_per_key() {
        // As where `localStorage` is blocked: everything is kept in memory.
        let storage = Storage::open(None, "test");
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
}
