//! A micro-survey in a card at the bottom of the window: an NPS scale (0-10), a CSAT scale
//! (1-5) or a list of choices, each a button, then the optional free-text follow-up that asks
//! people to describe, not only to score, then thanks. The answer goes out once, with or without
//! the comment.

use std::cell::Cell;
use std::rc::Rc;

use uptake_core::config::SurveyKind;
use uptake_core::markup::plain_text;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Document, Element, HtmlTextAreaElement, KeyboardEvent};

use super::card::Choice;
use super::{FocusReturn, UiRoot, append, button, element, focus_main_button, markup};
use crate::listener::EventListener;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SurveyAnswerChoice {
    Score(u8),
    Choice(usize),
}

/// The survey's texts in the reader's locale.
pub(crate) struct SurveyTexts {
    pub(crate) kind: SurveyKind,
    pub(crate) question: String,
    pub(crate) choices: Vec<String>,
    pub(crate) follow_up: Option<String>,
    pub(crate) low_label: String,
    pub(crate) high_label: String,
    pub(crate) submit: String,
    pub(crate) skip: String,
    pub(crate) thanks: String,
    pub(crate) close_label: String,
}

const ID: &str = "uptake-survey";
const ANSWER_ATTRIBUTE: &str = "data-uptake-answer";
const STEP_ATTRIBUTE: &str = "data-uptake-step";

pub(crate) struct SurveyView {
    card: Element,
    _listeners: [EventListener; 2],
    _focus: FocusReturn,
}

fn answer_buttons(document: &Document, texts: &SurveyTexts, list: &Element) -> Result<(), JsValue> {
    let mut answers = Vec::new();
    match texts.kind {
        SurveyKind::Nps | SurveyKind::Csat => {
            let scores = if texts.kind == SurveyKind::Nps { 0..=10 } else { 1..=5 };
            for score in scores {
                answers.push((score.to_string(), format!("score:{score}")));
            }
        }
        SurveyKind::Choice => {
            for (index, label) in texts.choices.iter().enumerate() {
                answers.push((plain_text(label), format!("choice:{index}")));
            }
        }
    }
    for (label, answer) in answers {
        let option = button(document, "uptake-answer", &label, "")?;
        option.remove_attribute(super::card::CHOICE_ATTRIBUTE)?;
        option.set_attribute(ANSWER_ATTRIBUTE, &answer)?;
        list.append_child(&option)?;
    }
    Ok(())
}

fn parse_answer(value: &str) -> Option<SurveyAnswerChoice> {
    let (kind, number) = value.split_once(':')?;
    match kind {
        "score" => number.parse().ok().map(SurveyAnswerChoice::Score),
        "choice" => number.parse().ok().map(SurveyAnswerChoice::Choice),
        _ => None,
    }
}

/// Replaces the card's content (after the heading) with the follow-up or the thanks.
fn clear_after_heading(card: &Element) -> Result<(), JsValue> {
    while let Some(last) = card.last_element_child() {
        if last.class_name().split(' ').any(|class| class == "uptake-title") {
            break;
        }
        last.remove();
    }
    Ok(())
}

impl SurveyView {
    pub(crate) fn open(
        document: &Document,
        root: &UiRoot,
        texts: SurveyTexts,
        on_answer: Rc<dyn Fn(SurveyAnswerChoice, Option<String>)>,
        on_close: Rc<dyn Fn()>,
    ) -> Result<SurveyView, JsValue> {
        let focus = FocusReturn::remember(document);
        let card = element(document, "div", "uptake-card uptake-survey", None)?;
        card.set_attribute("role", "dialog")?;
        card.set_attribute("aria-labelledby", &format!("{ID}-title"))?;
        let title = element(document, "h2", "uptake-title", None)?;
        markup::append(document, &title, &texts.question)?;
        title.set_id(&format!("{ID}-title"));
        card.append_child(&title)?;
        let list = element(document, "div", "uptake-answers", None)?;
        list.set_attribute("role", "group")?;
        list.set_attribute("aria-labelledby", &format!("{ID}-title"))?;
        answer_buttons(document, &texts, &list)?;
        card.append_child(&list)?;
        if texts.kind != SurveyKind::Choice {
            let scale = element(document, "div", "uptake-scale", None)?;
            scale.set_attribute("aria-hidden", "true")?;
            append(&scale, &element(document, "span", "", Some(&texts.low_label))?)?;
            append(&scale, &element(document, "span", "", Some(&texts.high_label))?)?;
            card.append_child(&scale)?;
        }
        let close = button(document, "uptake-close", "\u{00d7}", "close")?;
        close.set_attribute("aria-label", &texts.close_label)?;
        card.append_child(&close)?;
        root.shadow().append_child(&card)?;

        // An answer chosen and waiting for its follow-up: sent with the comment, without one
        // when skipped, and without one when the survey is closed at the follow-up.
        let pending: Rc<Cell<Option<SurveyAnswerChoice>>> = Rc::new(Cell::new(None));
        let close = {
            let pending = Rc::clone(&pending);
            let on_answer = Rc::clone(&on_answer);
            Rc::new(move || {
                if let Some(answer) = pending.take() {
                    on_answer(answer, None);
                }
                on_close();
            })
        };
        let click_card = card.clone();
        let click_document = document.clone();
        let close_on_click = Rc::clone(&close);
        let texts = Rc::new(texts);
        let on_click = EventListener::new(&card, "click", false, move |event| {
            let Some(target) = event.target().and_then(|target| target.dyn_into::<Element>().ok()) else { return };
            if Choice::of_click(&event) == Some(Choice::Close) {
                close_on_click();
                return;
            }
            if let Some(answer) = target.closest(&format!("[{ANSWER_ATTRIBUTE}]")).ok().flatten() {
                let Some(answer) = answer.get_attribute(ANSWER_ATTRIBUTE).and_then(|value| parse_answer(&value)) else {
                    return;
                };
                match &texts.follow_up {
                    Some(question) => {
                        pending.set(Some(answer));
                        let _ = follow_up(&click_document, &click_card, question, &texts);
                    }
                    None => {
                        on_answer(answer, None);
                        let _ = thanks(&click_document, &click_card, &texts);
                    }
                }
                return;
            }
            let step = target
                .closest(&format!("[{STEP_ATTRIBUTE}]"))
                .ok()
                .flatten()
                .and_then(|e| e.get_attribute(STEP_ATTRIBUTE));
            let comment = match step.as_deref() {
                Some("submit") => click_card
                    .query_selector("textarea")
                    .ok()
                    .flatten()
                    .and_then(|area| area.dyn_into::<HtmlTextAreaElement>().ok())
                    .map(|area| area.value().trim().to_owned())
                    .filter(|comment| !comment.is_empty()),
                Some("skip") => None,
                _ => return,
            };
            let Some(answer) = pending.take() else { return };
            on_answer(answer, comment);
            let _ = thanks(&click_document, &click_card, &texts);
        });
        let on_key = EventListener::new(&card, "keydown", false, move |event| {
            if event.dyn_ref::<KeyboardEvent>().is_some_and(|key| key.key() == "Escape") {
                close();
            }
        });
        let (Some(on_click), Some(on_key)) = (on_click, on_key) else {
            card.remove();
            return Err(JsValue::from_str("could not listen to the survey"));
        };
        focus_main_button(&card);
        Ok(SurveyView { card, _listeners: [on_click, on_key], _focus: focus })
    }
}

fn follow_up(document: &Document, card: &Element, question: &str, texts: &SurveyTexts) -> Result<(), JsValue> {
    clear_after_heading(card)?;
    let label = element(document, "label", "uptake-body", None)?;
    markup::append(document, &label, question)?;
    label.set_attribute("for", &format!("{ID}-comment"))?;
    card.append_child(&label)?;
    let area: HtmlTextAreaElement = element(document, "textarea", "uptake-comment", None)?.dyn_into()?;
    area.set_id(&format!("{ID}-comment"));
    area.set_attribute("rows", "3")?;
    area.set_attribute("maxlength", "2000")?;
    card.append_child(&area)?;
    let actions = element(document, "div", "uptake-actions", None)?;
    let skip = button(document, "uptake-button", &texts.skip, "")?;
    skip.remove_attribute(super::card::CHOICE_ATTRIBUTE)?;
    skip.set_attribute(STEP_ATTRIBUTE, "skip")?;
    let submit = button(document, "uptake-button uptake-primary", &texts.submit, "")?;
    submit.remove_attribute(super::card::CHOICE_ATTRIBUTE)?;
    submit.set_attribute(STEP_ATTRIBUTE, "submit")?;
    actions.append_child(&skip)?;
    actions.append_child(&submit)?;
    card.append_child(&actions)?;
    let close = button(document, "uptake-close", "\u{00d7}", "close")?;
    close.set_attribute("aria-label", &texts.close_label)?;
    card.append_child(&close)?;
    let _ = area.focus();
    Ok(())
}

fn thanks(document: &Document, card: &Element, texts: &SurveyTexts) -> Result<(), JsValue> {
    clear_after_heading(card)?;
    let message = element(document, "p", "uptake-body", Some(&texts.thanks))?;
    message.set_attribute("role", "status")?;
    card.append_child(&message)?;
    let close = button(document, "uptake-close", "\u{00d7}", "close")?;
    close.set_attribute("aria-label", &texts.close_label)?;
    card.append_child(&close)?;
    let _ = close.dyn_ref::<web_sys::HtmlElement>().map(web_sys::HtmlElement::focus);
    Ok(())
}

impl Drop for SurveyView {
    fn drop(&mut self) {
        self.card.remove();
    }
}
