//! Activity over time: for each day (or rolling week) of a range, the daily, weekly and monthly
//! active users, DAU/MAU, the users at each adoption level, and the lifecycle of users as
//! PostHog's lifecycle insight counts it (new, returning, resurrecting, dormant).

use super::users::{LAST_30_DAYS, UserFigures};
use crate::time::DayNumber;

/// The length of one point of the range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Period {
    Day,
    /// Rolling weeks ending on the range's last day.
    Week,
}

impl Period {
    pub fn days(self) -> u32 {
        match self {
            Period::Day => 1,
            Period::Week => 7,
        }
    }
}

/// Users by their activity in a period against the period before.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Lifecycle {
    /// First active ever in the period.
    pub new: u32,
    /// Active in the period and in the one before.
    pub returning: u32,
    /// Active in the period, not in the one before, active at some earlier time.
    pub resurrecting: u32,
    /// Active in the one before, not in the period.
    pub dormant: u32,
}

/// One point of the range.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ActivityPoint {
    /// The period's last day.
    pub day: DayNumber,
    /// Daily active users: of the day, or the mean over the week's days.
    pub dau: f64,
    /// Users active in the 7 days ending on `day`.
    pub wau: u32,
    /// Users active in the 30 days ending on `day`.
    pub mau: u32,
    /// The mean over those 30 days of daily active users, over `mau`; `None` when `mau` is 0.
    pub dau_mau: Option<f64>,
    /// Users seen by `day` at each adoption level, 0 to 5.
    pub levels: [u32; 6],
    pub lifecycle: Lifecycle,
}

/// One user's activity over a range: their figures as of its last day, and their level at each
/// point (oldest first).
pub struct UserActivity<'a> {
    pub figures: &'a UserFigures,
    pub levels: &'a [u32],
}

/// The last day of each of `points` periods ending on `to`, oldest first.
pub fn point_days(to: DayNumber, points: u32, period: Period) -> Vec<DayNumber> {
    let length = period.days() as i32;
    (0..points as i32).rev().map(|back| DayNumber(to.0 - back * length)).collect()
}

/// The activity of `users` at each point of `point_days(to, points, period)`.
pub fn activity<'a>(
    users: impl IntoIterator<Item = UserActivity<'a>>,
    to: DayNumber,
    points: u32,
    period: Period,
) -> Vec<ActivityPoint> {
    let mut tally = ActivityTally::new(to, points, period);
    for user in users {
        tally.add(&user);
    }
    tally.finish()
}

/// The counts behind `activity`, taken in one user at a time; tallies of different users add
/// up (`merge`), so that parts of a population can be counted apart, on several threads.
#[derive(Clone, Debug)]
pub struct ActivityTally {
    to: DayNumber,
    period: Period,
    points: Vec<ActivityPoint>,
    /// Per point: the days of activity of every user in the period, and in the 30 days ending
    /// on its day.
    daily_sums: Vec<(u32, u32)>,
}

impl ActivityTally {
    pub fn new(to: DayNumber, points: u32, period: Period) -> ActivityTally {
        let points: Vec<ActivityPoint> = point_days(to, points, period)
            .into_iter()
            .map(|day| ActivityPoint {
                day,
                dau: 0.0,
                wau: 0,
                mau: 0,
                dau_mau: None,
                levels: [0; 6],
                lifecycle: Lifecycle::default(),
            })
            .collect();
        let daily_sums = vec![(0, 0); points.len()];
        ActivityTally { to, period, points, daily_sums }
    }

    /// Counts one user at every point.
    pub fn add(&mut self, user: &UserActivity<'_>) {
        let figures = user.figures;
        let length = self.period.days();
        for (index, point) in self.points.iter_mut().enumerate() {
            let day = point.day;
            if figures.first_seen.is_none_or(|seen| seen > day) {
                continue;
            }
            let age = self.to.days_since(day) as u32;
            let mask = &figures.active;
            let in_period = mask.count(age, age + length);
            let in_month = mask.count(age, age + LAST_30_DAYS);
            let (period_sum, month_sum) = &mut self.daily_sums[index];
            *period_sum += in_period;
            *month_sum += in_month;
            point.wau += u32::from(mask.count(age, age + 7) > 0);
            point.mau += u32::from(in_month > 0);
            let level = user.levels.get(index).copied().unwrap_or(0).min(5) as usize;
            point.levels[level] += 1;
            let now = in_period > 0;
            let before = mask.count(age + length, age + 2 * length) > 0;
            let period_start = DayNumber(day.0 - length as i32 + 1);
            let previous_start = DayNumber(period_start.0 - length as i32);
            let lifecycle = &mut point.lifecycle;
            match (now, before) {
                (true, _) if figures.first_active.is_some_and(|first| first >= period_start) => lifecycle.new += 1,
                (true, true) => lifecycle.returning += 1,
                (true, false) if figures.first_active.is_some_and(|first| first < previous_start) => {
                    lifecycle.resurrecting += 1
                }
                (false, true) => lifecycle.dormant += 1,
                _ => {}
            }
        }
    }

    /// Adds the users counted by `other`, a tally of the same range.
    pub fn merge(&mut self, other: &ActivityTally) {
        for (point, other) in self.points.iter_mut().zip(&other.points) {
            point.wau += other.wau;
            point.mau += other.mau;
            for (count, other) in point.levels.iter_mut().zip(other.levels) {
                *count += other;
            }
            let (lifecycle, other) = (&mut point.lifecycle, other.lifecycle);
            lifecycle.new += other.new;
            lifecycle.returning += other.returning;
            lifecycle.resurrecting += other.resurrecting;
            lifecycle.dormant += other.dormant;
        }
        for (sums, other) in self.daily_sums.iter_mut().zip(&other.daily_sums) {
            sums.0 += other.0;
            sums.1 += other.1;
        }
    }

    /// The points, oldest first.
    pub fn finish(mut self) -> Vec<ActivityPoint> {
        let length = self.period.days();
        for (point, (period_sum, month_sum)) in self.points.iter_mut().zip(self.daily_sums) {
            point.dau = f64::from(period_sum) / f64::from(length);
            point.dau_mau =
                (point.mau > 0).then(|| f64::from(month_sum) / f64::from(LAST_30_DAYS) / f64::from(point.mau));
        }
        self.points
    }
}
