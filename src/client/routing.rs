//! The app's routes: a single-page app changes pages with `history.pushState`,
//! `replaceState`, back and forward (`popstate`) or the hash (`hashchange`), without loading a
//! page. The SDK wraps the two history methods (calling the app's original first, and throwing
//! what it throws) and listens to the two events, so that each route change is a page view
//! without the host calling `page()`. Also reads `?uptake_preview=` from the address.

use std::rc::Weak;

use js_sys::{Function, Reflect};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::Window;

use super::{Client, Inner};
use crate::listener::{EventListener, take_in_noted_calls};

/// The route of the current page: its path with any `#/...` hash route, and its query.
pub(super) fn current_route(window: &Window) -> String {
    let location = window.location();
    let search = location.search().unwrap_or_default();
    format!("{}{search}", crate::context::route_path(&location))
}

/// The experience id in `?uptake_preview=<id>`, if there is one.
pub(super) fn preview_request(window: &Window) -> Option<String> {
    let search = window.location().search().ok()?;
    let params = web_sys::UrlSearchParams::new_with_str(&search).ok()?;
    params.get("uptake_preview").filter(|id| !id.is_empty())
}

/// Wraps `history[method]` so that the app's route changes reach the client.
fn wrap_history(window: &Window, method: &str, weak: Weak<Inner>) {
    let Ok(history) = window.history() else { return };
    let Ok(original) = Reflect::get(&history, &JsValue::from_str(method)) else { return };
    let Ok(original) = original.dyn_into::<Function>() else { return };
    let target = history.clone();
    let wrapper = Closure::<dyn Fn(JsValue, JsValue, JsValue) -> JsValue>::new(move |state, title, url| {
        take_in_noted_calls();
        let result = original.call3(&target, &state, &title, &url);
        if let Some(client) = Client::from_weak(&weak) {
            client.route_changed();
        }
        match result {
            Ok(value) => value,
            // The app's own error (an URL of another origin...) is the app's to see.
            Err(error) => wasm_bindgen::throw_val(error),
        }
    });
    let _ = Reflect::set(&history, &JsValue::from_str(method), wrapper.as_ref());
    // Lives as long as the page: the history methods stay wrapped.
    wrapper.forget();
}

/// Follows route changes: wraps the history methods and listens to popstate and hashchange.
pub(super) fn listen(window: &Window, weak: Weak<Inner>) -> Vec<EventListener> {
    wrap_history(window, "pushState", weak.clone());
    wrap_history(window, "replaceState", weak.clone());
    let mut listeners = Vec::new();
    for kind in ["popstate", "hashchange"] {
        let weak = weak.clone();
        listeners.extend(EventListener::new(window, kind, false, move |_| {
            if let Some(client) = Client::from_weak(&weak) {
                client.route_changed();
            }
        }));
    }
    listeners
}
