//! Why each rule did or did not fire, for `uptake.debug(true)`: the frequency or throttle that
//! held it back, or the first part of its trigger or audience that did not hold, with the value
//! the device saw.

use crate::exposure::Variant;
use crate::json_writer::{FloatWriter, to_text};

use super::condition::{Cond, Evaluation};
use super::{Program, Scratch, Situation};

/// One rule's verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleExplanation {
    pub rule_id: String,
    pub verdict: String,
}

fn range(min: u32, max: Option<u32>) -> String {
    match max {
        Some(max) if max == min => format!("exactly {min}"),
        Some(max) => format!("{min} to {max}"),
        None => format!("at least {min}"),
    }
}

/// A trait's value as JSON, or "missing".
fn shown(value: Option<&serde_json::Value>, write_float: FloatWriter) -> String {
    value.map_or_else(|| "missing".to_owned(), |value| to_text(value, write_float))
}

/// "1 time", "3 times".
fn times(count: u64) -> String {
    if count == 1 { "1 time".to_owned() } else { format!("{count} times") }
}

impl Evaluation<'_> {
    /// What a leaf condition saw.
    fn describe(&self, condition: &Cond, write_float: FloatWriter) -> String {
        let now = self.facts.now;
        match condition {
            Cond::EventCount { matcher, min, max, within } => {
                let event = self.program.matchers.get(*matcher).map_or("?", |m| m.event.as_str());
                let history =
                    self.slots.histories.get(*matcher).copied().flatten().and_then(|row| self.state.histories.at(row));
                let count = history.map_or(0, |h| within.map_or(h.total, |window| h.count_since(window.start(now))));
                let window = within.map_or_else(|| "ever".to_owned(), |window| format!("in {window}"));
                format!("{event} happened {} {window}, needs {}", times(count), range(*min, *max))
            }
            Cond::SequenceCount { sequence, min, max, within } => {
                let progress = self.slots.sequences.get(*sequence).and_then(|row| self.state.sequences.at(*row));
                let count =
                    progress.map_or(0, |p| within.map_or(p.total, |window| p.completions_since(window.start(now))));
                format!("the sequence was completed {}, needs {}", times(count), range(*min, *max))
            }
            Cond::FeatureUsed { feature, used, .. } => {
                let id = self.program.config().features.get(*feature).map_or("?", |f| f.id.as_str());
                format!("feature {id} must {}be used", if *used { "" } else { "not " })
            }
            Cond::Page(glob) => format!("the page {} does not match {}", self.facts.page_path, glob.as_str()),
            Cond::Element(selector) => {
                format!("no element matches {}", self.program.selectors.get(*selector).map_or("?", String::as_str))
            }
            Cond::UserTrait { name, .. } => {
                format!("trait {name} is {}", shown(self.facts.traits.get(name), write_float))
            }
            Cond::AccountTrait { name, .. } => {
                format!("account trait {name} is {}", shown(self.facts.account_traits.get(name), write_float))
            }
            Cond::Tenure(_) => match crate::model::tenure_days(self.facts.traits, now) {
                Some(days) => format!("tenure is {days} days"),
                None => "tenure is unknown: no signed_up_at, created_at or createdAt trait".to_owned(),
            },
            Cond::Level(_) => format!("the level is {}", self.metrics().level),
            Cond::Recency(_) => format!("recency is {}", self.metrics().recency.name()),
            Cond::Depth(_) => format!("depth is {}", crate::decimal::fixed(self.metrics().depth, 2)),
            Cond::Barrier { feature, .. } => {
                let id = self.program.config().features.get(*feature).map_or("?", |f| f.id.as_str());
                format!("the barrier to {id} is another one")
            }
            Cond::All(_) | Cond::Any(_) | Cond::Not(_) => "its parts do not hold".to_owned(),
        }
    }

    /// The path of the first part of `condition` that does not hold, and what it saw.
    fn first_failure(&self, condition: &Cond, path: String, write_float: FloatWriter) -> String {
        match condition {
            Cond::All(parts) => {
                for (index, part) in parts.iter().enumerate() {
                    if !self.holds(part) {
                        return self.first_failure(part, format!("{path}.all[{index}]"), write_float);
                    }
                }
                format!("{path}: holds")
            }
            Cond::Any(_) => format!("{path}: none of its conditions holds"),
            Cond::Not(_) => format!("{path}: the negated condition holds"),
            leaf => format!("{path}: {}", self.describe(leaf, write_float)),
        }
    }
}

impl Program {
    /// A verdict for each rule woken in `scratch`; the values it quotes written with `write_float`.
    pub fn explain(
        &self,
        situation: &Situation<'_>,
        scratch: &Scratch,
        write_float: FloatWriter,
    ) -> Vec<RuleExplanation> {
        let Situation { state, slots, facts, limits, renderable } = *situation;
        let settings = &self.config().settings;
        let evaluation = Evaluation::new(self, state, slots, facts);
        let throttled = if limits.shown_this_page_view >= settings.throttle.per_page_view {
            Some(format!("throttled: {} shown in this page view", limits.shown_this_page_view))
        } else if state.shows_on(evaluation.today) >= settings.throttle.per_day {
            Some(format!("throttled: {} shown today", state.shows_on(evaluation.today)))
        } else {
            None
        };
        let mut explanations = Vec::new();
        for (index, (rule, compiled)) in self.config().rules.iter().zip(&self.rules).enumerate() {
            if scratch.woken.get(index / 64).is_none_or(|word| word & (1 << (index % 64)) == 0) {
                continue;
            }
            let exposure = slots.rules.get(index).and_then(|row| state.rules.at(*row));
            let verdict = if limits.shown_rules.contains(&index) {
                "shown in this page view".to_owned()
            } else if limits.claimed_elsewhere.contains(&rule.id) {
                "on screen in another tab".to_owned()
            } else if !renderable.contains(&rule.show.kind()) {
                format!(
                    "not shown: no {} can be shown now (unsupported, or one is in progress)",
                    rule.show.kind().as_str()
                )
            } else if exposure.is_some_and(|e| e.is_over(&rule.frequency)) {
                "over for this user (dismissed, clicked, goal reached or shown max_shows times)".to_owned()
            } else if exposure.is_some_and(|e| e.is_resting(&rule.frequency, facts.now)) {
                "resting (min_interval or snooze)".to_owned()
            } else if !evaluation.holds(&compiled.when) {
                evaluation.first_failure(&compiled.when, "when".to_owned(), write_float)
            } else if let Some(audience) = compiled.audience.as_ref().filter(|audience| !evaluation.holds(audience)) {
                evaluation.first_failure(audience, "audience".to_owned(), write_float)
            } else if let Some(throttled) = throttled.as_ref().filter(|_| !compiled.ambient) {
                throttled.clone()
            } else {
                let variant =
                    exposure.and_then(|e| e.variant).unwrap_or_else(|| self.assign_variant(index, facts.subject));
                match variant {
                    Variant::Holdout => format!("holds; the user is in the holdout (priority {})", rule.priority),
                    Variant::Treatment => format!("holds (priority {})", rule.priority),
                }
            };
            explanations.push(RuleExplanation { rule_id: rule.id.clone(), verdict });
        }
        explanations
    }
}
