//! An onboarding checklist the user was shown: whether its panel is open, whether it was
//! dismissed, and which items were already reported done. An item is done when its feature has
//! been used (from the usage the device records), not when it is ticked.

use crate::config::Checklist;

/// Ordered only to break a tie between two records of it changed at the same instant.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ChecklistRun {
    pub checklist_id: String,
    pub rule_id: Option<String>,
    pub preview: bool,
    pub open: bool,
    pub dismissed: bool,
    /// Items already reported done, one bit each (a checklist has at most 20 items).
    pub reported: u32,
}

impl ChecklistRun {
    pub fn new(checklist_id: &str, rule_id: Option<String>, preview: bool) -> ChecklistRun {
        ChecklistRun {
            checklist_id: checklist_id.to_owned(),
            rule_id,
            preview,
            open: false,
            dismissed: false,
            reported: 0,
        }
    }

    /// Whether each item is done, given which features were used.
    pub fn done(checklist: &Checklist, used: impl Fn(&str) -> bool) -> Vec<bool> {
        let mut done = Vec::with_capacity(checklist.items.len());
        for item in &checklist.items {
            done.push(used(&item.feature));
        }
        done
    }

    /// The items done and not reported yet, now marked reported.
    pub fn take_newly_done(&mut self, checklist: &Checklist, used: impl Fn(&str) -> bool) -> Vec<usize> {
        let mut newly = Vec::new();
        for (index, done) in ChecklistRun::done(checklist, used).into_iter().enumerate() {
            let bit = 1u32 << index.min(31);
            if done && self.reported & bit == 0 {
                self.reported |= bit;
                newly.push(index);
            }
        }
        newly
    }

    pub fn is_complete(&self, checklist: &Checklist) -> bool {
        let all = if checklist.items.len() >= 32 { u32::MAX } else { (1u32 << checklist.items.len()) - 1 };
        self.reported & all == all
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn items_are_done_by_use_and_reported_once() {
        let checklist: Checklist = serde_json::from_value(json!({"id": "start", "title": "Start", "items": [
            {"id": "a", "label": "A", "feature": "approve"},
            {"id": "b", "label": "B", "feature": "automate"}
        ]}))
        .unwrap();
        let mut run = ChecklistRun::new("start", None, false);
        assert_eq!(ChecklistRun::done(&checklist, |feature| feature == "approve"), [true, false]);
        assert_eq!(run.take_newly_done(&checklist, |feature| feature == "approve"), [0]);
        assert_eq!(run.take_newly_done(&checklist, |feature| feature == "approve"), Vec::<usize>::new());
        assert!(!run.is_complete(&checklist));
        assert_eq!(run.take_newly_done(&checklist, |_| true), [1]);
        assert!(run.is_complete(&checklist));
    }
}
