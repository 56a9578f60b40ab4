//! Conditions: what must be true of the user for a rule (`when`, `audience`). What they did
//! (events with `where`, counts and windows; sequences; feature use), where they are (page,
//! element), who they are (traits of the user and the account, tenure), and where they stand in
//! the adoption model (level, recency, depth, barrier), combined with `all`, `any` and `not`.

use super::json::{Json, Object};
use serde::{Deserialize, Serialize};

use super::compare::Comparison;
use super::decode::{Decoder, IdKind};
use super::features::EventMatch;
#[cfg(test)]
use super::filter::OPERATOR_KEYS;
use super::filter::{PropertyFilter, ValueOperators};
use super::glob::PathGlob;
use crate::time::Window;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[serde(untagged)]
pub enum Condition {
    All(AllCondition),
    Any(AnyCondition),
    Not(NotCondition),
    Event(EventCondition),
    Sequence(SequenceCondition),
    Feature(FeatureCondition),
    Page(PageCondition),
    Element(ElementCondition),
    Trait(TraitCondition),
    AccountTrait(AccountTraitCondition),
    TenureDays(TenureCondition),
    Level(LevelCondition),
    Recency(RecencyCondition),
    Depth(DepthCondition),
    Barrier(BarrierCondition),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct AllCondition {
    pub all: Vec<Condition>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct AnyCondition {
    pub any: Vec<Condition>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct NotCondition {
    pub not: Box<Condition>,
}

/// `{"event": "invoice.approved", "where": {"manual": true}, "count": {"gte": 5}, "within":
/// "7d"}`: how often an event was tracked, within a window ending now or since the device
/// started watching it. Without `count`: at least once.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct EventCondition {
    pub event: String,
    #[serde(default, rename = "where", skip_serializing_if = "Option::is_none")]
    pub filter: Option<PropertyFilter>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<Comparison<u32>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub within: Option<Window>,
}

/// `{"sequence": ["invoice.opened", "invoice.approved"], "count": {"gte": 5}, "within": "7d"}`:
/// how often the steps happened in order, each completion inside the window ending now; `gap`
/// bounds the time between consecutive steps. Without `count`: at least once.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct SequenceCondition {
    pub sequence: Vec<EventMatch>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gap: Option<Window>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<Comparison<u32>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub within: Option<Window>,
}

/// `{"feature": "workflow.automation", "used": false, "within": "90d"}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct FeatureCondition {
    pub feature: String,
    #[serde(default = "yes")]
    pub used: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub within: Option<Window>,
}

fn yes() -> bool {
    true
}

/// `{"page": "/invoices/*"}`: the current path matches.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct PageCondition {
    pub page: PathGlob,
}

/// `{"element": "#new-automation"}`: an element matching the selector is on the page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ElementCondition {
    pub element: String,
}

/// `{"trait": "role", "eq": "admin"}`: a trait of the user from `identify`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
pub struct TraitCondition {
    #[serde(rename = "trait")]
    pub name: String,
    #[serde(flatten)]
    pub test: ValueOperators,
}

/// `{"account_trait": "plan", "in": ["pro", "enterprise"]}`: a trait of the account from `group`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
pub struct AccountTraitCondition {
    #[serde(rename = "account_trait")]
    pub name: String,
    #[serde(flatten)]
    pub test: ValueOperators,
}

/// `{"tenure_days": {"gte": 30}}`: days since the user signed up (trait `signed_up_at`, else
/// `created_at` or `createdAt`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct TenureCondition {
    pub tenure_days: Comparison<u32>,
}

/// `{"level": {"gte": 2}}`: the adoption level, 0 to 5.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct LevelCondition {
    pub level: Comparison<u32>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum RecencyClass {
    New,
    Active,
    AtRisk,
    Dormant,
}

impl RecencyClass {
    /// The class as the config writes it: "new", "active", "at_risk" or "dormant".
    pub fn name(self) -> &'static str {
        RECENCIES.iter().find(|(_, class)| *class == self).map_or("?", |(name, _)| name)
    }
}

/// One value, or a list of which any may match.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[serde(untagged)]
pub enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

/// `{"recency": "dormant"}` or `{"recency": ["active", "at_risk"]}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RecencyCondition {
    pub recency: OneOrMany<RecencyClass>,
}

/// `{"depth": {"lt": 0.3}}`: the share of applicable features used in the depth window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct DepthCondition {
    pub depth: Comparison<f64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Barrier {
    /// Never used, and its entry point never seen.
    Unaware,
    /// Entry point seen, never used.
    Stuck,
    /// Used, but not lately.
    Unconvinced,
    /// Used lately.
    None,
}

impl Barrier {
    /// The barrier as the config writes it: "unaware", "stuck", "unconvinced" or "none".
    pub fn as_str(self) -> &'static str {
        match self {
            Barrier::Unaware => "unaware",
            Barrier::Stuck => "stuck",
            Barrier::Unconvinced => "unconvinced",
            Barrier::None => "none",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct BarrierTest {
    pub feature: String,
    pub is: OneOrMany<Barrier>,
}

/// `{"barrier": {"feature": "workflow.automation", "is": "unaware"}}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct BarrierCondition {
    pub barrier: BarrierTest,
}

/// The most steps a sequence may have.
pub const SEQUENCE_MAX_STEPS: usize = 8;
/// The largest count a rule may compare with: the device keeps that many timestamps.
pub const COUNT_MAX: u32 = 1000;
/// How deep `all`/`any`/`not` may nest.
const CONDITION_MAX_DEPTH: usize = 32;

pub(crate) const CONDITION_EXPECTED: &str = "a condition: an object with one of \"all\", \"any\", \"not\", \"event\", \"sequence\", \"feature\", \"page\", \"element\", \"trait\", \"account_trait\", \"tenure_days\", \"level\", \"recency\", \"depth\" or \"barrier\"";

const COUNT_EXPECTED: &str = "a whole number from 0 to 1000";

impl Decoder {
    fn window_option(&mut self, map: &Object<'_>, key: &'static str) -> Option<Option<Window>> {
        self.with_default(map, key, None, |d, v| d.window(v).map(Some))
    }

    fn count_option(&mut self, map: &Object<'_>) -> Option<Option<Comparison<u32>>> {
        self.with_default(map, "count", None, |d, v| d.whole_comparison(v, COUNT_MAX, COUNT_EXPECTED).map(Some))
    }

    fn conditions(&mut self, value: &Json<'_>, depth: usize) -> Option<Vec<Condition>> {
        let conditions = self.list(value, "a list of conditions", |d, item| d.condition_at_depth(item, depth + 1))?;
        if conditions.is_empty() {
            return self.expected("at least one condition", value);
        }
        Some(conditions)
    }

    pub(crate) fn condition(&mut self, value: &Json<'_>) -> Option<Condition> {
        self.condition_at_depth(value, 0)
    }

    fn condition_at_depth(&mut self, value: &Json<'_>, depth: usize) -> Option<Condition> {
        let Json::Object(map) = value else {
            return self.expected(CONDITION_EXPECTED, value);
        };
        if depth >= CONDITION_MAX_DEPTH {
            return self.expected("conditions nested at most 32 deep", value);
        }
        let has = |key: &str| map.contains_key(key);
        if has("all") {
            self.object(value, CONDITION_EXPECTED, &["all"])?;
            let all = self.required(map, "all", |d, v| d.conditions(v, depth))?;
            return Some(Condition::All(AllCondition { all }));
        }
        if has("any") {
            self.object(value, CONDITION_EXPECTED, &["any"])?;
            let any = self.required(map, "any", |d, v| d.conditions(v, depth))?;
            return Some(Condition::Any(AnyCondition { any }));
        }
        if has("not") {
            self.object(value, CONDITION_EXPECTED, &["not"])?;
            let not = self.required(map, "not", |d, v| d.condition_at_depth(v, depth + 1))?;
            return Some(Condition::Not(NotCondition { not: Box::new(not) }));
        }
        if has("event") {
            self.object(value, CONDITION_EXPECTED, &["event", "where", "count", "within"])?;
            let event = self.required(map, "event", Decoder::name);
            let filter = self.with_default(map, "where", None, |d, v| d.property_filter(v).map(Some));
            let count = self.count_option(map);
            let within = self.window_option(map, "within");
            return Some(Condition::Event(EventCondition {
                event: event?,
                filter: filter?,
                count: count?,
                within: within?,
            }));
        }
        if has("sequence") {
            self.object(value, CONDITION_EXPECTED, &["sequence", "gap", "count", "within"])?;
            let sequence = self.required(map, "sequence", |d, v| {
                let steps = d.list(v, "a list of 2 to 8 events", Decoder::event_match)?;
                if !(2..=SEQUENCE_MAX_STEPS).contains(&steps.len()) {
                    return d.expected("a list of 2 to 8 events", v);
                }
                Some(steps)
            });
            let gap = self.window_option(map, "gap");
            let count = self.count_option(map);
            let within = self.window_option(map, "within");
            return Some(Condition::Sequence(SequenceCondition {
                sequence: sequence?,
                gap: gap?,
                count: count?,
                within: within?,
            }));
        }
        if has("feature") {
            self.object(value, CONDITION_EXPECTED, &["feature", "used", "within"])?;
            let feature = self.required(map, "feature", |d, v| d.reference(v, IdKind::Feature));
            let used = self.with_default(map, "used", true, Decoder::boolean);
            let within = self.window_option(map, "within");
            return Some(Condition::Feature(FeatureCondition { feature: feature?, used: used?, within: within? }));
        }
        if has("page") {
            self.object(value, CONDITION_EXPECTED, &["page"])?;
            let page = self.required(map, "page", |d, v| match v.as_str().map(PathGlob::parse) {
                Some(Ok(glob)) => Some(glob),
                Some(Err(error)) => {
                    let message: &'static str = match error {
                        super::glob::GlobError::NotAPath => "a path glob starting with \"/\", such as \"/invoices/*\"",
                        super::glob::GlobError::BadCharacter => {
                            "a path glob without spaces, \"#\" outside a \"#/\" hash route, or more than two \"*\" in a row"
                        }
                    };
                    d.expected(message, v)
                }
                None => d.expected("a path glob such as \"/invoices/*\"", v),
            })?;
            return Some(Condition::Page(PageCondition { page }));
        }
        if has("element") {
            self.object(value, CONDITION_EXPECTED, &["element"])?;
            let element = self.required(map, "element", Decoder::selector)?;
            return Some(Condition::Element(ElementCondition { element }));
        }
        if has("trait") || has("account_trait") {
            let (key, known) = if has("trait") { ("trait", TRAIT_KEYS) } else { ("account_trait", ACCOUNT_TRAIT_KEYS) };
            self.object(value, CONDITION_EXPECTED, known)?;
            let name = self.required(map, key, Decoder::name);
            let test = self.value_operators(value, map, 1);
            return Some(if key == "trait" {
                Condition::Trait(TraitCondition { name: name?, test: test? })
            } else {
                Condition::AccountTrait(AccountTraitCondition { name: name?, test: test? })
            });
        }
        if has("tenure_days") {
            self.object(value, CONDITION_EXPECTED, &["tenure_days"])?;
            let tenure_days = self.required(map, "tenure_days", |d, v| {
                d.whole_comparison(v, 100_000, "a whole number of days from 0 to 100000")
            })?;
            return Some(Condition::TenureDays(TenureCondition { tenure_days }));
        }
        if has("level") {
            self.object(value, CONDITION_EXPECTED, &["level"])?;
            let level = self.required(map, "level", |d, v| d.whole_comparison(v, 5, "a level from 0 to 5"))?;
            return Some(Condition::Level(LevelCondition { level }));
        }
        if has("recency") {
            self.object(value, CONDITION_EXPECTED, &["recency"])?;
            let recency = self.required(map, "recency", |d, v| d.one_or_many(v, RECENCIES, RECENCY_EXPECTED))?;
            return Some(Condition::Recency(RecencyCondition { recency }));
        }
        if has("depth") {
            self.object(value, CONDITION_EXPECTED, &["depth"])?;
            let depth = self.required(map, "depth", |d, v| {
                let comparison = d.comparison(v, |d, v| d.share(v, 0.0, 1.0, "a share from 0 to 1"))?;
                if !comparison.is_satisfiable_within(0.0, 1.0) {
                    return d.expected("a comparison that some depth from 0 to 1 can meet", v);
                }
                Some(comparison)
            })?;
            return Some(Condition::Depth(DepthCondition { depth }));
        }
        if has("barrier") {
            self.object(value, CONDITION_EXPECTED, &["barrier"])?;
            let barrier = self.required(map, "barrier", |d, v| {
                let map = d.object(v, "{\"feature\": \"...\", \"is\": \"unaware\"}", &["feature", "is"])?;
                let feature = d.required(map, "feature", |d, v| d.reference(v, IdKind::Feature));
                let is = d.required(map, "is", |d, v| d.one_or_many(v, BARRIERS, BARRIER_EXPECTED));
                Some(BarrierTest { feature: feature?, is: is? })
            })?;
            return Some(Condition::Barrier(BarrierCondition { barrier }));
        }
        self.expected(CONDITION_EXPECTED, value)
    }

    fn one_or_many<T: Copy>(
        &mut self,
        value: &Json<'_>,
        words: &[(&str, T)],
        expected: &'static str,
    ) -> Option<OneOrMany<T>> {
        match value {
            Json::Array(items) if !items.is_empty() => {
                self.list(value, expected, |d, v| d.one_of(v, words, expected)).map(OneOrMany::Many)
            }
            Json::Array(_) => self.expected(expected, value),
            _ => self.one_of(value, words, expected).map(OneOrMany::One),
        }
    }
}

/// A trait condition's keys: its name, then the value operators (`OPERATOR_KEYS`).
const TRAIT_KEYS: &[&str] =
    &["trait", "eq", "ne", "in", "not_in", "gt", "gte", "lt", "lte", "before", "after", "exists"];
const ACCOUNT_TRAIT_KEYS: &[&str] =
    &["account_trait", "eq", "ne", "in", "not_in", "gt", "gte", "lt", "lte", "before", "after", "exists"];

const RECENCIES: &[(&str, RecencyClass)] = &[
    ("new", RecencyClass::New),
    ("active", RecencyClass::Active),
    ("at_risk", RecencyClass::AtRisk),
    ("dormant", RecencyClass::Dormant),
];
const RECENCY_EXPECTED: &str = "\"new\", \"active\", \"at_risk\" or \"dormant\", or a list of them";

const BARRIERS: &[(&str, Barrier)] = &[
    ("unaware", Barrier::Unaware),
    ("stuck", Barrier::Stuck),
    ("unconvinced", Barrier::Unconvinced),
    ("none", Barrier::None),
];
const BARRIER_EXPECTED: &str = "\"unaware\", \"stuck\", \"unconvinced\" or \"none\", or a list of them";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn barriers_are_written_as_the_config_reads_them() {
        for (name, barrier) in BARRIERS {
            assert_eq!(barrier.as_str(), *name);
        }
    }

    #[test]
    fn trait_conditions_take_every_value_operator() {
        assert_eq!(&TRAIT_KEYS[1..], OPERATOR_KEYS);
        assert_eq!(&ACCOUNT_TRAIT_KEYS[1..], OPERATOR_KEYS);
    }
}
