//! The timers and futures the SDK starts. Each goes through one boxed type (`Box<dyn FnOnce()>`,
//! `Pin<Box<dyn Future>>`), so the wasm carries one copy of the timer's and the task's glue
//! instead of one per call site.

use std::future::Future;
use std::pin::Pin;

use gloo_timers::callback::Timeout;

/// Calls `callback` after `millis`, unless the returned timer is dropped first.
pub(crate) fn after(millis: u32, callback: impl FnOnce() + 'static) -> Timeout {
    boxed_timeout(millis, Box::new(callback))
}

fn boxed_timeout(millis: u32, callback: Box<dyn FnOnce()>) -> Timeout {
    Timeout::new(millis, callback)
}

/// Runs `task` on the page's event loop.
pub(crate) fn spawn(task: impl Future<Output = ()> + 'static) {
    spawn_boxed(Box::pin(task));
}

fn spawn_boxed(task: Pin<Box<dyn Future<Output = ()>>>) {
    wasm_bindgen_futures::spawn_local(task);
}
