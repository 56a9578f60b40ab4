//! Per account (the `group` id), as of a day: breadth, DAU/MAU, the active-user trend, the
//! health score, time to first value, and the flags that put an account at risk.

use serde_json::{Map, Value};

use super::users::{LAST_30_DAYS, UserFigures};
use crate::merge::earlier;
use crate::model;
use crate::time::{DayNumber, DayOffset};

/// DAU/MAU from which an account counts as sticky: the health score's full marks.
const STICKY_DAU_MAU: f64 = 0.4;
/// DAU/MAU under which an account is at risk.
const AT_RISK_DAU_MAU: f64 = 0.2;
/// An active-user trend under which an account is at risk: a drop beyond 20%.
const AT_RISK_TREND: f64 = -0.2;

/// Why an account is at risk; all false for a healthy one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AccountRisk {
    /// DAU/MAU under 0.2.
    pub low_stickiness: bool,
    /// Active users down more than 20% on the 30 days before.
    pub falling: bool,
    /// No user active in the last 30 days.
    pub no_active_users: bool,
}

impl AccountRisk {
    pub fn any(self) -> bool {
        self.low_stickiness || self.falling || self.no_active_users
    }
}

/// One account's figures.
#[derive(Clone, Debug, PartialEq)]
pub struct AccountFigures {
    /// Users of the account seen up to the day.
    pub users_seen: u32,
    /// The account's `seats` trait, when it is a positive whole number.
    pub seats: Option<u32>,
    /// Users active in the last 30 days, and in the 30 days before them.
    pub active_users: u32,
    pub active_users_before: u32,
    /// Active users over seats (else users seen).
    pub breadth: f64,
    /// The mean over the last 30 days of daily active users, over active users; `None` without
    /// active users.
    pub dau_mau: Option<f64>,
    /// (active users - those of the 30 days before) / the latter; `None` when there were none
    /// before (a rise from nothing has no rate).
    pub trend: Option<f64>,
    /// The mean depth of the active users (0 without any).
    pub mean_depth: f64,
    /// 100 x (0.4 breadth + 0.3 mean depth + 0.3 min(DAU/MAU / 0.4, 1)), each part within [0, 1].
    pub health: f64,
    /// The first day one of its users reached first value minus the account's creation day
    /// (its `created_at` trait, else the first day one of its users was seen); `None` while
    /// not reached.
    pub time_to_first_value: Option<i64>,
    pub risk: AccountRisk,
}

fn seats(traits: &Map<String, Value>) -> Option<u32> {
    traits.get("seats").and_then(Value::as_u64).and_then(|seats| u32::try_from(seats).ok()).filter(|seats| *seats > 0)
}

/// The figures of an account with `traits` whose users are `members` (each as of the same day).
pub fn account_figures<'a>(
    traits: &Map<String, Value>,
    members: impl IntoIterator<Item = &'a UserFigures>,
    offset: DayOffset,
) -> AccountFigures {
    let mut users_seen = 0u32;
    let mut active_users = 0u32;
    let mut active_users_before = 0u32;
    let mut daily_active = 0u32;
    let mut depth_sum = 0.0;
    let mut first_seen = None;
    let mut first_value: Option<DayNumber> = None;
    for member in members {
        if member.first_seen.is_none() {
            continue;
        }
        users_seen += 1;
        first_seen = earlier(first_seen, member.first_seen);
        first_value = earlier(first_value, member.first_value);
        if member.active_within(LAST_30_DAYS) {
            active_users += 1;
            depth_sum += member.metrics.depth;
        }
        if member.active.count(LAST_30_DAYS, 2 * LAST_30_DAYS) > 0 {
            active_users_before += 1;
        }
        daily_active += member.active.count(0, LAST_30_DAYS);
    }
    let seats = seats(traits);
    let capacity = seats.unwrap_or(users_seen);
    let breadth = if capacity == 0 { 0.0 } else { f64::from(active_users) / f64::from(capacity) };
    let dau_mau =
        (active_users > 0).then(|| f64::from(daily_active) / f64::from(LAST_30_DAYS) / f64::from(active_users));
    let trend = (active_users_before > 0)
        .then(|| (f64::from(active_users) - f64::from(active_users_before)) / f64::from(active_users_before));
    let mean_depth = if active_users == 0 { 0.0 } else { depth_sum / f64::from(active_users) };
    let unit = |part: f64| part.clamp(0.0, 1.0);
    let stickiness = dau_mau.map_or(0.0, |ratio| unit(ratio / STICKY_DAU_MAU));
    let health = 100.0 * (0.4 * unit(breadth) + 0.3 * unit(mean_depth) + 0.3 * stickiness);
    let created = model::signed_up_at(traits).map(|at| at.day(offset)).or(first_seen);
    let time_to_first_value = first_value.zip(created).map(|(value, created)| value.days_since(created));
    let risk = AccountRisk {
        low_stickiness: dau_mau.is_some_and(|ratio| ratio < AT_RISK_DAU_MAU),
        falling: trend.is_some_and(|trend| trend < AT_RISK_TREND),
        no_active_users: active_users == 0,
    };
    AccountFigures {
        users_seen,
        seats,
        active_users,
        active_users_before,
        breadth,
        dau_mau,
        trend,
        mean_depth,
        health,
        time_to_first_value,
        risk,
    }
}
