//! The rows of each endpoint, from a snapshot and the core's figures: users, features,
//! accounts, campaigns and activity. Each row is a JSON object; `format` writes it as JSON or
//! flattens it into CSV.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};
use uptake_core::analytics::{
    AccountFigures, ActivityPoint, ActivityTally, Period, UserActivity, UserFigures, account_figures, campaign_figures,
    feature_figures,
};
use uptake_core::config::{Config, RecencyClass};
use uptake_core::time::DayNumber;

use super::params::day_text;
use super::snapshot::{Snapshot, UserRow, threads};

pub const FREQUENCIES: [&str; 5] = ["daily", "weekly", "monthly", "lapsed", "never"];
pub const BARRIERS: [&str; 4] = ["unaware", "stuck", "unconvinced", "none"];

fn day_value(day: Option<DayNumber>) -> Value {
    day.map_or(Value::Null, |day| Value::from(day_text(day)))
}

/// A ratio rounded to 4 places, so answers and CSV stay readable; `null` when undefined.
fn ratio(value: Option<f64>) -> Value {
    value.map_or(Value::Null, |value| json!((value * 10_000.0).round() / 10_000.0))
}

/// The users seen by the day (the figures of a user first seen later are left out).
pub fn seen(snapshot: &Snapshot) -> impl Iterator<Item = &UserRow> {
    snapshot.users.iter().filter(|user| user.figures.first_seen.is_some())
}

pub fn user_row(config: &Config, user: &UserRow) -> Value {
    let figures = &user.figures;
    let mut features = Map::new();
    for (feature, standing) in config.features.iter().zip(&figures.features) {
        features.insert(
            feature.id.clone(),
            json!({"frequency": standing.frequency.as_str(), "barrier": standing.barrier.as_str(), "uses": standing.count}),
        );
    }
    json!({
        "write_key": user.write_key,
        "user_id": user.person.id(),
        "anonymous": user.person.is_anonymous(),
        "account": user.account,
        "level": figures.metrics.level,
        "recency": figures.metrics.recency.name(),
        "depth": ratio(Some(figures.metrics.depth)),
        "active_days_28": figures.active.count(0, 28),
        "last_active": day_value(figures.last_active),
        "first_seen": day_value(figures.first_seen),
        "time_to_first_value": figures.time_to_first_value(),
        "features": features,
    })
}

/// Whether a user passes the `users` filters.
pub struct UserFilter<'a> {
    pub account: Option<&'a str>,
    pub level: Option<u32>,
    pub recency: Option<RecencyClass>,
    pub user: Option<&'a str>,
}

impl UserFilter<'_> {
    pub fn passes(&self, user: &UserRow) -> bool {
        self.account.is_none_or(|account| user.account.as_deref() == Some(account))
            && self.level.is_none_or(|level| user.figures.metrics.level == level)
            && self.recency.is_none_or(|recency| user.figures.metrics.recency == recency)
            && self.user.is_none_or(|id| user.person.id() == id)
    }
}

/// How many of `users` are at each level and in each recency class.
pub fn user_counts(users: &[&UserRow]) -> Value {
    let mut levels = [0u32; 6];
    let mut recency = Map::new();
    for class in [RecencyClass::New, RecencyClass::Active, RecencyClass::AtRisk, RecencyClass::Dormant] {
        recency.insert(class.name().to_owned(), 0.into());
    }
    for user in users {
        let metrics = user.figures.metrics;
        levels[metrics.level.min(5) as usize] += 1;
        if let Some(count) = recency.get_mut(metrics.recency.name()) {
            *count = (count.as_u64().unwrap_or(0) + 1).into();
        }
    }
    let levels: Map<String, Value> =
        levels.iter().enumerate().map(|(level, count)| (format!("L{level}"), (*count).into())).collect();
    json!({"levels": levels, "recency": recency})
}

pub fn feature_rows(config: &Config, snapshot: &Snapshot) -> Vec<Value> {
    let figures: Vec<&UserFigures> = seen(snapshot).map(|user| &user.figures).collect();
    config
        .features
        .iter()
        .enumerate()
        .map(|(index, feature)| {
            let result = feature_figures(feature, index, figures.iter().copied());
            let tier = feature.category.as_ref().and_then(|category| category.tier);
            let mix: Map<String, Value> = FREQUENCIES
                .iter()
                .zip(result.frequency_mix)
                .map(|(name, count)| ((*name).to_owned(), count.into()))
                .collect();
            let barriers: Map<String, Value> =
                BARRIERS.iter().zip(result.barriers).map(|(name, count)| ((*name).to_owned(), count.into())).collect();
            json!({
                "feature": feature.id,
                "name": feature.name,
                "tier": tier.map(|tier| serde_json::to_value(tier).unwrap_or(Value::Null)),
                "active_users": result.active_users,
                "adopters": result.adopters,
                "adoption_rate": ratio(result.adoption_rate),
                "target_low": result.band.map(|band| band.low),
                "target_high": result.band.map(|band| band.high),
                "verdict": result.verdict.map(|verdict| verdict.as_str()),
                "frequency": mix,
                "barriers": barriers,
                "users_ever": result.users_ever,
            })
        })
        .collect()
}

/// Each account's figures, keyed by (write key, account id).
pub fn account_figures_of(config: &Config, snapshot: &Snapshot) -> BTreeMap<(String, String), AccountFigures> {
    let mut members: BTreeMap<(String, String), Vec<&UserFigures>> = BTreeMap::new();
    for key in snapshot.accounts.keys() {
        members.entry(key.clone()).or_default();
    }
    for user in seen(snapshot) {
        if let Some(account) = &user.account {
            members.entry((user.write_key.clone(), account.clone())).or_default().push(&user.figures);
        }
    }
    let offset = config.settings.day_offset();
    let empty = Map::new();
    members
        .into_iter()
        .map(|(key, users)| {
            let traits = snapshot.accounts.get(&key).map_or(&empty, |account| &account.traits);
            let figures = account_figures(traits, users.iter().copied(), offset);
            (key, figures)
        })
        .collect()
}

pub fn account_row(key: &(String, String), figures: &AccountFigures) -> Value {
    let risk = figures.risk;
    let mut risks = Vec::new();
    if risk.low_stickiness {
        risks.push("dau_mau_under_0.2");
    }
    if risk.falling {
        risks.push("active_users_down_over_20_percent");
    }
    if risk.no_active_users {
        risks.push("no_active_users");
    }
    json!({
        "write_key": key.0,
        "account": key.1,
        "users_seen": figures.users_seen,
        "seats": figures.seats,
        "active_users": figures.active_users,
        "active_users_before": figures.active_users_before,
        "breadth": ratio(Some(figures.breadth)),
        "dau_mau": ratio(figures.dau_mau),
        "trend": ratio(figures.trend),
        "mean_depth": ratio(Some(figures.mean_depth)),
        "health": (figures.health * 10.0).round() / 10.0,
        "time_to_first_value": figures.time_to_first_value,
        "at_risk": risk.any(),
        "risks": risks.join(" "),
    })
}

fn arm(figures: uptake_core::analytics::ArmFigures) -> Value {
    json!({
        "exposed": figures.exposed,
        "interacted": figures.interacted,
        "dismissed": figures.dismissed,
        "converted": figures.converted,
        "conversion": ratio(figures.conversion()),
    })
}

/// A campaign row per rule with a goal (or only `rule`).
pub fn campaign_rows(config: &Config, snapshot: &Snapshot, as_of: DayNumber, rule: Option<&str>) -> Vec<Value> {
    let offset = config.settings.day_offset();
    config
        .rules
        .iter()
        .enumerate()
        .filter(|(_, candidate)| candidate.goal.is_some() && rule.is_none_or(|id| candidate.id == id))
        .map(|(index, rule)| {
            let exposures = seen(snapshot)
                .flat_map(|user| user.exposures.iter())
                .filter(|(rule_index, _)| *rule_index == index)
                .map(|(_, exposure)| exposure);
            let figures = campaign_figures(exposures, as_of, offset);
            let window = rule.goal.as_ref().map(|goal| goal.within().duration().as_millis() / 86_400_000);
            let (lift, interval) = figures.lift.map_or((None, None), |(lift, interval)| (Some(lift), Some(interval)));
            json!({
                "rule": rule.id,
                "holdout_share": rule.holdout,
                "goal_window_days": window,
                "treatment": arm(figures.treatment),
                "holdout": arm(figures.holdout),
                "lift": ratio(lift),
                "lift_low": ratio(interval.map(|interval| interval.low)),
                "lift_high": ratio(interval.map(|interval| interval.high)),
                "significant": interval.map(|interval| interval.excludes_zero()),
            })
        })
        .collect()
}

/// The points of a range ending on `to`, from a snapshot read as of `to` (each point counts the
/// users seen by its own day), the users counted in parts on every core.
pub fn activity_rows(snapshot: &Snapshot, to: DayNumber, points: u32, period: Period) -> Vec<Value> {
    let tally = |users: &[UserRow]| {
        let mut tally = ActivityTally::new(to, points, period);
        for user in users {
            tally.add(&UserActivity { figures: &user.figures, levels: &user.levels });
        }
        tally
    };
    let share = snapshot.users.len().div_ceil(threads()).max(1);
    let mut parts = std::thread::scope(|scope| {
        let parts: Vec<_> = snapshot.users.chunks(share).map(|users| scope.spawn(move || tally(users))).collect();
        parts.into_iter().filter_map(|part| part.join().ok()).collect::<Vec<_>>().into_iter()
    });
    let mut total = parts.next().unwrap_or_else(|| ActivityTally::new(to, points, period));
    for part in parts {
        total.merge(&part);
    }
    total.finish().iter().map(point_row).collect()
}

fn point_row(point: &ActivityPoint) -> Value {
    let levels: Map<String, Value> =
        point.levels.iter().enumerate().map(|(level, count)| (format!("L{level}"), (*count).into())).collect();
    let lifecycle = point.lifecycle;
    json!({
        "day": day_text(point.day),
        "dau": (point.dau * 100.0).round() / 100.0,
        "wau": point.wau,
        "mau": point.mau,
        "dau_mau": ratio(point.dau_mau),
        "levels": levels,
        "lifecycle": {
            "new": lifecycle.new,
            "returning": lifecycle.returning,
            "resurrecting": lifecycle.resurrecting,
            "dormant": lifecycle.dormant,
        },
    })
}
