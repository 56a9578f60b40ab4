//! What JavaScript sees: `start(options)` and the `Uptake` object it returns. Every argument
//! arrives as a plain JS value and is checked here; a bad call is ignored with one console
//! warning, never an exception. The ES-module wrapper (`src/js/index.js`) adds the public
//! camelCase API and a last try/catch around each call.

use js_sys::{Array, Promise};
use serde_json::{Map, Value};
use wasm_bindgen::prelude::*;

use crate::client::{Client, TourStart, warn_no_such_tour};
use crate::console::warn;
use crate::convert::{self, ConvertError};
use crate::listener;
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
    let mut read = Options::read(&options).map_err(|error| JsError::new(error.message()))?;
    listener::set_take_in_noted_calls(read.take_in_noted.take());
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
    uptake.client.render_later();
    Ok(uptake)
}

/// The arguments of `track`, `identify` and `group`: a string, then an optional object. `None`
/// after one warning naming what is wrong.
fn name_and_object(call: &str, name: &JsValue, what: &str, object: &JsValue) -> Option<(String, Map<String, Value>)> {
    let name = name_or_warn(call, name, what)?;
    Some((name, object_or_warn(call, convert::object(object))?))
}

/// The name argument of `call`, or `None` after a warning that `what` must be a string.
fn name_or_warn(call: &str, name: &JsValue, what: &str) -> Option<String> {
    let name = convert::string(name);
    if name.is_none() {
        warn(&format!("{call} ignored: {what} must be a string"));
    }
    name
}

/// The object argument of `call`, or `None` after a warning saying why it was refused.
fn object_or_warn(call: &str, object: Result<Map<String, Value>, ConvertError>) -> Option<Map<String, Value>> {
    object.map_err(|error| warn(&format!("{call} ignored: {}", error.message()))).ok()
}

#[wasm_bindgen]
impl Uptake {
    /// `track(name, properties?)`: the user did something.
    pub fn track(&self, name: JsValue, properties: JsValue) {
        if let Some((name, properties)) = name_and_object("track", &name, "the event name", &properties) {
            self.client.track(&name, properties);
        }
    }

    /// The `track` calls the ES-module wrapper noted, taken in together: `count` calls from
    /// index `from` of `calls`, three slots each (the event name, the properties as a JSON
    /// text or null, the time of the call in milliseconds since the epoch). Returns how many
    /// were taken in: all, or none while the SDK is busy (an event of the page the SDK caused
    /// itself, such as a focus change), for the wrapper to hand them over again later.
    #[wasm_bindgen(js_name = trackCalls)]
    pub fn track_calls(&self, calls: &Array, from: u32, count: u32) -> u32 {
        if self.client.is_busy() {
            return 0;
        }
        let queued = (0..count).filter_map(|call| {
            let slot = from + call * 3;
            let name = name_or_warn("track", &calls.get(slot), "the event name")?;
            let properties = calls.get(slot + 1);
            let properties = match properties.as_string() {
                Some(snapshot) => convert::object_from_json(&snapshot),
                None => convert::object(&properties),
            };
            Some((name, object_or_warn("track", properties)?, calls.get(slot + 2).as_f64()))
        });
        self.client.track_all(queued);
        count
    }

    /// `identify(userId, traits?)`: who the user is.
    pub fn identify(&self, user_id: JsValue, traits: JsValue) {
        if let Some((user_id, traits)) = name_and_object("identify", &user_id, "the user id", &traits) {
            self.client.identify(&user_id, traits);
        }
    }

    /// `group(accountId, traits?)`: the account the user belongs to.
    pub fn group(&self, group_id: JsValue, traits: JsValue) {
        if let Some((group_id, traits)) = name_and_object("group", &group_id, "the account id", &traits) {
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
        match convert::object(&properties) {
            Ok(properties) => self.client.page(name, properties),
            Err(error) => warn(&format!("page ignored: {}", error.message())),
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
            // The loader's stub adds the time of the call.
            "track" => match (call.get(3).as_f64(), name_and_object("track", &first, "the event name", &second)) {
                (Some(at), Some((name, properties))) => {
                    self.client.track_all(std::iter::once((name, properties, Some(at))))
                }
                (None, Some((name, properties))) => self.client.track(&name, properties),
                (_, None) => {}
            },
            "identify" => self.identify(first, second),
            "group" => self.group(first, second),
            "page" => self.page(first, second),
            "startTour" => {
                self.start_tour(first);
            }
            "debug" => self.debug(first),
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
            _ => warn("push ignored: unknown method; expected track, identify, group, page, flush, startTour or debug"),
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

    /// This device's record of a feature: `{count, firstUsed, lastUsed, activeDays, entrySeen,
    /// frequency, barrier}`, or null for a feature neither in the catalog nor recorded.
    #[wasm_bindgen(js_name = featureUsage)]
    pub fn feature_usage(&self, feature: JsValue) -> JsValue {
        let Some(feature) = convert::string(&feature) else { return JsValue::NULL };
        self.client.feature_usage(&feature).map_or(JsValue::NULL, |usage| convert::to_js(&usage))
    }

    /// Where the user stands in the adoption model: `{level, recency, depth}`, or null before
    /// the config has loaded.
    pub fn adoption(&self) -> JsValue {
        self.client.adoption().map_or(JsValue::NULL, |adoption| convert::to_js(&adoption))
    }

    /// `startTour(id)`: starts a tour of the config now, replacing any tour in progress. While
    /// the config is being fetched, a tour it does not have yet starts when it arrives. False
    /// (with a warning) when the config has no such tour.
    #[wasm_bindgen(js_name = startTour)]
    pub fn start_tour(&self, tour_id: JsValue) -> bool {
        let Some(tour_id) = convert::string(&tour_id) else {
            warn("startTour ignored: the tour id must be a string");
            return false;
        };
        match self.client.start_tour(&tour_id) {
            TourStart::Started | TourStart::WaitingForConfig => true,
            TourStart::NoSuchTour => {
                warn_no_such_tour(&tour_id);
                false
            }
        }
    }

    /// `debug(true)`: logs to the console why each rule did or did not fire, now and after
    /// every evaluation; `debug(false)` stops.
    pub fn debug(&self, on: JsValue) {
        self.client.set_debug(on.is_truthy());
    }

    /// The id of this device's anonymous visitor.
    #[wasm_bindgen(js_name = anonymousId)]
    pub fn anonymous_id(&self) -> String {
        self.client.anonymous_id()
    }
}
