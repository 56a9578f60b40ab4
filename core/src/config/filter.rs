//! Tests of values: the `where` of an event (`{"manual": true, "amount": {"gte": 1000}}`) and
//! the trait conditions (`{"trait": "plan", "in": ["pro", "enterprise"]}`). Equality, numeric
//! and date comparisons, lists, and presence.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use super::json::{Json, Object};

use super::decode::Decoder;
use super::sorted_map::SortedMap;
use crate::iso8601::parse_timestamp;
use crate::time::{Duration, Timestamp};

/// A JSON scalar to compare with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[serde(untagged)]
pub enum Scalar {
    Bool(bool),
    Number(f64),
    Text(String),
}

impl Scalar {
    fn matches(&self, value: &Value) -> bool {
        match (self, value) {
            (Scalar::Bool(expected), Value::Bool(actual)) => expected == actual,
            (Scalar::Number(expected), Value::Number(actual)) => actual.as_f64() == Some(*expected),
            (Scalar::Text(expected), Value::String(actual)) => expected == actual,
            _ => false,
        }
    }
}

/// An instant to compare dates with: a date or timestamp (`"2026-12-01"`), or an offset from
/// now (`"-30d"`: 30 days ago; `"+7d"`: in a week).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DateBound {
    At(Timestamp),
    FromNow { offset_ms: i64 },
}

impl DateBound {
    pub fn parse(text: &str) -> Option<DateBound> {
        if let Some(rest) = text.strip_prefix('-').or_else(|| text.strip_prefix('+')) {
            let window = crate::time::Window::parse(rest).ok()?;
            let millis = window.duration().as_millis();
            let offset_ms = if text.starts_with('-') { -millis } else { millis };
            return Some(DateBound::FromNow { offset_ms });
        }
        parse_timestamp(text).ok().map(DateBound::At)
    }

    pub fn instant(self, now: Timestamp) -> Timestamp {
        match self {
            DateBound::At(at) => at,
            DateBound::FromNow { offset_ms } if offset_ms < 0 => now.minus(Duration::from_millis(-offset_ms)),
            DateBound::FromNow { offset_ms } => now.plus(Duration::from_millis(offset_ms)),
        }
    }
}

impl std::fmt::Display for DateBound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DateBound::At(at) => f.write_str(&crate::iso8601::format_timestamp(*at)),
            DateBound::FromNow { offset_ms } => {
                let sign = if *offset_ms < 0 { '-' } else { '+' };
                let window = crate::time::Window::from_duration(Duration::from_millis(offset_ms.abs()));
                write!(f, "{sign}{window}")
            }
        }
    }
}

impl Serialize for DateBound {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for DateBound {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        DateBound::parse(&text).ok_or_else(|| serde::de::Error::custom(DATE_EXPECTED))
    }
}

#[cfg(any(test, feature = "schema"))]
impl schemars::JsonSchema for DateBound {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "DateBound".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": DATE_EXPECTED,
            "pattern": "^([0-9]{4}-[0-9]{2}-[0-9]{2}.*|[+-][1-9][0-9]*[mhd])$"
        })
    }
}

const DATE_EXPECTED: &str = "a date such as \"2026-12-01\", or an offset from now such as \"-30d\" or \"+7d\"";

/// Operators on one value; every one given must hold.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[cfg_attr(any(test, feature = "schema"), schemars(extend("minProperties" = 1)))]
pub struct ValueOperators {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eq: Option<Scalar>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ne: Option<Scalar>,
    #[serde(default, rename = "in", skip_serializing_if = "Option::is_none")]
    pub one_of: Option<Vec<Scalar>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_in: Option<Vec<Scalar>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gt: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gte: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lt: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lte: Option<f64>,
    /// The value is a date before this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<DateBound>,
    /// The value is a date after this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<DateBound>,
    /// The value is present (and not null), or absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exists: Option<bool>,
}

pub(crate) const OPERATOR_KEYS: &[&str] =
    &["eq", "ne", "in", "not_in", "gt", "gte", "lt", "lte", "before", "after", "exists"];

/// Reads a date from a value: an ISO string, or milliseconds since the epoch.
pub(crate) fn as_instant(value: &Value) -> Option<Timestamp> {
    match value {
        Value::String(text) => parse_timestamp(text).ok(),
        Value::Number(number) => number.as_f64().map(|millis| Timestamp::from_millis(millis as i64)),
        _ => None,
    }
}

impl ValueOperators {
    /// Whether `value` (absent when `None`) passes every operator, at `now` for relative dates.
    pub fn matches(&self, value: Option<&Value>, now: Timestamp) -> bool {
        let value = value.filter(|value| !value.is_null());
        if let Some(exists) = self.exists
            && exists != value.is_some()
        {
            return false;
        }
        let number = value.and_then(Value::as_f64);
        let numeric = |bound: Option<f64>, holds: fn(f64, f64) -> bool| {
            bound.is_none_or(|bound| number.is_some_and(|number| holds(number, bound)))
        };
        let instant = || value.and_then(as_instant);
        self.eq.as_ref().is_none_or(|expected| value.is_some_and(|value| expected.matches(value)))
            && self.ne.as_ref().is_none_or(|unwanted| !value.is_some_and(|value| unwanted.matches(value)))
            && self.one_of.as_ref().is_none_or(|list| value.is_some_and(|value| list.iter().any(|s| s.matches(value))))
            && self.not_in.as_ref().is_none_or(|list| !value.is_some_and(|value| list.iter().any(|s| s.matches(value))))
            && numeric(self.gt, |number, bound| number > bound)
            && numeric(self.gte, |number, bound| number >= bound)
            && numeric(self.lt, |number, bound| number < bound)
            && numeric(self.lte, |number, bound| number <= bound)
            && self.before.is_none_or(|bound| instant().is_some_and(|at| at < bound.instant(now)))
            && self.after.is_none_or(|bound| instant().is_some_and(|at| at > bound.instant(now)))
    }
}

/// How a `where` tests one property: a scalar for equality, or operators.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[serde(untagged)]
pub enum ValueTest {
    Equals(Scalar),
    Operators(ValueOperators),
}

impl ValueTest {
    pub fn matches(&self, value: Option<&Value>, now: Timestamp) -> bool {
        match self {
            ValueTest::Equals(expected) => value.is_some_and(|value| expected.matches(value)),
            ValueTest::Operators(operators) => operators.matches(value, now),
        }
    }
}

/// `where`: property name (or dotted path) to test; every test must pass.
#[derive(Clone, Debug, PartialEq)]
pub struct PropertyFilter {
    tests: SortedMap<ValueTest>,
    /// The tests as serde_json writes them (`{"amount":{"gte":1000.0}}`): with the event's name,
    /// it keys the event's history in users' stored states (`Program::compile`), so it must not
    /// change from one release to the next. The collector writes it into the compiled config,
    /// and the SDK reads it from there without writing JSON of its own.
    text: String,
}

impl PropertyFilter {
    /// A filter of `tests`, and its text as serde_json writes them.
    pub fn new(tests: SortedMap<ValueTest>) -> PropertyFilter {
        let text = serde_json::to_string(&tests).unwrap_or_default();
        PropertyFilter { tests, text }
    }

    /// A filter read from the compiled config, its text as the collector wrote it.
    pub(crate) fn compiled(tests: SortedMap<ValueTest>, text: String) -> PropertyFilter {
        PropertyFilter { tests, text }
    }

    pub fn tests(&self) -> &SortedMap<ValueTest> {
        &self.tests
    }

    pub fn text(&self) -> &str {
        &self.text
    }
}

impl Serialize for PropertyFilter {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.tests.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for PropertyFilter {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        SortedMap::deserialize(deserializer).map(PropertyFilter::new)
    }
}

#[cfg(any(test, feature = "schema"))]
impl schemars::JsonSchema for PropertyFilter {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "PropertyFilter".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let mut schema = generator.subschema_for::<std::collections::BTreeMap<String, ValueTest>>();
        schema.insert(
            "description".to_owned(),
            "`where`: property name (or dotted path) to test; every test must pass.".into(),
        );
        schema.insert("minProperties".to_owned(), 1.into());
        schema
    }
}

/// A property by name, or by dotted path into nested objects when no property has that name.
pub fn property<'v>(properties: &'v Map<String, Value>, name: &str) -> Option<&'v Value> {
    if let Some(value) = properties.get(name) {
        return Some(value);
    }
    let mut parts = name.split('.');
    let mut current = properties.get(parts.next()?)?;
    for part in parts {
        current = current.as_object()?.get(part)?;
    }
    Some(current)
}

impl PropertyFilter {
    pub fn matches(&self, properties: &Map<String, Value>, now: Timestamp) -> bool {
        self.tests.iter().all(|(name, test)| test.matches(property(properties, name), now))
    }
}

impl Decoder {
    fn scalar(&mut self, value: &Json<'_>) -> Option<Scalar> {
        match value {
            Json::Bool(flag) => Some(Scalar::Bool(*flag)),
            Json::Number(number) => number.as_f64().map(Scalar::Number),
            Json::String(text) => Some(Scalar::Text(text.to_string())),
            other => self.expected("a string, a number or true/false", other),
        }
    }

    fn scalars(&mut self, value: &Json<'_>) -> Option<Vec<Scalar>> {
        let list = self.list(value, "a non-empty list of strings, numbers or true/false", Decoder::scalar)?;
        if list.is_empty() {
            return self.expected("a non-empty list", value);
        }
        Some(list)
    }

    fn number(&mut self, value: &Json<'_>) -> Option<f64> {
        match value.as_f64() {
            Some(number) if number.is_finite() => Some(number),
            _ => self.expected("a number", value),
        }
    }

    fn date_bound(&mut self, value: &Json<'_>) -> Option<DateBound> {
        match value.as_str().and_then(DateBound::parse) {
            Some(bound) => Some(bound),
            None => self.expected(DATE_EXPECTED, value),
        }
    }

    /// The operators in `map`, ignoring `other_keys` (such as `trait`), which the caller reads.
    pub(crate) fn value_operators(
        &mut self,
        value: &Json<'_>,
        map: &Object<'_>,
        other_keys: usize,
    ) -> Option<ValueOperators> {
        if map.len() <= other_keys {
            return self.expected("at least one of eq, ne, in, not_in, gt, gte, lt, lte, before, after, exists", value);
        }
        let eq = self.with_default(map, "eq", None, |d, v| d.scalar(v).map(Some));
        let ne = self.with_default(map, "ne", None, |d, v| d.scalar(v).map(Some));
        let one_of = self.with_default(map, "in", None, |d, v| d.scalars(v).map(Some));
        let not_in = self.with_default(map, "not_in", None, |d, v| d.scalars(v).map(Some));
        let gt = self.with_default(map, "gt", None, |d, v| d.number(v).map(Some));
        let gte = self.with_default(map, "gte", None, |d, v| d.number(v).map(Some));
        let lt = self.with_default(map, "lt", None, |d, v| d.number(v).map(Some));
        let lte = self.with_default(map, "lte", None, |d, v| d.number(v).map(Some));
        let before = self.with_default(map, "before", None, |d, v| d.date_bound(v).map(Some));
        let after = self.with_default(map, "after", None, |d, v| d.date_bound(v).map(Some));
        let exists = self.with_default(map, "exists", None, |d, v| d.boolean(v).map(Some));
        Some(ValueOperators {
            eq: eq?,
            ne: ne?,
            one_of: one_of?,
            not_in: not_in?,
            gt: gt?,
            gte: gte?,
            lt: lt?,
            lte: lte?,
            before: before?,
            after: after?,
            exists: exists?,
        })
    }

    fn value_test(&mut self, value: &Json<'_>) -> Option<ValueTest> {
        match value {
            Json::Object(map) => {
                self.object(value, "operators such as {\"gte\": 1000}", OPERATOR_KEYS)?;
                self.value_operators(value, map, 0).map(ValueTest::Operators)
            }
            Json::Null | Json::Array(_) => {
                self.expected("a string, a number, true/false, or operators such as {\"in\": [...]}", value)
            }
            scalar => self.scalar(scalar).map(ValueTest::Equals),
        }
    }

    /// A `where`: an object of property names to tests.
    pub(crate) fn property_filter(&mut self, value: &Json<'_>) -> Option<PropertyFilter> {
        let Json::Object(map) = value else {
            return self.expected("an object of property names to values, such as {\"manual\": true}", value);
        };
        if map.is_empty() {
            return self.expected("at least one property to test", value);
        }
        let mut tests = SortedMap::default();
        let mut valid = true;
        for (name, test) in map.iter() {
            match self.in_dynamic_key(name, |d| d.value_test(test)) {
                Some(test) => {
                    tests.insert(name.to_owned(), test);
                }
                None => valid = false,
            }
        }
        valid.then(|| PropertyFilter::new(tests))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn filter(value: Value) -> PropertyFilter {
        let mut decoder = Decoder::default();
        let filter = decoder.property_filter(&Json::from(&value));
        assert!(!decoder.has_errors(), "{:?}", decoder.into_errors());
        filter.unwrap()
    }

    /// The text keys event histories in users' stored states: it is what serde_json wrote for
    /// the filter in every release so far, and must stay so.
    #[test]
    fn a_filter_text_is_serde_json_s_form_of_its_tests() {
        let written = json!({
            "vendor": {"in": ["Acme", 3, true]}, "amount": {"gte": 1000, "lt": 1e21}, "manual": true,
            "at": {"after": "-30d", "before": "2027-01-01"}, "rate": 0.25, "approver": {"exists": false}
        });
        let filter = filter(written.clone());
        assert_eq!(
            filter.text(),
            concat!(
                r#"{"amount":{"gte":1000.0,"lt":1e+21},"approver":{"exists":false},"#,
                r#""at":{"before":"2027-01-01T00:00:00.000Z","after":"-30d"},"manual":true,"rate":0.25,"#,
                r#""vendor":{"in":["Acme",3.0,true]}}"#
            )
        );
        assert_eq!(filter.text(), serde_json::to_string(&filter).unwrap());
        let read: PropertyFilter = serde_json::from_value(written).unwrap();
        assert_eq!(read, filter);
    }

    fn errors(value: Value) -> Vec<String> {
        let mut decoder = Decoder::default();
        decoder.in_key("where", |d| d.property_filter(&Json::from(&value)));
        decoder.into_errors().iter().map(ToString::to_string).collect()
    }

    fn props(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    const NOW: Timestamp = Timestamp::from_millis(1_795_000_000_000);

    #[test]
    fn equality_operators_and_lists() {
        let manual =
            filter(json!({"manual": true, "vendor": {"in": ["Acme", "Globex"]}, "amount": {"gte": 100, "lt": 1000}}));
        assert!(manual.matches(&props(json!({"manual": true, "vendor": "Acme", "amount": 240})), NOW));
        assert!(!manual.matches(&props(json!({"manual": false, "vendor": "Acme", "amount": 240})), NOW));
        assert!(!manual.matches(&props(json!({"manual": true, "vendor": "Initech", "amount": 240})), NOW));
        assert!(!manual.matches(&props(json!({"manual": true, "vendor": "Acme", "amount": 1000})), NOW));
        assert!(
            !manual.matches(&props(json!({"manual": "true", "vendor": "Acme", "amount": 240})), NOW),
            "no coercion"
        );
        assert!(!manual.matches(&props(json!({})), NOW));
    }

    #[test]
    fn negation_and_presence() {
        let not_draft =
            filter(json!({"status": {"ne": "draft"}, "approver": {"exists": false}, "tags": {"not_in": ["test"]}}));
        assert!(not_draft.matches(&props(json!({"status": "open"})), NOW));
        assert!(not_draft.matches(&props(json!({"approver": null})), NOW), "null is absent");
        assert!(!not_draft.matches(&props(json!({"status": "draft"})), NOW));
        assert!(!not_draft.matches(&props(json!({"approver": "u-1"})), NOW));
        assert!(!not_draft.matches(&props(json!({"tags": "test"})), NOW));
    }

    #[test]
    fn dates_absolute_and_relative() {
        let recent = filter(json!({"signed_up_at": {"after": "-30d"}, "renews_at": {"before": "2027-01-01"}}));
        let day = 86_400_000;
        let ten_days_ago = crate::iso8601::format_timestamp(Timestamp::from_millis(NOW.as_millis() - 10 * day));
        assert!(recent.matches(&props(json!({"signed_up_at": ten_days_ago, "renews_at": "2026-12-01"})), NOW));
        assert!(!recent.matches(&props(json!({"signed_up_at": "2020-01-01", "renews_at": "2026-12-01"})), NOW));
        assert!(!recent.matches(&props(json!({"signed_up_at": ten_days_ago, "renews_at": "2027-06-01"})), NOW));
        assert!(!recent.matches(&props(json!({"signed_up_at": "last week", "renews_at": "2026-12-01"})), NOW));
        assert!(
            filter(json!({"at": {"after": "2026-01-01"}})).matches(&props(json!({"at": NOW.as_millis()})), NOW),
            "epoch milliseconds"
        );
    }

    #[test]
    fn dotted_paths_reach_nested_properties() {
        let nested = filter(json!({"invoice.currency": "EUR"}));
        assert!(nested.matches(&props(json!({"invoice": {"currency": "EUR"}})), NOW));
        assert!(nested.matches(&props(json!({"invoice.currency": "EUR"})), NOW), "a property with that name first");
        assert!(!nested.matches(&props(json!({"invoice": "EUR"})), NOW));
    }

    #[test]
    fn bad_filters_name_the_property() {
        assert_eq!(errors(json!({"amount": {"gte": "lots"}})), ["where.amount.gte: expected a number, found \"lots\""]);
        assert_eq!(
            errors(json!({"amount": {"bigger": 1}})),
            [
                "where.amount.bigger: unknown field \"bigger\"; expected one of: eq, ne, in, not_in, gt, gte, lt, lte, before, after, exists"
            ]
        );
        assert_eq!(
            errors(json!({"vendor": {"in": []}})),
            ["where.vendor.in: expected a non-empty list, found an array"]
        );
        assert_eq!(
            errors(json!({"at": {"after": "soon"}})),
            [format!("where.at.after: expected {DATE_EXPECTED}, found \"soon\"")]
        );
        assert_eq!(errors(json!({"x": null})).len(), 1);
        assert_eq!(errors(json!({})), ["where: expected at least one property to test, found an object"]);
    }

    #[test]
    fn date_bounds_print_as_written() {
        assert_eq!(DateBound::parse("-30d").unwrap().to_string(), "-30d");
        assert_eq!(DateBound::parse("+12h").unwrap().to_string(), "+12h");
        assert_eq!(DateBound::parse("2026-12-01").unwrap().to_string(), "2026-12-01T00:00:00.000Z");
        assert_eq!(DateBound::parse("30d"), None);
    }
}
