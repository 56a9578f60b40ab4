//! Survey answers: checked against the survey's kind (NPS 0-10, CSAT 1-5, one of the choices),
//! sent as `survey_answered` with the free-text follow-up, and recorded as the rule's click.

use serde_json::Value;

use super::{Engine, ExperienceRef, experience_properties, sdk_events};
use crate::config::SurveyKind;
use crate::exposure::Outcome;
use crate::time::Timestamp;

/// What the user answered.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct SurveyAnswer {
    /// NPS 0-10, CSAT 1-5.
    pub score: Option<u8>,
    /// The index of the choice, for a choice survey.
    pub choice: Option<usize>,
    pub comment: Option<String>,
}

/// Why an answer was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SurveyError {
    #[error("no survey has this id")]
    UnknownSurvey,
    #[error("the score is outside the survey's scale")]
    ScoreOutOfRange,
    #[error("the answer is not one of the survey's choices")]
    UnknownChoice,
}

/// The longest comment sent, in characters.
const COMMENT_MAX_CHARS: usize = 2000;

impl Engine {
    pub fn survey_answered(
        &mut self,
        reference: &ExperienceRef,
        answer: SurveyAnswer,
        now: Timestamp,
    ) -> Result<(), SurveyError> {
        let survey = self.config().and_then(|config| config.survey(&reference.id)).ok_or(SurveyError::UnknownSurvey)?;
        let (kind, choices) = (survey.kind, survey.choices.len());
        let default_locale =
            self.config().map_or_else(|| "en".to_owned(), |config| config.settings.default_locale.clone());
        let mut properties = experience_properties(reference, None);
        let kind_name = match kind {
            SurveyKind::Nps => "nps",
            SurveyKind::Csat => "csat",
            SurveyKind::Choice => "choice",
        };
        properties.insert("survey_id".to_owned(), Value::from(reference.id.as_str()));
        properties.insert("kind".to_owned(), Value::from(kind_name));
        match kind {
            SurveyKind::Nps | SurveyKind::Csat => {
                let range = if kind == SurveyKind::Nps { 0..=10 } else { 1..=5 };
                let score = answer.score.filter(|score| range.contains(score)).ok_or(SurveyError::ScoreOutOfRange)?;
                properties.insert("score".to_owned(), Value::from(score));
            }
            SurveyKind::Choice => {
                let choice = answer.choice.filter(|choice| *choice < choices).ok_or(SurveyError::UnknownChoice)?;
                let label = self
                    .config()
                    .and_then(|config| config.survey(&reference.id))
                    .and_then(|survey| survey.choices.get(choice))
                    .map(|text| text.resolve(&default_locale, &default_locale).to_owned());
                properties.insert("choice".to_owned(), Value::from(choice));
                properties.insert("choice_label".to_owned(), Value::from(label.unwrap_or_default()));
            }
        }
        if let Some(comment) =
            answer.comment.map(|comment| comment.trim().to_owned()).filter(|comment| !comment.is_empty())
        {
            let mut comment = comment;
            if let Some((end, _)) = comment.char_indices().nth(COMMENT_MAX_CHARS) {
                comment.truncate(end);
            }
            properties.insert("comment".to_owned(), Value::from(comment));
        }
        self.record_outcome(reference, Outcome::Clicked { button: 0 }, now);
        self.track_event(sdk_events::SURVEY_ANSWERED, properties, now);
        Ok(())
    }
}
