//! How two records of one user's state combine when they are merged (`UserState::merge`): two
//! copies of one replica's record (a tab's part read twice, a part and the same part written
//! later) join, and the larger count holds the smaller; the records of two replicas (two tabs,
//! two devices) add up. Lists of occurrences are sorted multisets, merged in one pass.
//!
//! Join is a semilattice (commutative, associative, idempotent), so parts can be merged in any
//! order and more than once; the sum of distinct replicas' parts is exact, and `without` takes a
//! replica's part back out of a sum.

use std::collections::VecDeque;

/// How two records combine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Combine {
    /// Two copies of one replica's record: counts take the larger, lists hold each value as
    /// often as the copy holding it most.
    Join,
    /// The records of two replicas: counts and lists add up.
    Sum,
}

impl Combine {
    pub fn count(self, ours: u64, theirs: u64) -> u64 {
        match self {
            Combine::Join => ours.max(theirs),
            Combine::Sum => ours.saturating_add(theirs),
        }
    }

    /// `count` for the narrower counters.
    pub fn count_u32(self, ours: u32, theirs: u32) -> u32 {
        match self {
            Combine::Join => ours.max(theirs),
            Combine::Sum => ours.saturating_add(theirs),
        }
    }
}

/// Merges the sorted list `theirs` into the sorted list `ours`, keeping it sorted.
pub fn merge_sorted<T: Ord + Copy>(ours: &mut VecDeque<T>, theirs: &VecDeque<T>, how: Combine) {
    if theirs.is_empty() {
        return;
    }
    let mut merged = VecDeque::with_capacity(ours.len() + theirs.len());
    let (mut left, mut right) = (ours.iter().peekable(), theirs.iter().peekable());
    loop {
        let next = match (left.peek(), right.peek()) {
            (Some(&&a), Some(&&b)) if a == b && how == Combine::Join => {
                left.next();
                right.next();
                a
            }
            (Some(&&a), Some(&&b)) if b < a => {
                right.next();
                b
            }
            (Some(&&a), _) => {
                left.next();
                a
            }
            (None, Some(&&b)) => {
                right.next();
                b
            }
            (None, None) => break,
        };
        merged.push_back(next);
    }
    *ours = merged;
}

/// The sorted list `list` without the values of the sorted list `part`, each taken out as
/// often as `part` holds it.
pub fn without_sorted<T: Ord + Copy>(list: &VecDeque<T>, part: &VecDeque<T>) -> VecDeque<T> {
    let mut kept = VecDeque::with_capacity(list.len());
    let mut taken = part.iter().peekable();
    for &value in list {
        while taken.peek().is_some_and(|&&taken| taken < value) {
            taken.next();
        }
        if taken.peek().is_some_and(|&&taken| taken == value) {
            taken.next();
        } else {
            kept.push_back(value);
        }
    }
    kept
}

/// The earlier of two optional instants: a missing one is no instant at all (the later is
/// `Option::max`).
pub fn earlier<T: Ord + Copy>(ours: Option<T>, theirs: Option<T>) -> Option<T> {
    match (ours, theirs) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(values: &[u32]) -> VecDeque<u32> {
        values.iter().copied().collect()
    }

    #[test]
    fn a_join_keeps_each_value_as_often_as_the_copy_holding_it_most() {
        let mut ours = list(&[1, 2, 2, 5]);
        merge_sorted(&mut ours, &list(&[2, 3, 5, 5]), Combine::Join);
        assert_eq!(ours, list(&[1, 2, 2, 3, 5, 5]));
    }

    #[test]
    fn a_sum_keeps_every_value_of_both() {
        let mut ours = list(&[1, 2, 5]);
        merge_sorted(&mut ours, &list(&[2, 3]), Combine::Sum);
        assert_eq!(ours, list(&[1, 2, 2, 3, 5]));
    }

    #[test]
    fn a_part_taken_out_of_a_sum_leaves_the_rest() {
        let mut sum = list(&[1, 2, 5, 5]);
        let part = list(&[2, 5, 7]);
        merge_sorted(&mut sum, &part, Combine::Sum);
        assert_eq!(without_sorted(&sum, &part), list(&[1, 2, 5, 5]));
    }

    #[test]
    fn instants_meet_at_the_earlier() {
        assert_eq!(earlier(Some(3), None), Some(3));
        assert_eq!(earlier(Some(3), Some(2)), Some(2));
        assert_eq!(earlier(None::<u32>, None), None);
    }
}
