//! Reading a POSTed batch: the body is JSON whatever its content type (browsers send
//! `text/plain` to avoid a CORS preflight), the write key is in the body or in HTTP Basic auth,
//! and every event is checked. Bad input gets a message that says what is wrong.

use axum::http::HeaderMap;
use base64::Engine as _;
use serde_json::Value;
use uptake_core::event::Event;

use crate::store::IncomingEvent;

/// One event of a batch that cannot be stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct InvalidEvent {
    pub index: usize,
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
    #[error("{} of {total} events are invalid; nothing was stored", invalid.len())]
    InvalidEvents { total: usize, invalid: Vec<InvalidEvent> },
}

/// A batch whose every event passed the checks.
#[derive(Debug)]
pub struct ValidBatch {
    pub write_key: String,
    pub events: Vec<IncomingEvent>,
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
pub fn read_batch(body: &[u8], headers: &HeaderMap, write_keys: &[String]) -> Result<ValidBatch, BatchError> {
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
    let total = items.len();
    let mut events = Vec::with_capacity(total);
    let mut invalid = Vec::new();
    for (index, value) in items.into_iter().enumerate() {
        let body = value.to_string();
        match Event::from_json(value) {
            Ok(event) => events.push(IncomingEvent { event, body }),
            Err(error) => invalid.push(InvalidEvent { index, error: error.to_string() }),
        }
    }
    if !invalid.is_empty() {
        return Err(BatchError::InvalidEvents { total, invalid });
    }
    Ok(ValidBatch { write_key, events })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use serde_json::json;

    fn keys() -> Vec<String> {
        vec!["dev".to_owned()]
    }

    fn event(message_id: &str) -> Value {
        json!({"messageId": message_id, "type": "track", "event": "x", "anonymousId": "a", "timestamp": "2026-11-24T00:00:00Z"})
    }

    #[test]
    fn reads_a_batch_with_the_key_in_the_body() {
        let body = json!({"batch": [event("m-1")], "writeKey": "dev"}).to_string();
        let batch = read_batch(body.as_bytes(), &HeaderMap::new(), &keys()).unwrap();
        assert_eq!(batch.write_key, "dev");
        assert_eq!(batch.events.len(), 1);
    }

    #[test]
    fn reads_the_key_from_basic_auth() {
        let body = json!({"batch": [event("m-1")]}).to_string();
        let mut headers = HeaderMap::new();
        // base64("dev:")
        headers.insert("authorization", HeaderValue::from_static("Basic ZGV2Og=="));
        assert!(read_batch(body.as_bytes(), &headers, &keys()).is_ok());
    }

    #[test]
    fn refuses_what_is_not_a_batch_saying_why() {
        let error = read_batch(b"{\"batch\": [", &HeaderMap::new(), &keys()).unwrap_err();
        assert!(matches!(&error, BatchError::Malformed(message) if message.contains("EOF")), "{error}");
        let error = read_batch(b"[1, 2]", &HeaderMap::new(), &keys()).unwrap_err();
        assert_eq!(error, BatchError::Malformed("expected an object, found a list".into()));
        let error = read_batch(b"{\"events\": []}", &HeaderMap::new(), &keys()).unwrap_err();
        assert_eq!(error, BatchError::Malformed("\"batch\" must be a list of events, found nothing".into()));
        let error = read_batch(b"{\"batch\": [], \"writeKey\": 5}", &HeaderMap::new(), &keys()).unwrap_err();
        assert_eq!(error, BatchError::Malformed("\"writeKey\" must be a string, found a number".into()));
    }

    #[test]
    fn refuses_missing_and_unknown_keys() {
        let body = json!({"batch": []}).to_string();
        assert_eq!(read_batch(body.as_bytes(), &HeaderMap::new(), &keys()).err(), Some(BatchError::MissingWriteKey));
        let body = json!({"batch": [], "writeKey": "nope"}).to_string();
        assert_eq!(read_batch(body.as_bytes(), &HeaderMap::new(), &keys()).err(), Some(BatchError::UnknownWriteKey));
    }

    #[test]
    fn names_every_invalid_event_by_index() {
        let mut bad = event("m-2");
        bad.as_object_mut().unwrap().remove("event");
        let body = json!({"batch": [event("m-1"), bad, {"type": "track"}], "writeKey": "dev"}).to_string();
        let Err(BatchError::InvalidEvents { total, invalid }) = read_batch(body.as_bytes(), &HeaderMap::new(), &keys())
        else {
            panic!("expected invalid events");
        };
        assert_eq!(total, 3);
        assert_eq!(invalid.iter().map(|e| e.index).collect::<Vec<_>>(), [1, 2]);
        assert_eq!(invalid[0].error, "a \"track\" event needs an \"event\" name of 1 to 200 bytes");
        assert_eq!(invalid[1].error, "missing field `messageId`");
    }
}
