//! The SDK's share of the host's `localStorage`. Every key the SDK writes there (under
//! `uptake:<write key>:`: the identity, the user's state, the config, events waiting where
//! IndexedDB cannot be used, copies written ahead) goes through here, and never throws:
//! - together they take at most `SHARE_BYTES` (1 MiB);
//! - the SDK never takes the host's last room: before its keys grow, a probe (written and
//!   removed at once) checks that `RESERVE_BYTES` would still fit after `STEP_BYTES` more, and
//!   the keys then grow by at most that step before the next check. Where the host has left
//!   less, the SDK's keys do not grow at all, so a write of the host's never fails for them;
//! - a write that would pass the share, or finds no room, sheds the cached config first, and
//!   if it still does not fit is refused: the caller keeps the value in memory, or drops it.
//!
//! Sizes are counted as the key's and the value's UTF-8 bytes, at least what browsers count.
//! The share follows other tabs' writes to its keys through `storage` events (`observe`).

use std::cell::Cell;

/// The most the SDK's keys take in all.
pub(crate) const SHARE_BYTES: usize = 1 << 20;
/// The room the SDK always leaves the host.
const RESERVE_BYTES: usize = 64 << 10;
/// How much the SDK's keys grow between two probes.
const STEP_BYTES: usize = 64 << 10;

/// The key of the cached config, shed first.
pub(crate) const CONFIG: &str = "config";
const PROBE: &str = "probe";

/// Why a write was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The SDK's keys would pass their share.
    OverShare,
    /// The host's storage has no room to spare.
    NoRoom,
}

impl Refusal {
    pub(crate) fn message(self) -> &'static str {
        match self {
            Refusal::OverShare => "the SDK's share of localStorage (1 MiB) is full",
            Refusal::NoRoom => "localStorage is nearly full, and its last room is the host app's",
        }
    }
}

pub(crate) struct LocalShare {
    storage: web_sys::Storage,
    /// `uptake:<write key>:`
    prefix: String,
    /// The bytes of the SDK's keys: counted at the first write, then kept up to date.
    used: Cell<Option<usize>>,
    /// Growth the last probe made room for, not taken yet.
    room: Cell<usize>,
    /// A probe found no room when the SDK's keys took this much: no growth until they shrink.
    full_at: Cell<Option<usize>>,
}

impl LocalShare {
    pub(crate) fn new(storage: web_sys::Storage, write_key: &str) -> LocalShare {
        LocalShare {
            storage,
            prefix: format!("uptake:{write_key}:"),
            used: Cell::new(None),
            room: Cell::new(0),
            full_at: Cell::new(None),
        }
    }

    fn key(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    pub(crate) fn get(&self, name: &str) -> Option<String> {
        self.storage.get_item(&self.key(name)).ok().flatten()
    }

    /// The names (keys without the prefix) of the SDK's keys that start with `start`.
    pub(crate) fn names(&self, start: &str) -> Vec<String> {
        let mut names = Vec::new();
        for index in 0..self.storage.length().unwrap_or(0) {
            let Some(key) = self.storage.key(index).ok().flatten() else { continue };
            if let Some(name) = key.strip_prefix(&self.prefix).filter(|name| name.starts_with(start)) {
                names.push(name.to_owned());
            }
        }
        names
    }

    fn used(&self) -> usize {
        if let Some(used) = self.used.get() {
            return used;
        }
        let mut used = 0;
        for name in self.names("") {
            used += self.prefix.len() + name.len() + self.get(&name).map_or(0, |value| value.len());
        }
        self.used.set(Some(used));
        used
    }

    fn count(&self, old: usize, new: usize) {
        if let Some(used) = self.used.get() {
            self.used.set(Some((used + new).saturating_sub(old)));
        }
    }

    /// Writes `value` under `name`, if it fits the share and leaves the host its room.
    pub(crate) fn set(&self, name: &str, value: &str) -> Result<(), Refusal> {
        let key = self.key(name);
        let old = self.storage.get_item(&key).ok().flatten().map_or(0, |old| key.len() + old.len());
        let new = key.len() + value.len();
        let growth = new.saturating_sub(old);
        if growth > 0 {
            self.make_room(growth, name)?;
        }
        match self.storage.set_item(&key, value) {
            Ok(()) => {
                self.count(old, new);
                self.room.set(self.room.get().saturating_sub(growth));
                Ok(())
            }
            Err(_) => {
                // The quota, met by the SDK's write rather than the host's.
                self.full_at.set(Some(self.used()));
                self.room.set(0);
                Err(Refusal::NoRoom)
            }
        }
    }

    pub(crate) fn remove(&self, name: &str) {
        let key = self.key(name);
        if let Some(old) = self.storage.get_item(&key).ok().flatten() {
            let _ = self.storage.remove_item(&key);
            self.count(key.len() + old.len(), 0);
        }
    }

    /// Makes room for `growth` more bytes, shedding the cached config if it must.
    fn make_room(&self, growth: usize, name: &str) -> Result<(), Refusal> {
        match self.check_room(growth) {
            Err(_) if name != CONFIG && self.get(CONFIG).is_some() => {
                self.remove(CONFIG);
                self.check_room(growth)
            }
            checked => checked,
        }
    }

    fn check_room(&self, growth: usize) -> Result<(), Refusal> {
        let used = self.used();
        if used + growth > SHARE_BYTES {
            return Err(Refusal::OverShare);
        }
        if growth <= self.room.get() {
            return Ok(());
        }
        if self.full_at.get().is_some_and(|full| used + STEP_BYTES > full) {
            return Err(Refusal::NoRoom);
        }
        // Room for this write and the next step, with the reserve still free after them.
        let probe = self.key(PROBE);
        let fits = self.storage.set_item(&probe, &"x".repeat(growth + STEP_BYTES + RESERVE_BYTES)).is_ok();
        let _ = self.storage.remove_item(&probe);
        if fits {
            self.room.set(growth + STEP_BYTES);
            self.full_at.set(None);
            Ok(())
        } else {
            self.room.set(0);
            self.full_at.set(Some(used));
            Err(Refusal::NoRoom)
        }
    }

    /// Another tab changed a key (a `storage` event; `None` for the key when the storage was
    /// cleared): one of the SDK's is counted, and its name returned.
    pub(crate) fn observe<'k>(&self, key: Option<&'k str>, old: Option<&str>, new: Option<&str>) -> Option<&'k str> {
        let Some(key) = key else {
            self.used.set(None);
            return None;
        };
        let name = key.strip_prefix(&self.prefix)?;
        let size = |value: Option<&str>| value.map_or(0, |value| key.len() + value.len());
        self.count(size(old), size(new));
        Some(name)
    }
}

#[cfg(test)]
mod tests {
    use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

    use super::{CONFIG, LocalShare, Refusal, SHARE_BYTES};

    wasm_bindgen_test_configure!(run_in_browser);

    fn share(write_key: &str) -> LocalShare {
        let storage = web_sys::window().unwrap().local_storage().unwrap().unwrap();
        storage.clear().unwrap();
        LocalShare::new(storage, write_key)
    }

    #[wasm_bindgen_test]
    fn the_share_holds_a_mebibyte_and_sheds_the_config_first() {
        let share = share("share-test");
        let half = "x".repeat(SHARE_BYTES / 2);
        share.set(CONFIG, &half).unwrap();
        share.set("event:1", &"y".repeat(SHARE_BYTES / 3)).unwrap();
        // Past the share: the config goes, and the event fits.
        share.set("event:2", &"z".repeat(SHARE_BYTES / 3)).unwrap();
        assert_eq!(share.get(CONFIG), None, "the cached config was shed");
        assert_eq!(share.set("event:3", &half), Err(Refusal::OverShare), "nothing else is shed");
        assert!(share.get("event:1").is_some() && share.get("event:2").is_some());
        share.remove("event:1");
        share.set("event:3", &"w".repeat(SHARE_BYTES / 3)).unwrap();
        assert_eq!(share.names("event:").len(), 2);
    }

    #[wasm_bindgen_test]
    fn another_tabs_writes_count_against_the_share() {
        let share = share("share-test");
        share.set("state", "{}").unwrap();
        let key = "uptake:share-test:event:other";
        let value = "v".repeat(SHARE_BYTES - 100);
        web_sys::window().unwrap().local_storage().unwrap().unwrap().set_item(key, &value).unwrap();
        share.observe(Some(key), None, Some(&value));
        assert_eq!(share.set("event:mine", &"m".repeat(200)), Err(Refusal::OverShare));
        share.observe(Some(key), Some(&value), None);
        web_sys::window().unwrap().local_storage().unwrap().unwrap().remove_item(key).unwrap();
        assert_eq!(share.set("event:mine", &"m".repeat(200)), Ok(()));
    }
}
