//! A config compiled for use: feature ids, event matchers (an event and its `where`),
//! sequences, selectors and rules turned into indices, plus the index that says which rules an
//! event wakes. Built once when a config loads; `bind` ties it to a user's state by row number.
//!
//! An event wakes the rules that mention it (directly, through a sequence, or through a
//! feature it counts for) and the rules that use the adoption model when it counts as use of a
//! catalog feature. Page views, identity changes and a new config evaluate every rule.

mod compile;
mod condition;
mod decide;
mod explain;
mod tag;

use serde_json::{Map, Value};

use crate::config::{Config, PropertyFilter};
use crate::hash::IdMap;
use crate::state::UserState;
use crate::time::{DayOffset, Duration, Timestamp};
use crate::usage::{EventHistory, EventRetention, FEATURES_MAX, FeatureUsage, SequenceProgress, SequenceRetention};

pub(crate) use condition::Cond;
pub use condition::Facts;
pub use decide::{Choice, ShowLimits, Situation};
pub use explain::RuleExplanation;
pub use tag::{EventTags, ExperienceStep, ExperienceTag};

/// An event, with the `where` its properties must pass.
#[derive(Clone, Debug)]
pub struct Matcher {
    pub event: String,
    pub filter: Option<PropertyFilter>,
    /// Stable across configs: the state keeps this matcher's history under it.
    pub key: String,
}

#[derive(Clone, Debug)]
pub struct SequenceDef {
    /// Matcher of each step.
    pub steps: Vec<usize>,
    pub gap: Option<Duration>,
    pub retention: SequenceRetention,
    pub key: String,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct FeatureIndex {
    pub(crate) by_id: IdMap<usize>,
    pub(crate) activation: Vec<bool>,
}

#[derive(Clone, Debug)]
pub(crate) struct CompiledRule {
    pub(crate) when: Cond,
    pub(crate) audience: Option<Cond>,
    /// It shows something that does not interrupt (a checklist launcher, a hotspot): the
    /// throttles, which limit interruptions, do not apply.
    pub(crate) ambient: bool,
}

/// Rules by what wakes them.
#[derive(Clone, Debug, Default)]
pub(crate) struct WakeIndex {
    pub(crate) by_matcher: Vec<Vec<usize>>,
    pub(crate) by_feature: Vec<Vec<usize>>,
    pub(crate) by_selector: Vec<Vec<usize>>,
    /// Rules using level, recency or depth: woken by any use of a catalog feature.
    pub(crate) model: Vec<usize>,
}

/// The matchers of each event name.
#[derive(Clone, Debug, Default)]
pub(crate) struct EventIndex {
    /// Event name to its position in `matchers`.
    pub(crate) index: IdMap<usize>,
    pub(crate) matchers: Vec<Vec<usize>>,
}

impl EventIndex {
    fn matchers_of(&self, event: &str) -> Option<&[usize]> {
        self.index.get(event).and_then(|&position| self.matchers.get(position)).map(Vec::as_slice)
    }
}

#[derive(Clone, Debug)]
pub struct Program {
    config: Config,
    pub(crate) features: FeatureIndex,
    pub(crate) matchers: Vec<Matcher>,
    pub(crate) events: EventIndex,
    pub(crate) sequences: Vec<SequenceDef>,
    pub(crate) selectors: Vec<String>,
    pub(crate) rules: Vec<CompiledRule>,
    pub(crate) wake: WakeIndex,
    /// What a match of each matcher does.
    pub(crate) feature_uses: Vec<Vec<usize>>,
    pub(crate) entry_points: Vec<Vec<usize>>,
    pub(crate) history: Vec<Option<EventRetention>>,
    pub(crate) steps: Vec<Vec<(usize, usize)>>,
    /// Features whose entry point each selector is.
    pub(crate) selector_entry_points: Vec<Vec<usize>>,
    /// Rules whose goal each matcher or feature is.
    pub(crate) goals_by_matcher: Vec<Vec<usize>>,
    pub(crate) goals_by_feature: Vec<Vec<usize>>,
}

/// A program bound to one state: the state's row of each feature, matcher history, sequence and
/// rule.
#[derive(Clone, Debug, Default)]
pub struct Slots {
    pub features: Vec<usize>,
    pub histories: Vec<Option<usize>>,
    pub sequences: Vec<usize>,
    pub rules: Vec<usize>,
}

/// Reusable buffers, so that recording an event and deciding allocate nothing once warm.
#[derive(Clone, Debug, Default)]
pub struct Scratch {
    /// Matchers the last event matched.
    pub matched: Vec<usize>,
    /// Catalog features the last event counted as a use of.
    pub features_used: Vec<usize>,
    /// Catalog features whose entry point was first seen.
    pub entries_seen: Vec<usize>,
    /// Sequences with a step the last event matched.
    sequences_touched: Vec<usize>,
    steps: Vec<usize>,
    woken: Vec<u64>,
}

impl Scratch {
    fn clear(&mut self) {
        self.matched.clear();
        self.features_used.clear();
        self.entries_seen.clear();
    }
}

impl Program {
    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn feature_index(&self, id: &str) -> Option<usize> {
        self.features.by_id.get(id).copied()
    }

    /// Whether rule `rule` shows something that does not interrupt.
    pub fn is_ambient(&self, rule: usize) -> bool {
        self.rules.get(rule).is_some_and(|compiled| compiled.ambient)
    }

    /// Selectors whose presence on the page the rules or entry points need.
    pub fn selectors(&self) -> &[String] {
        &self.selectors
    }

    /// Ties the program to a state: makes sure every row it needs exists, and drops histories and
    /// sequences that no rule of this program counts.
    pub fn bind(&self, state: &mut UserState, now: Timestamp) -> Slots {
        state
            .histories
            .retain(|key, _| self.matchers.iter().zip(&self.history).any(|(m, h)| h.is_some() && m.key == key));
        state.sequences.retain(|key, _| self.sequences.iter().any(|sequence| sequence.key == key));
        // Loops, not `map` and `collect` chains: each chain was its own copy of the iterator code
        // in the wasm.
        let mut features = Vec::with_capacity(self.config.features.len());
        for feature in &self.config.features {
            features.push(state.features.row_or_insert_with(&feature.id, FeatureUsage::default));
        }
        let mut histories = Vec::with_capacity(self.matchers.len());
        for (matcher, retention) in self.matchers.iter().zip(&self.history) {
            let row = retention.map(|retention| {
                let row = state.histories.row_or_insert_with(&matcher.key, EventHistory::default);
                if let Some(history) = state.histories.at_mut(row) {
                    history.prune(retention, now);
                }
                row
            });
            histories.push(row);
        }
        let mut sequences = Vec::with_capacity(self.sequences.len());
        for sequence in &self.sequences {
            let row = state.sequences.row_or_insert_with(&sequence.key, SequenceProgress::default);
            if let Some(progress) = state.sequences.at_mut(row) {
                progress.prune(sequence.retention, now);
            }
            sequences.push(row);
        }
        let mut rules = Vec::with_capacity(self.config.rules.len());
        for rule in &self.config.rules {
            rules.push(state.rules.row_or_insert_with(&rule.id, Default::default));
        }
        Slots { features, histories, sequences, rules }
    }

    /// Records a tracked event in the state: feature uses, entry points seen, histories and
    /// sequences. `marked_feature` is a feature named by the event itself (a click on an element
    /// marked `data-uptake-feature`), catalogued or not. Fills `scratch` with what matched.
    #[allow(clippy::too_many_arguments)]
    pub fn record_event(
        &self,
        state: &mut UserState,
        slots: &Slots,
        event: &str,
        properties: &Map<String, Value>,
        marked_feature: Option<&str>,
        at: Timestamp,
        scratch: &mut Scratch,
    ) {
        scratch.clear();
        let offset = self.config.settings.day_offset();
        if let Some(candidates) = self.events.matchers_of(event) {
            for &matcher in candidates {
                let passes = self
                    .matchers
                    .get(matcher)
                    .is_some_and(|m| m.filter.as_ref().is_none_or(|f| f.matches(properties, at)));
                if passes {
                    scratch.matched.push(matcher);
                }
            }
        }
        for index in 0..scratch.matched.len() {
            let matcher = scratch.matched[index];
            for &feature in self.feature_uses.get(matcher).map_or(&[][..], Vec::as_slice) {
                if !scratch.features_used.contains(&feature) {
                    scratch.features_used.push(feature);
                }
            }
            for &feature in self.entry_points.get(matcher).map_or(&[][..], Vec::as_slice) {
                if let Some(usage) = slots.features.get(feature).and_then(|row| state.features.at_mut(*row))
                    && usage.record_entry_seen(at)
                {
                    scratch.entries_seen.push(feature);
                }
            }
            if let (Some(Some(retention)), Some(Some(row))) = (self.history.get(matcher), slots.histories.get(matcher))
                && let Some(history) = state.histories.at_mut(*row)
            {
                history.record(at, *retention, at);
            }
        }
        self.advance_sequences(state, slots, at, scratch);
        let marked_catalog = marked_feature.and_then(|id| self.feature_index(id));
        if let Some(feature) = marked_catalog
            && !scratch.features_used.contains(&feature)
        {
            scratch.features_used.push(feature);
        }
        for &feature in &scratch.features_used {
            if let Some(usage) = slots.features.get(feature).and_then(|row| state.features.at_mut(*row)) {
                usage.record_use(at, offset);
            }
        }
        if let (Some(id), None) = (marked_feature, marked_catalog) {
            record_uncatalogued_use(state, id, at, offset);
        }
    }

    /// Advances the sequences with a step the last event matched (and no other).
    fn advance_sequences(&self, state: &mut UserState, slots: &Slots, at: Timestamp, scratch: &mut Scratch) {
        let steps_of = |matcher: usize| self.steps.get(matcher).map_or(&[][..], Vec::as_slice);
        scratch.sequences_touched.clear();
        for &matcher in &scratch.matched {
            for &(sequence, _) in steps_of(matcher) {
                if !scratch.sequences_touched.contains(&sequence) {
                    scratch.sequences_touched.push(sequence);
                }
            }
        }
        scratch.sequences_touched.sort_unstable();
        for touched in 0..scratch.sequences_touched.len() {
            let sequence_index = scratch.sequences_touched[touched];
            scratch.steps.clear();
            for &matcher in &scratch.matched {
                for &(sequence_of_step, step) in steps_of(matcher) {
                    if sequence_of_step == sequence_index {
                        scratch.steps.push(step);
                    }
                }
            }
            let (Some(sequence), Some(progress)) = (
                self.sequences.get(sequence_index),
                slots.sequences.get(sequence_index).and_then(|row| state.sequences.at_mut(*row)),
            ) else {
                continue;
            };
            progress.advance(&scratch.steps, sequence.steps.len(), sequence.gap, at);
            progress.prune(sequence.retention, at);
        }
    }

    /// Records which selectors are on the page: entry points seen. Fills `scratch.entries_seen`.
    pub fn record_elements(
        &self,
        state: &mut UserState,
        slots: &Slots,
        present: &[bool],
        at: Timestamp,
        scratch: &mut Scratch,
    ) {
        scratch.clear();
        for (selector, features) in self.selector_entry_points.iter().enumerate() {
            if !present.get(selector).copied().unwrap_or(false) {
                continue;
            }
            for &feature in features {
                if let Some(usage) = slots.features.get(feature).and_then(|row| state.features.at_mut(*row))
                    && usage.record_entry_seen(at)
                {
                    scratch.entries_seen.push(feature);
                }
            }
        }
    }
}

/// A use of a feature the catalog does not know, kept while there is room.
fn record_uncatalogued_use(state: &mut UserState, id: &str, at: Timestamp, offset: DayOffset) {
    if state.features.row_of(id).is_none() && state.features.len() >= FEATURES_MAX {
        return;
    }
    let row = state.features.row_or_insert_with(id, FeatureUsage::default);
    if let Some(usage) = state.features.at_mut(row) {
        usage.record_use(at, offset);
    }
}

#[cfg(test)]
mod tests;
