//! How often, and when, an event a rule counts was tracked: a total since the device started
//! watching it, and the latest timestamps, as many as the rules need and no older than their
//! longest window.

use std::collections::VecDeque;

use crate::merge::{Combine, merge_sorted, without_sorted};
use crate::time::{Duration, Timestamp};

/// How much history of one event the rules need.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct EventRetention {
    /// The latest occurrences to keep.
    pub keep_latest: u32,
    /// How far back they are of use.
    pub horizon: Duration,
}

impl EventRetention {
    /// The retention that serves both `self` and `other`.
    pub fn union(self, other: EventRetention) -> EventRetention {
        EventRetention {
            keep_latest: self.keep_latest.max(other.keep_latest),
            horizon: self.horizon.max(other.horizon),
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EventHistory {
    pub total: u64,
    /// Oldest first.
    pub latest: VecDeque<Timestamp>,
}

impl EventHistory {
    pub fn record(&mut self, at: Timestamp, retention: EventRetention, now: Timestamp) {
        self.total = self.total.saturating_add(1);
        let position = self.latest.partition_point(|&seen| seen <= at);
        self.latest.insert(position, at);
        self.prune(retention, now);
    }

    pub fn prune(&mut self, retention: EventRetention, now: Timestamp) {
        let oldest_useful = now.minus(retention.horizon);
        while self.latest.front().is_some_and(|&at| at < oldest_useful) {
            self.latest.pop_front();
        }
        while self.latest.len() > retention.keep_latest as usize {
            self.latest.pop_front();
        }
    }

    /// Adds another record of the same event; see `Combine`. Pruned when next bound to a
    /// program.
    pub fn merge(&mut self, other: &EventHistory, how: Combine) {
        self.total = how.count(self.total, other.total);
        merge_sorted(&mut self.latest, &other.latest, how);
    }

    /// This record without `part`'s occurrences, added to it before.
    pub fn without(&self, part: &EventHistory) -> EventHistory {
        EventHistory {
            total: self.total.saturating_sub(part.total),
            latest: without_sorted(&self.latest, &part.latest),
        }
    }

    /// Occurrences at or after `since`, among those kept.
    pub fn count_since(&self, since: Timestamp) -> u64 {
        (self.latest.len() - self.latest.partition_point(|&at| at < since)) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: i64 = 60_000;

    fn at(minutes: i64) -> Timestamp {
        Timestamp::from_millis(minutes * MINUTE)
    }

    #[test]
    fn keeps_only_the_latest_occurrences_the_rules_need() {
        let retention = EventRetention { keep_latest: 3, horizon: Duration::from_minutes(100) };
        let mut history = EventHistory::default();
        for minute in 0..10 {
            history.record(at(minute), retention, at(minute));
        }
        assert_eq!(history.total, 10);
        assert_eq!(history.count_since(at(0)), 3);
        assert_eq!(history.count_since(at(8)), 2);
        assert_eq!(history.count_since(at(10)), 0);
    }

    #[test]
    fn forgets_occurrences_beyond_the_horizon() {
        let retention = EventRetention { keep_latest: 100, horizon: Duration::from_minutes(10) };
        let mut history = EventHistory::default();
        history.record(at(0), retention, at(0));
        history.record(at(5), retention, at(5));
        history.record(at(12), retention, at(12));
        assert_eq!(history.count_since(at(0)), 2, "the occurrence at 0 is older than 12 - 10");
        history.prune(retention, at(30));
        assert_eq!(history.count_since(at(0)), 0);
        assert_eq!(history.total, 3);
    }

    #[test]
    fn late_occurrences_are_kept_in_order() {
        let retention = EventRetention { keep_latest: 2, horizon: Duration::from_minutes(100) };
        let mut history = EventHistory::default();
        history.record(at(10), retention, at(10));
        history.record(at(5), retention, at(10));
        history.record(at(7), retention, at(10));
        assert_eq!(history.latest, [at(7), at(10)]);
    }
}
