//! `uptake`: the browser SDK, compiled to WebAssembly. A thin adapter: it turns the host app's
//! calls, clicks, page lifecycle, storage, timers and network into inputs of
//! `uptake_core::engine::Engine`, and performs what the engine decides (save state, send
//! batches, show a prompt). It must never throw into the host page, never panic on outside data,
//! and never touch the host's styles: everything it renders lives in one shadow root.

mod api;
mod autocapture;
mod client;
mod console;
mod context;
mod convert;
mod elements;
mod json;
mod lifecycle;
mod listener;
mod local_share;
mod locks;
mod options;
mod outbox_store;
mod storage;
mod strings;
mod tasks;
mod transport;
mod ui;

// talc instead of the standard library's dlmalloc: less code in the wasm (Cargo.toml).
#[cfg(all(target_family = "wasm", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

pub use api::{Uptake, start};
