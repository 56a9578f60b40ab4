//! `prompts`: modal messages with a title, a body and up to two buttons. Every string is text,
//! never HTML; a button can only dismiss or go to a safe URL.

use serde_json::Value;

use super::decode::Decoder;
use super::error::ConfigProblem;
use super::safe_url::is_safe_url;

/// What a prompt's button does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ButtonAction {
    /// Close the prompt; counts as a dismissal.
    Dismiss,
    /// Go to this http(s) or relative URL; counts as an action.
    Navigate(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PromptButton {
    pub label: String,
    pub action: ButtonAction,
}

/// A modal prompt. The first button is the main one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prompt {
    pub id: String,
    pub title: String,
    pub body: String,
    pub buttons: Vec<PromptButton>,
}

/// The most buttons a prompt may have.
pub const PROMPT_MAX_BUTTONS: usize = 2;

pub(crate) fn decode_prompt(decoder: &mut Decoder, value: &Value) -> Option<Prompt> {
    let map = decoder.object(
        value,
        "a prompt: an object with \"id\", \"title\" and \"body\"",
        &["id", "title", "body", "buttons"],
    )?;
    let id = decoder.required(map, "id", Decoder::name);
    let title = decoder.required(map, "title", text);
    let body = decoder.with_default(map, "body", String::new(), text);
    let buttons = decoder.with_default(map, "buttons", Vec::new(), |d, list| {
        let buttons = d.list(list, "a list of at most 2 buttons", decode_button)?;
        if buttons.len() > PROMPT_MAX_BUTTONS {
            d.report(ConfigProblem::TooMany { what: "buttons", max: PROMPT_MAX_BUTTONS, found: buttons.len() });
            return None;
        }
        Some(buttons)
    });
    Some(Prompt { id: id?, title: title?, body: body?, buttons: buttons? })
}

/// Text shown to people: a non-blank string.
fn text(decoder: &mut Decoder, value: &Value) -> Option<String> {
    match value {
        Value::String(text) if !text.trim().is_empty() => Some(text.clone()),
        other => decoder.expected("a non-blank text", other),
    }
}

fn decode_button(decoder: &mut Decoder, value: &Value) -> Option<PromptButton> {
    let map = decoder.object(value, "a button: an object with \"label\" and \"action\"", &["label", "action"])?;
    let label = decoder.required(map, "label", text);
    let action = decoder.with_default(map, "action", ButtonAction::Dismiss, decode_action);
    Some(PromptButton { label: label?, action: action? })
}

fn decode_action(decoder: &mut Decoder, value: &Value) -> Option<ButtonAction> {
    const EXPECTED: &str = "\"dismiss\" or {\"navigate\": \"/a/path\"}";
    match value {
        Value::String(word) if word == "dismiss" => Some(ButtonAction::Dismiss),
        Value::Object(_) => {
            let map = decoder.object(value, EXPECTED, &["navigate"])?;
            decoder.required(map, "navigate", |d, v| match v {
                Value::String(url) if is_safe_url(url) => Some(ButtonAction::Navigate(url.clone())),
                other => d.expected("an http, https or relative URL", other),
            })
        }
        other => decoder.expected(EXPECTED, other),
    }
}
