//! Time as the core sees it: instants and durations passed in by the caller, calendar days and
//! rule windows. The core never reads a clock; every function that needs "now" takes it.

use std::fmt;

/// Milliseconds in one day.
const MS_PER_DAY: i64 = 86_400_000;

/// An instant, in milliseconds since the Unix epoch (UTC).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(i64);

impl Timestamp {
    pub const fn from_millis(millis: i64) -> Self {
        Timestamp(millis)
    }

    pub const fn as_millis(self) -> i64 {
        self.0
    }

    /// The instant `duration` before this one, clamped at the representable minimum.
    pub const fn minus(self, duration: Duration) -> Self {
        Timestamp(self.0.saturating_sub(duration.0))
    }

    pub const fn plus(self, duration: Duration) -> Self {
        Timestamp(self.0.saturating_add(duration.0))
    }

    /// The calendar day this instant falls on: UTC shifted by `offset`.
    pub const fn day(self, offset: DayOffset) -> DayNumber {
        let shifted = self.0.saturating_add(offset.minutes as i64 * 60_000);
        DayNumber(shifted.div_euclid(MS_PER_DAY) as i32)
    }
}

/// A length of time in milliseconds; never negative.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Duration(i64);

impl Duration {
    pub const fn from_millis(millis: i64) -> Self {
        Duration(if millis < 0 { 0 } else { millis })
    }

    pub const fn from_minutes(minutes: i64) -> Self {
        Duration::from_millis(minutes.saturating_mul(60_000))
    }

    pub const fn from_hours(hours: i64) -> Self {
        Duration::from_minutes(hours.saturating_mul(60))
    }

    pub const fn from_days(days: i64) -> Self {
        Duration::from_millis(days.saturating_mul(MS_PER_DAY))
    }

    pub const fn as_millis(self) -> i64 {
        self.0
    }
}

/// How far the product's calendar day is shifted from UTC (`settings.day_offset_minutes`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct DayOffset {
    minutes: i32,
}

impl DayOffset {
    /// The largest shift accepted, in minutes: a day can start anywhere from UTC-14h to UTC+14h.
    pub const MAX_MINUTES: i32 = 14 * 60;

    /// `None` when the shift is beyond ±14 hours.
    pub const fn from_minutes(minutes: i32) -> Option<Self> {
        if minutes.abs() > Self::MAX_MINUTES { None } else { Some(DayOffset { minutes }) }
    }

    pub const fn minutes(self) -> i32 {
        self.minutes
    }
}

/// A calendar day, counted from 1970-01-01 (day 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct DayNumber(pub i32);

impl DayNumber {
    /// Whole days from `earlier` to `self` (negative when `earlier` is later).
    pub const fn days_since(self, earlier: DayNumber) -> i64 {
        self.0 as i64 - earlier.0 as i64
    }
}

/// A rule window written as a number and a unit: `"30m"`, `"12h"`, `"7d"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Window(Duration);

/// Why a window string was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WindowError {
    #[error("expected a window such as \"30m\", \"12h\" or \"7d\"")]
    Malformed,
    #[error("a window must be at least 1m and at most {max_days}d")]
    OutOfRange { max_days: i64 },
}

impl Window {
    /// The longest window a rule may use: the device keeps daily history for 400 days.
    pub const MAX: Window = Window(Duration::from_days(400));

    pub fn parse(text: &str) -> Result<Window, WindowError> {
        let (unit_at, _) = text.char_indices().last().ok_or(WindowError::Malformed)?;
        let (digits, unit) = text.split_at(unit_at);
        if digits.is_empty() || digits.len() > 9 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(WindowError::Malformed);
        }
        let amount: i64 = digits.parse().map_err(|_| WindowError::Malformed)?;
        let duration = match unit {
            "m" => Duration::from_minutes(amount),
            "h" => Duration::from_hours(amount),
            "d" => Duration::from_days(amount),
            _ => return Err(WindowError::Malformed),
        };
        if amount == 0 || duration > Window::MAX.0 {
            return Err(WindowError::OutOfRange { max_days: Window::MAX.0.as_millis() / MS_PER_DAY });
        }
        Ok(Window(duration))
    }

    pub const fn duration(self) -> Duration {
        self.0
    }

    /// The first instant inside the window that ends at `now` (the window includes both ends).
    pub const fn start(self, now: Timestamp) -> Timestamp {
        now.minus(self.0)
    }
}

impl Window {
    /// The window of a duration (for printing offsets); not checked against the range.
    pub(crate) const fn from_duration(duration: Duration) -> Window {
        Window(duration)
    }
}

impl serde::Serialize for Window {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Window {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Window::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(any(test, feature = "schema"))]
impl schemars::JsonSchema for Window {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Window".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "A window ending now: minutes, hours or days, from 1m to 400d.",
            "pattern": "^[1-9][0-9]{0,8}[mhd]$",
            "examples": ["30m", "12h", "7d"]
        })
    }
}

/// A short wait written as `"500ms"`, `"5s"` or `"2m"`, up to an hour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Delay(Duration);

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DelayError {
    #[error("expected a wait such as \"500ms\", \"5s\" or \"2m\"")]
    Malformed,
    #[error("a wait must be at most 1 hour (60m)")]
    TooLong,
}

impl Delay {
    pub const MAX: Delay = Delay(Duration::from_hours(1));

    /// A wait of `millis` milliseconds, for defaults written in code; at most `MAX`.
    pub const fn from_millis(millis: i64) -> Delay {
        if millis > Delay::MAX.0.as_millis() { Delay::MAX } else { Delay(Duration::from_millis(millis)) }
    }

    pub fn parse(text: &str) -> Result<Delay, DelayError> {
        let (digits, unit_ms) = if let Some(digits) = text.strip_suffix("ms") {
            (digits, 1)
        } else if let Some(digits) = text.strip_suffix('s') {
            (digits, 1000)
        } else if let Some(digits) = text.strip_suffix('m') {
            (digits, 60_000)
        } else {
            return Err(DelayError::Malformed);
        };
        if digits.is_empty() || digits.len() > 7 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(DelayError::Malformed);
        }
        let amount: i64 = digits.parse().map_err(|_| DelayError::Malformed)?;
        let delay = Delay(Duration::from_millis(amount * unit_ms));
        if delay > Delay::MAX {
            return Err(DelayError::TooLong);
        }
        Ok(delay)
    }

    pub const fn duration(self) -> Duration {
        self.0
    }
}

impl fmt::Display for Delay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0.as_millis();
        if ms % 60_000 == 0 && ms > 0 {
            write!(f, "{}m", ms / 60_000)
        } else if ms % 1000 == 0 && ms > 0 {
            write!(f, "{}s", ms / 1000)
        } else {
            write!(f, "{ms}ms")
        }
    }
}

impl serde::Serialize for Delay {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Delay {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Delay::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(any(test, feature = "schema"))]
impl schemars::JsonSchema for Delay {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Delay".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "A short wait: milliseconds, seconds or minutes, at most 1 hour.",
            "pattern": "^[0-9]{1,7}(ms|s|m)$",
            "examples": ["500ms", "5s"]
        })
    }
}

impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0.as_millis();
        if ms % MS_PER_DAY == 0 {
            write!(f, "{}d", ms / MS_PER_DAY)
        } else if ms % 3_600_000 == 0 {
            write!(f, "{}h", ms / 3_600_000)
        } else {
            write!(f, "{}m", ms / 60_000)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_start_at_midnight_utc_shifted_by_the_offset() {
        let utc = DayOffset::default();
        let last_ms_of_day_0 = Timestamp::from_millis(MS_PER_DAY - 1);
        assert_eq!(last_ms_of_day_0.day(utc), DayNumber(0));
        assert_eq!(Timestamp::from_millis(MS_PER_DAY).day(utc), DayNumber(1));
        assert_eq!(Timestamp::from_millis(-1).day(utc), DayNumber(-1));

        let tokyo = DayOffset::from_minutes(9 * 60).unwrap();
        let utc_15h = Timestamp::from_millis(15 * 3_600_000);
        assert_eq!(utc_15h.day(tokyo), DayNumber(1));
        let new_york = DayOffset::from_minutes(-5 * 60).unwrap();
        assert_eq!(Timestamp::from_millis(3 * 3_600_000).day(new_york), DayNumber(-1));
    }

    #[test]
    fn day_offsets_beyond_fourteen_hours_are_refused() {
        assert!(DayOffset::from_minutes(14 * 60).is_some());
        assert!(DayOffset::from_minutes(-14 * 60 - 1).is_none());
    }

    #[test]
    fn windows_parse_minutes_hours_and_days() {
        assert_eq!(Window::parse("10m").unwrap().duration(), Duration::from_minutes(10));
        assert_eq!(Window::parse("12h").unwrap().duration(), Duration::from_hours(12));
        assert_eq!(Window::parse("7d").unwrap().duration(), Duration::from_days(7));
        assert_eq!(Window::parse("400d").unwrap(), Window::MAX);
        assert_eq!(Window::parse("7d").unwrap().to_string(), "7d");
        assert_eq!(Window::parse("90m").unwrap().to_string(), "90m");
    }

    #[test]
    fn malformed_and_out_of_range_windows_are_refused() {
        for text in ["", "d", "7", "7w", "7D", " 7d", "-1d", "1.5d", "7dd", "9999999999d", "7ϛ", "ϛ", "٧d"] {
            assert_eq!(Window::parse(text), Err(WindowError::Malformed), "{text:?}");
        }
        for text in ["0m", "401d", "9601h"] {
            assert!(matches!(Window::parse(text), Err(WindowError::OutOfRange { .. })), "{text:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn parsing_windows_and_delays_never_panics(text in "\\PC{0,12}") {
            let _ = Window::parse(&text);
            let _ = Delay::parse(&text);
        }
    }

    #[test]
    fn delays_parse_milliseconds_seconds_and_minutes() {
        assert_eq!(Delay::parse("500ms").unwrap().duration(), Duration::from_millis(500));
        assert_eq!(Delay::parse("5s").unwrap().duration(), Duration::from_millis(5000));
        assert_eq!(Delay::parse("2m").unwrap().to_string(), "2m");
        assert_eq!(Delay::parse("0ms").unwrap().to_string(), "0ms");
        assert_eq!(Delay::parse("61m"), Err(DelayError::TooLong));
        assert_eq!(DelayError::TooLong.to_string(), "a wait must be at most 1 hour (60m)");
        assert_eq!(Delay::from_millis(3_000), Delay::parse("3s").unwrap());
        assert_eq!(Delay::from_millis(i64::MAX), Delay::MAX);
        assert!(Delay::parse("5").is_err() && Delay::parse("s").is_err() && Delay::parse("1h").is_err());
    }

    #[test]
    fn a_window_includes_its_start() {
        let now = Timestamp::from_millis(10 * MS_PER_DAY);
        let week = Window::parse("7d").unwrap();
        assert_eq!(week.start(now), Timestamp::from_millis(3 * MS_PER_DAY));
    }
}
