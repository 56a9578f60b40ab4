//! The network: the config fetched from the collector, batches POSTed to it, and beacons when
//! the page goes away. Bodies are JSON sent as `text/plain` with the write key inside, so no
//! request needs a CORS preflight, not even on the unload path.

use js_sys::Promise;
use uptake_core::event::Batch;
use uptake_core::outbox::Delivery;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{RequestCredentials, RequestInit, RequestMode, Response};

/// The browser's budget for request bodies still in flight when a page goes away.
const KEEPALIVE_MAX_BYTES: usize = 60 * 1024;

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

    /// POSTs a batch and says how it went.
    pub(crate) async fn send(&self, batch: &Batch) -> Delivery {
        let Ok(body) = serde_json::to_string(batch) else {
            return Delivery::Refused { status: 0 };
        };
        let Some(window) = web_sys::window() else { return Delivery::Failed };
        let init = RequestInit::new();
        init.set_method("POST");
        init.set_mode(RequestMode::Cors);
        init.set_credentials(RequestCredentials::Omit);
        // A string body goes out as text/plain: a simple request, no preflight.
        init.set_body(&JsValue::from_str(&body));
        // Keep the request alive if the page goes away meanwhile, within the browser's budget.
        set_keepalive(&init, body.len() <= KEEPALIVE_MAX_BYTES);
        let request: Promise = window.fetch_with_str_and_init(&self.batch_url, &init);
        match JsFuture::from(request).await.and_then(|response| response.dyn_into::<Response>()) {
            Ok(response) => Delivery::from_status(response.status()),
            Err(_) => Delivery::Failed,
        }
    }

    /// Sends a batch as the page goes away: a beacon, or a keepalive fetch if the beacon queue
    /// is full. Nobody waits for the answer.
    pub(crate) fn send_on_exit(&self, batch: &Batch) {
        let Ok(body) = serde_json::to_string(batch) else { return };
        let Some(window) = web_sys::window() else { return };
        if window.navigator().send_beacon_with_opt_str(&self.batch_url, Some(&body)).unwrap_or(false) {
            return;
        }
        let init = RequestInit::new();
        init.set_method("POST");
        init.set_mode(RequestMode::Cors);
        init.set_credentials(RequestCredentials::Omit);
        init.set_body(&JsValue::from_str(&body));
        set_keepalive(&init, true);
        let request = window.fetch_with_str_and_init(&self.batch_url, &init);
        // Awaited only so that a failure is not an unhandled rejection in the host page.
        wasm_bindgen_futures::spawn_local(async move {
            let _ = JsFuture::from(request).await;
        });
    }
}
