//! The days on which something was used: a bitmap of the last 400 days, ending at the newest
//! day recorded, with older days folded into a count. Fixed size whatever the history, so a
//! user's state stays small.

use crate::time::DayNumber;

/// How many days are kept day by day; older ones only count.
pub const TRACKED_DAYS: u32 = 400;
const WORDS: usize = TRACKED_DAYS.div_ceil(64) as usize;

/// Days of use. Bit `i` stands for the day `newest - i`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ActiveDays {
    newest: Option<DayNumber>,
    bits: [u64; WORDS],
    /// Days of use older than the bitmap.
    older_days: u32,
}

impl ActiveDays {
    /// Restores days from their stored parts; `None` when they do not fit together.
    pub fn from_parts(newest: Option<DayNumber>, bits: [u64; WORDS], older_days: u32) -> Option<Self> {
        let last_word_mask = (1u64 << (TRACKED_DAYS % 64)) - 1;
        let in_range = bits.last().is_none_or(|last| last & !last_word_mask == 0);
        let consistent = newest.is_some() || (bits == [0; WORDS] && older_days == 0);
        (in_range && consistent && (newest.is_none() || bits[0] & 1 == 1)).then_some(ActiveDays {
            newest,
            bits,
            older_days,
        })
    }

    pub fn newest(&self) -> Option<DayNumber> {
        self.newest
    }

    pub fn bits(&self) -> &[u64; WORDS] {
        &self.bits
    }

    pub fn older_days(&self) -> u32 {
        self.older_days
    }

    /// Marks `day` as a day of use.
    pub fn record(&mut self, day: DayNumber) {
        let Some(newest) = self.newest else {
            self.newest = Some(day);
            self.bits[0] = 1;
            return;
        };
        let age = newest.days_since(day);
        if age >= 0 {
            match u32::try_from(age) {
                Ok(age) if age < TRACKED_DAYS => self.set(age),
                // Beyond the bitmap: only the total can take it.
                _ => self.older_days = self.older_days.saturating_add(1),
            }
            return;
        }
        let shift = u32::try_from(-age).unwrap_or(u32::MAX);
        self.shift_older(shift);
        self.newest = Some(day);
        self.set(0);
    }

    fn set(&mut self, age: u32) {
        if let Some(word) = self.bits.get_mut((age / 64) as usize) {
            *word |= 1 << (age % 64);
        }
    }

    /// Moves every day `shift` places older, folding those that leave the bitmap into the count.
    fn shift_older(&mut self, shift: u32) {
        if shift >= TRACKED_DAYS {
            self.older_days = self.older_days.saturating_add(self.tracked_count());
            self.bits = [0; WORDS];
            return;
        }
        let leaving = self.count_ages(TRACKED_DAYS - shift, TRACKED_DAYS);
        self.older_days = self.older_days.saturating_add(leaving);
        let (word_shift, bit_shift) = ((shift / 64) as usize, shift % 64);
        let mut shifted = [0u64; WORDS];
        for (index, slot) in shifted.iter_mut().enumerate() {
            let Some(source) = index.checked_sub(word_shift) else { continue };
            let mut value = self.bits[source] << bit_shift;
            if bit_shift > 0 && source > 0 {
                value |= self.bits[source - 1] >> (64 - bit_shift);
            }
            *slot = value;
        }
        if let Some(last) = shifted.last_mut() {
            *last &= (1u64 << (TRACKED_DAYS % 64)) - 1;
        }
        self.bits = shifted;
    }

    /// Days of use with an age (days before the newest) in `from..to`.
    fn count_ages(&self, from: u32, to: u32) -> u32 {
        count_bits(&self.bits, from, to)
    }

    /// The days of use as seen from `today`: bit `i` of the mask is the day `today - i`.
    pub fn as_of(&self, today: DayNumber) -> DayMask {
        let Some(newest) = self.newest else { return DayMask::default() };
        let age = today.days_since(newest);
        let mut aligned = self.clone();
        if age > 0 {
            aligned.shift_older(u32::try_from(age).unwrap_or(u32::MAX));
        } else if age < 0 {
            // Days after `today` (a clock that went back) are left out.
            let skip = u32::try_from(-age).unwrap_or(u32::MAX).min(TRACKED_DAYS);
            let mut bits = [0u64; WORDS];
            for target in 0..TRACKED_DAYS - skip {
                let source = target + skip;
                if self.bits[(source / 64) as usize] & (1 << (source % 64)) != 0 {
                    bits[(target / 64) as usize] |= 1 << (target % 64);
                }
            }
            aligned.bits = bits;
        }
        DayMask(aligned.bits)
    }

    /// The days of use among the 64 days up to `day`, bit `i` the day `day - i`: the first word
    /// of `as_of(day)`, without its copy of the bitmap.
    pub fn last_64_days(&self, day: DayNumber) -> u64 {
        let Some(newest) = self.newest else { return 0 };
        // The age of `day` in the bitmap: negative when it is after the newest day.
        let age = newest.days_since(day);
        if age < 0 {
            return u32::try_from(-age).ok().and_then(|shift| self.bits[0].checked_shl(shift)).unwrap_or(0);
        }
        let Some(from) = u32::try_from(age).ok().filter(|age| *age < TRACKED_DAYS) else { return 0 };
        let (index, shift) = ((from / 64) as usize, from % 64);
        let low = self.bits.get(index).map_or(0, |word| word >> shift);
        let high = match self.bits.get(index + 1) {
            Some(word) if shift > 0 => word << (64 - shift),
            _ => 0,
        };
        low | high
    }

    /// The newest day of use up to `day` within the bitmap: `until(day).newest()`, without the
    /// copy.
    pub fn newest_until(&self, day: DayNumber) -> Option<DayNumber> {
        let newest = self.newest?;
        let age = newest.days_since(day);
        if age <= 0 {
            return Some(newest);
        }
        let from = u32::try_from(age).ok().filter(|age| *age < TRACKED_DAYS)?;
        let mut index = (from / 64) as usize;
        let mut word = self.bits.get(index)? & (u64::MAX << (from % 64));
        while word == 0 {
            index += 1;
            word = *self.bits.get(index)?;
        }
        let found = index as u32 * 64 + word.trailing_zeros();
        Some(DayNumber(newest.0.wrapping_sub(found as i32)))
    }

    /// The days of use up to `day`: those after it left out (the newest day becomes the last
    /// day of use up to `day`). Older days than the bitmap keep their count.
    pub fn until(&self, day: DayNumber) -> ActiveDays {
        match self.newest {
            Some(newest) if newest > day => {}
            _ => return self.clone(),
        }
        let DayMask(bits) = self.as_of(day);
        let Some(age) = bits
            .iter()
            .enumerate()
            .find(|(_, word)| **word != 0)
            .map(|(index, word)| index as u32 * 64 + word.trailing_zeros())
        else {
            return ActiveDays { newest: None, bits: [0; WORDS], older_days: self.older_days };
        };
        let (word_shift, bit_shift) = ((age / 64) as usize, age % 64);
        let mut shifted = [0u64; WORDS];
        for (index, slot) in shifted.iter_mut().enumerate() {
            let Some(&low) = bits.get(index + word_shift) else { continue };
            let mut value = low >> bit_shift;
            if bit_shift > 0
                && let Some(&high) = bits.get(index + word_shift + 1)
            {
                value |= high << (64 - bit_shift);
            }
            *slot = value;
        }
        ActiveDays { newest: Some(DayNumber(day.0 - age as i32)), bits: shifted, older_days: self.older_days }
    }

    fn tracked_count(&self) -> u32 {
        self.bits.iter().map(|word| word.count_ones()).sum()
    }

    /// Every day of use ever recorded.
    pub fn total(&self) -> u32 {
        self.tracked_count().saturating_add(self.older_days)
    }

    /// Whether `day` was a day of use; days older than the bitmap are not known one by one.
    pub fn contains(&self, day: DayNumber) -> bool {
        let Some(newest) = self.newest else { return false };
        match u32::try_from(newest.days_since(day)) {
            Ok(age) if age < TRACKED_DAYS => self.bits[(age / 64) as usize] & (1 << (age % 64)) != 0,
            _ => false,
        }
    }

    /// Adds the days of another record of the same user's use (another tab's, another
    /// device's): the bitmap then ends at the newer of the two newest days, and the days older
    /// than it count as the larger of the two counts. Days of the older record that fall out of
    /// the bitmap are not counted again: most often the two records share them. A semilattice,
    /// so records merge in any order, and more than once.
    pub fn merge(&mut self, other: &ActiveDays) {
        let newest = match (self.newest, other.newest) {
            (_, None) => return,
            (None, Some(_)) => {
                *self = other.clone();
                return;
            }
            (Some(ours), Some(theirs)) => ours.max(theirs),
        };
        let DayMask(mut bits) = self.as_of(newest);
        let DayMask(theirs) = other.as_of(newest);
        for (word, theirs) in bits.iter_mut().zip(theirs) {
            *word |= theirs;
        }
        self.bits = bits;
        self.newest = Some(newest);
        self.older_days = self.older_days.max(other.older_days);
    }

    /// Days of use from `first` to `last`, both included, within the last 400 days.
    pub fn count_between(&self, first: DayNumber, last: DayNumber) -> u32 {
        let Some(newest) = self.newest else { return 0 };
        let youngest_age = newest.days_since(last).max(0);
        let oldest_age = newest.days_since(first);
        if oldest_age < youngest_age {
            return 0;
        }
        let from = u32::try_from(youngest_age).unwrap_or(u32::MAX);
        let to = u32::try_from(oldest_age.saturating_add(1)).unwrap_or(u32::MAX);
        self.count_ages(from, to)
    }
}

/// Bits set in `from..to` of a 400-bit map.
fn count_bits(bits: &[u64; WORDS], from: u32, to: u32) -> u32 {
    let to = to.min(TRACKED_DAYS);
    let mut count = 0;
    let mut age = from;
    while age < to {
        let word_start = age - age % 64;
        let end = to.min(word_start + 64);
        let width = end - age;
        let mask = if width == 64 { u64::MAX } else { ((1u64 << width) - 1) << (age % 64) };
        count += (bits[(age / 64) as usize] & mask).count_ones();
        age = end;
    }
    count
}

/// Days of use relative to one day: bit `i` is that day minus `i`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DayMask([u64; WORDS]);

impl DayMask {
    /// Adds the days of `other`.
    pub fn union(&mut self, other: &DayMask) {
        for (word, other) in self.0.iter_mut().zip(other.0) {
            *word |= other;
        }
    }

    /// Days of use `from` to `to` days ago, `to` excluded.
    pub fn count(&self, from: u32, to: u32) -> u32 {
        count_bits(&self.0, from, to)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    #[test]
    fn records_days_in_any_order() {
        let mut days = ActiveDays::default();
        for day in [10, 12, 11, 12, 3] {
            days.record(DayNumber(day));
        }
        assert_eq!(days.newest(), Some(DayNumber(12)));
        assert_eq!(days.total(), 4);
        assert!(days.contains(DayNumber(3)) && days.contains(DayNumber(11)));
        assert!(!days.contains(DayNumber(4)) && !days.contains(DayNumber(13)));
        assert_eq!(days.count_between(DayNumber(4), DayNumber(12)), 3);
        assert_eq!(days.count_between(DayNumber(11), DayNumber(100)), 2);
        assert_eq!(days.count_between(DayNumber(13), DayNumber(100)), 0);
    }

    #[test]
    fn days_older_than_400_are_folded_into_the_total() {
        let mut days = ActiveDays::default();
        days.record(DayNumber(0));
        days.record(DayNumber(1));
        days.record(DayNumber(400));
        assert_eq!(days.older_days(), 1, "day 0 left the bitmap");
        assert!(!days.contains(DayNumber(0)));
        assert!(days.contains(DayNumber(1)));
        assert_eq!(days.total(), 3);
        days.record(DayNumber(2000));
        assert_eq!((days.older_days(), days.total()), (3, 4));
        days.record(DayNumber(1000));
        assert_eq!((days.older_days(), days.total()), (4, 5), "a late record older than the bitmap still counts");
    }

    #[test]
    fn stored_parts_are_checked() {
        let mut days = ActiveDays::default();
        days.record(DayNumber(5));
        days.record(DayNumber(1));
        let restored = ActiveDays::from_parts(days.newest(), *days.bits(), days.older_days());
        assert_eq!(restored, Some(days));
        assert_eq!(ActiveDays::from_parts(None, [1, 0, 0, 0, 0, 0, 0], 0), None);
        assert_eq!(ActiveDays::from_parts(Some(DayNumber(1)), [1, 0, 0, 0, 0, 0, u64::MAX], 0), None);
        assert_eq!(ActiveDays::from_parts(Some(DayNumber(1)), [2, 0, 0, 0, 0, 0, 0], 0), None);
    }

    #[test]
    fn masks_are_aligned_to_a_day() {
        let mut days = ActiveDays::default();
        for day in [100, 97, 90] {
            days.record(DayNumber(day));
        }
        let mask = days.as_of(DayNumber(103));
        assert_eq!(mask.count(0, 3), 0);
        assert_eq!(mask.count(3, 4), 1, "day 100 is 3 days before 103");
        assert_eq!(mask.count(0, 14), 3);
        let earlier = days.as_of(DayNumber(98));
        assert_eq!(earlier.count(0, 400), 2, "day 100 is after day 98");
        let mut union = mask;
        let mut other = ActiveDays::default();
        other.record(DayNumber(103));
        union.union(&other.as_of(DayNumber(103)));
        assert_eq!(union.count(0, 1), 1);
        assert_eq!(union.count(0, 400), 4);
    }

    #[test]
    fn records_merge_into_the_union_of_their_days() {
        let mut laptop = ActiveDays::default();
        let mut phone = ActiveDays::default();
        for day in [10, 12] {
            laptop.record(DayNumber(day));
        }
        for day in [11, 12, 20] {
            phone.record(DayNumber(day));
        }
        let mut merged = laptop.clone();
        merged.merge(&phone);
        assert_eq!(merged.newest(), Some(DayNumber(20)));
        assert_eq!(merged.total(), 4);
        assert!([10, 11, 12, 20].iter().all(|day| merged.contains(DayNumber(*day))));
        let mut again = merged.clone();
        again.merge(&laptop);
        assert_eq!(again, merged, "merging what is already there changes nothing");
        let mut other_way = phone.clone();
        other_way.merge(&laptop);
        assert_eq!(other_way, merged);
    }

    proptest! {
        #[test]
        fn agrees_with_a_set_of_days(records in proptest::collection::vec(0i32..1500, 1..200)) {
            let mut days = ActiveDays::default();
            let mut set = BTreeSet::new();
            for &day in &records {
                days.record(DayNumber(day));
                set.insert(day);
            }
            let newest = *set.iter().next_back().unwrap();
            prop_assert_eq!(days.newest(), Some(DayNumber(newest)));
            for day in (newest - 399)..=newest {
                prop_assert_eq!(days.contains(DayNumber(day)), set.contains(&day), "day {}", day);
            }
            // Days older than the bitmap are counted once each, unless recorded after they left it.
            let tracked = set.range((newest - 399)..).count() as u32;
            prop_assert_eq!(days.total() - days.older_days(), tracked);
            prop_assert!(days.total() >= set.len() as u32);
            let start = newest - 27;
            prop_assert_eq!(days.count_between(DayNumber(start), DayNumber(newest)), set.range(start..).count() as u32);
        }
    }

    proptest! {
        #[test]
        fn reads_in_place_what_as_of_and_until_give(records in prop::collection::vec(0..900i32, 0..300)) {
            let mut days = ActiveDays::default();
            for record in &records {
                days.record(DayNumber(*record));
            }
            for day in (-80..1000).map(DayNumber) {
                let DayMask(mask) = days.as_of(day);
                prop_assert_eq!(days.last_64_days(day), mask[0], "day {}", day.0);
                prop_assert_eq!(days.newest_until(day), days.until(day).newest(), "day {}", day.0);
            }
        }
    }

    proptest! {
        #[test]
        fn until_keeps_exactly_the_days_up_to_a_day(days in prop::collection::btree_set(0..399i32, 0..40), cut in 0..420i32) {
            let mut recorded = ActiveDays::default();
            for day in &days {
                recorded.record(DayNumber(*day));
            }
            let kept = recorded.until(DayNumber(cut));
            let mut expected = ActiveDays::default();
            for day in days.iter().filter(|day| **day <= cut) {
                expected.record(DayNumber(*day));
            }
            prop_assert_eq!(kept, expected);
        }
    }
}
