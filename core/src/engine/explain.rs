//! The engine's side of `uptake.debug(true)`: the verdict on each rule the last evaluation woke.

use super::Engine;
pub use crate::program::RuleExplanation;
use crate::program::ShowLimits;
use crate::time::Timestamp;

impl Engine {
    /// Why each rule woken by the last evaluation did or did not fire.
    pub fn explain(&self, now: Timestamp) -> Vec<RuleExplanation> {
        let Some(loaded) = &self.loaded else { return Vec::new() };
        let facts = self.facts(loaded, now);
        let limits = ShowLimits { shown_this_page_view: self.shown_this_page_view, shown_rules: &self.shown_rules };
        loaded.program.explain(&self.state, &loaded.slots, &facts, limits, &self.available, &self.scratch)
    }
}
