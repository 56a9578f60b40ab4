//! `checklists`: onboarding lists whose items are completed by real use of a feature (from the
//! adoption model), not by ticking them; an item may start a tour.

use super::json::Json;
use serde::{Deserialize, Serialize};

use super::decode::{Decoder, IdKind};
use super::text::Text;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ChecklistItem {
    pub id: String,
    pub label: Text,
    /// Done once this catalog feature has been used.
    pub feature: String,
    /// A tour that shows how.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tour: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Checklist {
    pub id: String,
    pub title: Text,
    #[cfg_attr(any(test, feature = "schema"), schemars(length(min = 1, max = 20)))]
    pub items: Vec<ChecklistItem>,
}

impl Decoder {
    fn checklist_item(&mut self, value: &Json<'_>) -> Option<ChecklistItem> {
        let map = self.object(
            value,
            "an item: an object with \"id\", \"label\" and \"feature\"",
            &["id", "label", "feature", "tour"],
        )?;
        let id = self.required(map, "id", Decoder::name);
        let label = self.required(map, "label", Decoder::text);
        let feature = self.required(map, "feature", |d, v| d.reference(v, IdKind::Feature));
        let tour = self.with_default(map, "tour", None, |d, v| d.reference(v, IdKind::Tour).map(Some));
        Some(ChecklistItem { id: id?, label: label?, feature: feature?, tour: tour? })
    }

    pub(crate) fn checklist(&mut self, value: &Json<'_>) -> Option<Checklist> {
        let map = self.object(
            value,
            "a checklist: an object with \"id\", \"title\" and \"items\"",
            &["id", "title", "items"],
        )?;
        let id = self.required(map, "id", Decoder::name);
        let title = self.required(map, "title", Decoder::text);
        let items = self.required(map, "items", |d, v| {
            let items = d.list(v, "a list of 1 to 20 items", Decoder::checklist_item)?;
            if items.is_empty() || items.len() > 20 {
                return d.expected("a list of 1 to 20 items", v);
            }
            Some(items)
        });
        Some(Checklist { id: id?, title: title?, items: items? })
    }
}
