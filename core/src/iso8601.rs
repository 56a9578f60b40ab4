//! RFC 3339 timestamps as the Segment spec writes them (`2026-11-24T09:30:00.000Z`), and plain
//! dates (`2026-08-01`) as PMs write them in traits. Formatting and parsing without a date
//! library, so the SDK stays small and the device and the collector read time the same way.

use crate::time::Timestamp;

const MS_PER_DAY: i64 = 86_400_000;

/// Why a timestamp string was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TimestampError {
    #[error("expected an ISO 8601 timestamp such as \"2026-11-24T09:30:00Z\" or a date such as \"2026-11-24\"")]
    Malformed,
    #[error("the date or time is out of range")]
    OutOfRange,
}

/// Days from 1970-01-01 to the given civil date (proleptic Gregorian), after Howard Hinnant's
/// `days_from_civil`.
pub(crate) fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The civil date (year, month, day) of a day counted from 1970-01-01.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 { month_index + 3 } else { month_index - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn push_padded(out: &mut String, value: i64, width: usize) {
    let mut digits = [b'0'; 4];
    let mut rest = value;
    for slot in digits[..width].iter_mut().rev() {
        *slot = b'0' + (rest % 10) as u8;
        rest /= 10;
    }
    for &digit in &digits[..width] {
        out.push(char::from(digit));
    }
}

/// Formats an instant as `YYYY-MM-DDTHH:MM:SS.mmmZ`. Years outside 0..=9999 are clamped to that
/// range, which no real clock reaches.
pub fn format_timestamp(at: Timestamp) -> String {
    let min = days_from_civil(0, 1, 1) * MS_PER_DAY;
    let max = days_from_civil(10_000, 1, 1) * MS_PER_DAY - 1;
    let millis = at.as_millis().clamp(min, max);
    let (year, month, day) = civil_from_days(millis.div_euclid(MS_PER_DAY));
    let of_day = millis.rem_euclid(MS_PER_DAY);
    let mut out = String::with_capacity(24);
    push_padded(&mut out, year, 4);
    out.push('-');
    push_padded(&mut out, month, 2);
    out.push('-');
    push_padded(&mut out, day, 2);
    out.push('T');
    push_padded(&mut out, of_day / 3_600_000, 2);
    out.push(':');
    push_padded(&mut out, of_day / 60_000 % 60, 2);
    out.push(':');
    push_padded(&mut out, of_day / 1000 % 60, 2);
    out.push('.');
    push_padded(&mut out, of_day % 1000, 3);
    out.push('Z');
    out
}

/// A cursor over the ASCII bytes of a timestamp.
struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn number(&mut self, width: usize) -> Result<i64, TimestampError> {
        let end = self.at.checked_add(width).ok_or(TimestampError::Malformed)?;
        let digits = self.bytes.get(self.at..end).ok_or(TimestampError::Malformed)?;
        let mut value = 0i64;
        for &byte in digits {
            if !byte.is_ascii_digit() {
                return Err(TimestampError::Malformed);
            }
            value = value * 10 + i64::from(byte - b'0');
        }
        self.at = end;
        Ok(value)
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn expect(&mut self, byte: u8) -> Result<(), TimestampError> {
        if self.peek() == Some(byte) {
            self.at += 1;
            Ok(())
        } else {
            Err(TimestampError::Malformed)
        }
    }
}

/// Parses `YYYY-MM-DD` (midnight UTC) or `YYYY-MM-DDTHH:MM[:SS[.fraction]]` followed by `Z` or
/// an offset `±HH:MM`. A lowercase `t`/`z` or a space between date and time is accepted too.
pub fn parse_timestamp(text: &str) -> Result<Timestamp, TimestampError> {
    let mut cursor = Cursor { bytes: text.as_bytes(), at: 0 };
    let year = cursor.number(4)?;
    cursor.expect(b'-')?;
    let month = cursor.number(2)?;
    cursor.expect(b'-')?;
    let day = cursor.number(2)?;
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return Err(TimestampError::OutOfRange);
    }
    let midnight = days_from_civil(year, month, day) * MS_PER_DAY;
    let Some(separator) = cursor.peek() else {
        return Ok(Timestamp::from_millis(midnight));
    };
    if !matches!(separator, b'T' | b't' | b' ') {
        return Err(TimestampError::Malformed);
    }
    cursor.at += 1;
    let hour = cursor.number(2)?;
    cursor.expect(b':')?;
    let minute = cursor.number(2)?;
    let mut second = 0;
    let mut millis = 0;
    if cursor.peek() == Some(b':') {
        cursor.at += 1;
        second = cursor.number(2)?;
        if cursor.peek() == Some(b'.') {
            cursor.at += 1;
            let mut digits = 0;
            while let Some(byte) = cursor.peek().filter(u8::is_ascii_digit) {
                if digits < 3 {
                    millis = millis * 10 + i64::from(byte - b'0');
                }
                digits += 1;
                cursor.at += 1;
            }
            if digits == 0 {
                return Err(TimestampError::Malformed);
            }
            for _ in digits..3 {
                millis *= 10;
            }
        }
    }
    // A leap second (:60) is read as the last millisecond of its minute.
    if hour > 23 || minute > 59 || second > 60 {
        return Err(TimestampError::OutOfRange);
    }
    let offset_minutes = match cursor.peek() {
        Some(b'Z' | b'z') => {
            cursor.at += 1;
            0
        }
        Some(sign @ (b'+' | b'-')) => {
            cursor.at += 1;
            let hours = cursor.number(2)?;
            cursor.expect(b':')?;
            let minutes = cursor.number(2)?;
            if hours > 23 || minutes > 59 {
                return Err(TimestampError::OutOfRange);
            }
            let total = hours * 60 + minutes;
            if sign == b'-' { -total } else { total }
        }
        _ => return Err(TimestampError::Malformed),
    };
    if cursor.at != cursor.bytes.len() {
        return Err(TimestampError::Malformed);
    }
    let (second, millis) = if second == 60 { (59, 999) } else { (second, millis) };
    let local = midnight + ((hour * 60 + minute) * 60 + second) * 1000 + millis;
    Ok(Timestamp::from_millis(local - offset_minutes * 60_000))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse(text: &str) -> i64 {
        parse_timestamp(text).unwrap().as_millis()
    }

    #[test]
    fn formats_the_segment_shape() {
        assert_eq!(format_timestamp(Timestamp::from_millis(0)), "1970-01-01T00:00:00.000Z");
        assert_eq!(format_timestamp(Timestamp::from_millis(1_795_000_000_123)), "2026-11-18T11:06:40.123Z");
        assert_eq!(format_timestamp(Timestamp::from_millis(951_782_400_000)), "2000-02-29T00:00:00.000Z");
    }

    #[test]
    fn parses_dates_times_fractions_and_offsets() {
        assert_eq!(parse("1970-01-01"), 0);
        assert_eq!(parse("2026-11-18T11:06:40.123Z"), 1_795_000_000_123);
        assert_eq!(parse("2026-11-18T11:06:40Z"), 1_795_000_000_000);
        assert_eq!(parse("2026-11-18T11:06Z"), 1_795_000_000_000 - 40_000);
        assert_eq!(parse("2026-11-18T20:06:40.123+09:00"), 1_795_000_000_123);
        assert_eq!(parse("2026-11-18T06:06:40.1234567-05:00"), 1_795_000_000_123);
        assert_eq!(parse("2026-11-18 11:06:40.1z"), 1_795_000_000_100);
        assert_eq!(parse("1969-12-31T23:59:59.999Z"), -1);
    }

    #[test]
    fn refuses_what_is_not_a_timestamp() {
        for text in [
            "",
            "2026",
            "2026-1-01",
            "2026-01-01T",
            "2026-01-01T10",
            "2026-01-01T10:00",
            "2026-01-01T10:00:00",
            "2026-01-01T10:00:00.Z",
            "2026-01-01T10:00:00+0900",
            "2026-01-01X10:00Z",
            "2026-01-01T10:00Z ",
            "yesterday",
            "２０２６-01-01",
        ] {
            assert_eq!(parse_timestamp(text), Err(TimestampError::Malformed), "{text:?}");
        }
        for text in ["2026-13-01", "2026-02-29", "2026-04-31", "2026-01-01T24:00Z", "2026-01-01T10:00+24:00"] {
            assert_eq!(parse_timestamp(text), Err(TimestampError::OutOfRange), "{text:?}");
        }
        assert_eq!(parse("2024-02-29"), 1_709_164_800_000);
    }

    proptest! {
        #[test]
        fn formatting_then_parsing_gives_the_same_instant(millis in -62_167_219_200_000i64..253_402_300_799_999) {
            let at = Timestamp::from_millis(millis);
            prop_assert_eq!(parse_timestamp(&format_timestamp(at)), Ok(at));
        }

        #[test]
        fn parsing_never_panics(text in "\\PC{0,40}") {
            let _ = parse_timestamp(&text);
        }
    }
}
