//! `surveys`: one question, NPS (0-10), CSAT (1-5) or a single choice, with an optional
//! free-text follow-up that asks people to describe, not only to score.

use super::json::Json;
use serde::{Deserialize, Serialize};

use super::decode::Decoder;
use super::text::Text;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum SurveyKind {
    Nps,
    Csat,
    Choice,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Survey {
    pub id: String,
    pub kind: SurveyKind,
    pub question: Text,
    /// The options of a `choice` survey, 2 to 10.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<Text>,
    /// A free-text question asked after the answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follow_up: Option<Text>,
}

const KINDS: &[(&str, SurveyKind)] =
    &[("nps", SurveyKind::Nps), ("csat", SurveyKind::Csat), ("choice", SurveyKind::Choice)];

impl Decoder {
    pub(crate) fn survey(&mut self, value: &Json<'_>) -> Option<Survey> {
        let map = self.object(
            value,
            "a survey: an object with \"id\", \"kind\" and \"question\"",
            &["id", "kind", "question", "choices", "follow_up"],
        )?;
        let id = self.required(map, "id", Decoder::name);
        let kind = self.required(map, "kind", |d, v| d.one_of(v, KINDS, "\"nps\", \"csat\" or \"choice\""));
        let question = self.required(map, "question", Decoder::text);
        let choices =
            self.with_default(map, "choices", Vec::new(), |d, v| d.list(v, "a list of 2 to 10 choices", Decoder::text));
        let follow_up = self.with_default(map, "follow_up", None, |d, v| d.text(v).map(Some));
        let survey = Survey { id: id?, kind: kind?, question: question?, choices: choices?, follow_up: follow_up? };
        let choices_fit = match survey.kind {
            SurveyKind::Choice => (2..=10).contains(&survey.choices.len()),
            SurveyKind::Nps | SurveyKind::Csat => survey.choices.is_empty(),
        };
        if !choices_fit {
            let expected = if survey.kind == SurveyKind::Choice {
                "2 to 10 \"choices\" for a choice survey"
            } else {
                "no \"choices\": NPS and CSAT surveys have their own scale"
            };
            return self.expected(expected, value);
        }
        Some(survey)
    }
}
