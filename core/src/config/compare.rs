//! Comparisons as PMs write them: `{"gte": 5}`, `{"gt": 1, "lte": 3}`, `{"eq": 2}`. Counts,
//! levels and days are whole numbers; depth is a share from 0 to 1.

use super::json::Json;
use serde::{Deserialize, Serialize};

use super::decode::Decoder;

#[derive(Clone, Copy, Debug, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[cfg_attr(any(test, feature = "schema"), schemars(extend("minProperties" = 1)))]
#[serde(deny_unknown_fields)]
pub struct Comparison<T> {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gte: Option<T>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gt: Option<T>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lte: Option<T>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lt: Option<T>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eq: Option<T>,
}

pub(crate) const COMPARISON_KEYS: &[&str] = &["gte", "gt", "lte", "lt", "eq"];

impl<T: Copy + PartialOrd> Comparison<T> {
    pub fn holds(&self, value: T) -> bool {
        self.gte.is_none_or(|bound| value >= bound)
            && self.gt.is_none_or(|bound| value > bound)
            && self.lte.is_none_or(|bound| value <= bound)
            && self.lt.is_none_or(|bound| value < bound)
            && self.eq.is_none_or(|bound| value == bound)
    }
}

impl Comparison<u32> {
    /// `gte 5`: at least 5, ...
    pub const fn at_least(count: u32) -> Self {
        Comparison { gte: Some(count), gt: None, lte: None, lt: None, eq: None }
    }

    /// The whole numbers it holds for, as an inclusive range; `None` when there are none.
    pub fn bounds(&self) -> Option<(u32, Option<u32>)> {
        let mut min = 0u32;
        let mut max: Option<u32> = None;
        let mut raise = |low: u32| min = min.max(low);
        if let Some(bound) = self.gte {
            raise(bound);
        }
        if let Some(bound) = self.gt {
            raise(bound.checked_add(1)?);
        }
        if let Some(bound) = self.eq {
            raise(bound);
        }
        let mut lower = |high: u32| max = Some(max.map_or(high, |max: u32| max.min(high)));
        if let Some(bound) = self.lte {
            lower(bound);
        }
        if let Some(bound) = self.lt {
            lower(bound.checked_sub(1)?);
        }
        if let Some(bound) = self.eq {
            lower(bound);
        }
        match max {
            Some(max) if max < min => None,
            _ => Some((min, max)),
        }
    }

    /// How many of the latest occurrences decide it within a window: the lower bound to see it
    /// reached, one more than the upper bound to see it passed.
    pub fn occurrences_needed(&self) -> u32 {
        match self.bounds() {
            Some((_, Some(max))) => max.saturating_add(1),
            Some((min, None)) => min,
            None => 0,
        }
    }
}

impl Comparison<f64> {
    /// Whether some number in `min..=max` meets it.
    pub fn is_satisfiable_within(&self, min: f64, max: f64) -> bool {
        let mut low = (min, true);
        let mut high = (max, true);
        let mut tighten_low = |bound: f64, inclusive: bool| {
            if bound > low.0 || (bound == low.0 && !inclusive) {
                low = (bound, inclusive);
            }
        };
        if let Some(bound) = self.gte {
            tighten_low(bound, true);
        }
        if let Some(bound) = self.gt {
            tighten_low(bound, false);
        }
        if let Some(bound) = self.eq {
            tighten_low(bound, true);
        }
        let mut tighten_high = |bound: f64, inclusive: bool| {
            if bound < high.0 || (bound == high.0 && !inclusive) {
                high = (bound, inclusive);
            }
        };
        if let Some(bound) = self.lte {
            tighten_high(bound, true);
        }
        if let Some(bound) = self.lt {
            tighten_high(bound, false);
        }
        if let Some(bound) = self.eq {
            tighten_high(bound, true);
        }
        low.0 < high.0 || (low.0 == high.0 && low.1 && high.1)
    }
}

impl Decoder {
    /// A comparison of `bound`s: at least one of gte, gt, lte, lt, eq.
    pub(crate) fn comparison<T>(
        &mut self,
        value: &Json<'_>,
        mut bound: impl FnMut(&mut Decoder, &Json<'_>) -> Option<T>,
    ) -> Option<Comparison<T>> {
        const EXPECTED: &str = "a comparison such as {\"gte\": 5}, with gte, gt, lte, lt or eq";
        let map = self.object(value, EXPECTED, COMPARISON_KEYS)?;
        if !COMPARISON_KEYS.iter().any(|key| map.contains_key(key)) {
            return self.expected(EXPECTED, value);
        }
        let gte = self.with_default(map, "gte", None, |d, v| bound(d, v).map(Some));
        let gt = self.with_default(map, "gt", None, |d, v| bound(d, v).map(Some));
        let lte = self.with_default(map, "lte", None, |d, v| bound(d, v).map(Some));
        let lt = self.with_default(map, "lt", None, |d, v| bound(d, v).map(Some));
        let eq = self.with_default(map, "eq", None, |d, v| bound(d, v).map(Some));
        Some(Comparison { gte: gte?, gt: gt?, lte: lte?, lt: lt?, eq: eq? })
    }

    /// A comparison of whole numbers from 0 to `max` that some whole number meets.
    pub(crate) fn whole_comparison(
        &mut self,
        value: &Json<'_>,
        max: u32,
        expected: &'static str,
    ) -> Option<Comparison<u32>> {
        let comparison = self.comparison(value, |d, v| {
            d.integer(v, 0, i64::from(max), expected).and_then(|number| u32::try_from(number).ok())
        })?;
        if comparison.bounds().is_none() {
            return self.expected("a comparison that some value can meet", value);
        }
        Some(comparison)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn counts(value: Value) -> Result<Comparison<u32>, Vec<String>> {
        let mut decoder = Decoder::default();
        let value = Json::from(&value);
        let result = decoder.in_key("count", |d| d.whole_comparison(&value, 1000, "a whole number from 0 to 1000"));
        let errors: Vec<String> = decoder.into_errors().iter().map(ToString::to_string).collect();
        result.ok_or(errors)
    }

    #[test]
    fn whole_number_comparisons_have_inclusive_bounds() {
        let bounds = |value| counts(value).unwrap().bounds();
        assert_eq!(bounds(json!({"gte": 5})), Some((5, None)));
        assert_eq!(bounds(json!({"gt": 5})), Some((6, None)));
        assert_eq!(bounds(json!({"lte": 3})), Some((0, Some(3))));
        assert_eq!(bounds(json!({"lt": 3})), Some((0, Some(2))));
        assert_eq!(bounds(json!({"eq": 2})), Some((2, Some(2))));
        assert_eq!(bounds(json!({"gt": 1, "lte": 4})), Some((2, Some(4))));
        assert_eq!(Comparison::<u32> { lt: Some(0), ..Default::default() }.bounds(), None);
    }

    #[test]
    fn bad_comparisons_name_the_place() {
        assert_eq!(
            counts(json!({"gte": "five"})),
            Err(vec!["count.gte: expected a whole number from 0 to 1000, found \"five\"".to_owned()])
        );
        assert_eq!(
            counts(json!("five")),
            Err(vec![
                "count: expected a comparison such as {\"gte\": 5}, with gte, gt, lte, lt or eq, found \"five\""
                    .to_owned()
            ])
        );
        assert_eq!(counts(json!({})).unwrap_err().len(), 1);
        assert_eq!(
            counts(json!({"gte": 1.5})).unwrap_err()[0],
            "count.gte: expected a whole number from 0 to 1000, found 1.5"
        );
        assert_eq!(
            counts(json!({"gte": 5, "lt": 3})).unwrap_err()[0],
            "count: expected a comparison that some value can meet, found an object"
        );
        assert_eq!(
            counts(json!({"lt": 0})).unwrap_err()[0],
            "count: expected a comparison that some value can meet, found an object"
        );
        assert_eq!(counts(json!({"gte": 1001})).unwrap_err().len(), 1);
        assert_eq!(
            counts(json!({"above": 1})).unwrap_err()[0],
            "count.above: unknown field \"above\"; expected one of: gte, gt, lte, lt, eq"
        );
        assert_eq!(counts(json!({"gte": 5.0})).unwrap().gte, Some(5), "a whole number written with a point");
    }

    #[test]
    fn occurrences_needed_to_decide_within_a_window() {
        assert_eq!(Comparison::at_least(5).occurrences_needed(), 5);
        assert_eq!(Comparison::<u32> { lte: Some(3), ..Default::default() }.occurrences_needed(), 4);
        assert_eq!(Comparison::<u32> { eq: Some(2), ..Default::default() }.occurrences_needed(), 3);
    }

    #[test]
    fn shares_are_satisfiable_or_not() {
        let share = |value: Value| serde_json::from_value::<Comparison<f64>>(value).unwrap();
        assert!(share(json!({"lt": 0.3})).is_satisfiable_within(0.0, 1.0));
        assert!(share(json!({"gte": 1.0})).is_satisfiable_within(0.0, 1.0));
        assert!(!share(json!({"gt": 1.0})).is_satisfiable_within(0.0, 1.0));
        assert!(!share(json!({"lt": 0.0})).is_satisfiable_within(0.0, 1.0));
        assert!(!share(json!({"gte": 0.6, "lt": 0.5})).is_satisfiable_within(0.0, 1.0));
        assert!(share(json!({"gte": 0.5, "lte": 0.5})).holds(0.5));
    }
}
