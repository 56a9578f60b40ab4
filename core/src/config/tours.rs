//! `tours`: multi-step guides. Each step may point at an element, says how it advances, and
//! what to do when its element is missing (wait for it, then skip the step, show it centred, or
//! abort the tour).

use super::json::Json;
use serde::{Deserialize, Serialize};

use super::decode::Decoder;
use super::glob::PathGlob;
use super::text::Text;
use crate::time::Delay;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Placement {
    #[default]
    Auto,
    Top,
    Bottom,
    Left,
    Right,
}

/// How a step moves on to the next.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Advance {
    /// The Next button.
    #[default]
    Next,
    /// A click on the step's target.
    Click,
    /// An event being tracked.
    Event(String),
    /// The page changing to a path matching this glob.
    Page(PathGlob),
}

/// What to do once a missing target has been waited for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum MissingThen {
    #[default]
    Skip,
    Centered,
    Abort,
}

/// `{"wait": "5s", "then": "skip"}`: wait for the target to appear, then give up this way.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct MissingTarget {
    pub wait: Delay,
    #[serde(default)]
    pub then: MissingThen,
}

impl Default for MissingTarget {
    fn default() -> Self {
        MissingTarget { wait: Delay::from_millis(3_000), then: MissingThen::Skip }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct TourStep {
    /// A CSS selector; without one the step is shown centred.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    pub title: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Text>,
    #[serde(default)]
    pub placement: Placement,
    #[serde(default)]
    pub advance: Advance,
    /// Overrides the tour's policy for this step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missing_target: Option<MissingTarget>,
    /// Dim the page around the target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spotlight: Option<bool>,
    /// The pages the step is shown on; elsewhere the tour waits (for tours across pages).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<PathGlob>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Tour {
    pub id: String,
    #[cfg_attr(any(test, feature = "schema"), schemars(length(min = 1, max = 20)))]
    pub steps: Vec<TourStep>,
    #[serde(default)]
    pub missing_target: MissingTarget,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub spotlight: bool,
}

/// The most steps a tour may have.
pub const TOUR_MAX_STEPS: usize = 20;

const PLACEMENTS: &[(&str, Placement)] = &[
    ("auto", Placement::Auto),
    ("top", Placement::Top),
    ("bottom", Placement::Bottom),
    ("left", Placement::Left),
    ("right", Placement::Right),
];

const THENS: &[(&str, MissingThen)] =
    &[("skip", MissingThen::Skip), ("centered", MissingThen::Centered), ("abort", MissingThen::Abort)];

impl Decoder {
    pub(crate) fn placement(&mut self, value: &Json<'_>) -> Option<Placement> {
        self.one_of(value, PLACEMENTS, "\"auto\", \"top\", \"bottom\", \"left\" or \"right\"")
    }

    fn path_glob(&mut self, value: &Json<'_>) -> Option<PathGlob> {
        match value.as_str().map(PathGlob::parse) {
            Some(Ok(glob)) => Some(glob),
            _ => self.expected("a path glob starting with \"/\", such as \"/invoices/*\"", value),
        }
    }

    fn advance(&mut self, value: &Json<'_>) -> Option<Advance> {
        const EXPECTED: &str = "\"next\", \"click\", {\"event\": \"name\"} or {\"page\": \"/a/glob\"}";
        match value {
            Json::String(word) if word == "next" => Some(Advance::Next),
            Json::String(word) if word == "click" => Some(Advance::Click),
            Json::Object(map) if map.len() == 1 && map.contains_key("event") => {
                self.required(map, "event", Decoder::name).map(Advance::Event)
            }
            Json::Object(map) if map.len() == 1 && map.contains_key("page") => {
                self.required(map, "page", Decoder::path_glob).map(Advance::Page)
            }
            other => self.expected(EXPECTED, other),
        }
    }

    fn missing_target(&mut self, value: &Json<'_>) -> Option<MissingTarget> {
        let map =
            self.object(value, "{\"wait\": \"5s\", \"then\": \"skip\" | \"centered\" | \"abort\"}", &["wait", "then"])?;
        let wait = self.required(map, "wait", Decoder::delay);
        let then = self.with_default(map, "then", MissingThen::Skip, |d, v| {
            d.one_of(v, THENS, "\"skip\", \"centered\" or \"abort\"")
        });
        Some(MissingTarget { wait: wait?, then: then? })
    }

    fn tour_step(&mut self, value: &Json<'_>) -> Option<TourStep> {
        const KEYS: &[&str] =
            &["target", "title", "body", "placement", "advance", "missing_target", "spotlight", "page"];
        let map = self.object(value, "a step: an object with \"title\" and optionally \"target\"", KEYS)?;
        let target = self.with_default(map, "target", None, |d, v| d.selector(v).map(Some));
        let title = self.required(map, "title", Decoder::text);
        let body = self.with_default(map, "body", None, |d, v| d.text(v).map(Some));
        let placement = self.with_default(map, "placement", Placement::Auto, Decoder::placement);
        let advance = self.with_default(map, "advance", Advance::Next, Decoder::advance);
        let missing_target = self.with_default(map, "missing_target", None, |d, v| d.missing_target(v).map(Some));
        let spotlight = self.with_default(map, "spotlight", None, |d, v| d.boolean(v).map(Some));
        let page = self.with_default(map, "page", None, |d, v| d.path_glob(v).map(Some));
        let step = TourStep {
            target: target?,
            title: title?,
            body: body?,
            placement: placement?,
            advance: advance?,
            missing_target: missing_target?,
            spotlight: spotlight?,
            page: page?,
        };
        if step.advance == Advance::Click && step.target.is_none() {
            return self.expected("a \"target\" for a step that advances on a click on it", value);
        }
        Some(step)
    }

    pub(crate) fn tour(&mut self, value: &Json<'_>) -> Option<Tour> {
        let map = self.object(
            value,
            "a tour: an object with \"id\" and \"steps\"",
            &["id", "steps", "missing_target", "spotlight"],
        )?;
        let id = self.required(map, "id", Decoder::name);
        let steps = self.required(map, "steps", |d, v| {
            let steps = d.list(v, "a list of 1 to 20 steps", Decoder::tour_step)?;
            if steps.is_empty() || steps.len() > TOUR_MAX_STEPS {
                return d.expected("a list of 1 to 20 steps", v);
            }
            Some(steps)
        });
        let missing_target =
            self.with_default(map, "missing_target", MissingTarget::default(), Decoder::missing_target);
        let spotlight = self.with_default(map, "spotlight", false, Decoder::boolean);
        Some(Tour { id: id?, steps: steps?, missing_target: missing_target?, spotlight: spotlight? })
    }
}
