//! The compiled config as `GET /v1/config` serves it. Every page the SDK runs on asks for it, so
//! it is compressed with gzip once, when the collector starts, for the browsers that accept it,
//! and it carries an entity tag: a browser revalidates its copy (the collector serves it
//! `no-cache`) and gets `304 Not Modified`, without the body, while the config is unchanged.
//! It never compresses per request, and never labels a body with an encoding it does not have.

use std::io::Write;

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use flate2::Compression;
use flate2::write::GzEncoder;
use uptake_core::hash::stable_hash;

/// The config's text, its gzip form and their entity tags.
pub struct ServedConfig {
    text: Bytes,
    /// `None` if compressing failed (writing to memory does not): the text is served instead.
    gzip: Option<Bytes>,
    text_tag: HeaderValue,
    gzip_tag: HeaderValue,
}

impl ServedConfig {
    /// Compresses `text`, the compiled config (`uptake_core::config::compact`), and tags it with
    /// the core's `stable_hash`, the same in every process and every release.
    pub fn new(text: String) -> ServedConfig {
        let hash = stable_hash(&[&text]);
        let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
        let gzip = encoder.write_all(text.as_bytes()).and_then(|()| encoder.finish()).ok();
        ServedConfig {
            text: Bytes::from(text),
            gzip: gzip.map(Bytes::from),
            text_tag: entity_tag(&format!("\"{hash:016x}\"")),
            gzip_tag: entity_tag(&format!("\"{hash:016x}-gzip\"")),
        }
    }

    /// The answer to a request with `headers`: the text or its gzip form, by the request's
    /// `Accept-Encoding`, or `304 Not Modified` when its `If-None-Match` names that form's tag.
    pub fn respond(&self, headers: &HeaderMap) -> Response {
        let (body, tag, gzip) = match &self.gzip {
            Some(gzip) if accepts_gzip(headers) => (gzip, &self.gzip_tag, true),
            _ => (&self.text, &self.text_tag, false),
        };
        let mut response = if matches_tag(headers, tag) {
            StatusCode::NOT_MODIFIED.into_response()
        } else {
            let mut response = body.clone().into_response();
            let response_headers = response.headers_mut();
            response_headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            if gzip {
                response_headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            }
            response
        };
        let response_headers = response.headers_mut();
        response_headers.insert(header::ETAG, tag.clone());
        response_headers.append(header::VARY, HeaderValue::from_static("accept-encoding"));
        response
    }
}

/// A tag made of hex digits, quotes and a dash is always a valid header value.
fn entity_tag(tag: &str) -> HeaderValue {
    HeaderValue::from_str(tag).unwrap_or_else(|_| HeaderValue::from_static("\"\""))
}

/// Whether `Accept-Encoding` takes gzip: named (or `x-gzip`, or `*`) with a weight above 0.
/// The most specific entry decides: `*;q=1, gzip;q=0` refuses it.
fn accepts_gzip(headers: &HeaderMap) -> bool {
    let mut named = None;
    let mut any = None;
    for value in headers.get_all(header::ACCEPT_ENCODING) {
        for entry in value.to_str().unwrap_or_default().to_ascii_lowercase().split(',') {
            let mut parts = entry.split(';');
            let coding = parts.next().unwrap_or_default().trim();
            let weight = parts
                .filter_map(|parameter| parameter.trim().strip_prefix("q="))
                .find_map(|weight| weight.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            match coding {
                "gzip" | "x-gzip" => named = Some(weight > 0.0),
                "*" => any = Some(weight > 0.0),
                _ => {}
            }
        }
    }
    named.or(any).unwrap_or(false)
}

/// Whether `If-None-Match` names `tag` (weakly compared, as the header asks) or is `*`.
fn matches_tag(headers: &HeaderMap, tag: &HeaderValue) -> bool {
    let tag = tag.to_str().unwrap_or_default();
    headers.get_all(header::IF_NONE_MATCH).iter().any(|value| {
        value
            .to_str()
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .any(|candidate| candidate == "*" || candidate.strip_prefix("W/").unwrap_or(candidate) == tag)
    })
}

#[cfg(test)]
mod tests;
