//! What the user has been shown by each rule and how they answered: shows, the first exposure
//! (shown, or eligible in the holdout), dismissal, click, snooze, goal, and the holdout variant.
//! From it and the rule's `frequency`, whether the rule is over for this user or resting.

use crate::config::{Frequency, StopWhen};
use crate::merge::{Combine, earlier};
use crate::time::{Duration, Timestamp};

/// Which group of a rule with a holdout the user is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Variant {
    Treatment,
    Holdout,
}

impl Variant {
    pub fn as_str(self) -> &'static str {
        match self {
            Variant::Treatment => "treatment",
            Variant::Holdout => "holdout",
        }
    }
}

/// How the user left an experience.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Closed it: the close button, Escape, or a button that dismisses.
    Dismissed,
    /// A button that snoozes.
    Snoozed,
    /// A button that does something (the button's index).
    Clicked { button: usize },
}

/// The rest after a snooze button of a rule that has no `snooze` window.
pub const DEFAULT_SNOOZE: Duration = Duration::from_days(1);

/// One rule's history with this user.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RuleExposure {
    pub shows: u32,
    /// Shown, or eligible in the holdout, for the first time.
    pub first_exposed_at: Option<Timestamp>,
    pub last_shown: Option<Timestamp>,
    pub dismissed_at: Option<Timestamp>,
    pub clicked_at: Option<Timestamp>,
    pub snoozed_until: Option<Timestamp>,
    pub goal_reached_at: Option<Timestamp>,
    pub variant: Option<Variant>,
}

impl RuleExposure {
    pub fn is_empty(&self) -> bool {
        *self == RuleExposure::default()
    }

    /// Over for good: a stop condition happened, or the rule was shown as often as allowed.
    pub fn is_over(&self, frequency: &Frequency) -> bool {
        (self.dismissed_at.is_some() && frequency.stops_when(StopWhen::Dismissed))
            || (self.clicked_at.is_some() && frequency.stops_when(StopWhen::Clicked))
            || (self.goal_reached_at.is_some() && frequency.stops_when(StopWhen::GoalReached))
            || frequency.max_shows.is_some_and(|max| self.shows >= max)
    }

    /// Resting until later: too soon after the last show, snoozed, or dismissed with a snooze.
    pub fn is_resting(&self, frequency: &Frequency, now: Timestamp) -> bool {
        let too_soon = match (frequency.min_interval, self.last_shown) {
            (Some(interval), Some(last)) => now < last.plus(interval.duration()),
            _ => false,
        };
        let snoozed = self.snoozed_until.is_some_and(|until| now < until);
        let resting_after_dismissal = match (frequency.snooze, self.dismissed_at) {
            (Some(snooze), Some(dismissed)) => now < dismissed.plus(snooze.duration()),
            _ => false,
        };
        too_soon || snoozed || resting_after_dismissal
    }

    /// Records a show (or, for the holdout, the moment it would have been shown).
    pub fn record_exposure(&mut self, at: Timestamp, shown: bool) {
        self.first_exposed_at.get_or_insert(at);
        if shown {
            self.shows = self.shows.saturating_add(1);
            self.last_shown = Some(at);
        }
    }

    pub fn record_outcome(&mut self, outcome: Outcome, frequency: &Frequency, at: Timestamp) {
        match outcome {
            Outcome::Dismissed => self.dismissed_at = Some(at),
            Outcome::Snoozed => {
                let rest = frequency.snooze.map_or(DEFAULT_SNOOZE, |window| window.duration());
                self.snoozed_until = Some(at.plus(rest));
            }
            Outcome::Clicked { .. } => self.clicked_at = Some(at),
        }
    }

    /// Adds another record of the same rule's exposure: shows as `Combine` says; the first
    /// exposure and the goal at the earlier, the last show, dismissal, click and snooze at the
    /// later. The variant is the same in both (it is a stable hash of the user); were it not,
    /// the holdout wins, so the user is not shown what one record held out.
    pub fn merge(&mut self, other: &RuleExposure, how: Combine) {
        self.shows = how.count_u32(self.shows, other.shows);
        self.first_exposed_at = earlier(self.first_exposed_at, other.first_exposed_at);
        self.last_shown = self.last_shown.max(other.last_shown);
        self.dismissed_at = self.dismissed_at.max(other.dismissed_at);
        self.clicked_at = self.clicked_at.max(other.clicked_at);
        self.snoozed_until = self.snoozed_until.max(other.snoozed_until);
        self.goal_reached_at = earlier(self.goal_reached_at, other.goal_reached_at);
        self.variant = self.variant.max(other.variant);
    }

    /// This record without `part`'s shows, added to it before.
    pub fn without(&self, part: &RuleExposure) -> RuleExposure {
        RuleExposure { shows: self.shows.saturating_sub(part.shows), ..self.clone() }
    }

    /// Whether a goal reached at `at` counts: after the first exposure, within `window`, once.
    pub fn goal_counts(&self, at: Timestamp, window: Duration) -> bool {
        self.goal_reached_at.is_none()
            && self.first_exposed_at.is_some_and(|first| at >= first && at <= first.plus(window))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Window;

    const HOUR: i64 = 3_600_000;

    fn at(hours: i64) -> Timestamp {
        Timestamp::from_millis(hours * HOUR)
    }

    fn frequency(json: serde_json::Value) -> Frequency {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn by_default_a_dismissal_a_click_or_the_goal_ends_the_rule() {
        let default = Frequency::default();
        for outcome in [Outcome::Dismissed, Outcome::Clicked { button: 0 }] {
            let mut exposure = RuleExposure::default();
            exposure.record_outcome(outcome, &default, at(1));
            assert!(exposure.is_over(&default), "{outcome:?}");
        }
        let mut reached = RuleExposure { goal_reached_at: Some(at(1)), ..RuleExposure::default() };
        assert!(reached.is_over(&default));
        reached.goal_reached_at = None;
        assert!(!reached.is_over(&default));
    }

    #[test]
    fn max_shows_and_min_interval() {
        let frequency = frequency(serde_json::json!({"max_shows": 2, "min_interval": "1d", "stop_when": []}));
        let mut exposure = RuleExposure::default();
        exposure.record_exposure(at(0), true);
        assert!(exposure.is_resting(&frequency, at(23)));
        assert!(!exposure.is_resting(&frequency, at(24)));
        exposure.record_exposure(at(24), true);
        assert!(exposure.is_over(&frequency));
    }

    #[test]
    fn a_dismissal_rests_the_rule_when_it_does_not_end_it() {
        let frequency = frequency(serde_json::json!({"stop_when": ["goal_reached"], "snooze": "3d"}));
        let mut exposure = RuleExposure::default();
        exposure.record_outcome(Outcome::Dismissed, &frequency, at(0));
        assert!(!exposure.is_over(&frequency));
        assert!(exposure.is_resting(&frequency, at(71)));
        assert!(!exposure.is_resting(&frequency, at(72)));
    }

    #[test]
    fn a_snooze_button_rests_the_rule_a_day_by_default() {
        let mut exposure = RuleExposure::default();
        exposure.record_outcome(Outcome::Snoozed, &Frequency::default(), at(0));
        assert!(!exposure.is_over(&Frequency::default()));
        assert!(exposure.is_resting(&Frequency::default(), at(23)));
        assert!(!exposure.is_resting(&Frequency::default(), at(24)));
    }

    #[test]
    fn a_goal_counts_once_within_its_window_after_the_first_exposure() {
        let window = Window::parse("2d").unwrap().duration();
        let mut exposure = RuleExposure::default();
        assert!(!exposure.goal_counts(at(1), window), "never exposed");
        exposure.record_exposure(at(10), false);
        assert_eq!(exposure.shows, 0, "a holdout exposure is not a show");
        assert!(!exposure.goal_counts(at(9), window), "before the exposure");
        assert!(exposure.goal_counts(at(58), window));
        assert!(!exposure.goal_counts(at(59), window), "after the window");
        exposure.goal_reached_at = Some(at(20));
        assert!(!exposure.goal_counts(at(21), window), "once");
    }
}
