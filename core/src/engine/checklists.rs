//! The onboarding checklist in the engine: shown by a rule (or a preview), it stays until it is
//! dismissed or done; its items are done when their features have been used, each reported
//! once as `checklist_item_completed`.

use serde_json::{Map, Value};

use super::{Engine, ExperienceRef, sdk_events};
use crate::checklist::ChecklistRun;
use crate::config::{Checklist, ExperienceKind};
use crate::exposure::Outcome;
use crate::time::Timestamp;

/// The checklist as the browser layer shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct ChecklistView {
    pub checklist: Checklist,
    pub done: Vec<bool>,
    pub open: bool,
    pub preview: bool,
}

impl Engine {
    fn feature_used(&self, feature: &str) -> bool {
        self.state.features.get(feature).is_some_and(|usage| usage.is_used())
    }

    fn active_checklist(&self) -> Option<(&ChecklistRun, &Checklist)> {
        let run = self.state.checklist.as_ref().filter(|run| !run.dismissed)?;
        Some((run, self.config()?.checklist(&run.checklist_id)?))
    }

    fn checklist_reference(run: &ChecklistRun) -> ExperienceRef {
        ExperienceRef {
            rule_id: run.rule_id.clone(),
            kind: ExperienceKind::Checklist,
            id: run.checklist_id.clone(),
            preview: run.preview,
        }
    }

    /// Which items of the checklist to show are done, and whether its panel is open: what a
    /// view depends on, without copying the checklist's texts.
    pub fn checklist_status(&self) -> Option<(Vec<bool>, bool)> {
        let (run, checklist) = self.active_checklist()?;
        Some((ChecklistRun::done(checklist, |feature| self.feature_used(feature)), run.open))
    }

    /// The checklist to show, unless there is none or it was dismissed.
    pub fn checklist_view(&self) -> Option<ChecklistView> {
        let (run, checklist) = self.active_checklist()?;
        let (done, open) = self.checklist_status()?;
        Some(ChecklistView { checklist: checklist.clone(), done, open, preview: run.preview })
    }

    /// Opens or closes the checklist's panel (kept across pages).
    pub fn checklist_set_open(&mut self, open: bool, now: Timestamp) {
        if let Some(run) = self.state.checklist.as_mut() {
            run.open = open;
            self.touch_checklist(now);
        }
    }

    /// Marks the checklist as changed at `now`: of two tabs' records of it, the later change
    /// holds.
    fn touch_checklist(&mut self, now: Timestamp) {
        self.state.checklist_changed = Some(now);
        self.state_changed = true;
    }

    /// The user dismissed the checklist.
    pub fn checklist_dismiss(&mut self, now: Timestamp) {
        let Some(run) = self.state.checklist.as_mut() else { return };
        run.dismissed = true;
        let reference = Engine::checklist_reference(run);
        self.touch_checklist(now);
        self.experience_closed(&reference, Outcome::Dismissed, now);
    }

    /// Starts the tour of item `item`, if it has one.
    pub fn checklist_item_tour(&mut self, item: usize, now: Timestamp) -> bool {
        let tour = self.active_checklist().and_then(|(_, checklist)| checklist.items.get(item)?.tour.clone());
        tour.is_some_and(|tour| self.start_tour(&tour, now))
    }

    /// Reports the items done since the last call, and the checklist done when all are. Runs
    /// after every event: it borrows, and builds events only for items newly done.
    pub(super) fn progress_checklist(&mut self, now: Timestamp) {
        let (Some(loaded), Some(run)) = (self.loaded.as_ref(), self.state.checklist.as_mut()) else { return };
        if run.dismissed {
            return;
        }
        let Some(checklist) = loaded.program.config().checklist(&run.checklist_id) else { return };
        let was_complete = run.is_complete(checklist);
        if was_complete {
            return;
        }
        let features = &self.state.features;
        let newly =
            run.take_newly_done(checklist, |feature| features.get(feature).is_some_and(|usage| usage.is_used()));
        if newly.is_empty() {
            return;
        }
        let complete = run.is_complete(checklist);
        let reference = Engine::checklist_reference(run);
        let checklist_id = checklist.id.clone();
        let mut items = Vec::with_capacity(newly.len());
        for &index in &newly {
            if let Some(item) = checklist.items.get(index) {
                items.push(item.id.clone());
            }
        }
        self.touch_checklist(now);
        for item_id in items {
            let mut properties = Map::new();
            properties.insert("checklist_id".to_owned(), Value::from(checklist_id.as_str()));
            properties.insert("item_id".to_owned(), Value::from(item_id));
            if reference.preview {
                properties.insert("preview".to_owned(), Value::Bool(true));
            }
            self.track_event(sdk_events::CHECKLIST_ITEM_COMPLETED, properties, now);
        }
        if complete {
            let mut properties = Map::new();
            properties.insert("checklist_id".to_owned(), Value::from(checklist_id));
            // The collector counts a completed checklist on its rule, as the engine does.
            if let Some(rule_id) = &reference.rule_id {
                properties.insert("rule_id".to_owned(), Value::from(rule_id.as_str()));
            }
            self.track_event(sdk_events::CHECKLIST_COMPLETED, properties, now);
            self.record_outcome(&reference, Outcome::Clicked { button: 0 }, now);
        }
    }
}
