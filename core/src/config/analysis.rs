//! Rules that can never show are refused: a comparison no value can meet, a condition and its
//! negation required together, a feature required both used and unused. The analysis is
//! conservative: it reports only what is certainly impossible. Paths are written out only for
//! what is reported.

use super::Config;
use super::conditions::{AllCondition, AnyCondition, Condition, FeatureCondition, NotCondition};
use super::decode::Decoder;
use super::error::ConfigProblem;

/// One step into a rule's conditions.
#[derive(Clone, Copy)]
enum Step {
    All(usize),
    Any(usize),
}

/// Why a condition can never hold.
enum Reason {
    /// It contradicts the condition at these steps.
    Contradicts(Vec<Step>),
    NoneCanHold,
    NegatesWhatAlwaysHolds,
    LevelOutOfRange,
}

/// Why a condition can never hold, and where: the steps from the rule's `when` or `audience`.
struct Never {
    steps: Vec<Step>,
    reason: Reason,
}

impl Reason {
    fn describe(&self, base: &str) -> String {
        match self {
            Reason::Contradicts(steps) => format!("it contradicts {}", write_path(base, steps)),
            Reason::NoneCanHold => "none of its conditions can hold".to_owned(),
            Reason::NegatesWhatAlwaysHolds => "it negates a condition that always holds".to_owned(),
            Reason::LevelOutOfRange => "levels go from 0 to 5".to_owned(),
        }
    }
}

fn write_path(base: &str, steps: &[Step]) -> String {
    let mut path = base.to_owned();
    for step in steps {
        match step {
            Step::All(index) => path.push_str(&format!(".all[{index}]")),
            Step::Any(index) => path.push_str(&format!(".any[{index}]")),
        }
    }
    path
}

/// Whether `condition` holds whatever the user did.
fn always_holds(condition: &Condition) -> bool {
    match condition {
        Condition::All(AllCondition { all }) => all.iter().all(always_holds),
        Condition::Any(AnyCondition { any }) => any.iter().any(always_holds),
        Condition::Not(NotCondition { not }) => never_holds(not, &mut Vec::new()).is_some(),
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

/// Why `condition` (at `steps`) can never hold, if it certainly cannot.
fn never_holds(condition: &Condition, steps: &mut Vec<Step>) -> Option<Never> {
    match condition {
        Condition::All(AllCondition { all }) => {
            for (index, part) in all.iter().enumerate() {
                steps.push(Step::All(index));
                let found = never_holds(part, steps);
                steps.pop();
                if found.is_some() {
                    return found;
                }
            }
            for (index, part) in all.iter().enumerate() {
                for (other_index, other) in all.iter().enumerate().skip(index + 1) {
                    if contradict(part, other) {
                        let mut first = steps.clone();
                        first.push(Step::All(index));
                        let mut at = steps.clone();
                        at.push(Step::All(other_index));
                        return Some(Never { steps: at, reason: Reason::Contradicts(first) });
                    }
                }
            }
            None
        }
        Condition::Any(AnyCondition { any }) => {
            let impossible = any.iter().enumerate().all(|(index, part)| {
                steps.push(Step::Any(index));
                let found = never_holds(part, steps).is_some();
                steps.pop();
                found
            });
            impossible.then(|| Never { steps: steps.clone(), reason: Reason::NoneCanHold })
        }
        Condition::Not(NotCondition { not }) => {
            always_holds(not).then(|| Never { steps: steps.clone(), reason: Reason::NegatesWhatAlwaysHolds })
        }
        Condition::Level(level) => match level.level.bounds() {
            Some((min, _)) if min > 5 => Some(Never { steps: steps.clone(), reason: Reason::LevelOutOfRange }),
            _ => None,
        },
        _ => None,
    }
}

/// Reports each rule whose trigger and audience together can never hold.
pub(super) fn report_unreachable_rules(decoder: &mut Decoder, config: &Config) {
    let mut steps = Vec::new();
    for (index, rule) in config.rules.iter().enumerate() {
        let mut report = |base: String, found: Never| {
            let problem = ConfigProblem::NeverHolds { reason: found.reason.describe(&base) };
            decoder.report_at(write_path(&base, &found.steps), problem);
        };
        if let Some(found) = never_holds(&rule.when, &mut steps) {
            report(format!("rules[{index}].when"), found);
            continue;
        }
        let Some(audience) = &rule.audience else { continue };
        if let Some(found) = never_holds(audience, &mut steps) {
            report(format!("rules[{index}].audience"), found);
        } else if contradict(&rule.when, audience) {
            let reason = Reason::Contradicts(Vec::new()).describe(&format!("rules[{index}].when"));
            decoder.report_at(format!("rules[{index}].audience"), ConfigProblem::NeverHolds { reason });
        }
    }
}
