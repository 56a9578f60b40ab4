//! The engine's side of `uptake.debug(true)`: the verdict on each rule the last evaluation woke.

use super::Engine;
pub use crate::program::RuleExplanation;
use crate::time::Timestamp;

impl Engine {
    /// Why each rule woken by the last evaluation did or did not fire.
    pub fn explain(&self, now: Timestamp) -> Vec<RuleExplanation> {
        let Some(loaded) = &self.loaded else { return Vec::new() };
        let facts = self.facts(loaded, now);
        loaded.program.explain(&self.situation(loaded, &facts), &self.scratch, self.write_float)
    }
}
