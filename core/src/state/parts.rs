//! One user's state as the tabs of a device store it: each open tab writes its own part (what
//! it recorded itself, and the experiences it has on screen, its claims), and what closed tabs
//! left is folded into one base. No two tabs write the same record, so none overwrites what
//! another recorded; the state a tab decides from is the base plus every part, summed
//! (`Combine::Sum`), which counts each use once.
//!
//! The base lists the tabs folded into it (`folded`): a part read after its tab was folded is
//! left out, so a reader never counts it twice; the list keeps a tab until its part is gone.
//! Both forms are the state's stored form with more fields ("x": the folded tabs; "o": the rules
//! whose prompt or survey the tab shows, "ot": whether it shows the tour), which readers of the
//! state alone ignore.

use serde_json::Value;

use super::{RestoreError, UserState};
use crate::json_fields::Fields;
use crate::merge::Combine;

/// A tab's part: what it recorded itself, and what it has on screen (its claims, which no other
/// tab shows meanwhile).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TabPart {
    pub state: UserState,
    /// The rules whose prompt or survey it shows.
    pub shown_rules: Vec<String>,
    /// Whether it shows the tour's current step.
    pub shows_tour: bool,
}

/// What closed tabs left: their parts summed, and which tabs those were.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FoldedBase {
    pub state: UserState,
    pub folded: Vec<String>,
}

fn strings(fields: &Fields<'_>, key: &str) -> Result<Vec<String>, RestoreError> {
    let mut list = Vec::new();
    for value in fields.array(key)?.unwrap_or_default() {
        list.push(value.as_str().ok_or_else(|| format!("{key} must be a list of strings"))?.to_owned());
    }
    Ok(list)
}

fn with_list(mut stored: Value, key: &str, list: &[String]) -> Value {
    if let Value::Object(object) = &mut stored
        && !list.is_empty()
    {
        let mut values = Vec::with_capacity(list.len());
        for item in list {
            values.push(Value::from(item.as_str()));
        }
        object.insert(key.to_owned(), Value::Array(values));
    }
    stored
}

impl TabPart {
    pub fn from_json(value: &Value) -> Result<TabPart, RestoreError> {
        let fields = Fields::of(value, "")?;
        Ok(TabPart {
            state: UserState::from_json(value)?,
            shown_rules: strings(&fields, "o")?,
            shows_tour: fields.bool("ot")?.unwrap_or(false),
        })
    }

    pub fn to_json(&self) -> Value {
        let mut stored = with_list(self.state.to_json(), "o", &self.shown_rules);
        if let (Value::Object(object), true) = (&mut stored, self.shows_tour) {
            object.insert("ot".to_owned(), Value::Bool(true));
        }
        stored
    }
}

impl FoldedBase {
    pub fn from_json(value: &Value) -> Result<FoldedBase, RestoreError> {
        Ok(FoldedBase { state: UserState::from_json(value)?, folded: strings(&Fields::of(value, "")?, "x")? })
    }

    pub fn to_json(&self) -> Value {
        with_list(self.state.to_json(), "x", &self.folded)
    }

    /// Folds the part a closed tab left into the base; false when it was folded already. The
    /// caller writes the base, then deletes the part.
    pub fn fold(&mut self, tab: &str, part: &TabPart) -> bool {
        if self.folded.iter().any(|folded| folded == tab) {
            return false;
        }
        self.state.merge(&part.state, Combine::Sum);
        self.folded.push(tab.to_owned());
        true
    }

    /// Forgets the folded tabs whose parts are gone from storage (`stored(tab)` is false):
    /// no reader can count them twice any more.
    pub fn forget_folded(&mut self, stored: impl Fn(&str) -> bool) {
        self.folded.retain(|tab| stored(tab));
    }
}

/// The stored parts of one user other than this tab's: the base and the other tabs' parts.
#[derive(Clone, Debug, Default)]
pub struct OtherParts {
    pub base: FoldedBase,
    /// By tab id.
    pub parts: Vec<(String, TabPart)>,
}

impl OtherParts {
    /// Sets (or with `None`, removes) the part of `tab`.
    pub fn set_part(&mut self, tab: &str, part: Option<TabPart>) {
        let at = self.parts.iter().position(|(known, _)| known == tab);
        match (at, part) {
            (Some(at), Some(part)) => {
                if let Some(slot) = self.parts.get_mut(at) {
                    slot.1 = part;
                }
            }
            (Some(at), None) => {
                self.parts.remove(at);
            }
            (None, Some(part)) => self.parts.push((tab.to_owned(), part)),
            (None, None) => {}
        }
    }

    /// The parts of tabs not folded into the base.
    fn live(&self) -> impl Iterator<Item = &(String, TabPart)> {
        self.parts.iter().filter(|(tab, _)| !self.base.folded.contains(tab))
    }

    /// What the others recorded: the base plus every part not folded into it.
    pub fn sum(&self) -> UserState {
        let mut sum = self.base.state.clone();
        for (_, part) in self.live() {
            sum.merge(&part.state, Combine::Sum);
        }
        sum
    }

    /// The rules whose prompt or survey another tab shows.
    pub fn shown_rules(&self) -> Vec<String> {
        let mut rules = Vec::new();
        for (_, part) in self.live() {
            for rule in &part.shown_rules {
                if !rules.contains(rule) {
                    rules.push(rule.clone());
                }
            }
        }
        rules
    }

    /// The tab that shows the tour, if another one does.
    pub fn tour_shown_by(&self) -> Option<&str> {
        self.live().find(|(_, part)| part.shows_tour).map(|(tab, _)| tab.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::{DayOffset, Timestamp};
    use crate::usage::FeatureUsage;

    fn part(uses: u64, shown_rules: &[&str]) -> TabPart {
        let mut state = UserState::default();
        let row = state.features.row_or_insert_with("approve", FeatureUsage::default);
        for minute in 0..uses {
            state
                .features
                .at_mut(row)
                .unwrap()
                .record_use(Timestamp::from_millis(minute as i64 * 60_000), DayOffset::default());
        }
        TabPart { state, shown_rules: shown_rules.iter().map(|rule| (*rule).to_owned()).collect(), shows_tour: false }
    }

    fn approvals(state: &UserState) -> u64 {
        state.features.get("approve").map_or(0, |usage| usage.count)
    }

    #[test]
    fn the_others_are_the_base_plus_every_part_and_their_claims() {
        let mut others = OtherParts::default();
        others.base.state = part(2, &[]).state;
        others.set_part("a", Some(part(3, &["suggest"])));
        others.set_part("b", Some(TabPart { shows_tour: true, ..part(1, &["suggest"]) }));
        assert_eq!(approvals(&others.sum()), 6);
        assert_eq!(others.shown_rules(), ["suggest"]);
        assert_eq!(others.tour_shown_by(), Some("b"));
        others.set_part("a", Some(part(4, &[])));
        others.set_part("b", None);
        assert_eq!((approvals(&others.sum()), others.shown_rules().len(), others.tour_shown_by()), (6, 0, None));
    }

    #[test]
    fn a_folded_part_counts_once_whether_or_not_it_is_deleted_yet() {
        let mut others = OtherParts::default();
        let closed = part(3, &["suggest"]);
        others.set_part("closed", Some(closed.clone()));
        others.set_part("open", Some(part(1, &[])));
        let mut base = others.base.clone();
        assert!(base.fold("closed", &closed));
        assert!(!base.fold("closed", &closed), "folded once");
        // The new base is read before the part's deletion arrives.
        others.base = FoldedBase::from_json(&base.to_json()).unwrap();
        assert_eq!(approvals(&others.sum()), 4);
        assert_eq!(others.shown_rules(), Vec::<String>::new(), "a folded tab shows nothing");
        others.set_part("closed", None);
        assert_eq!(approvals(&others.sum()), 4);
        others.base.forget_folded(|tab| others.parts.iter().any(|(stored, _)| stored == tab));
        assert_eq!(others.base.folded, Vec::<String>::new());
    }

    #[test]
    fn parts_and_bases_round_trip_and_state_readers_read_them() {
        let written = TabPart { shows_tour: true, ..part(2, &["suggest", "announce"]) };
        let json = written.to_json();
        assert_eq!(TabPart::from_json(&json).unwrap(), written);
        assert_eq!(UserState::from_json(&json).unwrap(), written.state, "the claims are one more field");
        let base = FoldedBase { state: part(1, &[]).state, folded: vec!["t1".into()] };
        assert_eq!(FoldedBase::from_json(&base.to_json()).unwrap(), base);
    }
}
