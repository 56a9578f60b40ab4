//! `rules`: when to show what. A rule is a condition (`when`) over what the user did, recorded on
//! the device, and what to show when it holds (`show`). Conditions combine with `all`, `any` and
//! `not`.

use serde_json::Value;

use super::decode::{Decoder, IdKind};
use super::error::ConfigProblem;
use crate::time::Window;

#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    pub id: String,
    pub when: Condition,
    pub show: Show,
    /// When several rules hold at once, the highest priority wins; ties go to the earlier rule.
    pub priority: i32,
}

/// What a rule shows, by id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Show {
    Prompt(String),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Condition {
    All(Vec<Condition>),
    Any(Vec<Condition>),
    Not(Box<Condition>),
    Event(EventCondition),
    Feature(FeatureCondition),
}

/// `{"event": "invoice.approved", "count": {"gte": 5}, "within": "7d"}`: how often an event was
/// tracked, ever or within a window that ends now.
#[derive(Clone, Debug, PartialEq)]
pub struct EventCondition {
    pub event: String,
    pub count: CountRange,
    pub within: Option<Window>,
}

/// `{"feature": "workflow.automation", "used": false, "within": "90d"}`: whether a catalog
/// feature was used, ever or within a window that ends now.
#[derive(Clone, Debug, PartialEq)]
pub struct FeatureCondition {
    pub feature: String,
    pub used: bool,
    pub within: Option<Window>,
}

/// An inclusive range of counts, from a comparison such as `{"gte": 5}` or `{"gt": 1, "lte": 3}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CountRange {
    pub min: u32,
    pub max: Option<u32>,
}

impl CountRange {
    /// At least once: the meaning of an event condition without `count`.
    pub const AT_LEAST_ONCE: CountRange = CountRange { min: 1, max: None };

    pub fn contains(self, count: u64) -> bool {
        count >= u64::from(self.min) && self.max.is_none_or(|max| count <= u64::from(max))
    }

    /// How many of the latest occurrences must be remembered to decide this range within a
    /// window: `min` to see that it is reached, one more than `max` to see that it is passed.
    pub fn occurrences_needed(self) -> u32 {
        self.max.map_or(self.min, |max| max.saturating_add(1))
    }
}

/// The largest count a rule may compare with. The device keeps that many timestamps of each
/// event a rule watches, so the bound keeps the stored state small.
pub const COUNT_MAX: u32 = 1000;

/// How deep `all`/`any`/`not` may nest.
const CONDITION_MAX_DEPTH: usize = 32;

const CONDITION_EXPECTED: &str =
    "a condition: an object with one of \"all\", \"any\", \"not\", \"event\" or \"feature\"";

pub(crate) fn decode_rule(decoder: &mut Decoder, value: &Value) -> Option<Rule> {
    let map = decoder.object(
        value,
        "a rule: an object with \"id\", \"when\" and \"show\"",
        &["id", "when", "show", "priority"],
    )?;
    let id = decoder.required(map, "id", Decoder::name);
    let when = decoder.required(map, "when", |d, v| decode_condition(d, v, 0));
    let show = decoder.required(map, "show", decode_show);
    let priority = decoder.with_default(map, "priority", 0, |d, v| {
        d.integer(v, -1000, 1000, "a whole number from -1000 to 1000").and_then(|n| i32::try_from(n).ok())
    });
    Some(Rule { id: id?, when: when?, show: show?, priority: priority? })
}

fn decode_show(decoder: &mut Decoder, value: &Value) -> Option<Show> {
    let map = decoder.object(value, "what to show, such as {\"prompt\": \"a-prompt-id\"}", &["prompt"])?;
    let id = decoder.required(map, "prompt", |d, v| {
        let id = d.name(v)?;
        d.refer(IdKind::Prompt, &id);
        Some(id)
    })?;
    Some(Show::Prompt(id))
}

fn decode_condition(decoder: &mut Decoder, value: &Value, depth: usize) -> Option<Condition> {
    let Value::Object(map) = value else {
        return decoder.expected(CONDITION_EXPECTED, value);
    };
    if depth >= CONDITION_MAX_DEPTH {
        return decoder.expected("conditions nested at most 32 deep", value);
    }
    if map.contains_key("all") || map.contains_key("any") {
        let key = if map.contains_key("all") { "all" } else { "any" };
        let known: &'static [&'static str] = if key == "all" { &["all"] } else { &["any"] };
        decoder.object(value, CONDITION_EXPECTED, known)?;
        let conditions = decoder.required(map, key, |d, list| {
            let conditions = d.list(list, "a list of conditions", |d, item| decode_condition(d, item, depth + 1))?;
            if conditions.is_empty() {
                return d.expected("at least one condition", list);
            }
            Some(conditions)
        })?;
        return Some(if key == "all" { Condition::All(conditions) } else { Condition::Any(conditions) });
    }
    if map.contains_key("not") {
        decoder.object(value, CONDITION_EXPECTED, &["not"])?;
        let inner = decoder.required(map, "not", |d, v| decode_condition(d, v, depth + 1))?;
        return Some(Condition::Not(Box::new(inner)));
    }
    if map.contains_key("event") {
        return decode_event_condition(decoder, value).map(Condition::Event);
    }
    if map.contains_key("feature") {
        return decode_feature_condition(decoder, value).map(Condition::Feature);
    }
    decoder.expected(CONDITION_EXPECTED, value)
}

fn decode_event_condition(decoder: &mut Decoder, value: &Value) -> Option<EventCondition> {
    let map = decoder.object(value, CONDITION_EXPECTED, &["event", "count", "within"])?;
    let event = decoder.required(map, "event", Decoder::name);
    let count = decoder.with_default(map, "count", CountRange::AT_LEAST_ONCE, decode_count_range);
    let within = decoder.with_default(map, "within", None, |d, v| d.window(v).map(Some));
    Some(EventCondition { event: event?, count: count?, within: within? })
}

fn decode_feature_condition(decoder: &mut Decoder, value: &Value) -> Option<FeatureCondition> {
    let map = decoder.object(value, CONDITION_EXPECTED, &["feature", "used", "within"])?;
    let feature = decoder.required(map, "feature", |d, v| {
        let id = d.name(v)?;
        d.refer(IdKind::Feature, &id);
        Some(id)
    });
    let used = decoder.with_default(map, "used", true, Decoder::boolean);
    let within = decoder.with_default(map, "within", None, |d, v| d.window(v).map(Some));
    Some(FeatureCondition { feature: feature?, used: used?, within: within? })
}

const COMPARISON_KEYS: &[&str] = &["gte", "gt", "lte", "lt", "eq"];

/// `{"gte": 5}`, `{"lte": 3}`, `{"eq": 2}`, `{"gt": 1, "lt": 4}`... into one inclusive range.
fn decode_count_range(decoder: &mut Decoder, value: &Value) -> Option<CountRange> {
    const EXPECTED: &str = "a comparison such as {\"gte\": 5}, with gte, gt, lte, lt or eq";
    let map = decoder.object(value, EXPECTED, COMPARISON_KEYS)?;
    if !COMPARISON_KEYS.iter().any(|key| map.contains_key(*key)) {
        return decoder.expected(EXPECTED, value);
    }
    let bound = |d: &mut Decoder, v: &Value| {
        d.integer(v, 0, i64::from(COUNT_MAX), "a whole number from 0 to 1000").and_then(|n| u32::try_from(n).ok())
    };
    let mut min = 0u32;
    let mut max: Option<u32> = None;
    let mut valid = true;
    for &key in COMPARISON_KEYS {
        let Some(raw) = map.get(key) else { continue };
        let Some(number) = decoder.in_key(key, |d| bound(d, raw)) else {
            valid = false;
            continue;
        };
        let (low, high) = match key {
            "gte" => (Some(number), None),
            "gt" => (Some(number.saturating_add(1)), None),
            "lte" => (None, Some(number)),
            "lt" => match number.checked_sub(1) {
                Some(high) => (None, Some(high)),
                None => {
                    decoder.in_key(key, |d| {
                        d.report(ConfigProblem::Expected {
                            expected: "a count above 0 (no count is below 0)",
                            found: "0".to_owned(),
                        })
                    });
                    valid = false;
                    continue;
                }
            },
            _ => (Some(number), Some(number)),
        };
        min = min.max(low.unwrap_or(0));
        max = match (max, high) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
    if !valid {
        return None;
    }
    if max.is_some_and(|max| max < min) {
        return decoder.expected("a comparison that some count can meet", value);
    }
    Some(CountRange { min, max })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn count_range(value: Value) -> Result<CountRange, Vec<String>> {
        let mut decoder = Decoder::default();
        let result = decoder.in_key("count", |d| decode_count_range(d, &value));
        let errors: Vec<String> = decoder.into_errors().iter().map(ToString::to_string).collect();
        result.ok_or(errors)
    }

    #[test]
    fn comparisons_become_inclusive_ranges() {
        assert_eq!(count_range(json!({"gte": 5})), Ok(CountRange { min: 5, max: None }));
        assert_eq!(count_range(json!({"gt": 5})), Ok(CountRange { min: 6, max: None }));
        assert_eq!(count_range(json!({"lte": 3})), Ok(CountRange { min: 0, max: Some(3) }));
        assert_eq!(count_range(json!({"lt": 3})), Ok(CountRange { min: 0, max: Some(2) }));
        assert_eq!(count_range(json!({"eq": 2})), Ok(CountRange { min: 2, max: Some(2) }));
        assert_eq!(count_range(json!({"gt": 1, "lte": 4})), Ok(CountRange { min: 2, max: Some(4) }));
    }

    #[test]
    fn bad_comparisons_name_the_place() {
        assert_eq!(
            count_range(json!({"gte": "five"})),
            Err(vec!["count.gte: expected a whole number from 0 to 1000, found \"five\"".to_owned()])
        );
        assert_eq!(
            count_range(json!("five")),
            Err(vec![
                "count: expected a comparison such as {\"gte\": 5}, with gte, gt, lte, lt or eq, found \"five\""
                    .to_owned()
            ])
        );
        assert_eq!(count_range(json!({})).unwrap_err().len(), 1);
        assert_eq!(
            count_range(json!({"gte": 1.5})).unwrap_err()[0],
            "count.gte: expected a whole number from 0 to 1000, found 1.5"
        );
        assert_eq!(
            count_range(json!({"gte": 5, "lt": 3})).unwrap_err()[0],
            "count: expected a comparison that some count can meet, found an object"
        );
        assert_eq!(
            count_range(json!({"lt": 0})).unwrap_err()[0],
            "count.lt: expected a count above 0 (no count is below 0), found 0"
        );
        assert_eq!(count_range(json!({"gte": 1001})).unwrap_err().len(), 1);
        assert_eq!(
            count_range(json!({"above": 1})).unwrap_err()[0],
            "count.above: unknown field \"above\"; expected one of: gte, gt, lte, lt, eq"
        );
    }

    #[test]
    fn ranges_know_what_they_contain_and_how_much_history_they_need() {
        let at_least_five = CountRange { min: 5, max: None };
        assert!(!at_least_five.contains(4));
        assert!(at_least_five.contains(5));
        assert_eq!(at_least_five.occurrences_needed(), 5);
        let at_most_three = CountRange { min: 0, max: Some(3) };
        assert!(at_most_three.contains(0) && at_most_three.contains(3) && !at_most_three.contains(4));
        assert_eq!(at_most_three.occurrences_needed(), 4);
    }

    #[test]
    fn nesting_is_bounded() {
        let mut value = json!({"event": "x"});
        for _ in 0..40 {
            value = json!({"not": value});
        }
        let mut decoder = Decoder::default();
        assert_eq!(decode_condition(&mut decoder, &value, 0), None);
        assert!(decoder.into_errors()[0].to_string().contains("nested at most 32 deep"));
    }
}
