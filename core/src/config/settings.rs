//! `settings`: the knobs that apply to every rule and to the adoption model, each with the
//! documented default: the day boundary, the global throttle, the default locale, the theme,
//! and every threshold of the adoption model.

use super::json::Json;
use serde::{Deserialize, Serialize};

use super::decode::Decoder;
use super::text::is_locale_tag;
use crate::time::DayOffset;

/// The global limits on how often anything is shown, across all rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Throttle {
    /// At most this many experiences in one page view (default 1).
    #[serde(default = "Throttle::default_per_page_view")]
    pub per_page_view: u32,
    /// At most this many experiences in one day (default 3).
    #[serde(default = "Throttle::default_per_day")]
    pub per_day: u32,
}

impl Throttle {
    fn default_per_page_view() -> u32 {
        1
    }

    fn default_per_day() -> u32 {
        3
    }
}

impl Default for Throttle {
    fn default() -> Self {
        Throttle { per_page_view: Throttle::default_per_page_view(), per_day: Throttle::default_per_day() }
    }
}

/// The thresholds of the adoption model (see PRODUCT.md), each with its documented default.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, default)]
pub struct ModelSettings {
    /// Depth counts applicable features used in this many last days (90).
    pub depth_window_days: u32,
    /// Recency "active": last active at most this many days ago (6).
    pub active_within_days: u32,
    /// Recency "dormant": last active more than this many days ago (30); "at_risk" between.
    pub dormant_after_days: u32,
    /// Frequency "daily": used on at least this many of the last 28 days (12).
    pub daily_min_days: u32,
    /// Frequency "weekly": used in at least this many of the last 4 weeks (3).
    pub weekly_min_weeks: u32,
    /// Barrier "unconvinced": used, but not in this many last days (30).
    pub unconvinced_after_days: u32,
    /// Level 2, regular use: active in at least this many of the last 4 weeks (3).
    pub regular_min_weeks: u32,
    /// Level 3, habit: active on at least this many days in each of the last 3 weeks (3).
    pub habit_min_days_per_week: u32,
    /// Level 4, advanced: depth at least this (0.5).
    pub advanced_depth: f64,
    /// Level 5, power user: depth at least this (0.7).
    pub power_depth: f64,
}

impl Default for ModelSettings {
    fn default() -> Self {
        ModelSettings {
            depth_window_days: 90,
            active_within_days: 6,
            dormant_after_days: 30,
            daily_min_days: 12,
            weekly_min_weeks: 3,
            unconvinced_after_days: 30,
            regular_min_weeks: 3,
            habit_min_days_per_week: 3,
            advanced_depth: 0.5,
            power_depth: 0.7,
        }
    }
}

/// Colours, font, corner radius and stacking order of what the SDK shows. Each is a CSS value
/// set as a custom property; the host page can set the same properties.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Theme {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accent_text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub surface: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub muted: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub radius: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub font: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub z_index: Option<i32>,
}

impl Theme {
    /// The CSS custom properties this theme sets, as (name, value).
    pub fn custom_properties(&self) -> Vec<(&'static str, String)> {
        let mut properties = Vec::new();
        let strings = [
            ("--uptake-accent", &self.accent),
            ("--uptake-accent-text", &self.accent_text),
            ("--uptake-surface", &self.surface),
            ("--uptake-text", &self.text),
            ("--uptake-muted", &self.muted),
            ("--uptake-radius", &self.radius),
            ("--uptake-font", &self.font),
        ];
        for (name, value) in strings {
            if let Some(value) = value {
                properties.push((name, value.clone()));
            }
        }
        if self.accent_text.is_none()
            && let Some(text) = self.accent.as_deref().and_then(readable_text_on)
        {
            properties.push(("--uptake-accent-text", text.to_owned()));
        }
        if let Some(z_index) = self.z_index {
            properties.push(("--uptake-z-index", z_index.to_string()));
        }
        properties
    }
}

/// White or near-black for text on the colour `#rgb` or `#rrggbb`, by its perceived brightness
/// (the YIQ formula, in integers: no float maths in the SDK for this): the text of an accent the
/// config sets without its text colour, in the light and dark themes alike. None for other CSS
/// colours.
fn readable_text_on(background: &str) -> Option<&'static str> {
    let hex = background.strip_prefix('#')?;
    let mut digits = Vec::with_capacity(hex.len());
    for c in hex.chars() {
        digits.push(c.to_digit(16)?);
    }
    let [r, g, b] = match digits.as_slice() {
        [r, g, b] => [r * 17, g * 17, b * 17],
        [r1, r2, g1, g2, b1, b2] => [r1 * 16 + r2, g1 * 16 + g2, b1 * 16 + b2],
        _ => return None,
    };
    let brightness = (r * 299 + g * 587 + b * 114) / 1000;
    // 105 rather than the usual 128: it agrees with WCAG contrast on common accents (Tailwind's
    // 600s: white on blue, violet and red; near-black on green, cyan and orange).
    Some(if brightness < 105 { "#ffffff" } else { "#111827" })
}

/// `settings` of the config.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Where the product's day starts, in minutes from midnight UTC (-840 to 840).
    pub day_offset_minutes: i32,
    pub throttle: Throttle,
    /// The locale of texts when the user's own is not given (default "en").
    pub default_locale: String,
    pub theme: Theme,
    pub model: ModelSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            day_offset_minutes: 0,
            throttle: Throttle::default(),
            default_locale: "en".to_owned(),
            theme: Theme::default(),
            model: ModelSettings::default(),
        }
    }
}

impl Settings {
    pub fn day_offset(&self) -> DayOffset {
        DayOffset::from_minutes(self.day_offset_minutes).unwrap_or_default()
    }
}

/// A CSS value that cannot break out of its declaration: no `;`, braces, quotes, backslashes
/// or `url(`.
fn is_plain_css_value(value: &str) -> bool {
    !value.trim().is_empty()
        && value.len() <= 200
        && !value.as_bytes().windows(4).any(|four| four.eq_ignore_ascii_case(b"url("))
        && !value.chars().any(|c| c.is_control() || matches!(c, ';' | '{' | '}' | '\\' | '<' | '>' | '!' | '"' | '\''))
}

const THEME_KEYS: &[&str] = &["accent", "accent_text", "surface", "text", "muted", "radius", "font", "z_index"];
const MODEL_KEYS: &[&str] = &[
    "depth_window_days",
    "active_within_days",
    "dormant_after_days",
    "daily_min_days",
    "weekly_min_weeks",
    "unconvinced_after_days",
    "regular_min_weeks",
    "habit_min_days_per_week",
    "advanced_depth",
    "power_depth",
];

impl Decoder {
    fn throttle(&mut self, value: &Json<'_>) -> Option<Throttle> {
        let map =
            self.object(value, "an object with \"per_page_view\" and \"per_day\"", &["per_page_view", "per_day"])?;
        let defaults = Throttle::default();
        let limit = |d: &mut Decoder, v: &Json<'_>| {
            d.integer(v, 0, 1000, "a whole number from 0 to 1000").and_then(|n| u32::try_from(n).ok())
        };
        let per_page_view = self.with_default(map, "per_page_view", defaults.per_page_view, limit);
        let per_day = self.with_default(map, "per_day", defaults.per_day, limit);
        Some(Throttle { per_page_view: per_page_view?, per_day: per_day? })
    }

    fn css_value(&mut self, value: &Json<'_>) -> Option<String> {
        match value {
            Json::String(text) if is_plain_css_value(text) => Some(text.to_string()),
            other => self.expected("a CSS value such as \"#1d4ed8\" or \"12px\" (no ; { } quotes or url())", other),
        }
    }

    fn theme(&mut self, value: &Json<'_>) -> Option<Theme> {
        let map = self.object(value, "an object of theme values", THEME_KEYS)?;
        let css = |d: &mut Decoder, key| d.with_default(map, key, None, |d, v| d.css_value(v).map(Some));
        let accent = css(self, "accent");
        let accent_text = css(self, "accent_text");
        let surface = css(self, "surface");
        let text = css(self, "text");
        let muted = css(self, "muted");
        let radius = css(self, "radius");
        let font = css(self, "font");
        let z_index = self.with_default(map, "z_index", None, |d, v| {
            d.integer(v, 0, 2_147_483_647, "a z-index from 0 to 2147483647")
                .and_then(|n| i32::try_from(n).ok())
                .map(Some)
        });
        Some(Theme {
            accent: accent?,
            accent_text: accent_text?,
            surface: surface?,
            text: text?,
            muted: muted?,
            radius: radius?,
            font: font?,
            z_index: z_index?,
        })
    }

    fn model_settings(&mut self, value: &Json<'_>) -> Option<ModelSettings> {
        let map = self.object(value, "an object of adoption-model thresholds", MODEL_KEYS)?;
        let defaults = ModelSettings::default();
        let days = |d: &mut Decoder, key, default, max: i64, expected| {
            d.with_default(map, key, default, |d, v| d.integer(v, 0, max, expected).and_then(|n| u32::try_from(n).ok()))
        };
        let depth_window_days =
            days(self, "depth_window_days", defaults.depth_window_days, 400, "a number of days from 0 to 400");
        let active_within_days =
            days(self, "active_within_days", defaults.active_within_days, 400, "a number of days from 0 to 400");
        let dormant_after_days =
            days(self, "dormant_after_days", defaults.dormant_after_days, 400, "a number of days from 0 to 400");
        let daily_min_days = days(self, "daily_min_days", defaults.daily_min_days, 28, "a number of days from 0 to 28");
        let weekly_min_weeks =
            days(self, "weekly_min_weeks", defaults.weekly_min_weeks, 4, "a number of weeks from 0 to 4");
        let unconvinced_after_days = days(
            self,
            "unconvinced_after_days",
            defaults.unconvinced_after_days,
            400,
            "a number of days from 0 to 400",
        );
        let regular_min_weeks =
            days(self, "regular_min_weeks", defaults.regular_min_weeks, 4, "a number of weeks from 0 to 4");
        let habit_min_days_per_week =
            days(self, "habit_min_days_per_week", defaults.habit_min_days_per_week, 7, "a number of days from 0 to 7");
        let share = |d: &mut Decoder, key, default| {
            d.with_default(map, key, default, |d, v| d.share(v, 0.0, 1.0, "a share from 0 to 1"))
        };
        let advanced_depth = share(self, "advanced_depth", defaults.advanced_depth);
        let power_depth = share(self, "power_depth", defaults.power_depth);
        let settings = ModelSettings {
            depth_window_days: depth_window_days?,
            active_within_days: active_within_days?,
            dormant_after_days: dormant_after_days?,
            daily_min_days: daily_min_days?,
            weekly_min_weeks: weekly_min_weeks?,
            unconvinced_after_days: unconvinced_after_days?,
            regular_min_weeks: regular_min_weeks?,
            habit_min_days_per_week: habit_min_days_per_week?,
            advanced_depth: advanced_depth?,
            power_depth: power_depth?,
        };
        if settings.active_within_days > settings.dormant_after_days {
            return self.expected("active_within_days at most dormant_after_days", value);
        }
        Some(settings)
    }

    pub(crate) fn settings(&mut self, value: &Json<'_>) -> Option<Settings> {
        const KEYS: &[&str] = &["day_offset_minutes", "throttle", "default_locale", "theme", "model"];
        let map = self.object(value, "an object of settings", KEYS)?;
        let defaults = Settings::default();
        let day_offset_minutes = self.with_default(map, "day_offset_minutes", 0, |d, v| {
            d.integer(v, -840, 840, "a whole number of minutes from -840 to 840").and_then(|n| i32::try_from(n).ok())
        });
        let throttle = self.with_default(map, "throttle", defaults.throttle, Decoder::throttle);
        let default_locale = self.with_default(map, "default_locale", defaults.default_locale, |d, v| match v {
            Json::String(tag) if is_locale_tag(tag) => Some(tag.to_string()),
            other => d.expected("a locale tag such as \"en\" or \"ja\"", other),
        });
        let theme = self.with_default(map, "theme", Theme::default(), Decoder::theme);
        let model = self.with_default(map, "model", ModelSettings::default(), Decoder::model_settings);
        Some(Settings {
            day_offset_minutes: day_offset_minutes?,
            throttle: throttle?,
            default_locale: default_locale?,
            theme: theme?,
            model: model?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn css_values_cannot_break_out() {
        for good in ["#1d4ed8", "rgb(29 78 216 / 0.9)", "12px", "system-ui, sans-serif", "hsl(220deg 80% 40%)"] {
            assert!(is_plain_css_value(good), "{good}");
        }
        for bad in ["red; background: url(x)", "}", "url(https://evil)", "\"x\"", "red !important", "", "a\\62"] {
            assert!(!is_plain_css_value(bad), "{bad}");
        }
    }

    #[test]
    fn a_theme_sets_custom_properties() {
        let theme = Theme { accent: Some("#0f766e".into()), z_index: Some(10), ..Theme::default() };
        assert_eq!(
            theme.custom_properties(),
            [
                ("--uptake-accent", "#0f766e".to_owned()),
                ("--uptake-accent-text", "#ffffff".to_owned()),
                ("--uptake-z-index", "10".to_owned())
            ]
        );
    }

    #[test]
    fn an_accent_without_its_text_colour_gets_the_more_readable_one() {
        let text_on = |accent: &str| {
            let theme = Theme { accent: Some(accent.into()), ..Theme::default() };
            theme.custom_properties().into_iter().find(|(name, _)| *name == "--uptake-accent-text").map(|(_, v)| v)
        };
        assert_eq!(text_on("#0f766e").as_deref(), Some("#ffffff"));
        assert_eq!(text_on("#FDE68A").as_deref(), Some("#111827"), "a pale yellow");
        assert_eq!(text_on("#fff").as_deref(), Some("#111827"));
        assert_eq!(text_on("#2563eb").as_deref(), Some("#ffffff"), "white on blue: 5.2:1");
        assert_eq!(text_on("#16a34a").as_deref(), Some("#111827"), "near-black on green: 5.6:1 (white: 3.3:1)");
        assert_eq!(text_on("rebeccapurple"), None, "only hex colours are read");
        assert_eq!(text_on("#12345"), None);
        let chosen = Theme { accent: Some("#000".into()), accent_text: Some("#eee".into()), ..Theme::default() };
        assert!(
            chosen.custom_properties().contains(&("--uptake-accent-text", "#eee".to_owned())),
            "the config's own wins"
        );
    }
}
