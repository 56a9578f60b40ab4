//! The network: the config fetched from the collector, and batches POSTed to it. Bodies are
//! JSON sent as `text/plain` with the write key inside, so no request needs a CORS preflight,
//! not even a `keepalive` one that outlives its page. Every answer is read whole (status,
//! `Retry-After`, the events it names) and handed to the core, which decides what it means.

use uptake_core::outbox::Delivery;
use uptake_core::time::Timestamp;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{RequestCredentials, RequestInit, RequestMode, Response};

/// The browser's budget for request bodies still in flight when a page goes away (64 KiB,
/// less a margin for headers).
pub(crate) const KEEPALIVE_MAX_BYTES: usize = 60 * 1024;

/// `keepalive` of a request, which `web-sys` does not expose.
fn set_keepalive(init: &RequestInit, keepalive: bool) {
    let _ = js_sys::Reflect::set(init, &JsValue::from_str("keepalive"), &JsValue::from_bool(keepalive));
}

pub(crate) struct Transport {
    batch_url: String,
    config_url: String,
}

impl Transport {
    pub(crate) fn new(collector: &str) -> Transport {
        Transport { batch_url: format!("{collector}/v1/batch"), config_url: format!("{collector}/v1/config") }
    }

    /// Fetches the config's JSON text.
    pub(crate) async fn fetch_config(&self) -> Result<String, JsValue> {
        let window = web_sys::window().ok_or(JsValue::NULL)?;
        let init = RequestInit::new();
        init.set_mode(RequestMode::Cors);
        init.set_credentials(RequestCredentials::Omit);
        let response: Response =
            JsFuture::from(window.fetch_with_str_and_init(&self.config_url, &init)).await?.dyn_into()?;
        if !response.ok() {
            return Err(JsValue::from_f64(f64::from(response.status())));
        }
        let text = JsFuture::from(response.text()?).await?;
        text.as_string().ok_or(JsValue::NULL)
    }

    /// POSTs a batch body and says how it went. `keepalive` lets the request outlive the page
    /// (within the browser's budget). A request that fails before an answer is retried later.
    pub(crate) async fn send(&self, body: &str, keepalive: bool, now: impl Fn() -> Timestamp) -> Delivery {
        let Some(window) = web_sys::window() else { return Delivery::Retry { after: None } };
        let init = RequestInit::new();
        init.set_method("POST");
        init.set_mode(RequestMode::Cors);
        init.set_credentials(RequestCredentials::Omit);
        // A string body goes out as text/plain: a simple request, no preflight.
        init.set_body(&JsValue::from_str(body));
        set_keepalive(&init, keepalive && body.len() <= KEEPALIVE_MAX_BYTES);
        let answer = JsFuture::from(window.fetch_with_str_and_init(&self.batch_url, &init)).await;
        let Ok(response) = answer.and_then(|response| response.dyn_into::<Response>()) else {
            return Delivery::Retry { after: None };
        };
        let retry_after = response.headers().get("retry-after").ok().flatten();
        let text = match response.text() {
            Ok(promise) => JsFuture::from(promise).await.ok().and_then(|text| text.as_string()).unwrap_or_default(),
            Err(_) => String::new(),
        };
        Delivery::from_answer(response.status(), retry_after.as_deref(), &text, now())
    }
}
