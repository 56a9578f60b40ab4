//! Events in the shape of the Segment spec (track, identify, page, group), as the SDK sends
//! them and the collector stores them, and the checks the collector applies to each one.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::iso8601::{format_timestamp, parse_timestamp};
use crate::time::Timestamp;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EventType {
    Track,
    Identify,
    Page,
    Group,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Track => "track",
            EventType::Identify => "identify",
            EventType::Page => "page",
            EventType::Group => "group",
        }
    }
}

/// One event. Fields follow the Segment spec's names on the wire (camelCase).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    /// A UUIDv7 given when the event is made and never changed, so a retry can be recognised.
    pub message_id: String,
    #[serde(rename = "type")]
    pub event_type: EventType,
    /// The event name, for `track`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    /// The page name, for `page`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anonymous_id: Option<String>,
    /// The account, for `group`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_id: Option<String>,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub properties: Map<String, Value>,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub traits: Map<String, Value>,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub context: Map<String, Value>,
    #[serde(with = "iso_timestamp")]
    pub timestamp: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "iso_timestamp_option")]
    pub sent_at: Option<Timestamp>,
}

/// The longest id or name the collector accepts.
pub const NAME_MAX_BYTES: usize = 200;

/// What makes an event unacceptable.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error("{0}")]
    Shape(String),
    #[error("\"messageId\" must be a non-empty string of at most 200 bytes")]
    MessageId,
    #[error("a \"track\" event needs an \"event\" name of 1 to 200 bytes")]
    TrackName,
    #[error("a \"group\" event needs a \"groupId\" of 1 to 200 bytes")]
    GroupId,
    #[error("an event needs a \"userId\" or an \"anonymousId\" of 1 to 200 bytes")]
    Identity,
    #[error("ids and names may not contain the NUL character")]
    Nul,
}

fn is_present_name(value: Option<&str>) -> bool {
    value.is_some_and(|text| !text.is_empty() && text.len() <= NAME_MAX_BYTES)
}

impl Event {
    /// Reads an event from JSON, refusing one the collector should not store.
    pub fn from_json(value: Value) -> Result<Event, EventError> {
        let event: Event = serde_json::from_value(value).map_err(|error| EventError::Shape(error.to_string()))?;
        event.check()?;
        Ok(event)
    }

    /// The checks beyond the shape: ids present and of sane length, names where the type needs them.
    pub fn check(&self) -> Result<(), EventError> {
        if !is_present_name(Some(&self.message_id)) {
            return Err(EventError::MessageId);
        }
        let user = self.user_id.as_deref().filter(|id| !id.is_empty());
        let anonymous = self.anonymous_id.as_deref().filter(|id| !id.is_empty());
        if !(is_present_name(user) || is_present_name(anonymous)) || user.is_some_and(|id| id.len() > NAME_MAX_BYTES) {
            return Err(EventError::Identity);
        }
        match self.event_type {
            EventType::Track if !is_present_name(self.event.as_deref()) => return Err(EventError::TrackName),
            EventType::Group if !is_present_name(self.group_id.as_deref()) => return Err(EventError::GroupId),
            _ => {}
        }
        // The columns events are stored in: PostgreSQL's text refuses a NUL.
        let columns = [
            Some(&self.message_id),
            self.event.as_ref(),
            self.user_id.as_ref(),
            self.anonymous_id.as_ref(),
            self.group_id.as_ref(),
        ];
        if columns.into_iter().flatten().any(|text| text.contains('\0')) {
            return Err(EventError::Nul);
        }
        Ok(())
    }
}

mod iso_timestamp {
    use super::{Timestamp, format_timestamp, parse_timestamp};
    use crate::quote::quoted;
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(at: &Timestamp, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format_timestamp(*at))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Timestamp, D::Error> {
        let text = String::deserialize(deserializer)?;
        parse_timestamp(&text)
            .map_err(|error| D::Error::custom(format_args!("invalid timestamp {}: {error}", quoted(&text))))
    }
}

mod iso_timestamp_option {
    use super::{Timestamp, format_timestamp, parse_timestamp};
    use crate::quote::quoted;
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(at: &Option<Timestamp>, serializer: S) -> Result<S::Ok, S::Error> {
        match at {
            Some(at) => serializer.serialize_str(&format_timestamp(*at)),
            None => serializer.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Timestamp>, D::Error> {
        let Some(text) = Option::<String>::deserialize(deserializer)? else { return Ok(None) };
        parse_timestamp(&text)
            .map(Some)
            .map_err(|error| D::Error::custom(format_args!("invalid timestamp {}: {error}", quoted(&text))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn track() -> Value {
        json!({
            "messageId": "01931d5e-8a00-7000-8000-000000000001",
            "type": "track",
            "event": "invoice.approved",
            "anonymousId": "a-1",
            "userId": "u-42",
            "properties": {"invoice_id": "INV-7", "manual": true},
            "context": {"library": {"name": "uptake", "version": "0.1.0"}},
            "timestamp": "2026-11-24T09:30:00.000Z",
            "sentAt": "2026-11-24T09:30:01.000Z"
        })
    }

    #[test]
    fn a_segment_track_event_round_trips() {
        let event = Event::from_json(track()).unwrap();
        assert_eq!(event.event_type, EventType::Track);
        assert_eq!(event.timestamp, parse_timestamp("2026-11-24T09:30:00Z").unwrap());
        assert_eq!(serde_json::to_value(&event).unwrap(), track());
    }

    #[test]
    fn events_without_what_their_type_needs_are_refused() {
        let mut value = track();
        value.as_object_mut().unwrap().remove("event");
        assert_eq!(Event::from_json(value), Err(EventError::TrackName));

        let mut value = track();
        value["userId"] = json!("");
        value["anonymousId"] = json!("");
        assert_eq!(Event::from_json(value), Err(EventError::Identity));

        let mut value = track();
        value["messageId"] = json!("");
        assert_eq!(Event::from_json(value), Err(EventError::MessageId));

        let mut value = track();
        value["type"] = json!("group");
        assert_eq!(Event::from_json(value), Err(EventError::GroupId));

        let mut value = track();
        value["event"] = json!("invoice\u{0}approved");
        assert_eq!(Event::from_json(value), Err(EventError::Nul));
    }

    #[test]
    fn shape_errors_say_what_is_wrong() {
        let mut value = track();
        value["type"] = json!("trak");
        let error = Event::from_json(value).unwrap_err().to_string();
        assert!(error.contains("unknown variant `trak`"), "{error}");

        let mut value = track();
        value["timestamp"] = json!("yesterday");
        let error = Event::from_json(value).unwrap_err().to_string();
        assert!(error.starts_with("invalid timestamp \"yesterday\""), "{error}");

        let mut value = track();
        value.as_object_mut().unwrap().remove("messageId");
        assert_eq!(Event::from_json(value).unwrap_err().to_string(), "missing field `messageId`");
    }
}
