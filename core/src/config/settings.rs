//! `settings`: the knobs that apply to every rule and to the adoption model, each with the
//! documented default.

use serde_json::Value;

use super::decode::Decoder;
use crate::time::DayOffset;

/// The global limits on how often anything is shown, across all rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Throttle {
    /// At most this many prompts in one page view (default 1).
    pub per_page_view: u32,
    /// At most this many prompts in one day (default 3).
    pub per_day: u32,
}

impl Default for Throttle {
    fn default() -> Self {
        Throttle { per_page_view: 1, per_day: 3 }
    }
}

/// `settings` of the config.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Settings {
    /// Where the product's day starts, relative to midnight UTC.
    pub day_offset: DayOffset,
    pub throttle: Throttle,
}

const THROTTLE_MAX: i64 = 1000;

pub(crate) fn decode_settings(decoder: &mut Decoder, value: &Value) -> Option<Settings> {
    let map = decoder.object(value, "an object of settings", &["day_offset_minutes", "throttle"])?;
    let defaults = Settings::default();
    let day_offset = decoder.with_default(map, "day_offset_minutes", defaults.day_offset, |d, v| {
        let minutes = d.integer(v, -840, 840, "a whole number of minutes from -840 to 840")?;
        i32::try_from(minutes).ok().and_then(DayOffset::from_minutes)
    });
    let throttle = decoder.with_default(map, "throttle", defaults.throttle, decode_throttle);
    Some(Settings { day_offset: day_offset?, throttle: throttle? })
}

fn decode_throttle(decoder: &mut Decoder, value: &Value) -> Option<Throttle> {
    let map =
        decoder.object(value, "an object with \"per_page_view\" and \"per_day\"", &["per_page_view", "per_day"])?;
    let defaults = Throttle::default();
    let limit = |d: &mut Decoder, v: &Value| {
        d.integer(v, 0, THROTTLE_MAX, "a whole number from 0 to 1000").and_then(|n| u32::try_from(n).ok())
    };
    let per_page_view = decoder.with_default(map, "per_page_view", defaults.per_page_view, limit);
    let per_day = decoder.with_default(map, "per_day", defaults.per_day, limit);
    Some(Throttle { per_page_view: per_page_view?, per_day: per_day? })
}
