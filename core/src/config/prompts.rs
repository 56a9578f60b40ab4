//! `prompts`: modal messages with a title, a body and up to two buttons. Every string is text,
//! never HTML; a button can dismiss, snooze, or go to a safe URL.

use super::json::Json;
use serde::{Deserialize, Serialize};

use super::decode::Decoder;
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
        const EXPECTED: &str = "\"dismiss\", \"snooze\" or {\"navigate\": \"/a/path\"}";
        match value {
            Json::String(word) if word == "dismiss" => Some(ButtonAction::Dismiss),
            Json::String(word) if word == "snooze" => Some(ButtonAction::Snooze),
            Json::Object(_) => {
                let map = self.object(value, EXPECTED, &["navigate"])?;
                self.required(map, "navigate", Decoder::safe_url).map(ButtonAction::Navigate)
            }
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
        let map = self.object(
            value,
            "a prompt: an object with \"id\", \"title\" and \"body\"",
            &["id", "title", "body", "buttons"],
        )?;
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
        Some(Prompt { id: id?, title: title?, body: body?, buttons: buttons? })
    }
}
