//! What the collector's answer to a batch means for its events: stored, to retry (and not
//! before when), too large (split it), some events refused by index, or the whole batch refused.
//! `Retry-After` is read in both its forms: seconds, and an HTTP date.

use serde_json::Value;

use crate::iso8601::days_from_civil;
use crate::time::{Duration, Timestamp};

/// How long a batch's request may take, answer included, before it is given up (aborted, then
/// retried with the backoff): 10 s, and 1 s more for every 8 KiB of body (a slow link), 30 s at
/// most. A hung connection then never holds the queue. If the collector had stored the batch,
/// it drops the copy that comes again.
pub fn request_deadline(body_bytes: usize) -> Duration {
    let extra = i64::try_from(body_bytes / 8_192).unwrap_or(i64::MAX);
    Duration::from_millis((10 + extra).min(30) * 1_000)
}

/// How a send ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// 2xx: stored, except the events at `refused` (indices in the batch), which the collector
    /// named as invalid and will never store.
    Accepted { refused: Vec<usize> },
    /// The network failed, or the collector could not take it now (5xx, 408, 429): retried,
    /// not before `after` when the collector said so.
    Retry { after: Option<Duration> },
    /// 413 without naming events: the batch is split in two.
    TooLarge,
    /// 400 or 413 naming events: those are dropped, the others sent again.
    RefusedEvents { indices: Vec<usize> },
    /// Any other 4xx: sending the batch again cannot help; it is dropped.
    Refused { status: u16 },
}

/// The indices of the events an answer names as refused: `{"invalid": [{"index": 3, ...}]}`.
/// An answer of another shape names none.
fn named_events(answer: Option<&Value>) -> Vec<usize> {
    let named = answer.and_then(|answer| answer.get("invalid")?.as_array()).map_or(&[][..], Vec::as_slice);
    let mut indices = Vec::with_capacity(named.len());
    for event in named {
        let index = event.get("index").and_then(Value::as_u64).and_then(|index| usize::try_from(index).ok());
        // One event without a readable index makes the answer's list unreadable: none named.
        let Some(index) = index else { return Vec::new() };
        indices.push(index);
    }
    indices.sort_unstable();
    indices.dedup();
    indices
}

impl Delivery {
    /// The delivery an HTTP answer means: its status, its `Retry-After` header and its body, if
    /// that is JSON (parsed by the caller: the SDK with `json_reader`).
    pub fn from_answer(status: u16, retry_after: Option<&str>, answer: Option<&Value>, now: Timestamp) -> Delivery {
        match status {
            200..=299 => Delivery::Accepted { refused: named_events(answer) },
            408 | 429 | 500..=599 => {
                Delivery::Retry { after: retry_after.and_then(|value| parse_retry_after(value, now)) }
            }
            400 | 413 => match named_events(answer) {
                indices if !indices.is_empty() => Delivery::RefusedEvents { indices },
                _ if status == 413 => Delivery::TooLarge,
                _ => Delivery::Refused { status },
            },
            400..=499 => Delivery::Refused { status },
            // No answer at all (status 0), or one no collector gives: try again later.
            _ => Delivery::Retry { after: None },
        }
    }
}

/// `Retry-After` as a delay from `now`: whole seconds, or an HTTP date (IMF-fixdate, such as
/// `Wed, 25 Nov 2026 09:30:00 GMT`). A date in the past means now.
pub fn parse_retry_after(value: &str, now: Timestamp) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u32>() {
        return Some(Duration::from_millis(i64::from(seconds) * 1_000));
    }
    let at = parse_http_date(value)?;
    Some(Duration::from_millis((at.as_millis() - now.as_millis()).max(0)))
}

/// An IMF-fixdate (RFC 9110): `Sun, 06 Nov 1994 08:49:37 GMT`.
fn parse_http_date(value: &str) -> Option<Timestamp> {
    let (_weekday, rest) = value.split_once(',')?;
    let rest = rest.strip_prefix(' ')?;
    let mut parts = rest.split(' ');
    let day: i64 = parts.next()?.parse().ok()?;
    let month = match parts.next()? {
        "Jan" => 1,
        "Feb" => 2,
        "Mar" => 3,
        "Apr" => 4,
        "May" => 5,
        "Jun" => 6,
        "Jul" => 7,
        "Aug" => 8,
        "Sep" => 9,
        "Oct" => 10,
        "Nov" => 11,
        "Dec" => 12,
        _ => return None,
    };
    let year: i64 = parts.next()?.parse().ok()?;
    let mut clock = parts.next()?.split(':').map(|part| part.parse::<i64>().ok());
    let (hour, minute, second) = (clock.next()??, clock.next()??, clock.next()??);
    if parts.next()? != "GMT" || parts.next().is_some() || clock.next().is_some() {
        return None;
    }
    let valid =
        (1..=31).contains(&day) && (0..24).contains(&hour) && (0..60).contains(&minute) && (0..61).contains(&second);
    if !valid || !(1970..=9999).contains(&year) {
        return None;
    }
    let seconds = days_from_civil(year, month, day) * 86_400 + hour * 3_600 + minute * 60 + second;
    Some(Timestamp::from_millis(seconds * 1_000))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iso8601::parse_timestamp;

    fn at(iso: &str) -> Timestamp {
        parse_timestamp(iso).unwrap()
    }

    #[test]
    fn a_request_gets_10_to_30_seconds_by_the_size_of_its_body() {
        assert_eq!(request_deadline(0), Duration::from_millis(10_000));
        assert_eq!(request_deadline(64 * 1024), Duration::from_millis(18_000));
        assert_eq!(request_deadline(10 << 20), Duration::from_millis(30_000));
    }

    #[test]
    fn answers_map_to_deliveries() {
        let now = at("2026-11-24T09:30:00Z");
        // The body as the SDK hands it over: parsed when it is JSON.
        let answer = |status, retry_after, body: &str| {
            Delivery::from_answer(status, retry_after, serde_json::from_str(body).ok().as_ref(), now)
        };
        assert_eq!(answer(200, None, r#"{"stored": 2, "invalid": []}"#), Delivery::Accepted { refused: vec![] });
        assert_eq!(
            answer(200, None, r#"{"invalid": [{"index": 3, "error": "x"}, {"index": 1}]}"#),
            Delivery::Accepted { refused: vec![1, 3] }
        );
        assert_eq!(answer(204, None, ""), Delivery::Accepted { refused: vec![] });
        for status in [0, 408, 500, 502, 503] {
            assert_eq!(answer(status, None, ""), Delivery::Retry { after: None }, "{status}");
        }
        assert_eq!(answer(429, Some("7"), ""), Delivery::Retry { after: Some(Duration::from_millis(7_000)) });
        assert_eq!(answer(413, None, "too large"), Delivery::TooLarge);
        assert_eq!(answer(413, None, r#"{"invalid": [{"index": 0}]}"#), Delivery::RefusedEvents { indices: vec![0] });
        assert_eq!(answer(400, None, r#"{"invalid": [{"index": 2}]}"#), Delivery::RefusedEvents { indices: vec![2] });
        assert_eq!(answer(400, None, r#"{"error": "not a batch"}"#), Delivery::Refused { status: 400 });
        assert_eq!(answer(401, None, ""), Delivery::Refused { status: 401 });
    }

    #[test]
    fn retry_after_in_seconds_or_as_an_http_date() {
        let now = at("2026-11-24T09:30:00Z");
        assert_eq!(parse_retry_after("120", now), Some(Duration::from_millis(120_000)));
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::from_millis(0)));
        assert_eq!(parse_retry_after("Tue, 24 Nov 2026 09:31:30 GMT", now), Some(Duration::from_millis(90_000)));
        assert_eq!(parse_retry_after("Mon, 23 Nov 2026 09:31:30 GMT", now), Some(Duration::from_millis(0)), "past");
        for bad in [
            "",
            "-5",
            "soon",
            "Tue, 24 Nov 2026 09:31:30 UTC",
            "Tue, 31 Foo 2026 09:31:30 GMT",
            "Tue, 24 Nov 2026 25:00:00 GMT",
        ] {
            assert_eq!(parse_retry_after(bad, now), None, "{bad:?}");
        }
    }
}
