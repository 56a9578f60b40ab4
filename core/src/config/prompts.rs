//! `prompts`: messages with a title, a body and up to two buttons, shown as a modal, a banner, a
//! tooltip on an element, or a hotspot (a dot or a "New" badge on an element that opens a
//! tooltip). Every string is text with a small safe markup, never HTML; a button can dismiss,
//! snooze, go to a safe URL or start a tour.

use super::json::Json;
use serde::{Deserialize, Serialize};

use super::decode::{Decoder, IdKind};
use super::error::ConfigProblem;
use super::safe_url::is_safe_url;
use super::text::Text;

/// What a prompt's button does.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ButtonAction {
    /// Close the prompt; counts as a dismissal.
    Dismiss,
    /// Close the prompt and rest the rule for its `snooze` window (1 day when it has none).
    Snooze,
    /// Go to this http(s) or relative URL; counts as a click.
    Navigate(String),
    /// Start this tour; counts as a click.
    Tour(String),
}

/// Where a banner sits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Edge {
    Top,
    Bottom,
}

/// A prompt next to an element.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Anchor {
    /// A CSS selector; the prompt waits for the element to be on the page.
    pub target: String,
    #[serde(default)]
    pub placement: super::tours::Placement,
}

/// What marks a hotspot's element.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Badge {
    /// A small pulsing dot.
    #[default]
    Dot,
    /// A "New" label.
    New,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct HotspotDisplay {
    pub target: String,
    #[serde(default)]
    pub badge: Badge,
    #[serde(default)]
    pub placement: super::tours::Placement,
}

/// How a prompt is shown.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Display {
    /// Centred, over a backdrop, taking the focus.
    #[default]
    Modal,
    /// Along the top or bottom of the window, over the page.
    Banner(Edge),
    Tooltip(Anchor),
    Hotspot(HotspotDisplay),
}

impl Display {
    /// The element it is attached to, if any.
    pub fn target(&self) -> Option<&str> {
        match self {
            Display::Tooltip(anchor) => Some(&anchor.target),
            Display::Hotspot(hotspot) => Some(&hotspot.target),
            Display::Modal | Display::Banner(_) => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct PromptButton {
    pub label: Text,
    #[serde(default = "dismiss")]
    pub action: ButtonAction,
}

fn dismiss() -> ButtonAction {
    ButtonAction::Dismiss
}

/// A modal prompt. The first button is the main one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Prompt {
    pub id: String,
    pub title: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Text>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(any(test, feature = "schema"), schemars(length(max = 2)))]
    pub buttons: Vec<PromptButton>,
    #[serde(default)]
    pub display: Display,
}

/// The most buttons a prompt may have.
pub const PROMPT_MAX_BUTTONS: usize = 2;

impl Decoder {
    /// A URL people may be sent to: http, https or relative.
    pub(crate) fn safe_url(&mut self, value: &Json<'_>) -> Option<String> {
        match value {
            Json::String(url) if is_safe_url(url) => Some(url.to_string()),
            other => self.expected("an http, https or relative URL", other),
        }
    }

    fn button_action(&mut self, value: &Json<'_>) -> Option<ButtonAction> {
        const EXPECTED: &str = "\"dismiss\", \"snooze\", {\"navigate\": \"/a/path\"} or {\"tour\": \"id\"}";
        match value {
            Json::String(word) if word == "dismiss" => Some(ButtonAction::Dismiss),
            Json::String(word) if word == "snooze" => Some(ButtonAction::Snooze),
            Json::Object(map) if map.contains_key("tour") => {
                self.object(value, EXPECTED, &["tour"])?;
                self.required(map, "tour", |d, v| d.reference(v, IdKind::Tour)).map(ButtonAction::Tour)
            }
            Json::Object(_) => {
                let map = self.object(value, EXPECTED, &["navigate"])?;
                self.required(map, "navigate", Decoder::safe_url).map(ButtonAction::Navigate)
            }
            other => self.expected(EXPECTED, other),
        }
    }

    fn display(&mut self, value: &Json<'_>) -> Option<Display> {
        const EXPECTED: &str = "\"modal\", {\"banner\": \"top\" | \"bottom\"}, {\"tooltip\": {\"target\": \"#css\"}} or {\"hotspot\": {\"target\": \"#css\"}}";
        const EDGES: &[(&str, Edge)] = &[("top", Edge::Top), ("bottom", Edge::Bottom)];
        const BADGES: &[(&str, Badge)] = &[("dot", Badge::Dot), ("new", Badge::New)];
        match value {
            Json::String(word) if word == "modal" => Some(Display::Modal),
            Json::Object(map) if map.len() == 1 && map.contains_key("banner") => {
                self.required(map, "banner", |d, v| d.one_of(v, EDGES, "\"top\" or \"bottom\"")).map(Display::Banner)
            }
            Json::Object(map) if map.len() == 1 && map.contains_key("tooltip") => self
                .required(map, "tooltip", |d, v| {
                    let anchor = d.object(v, "{\"target\": \"#css\", \"placement\": ...}", &["target", "placement"])?;
                    let target = d.required(anchor, "target", Decoder::selector);
                    let placement = d.with_default(anchor, "placement", Default::default(), Decoder::placement);
                    Some(Anchor { target: target?, placement: placement? })
                })
                .map(Display::Tooltip),
            Json::Object(map) if map.len() == 1 && map.contains_key("hotspot") => self
                .required(map, "hotspot", |d, v| {
                    let keys = &["target", "badge", "placement"];
                    let hotspot = d.object(v, "{\"target\": \"#css\", \"badge\": \"dot\" | \"new\"}", keys)?;
                    let target = d.required(hotspot, "target", Decoder::selector);
                    let badge =
                        d.with_default(hotspot, "badge", Badge::Dot, |d, v| d.one_of(v, BADGES, "\"dot\" or \"new\""));
                    let placement = d.with_default(hotspot, "placement", Default::default(), Decoder::placement);
                    Some(HotspotDisplay { target: target?, badge: badge?, placement: placement? })
                })
                .map(Display::Hotspot),
            other => self.expected(EXPECTED, other),
        }
    }

    fn prompt_button(&mut self, value: &Json<'_>) -> Option<PromptButton> {
        let map = self.object(value, "a button: an object with \"label\" and \"action\"", &["label", "action"])?;
        let label = self.required(map, "label", Decoder::text);
        let action = self.with_default(map, "action", ButtonAction::Dismiss, Decoder::button_action);
        Some(PromptButton { label: label?, action: action? })
    }

    pub(crate) fn prompt(&mut self, value: &Json<'_>) -> Option<Prompt> {
        let keys = &["id", "title", "body", "buttons", "display"];
        let map = self.object(value, "a prompt: an object with \"id\", \"title\" and \"body\"", keys)?;
        let id = self.required(map, "id", Decoder::name);
        let title = self.required(map, "title", Decoder::text);
        let body = self.with_default(map, "body", None, |d, v| d.text(v).map(Some));
        let buttons = self.with_default(map, "buttons", Vec::new(), |d, list| {
            let buttons = d.list(list, "a list of at most 2 buttons", Decoder::prompt_button)?;
            if buttons.len() > PROMPT_MAX_BUTTONS {
                d.report(ConfigProblem::TooMany { what: "buttons", max: PROMPT_MAX_BUTTONS, found: buttons.len() });
                return None;
            }
            Some(buttons)
        });
        let display = self.with_default(map, "display", Display::Modal, Decoder::display);
        Some(Prompt { id: id?, title: title?, body: body?, buttons: buttons?, display: display? })
    }
}
