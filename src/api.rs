//! What JavaScript sees: `start(options)` and the `Uptake` object it returns. Every argument
//! arrives as a plain JS value and is checked here; a bad call is ignored with one console
//! warning, never an exception. The ES-module wrapper (`src/js/index.js`) adds the public
//! camelCase API and a last try/catch around each call.

use js_sys::{Array, Promise};
use wasm_bindgen::prelude::*;

use crate::client::Client;
use crate::console::warn;
use crate::convert;
use crate::options::Options;

#[wasm_bindgen]
pub struct Uptake {
    client: Client,
}

/// Starts the SDK. `options`: `{collector, writeKey, config?, autoPage?, flushAt?,
/// flushInterval?, queue?}`; `queue` is the snippet's array of calls made before the SDK
/// loaded, replayed in order before the first page view.
#[wasm_bindgen]
pub fn start(options: JsValue) -> Result<Uptake, JsError> {
    let read = Options::read(&options).map_err(|error| JsError::new(error.message()))?;
    let auto_page = read.auto_page;
    let client = Client::start(read).map_err(JsError::new)?;
    let uptake = Uptake { client };
    let queue = js_sys::Reflect::get(&options, &"queue".into()).unwrap_or(JsValue::UNDEFINED);
    if Array::is_array(&queue) {
        uptake.replay(&queue);
    }
    if auto_page {
        uptake.client.page(None, serde_json::Map::new());
    }
    Ok(uptake)
}

fn object_or_warn(value: &JsValue, call: &str) -> Option<serde_json::Map<String, serde_json::Value>> {
    match convert::object(value) {
        Ok(map) => Some(map),
        Err(error) => {
            warn(&format!("{call} ignored: {}", error.message()));
            None
        }
    }
}

#[wasm_bindgen]
impl Uptake {
    /// `track(name, properties?)`: the user did something.
    pub fn track(&self, name: JsValue, properties: JsValue) {
        let Some(name) = convert::string(&name) else {
            warn("track ignored: the event name must be a string");
            return;
        };
        if let Some(properties) = object_or_warn(&properties, "track") {
            self.client.track(&name, properties);
        }
    }

    /// `identify(userId, traits?)`: who the user is.
    pub fn identify(&self, user_id: JsValue, traits: JsValue) {
        let Some(user_id) = convert::string(&user_id) else {
            warn("identify ignored: the user id must be a string");
            return;
        };
        if let Some(traits) = object_or_warn(&traits, "identify") {
            self.client.identify(&user_id, traits);
        }
    }

    /// `group(accountId, traits?)`: the account the user belongs to.
    pub fn group(&self, group_id: JsValue, traits: JsValue) {
        let Some(group_id) = convert::string(&group_id) else {
            warn("group ignored: the account id must be a string");
            return;
        };
        if let Some(traits) = object_or_warn(&traits, "group") {
            self.client.group(&group_id, traits);
        }
    }

    /// `page(name?, properties?)`: a page view; `page(properties)` works too.
    pub fn page(&self, name: JsValue, properties: JsValue) {
        let (name, properties) = match name.as_string() {
            Some(name) => (Some(name), properties),
            None if name.is_undefined() || name.is_null() => (None, properties),
            None => (None, name),
        };
        if let Some(properties) = object_or_warn(&properties, "page") {
            self.client.page(name, properties);
        }
    }

    /// Sends everything queued now; the promise resolves when the collector has answered.
    pub fn flush(&self) -> Promise {
        let client = self.client.clone();
        wasm_bindgen_futures::future_to_promise(async move {
            client.flush().await;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// One call in the snippet's form: `['track', 'name', {...}]`.
    pub fn push(&self, call: JsValue) {
        let Some(call) = call.dyn_ref::<Array>() else {
            warn("push ignored: expected an array such as ['track', 'event name', {}]");
            return;
        };
        let method = call.get(0).as_string().unwrap_or_default();
        let (first, second) = (call.get(1), call.get(2));
        match method.as_str() {
            "track" => self.track(first, second),
            "identify" => self.identify(first, second),
            "group" => self.group(first, second),
            "page" => self.page(first, second),
            "flush" => {
                let done = self.flush();
                // The loader's stub passes the function that resolves its own promise.
                if let Some(resolve) = convert::function(&first) {
                    let closure = Closure::once(move |_: JsValue| {
                        let _ = resolve.call0(&JsValue::UNDEFINED);
                    });
                    let _ = done.then(&closure);
                    closure.forget();
                }
            }
            _ => warn("push ignored: unknown method; expected track, identify, group, page or flush"),
        }
    }

    /// Replays the calls queued before the SDK loaded, in order, taking them out of the queue
    /// so that the loader can hand over whatever is pushed later.
    pub fn replay(&self, queue: &JsValue) {
        if let Some(queue) = queue.dyn_ref::<Array>() {
            while queue.length() > 0 {
                self.push(queue.shift());
            }
        }
    }

    /// This device's record of a feature: `{count, firstUsed, lastUsed, activeDays}`, or null.
    #[wasm_bindgen(js_name = featureUsage)]
    pub fn feature_usage(&self, feature: JsValue) -> JsValue {
        let Some(feature) = convert::string(&feature) else { return JsValue::NULL };
        self.client.feature_usage(&feature).map_or(JsValue::NULL, |usage| convert::to_js(&usage))
    }

    /// The id of this device's anonymous visitor.
    #[wasm_bindgen(js_name = anonymousId)]
    pub fn anonymous_id(&self) -> String {
        self.client.anonymous_id()
    }
}
