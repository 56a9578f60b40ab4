//! The query parameters of `/v1/metrics/`, checked: each mistake is a 400 that names the
//! parameter and what was expected.

use std::collections::HashMap;

use uptake_core::analytics::Period;
use uptake_core::iso8601::{format_timestamp, parse_timestamp};
use uptake_core::time::{DayNumber, DayOffset, Duration, Timestamp};

/// The longest activity range: every 30-day window of its points stays within the 400 days
/// each record keeps day by day.
pub const RANGE_MAX_DAYS: i64 = 366;
/// The most users one page of `users` lists.
pub const PAGE_MAX: usize = 1_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
}

/// The parameters every endpoint takes.
pub struct Common {
    pub as_of: DayNumber,
    pub write_key: Option<String>,
    pub format: Format,
}

/// A parameter that is wrong, and why: the answer's message.
#[derive(Debug, PartialEq, Eq)]
pub struct BadParameter(pub String);

/// The query string's parameters, each read once.
pub struct Params(HashMap<String, String>);

impl Params {
    pub fn new(pairs: Vec<(String, String)>) -> Result<Params, BadParameter> {
        let mut map = HashMap::new();
        for (name, value) in pairs {
            if map.insert(name.clone(), value).is_some() {
                return Err(BadParameter(format!("{name}: given twice; give it once")));
            }
        }
        Ok(Params(map))
    }

    pub fn text(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str).filter(|value| !value.is_empty())
    }

    /// Refuses parameters the endpoint does not take, so a typo is not silently ignored.
    pub fn only(&self, known: &[&str]) -> Result<(), BadParameter> {
        let mut unknown: Vec<&str> = self.0.keys().map(String::as_str).filter(|name| !known.contains(name)).collect();
        unknown.sort_unstable();
        match unknown.first() {
            Some(name) => {
                Err(BadParameter(format!("{name}: unknown parameter; this endpoint takes {}", known.join(", "))))
            }
            None => Ok(()),
        }
    }

    pub fn common(&self, today: DayNumber) -> Result<Common, BadParameter> {
        let as_of = match self.text("as_of") {
            Some(text) => parse_day("as_of", text)?,
            None => today,
        };
        let format = match self.text("format") {
            None | Some("json") => Format::Json,
            Some("csv") => Format::Csv,
            Some(other) => return Err(BadParameter(format!("format={other}: expected json or csv"))),
        };
        Ok(Common { as_of, write_key: self.text("write_key").map(str::to_owned), format })
    }

    /// A whole number within `min..=max`, or `default` when absent.
    pub fn number(&self, name: &str, default: usize, min: usize, max: usize) -> Result<usize, BadParameter> {
        let Some(text) = self.text(name) else { return Ok(default) };
        match text.parse::<usize>() {
            Ok(value) if (min..=max).contains(&value) => Ok(value),
            _ => Err(BadParameter(format!("{name}={text}: expected a whole number from {min} to {max}"))),
        }
    }

    /// One of `choices`, or `None` when absent.
    pub fn choice<'c>(&self, name: &str, choices: &[&'c str]) -> Result<Option<&'c str>, BadParameter> {
        let Some(text) = self.text(name) else { return Ok(None) };
        match choices.iter().find(|choice| **choice == text) {
            Some(choice) => Ok(Some(choice)),
            None => Err(BadParameter(format!("{name}={text}: expected one of {}", choices.join(", ")))),
        }
    }

    pub fn period(&self) -> Result<Period, BadParameter> {
        Ok(match self.choice("period", &["day", "week"])? {
            Some("week") => Period::Week,
            _ => Period::Day,
        })
    }

    /// `from` and `to` of an activity range: `to` defaults to `as_of`, `from` to 89 days before.
    pub fn range(&self, as_of: DayNumber) -> Result<(DayNumber, DayNumber), BadParameter> {
        let to = match self.text("to") {
            Some(text) => parse_day("to", text)?,
            None => as_of,
        };
        let from = match self.text("from") {
            Some(text) => parse_day("from", text)?,
            None => DayNumber(to.0 - 89),
        };
        if from > to {
            return Err(BadParameter(format!("from={}: after to={}", day_text(from), day_text(to))));
        }
        let days = to.days_since(from) + 1;
        if days > RANGE_MAX_DAYS {
            return Err(BadParameter(format!(
                "from={} to={}: a range of {days} days; at most {RANGE_MAX_DAYS}",
                day_text(from),
                day_text(to)
            )));
        }
        Ok((from, to))
    }
}

/// A day written `YYYY-MM-DD`.
pub fn parse_day(name: &str, text: &str) -> Result<DayNumber, BadParameter> {
    let shaped = text.len() == 10
        && text.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
    let parsed = shaped.then(|| parse_timestamp(&format!("{text}T00:00:00Z")).ok()).flatten();
    match parsed {
        Some(at) => Ok(at.day(DayOffset::default())),
        None => Err(BadParameter(format!("{name}={text}: expected a day such as 2026-12-01"))),
    }
}

/// A day as `YYYY-MM-DD`.
pub fn day_text(day: DayNumber) -> String {
    let start = Timestamp::from_millis(0).plus(Duration::from_days(i64::from(day.0.max(0))));
    format_timestamp(start).chars().take(10).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Params {
        Params::new(pairs.iter().map(|(name, value)| (name.to_string(), value.to_string())).collect()).unwrap()
    }

    #[test]
    fn days_are_read_and_written_as_calendar_dates() {
        let day = parse_day("as_of", "2026-12-01").unwrap();
        assert_eq!(day_text(day), "2026-12-01");
        for wrong in ["2026-13-01", "2026-02-30", "2026-1-01", "yesterday", "2026-12-01T00:00:00Z"] {
            let error = parse_day("as_of", wrong).unwrap_err();
            assert!(error.0.starts_with(&format!("as_of={wrong}: expected a day")), "{wrong}: {error:?}");
        }
    }

    #[test]
    fn mistakes_name_the_parameter_and_what_was_expected() {
        let today = DayNumber(20_000);
        assert_eq!(params(&[("format", "xml")]).common(today).err().unwrap().0, "format=xml: expected json or csv");
        let long = params(&[("from", "2025-01-01"), ("to", "2026-12-01")]).range(today).unwrap_err();
        assert_eq!(long.0, "from=2025-01-01 to=2026-12-01: a range of 700 days; at most 366");
        assert!(params(&[("limit", "0")]).number("limit", 100, 1, PAGE_MAX).is_err());
        assert_eq!(
            params(&[("levle", "2")]).only(&["level"]).unwrap_err().0,
            "levle: unknown parameter; this endpoint takes level"
        );
        let twice = Params::new(vec![("a".into(), "1".into()), ("a".into(), "2".into())]);
        assert!(twice.is_err());
        assert_eq!(params(&[]).range(today).unwrap(), (DayNumber(19_911), today), "90 days by default");
    }
}
