//! `features`: the catalog of what the product offers: which tracked events count as using each
//! feature, whether it is the activation step, its category, whom it applies to, and its entry
//! point (to tell users who never saw a feature from those who saw it and did not use it).

use super::json::Json;
use serde::{Deserialize, Serialize};

use super::decode::Decoder;
use super::filter::PropertyFilter;

/// An event, optionally only when its properties pass a `where`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[serde(untagged)]
pub enum EventMatch {
    Name(String),
    Filtered(FilteredEvent),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct FilteredEvent {
    pub event: String,
    #[serde(rename = "where")]
    pub filter: PropertyFilter,
}

impl EventMatch {
    pub fn event(&self) -> &str {
        match self {
            EventMatch::Name(name) => name,
            EventMatch::Filtered(filtered) => &filtered.event,
        }
    }

    pub fn filter(&self) -> Option<&PropertyFilter> {
        match self {
            EventMatch::Name(_) => None,
            EventMatch::Filtered(filtered) => Some(&filtered.filter),
        }
    }
}

/// Adoption targets differ by tier: core 70-90% of active users, advanced 30-50%,
/// specialized 10-30%.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    Core,
    Advanced,
    Specialized,
}

/// What the feature does for the business.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Impact {
    Value,
    Sticky,
    Expansion,
    Differentiator,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Category {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<Tier>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub impact: Option<Impact>,
}

/// Where a user meets the feature: an event (opening its page) or an element on the page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[serde(untagged)]
pub enum EntryPoint {
    Event(EventEntryPoint),
    Selector(SelectorEntryPoint),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct EventEntryPoint {
    pub event: EventMatch,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct SelectorEntryPoint {
    /// A CSS selector; seen when an element matching it is on the page.
    pub selector: String,
}

/// One feature of the catalog.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct FeatureDefinition {
    pub id: String,
    /// The name shown to people (dashboards, previews).
    pub name: String,
    /// Tracked events that count as a use. A click on an element marked
    /// `data-uptake-feature="<id>"` counts too.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<EventMatch>,
    /// The first meaningful action (adoption level 1).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub activation: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<Category>,
    /// The user roles it applies to (trait `role` or `roles`); all when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    /// The plans it applies to (trait `plan` of the account, else of the user); all when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub plans: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry_point: Option<EntryPoint>,
}

const EVENT_MATCH_EXPECTED: &str = "an event name, or {\"event\": \"name\", \"where\": {...}}";

impl Decoder {
    /// An event name, or an event with a `where`.
    pub(crate) fn event_match(&mut self, value: &Json<'_>) -> Option<EventMatch> {
        match value {
            Json::String(_) => self.name(value).map(EventMatch::Name),
            Json::Object(_) => {
                let map = self.object(value, EVENT_MATCH_EXPECTED, &["event", "where"])?;
                let event = self.required(map, "event", Decoder::name);
                let filter = self.required(map, "where", Decoder::property_filter);
                Some(EventMatch::Filtered(FilteredEvent { event: event?, filter: filter? }))
            }
            other => self.expected(EVENT_MATCH_EXPECTED, other),
        }
    }

    /// A CSS selector: non-empty, one line, at most 500 characters. Its syntax is the browser's
    /// to judge; the SDK warns about one it cannot use.
    pub(crate) fn selector(&mut self, value: &Json<'_>) -> Option<String> {
        match value {
            Json::String(text)
                if !text.trim().is_empty() && text.len() <= 500 && !text.chars().any(char::is_control) =>
            {
                Some(text.to_string())
            }
            other => self.expected("a CSS selector such as \"#new-automation\"", other),
        }
    }

    fn names(&mut self, value: &Json<'_>) -> Option<Vec<String>> {
        self.list(value, "a list of names", Decoder::name)
    }

    fn category(&mut self, value: &Json<'_>) -> Option<Category> {
        let map = self.object(
            value,
            "a category such as {\"tier\": \"advanced\", \"impact\": \"sticky\"}",
            &["tier", "impact"],
        )?;
        let tier = self.with_default(map, "tier", None, |d, v| {
            d.one_of(
                v,
                &[("core", Tier::Core), ("advanced", Tier::Advanced), ("specialized", Tier::Specialized)],
                "\"core\", \"advanced\" or \"specialized\"",
            )
            .map(Some)
        });
        let impact = self.with_default(map, "impact", None, |d, v| {
            let impacts = [
                ("value", Impact::Value),
                ("sticky", Impact::Sticky),
                ("expansion", Impact::Expansion),
                ("differentiator", Impact::Differentiator),
            ];
            d.one_of(v, &impacts, "\"value\", \"sticky\", \"expansion\" or \"differentiator\"").map(Some)
        });
        Some(Category { tier: tier?, impact: impact? })
    }

    fn entry_point(&mut self, value: &Json<'_>) -> Option<EntryPoint> {
        const EXPECTED: &str = "{\"event\": ...} or {\"selector\": \"...\"}";
        let map = self.object(value, EXPECTED, &["event", "selector"])?;
        match (map.get("event"), map.get("selector")) {
            (Some(_), None) => {
                let event = self.required(map, "event", Decoder::event_match)?;
                Some(EntryPoint::Event(EventEntryPoint { event }))
            }
            (None, Some(_)) => {
                let selector = self.required(map, "selector", Decoder::selector)?;
                Some(EntryPoint::Selector(SelectorEntryPoint { selector }))
            }
            _ => self.expected(EXPECTED, value),
        }
    }

    pub(crate) fn feature(&mut self, value: &Json<'_>) -> Option<FeatureDefinition> {
        const KEYS: &[&str] = &["id", "name", "events", "activation", "category", "roles", "plans", "entry_point"];
        let map = self.object(value, "a feature: an object with \"id\", \"name\" and \"events\"", KEYS)?;
        let id = self.required(map, "id", Decoder::name);
        let name = self.required(map, "name", Decoder::name);
        let events =
            self.with_default(map, "events", Vec::new(), |d, v| d.list(v, "a list of events", Decoder::event_match));
        let activation = self.with_default(map, "activation", false, Decoder::boolean);
        let category = self.with_default(map, "category", None, |d, v| d.category(v).map(Some));
        let roles = self.with_default(map, "roles", Vec::new(), Decoder::names);
        let plans = self.with_default(map, "plans", Vec::new(), Decoder::names);
        let entry_point = self.with_default(map, "entry_point", None, |d, v| d.entry_point(v).map(Some));
        Some(FeatureDefinition {
            id: id?,
            name: name?,
            events: events?,
            activation: activation?,
            category: category?,
            roles: roles?,
            plans: plans?,
            entry_point: entry_point?,
        })
    }
}
