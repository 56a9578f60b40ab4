//! How often, and when, the events that rules count were tracked: a total since the device
//! started watching the event, and the latest timestamps, as many as the rules need and no
//! older than their longest window.

use std::collections::{BTreeMap, VecDeque};

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

/// One event's history.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EventHistory {
    pub total: u64,
    /// Oldest first.
    pub latest: VecDeque<Timestamp>,
}

impl EventHistory {
    fn record(&mut self, at: Timestamp, retention: EventRetention, now: Timestamp) {
        self.total = self.total.saturating_add(1);
        let position = self.latest.partition_point(|&seen| seen <= at);
        self.latest.insert(position, at);
        self.prune(retention, now);
    }

    fn prune(&mut self, retention: EventRetention, now: Timestamp) {
        let oldest_useful = now.minus(retention.horizon);
        while self.latest.front().is_some_and(|&at| at < oldest_useful) {
            self.latest.pop_front();
        }
        while self.latest.len() > retention.keep_latest as usize {
            self.latest.pop_front();
        }
    }

    /// Occurrences at or after `since`, among those kept.
    pub fn count_since(&self, since: Timestamp) -> u64 {
        (self.latest.len() - self.latest.partition_point(|&at| at < since)) as u64
    }
}

/// The history of every event a rule watches.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EventLog {
    by_name: BTreeMap<String, EventHistory>,
}

impl EventLog {
    pub fn from_histories(by_name: BTreeMap<String, EventHistory>) -> Self {
        EventLog { by_name }
    }

    pub fn histories(&self) -> &BTreeMap<String, EventHistory> {
        &self.by_name
    }

    /// Records an occurrence of `name` at `at`, keeping what `retention` asks for.
    pub fn record(&mut self, name: &str, at: Timestamp, retention: EventRetention, now: Timestamp) {
        match self.by_name.get_mut(name) {
            Some(history) => history.record(at, retention, now),
            None => {
                let mut history = EventHistory::default();
                history.record(at, retention, now);
                self.by_name.insert(name.to_owned(), history);
            }
        }
    }

    /// Drops what no rule needs any more: events no rule watches, and occurrences beyond the
    /// retention of those watched.
    pub fn prune(&mut self, retention_of: impl Fn(&str) -> Option<EventRetention>, now: Timestamp) {
        self.by_name.retain(|name, history| match retention_of(name) {
            Some(retention) => {
                history.prune(retention, now);
                true
            }
            None => false,
        });
    }

    pub fn total(&self, name: &str) -> u64 {
        self.by_name.get(name).map_or(0, |history| history.total)
    }

    pub fn count_since(&self, name: &str, since: Timestamp) -> u64 {
        self.by_name.get(name).map_or(0, |history| history.count_since(since))
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
        let mut log = EventLog::default();
        for minute in 0..10 {
            log.record("invoice.approved", at(minute), retention, at(minute));
        }
        assert_eq!(log.total("invoice.approved"), 10);
        assert_eq!(log.count_since("invoice.approved", at(0)), 3);
        assert_eq!(log.count_since("invoice.approved", at(8)), 2);
        assert_eq!(log.count_since("invoice.approved", at(10)), 0);
        assert_eq!(log.count_since("report.exported", at(0)), 0);
    }

    #[test]
    fn forgets_occurrences_beyond_the_horizon() {
        let retention = EventRetention { keep_latest: 100, horizon: Duration::from_minutes(10) };
        let mut log = EventLog::default();
        log.record("x", at(0), retention, at(0));
        log.record("x", at(5), retention, at(5));
        log.record("x", at(12), retention, at(12));
        assert_eq!(log.count_since("x", at(0)), 2, "the occurrence at 0 is older than 12 - 10");
        log.prune(|_| Some(retention), at(30));
        assert_eq!(log.count_since("x", at(0)), 0);
        assert_eq!(log.total("x"), 3);
    }

    #[test]
    fn late_occurrences_are_kept_in_order() {
        let retention = EventRetention { keep_latest: 2, horizon: Duration::from_minutes(100) };
        let mut log = EventLog::default();
        log.record("x", at(10), retention, at(10));
        log.record("x", at(5), retention, at(10));
        log.record("x", at(7), retention, at(10));
        assert_eq!(log.histories()["x"].latest, [at(7), at(10)]);
    }

    #[test]
    fn events_no_rule_watches_are_dropped() {
        let retention = EventRetention { keep_latest: 5, horizon: Duration::from_minutes(100) };
        let mut log = EventLog::default();
        log.record("kept", at(1), retention, at(1));
        log.record("dropped", at(1), retention, at(1));
        log.prune(|name| (name == "kept").then_some(retention), at(2));
        assert_eq!(log.histories().keys().collect::<Vec<_>>(), ["kept"]);
    }
}
