//! The admin key: what reads events and figures back (`GET /v1/export`, `/v1/metrics/`), sent as
//! `Authorization: Bearer <key>`. It is not a write key: whoever can send events cannot read them.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;

use crate::routes::message;

/// Compares in time independent of where the strings differ.
fn same_secret(given: &[u8], expected: &[u8]) -> bool {
    given.len() == expected.len() && given.iter().zip(expected).fold(0, |diff, (a, b)| diff | (a ^ b)) == 0
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// `None` when the request carries the admin key; else the answer to give: 404 when the
/// collector has no admin key (`what` is off), 401 when the key is missing or wrong.
pub fn refusal(admin_key: Option<&str>, headers: &HeaderMap, what: &str) -> Option<Response> {
    let Some(admin_key) = admin_key else {
        return Some(message(StatusCode::NOT_FOUND, format!("{what} is off: start the collector with --admin-key")));
    };
    if bearer(headers).is_some_and(|given| same_secret(given.as_bytes(), admin_key.as_bytes())) {
        return None;
    }
    let mut response = message(StatusCode::UNAUTHORIZED, "send the admin key as `Authorization: Bearer <key>`");
    response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    Some(response)
}
