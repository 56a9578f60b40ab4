//! Events written ahead in IndexedDB: a database per write key with an `events` store keyed by
//! `messageId` (`{id, at, body}`) and a `meta` store holding the drops not yet reported. Each
//! batch of changes is one transaction, committed at once, so a tab's appends never overwrite
//! another tab's.

use std::sync::Arc;

use js_sys::{Array, Object, Promise, Reflect};
use uptake_core::outbox::{DropCounts, OutboxChanges, StoredEvent};
use uptake_core::time::Timestamp;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    IdbDatabase, IdbObjectStoreParameters, IdbOpenDbRequest, IdbRequest, IdbTransaction, IdbTransactionMode,
};

use super::{describe_error, unreported_drops};

const EVENTS: &str = "events";
const META: &str = "meta";
const UNREPORTED: &str = "unreported";
/// An open that has not finished by then counts as failed (some browsers never answer one).
const OPEN_TIMEOUT_MS: i32 = 3_000;

pub(crate) struct IndexedDb {
    database: IdbDatabase,
}

/// Resolves with the request's result once it succeeds; rejects with its error.
async fn request_result(request: &IdbRequest) -> Result<JsValue, JsValue> {
    let done = Promise::new(&mut |resolve, reject| {
        request.set_onsuccess(Some(&resolve));
        request.set_onerror(Some(&reject));
    });
    JsFuture::from(done).await?;
    request.result()
}

/// Resolves once the transaction is committed; rejects if it fails or is aborted.
async fn committed(transaction: &IdbTransaction) -> Result<(), JsValue> {
    let done = Promise::new(&mut |resolve, reject| {
        transaction.set_oncomplete(Some(&resolve));
        transaction.set_onerror(Some(&reject));
        transaction.set_onabort(Some(&reject));
    });
    match JsFuture::from(done).await {
        Ok(_) => Ok(()),
        Err(event) => Err(transaction.error().map_or(event, JsValue::from)),
    }
}

fn record(event: &StoredEvent) -> Result<Object, JsValue> {
    let record = Object::new();
    Reflect::set(&record, &"id".into(), &JsValue::from_str(&event.id))?;
    Reflect::set(&record, &"at".into(), &JsValue::from_f64(event.queued_at.as_millis() as f64))?;
    Reflect::set(&record, &"body".into(), &JsValue::from_str(&event.body))?;
    Ok(record)
}

/// An event from a stored record; `None` for anything else (written by another version).
fn event_from_record(record: &JsValue) -> Option<StoredEvent> {
    let field = |name: &str| Reflect::get(record, &JsValue::from_str(name)).ok();
    let id = field("id")?.as_string()?;
    let at = field("at")?.as_f64()?;
    let body = field("body")?.as_string()?;
    Some(StoredEvent { id: Arc::from(id), queued_at: Timestamp::from_millis(at as i64), body: Arc::from(body) })
}

/// The events of `records` (stored, or posted by another tab); records that are not events are
/// skipped.
pub(crate) fn events_from_records(records: &Array) -> Vec<StoredEvent> {
    let mut events = Vec::with_capacity(records.length() as usize);
    for record in records.iter() {
        if let Some(event) = event_from_record(&record) {
            events.push(event);
        }
    }
    events
}

/// The records of `events`, as objects to store or to post to another tab.
pub(crate) fn records(events: &[StoredEvent]) -> Array {
    let records = Array::new();
    for event in events {
        if let Ok(record) = record(event) {
            records.push(&record);
        }
    }
    records
}

impl IndexedDb {
    /// Opens (or creates) the database; an error says why IndexedDB cannot be used.
    pub(crate) async fn open(window: &web_sys::Window, name: &str) -> Result<IndexedDb, String> {
        let factory = window
            .indexed_db()
            .map_err(|error| describe_error(&error))?
            .ok_or_else(|| "IndexedDB is not available".to_owned())?;
        let request: IdbOpenDbRequest = factory.open_with_u32(name, 1).map_err(|error| describe_error(&error))?;
        let upgrade_request = request.clone();
        let upgrade = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
            let Ok(result) = upgrade_request.result() else { return };
            let database: IdbDatabase = result.unchecked_into();
            let parameters = IdbObjectStoreParameters::new();
            parameters.set_key_path(&JsValue::from_str("id"));
            let _ = database.create_object_store_with_optional_parameters(EVENTS, &parameters);
            let _ = database.create_object_store(META);
        });
        request.set_onupgradeneeded(Some(upgrade.as_ref().unchecked_ref()));
        let done = Promise::new(&mut |resolve, reject| {
            request.set_onsuccess(Some(&resolve));
            request.set_onerror(Some(&reject));
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, OPEN_TIMEOUT_MS);
        });
        let _ = JsFuture::from(done).await;
        if let Ok(Some(error)) = request.error() {
            request.set_onupgradeneeded(None);
            return Err(describe_error(&error.into()));
        }
        match request.result() {
            Ok(database) => {
                request.set_onupgradeneeded(None);
                let database = IndexedDb { database: database.unchecked_into() };
                // A database without its stores cannot be used, and opening it again at the
                // same version would never add them: it is deleted, and made again next time.
                if database.transaction(IdbTransactionMode::Readonly).is_err() {
                    database.database.close();
                    let _ = factory.delete_database(name);
                    return Err("the database had lost its stores; it is made again on the next page".to_owned());
                }
                Ok(database)
            }
            // Still pending: the upgrade may still come, and its handler stays until the open
            // ends (cleared, a late upgrade made the database without its stores); a late
            // success would leave a connection nothing uses.
            Err(_) => {
                let late = Closure::once_into_js(move |event: web_sys::Event| {
                    drop(upgrade);
                    let request = event.target().and_then(|target| target.dyn_into::<IdbRequest>().ok());
                    if let Some(Ok(database)) = request.map(|request| request.result()) {
                        database.unchecked_into::<IdbDatabase>().close();
                    }
                });
                request.set_onsuccess(Some(late.unchecked_ref()));
                Err(format!("opening IndexedDB took more than {OPEN_TIMEOUT_MS} ms"))
            }
        }
    }

    fn transaction(&self, mode: IdbTransactionMode) -> Result<IdbTransaction, JsValue> {
        let stores = Array::of2(&JsValue::from_str(EVENTS), &JsValue::from_str(META));
        self.database.transaction_with_str_sequence_and_mode(&stores, mode)
    }

    /// Writes `changes` in one transaction: new events, then deletions, then the drops.
    pub(crate) async fn write(&self, changes: &OutboxChanges, records: &Array) -> Result<(), String> {
        let write = async {
            let transaction = self.transaction(IdbTransactionMode::Readwrite)?;
            let queue = || -> Result<(), JsValue> {
                let events = transaction.object_store(EVENTS)?;
                for record in records.iter() {
                    events.put(&record)?;
                }
                for id in &changes.removed {
                    events.delete(&JsValue::from_str(id))?;
                }
                if let Some(counts) = &changes.unreported {
                    let text = counts.to_json_text();
                    let meta = transaction.object_store(META)?;
                    meta.put_with_key(&JsValue::from_str(&text), &JsValue::from_str(UNREPORTED))?;
                }
                Ok(())
            };
            if let Err(error) = queue() {
                // All or nothing: the changes go to the next storage whole.
                let _ = transaction.abort();
                return Err(error);
            }
            // Committed now rather than when the task ends: a page going away keeps it.
            // (`web-sys` marks `commit` deprecated; browsers without it commit at the task's end.)
            if let Ok(commit) = Reflect::get(&transaction, &JsValue::from_str("commit"))
                && let Some(commit) = commit.dyn_ref::<js_sys::Function>()
            {
                let _ = commit.call0(&transaction);
            }
            committed(&transaction).await
        };
        write.await.map_err(|error| describe_error(&error))
    }

    /// Every event written ahead, by any tab, and the drops not reported yet.
    pub(crate) async fn read(&self) -> Result<(Vec<StoredEvent>, Option<DropCounts>), String> {
        let read = async {
            let transaction = self.transaction(IdbTransactionMode::Readonly)?;
            let all = transaction.object_store(EVENTS)?.get_all()?;
            let unreported = transaction.object_store(META)?.get(&JsValue::from_str(UNREPORTED))?;
            let events: Array = request_result(&all).await?.unchecked_into();
            let unreported = request_result(&unreported).await?.as_string();
            let events = events_from_records(&events);
            Ok::<_, JsValue>((events, unreported.as_deref().and_then(unreported_drops)))
        };
        read.await.map_err(|error| describe_error(&error))
    }
}

#[cfg(test)]
mod tests {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

    use super::{IndexedDb, request_result};

    wasm_bindgen_test_configure!(run_in_browser);

    #[wasm_bindgen_test]
    async fn a_database_left_without_its_stores_is_made_again() {
        let window = web_sys::window().unwrap();
        let name = "uptake-test-lost-stores";
        // Version 1 without stores: what an upgrade with no handler made.
        let factory = window.indexed_db().unwrap().unwrap();
        let opened = factory.open_with_u32(name, 1).unwrap();
        let database: web_sys::IdbDatabase = request_result(&opened).await.unwrap().unchecked_into();
        database.close();
        let refused = IndexedDb::open(&window, name).await.err().unwrap();
        assert!(refused.contains("lost its stores"), "{refused}");
        // The deletion runs before the next open of the same database.
        let store = IndexedDb::open(&window, name).await.unwrap();
        assert_eq!(store.read().await.unwrap().0.len(), 0);
        store.database.close();
        let _ = factory.delete_database(name);
    }
}
