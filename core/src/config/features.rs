//! `features`: the catalog of what the product offers and which tracked events count as using
//! each feature.

use serde_json::Value;

use super::decode::Decoder;

/// One feature of the catalog.
#[derive(Clone, Debug, PartialEq)]
pub struct FeatureDefinition {
    pub id: String,
    /// The name shown to people (dashboards, previews).
    pub name: String,
    /// Tracked events that count as a use of this feature. A click on an element marked
    /// `data-uptake-feature="<id>"` counts too, whatever this list says.
    pub events: Vec<String>,
}

pub(crate) fn decode_feature(decoder: &mut Decoder, value: &Value) -> Option<FeatureDefinition> {
    let map = decoder.object(
        value,
        "a feature: an object with \"id\", \"name\" and \"events\"",
        &["id", "name", "events"],
    )?;
    let id = decoder.required(map, "id", Decoder::name);
    let name = decoder.required(map, "name", Decoder::name);
    let events =
        decoder.with_default(map, "events", Vec::new(), |d, v| d.list(v, "a list of event names", Decoder::name));
    Some(FeatureDefinition { id: id?, name: name?, events: events? })
}
