//! What every store does the same way when it rebuilds the records: reads the stored events
//! back (each was checked when it arrived) and writes their new tags.

use uptake_core::event::Event;
use uptake_core::program::EventTags;

use super::StoreError;

/// Stored rows `(id, write key, JSON as received)` as events.
pub fn read_events(rows: &[(i64, String, String)]) -> Result<Vec<(i64, String, Event)>, StoreError> {
    rows.iter()
        .map(|(id, write_key, body)| {
            let value = serde_json::from_str(body)
                .map_err(|error| StoreError::Database(format!("stored event {id} is not JSON: {error}")))?;
            let event = Event::from_json(value)
                .map_err(|error| StoreError::Database(format!("stored event {id} is not an event: {error}")))?;
            Ok((*id, write_key.clone(), event))
        })
        .collect()
}

/// The tags as a store keeps them: `None` for an event that means nothing under the config.
pub fn tags_text(tags: &EventTags) -> Option<String> {
    (!tags.is_empty()).then(|| serde_json::to_string(tags).unwrap_or_default())
}
