//! Reading a POSTed batch: the body is JSON whatever its content type (browsers send
//! `text/plain` to avoid a CORS preflight), the write key is in the body or in HTTP Basic auth,
//! and every event is checked on its own: the good ones are kept as the text they arrived as
//! (only the whitespace between tokens taken out, so the export gives back their keys in order
//! and their numbers as written), the bad ones (invalid, or over the size limit of one event)
//! counted, the first `INVALID_LISTED` named by index with what is wrong. The batch is read
//! event by event, never as one JSON tree, so what a request costs stays within a small multiple
//! of its size whatever it holds.

use axum::http::HeaderMap;
use base64::Engine as _;
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::Value;
use serde_json::value::RawValue;
use uptake_core::event::Event;

use crate::store::IncomingEvent;

/// The limits on what one request may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The largest batch body, once decompressed.
    pub batch_bytes: usize,
    /// The largest event, as compact JSON.
    pub event_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { batch_bytes: 500 * 1024, event_bytes: 32 * 1024 }
    }
}

/// Why one event of a batch cannot be stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InvalidKind {
    /// Not an event of the Segment shape: sending it again cannot help.
    Invalid,
    /// Larger than the limit of one event.
    TooLarge,
}

/// One event of a batch that cannot be stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct InvalidEvent {
    pub index: usize,
    pub kind: InvalidKind,
    pub error: String,
}

/// Why a batch was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BatchError {
    #[error("the body is not a batch: {0}. Send JSON such as {{\"batch\": [...], \"writeKey\": \"...\"}}")]
    Malformed(String),
    #[error("no write key: put \"writeKey\" in the body or use HTTP Basic auth with the key as user name")]
    MissingWriteKey,
    #[error("unknown write key")]
    UnknownWriteKey,
}

/// The refused events an answer names; the others are only counted.
pub const INVALID_LISTED: usize = 100;

/// A batch from a known write key: the events that passed the checks, and those that did not.
#[derive(Debug)]
pub struct ReadBatch {
    pub write_key: String,
    pub events: Vec<IncomingEvent>,
    /// The first `INVALID_LISTED` events refused.
    pub invalid: Vec<InvalidEvent>,
    /// Every event refused.
    pub invalid_count: usize,
    /// Whether an event was refused for its size: when nothing can be stored, the answer is
    /// 413 rather than 400.
    pub any_too_large: bool,
}

/// The user name of an HTTP Basic `Authorization` header, where Segment's clients put the key.
fn basic_auth_user(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(axum::http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    let credentials = String::from_utf8(decoded).ok()?;
    let user = credentials.split_once(':').map_or(credentials.as_str(), |(user, _)| user);
    (!user.is_empty()).then(|| user.to_owned())
}

/// What a JSON text holds, from its first byte (the text is valid JSON).
fn kind_of(text: &str) -> &'static str {
    match text.trim_start().as_bytes().first() {
        Some(b'n') => "nothing",
        Some(b't' | b'f') => "a boolean",
        Some(b'"') => "a string",
        Some(b'[') => "a list",
        Some(b'{') => "an object",
        _ => "a number",
    }
}

/// The fields of a batch body that are read; others are ignored. Each is kept as its text.
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow)]
    batch: Option<&'a RawValue>,
    #[serde(rename = "writeKey", borrow)]
    write_key: Option<&'a RawValue>,
}

/// Reads and checks a batch.
pub fn read_batch(
    body: &[u8],
    headers: &HeaderMap,
    write_keys: &[String],
    limits: &Limits,
) -> Result<ReadBatch, BatchError> {
    let malformed = |error: serde_json::Error| BatchError::Malformed(error.to_string());
    let text = std::str::from_utf8(body).map_err(|error| BatchError::Malformed(error.to_string()))?;
    if !text.trim_start().starts_with('{') {
        serde_json::from_str::<IgnoredAny>(text).map_err(malformed)?;
        return Err(BatchError::Malformed(format!("expected an object, found {}", kind_of(text))));
    }
    let envelope: Envelope<'_> = serde_json::from_str(text).map_err(malformed)?;
    let items_text = envelope.batch.map_or("null", RawValue::get);
    if kind_of(items_text) != "a list" {
        return Err(BatchError::Malformed(format!(
            "\"batch\" must be a list of events, found {}",
            kind_of(items_text)
        )));
    }
    let body_key = match envelope.write_key.map(RawValue::get) {
        None => None,
        Some(key) if kind_of(key) == "nothing" => None,
        Some(key) if kind_of(key) == "a string" => {
            Some(serde_json::from_str::<String>(key).map_err(malformed)?).filter(|key| !key.is_empty())
        }
        Some(other) => {
            return Err(BatchError::Malformed(format!("\"writeKey\" must be a string, found {}", kind_of(other))));
        }
    };
    let write_key = body_key.or_else(|| basic_auth_user(headers)).ok_or(BatchError::MissingWriteKey)?;
    if !write_keys.contains(&write_key) {
        return Err(BatchError::UnknownWriteKey);
    }
    let mut batch =
        ReadBatch { write_key, events: Vec::new(), invalid: Vec::new(), invalid_count: 0, any_too_large: false };
    let mut index = 0;
    let mut items = serde_json::Deserializer::from_str(items_text);
    serde::Deserializer::deserialize_seq(
        &mut items,
        EachItem(|item: &RawValue| {
            match check_event(index, item.get(), limits) {
                Ok(event) => batch.events.push(event),
                Err(refused) => {
                    batch.invalid_count += 1;
                    batch.any_too_large |= refused.kind == InvalidKind::TooLarge;
                    if batch.invalid.len() < INVALID_LISTED {
                        batch.invalid.push(refused);
                    }
                }
            }
            index += 1;
        }),
    )
    .map_err(malformed)?;
    Ok(batch)
}

/// Hands each item of a JSON list, as its text, to a function as it is read: a list of any
/// length is never held whole.
struct EachItem<F>(F);

impl<'de, F: FnMut(&'de RawValue)> serde::de::Visitor<'de> for EachItem<F> {
    type Value = ();

    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("a list of events")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(mut self, mut items: A) -> Result<(), A::Error> {
        while let Some(item) = items.next_element::<&'de RawValue>()? {
            (self.0)(item);
        }
        Ok(())
    }
}

/// Checks one event, given as JSON text, as every event of a batch is checked (`import` checks
/// each line with it): its size without the whitespace between tokens, then its shape. `index`
/// names it in the refusal. The event is kept as that text.
pub fn check_event(index: usize, text: &str, limits: &Limits) -> Result<IncomingEvent, InvalidEvent> {
    let body = without_whitespace(text);
    if body.len() > limits.event_bytes {
        let error = format!("the event is {} bytes; at most {} are accepted", body.len(), limits.event_bytes);
        return Err(InvalidEvent { index, kind: InvalidKind::TooLarge, error });
    }
    let invalid = |error: String| InvalidEvent { index, kind: InvalidKind::Invalid, error };
    let value: Value = serde_json::from_str(&body).map_err(|error| invalid(format!("not JSON: {error}")))?;
    match Event::from_json(value) {
        Ok(event) => Ok(IncomingEvent { event, body: body.into_owned() }),
        Err(error) => Err(invalid(error.to_string())),
    }
}

/// A JSON text without the whitespace between its tokens: every other byte as it was, so keys
/// keep their order and numbers their digits. Whitespace inside strings stays.
fn without_whitespace(text: &str) -> std::borrow::Cow<'_, str> {
    let is_space = |byte: u8| matches!(byte, b' ' | b'\t' | b'\n' | b'\r');
    let mut in_string = false;
    let mut escaped = false;
    let mut kept = String::new();
    let mut start = 0;
    let mut trimmed = false;
    for (at, &byte) in text.as_bytes().iter().enumerate() {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
        } else if byte == b'"' {
            in_string = true;
        } else if is_space(byte) {
            // Whitespace is ASCII: cutting around it keeps the text valid UTF-8.
            kept.push_str(&text[start..at]);
            start = at + 1;
            trimmed = true;
        }
    }
    if !trimmed {
        return std::borrow::Cow::Borrowed(text);
    }
    kept.push_str(&text[start..]);
    std::borrow::Cow::Owned(kept)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use serde_json::json;

    fn keys() -> Vec<String> {
        vec!["dev".to_owned()]
    }

    fn read(body: &[u8], headers: &HeaderMap) -> Result<ReadBatch, BatchError> {
        read_batch(body, headers, &keys(), &Limits::default())
    }

    fn event(message_id: &str) -> Value {
        json!({"messageId": message_id, "type": "track", "event": "x", "anonymousId": "a", "timestamp": "2026-11-24T00:00:00Z"})
    }

    #[test]
    fn reads_a_batch_with_the_key_in_the_body() {
        let body = json!({"batch": [event("m-1")], "writeKey": "dev"}).to_string();
        let batch = read(body.as_bytes(), &HeaderMap::new()).unwrap();
        assert_eq!(batch.write_key, "dev");
        assert_eq!(batch.events.len(), 1);
    }

    #[test]
    fn reads_the_key_from_basic_auth() {
        let body = json!({"batch": [event("m-1")]}).to_string();
        let mut headers = HeaderMap::new();
        // base64("dev:")
        headers.insert("authorization", HeaderValue::from_static("Basic ZGV2Og=="));
        assert!(read(body.as_bytes(), &headers).is_ok());
    }

    #[test]
    fn refuses_what_is_not_a_batch_saying_why() {
        let error = read(b"{\"batch\": [", &HeaderMap::new()).unwrap_err();
        assert!(matches!(&error, BatchError::Malformed(message) if message.contains("EOF")), "{error}");
        let error = read(b"[1, 2]", &HeaderMap::new()).unwrap_err();
        assert_eq!(error, BatchError::Malformed("expected an object, found a list".into()));
        let error = read(b"{\"events\": []}", &HeaderMap::new()).unwrap_err();
        assert_eq!(error, BatchError::Malformed("\"batch\" must be a list of events, found nothing".into()));
        let error = read(b"{\"batch\": [], \"writeKey\": 5}", &HeaderMap::new()).unwrap_err();
        assert_eq!(error, BatchError::Malformed("\"writeKey\" must be a string, found a number".into()));
    }

    #[test]
    fn refuses_missing_and_unknown_keys() {
        let body = json!({"batch": []}).to_string();
        assert_eq!(read(body.as_bytes(), &HeaderMap::new()).err(), Some(BatchError::MissingWriteKey));
        let body = json!({"batch": [], "writeKey": "nope"}).to_string();
        assert_eq!(read(body.as_bytes(), &HeaderMap::new()).err(), Some(BatchError::UnknownWriteKey));
    }

    #[test]
    fn keeps_the_good_events_and_names_every_bad_one_by_index() {
        let mut bad = event("m-2");
        bad.as_object_mut().unwrap().remove("event");
        let mut large = event("m-4");
        large["properties"] = json!({"notes": "x".repeat(40 * 1024)});
        let nul = event("m-\u{0}");
        let body =
            json!({"batch": [event("m-1"), bad, {"type": "track"}, large, event("m-5"), nul], "writeKey": "dev"});
        let batch = read(body.to_string().as_bytes(), &HeaderMap::new()).unwrap();
        let kept: Vec<&str> = batch.events.iter().map(|incoming| incoming.event.message_id.as_str()).collect();
        assert_eq!(kept, ["m-1", "m-5"]);
        let named: Vec<(usize, InvalidKind)> = batch.invalid.iter().map(|e| (e.index, e.kind)).collect();
        assert_eq!(
            named,
            [
                (1, InvalidKind::Invalid),
                (2, InvalidKind::Invalid),
                (3, InvalidKind::TooLarge),
                (5, InvalidKind::Invalid)
            ]
        );
        assert_eq!(batch.invalid[0].error, "a \"track\" event needs an \"event\" name of 1 to 200 bytes");
        assert_eq!(batch.invalid[1].error, "missing field `messageId`");
        assert!(batch.invalid[2].error.ends_with("bytes; at most 32768 are accepted"), "{}", batch.invalid[2].error);
        assert!(batch.any_too_large, "index 3");
    }

    #[test]
    fn a_batch_of_only_oversized_events_is_told_apart() {
        let mut large = event("m-1");
        large["properties"] = json!({"notes": "x".repeat(40 * 1024)});
        let body = json!({"batch": [large, {"type": "track"}], "writeKey": "dev"});
        let batch = read(body.to_string().as_bytes(), &HeaderMap::new()).unwrap();
        assert!(batch.any_too_large && batch.events.is_empty());
    }

    #[test]
    fn refusals_name_the_first_hundred_and_count_the_rest() {
        let items = vec!["{}"; 250].join(",");
        let body = format!(r#"{{"writeKey": "dev", "batch": [{items}, {}]}}"#, event("m-1"));
        let batch = read(body.as_bytes(), &HeaderMap::new()).unwrap();
        assert_eq!((batch.invalid.len(), batch.invalid_count, batch.events.len()), (INVALID_LISTED, 250, 1));
        assert_eq!(batch.invalid.last().map(|invalid| invalid.index), Some(99));
    }

    #[test]
    fn an_event_is_kept_as_sent_without_the_whitespace_between_tokens() {
        let sent = r#"{ "type" : "track", "messageId": "m-1", "event": "x y",
            "anonymousId": "a", "timestamp": "2026-11-24T00:00:00Z",
            "properties": {"zeta": 1, "alpha": 123456789012345678901234567890, "text": "a \" b\n c", "e": 1.50}}"#;
        let body = format!(r#"{{"writeKey": "dev", "batch": [{sent}]}}"#);
        let batch = read(body.as_bytes(), &HeaderMap::new()).unwrap();
        assert_eq!(
            batch.events[0].body,
            r#"{"type":"track","messageId":"m-1","event":"x y","anonymousId":"a","timestamp":"2026-11-24T00:00:00Z","properties":{"zeta":1,"alpha":123456789012345678901234567890,"text":"a \" b\n c","e":1.50}}"#
        );
    }
}
