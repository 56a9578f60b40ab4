//! Tours in the engine: started by a rule, a prompt's button, a checklist item, the host app
//! (`startTour`) or a preview; one at a time, kept in the user's state so that it resumes on the
//! right step after a navigation or a reload. The browser layer asks where the current step
//! goes, reports whether its target is on the page, and passes on Next, Back and Close.

use serde_json::{Map, Value};

use super::{Engine, sdk_events};
use crate::config::{Placement, Tour, TourStep};
use crate::exposure::Outcome;
use crate::time::Timestamp;
use crate::tour::{StepPlace, TargetVerdict, TourRun};

/// The current step of the tour in progress, as the browser layer shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct TourView {
    pub tour_id: String,
    /// 0-based.
    pub step: usize,
    pub steps: usize,
    pub content: TourStep,
    pub place: StepPlace,
    pub placement: Placement,
    pub spotlight: bool,
    pub preview: bool,
    /// For a step on another page: that page's path, when its `page` names a single one.
    pub go_to: Option<String>,
}

impl Engine {
    fn running_tour(&self) -> Option<(&TourRun, &Tour)> {
        let run = self.state.tour.as_ref()?;
        let tour = self.config()?.tour(&run.tour_id)?;
        Some((run, tour))
    }

    fn tour_properties(&self) -> Map<String, Value> {
        let mut properties = Map::new();
        if let Some((run, tour)) = self.running_tour() {
            properties.insert("tour_id".to_owned(), Value::from(run.tour_id.as_str()));
            properties.insert("step".to_owned(), Value::from(run.step + 1));
            properties.insert("steps".to_owned(), Value::from(tour.steps.len()));
            if let Some(rule_id) = &run.rule_id {
                properties.insert("rule_id".to_owned(), Value::from(rule_id.as_str()));
            }
            if run.preview {
                properties.insert("preview".to_owned(), Value::Bool(true));
            }
        }
        properties
    }

    /// Marks the tour as changed at `now`: of two tabs' records of it, the later change holds.
    fn touch_tour(&mut self, now: Timestamp) {
        self.state.tour_changed = Some(now);
        self.state_changed = true;
    }

    /// Starts a tour for the host app, a prompt's button or a checklist item. False when the
    /// config has no such tour.
    pub fn start_tour(&mut self, tour_id: &str, now: Timestamp) -> bool {
        self.begin_tour(tour_id, None, false, now)
    }

    pub(super) fn begin_tour(&mut self, tour_id: &str, rule_id: Option<String>, preview: bool, now: Timestamp) -> bool {
        if self.config().and_then(|config| config.tour(tour_id)).is_none() {
            return false;
        }
        if self.state.tour.is_some() {
            self.end_tour(Some("replaced"), now);
        }
        self.state.tour = Some(TourRun::new(tour_id, rule_id, preview, now));
        self.touch_tour(now);
        true
    }

    /// Which step of which tour is in progress and where it goes on this page: what a view
    /// depends on, without copying the step's content.
    pub fn tour_key(&self) -> Option<(String, usize, StepPlace)> {
        let (run, tour) = self.running_tour()?;
        run.current(tour)?;
        Some((run.tour_id.clone(), run.step, run.place(tour, &self.page_path)?))
    }

    /// Where the current step goes on this page, if a tour is in progress.
    pub fn tour_view(&self) -> Option<TourView> {
        let (run, tour) = self.running_tour()?;
        let content = run.current(tour)?.clone();
        let place = run.place(tour, &self.page_path)?;
        let go_to = match place {
            StepPlace::Elsewhere => content.page.as_ref().and_then(|page| page.single_path()).map(str::to_owned),
            StepPlace::Anchored(_) | StepPlace::Centered => None,
        };
        Some(TourView {
            tour_id: run.tour_id.clone(),
            step: run.step,
            steps: tour.steps.len(),
            placement: content.placement,
            spotlight: content.spotlight.unwrap_or(tour.spotlight),
            content,
            place,
            preview: run.preview,
            go_to,
        })
    }

    /// Whether the current step's target is on the page now; applies the missing-target
    /// policy, moving on or ending the tour when it says so.
    pub fn tour_target(&mut self, found: bool, now: Timestamp) -> Option<TargetVerdict> {
        let tour = self.running_tour()?.1.clone();
        let run = self.state.tour.as_mut()?;
        let selector = run.current(&tour).and_then(|step| step.target.clone()).unwrap_or_default();
        let missing_since = run.missing_since;
        let verdict = run.on_target(&tour, found, now);
        self.touch_tour(now);
        let policy = match verdict {
            TargetVerdict::Show | TargetVerdict::Wait { .. } => return Some(verdict),
            TargetVerdict::ShowCentered => "centered",
            TargetVerdict::Skipped => "skip",
            TargetVerdict::Aborted => "abort",
        };
        let mut properties = self.tour_properties();
        properties.insert("policy".to_owned(), Value::from(policy));
        properties.insert("selector".to_owned(), Value::from(selector));
        let waited = missing_since.map_or(0, |since| now.as_millis() - since.as_millis());
        properties.insert("waited_ms".to_owned(), Value::from(waited));
        self.track_event(sdk_events::TOUR_TARGET_MISSING, properties, now);
        match verdict {
            TargetVerdict::Skipped => self.tour_next(now),
            TargetVerdict::Aborted => self.end_tour(Some("target_missing"), now),
            _ => {}
        }
        Some(verdict)
    }

    /// The current step is on screen: sends `tour_step_viewed`, once per step.
    pub fn tour_step_displayed(&mut self, now: Timestamp) {
        let Some(run) = self.state.tour.as_mut() else { return };
        if std::mem::replace(&mut run.viewed, true) {
            return;
        }
        self.touch_tour(now);
        let properties = self.tour_properties();
        self.track_event(sdk_events::TOUR_STEP_VIEWED, properties, now);
    }

    /// Next: the next step, or the end of the tour after the last.
    pub fn tour_next(&mut self, now: Timestamp) {
        let Some((run, tour)) = self.running_tour() else { return };
        let next = run.step + 1;
        if next >= tour.steps.len() {
            self.end_tour(None, now);
        } else if let Some(run) = self.state.tour.as_mut() {
            run.go_to(next);
            self.touch_tour(now);
        }
    }

    pub fn tour_back(&mut self, now: Timestamp) {
        if let Some(run) = self.state.tour.as_mut()
            && run.step > 0
        {
            let previous = run.step - 1;
            run.go_to(previous);
            self.touch_tour(now);
        }
    }

    /// The user closed the tour.
    pub fn tour_close(&mut self, now: Timestamp) {
        self.end_tour(Some("closed"), now);
    }

    /// Ends the tour in progress: completed when there is no `abandoned_because`.
    fn end_tour(&mut self, abandoned_because: Option<&str>, now: Timestamp) {
        let mut properties = self.tour_properties();
        let Some(run) = self.state.tour.take() else { return };
        self.touch_tour(now);
        let name = match abandoned_because {
            Some(reason) => {
                properties.insert("reason".to_owned(), Value::from(reason));
                sdk_events::TOUR_ABANDONED
            }
            None => sdk_events::TOUR_COMPLETED,
        };
        self.track_event(name, properties, now);
        let outcome = match abandoned_because {
            None => Some(Outcome::Clicked { button: 0 }),
            Some("closed") => Some(Outcome::Dismissed),
            Some(_) => None,
        };
        if let (Some(outcome), Some(rule_id)) = (outcome, run.rule_id) {
            let reference = super::ExperienceRef {
                rule_id: Some(rule_id),
                kind: crate::config::ExperienceKind::Tour,
                id: run.tour_id,
                preview: run.preview,
            };
            self.record_outcome(&reference, outcome, now);
        }
    }

    pub(super) fn advance_tour_on_event(&mut self, event: &str, now: Timestamp) {
        if self.running_tour().is_some_and(|(run, tour)| run.advances_on_event(tour, event)) {
            self.tour_next(now);
        }
    }

    pub(super) fn advance_tour_on_page(&mut self, now: Timestamp) {
        if self.running_tour().is_some_and(|(run, tour)| run.advances_on_page(tour, &self.page_path)) {
            self.tour_next(now);
        }
    }
}
