//! Progress through a sequence of events ("invoice.opened then invoice.approved"), kept as
//! events arrive: partial runs waiting at each step, and the latest completions. A step is
//! matched to the oldest partial run still within the gap, so interleaved runs (open A, open
//! B, approve A, approve B) count as two completions.

use std::collections::VecDeque;

use crate::merge::{Combine, merge_sorted, without_sorted};
use crate::time::{Duration, Timestamp};

/// The most partial runs kept waiting at one step.
const PARTIALS_MAX: usize = 64;

/// One run of the sequence: when its first step happened and when its latest did. Ordered by
/// start, as the lists of runs are kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Run {
    pub start: Timestamp,
    pub last: Timestamp,
}

/// How much of a sequence's history the rules need, as for one event: the latest completions
/// to keep, and how far back completions and partial runs are of use.
pub type SequenceRetention = super::EventRetention;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SequenceProgress {
    /// `waiting[i]`: runs that have matched steps `0..=i`, oldest first.
    pub waiting: Vec<VecDeque<Run>>,
    /// The latest completed runs, oldest first.
    pub completions: VecDeque<Run>,
    pub total: u64,
}

impl SequenceProgress {
    pub fn is_empty(&self) -> bool {
        self.total == 0 && self.waiting.iter().all(VecDeque::is_empty)
    }

    /// An event at `at` matched the steps of `matched` (indices, any order) of a sequence of
    /// `steps` steps. Later steps are advanced first, so one event never takes a run through two
    /// steps at once.
    pub fn advance(&mut self, matched: &[usize], steps: usize, gap: Option<Duration>, at: Timestamp) {
        self.waiting.resize_with(steps.saturating_sub(1), VecDeque::new);
        let mut order: [usize; 8] = [0; 8];
        let count = matched.len().min(order.len());
        order[..count].copy_from_slice(&matched[..count]);
        // Latest step first; sorted as the other lists of positions are, then reversed.
        order[..count].sort_unstable();
        order[..count].reverse();
        for &step in &order[..count] {
            if step == 0 {
                if let Some(first) = self.waiting.first_mut() {
                    if first.len() >= PARTIALS_MAX {
                        first.pop_front();
                    }
                    first.push_back(Run { start: at, last: at });
                }
                continue;
            }
            let Some(previous) = self.waiting.get_mut(step - 1) else { continue };
            if let Some(gap) = gap {
                while previous.front().is_some_and(|run| at.as_millis() - run.last.as_millis() > gap.as_millis()) {
                    previous.pop_front();
                }
            }
            let Some(run) = previous.pop_front() else { continue };
            let run = Run { start: run.start, last: at };
            if step + 1 == steps {
                self.completions.push_back(run);
                self.total = self.total.saturating_add(1);
            } else if let Some(next) = self.waiting.get_mut(step) {
                if next.len() >= PARTIALS_MAX {
                    next.pop_front();
                }
                next.push_back(run);
            }
        }
    }

    /// Adds another record of the same sequence: its total and completions as `Combine` says;
    /// runs in progress by their start, each at the furthest step either record reached (and no
    /// longer waiting once either completed it).
    pub fn merge(&mut self, other: &SequenceProgress, how: Combine) {
        self.total = how.count(self.total, other.total);
        merge_sorted(&mut self.completions, &other.completions, how);
        // (start, step, last) of every run waiting in either; the last of each start, once
        // sorted, is where it got furthest.
        let mut runs = Vec::new();
        for progress in [&*self, other] {
            for (step, waiting) in progress.waiting.iter().enumerate() {
                for run in waiting {
                    runs.push((run.start, step, run.last));
                }
            }
        }
        runs.sort_unstable();
        let steps = self.waiting.len().max(other.waiting.len());
        let mut waiting = vec![VecDeque::new(); steps];
        for (index, &(start, step, last)) in runs.iter().enumerate() {
            let overtaken = runs.get(index + 1).is_some_and(|next| next.0 == start);
            let completed = self.completions.iter().any(|run| run.start == start);
            if !overtaken
                && !completed
                && let Some(at_step) = waiting.get_mut(step)
            {
                at_step.push_back(Run { start, last });
            }
        }
        self.waiting = waiting;
    }

    /// This record without `part`'s completions, added to it before. Runs in progress are
    /// kept whole (merging them again changes nothing).
    pub fn without(&self, part: &SequenceProgress) -> SequenceProgress {
        SequenceProgress {
            waiting: self.waiting.clone(),
            completions: without_sorted(&self.completions, &part.completions),
            total: self.total.saturating_sub(part.total),
        }
    }

    /// Drops what the rules no longer need.
    pub fn prune(&mut self, retention: SequenceRetention, now: Timestamp) {
        let oldest_useful = now.minus(retention.horizon);
        while self.completions.front().is_some_and(|run| run.start < oldest_useful) {
            self.completions.pop_front();
        }
        while self.completions.len() > retention.keep_latest as usize {
            self.completions.pop_front();
        }
        for waiting in &mut self.waiting {
            while waiting.front().is_some_and(|run| run.start < oldest_useful) {
                waiting.pop_front();
            }
        }
    }

    /// Completions that lie entirely at or after `since`, among those kept.
    pub fn completions_since(&self, since: Timestamp) -> u64 {
        self.completions.iter().filter(|run| run.start >= since).count() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: i64 = 60_000;

    fn at(minutes: i64) -> Timestamp {
        Timestamp::from_millis(minutes * MINUTE)
    }

    const OPEN: usize = 0;
    const APPROVE: usize = 1;

    #[test]
    fn interleaved_runs_each_complete() {
        let mut progress = SequenceProgress::default();
        progress.advance(&[OPEN], 2, None, at(1));
        progress.advance(&[OPEN], 2, None, at(2));
        progress.advance(&[APPROVE], 2, None, at(3));
        progress.advance(&[APPROVE], 2, None, at(4));
        progress.advance(&[APPROVE], 2, None, at(5));
        assert_eq!(progress.total, 2, "the third approval has no opening to complete");
        assert_eq!(progress.completions, [Run { start: at(1), last: at(3) }, Run { start: at(2), last: at(4) }]);
    }

    #[test]
    fn steps_out_of_order_do_not_complete() {
        let mut progress = SequenceProgress::default();
        progress.advance(&[APPROVE], 2, None, at(1));
        progress.advance(&[OPEN], 2, None, at(2));
        assert_eq!(progress.total, 0);
    }

    #[test]
    fn a_gap_longer_than_allowed_breaks_the_run() {
        let gap = Some(Duration::from_minutes(10));
        let mut progress = SequenceProgress::default();
        progress.advance(&[OPEN], 2, gap, at(0));
        progress.advance(&[APPROVE], 2, gap, at(11));
        assert_eq!(progress.total, 0);
        progress.advance(&[OPEN], 2, gap, at(20));
        progress.advance(&[APPROVE], 2, gap, at(30));
        assert_eq!(progress.total, 1, "exactly the gap is allowed");
    }

    #[test]
    fn three_steps_in_order() {
        let mut progress = SequenceProgress::default();
        for (step, minute) in [(0, 1), (1, 2), (0, 3), (2, 4), (1, 5), (2, 6)] {
            progress.advance(&[step], 3, None, at(minute));
        }
        assert_eq!(progress.total, 2);
        assert_eq!(progress.completions_since(at(2)), 1);
        assert_eq!(progress.completions_since(at(1)), 2);
    }

    #[test]
    fn one_event_matching_two_steps_advances_a_run_by_one() {
        // The sequence [A, A]: the first A starts a run, the second completes it.
        let mut progress = SequenceProgress::default();
        progress.advance(&[0, 1], 2, None, at(1));
        assert_eq!(progress.total, 0);
        progress.advance(&[0, 1], 2, None, at(2));
        assert_eq!(progress.total, 1);
    }

    #[test]
    fn pruning_keeps_what_the_window_needs() {
        let mut progress = SequenceProgress::default();
        for minute in 0..10 {
            progress.advance(&[OPEN], 2, None, at(minute * 2));
            progress.advance(&[APPROVE], 2, None, at(minute * 2 + 1));
        }
        progress.prune(SequenceRetention { keep_latest: 3, horizon: Duration::from_minutes(100) }, at(20));
        assert_eq!(progress.completions.len(), 3);
        assert_eq!(progress.total, 10);
        progress.prune(SequenceRetention { keep_latest: 3, horizon: Duration::from_minutes(3) }, at(20));
        assert_eq!(progress.completions.len(), 1);
    }
}
