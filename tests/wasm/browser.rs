//! The SDK compiled to wasm and run in headless Chromium (wasm-bindgen-test): usage persisted in
//! localStorage and restored by the next page, the snippet's queue replayed in order, and bad
//! input from the host page ignored with a warning instead of an exception; the stylesheet as
//! the build script compacts it reads as its source does; what the config shows at start is
//! rendered after `start`, not within it.
#![cfg(target_arch = "wasm32")]

use js_sys::{Array, JSON, Object, Reflect};
use uptake::{Uptake, start};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

const DEMO_CONFIG: &str = include_str!("../../www/uptake.config.json");

/// Options for a page of the demo app. Each test uses its own write key, so their stored states
/// do not meet. Port 9 is refused by the browser at once: sends fail fast and stay queued.
fn options(write_key: &str, queue: Option<&Array>) -> JsValue {
    let options = Object::new();
    let set = |key: &str, value: &JsValue| Reflect::set(&options, &key.into(), value).unwrap();
    set("collector", &"http://127.0.0.1:9".into());
    set("writeKey", &write_key.into());
    set("config", &JSON::parse(&compiled_demo_config()).unwrap());
    set("autoPage", &JsValue::FALSE);
    if let Some(queue) = queue {
        set("queue", queue);
    }
    options.into()
}

/// The demo's config as the collector serves it.
fn compiled_demo_config() -> String {
    uptake_core::config::Config::from_json_text(DEMO_CONFIG).unwrap().to_compact_json()
}

/// `options` without an inline config: the SDK fetches it (and the fetch fails at once).
fn fetching_options(write_key: &str) -> JsValue {
    let options = options(write_key, None);
    Reflect::delete_property(options.unchecked_ref::<Object>(), &"config".into()).unwrap();
    options
}

fn call(method: &str, first: JsValue, second: JsValue) -> JsValue {
    Array::of3(&method.into(), &first, &second).into()
}

fn props(json: &str) -> JsValue {
    JSON::parse(json).unwrap()
}

fn uses(uptake: &Uptake, feature: &str) -> f64 {
    let usage = uptake.feature_usage(feature.into());
    if usage.is_null() {
        return 0.0;
    }
    Reflect::get(&usage, &"count".into()).unwrap().as_f64().unwrap()
}

fn local_storage() -> web_sys::Storage {
    web_sys::window().unwrap().local_storage().unwrap().unwrap()
}

#[wasm_bindgen_test]
async fn usage_is_persisted_and_restored_by_the_next_page() {
    let first = start(options("persisted", None)).unwrap();
    for invoice in 1..=3 {
        first.track("invoice.approved".into(), props(&format!("{{\"invoice_id\": \"INV-{invoice}\"}}")));
    }
    first.track("feature_used".into(), props("{\"feature\": \"workflow.automation\"}"));
    assert_eq!(uses(&first, "invoices.approve"), 3.0);
    JsFuture::from(first.flush()).await.unwrap();
    let anonymous_id = first.anonymous_id();
    drop(first);

    // The tab's part of the visitor's state: `uptake:<write key>:tab:<tab id>:state:anonymous`.
    let parts: Vec<String> = (0..local_storage().length().unwrap())
        .filter_map(|index| local_storage().key(index).unwrap())
        .filter(|key| key.starts_with("uptake:persisted:tab:") && key.ends_with(":state:anonymous"))
        .collect();
    assert_eq!(parts.len(), 1, "{parts:?}");
    let stored = local_storage().get_item(&parts[0]).unwrap().unwrap();
    assert!(stored.contains("invoices.approve"), "{stored}");

    let next_page = start(options("persisted", None)).unwrap();
    assert_eq!(next_page.anonymous_id(), anonymous_id, "the same visitor");
    assert_eq!(uses(&next_page, "invoices.approve"), 3.0);
    assert_eq!(uses(&next_page, "workflow.automation"), 1.0);
    let usage = next_page.feature_usage("invoices.approve".into());
    assert_eq!(Reflect::get(&usage, &"activeDays".into()).unwrap().as_f64(), Some(1.0));
    let text = |usage: &JsValue, key: &str| Reflect::get(usage, &key.into()).unwrap().as_string();
    assert_eq!(text(&usage, "frequency").as_deref(), Some("monthly"));
    assert_eq!(text(&usage, "barrier").as_deref(), Some("none"));
    // A catalog feature the user has not met: no use, no entry point seen.
    let unmet = next_page.feature_usage("invoices.open".into());
    assert_eq!(Reflect::get(&unmet, &"count".into()).unwrap().as_f64(), Some(0.0));
    assert_eq!(
        (text(&unmet, "frequency").as_deref(), text(&unmet, "barrier").as_deref()),
        (Some("never"), Some("unaware"))
    );
    assert!(next_page.feature_usage("nowhere".into()).is_null(), "neither in the catalog nor recorded");
}

#[wasm_bindgen_test]
async fn the_snippet_queue_replays_in_order() {
    // The same calls in another order would leave other counts with each user.
    let queue = Array::new();
    queue.push(&call("identify", "replay-a".into(), props("{\"role\": \"admin\"}")));
    queue.push(&call("track", "invoice.approved".into(), JsValue::UNDEFINED));
    queue.push(&call("track", "invoice.approved".into(), JsValue::UNDEFINED));
    queue.push(&call("identify", "replay-b".into(), JsValue::UNDEFINED));
    queue.push(&call("track", "invoice.approved".into(), JsValue::UNDEFINED));
    // What the loader's `uptake.flush()` stub queues: the resolver of the promise it returned.
    let queued_flush = js_sys::Promise::new(&mut |resolve, _reject| {
        queue.push(&call("flush", resolve.into(), JsValue::UNDEFINED));
    });

    let uptake = start(options("replay", Some(&queue))).unwrap();
    assert_eq!(queue.length(), 0, "the queue is emptied as it is replayed");
    assert_eq!(uses(&uptake, "invoices.approve"), 1.0, "replay-b approved once");
    uptake.identify("replay-a".into(), JsValue::UNDEFINED);
    assert_eq!(uses(&uptake, "invoices.approve"), 2.0, "replay-a approved twice");

    JsFuture::from(queued_flush).await.expect("a queued flush resolves");
}

#[wasm_bindgen_test]
fn bad_calls_are_ignored_without_throwing() {
    let uptake = start(options("bad-calls", None)).unwrap();
    let cyclic = Object::new();
    Reflect::set(&cyclic, &"self".into(), &cyclic).unwrap();
    uptake.track(JsValue::from_f64(42.0), JsValue::UNDEFINED);
    uptake.track("invoice.approved".into(), "not an object".into());
    uptake.track("invoice.approved".into(), cyclic.clone().into());
    uptake.track("invoice.approved".into(), Array::new().into());
    uptake.track("".into(), JsValue::UNDEFINED);
    uptake.identify(JsValue::NULL, JsValue::UNDEFINED);
    uptake.group("acme".into(), JsValue::from_f64(1.0));
    uptake.push("track".into());
    uptake.push(call("teleport", JsValue::UNDEFINED, JsValue::UNDEFINED));
    assert_eq!(uses(&uptake, "invoices.approve"), 0.0, "nothing bad was recorded");
    uptake.track("invoice.approved".into(), props("{\"at\": \"2026-11-24\"}"));
    assert_eq!(uses(&uptake, "invoices.approve"), 1.0, "the SDK still works");
}

#[wasm_bindgen_test]
fn an_unreadable_stored_state_is_discarded_and_the_sdk_starts_fresh() {
    let storage = local_storage();
    storage.set_item("uptake:corrupt:state:anonymous", "{\"v\": 1, \"f\": {\"x\": {\"n\": \"many\"}}}").unwrap();
    let uptake = start(options("corrupt", None)).unwrap();
    assert_eq!(uses(&uptake, "x"), 0.0);
    assert_eq!(storage.get_item("uptake:corrupt:state:anonymous").unwrap(), None, "not read again");
    storage.set_item("uptake:newer:state:anonymous", "{\"v\": 99, \"whatever\": true}").unwrap();
    assert!(start(options("newer", None)).is_ok());
}

#[wasm_bindgen_test]
fn starting_without_a_write_key_is_an_error_not_a_panic() {
    let options = Object::new();
    Reflect::set(&options, &"collector".into(), &"http://127.0.0.1:9".into()).unwrap();
    let error = start(options.into()).err().expect("a write key is required");
    let error: JsValue = error.into();
    let message = Reflect::get(&error, &"message".into()).unwrap().as_string().unwrap();
    assert!(message.contains("write key"), "{message}");
    assert!(error.is_instance_of::<js_sys::Error>());
}

/// The rules of a stylesheet as the browser reads them, each in the browser's own text.
fn parsed_rules(css: &str) -> Vec<String> {
    let sheet = web_sys::CssStyleSheet::new().unwrap();
    sheet.replace_sync(css).unwrap();
    let rules = sheet.css_rules().unwrap();
    (0..rules.length()).map(|index| rules.item(index).unwrap().css_text()).collect()
}

#[wasm_bindgen_test]
fn the_compacted_stylesheet_reads_as_the_source_does() {
    let source = include_str!("../../src/ui/styles.css");
    let compacted = include_str!(concat!(env!("OUT_DIR"), "/styles.css"));
    assert!(compacted.len() < source.len() * 4 / 5, "comments and indentation are gone");
    let rules = parsed_rules(source);
    assert!(rules.len() > 40, "every rule was read: {}", rules.len());
    assert_eq!(parsed_rules(compacted), rules);
}

#[wasm_bindgen_test]
fn the_cached_config_is_used_while_the_config_is_fetched_and_one_of_another_release_is_dropped() {
    local_storage().set_item("uptake:cached:config", &compiled_demo_config()).unwrap();
    let cached = start(fetching_options("cached")).unwrap();
    assert!(!cached.adoption().is_null(), "the cached config is loaded at once");
    drop(cached);

    // The PM's JSON, as an SDK before compiled configs kept it.
    local_storage().set_item("uptake:stale:config", DEMO_CONFIG).unwrap();
    let stale = start(fetching_options("stale")).unwrap();
    assert_eq!(local_storage().get_item("uptake:stale:config").unwrap(), None, "dropped, not read again");
    assert!(stale.adoption().is_null(), "no config is loaded until the fetched one arrives");
    assert!(!stale.anonymous_id().is_empty(), "the SDK runs");
}

fn sdk_roots() -> u32 {
    web_sys::window().unwrap().document().unwrap().query_selector_all("uptake-root").unwrap().length()
}

#[wasm_bindgen_test]
async fn what_the_config_shows_at_start_is_rendered_after_start_not_within_it() {
    let before = sdk_roots();
    // The demo's onboarding checklist shows to a new user as soon as the config is loaded.
    let uptake = start(options("render-later", None)).unwrap();
    assert_eq!(sdk_roots(), before, "start returns before rendering: its task stays short");
    let mut waited = 0;
    while sdk_roots() == before && waited < 100 {
        gloo_timers::future::TimeoutFuture::new(10).await;
        waited += 1;
    }
    assert_eq!(sdk_roots(), before + 1, "the checklist is rendered in a task after start");
    drop(uptake);
}
