//! Choosing what to show: the rules woken by what just happened (or all of them), minus those
//! over for this user, resting, or of a kind the caller cannot show; among those whose trigger
//! and audience hold, the highest priority, the earliest on a tie. A rule with a holdout shows
//! only to its treatment group; the holdout group's moment is chosen the same way and measured.

use crate::config::ExperienceKind;
use crate::exposure::Variant;
use crate::hash::stable_unit;
use crate::state::UserState;

use super::condition::{Evaluation, Facts};
use super::{Program, Scratch, Slots};

/// What limits shows beyond each rule's own frequency.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShowLimits<'a> {
    /// Interruptions already shown (or held out) in this page view.
    pub shown_this_page_view: u32,
    /// Rules already shown in this page view: not decided again.
    pub shown_rules: &'a [usize],
    /// Rules (by id) whose experience another tab has on screen: not shown here meanwhile.
    pub claimed_elsewhere: &'a [String],
}

/// Everything a decision depends on besides the rules woken: the user's state, what is known
/// now, the limits on showing and the kinds the caller can show now.
#[derive(Clone, Copy)]
pub struct Situation<'a> {
    pub state: &'a UserState,
    pub slots: &'a Slots,
    pub facts: &'a Facts<'a>,
    pub limits: ShowLimits<'a>,
    pub renderable: &'a [ExperienceKind],
}

/// The rule chosen, and for which group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Choice {
    pub rule: usize,
    pub variant: Variant,
}

fn set_bit(bits: &mut [u64], index: usize) {
    if let Some(word) = bits.get_mut(index / 64) {
        *word |= 1 << (index % 64);
    }
}

impl Program {
    /// Marks no rule as woken: the start of a call whose events wake rules.
    pub fn clear_woken(&self, scratch: &mut Scratch) {
        scratch.woken.clear();
        scratch.woken.resize(self.rules.len().div_ceil(64), 0);
    }

    /// Marks every rule as woken (a page view, an identity change, a new config).
    pub fn wake_all(&self, scratch: &mut Scratch) {
        self.clear_woken(scratch);
        for rule in 0..self.rules.len() {
            set_bit(&mut scratch.woken, rule);
        }
    }

    /// How many rules are marked as woken.
    pub fn woken_count(&self, scratch: &Scratch) -> usize {
        scratch.woken.iter().map(|word| word.count_ones() as usize).sum()
    }

    /// Marks the rules the last recorded event wakes: those that mention a matcher it matched or
    /// a feature it counted for, and those that use the adoption model if it counted for one.
    pub fn wake_for_event(&self, scratch: &mut Scratch) {
        self.clear_woken(scratch);
        self.also_wake_for_event(scratch);
    }

    /// Adds the rules the last recorded event wakes to those already woken: one call may record
    /// several events (the host's, then the SDK's own, such as `checklist_item_completed`).
    pub fn also_wake_for_event(&self, scratch: &mut Scratch) {
        if scratch.woken.len() != self.rules.len().div_ceil(64) {
            self.clear_woken(scratch);
        }
        for &matcher in &scratch.matched {
            for &rule in self.wake.by_matcher.get(matcher).map_or(&[][..], Vec::as_slice) {
                set_bit(&mut scratch.woken, rule);
            }
        }
        for &feature in scratch.features_used.iter().chain(&scratch.entries_seen) {
            for &rule in self.wake.by_feature.get(feature).map_or(&[][..], Vec::as_slice) {
                set_bit(&mut scratch.woken, rule);
            }
        }
        if !scratch.features_used.is_empty() {
            for &rule in &self.wake.model {
                set_bit(&mut scratch.woken, rule);
            }
        }
    }

    /// Marks the rules that look at the elements on the page, or at features whose entry point
    /// was just seen.
    pub fn wake_for_elements(&self, scratch: &mut Scratch) {
        self.clear_woken(scratch);
        for rules in &self.wake.by_selector {
            for &rule in rules {
                set_bit(&mut scratch.woken, rule);
            }
        }
        for &feature in &scratch.entries_seen {
            for &rule in self.wake.by_feature.get(feature).map_or(&[][..], Vec::as_slice) {
                set_bit(&mut scratch.woken, rule);
            }
        }
    }

    /// The group of a rule with a holdout that `subject` is in: a stable hash of (rule id,
    /// subject) below the holdout share is the holdout.
    pub fn assign_variant(&self, rule: usize, subject: &str) -> Variant {
        let Some(config_rule) = self.config().rules.get(rule) else { return Variant::Treatment };
        if config_rule.holdout > 0.0 && stable_unit(&[&config_rule.id, subject]) < config_rule.holdout {
            Variant::Holdout
        } else {
            Variant::Treatment
        }
    }

    /// The woken rule to show now, if any.
    pub fn decide(&self, situation: &Situation<'_>, scratch: &Scratch) -> Option<Choice> {
        let Situation { state, slots, facts, limits, renderable } = *situation;
        let settings = &self.config().settings;
        let evaluation = Evaluation::new(self, state, slots, facts);
        let throttled = limits.shown_this_page_view >= settings.throttle.per_page_view
            || state.shows_on(evaluation.today) >= settings.throttle.per_day;
        let mut chosen: Option<(Choice, i32)> = None;
        for (word_index, &word) in scratch.woken.iter().enumerate() {
            let mut bits = word;
            while bits != 0 {
                let rule = word_index * 64 + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                let (Some(config_rule), Some(compiled)) = (self.config().rules.get(rule), self.rules.get(rule)) else {
                    continue;
                };
                if chosen.is_some_and(|(_, priority)| priority >= config_rule.priority) {
                    continue;
                }
                if !renderable.contains(&config_rule.show.kind())
                    || (throttled && !compiled.ambient)
                    || limits.shown_rules.contains(&rule)
                    || limits.claimed_elsewhere.contains(&config_rule.id)
                {
                    continue;
                }
                let exposure = slots.rules.get(rule).and_then(|row| state.rules.at(*row));
                let frequency = &config_rule.frequency;
                if exposure.is_some_and(|e| e.is_over(frequency) || e.is_resting(frequency, facts.now)) {
                    continue;
                }
                let variant = exposure
                    .and_then(|exposure| exposure.variant)
                    .unwrap_or_else(|| self.assign_variant(rule, facts.subject));
                if variant == Variant::Holdout && exposure.is_some_and(|e| e.first_exposed_at.is_some()) {
                    // The holdout's moment is measured once.
                    continue;
                }
                let holds = evaluation.holds(&compiled.when)
                    && compiled.audience.as_ref().is_none_or(|audience| evaluation.holds(audience));
                if holds {
                    chosen = Some((Choice { rule, variant }, config_rule.priority));
                }
            }
        }
        chosen.map(|(choice, _)| choice)
    }

    /// Rules whose goal the last recorded event reached: an event goal it matched, or a feature
    /// goal it counted for.
    pub fn goals_touched<'s>(&'s self, scratch: &'s Scratch) -> impl Iterator<Item = usize> + 's {
        let by_matcher = scratch.matched.iter().flat_map(|&m| self.goals_by_matcher.get(m).into_iter().flatten());
        let by_feature = scratch.features_used.iter().flat_map(|&f| self.goals_by_feature.get(f).into_iter().flatten());
        by_matcher.chain(by_feature).copied()
    }

    /// User metrics now, for the host app and for debugging.
    pub fn metrics(&self, state: &UserState, slots: &Slots, facts: &Facts<'_>) -> crate::model::UserMetrics {
        Evaluation::new(self, state, slots, facts).metrics()
    }
}
