//! One user's figures as of a day: the device's `UserMetrics` (level, recency, depth) from the
//! same function, each catalog feature's frequency class and barrier, the days of activity the
//! account and activity figures count, and time to first value. Their level on each day of a
//! range (`user_levels`) is the same level, read for all the days at once.

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::record::UserRecord;
use crate::config::Barrier;
use crate::merge::earlier;
use crate::model::{self, FrequencyClass, ModelFeature, UserMetrics};
use crate::program::Program;
use crate::time::{DayNumber, DayOffset, Timestamp};
use crate::usage::{ActiveDays, DayMask, FeatureUsage};

/// One catalog feature, for one user.
#[derive(Clone, Debug, PartialEq)]
pub struct FeatureStanding {
    pub frequency: FrequencyClass,
    pub barrier: Barrier,
    /// Used in the last 30 days (the adoption rate's numerator).
    pub used_last_30_days: bool,
    pub applicable: bool,
    pub count: u64,
}

/// Where one user stands as of a day.
#[derive(Clone, Debug, PartialEq)]
pub struct UserFigures {
    pub metrics: UserMetrics,
    /// Days of activity (use of any catalog feature), bit `i` the day `as_of - i`.
    pub active: DayMask,
    /// The last day of activity up to `as_of`.
    pub last_active: Option<DayNumber>,
    /// The first day of activity ever (up to `as_of`).
    pub first_active: Option<DayNumber>,
    /// The first day the user was seen (any event).
    pub first_seen: Option<DayNumber>,
    /// The first day an activation feature (any catalog feature if none is marked) was used.
    pub first_value: Option<DayNumber>,
    /// The day the user signed up: the sign-up trait, else the first day seen.
    pub signed_up: Option<DayNumber>,
    /// Catalog features in catalog order.
    pub features: Vec<FeatureStanding>,
}

impl UserFigures {
    /// Days from sign-up to first value; `None` while not reached.
    pub fn time_to_first_value(&self) -> Option<i64> {
        Some(self.first_value?.days_since(self.signed_up?))
    }

    /// Active on at least one of the last `days` days.
    pub fn active_within(&self, days: u32) -> bool {
        self.active.count(0, days) > 0
    }
}

/// Days in the windows of the adoption rate and of breadth.
pub(super) const LAST_30_DAYS: u32 = 30;

/// The user's figures as of `as_of` (a day of the config's calendar); `account_traits` are their
/// account's, for the features that apply to them.
pub fn user_figures(
    program: &Program,
    record: &UserRecord,
    account_traits: &Map<String, Value>,
    as_of: DayNumber,
) -> UserFigures {
    let config = program.config();
    let offset = config.settings.day_offset();
    let settings = &config.settings.model;
    let empty = FeatureUsage::default();
    let usages: Vec<Cow<'_, FeatureUsage>> = config
        .features
        .iter()
        .map(|feature| record.state.features.get(&feature.id).unwrap_or(&empty).as_of(as_of, offset))
        .collect();
    let applicable: Vec<bool> =
        config.features.iter().map(|feature| model::applies_to(feature, &record.traits, account_traits)).collect();
    let marked = config.features.iter().any(|feature| feature.activation);
    let model_features = config.features.iter().zip(&usages).zip(&applicable).map(|((feature, usage), applicable)| {
        ModelFeature { usage, applicable: *applicable, activation: feature.activation }
    });
    let metrics = model::user_metrics(model_features, as_of, settings, offset);
    let mut active = DayMask::default();
    let mut first_active = None;
    let mut first_value = None;
    let mut features = Vec::with_capacity(usages.len());
    for ((feature, usage), applicable) in config.features.iter().zip(&usages).zip(&applicable) {
        let mask = usage.days.as_of(as_of);
        active.union(&mask);
        let first_day = usage.first_used.map(|first| first.day(offset));
        first_active = earlier(first_active, first_day);
        if feature.activation || !marked {
            first_value = earlier(first_value, first_day);
        }
        features.push(FeatureStanding {
            frequency: model::frequency_class(usage, as_of, settings),
            barrier: model::barrier(usage, as_of, settings, offset),
            used_last_30_days: mask.count(0, LAST_30_DAYS) > 0,
            applicable: *applicable,
            count: usage.count,
        });
    }
    let last_active = (0..crate::usage::TRACKED_DAYS)
        .find(|age| active.count(*age, age + 1) == 1)
        .map(|age| DayNumber(as_of.0 - age as i32))
        .or_else(|| usages.iter().filter_map(|usage| usage.last_used).max().map(|last| last.day(offset)));
    let first_seen = record.first_seen.map(|seen| seen.day(offset)).filter(|day| *day <= as_of);
    let signed_up = model::signed_up_at(&record.traits).map(|at| at.day(offset)).or(first_seen);
    UserFigures { metrics, active, last_active, first_active, first_seen, first_value, signed_up, features }
}

/// The user's adoption level on each of `days` (0 on a day before they were first seen, when
/// they are not counted): the level of `user_figures` on that day, for activity over a range.
/// Rather than cut each record to each day (`FeatureUsage::as_of`) and compute the model's
/// metrics from the cut records, each record is read in place once for up to 512 days at a time,
/// into day-by-day bits: on which of them it is used and last used within the depth window as
/// the cut record would be, and its days of use. The steps are `model::user_metrics`'s.
pub fn user_levels(
    program: &Program,
    record: &UserRecord,
    account_traits: &Map<String, Value>,
    days: &[DayNumber],
) -> Vec<u32> {
    let config = program.config();
    let offset = config.settings.day_offset();
    let settings = &config.settings.model;
    let activation_marked = config.features.iter().any(|feature| feature.activation);
    let mut applicable = 0u32;
    let mut readings = Vec::with_capacity(config.features.len());
    for feature in &config.features {
        // A feature without roles or plans applies to all, without reading the traits.
        let applies = (feature.roles.is_empty() && feature.plans.is_empty())
            || model::applies_to(feature, &record.traits, account_traits);
        applicable += u32::from(applies);
        // Step 1 asks for an activation feature, or any feature when none is marked.
        let adopts = feature.activation || !activation_marked;
        if let Some(cut) = record.state.features.get(&feature.id).and_then(|usage| Cut::new(usage, offset)) {
            readings.push(Reading { cut, applies, adopts });
        }
    }
    let first_seen = record.first_seen.map(|seen| seen.day(offset));
    let mut levels = Vec::with_capacity(days.len());
    let mut rest = days;
    while let Some(group) = Group::take(&mut rest) {
        let bits = group.read(&readings, settings.depth_window_days);
        levels.extend(group.days.iter().map(|&day| {
            if first_seen.is_none_or(|seen| seen > day) {
                return 0;
            }
            let age = group.age(day);
            let step_1 = bit(&bits.adopted, age);
            // Bit `i` the day `i` days before; weeks 0 to 3, week k the days `7k` to `7k + 6` ago.
            let active = bits_from(&bits.plain_days, age)
                | bits
                    .other_days
                    .iter()
                    .filter(|(_, used)| bit(used, age))
                    .fold(0, |active, (days, _)| active | days.last_64_days(day));
            let week = |week: u32| (active >> (week * 7) & 0x7f).count_ones();
            let deep = bits.in_window.iter().filter(|in_window| bit(&in_window[..], age)).count() as u32;
            let depth = if applicable == 0 { 0.0 } else { f64::from(deep) / f64::from(applicable) };
            let steps = [
                step_1,
                (0..4).filter(|number| week(*number) > 0).count() as u32 >= settings.regular_min_weeks,
                (0..3).all(|number| week(number) >= settings.habit_min_days_per_week),
                depth >= settings.advanced_depth,
                depth >= settings.power_depth,
            ];
            steps.iter().take_while(|holds| **holds).count() as u32
        }));
    }
    levels
}

/// A catalog feature's record, with whether it applies to the user and counts for step 1.
struct Reading<'a> {
    cut: Cut<'a>,
    applies: bool,
    adopts: bool,
}

/// One catalog feature's record as `FeatureUsage::as_of` cuts it to a day, read in place. Days
/// are of the config's calendar, as `i64` for the comparisons. `as_of` tests, in this order:
/// - a day from `whole_from` on (no last use or entry point after it): the whole record, used
///   if counted, last used on `last`;
/// - a day before `first` (or no first use): no uses, not used, no last use;
/// - a day from `last` on: the whole record (the entry point seen after the day left out), as
///   above;
/// - else (first used on the day or before, last used after it): the uses up to the day, used,
///   last used on the last day of use up to the day within the 400 days tracked, else on
///   `first`.
///
/// Whichever the case, a record used as of a day has the whole record's days of use up to it.
struct Cut<'a> {
    days: &'a ActiveDays,
    whole_from: i64,
    /// `i64::MAX` when there is no first use.
    first: i64,
    /// `i64::MIN` when there is no last use.
    last: i64,
    /// The whole record counts as used.
    used: bool,
    /// Used as of every day from a first one on, with no day of use before that day: on a day it
    /// is not used on, it has no days of use up to it either, so its days of use can count on
    /// every day, used or not.
    plain: bool,
}

impl<'a> Cut<'a> {
    /// `None` for a record never used as of any day: no uses counted, no first or last use.
    fn new(usage: &'a FeatureUsage, offset: DayOffset) -> Option<Self> {
        let day = |at: Option<Timestamp>| at.map(|at| i64::from(at.day(offset).0));
        let (first, last, entry_seen) = (day(usage.first_used), day(usage.last_used), day(usage.entry_seen_at));
        if usage.count == 0 && first.is_none() && last.is_none() {
            return None;
        }
        let whole_from = last.unwrap_or(i64::MIN).max(entry_seen.unwrap_or(i64::MIN));
        let first = first.unwrap_or(i64::MAX);
        // Counted, the record is used from the first day it is whole or from its first use.
        let used = usage.count > 0;
        let used_from = whole_from.min(first);
        let plain =
            used && day_number(used_from.saturating_sub(1)).is_none_or(|day| usage.days.newest_until(day).is_none());
        Some(Cut { days: &usage.days, whole_from, first, last: last.unwrap_or(i64::MIN), used, plain })
    }
}

/// The most days of a group: 8 words of bits.
const GROUP_WORDS: usize = 8;

/// Bits of the days of a group, and of the 64 days before it: bit `i` of word `w` the day
/// `64w + i` days before the group's last day.
type Bits = [u64; GROUP_WORDS + 1];

/// Days of `user_levels` read together, within `64 * words` days ending on `last`.
struct Group<'d> {
    days: &'d [DayNumber],
    last: i64,
    words: usize,
}

/// What a group of days reads of the records.
struct GroupBits<'a> {
    /// Days with a feature used that counts for step 1.
    adopted: Bits,
    /// Days of use of the plain records (`Cut::plain`).
    plain_days: Bits,
    /// The other records, with the days on which they are used.
    other_days: Vec<(&'a ActiveDays, Bits)>,
    /// Per applicable feature: days on which it was last used within the depth window.
    in_window: Vec<Bits>,
}

impl<'d> Group<'d> {
    /// The first days of `rest` that fit in a group, taken from it.
    fn take(rest: &mut &'d [DayNumber]) -> Option<Self> {
        let first = i64::from(rest.first()?.0);
        let (mut low, mut high) = (first, first);
        let fit = rest
            .iter()
            .take_while(|day| {
                let day = i64::from(day.0);
                let (new_low, new_high) = (low.min(day), high.max(day));
                let fits = new_high - new_low < (64 * GROUP_WORDS) as i64;
                if fits {
                    (low, high) = (new_low, new_high);
                }
                fits
            })
            .count();
        let (days, after) = rest.split_at(fit);
        *rest = after;
        Some(Group { days, last: high, words: ((high - low) / 64 + 1) as usize })
    }

    /// Days before the group's last day: the bit of `day` in `Bits`.
    fn age(&self, day: DayNumber) -> usize {
        (self.last - i64::from(day.0)) as usize
    }

    /// Bits of the days on or after `day`, in word `word`.
    fn since(&self, day: i64, word: usize) -> u64 {
        let newest = self.last - 64 * word as i64;
        match newest.saturating_sub(day) {
            days if days < 0 => 0,
            days if days >= 63 => u64::MAX,
            days => (2 << days) - 1,
        }
    }

    fn read<'a>(&self, readings: &[Reading<'a>], window: u32) -> GroupBits<'a> {
        let mut bits = GroupBits {
            adopted: [0; GROUP_WORDS + 1],
            plain_days: [0; GROUP_WORDS + 1],
            other_days: Vec::new(),
            in_window: Vec::with_capacity(readings.len()),
        };
        let window_days = i64::from(window);
        for Reading { cut, applies, adopts } in readings {
            // Days of use of the group and of the 64 days before it.
            let mut tracked: Bits = [0; GROUP_WORDS + 1];
            for (word, slot) in tracked.iter_mut().enumerate().take(self.words + 1) {
                *slot = day_number(self.last - 64 * word as i64).map_or(0, |day| cut.days.last_64_days(day));
            }
            let span = &tracked[..self.words];
            // Within the group: days with a day of use in the depth window ending on them, and
            // those before the first day of use.
            let recent = within(span, window);
            let oldest = (0..self.words)
                .rev()
                .find(|word| span[*word] != 0)
                .map_or(i64::MAX, |word| self.last - (64 * word as i64 + 63 - i64::from(span[word].leading_zeros())));
            // The last use before the group, as a record cut before its last use has it.
            let before = day_number(self.last - 64 * self.words as i64)
                .and_then(|day| cut.days.newest_until(day))
                .map_or(cut.first, |day| i64::from(day.0));
            let mut used: Bits = [0; GROUP_WORDS + 1];
            let mut in_window: Bits = [0; GROUP_WORDS + 1];
            for word in 0..self.words {
                let since = |day: i64| self.since(day, word);
                let whole = since(cut.whole_from) | (since(cut.first) & since(cut.last));
                let up_to_day = !since(cut.whole_from) & since(cut.first) & !since(cut.last);
                used[word] = if cut.used { whole | up_to_day } else { up_to_day };
                let last_in_window = !since(cut.last.saturating_add(window_days));
                let before_in_window = !since(oldest) & !since(before.saturating_add(window_days));
                in_window[word] = (whole & last_in_window) | (up_to_day & (recent[word] | before_in_window));
            }
            if *adopts {
                for (adopted, used) in bits.adopted.iter_mut().zip(used) {
                    *adopted |= used;
                }
            }
            if cut.plain {
                for (days, tracked) in bits.plain_days.iter_mut().zip(tracked) {
                    *days |= tracked;
                }
            } else {
                bits.other_days.push((cut.days, used));
            }
            if *applies {
                bits.in_window.push(in_window);
            }
        }
        bits
    }
}

/// Bit `i` of `words`: whether any of bits `i` to `i + width - 1` within `words` is set.
fn within(words: &[u64], width: u32) -> Bits {
    let mut covered: Bits = [0; GROUP_WORDS + 1];
    if width == 0 {
        return covered;
    }
    covered[..words.len()].copy_from_slice(words);
    let width = width.min(64 * words.len() as u32);
    let mut done = 1;
    while done < width {
        let step = done.min(width - done) as usize;
        for word in 0..words.len() {
            covered[word] |= bits_from(&covered[..words.len()], 64 * word + step);
        }
        done += step as u32;
    }
    covered
}

/// The 64 bits of `words` from bit `from` on, 0 beyond them.
fn bits_from(words: &[u64], from: usize) -> u64 {
    let (word, shift) = (from / 64, from % 64);
    let low = words.get(word).map_or(0, |low| low >> shift);
    match words.get(word + 1) {
        Some(high) if shift > 0 => low | high << (64 - shift),
        _ => low,
    }
}

fn bit(words: &[u64], index: usize) -> bool {
    words.get(index / 64).is_some_and(|word| word >> (index % 64) & 1 == 1)
}

fn day_number(day: i64) -> Option<DayNumber> {
    i32::try_from(day).ok().map(DayNumber)
}
