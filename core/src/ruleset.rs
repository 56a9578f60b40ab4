//! A config made ready to use: which features each event counts for, which events the rules
//! watch and how much of their history to keep, and the evaluation of rules against a user's
//! state at an instant. Built once when a config loads.

use std::collections::HashMap;

use crate::config::{Condition, Config, EventCondition, Rule};
use crate::state::UserState;
use crate::time::{Duration, Timestamp};
use crate::usage::EventRetention;

#[derive(Clone, Debug)]
pub struct RuleSet {
    config: Config,
    features_by_event: HashMap<String, Vec<String>>,
    retention_by_event: HashMap<String, EventRetention>,
}

/// Everything that can stop a rule that holds from being shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShowLimits {
    /// Prompts already shown in this page view.
    pub shown_this_page_view: u32,
}

impl RuleSet {
    pub fn new(config: Config) -> RuleSet {
        let mut features_by_event: HashMap<String, Vec<String>> = HashMap::new();
        for feature in &config.features {
            for event in &feature.events {
                let features = features_by_event.entry(event.clone()).or_default();
                if !features.contains(&feature.id) {
                    features.push(feature.id.clone());
                }
            }
        }
        let mut retention_by_event = HashMap::new();
        for rule in &config.rules {
            collect_retention(&rule.when, &mut retention_by_event);
        }
        RuleSet { config, features_by_event, retention_by_event }
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The catalog features a tracked event counts as a use of.
    pub fn features_for_event(&self, event: &str) -> &[String] {
        self.features_by_event.get(event).map_or(&[], Vec::as_slice)
    }

    /// How much history of `event` the rules need; `None` when no rule counts it.
    pub fn retention(&self, event: &str) -> Option<EventRetention> {
        self.retention_by_event.get(event).copied()
    }

    /// Whether `condition` holds for `state` at `now`.
    pub fn holds(&self, condition: &Condition, state: &UserState, now: Timestamp) -> bool {
        match condition {
            Condition::All(conditions) => conditions.iter().all(|c| self.holds(c, state, now)),
            Condition::Any(conditions) => conditions.iter().any(|c| self.holds(c, state, now)),
            Condition::Not(condition) => !self.holds(condition, state, now),
            Condition::Event(event) => {
                let events = &state.usage.events;
                let count = match event.within {
                    Some(window) => events.count_since(&event.event, window.start(now)),
                    None => events.total(&event.event),
                };
                event.count.contains(count)
            }
            Condition::Feature(feature) => {
                let used = state.usage.feature(&feature.feature).is_some_and(|usage| match feature.within {
                    Some(window) => usage.used_since(window.start(now)),
                    None => true,
                });
                used == feature.used
            }
        }
    }

    /// The rule to show now, if any: among the rules that hold, are not finished for this user
    /// and fit the throttles, the one with the highest priority, the earliest on a tie.
    pub fn decide(&self, state: &UserState, limits: ShowLimits, now: Timestamp) -> Option<&Rule> {
        let throttle = self.config.settings.throttle;
        if limits.shown_this_page_view >= throttle.per_page_view {
            return None;
        }
        let today = now.day(self.config.settings.day_offset);
        if state.exposure.shows_on(today) >= throttle.per_day {
            return None;
        }
        let mut chosen: Option<&Rule> = None;
        for rule in &self.config.rules {
            if chosen.is_some_and(|best| best.priority >= rule.priority) {
                continue;
            }
            if state.exposure.rule(&rule.id).is_some_and(|exposure| exposure.is_finished()) {
                continue;
            }
            if self.holds(&rule.when, state, now) {
                chosen = Some(rule);
            }
        }
        chosen
    }
}

fn collect_retention(condition: &Condition, retention: &mut HashMap<String, EventRetention>) {
    match condition {
        Condition::All(conditions) | Condition::Any(conditions) => {
            for condition in conditions {
                collect_retention(condition, retention);
            }
        }
        Condition::Not(condition) => collect_retention(condition, retention),
        Condition::Event(EventCondition { event, count, within }) => {
            let needed = match within {
                Some(window) => EventRetention { keep_latest: count.occurrences_needed(), horizon: window.duration() },
                // Counted over all time: the total is enough.
                None => EventRetention { keep_latest: 0, horizon: Duration::default() },
            };
            let entry = retention.entry(event.clone()).or_default();
            *entry = entry.union(needed);
        }
        Condition::Feature(_) => {}
    }
}

#[cfg(test)]
mod tests;
