//! Reading a POSTed batch: the body is JSON whatever its content type (browsers send
//! `text/plain` to avoid a CORS preflight), the write key is in the body or in HTTP Basic auth,
//! and every event is checked on its own: the good ones are kept, the bad ones (invalid, or
//! over the size limit of one event) are named by index with what is wrong.

use axum::http::HeaderMap;
use base64::Engine as _;
use serde_json::Value;
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

/// A batch from a known write key: the events that passed the checks, and those that did not.
#[derive(Debug)]
pub struct ReadBatch {
    pub write_key: String,
    pub events: Vec<IncomingEvent>,
    pub invalid: Vec<InvalidEvent>,
}

impl ReadBatch {
    /// Whether an event was refused for its size: when nothing can be stored, the answer is
    /// 413 rather than 400.
    pub fn any_too_large(&self) -> bool {
        self.invalid.iter().any(|invalid| invalid.kind == InvalidKind::TooLarge)
    }
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

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "nothing",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// Reads and checks a batch.
pub fn read_batch(
    body: &[u8],
    headers: &HeaderMap,
    write_keys: &[String],
    limits: &Limits,
) -> Result<ReadBatch, BatchError> {
    let value: Value = serde_json::from_slice(body).map_err(|error| BatchError::Malformed(error.to_string()))?;
    let Value::Object(mut fields) = value else {
        return Err(BatchError::Malformed(format!("expected an object, found {}", kind_of(&value))));
    };
    let events_value = fields.remove("batch").unwrap_or(Value::Null);
    let Value::Array(items) = events_value else {
        return Err(BatchError::Malformed(format!(
            "\"batch\" must be a list of events, found {}",
            kind_of(&events_value)
        )));
    };
    let body_key = match fields.remove("writeKey") {
        None | Some(Value::Null) => None,
        Some(Value::String(key)) => Some(key).filter(|key| !key.is_empty()),
        Some(other) => {
            return Err(BatchError::Malformed(format!("\"writeKey\" must be a string, found {}", kind_of(&other))));
        }
    };
    let write_key = body_key.or_else(|| basic_auth_user(headers)).ok_or(BatchError::MissingWriteKey)?;
    if !write_keys.contains(&write_key) {
        return Err(BatchError::UnknownWriteKey);
    }
    let mut events = Vec::with_capacity(items.len());
    let mut invalid = Vec::new();
    for (index, value) in items.into_iter().enumerate() {
        match check_event(index, value, limits) {
            Ok(event) => events.push(event),
            Err(refused) => invalid.push(refused),
        }
    }
    Ok(ReadBatch { write_key, events, invalid })
}

/// Checks one event as every event of a batch is checked (`import` checks each line with it):
/// its size as compact JSON, then its shape. `index` names it in the refusal.
pub fn check_event(index: usize, value: Value, limits: &Limits) -> Result<IncomingEvent, InvalidEvent> {
    let body = value.to_string();
    if body.len() > limits.event_bytes {
        let error = format!("the event is {} bytes; at most {} are accepted", body.len(), limits.event_bytes);
        return Err(InvalidEvent { index, kind: InvalidKind::TooLarge, error });
    }
    match Event::from_json(value) {
        Ok(event) => Ok(IncomingEvent { event, body }),
        Err(error) => Err(InvalidEvent { index, kind: InvalidKind::Invalid, error: error.to_string() }),
    }
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
        assert!(batch.any_too_large(), "index 3");
    }

    #[test]
    fn a_batch_of_only_oversized_events_is_told_apart() {
        let mut large = event("m-1");
        large["properties"] = json!({"notes": "x".repeat(40 * 1024)});
        let body = json!({"batch": [large, {"type": "track"}], "writeKey": "dev"});
        let batch = read(body.to_string().as_bytes(), &HeaderMap::new()).unwrap();
        assert!(batch.any_too_large() && batch.events.is_empty());
    }
}
