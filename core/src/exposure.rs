//! What the user has been shown and how they answered: per rule, how many times it was shown,
//! when last, and whether it was dismissed or acted on; and how many prompts were shown today,
//! for the daily throttle. Kept on the device with the usage, so a dismissal is remembered.

use std::collections::BTreeMap;

use crate::time::{DayNumber, Timestamp};

/// One rule's history with this user.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RuleExposure {
    pub shows: u32,
    pub last_shown: Option<Timestamp>,
    pub dismissed_at: Option<Timestamp>,
    pub acted_at: Option<Timestamp>,
}

impl RuleExposure {
    /// A rule stops once its experience was dismissed or acted on.
    pub fn is_finished(&self) -> bool {
        self.dismissed_at.is_some() || self.acted_at.is_some()
    }
}

/// How the user left a prompt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PromptOutcome {
    /// Closed with the close button, Escape, or a button whose action is to dismiss.
    Dismissed,
    /// Pressed the button at this index, whose action is not a dismissal.
    Acted { button: usize },
}

/// Every rule's history with this user, and today's show count.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExposureState {
    by_rule: BTreeMap<String, RuleExposure>,
    shows_on_day: Option<(DayNumber, u32)>,
}

impl ExposureState {
    pub fn from_parts(by_rule: BTreeMap<String, RuleExposure>, shows_on_day: Option<(DayNumber, u32)>) -> Self {
        ExposureState { by_rule, shows_on_day }
    }

    pub fn by_rule(&self) -> &BTreeMap<String, RuleExposure> {
        &self.by_rule
    }

    pub fn shows_on_day(&self) -> Option<(DayNumber, u32)> {
        self.shows_on_day
    }

    pub fn rule(&self, id: &str) -> Option<&RuleExposure> {
        self.by_rule.get(id)
    }

    /// Prompts shown on `day`.
    pub fn shows_on(&self, day: DayNumber) -> u32 {
        match self.shows_on_day {
            Some((shown_day, shows)) if shown_day == day => shows,
            _ => 0,
        }
    }

    pub fn record_show(&mut self, rule: &str, at: Timestamp, day: DayNumber) {
        let exposure = self.by_rule.entry(rule.to_owned()).or_default();
        exposure.shows = exposure.shows.saturating_add(1);
        exposure.last_shown = Some(at);
        let today = self.shows_on(day).saturating_add(1);
        self.shows_on_day = Some((day, today));
    }

    pub fn record_outcome(&mut self, rule: &str, outcome: PromptOutcome, at: Timestamp) {
        let exposure = self.by_rule.entry(rule.to_owned()).or_default();
        match outcome {
            PromptOutcome::Dismissed => exposure.dismissed_at = Some(at),
            PromptOutcome::Acted { .. } => exposure.acted_at = Some(at),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_are_counted_per_rule_and_per_day() {
        let mut exposure = ExposureState::default();
        let at = Timestamp::from_millis(1000);
        exposure.record_show("a", at, DayNumber(3));
        exposure.record_show("b", at, DayNumber(3));
        exposure.record_show("a", at, DayNumber(4));
        assert_eq!(exposure.rule("a").unwrap().shows, 2);
        assert_eq!(exposure.shows_on(DayNumber(3)), 0, "only the latest day is kept");
        assert_eq!(exposure.shows_on(DayNumber(4)), 1);
        assert!(!exposure.rule("a").unwrap().is_finished());
    }

    #[test]
    fn a_dismissal_or_an_action_finishes_the_rule() {
        let mut exposure = ExposureState::default();
        let at = Timestamp::from_millis(1000);
        exposure.record_outcome("a", PromptOutcome::Dismissed, at);
        exposure.record_outcome("b", PromptOutcome::Acted { button: 0 }, at);
        assert!(exposure.rule("a").unwrap().is_finished());
        assert!(exposure.rule("b").unwrap().is_finished());
    }
}
