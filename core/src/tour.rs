//! A tour in progress, as kept on the device so that it resumes on the right step after a
//! navigation or a reload: which step, and what the missing-target policy has seen so far. The
//! transitions are pure; the engine adds the events.

use crate::config::{Advance, MissingThen, Tour, TourStep};
use crate::time::Timestamp;

/// Ordered only to break a tie between two records of it changed at the same instant.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct TourRun {
    pub tour_id: String,
    pub step: usize,
    /// The rule that started it, if one did.
    pub rule_id: Option<String>,
    /// Started by `?uptake_preview=`: nothing it does counts.
    pub preview: bool,
    pub started_at: Timestamp,
    /// When the current step's target was first found missing.
    pub missing_since: Option<Timestamp>,
    /// The missing-target policy showed the current step centred.
    pub centered: bool,
    /// `tour_step_viewed` was sent for the current step.
    pub viewed: bool,
}

/// How the current step is shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StepPlace {
    /// The step belongs to other pages: nothing is shown here.
    Elsewhere,
    /// Next to the element matching this selector.
    Anchored(String),
    Centered,
}

/// What to do about the current step's target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetVerdict {
    /// Found: show the step next to it.
    Show,
    /// Missing: look again by this instant (and whenever the page changes).
    Wait { until: Timestamp },
    /// Missing after the wait: show the step centred.
    ShowCentered,
    /// Missing after the wait: the step was skipped.
    Skipped,
    /// Missing after the wait: the tour was abandoned.
    Aborted,
}

impl TourRun {
    pub fn new(tour_id: &str, rule_id: Option<String>, preview: bool, now: Timestamp) -> TourRun {
        TourRun {
            tour_id: tour_id.to_owned(),
            step: 0,
            rule_id,
            preview,
            started_at: now,
            missing_since: None,
            centered: false,
            viewed: false,
        }
    }

    pub fn current<'t>(&self, tour: &'t Tour) -> Option<&'t TourStep> {
        tour.steps.get(self.step)
    }

    /// Moves to step `step` (forgetting what was seen of the previous one).
    pub fn go_to(&mut self, step: usize) {
        self.step = step;
        self.missing_since = None;
        self.centered = false;
        self.viewed = false;
    }

    /// Where the current step shows on the page at `path`.
    pub fn place(&self, tour: &Tour, path: &str) -> Option<StepPlace> {
        let step = self.current(tour)?;
        if step.page.as_ref().is_some_and(|page| !page.matches(path)) {
            return Some(StepPlace::Elsewhere);
        }
        Some(match &step.target {
            Some(target) if !self.centered => StepPlace::Anchored(target.clone()),
            _ => StepPlace::Centered,
        })
    }

    /// Applies the missing-target policy to what the browser found at `now`.
    pub fn on_target(&mut self, tour: &Tour, found: bool, now: Timestamp) -> TargetVerdict {
        if found {
            self.missing_since = None;
            return TargetVerdict::Show;
        }
        let Some(step) = self.current(tour) else { return TargetVerdict::Aborted };
        let policy = step.missing_target.unwrap_or(tour.missing_target);
        let since = *self.missing_since.get_or_insert(now);
        let until = since.plus(policy.wait.duration());
        if now < until {
            return TargetVerdict::Wait { until };
        }
        match policy.then {
            MissingThen::Centered => {
                self.centered = true;
                TargetVerdict::ShowCentered
            }
            MissingThen::Skip => TargetVerdict::Skipped,
            MissingThen::Abort => TargetVerdict::Aborted,
        }
    }

    /// Whether tracking `event` completes the current step.
    pub fn advances_on_event(&self, tour: &Tour, event: &str) -> bool {
        matches!(self.current(tour).map(|step| &step.advance), Some(Advance::Event(name)) if name == event)
    }

    /// Whether arriving on `path` completes the current step.
    pub fn advances_on_page(&self, tour: &Tour, path: &str) -> bool {
        matches!(self.current(tour).map(|step| &step.advance), Some(Advance::Page(glob)) if glob.matches(path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tour() -> Tour {
        serde_json::from_value(json!({
            "id": "welcome",
            "missing_target": {"wait": "2s", "then": "skip"},
            "steps": [
                {"target": "#invoices", "title": "Invoices", "page": "/"},
                {"target": "#approve", "title": "Approve", "advance": {"event": "invoice.approved"}, "missing_target": {"wait": "1s", "then": "centered"}},
                {"target": "#nav-automations", "title": "Automations", "advance": {"page": "/automations*"}},
                {"title": "Done", "page": "/automations*"}
            ]
        }))
        .unwrap()
    }

    fn at(millis: i64) -> Timestamp {
        Timestamp::from_millis(millis)
    }

    #[test]
    fn steps_show_on_their_pages_anchored_or_centred() {
        let tour = tour();
        let mut run = TourRun::new("welcome", None, false, at(0));
        assert_eq!(run.place(&tour, "/"), Some(StepPlace::Anchored("#invoices".into())));
        assert_eq!(run.place(&tour, "/reports"), Some(StepPlace::Elsewhere));
        run.go_to(3);
        assert_eq!(run.place(&tour, "/automations.html"), Some(StepPlace::Centered), "no target");
        run.go_to(4);
        assert_eq!(run.place(&tour, "/"), None, "past the last step");
    }

    #[test]
    fn a_missing_target_is_waited_for_then_the_policy_applies() {
        let tour = tour();
        let mut run = TourRun::new("welcome", None, false, at(0));
        assert_eq!(run.on_target(&tour, false, at(100)), TargetVerdict::Wait { until: at(2100) });
        assert_eq!(run.on_target(&tour, false, at(2000)), TargetVerdict::Wait { until: at(2100) });
        assert_eq!(run.on_target(&tour, false, at(2100)), TargetVerdict::Skipped, "the tour's policy");
        run.go_to(1);
        assert_eq!(run.on_target(&tour, false, at(3000)), TargetVerdict::Wait { until: at(4000) });
        assert_eq!(run.on_target(&tour, true, at(3500)), TargetVerdict::Show, "appeared in time");
        assert_eq!(
            run.on_target(&tour, false, at(3600)),
            TargetVerdict::Wait { until: at(4600) },
            "the wait starts again"
        );
        assert_eq!(run.on_target(&tour, false, at(4600)), TargetVerdict::ShowCentered, "the step's own policy");
        assert_eq!(run.place(&tour, "/"), Some(StepPlace::Centered));
    }

    #[test]
    fn steps_advance_on_events_and_pages() {
        let tour = tour();
        let mut run = TourRun::new("welcome", None, false, at(0));
        assert!(!run.advances_on_event(&tour, "invoice.approved"), "step 1 advances with Next");
        run.go_to(1);
        assert!(run.advances_on_event(&tour, "invoice.approved"));
        assert!(!run.advances_on_event(&tour, "invoice.opened"));
        run.go_to(2);
        assert!(run.advances_on_page(&tour, "/automations.html"));
        assert!(!run.advances_on_page(&tour, "/"));
    }
}
