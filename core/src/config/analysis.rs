//! Rules that can never show are refused: a comparison no value can meet, a condition and its
//! negation required together, a feature required both used and unused. The analysis is
//! conservative: it reports only what is certainly impossible.

use super::Config;
use super::conditions::{AllCondition, AnyCondition, Condition, FeatureCondition, NotCondition};
use super::decode::Decoder;
use super::error::ConfigProblem;
use super::rules::Rule;

/// Why a condition can never hold, and where.
struct Never {
    path: String,
    reason: String,
}

fn never(path: &str, reason: impl Into<String>) -> Option<Never> {
    Some(Never { path: path.to_owned(), reason: reason.into() })
}

/// Whether `condition` holds whatever the user did.
fn always_holds(condition: &Condition) -> bool {
    match condition {
        Condition::All(AllCondition { all }) => all.iter().all(always_holds),
        Condition::Any(AnyCondition { any }) => any.iter().any(always_holds),
        Condition::Not(NotCondition { not }) => never_holds(not, "").is_some(),
        Condition::Level(level) => level.level.bounds() == Some((0, None)),
        Condition::TenureDays(tenure) => tenure.tenure_days.bounds() == Some((0, None)),
        _ => false,
    }
}

/// Whether two conditions contradict each other: one is the negation of the other, or they ask
/// for the same feature both used and unused over the same window.
fn contradict(left: &Condition, right: &Condition) -> bool {
    match (left, right) {
        (Condition::Not(NotCondition { not }), other) | (other, Condition::Not(NotCondition { not })) => {
            not.as_ref() == other
        }
        (Condition::Feature(a), Condition::Feature(b)) => {
            let FeatureCondition { feature, used, within } = a;
            *feature == b.feature && *within == b.within && *used != b.used
        }
        _ => false,
    }
}

fn never_holds(condition: &Condition, path: &str) -> Option<Never> {
    match condition {
        Condition::All(AllCondition { all }) => {
            for (index, part) in all.iter().enumerate() {
                if let Some(found) = never_holds(part, &format!("{path}.all[{index}]")) {
                    return Some(found);
                }
            }
            for (index, part) in all.iter().enumerate() {
                for (other_index, other) in all.iter().enumerate().skip(index + 1) {
                    if contradict(part, other) {
                        return never(
                            &format!("{path}.all[{other_index}]"),
                            format!("it contradicts {path}.all[{index}]"),
                        );
                    }
                }
            }
            None
        }
        Condition::Any(AnyCondition { any }) => {
            let reasons: Vec<Never> = any
                .iter()
                .enumerate()
                .filter_map(|(index, part)| never_holds(part, &format!("{path}.any[{index}]")))
                .collect();
            if reasons.len() == any.len() {
                return never(path, "none of its conditions can hold");
            }
            None
        }
        Condition::Not(NotCondition { not }) => {
            if always_holds(not) {
                return never(path, "it negates a condition that always holds");
            }
            None
        }
        Condition::Level(level) => match level.level.bounds() {
            Some((min, _)) if min > 5 => never(path, "levels go from 0 to 5"),
            _ => None,
        },
        _ => None,
    }
}

/// Reports each rule whose trigger and audience together can never hold.
pub(super) fn report_unreachable_rules(decoder: &mut Decoder, config: &Config) {
    for (index, rule) in config.rules.iter().enumerate() {
        if let Some(found) = unreachable(rule, index) {
            decoder.report_at(found.path, ConfigProblem::NeverHolds { reason: found.reason });
        }
    }
}

fn unreachable(rule: &Rule, index: usize) -> Option<Never> {
    let base = format!("rules[{index}]");
    if let Some(found) = never_holds(&rule.when, &format!("{base}.when")) {
        return Some(found);
    }
    let audience = rule.audience.as_ref()?;
    if let Some(found) = never_holds(audience, &format!("{base}.audience")) {
        return Some(found);
    }
    if contradict(&rule.when, audience) {
        return never(&format!("{base}.audience"), format!("it contradicts {base}.when"));
    }
    None
}
