//! Events in the shape of the Segment spec (track, identify, page, group), as the SDK sends
//! them and the collector stores them, and the checks the collector applies to each one.

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::iso8601::{format_timestamp, parse_timestamp};
use crate::json_writer::{FloatWriter, write_object, write_string};
use crate::time::Timestamp;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
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

/// One event. Fields follow the Segment spec's names on the wire (camelCase). The SDK writes it
/// with `to_json_text`; the collector reads it with the derived `Deserialize`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    /// A UUIDv7 given when the event is made and never changed, so a retry can be recognised.
    pub message_id: String,
    #[serde(rename = "type")]
    pub event_type: EventType,
    /// The event name, for `track`.
    #[serde(default)]
    pub event: Option<String>,
    /// The page name, for `page`.
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default)]
    pub anonymous_id: Option<String>,
    /// The account, for `group`.
    #[serde(default)]
    pub group_id: Option<String>,
    #[serde(default)]
    pub properties: Map<String, Value>,
    #[serde(default)]
    pub traits: Map<String, Value>,
    #[serde(default)]
    pub context: Map<String, Value>,
    #[serde(deserialize_with = "iso_timestamp")]
    pub timestamp: Timestamp,
    #[serde(default, deserialize_with = "iso_timestamp_option")]
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

    /// The event as the JSON the SDK sends: the fields in the order of the struct, those that are
    /// absent or empty left out, floats written with `write_float`.
    pub fn to_json_text(&self, write_float: FloatWriter) -> String {
        let mut out = String::with_capacity(256);
        out.push('{');
        let key = |out: &mut String, name: &str| {
            if out.len() > 1 {
                out.push(',');
            }
            write_string(out, name);
            out.push(':');
        };
        key(&mut out, "messageId");
        write_string(&mut out, &self.message_id);
        key(&mut out, "type");
        write_string(&mut out, self.event_type.as_str());
        let texts = [
            ("event", &self.event),
            ("name", &self.name),
            ("userId", &self.user_id),
            ("anonymousId", &self.anonymous_id),
            ("groupId", &self.group_id),
        ];
        for (name, text) in texts {
            if let Some(text) = text {
                key(&mut out, name);
                write_string(&mut out, text);
            }
        }
        for (name, map) in [("properties", &self.properties), ("traits", &self.traits), ("context", &self.context)] {
            if !map.is_empty() {
                key(&mut out, name);
                write_object(&mut out, map, write_float);
            }
        }
        for (name, at) in [("timestamp", Some(self.timestamp)), ("sentAt", self.sent_at)] {
            if let Some(at) = at {
                key(&mut out, name);
                write_string(&mut out, &format_timestamp(at));
            }
        }
        out.push('}');
        out
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

/// An ISO 8601 timestamp, as events carry them.
fn iso_timestamp<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Timestamp, D::Error> {
    timestamp_from(&String::deserialize(deserializer)?)
}

fn iso_timestamp_option<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<Timestamp>, D::Error> {
    Option::<String>::deserialize(deserializer)?.map(|text| timestamp_from(&text)).transpose()
}

fn timestamp_from<E: serde::de::Error>(text: &str) -> Result<Timestamp, E> {
    parse_timestamp(text)
        .map_err(|error| E::custom(format_args!("invalid timestamp {}: {error}", crate::quote::quoted(text))))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;
    use crate::json_reader::{self, tests::json_values};
    use crate::json_writer::serde_float;

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
        let text = event.to_json_text(serde_float);
        assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), track());
    }

    #[test]
    fn an_event_is_written_with_its_fields_in_order_and_the_empty_ones_left_out() {
        let event = Event::from_json(track()).unwrap();
        assert_eq!(
            event.to_json_text(serde_float),
            concat!(
                r#"{"messageId":"01931d5e-8a00-7000-8000-000000000001","type":"track","event":"invoice.approved","#,
                r#""userId":"u-42","anonymousId":"a-1","properties":{"invoice_id":"INV-7","manual":true},"#,
                r#""context":{"library":{"name":"uptake","version":"0.1.0"}},"#,
                r#""timestamp":"2026-11-24T09:30:00.000Z","sentAt":"2026-11-24T09:30:01.000Z"}"#
            )
        );
    }

    fn maps() -> impl Strategy<Value = Map<String, Value>> {
        prop::collection::vec((any::<String>(), json_values()), 0..4).prop_map(|entries| entries.into_iter().collect())
    }

    proptest! {
        /// Whatever the SDK writes, the collector reads back as the same event.
        #[test]
        fn what_is_written_reads_back_as_the_same_event(
            event_type in prop_oneof![Just(EventType::Track), Just(EventType::Identify), Just(EventType::Page), Just(EventType::Group)],
            texts in prop::collection::vec(prop::option::of(any::<String>()), 5),
            properties in maps(),
            traits in maps(),
            context in maps(),
            millis in 0i64..4_102_444_800_000,
            sent_after in prop::option::of(0i64..10_000),
        ) {
            let event = Event {
                message_id: "01931d5e-8a00-7000-8000-000000000001".to_owned(),
                event_type,
                event: texts[0].clone(),
                name: texts[1].clone(),
                user_id: texts[2].clone(),
                anonymous_id: texts[3].clone(),
                group_id: texts[4].clone(),
                properties,
                traits,
                context,
                timestamp: Timestamp::from_millis(millis),
                sent_at: sent_after.map(|after| Timestamp::from_millis(millis + after)),
            };
            // Read with floats parsed exactly (serde_json's own parser may be a unit off in the
            // last place without its `float_roundtrip` feature).
            let read = json_reader::parse(&event.to_json_text(serde_float), |number| number.parse().ok()).unwrap();
            prop_assert_eq!(serde_json::from_value::<Event>(read).unwrap(), event);
        }
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
