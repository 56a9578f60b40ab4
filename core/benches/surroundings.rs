//! What a decision over the benchmarks' workload sees besides the user's state: an admin since
//! 2025 on /invoices, no watched element on the page, every feature applicable, nothing shown
//! yet, prompts renderable. Shared by the criterion benchmarks and the allocation test.

use serde_json::{Map, Value, json};
use uptake_core::config::ExperienceKind;
use uptake_core::program::{Facts, Program, ShowLimits, Situation, Slots};
use uptake_core::state::UserState;
use uptake_core::time::Timestamp;

const RENDERABLE: [ExperienceKind; 1] = [ExperienceKind::Prompt];

pub struct Surroundings {
    now: Timestamp,
    traits: Map<String, Value>,
    account: Map<String, Value>,
    elements: Vec<bool>,
    applicable: Vec<bool>,
}

impl Surroundings {
    pub fn new(program: &Program, features: usize, now: Timestamp) -> Surroundings {
        Surroundings {
            now,
            traits: json!({"role": "admin", "signed_up_at": "2025-01-01"}).as_object().unwrap().clone(),
            account: Map::new(),
            elements: vec![false; program.selectors().len()],
            applicable: vec![true; features],
        }
    }

    pub fn facts(&self) -> Facts<'_> {
        Facts {
            now: self.now,
            page_path: "/invoices",
            elements: &self.elements,
            traits: &self.traits,
            account_traits: &self.account,
            applicable: &self.applicable,
            subject: "u-42",
        }
    }
}

/// The situation of `state` in these surroundings.
pub fn situation<'a>(state: &'a UserState, slots: &'a Slots, facts: &'a Facts<'a>) -> Situation<'a> {
    let limits = ShowLimits { shown_this_page_view: 0, shown_rules: &[], claimed_elsewhere: &[] };
    Situation { state, slots, facts, limits, renderable: &RENDERABLE }
}
