//! The options the SDK is started with, read from the JS object the loader or an ES-module user
//! passes: where the collector is, the write key, an inline config, batching and page views,
//! and the wrapper's hook for the `track` calls it noted.

use js_sys::Reflect;
use uptake_core::outbox::OutboxSettings;
use uptake_core::time::Duration;
use wasm_bindgen::{JsCast, JsValue};

use crate::console::warn;

pub(crate) struct Options {
    /// The collector's origin, without a trailing slash.
    pub(crate) collector: String,
    pub(crate) write_key: String,
    /// A compiled config given inline (as `uptake-collector compile` prints it), as JSON text;
    /// when absent the config is fetched from the collector.
    pub(crate) config: Option<String>,
    /// The config's request to the collector, which the ES-module wrapper sends before the wasm
    /// loads (`configRequest`): a promise of its Response, or of the error it failed with.
    pub(crate) config_request: Option<js_sys::Promise>,
    /// Whether a page view is tracked when the SDK starts.
    pub(crate) auto_page: bool,
    pub(crate) outbox: OutboxSettings,
    /// The ES-module wrapper's function that takes in the `track` calls it noted
    /// (`takeInNoted`; see `listener::take_in_noted_calls`).
    pub(crate) take_in_noted: Option<js_sys::Function>,
}

/// Why the SDK could not start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OptionsError {
    MissingWriteKey,
    MissingCollector,
    InvalidConfig,
}

impl OptionsError {
    pub(crate) fn message(self) -> &'static str {
        match self {
            OptionsError::MissingWriteKey => "a write key is required (data-write-key on the script tag, or writeKey)",
            OptionsError::MissingCollector => {
                "the collector's URL is required (data-collector on the script tag, or collector)"
            }
            OptionsError::InvalidConfig => {
                "the inline config must be JSON: the array that `uptake-collector compile config.json` prints"
            }
        }
    }
}

fn get(options: &JsValue, key: &str) -> JsValue {
    Reflect::get(options, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// A whole number option within `min..=max`, or the default with a warning.
fn number(options: &JsValue, key: &str, min: f64, max: f64, default: f64) -> f64 {
    let value = get(options, key);
    if value.is_undefined() {
        return default;
    }
    match value.as_f64() {
        Some(number) if number.fract() == 0.0 && (min..=max).contains(&number) => number,
        _ => {
            warn(match key {
                "flushAt" => "flushAt must be a whole number from 1 to 500; using 20",
                _ => "flushInterval must be a whole number of milliseconds from 100 to 600000; using 5000",
            });
            default
        }
    }
}

impl Options {
    pub(crate) fn read(options: &JsValue) -> Result<Options, OptionsError> {
        let write_key = get(options, "writeKey").as_string().filter(|key| !key.is_empty());
        let write_key = write_key.ok_or(OptionsError::MissingWriteKey)?;
        let collector = get(options, "collector").as_string().filter(|url| !url.is_empty());
        let collector = collector.ok_or(OptionsError::MissingCollector)?.trim_end_matches('/').to_owned();
        let config_value = get(options, "config");
        let config = if config_value.is_undefined() || config_value.is_null() {
            None
        } else {
            let text = js_sys::JSON::stringify(&config_value).map_err(|_| OptionsError::InvalidConfig)?;
            Some(String::from(text))
        };
        let auto_page = get(options, "autoPage").as_bool().unwrap_or(true);
        let defaults = OutboxSettings::default();
        let flush_at = number(options, "flushAt", 1.0, 500.0, defaults.flush_at as f64) as usize;
        let interval_ms = defaults.flush_interval.as_millis() as f64;
        let flush_interval = number(options, "flushInterval", 100.0, 600_000.0, interval_ms) as i64;
        let outbox = OutboxSettings { flush_at, flush_interval: Duration::from_millis(flush_interval), ..defaults };
        let take_in_noted = crate::convert::function(&get(options, "takeInNoted"));
        let config_request = get(options, "configRequest").dyn_into::<js_sys::Promise>().ok();
        Ok(Options { collector, write_key, config, config_request, auto_page, outbox, take_in_noted })
    }
}
