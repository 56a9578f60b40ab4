//! Conditions compiled against a program: ids replaced by indices, so that evaluating one reads
//! the state by row number and allocates nothing. The user metrics (level, recency, depth) are
//! computed at most once per evaluation, on first use.

use std::cell::Cell;

use serde_json::{Map, Value};

use crate::config::{Barrier, Comparison, PathGlob, RecencyClass, ValueOperators, property};
use crate::model::{self, ModelFeature, UserMetrics};
use crate::state::UserState;
use crate::time::{DayNumber, Timestamp, Window};

use super::{Program, Slots};

#[derive(Clone, Debug)]
pub(crate) enum Cond {
    All(Vec<Cond>),
    Any(Vec<Cond>),
    Not(Box<Cond>),
    EventCount {
        matcher: usize,
        min: u32,
        max: Option<u32>,
        within: Option<Window>,
    },
    SequenceCount {
        sequence: usize,
        min: u32,
        max: Option<u32>,
        within: Option<Window>,
    },
    FeatureUsed {
        feature: usize,
        used: bool,
        within: Option<Window>,
    },
    Page(PathGlob),
    Element(usize),
    UserTrait {
        name: String,
        test: ValueOperators,
    },
    AccountTrait {
        name: String,
        test: ValueOperators,
    },
    Tenure(Comparison<u32>),
    Level(Comparison<u32>),
    /// Bit `RecencyClass as u8` set for each accepted class.
    Recency(u8),
    Depth(Comparison<f64>),
    /// Bit per accepted barrier.
    Barrier {
        feature: usize,
        accepted: u8,
    },
}

pub(crate) fn recency_bit(class: RecencyClass) -> u8 {
    1 << (class as u8)
}

pub(crate) fn barrier_bit(barrier: Barrier) -> u8 {
    1 << (barrier as u8)
}

/// What is known now, from outside the state: the time, the page, the elements on it, who the
/// user is and which catalog features apply to them.
pub struct Facts<'a> {
    pub now: Timestamp,
    pub page_path: &'a str,
    /// Per selector of the program: whether an element matching it is on the page.
    pub elements: &'a [bool],
    pub traits: &'a Map<String, Value>,
    pub account_traits: &'a Map<String, Value>,
    /// Per catalog feature: whether it applies to the user.
    pub applicable: &'a [bool],
    /// The user id, else the anonymous id: who a holdout assignment is for.
    pub subject: &'a str,
}

/// One evaluation of conditions against a state.
pub(crate) struct Evaluation<'a> {
    pub(crate) program: &'a Program,
    pub(crate) state: &'a UserState,
    pub(crate) slots: &'a Slots,
    pub(crate) facts: &'a Facts<'a>,
    pub(crate) today: DayNumber,
    metrics: Cell<Option<UserMetrics>>,
    /// Days since sign-up, read from the traits once per evaluation (`Some(None)`: unreadable).
    tenure: Cell<Option<Option<u32>>>,
}

fn in_range(count: u64, min: u32, max: Option<u32>) -> bool {
    count >= u64::from(min) && max.is_none_or(|max| count <= u64::from(max))
}

impl<'a> Evaluation<'a> {
    pub(crate) fn new(program: &'a Program, state: &'a UserState, slots: &'a Slots, facts: &'a Facts<'a>) -> Self {
        let today = facts.now.day(program.config().settings.day_offset());
        Evaluation { program, state, slots, facts, today, metrics: Cell::new(None), tenure: Cell::new(None) }
    }

    fn tenure_days(&self) -> Option<u32> {
        if let Some(tenure) = self.tenure.get() {
            return tenure;
        }
        let tenure = model::tenure_days(self.facts.traits, self.facts.now);
        self.tenure.set(Some(tenure));
        tenure
    }

    pub(crate) fn metrics(&self) -> UserMetrics {
        if let Some(metrics) = self.metrics.get() {
            return metrics;
        }
        let settings = &self.program.config().settings;
        let features = self.program.features.activation.iter().enumerate().filter_map(|(index, activation)| {
            let usage = self.slots.features.get(index).and_then(|row| self.state.features.at(*row))?;
            let applicable = self.facts.applicable.get(index).copied().unwrap_or(true);
            Some(ModelFeature { usage, applicable, activation: *activation })
        });
        let metrics = model::user_metrics(features, self.today, &settings.model, settings.day_offset());
        self.metrics.set(Some(metrics));
        metrics
    }

    pub(crate) fn holds(&self, condition: &Cond) -> bool {
        let now = self.facts.now;
        match condition {
            Cond::All(parts) => parts.iter().all(|part| self.holds(part)),
            Cond::Any(parts) => parts.iter().any(|part| self.holds(part)),
            Cond::Not(part) => !self.holds(part),
            Cond::EventCount { matcher, min, max, within } => {
                let history =
                    self.slots.histories.get(*matcher).copied().flatten().and_then(|row| self.state.histories.at(row));
                let count = history.map_or(0, |history| match within {
                    Some(window) => history.count_since(window.start(now)),
                    None => history.total,
                });
                in_range(count, *min, *max)
            }
            Cond::SequenceCount { sequence, min, max, within } => {
                let progress = self.slots.sequences.get(*sequence).and_then(|row| self.state.sequences.at(*row));
                let count = progress.map_or(0, |progress| match within {
                    Some(window) => progress.completions_since(window.start(now)),
                    None => progress.total,
                });
                in_range(count, *min, *max)
            }
            Cond::FeatureUsed { feature, used, within } => {
                let usage = self.slots.features.get(*feature).and_then(|row| self.state.features.at(*row));
                let was_used = usage.is_some_and(|usage| match within {
                    Some(window) => usage.used_since(window.start(now)),
                    None => usage.is_used(),
                });
                was_used == *used
            }
            Cond::Page(glob) => glob.matches(self.facts.page_path),
            Cond::Element(selector) => self.facts.elements.get(*selector).copied().unwrap_or(false),
            Cond::UserTrait { name, test } => test.matches(property(self.facts.traits, name), now),
            Cond::AccountTrait { name, test } => test.matches(property(self.facts.account_traits, name), now),
            Cond::Tenure(comparison) => self.tenure_days().is_some_and(|days| comparison.holds(days)),
            Cond::Level(comparison) => comparison.holds(self.metrics().level),
            Cond::Recency(accepted) => accepted & recency_bit(self.metrics().recency) != 0,
            Cond::Depth(comparison) => comparison.holds(self.metrics().depth),
            Cond::Barrier { feature, accepted } => {
                let settings = &self.program.config().settings;
                let usage = self.slots.features.get(*feature).and_then(|row| self.state.features.at(*row));
                let barrier = usage.map_or(Barrier::Unaware, |usage| {
                    model::barrier(usage, self.today, &settings.model, settings.day_offset())
                });
                accepted & barrier_bit(barrier) != 0
            }
        }
    }
}
