//! The network: the answer to the config's request (sent by the ES-module wrapper before the
//! wasm loaded, see `src/js/index.js`), and batches POSTed to the collector. Bodies are
//! JSON sent as `text/plain` with the write key inside, so no request needs a CORS preflight,
//! not even a `keepalive` one that outlives its page. Every answer is read whole (status,
//! `Retry-After`, the events it names) and handed to the core, which decides what it means.
//! Batches above 16 KB are gzip-compressed with `CompressionStream` where the browser has it,
//! signalled by `?gzip=1` (a `Content-Encoding` header would need a preflight). Every request
//! has a deadline (`request_deadline`), after which it is aborted and retried: a connection that
//! never answers does not hold the queue.

use uptake_core::outbox::{Delivery, request_deadline};
use uptake_core::time::Timestamp;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{RequestCredentials, RequestInit, RequestMode, Response};

use crate::json;
use crate::tasks;

/// The browser's budget for request bodies still in flight when a page goes away (64 KiB,
/// less a margin for headers).
pub(crate) const KEEPALIVE_MAX_BYTES: usize = 60 * 1024;

/// Batches larger than this are compressed when they can be.
const COMPRESS_ABOVE_BYTES: usize = 16 * 1024;

/// `object[name](...args)`, for the stream APIs `web-sys` has no stable binding for.
fn call_method(object: &JsValue, name: &str, args: &js_sys::Array) -> Option<JsValue> {
    let method: js_sys::Function = js_sys::Reflect::get(object, &JsValue::from_str(name)).ok()?.dyn_into().ok()?;
    method.apply(object, args).ok()
}

/// `text` gzip-compressed by the browser's `CompressionStream`; `None` where there is none.
async fn gzip(text: &str) -> Option<js_sys::Uint8Array> {
    let constructor: js_sys::Function =
        js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("CompressionStream")).ok()?.dyn_into().ok()?;
    let compressor = js_sys::Reflect::construct(&constructor, &js_sys::Array::of1(&JsValue::from_str("gzip"))).ok()?;
    let blob = web_sys::Blob::new_with_str_sequence(&js_sys::Array::of1(&JsValue::from_str(text))).ok()?;
    let compressed = call_method(&blob.stream().into(), "pipeThrough", &js_sys::Array::of1(&compressor))?;
    let response = Response::new_with_opt_readable_stream(Some(&compressed.dyn_into().ok()?)).ok()?;
    let buffer = JsFuture::from(response.array_buffer().ok()?).await.ok()?;
    Some(js_sys::Uint8Array::new(&buffer))
}

/// A POST of a batch: CORS, no credentials, and `keepalive` when it must outlive the page.
fn batch_request(keepalive: bool) -> RequestInit {
    let init = RequestInit::new();
    init.set_method("POST");
    init.set_mode(RequestMode::Cors);
    init.set_credentials(RequestCredentials::Omit);
    set_keepalive(&init, keepalive);
    init
}

/// `keepalive` of a request, which `web-sys` does not expose.
fn set_keepalive(init: &RequestInit, keepalive: bool) {
    let _ = js_sys::Reflect::set(init, &JsValue::from_str("keepalive"), &JsValue::from_bool(keepalive));
}

pub(crate) struct Transport {
    batch_url: String,
}

impl Transport {
    pub(crate) fn new(collector: &str) -> Transport {
        Transport { batch_url: format!("{collector}/v1/batch") }
    }

    /// The config's JSON text, from the answer to its request: a promise of the Response, or
    /// of the error the request failed with.
    pub(crate) async fn read_config(&self, request: js_sys::Promise) -> Result<String, JsValue> {
        let response: Response = JsFuture::from(request).await?.dyn_into()?;
        if !response.ok() {
            return Err(JsValue::from_f64(f64::from(response.status())));
        }
        let text = JsFuture::from(response.text()?).await?;
        text.as_string().ok_or(JsValue::NULL)
    }

    /// POSTs a batch body for a page going away, whatever the answer: its events wait in
    /// storage too, and the collector drops a copy it already has.
    pub(crate) fn send_and_forget(&self, body: String) {
        let Some(window) = web_sys::window() else { return };
        let init = batch_request(true);
        init.set_body(&JsValue::from_str(&body));
        let sent = window.fetch_with_str_and_init(&self.batch_url, &init);
        // Awaited so that a failure is not an unhandled rejection on the page.
        tasks::spawn(async move {
            let _ = JsFuture::from(sent).await;
        });
    }

    /// POSTs a batch body and says how it went. `keepalive` lets the request outlive the page
    /// (within the browser's budget). A request that fails before an answer, or passes its
    /// deadline, is retried later.
    pub(crate) async fn send(&self, body: &str, keepalive: bool, now: impl Fn() -> Timestamp) -> Delivery {
        let Some(window) = web_sys::window() else { return Delivery::Retry { after: None } };
        let init = batch_request(false);
        // Compressing is asynchronous: a page going away sends as is (its batches are small).
        let compressed = if !keepalive && body.len() > COMPRESS_ABOVE_BYTES { gzip(body).await } else { None };
        let url = match &compressed {
            // Bytes go out with no content type at all: still a simple request.
            Some(bytes) => {
                init.set_body(bytes);
                format!("{}?gzip=1", self.batch_url)
            }
            None => {
                // A string body goes out as text/plain: a simple request, no preflight.
                init.set_body(&JsValue::from_str(body));
                self.batch_url.clone()
            }
        };
        set_keepalive(&init, keepalive && body.len() <= KEEPALIVE_MAX_BYTES);
        // The deadline covers the answer's body too: aborting fails its reading.
        let deadline = request_deadline(body.len()).as_millis();
        let abort = web_sys::AbortController::new().ok().map(|controller| {
            init.set_signal(Some(&controller.signal()));
            tasks::after(u32::try_from(deadline).unwrap_or(u32::MAX), move || controller.abort())
        });
        let answer = JsFuture::from(window.fetch_with_str_and_init(&url, &init)).await;
        let Ok(response) = answer.and_then(|response| response.dyn_into::<Response>()) else {
            return Delivery::Retry { after: None };
        };
        let retry_after = response.headers().get("retry-after").ok().flatten();
        let text = match response.text() {
            Ok(promise) => JsFuture::from(promise).await.ok().and_then(|text| text.as_string()).unwrap_or_default(),
            Err(_) => String::new(),
        };
        drop(abort);
        Delivery::from_answer(response.status(), retry_after.as_deref(), json::parse(&text).as_ref(), now())
    }
}
