//! What the browser tells about the page: the properties of a page view and the context sent
//! with every event (page, locale, user agent, library). Read once per page view, not per event.

use serde_json::{Map, Value};

/// The SDK's name and version, sent with every event.
const LIBRARY_NAME: &str = "uptake";
const LIBRARY_VERSION: &str = env!("CARGO_PKG_VERSION");

fn insert(map: &mut Map<String, Value>, key: &str, value: Option<String>) {
    if let Some(value) = value {
        map.insert(key.to_owned(), Value::String(value));
    }
}

/// The page's path, followed by its hash when the app routes with hashes (`/#/reports`), so
/// that page conditions and tour steps can tell such routes apart.
pub(crate) fn route_path(location: &web_sys::Location) -> String {
    let path = location.pathname().unwrap_or_default();
    match location.hash() {
        Ok(hash) if hash.starts_with("#/") => format!("{path}{hash}"),
        _ => path,
    }
}

/// `path`, `url`, `search`, `title` and `referrer` of the current page.
pub(crate) fn page_properties(window: &web_sys::Window) -> Map<String, Value> {
    let mut properties = Map::new();
    let location = window.location();
    insert(&mut properties, "path", Some(route_path(&location)));
    insert(&mut properties, "url", location.href().ok());
    insert(&mut properties, "search", location.search().ok().filter(|search| !search.is_empty()));
    if let Some(document) = window.document() {
        insert(&mut properties, "title", Some(document.title()));
        insert(&mut properties, "referrer", Some(document.referrer()).filter(|referrer| !referrer.is_empty()));
    }
    properties
}

/// The context of every event on this page.
pub(crate) fn event_context(window: &web_sys::Window, page: &Map<String, Value>) -> Map<String, Value> {
    let mut library = Map::new();
    library.insert("name".to_owned(), Value::from(LIBRARY_NAME));
    library.insert("version".to_owned(), Value::from(LIBRARY_VERSION));
    let mut context = Map::new();
    context.insert("library".to_owned(), Value::Object(library));
    context.insert("page".to_owned(), Value::Object(page.clone()));
    let navigator = window.navigator();
    insert(&mut context, "userAgent", navigator.user_agent().ok());
    insert(&mut context, "locale", navigator.language());
    context
}
