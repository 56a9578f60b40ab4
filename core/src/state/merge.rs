//! Merging two records of one user's state, row by row (see `crate::merge`): a tab's own part
//! and the parts of the others make up what the engine decides from, and a part taken back out
//! of that sum is what the tab writes as its own. The tour and the checklist are each one
//! record that the later change replaces whole.

use super::UserState;
use crate::checklist::ChecklistRun;
use crate::exposure::RuleExposure;
use crate::merge::Combine;
use crate::table::Table;
use crate::time::Timestamp;
use crate::tour::TourRun;
use crate::usage::{EventHistory, FeatureUsage, SequenceProgress};

/// A row of the state that merges with another record of itself.
trait Row: Default {
    fn merge(&mut self, other: &Self, how: Combine);
    fn without(&self, part: &Self) -> Self;
}

macro_rules! row {
    ($($kind:ty),*) => {$(
        impl Row for $kind {
            fn merge(&mut self, other: &Self, how: Combine) {
                <$kind>::merge(self, other, how);
            }
            fn without(&self, part: &Self) -> Self {
                <$kind>::without(self, part)
            }
        }
    )*};
}

row!(FeatureUsage, EventHistory, SequenceProgress, RuleExposure);

fn merge_table<T: Row>(ours: &mut Table<T>, theirs: &Table<T>, how: Combine) {
    for (key, row) in theirs.iter() {
        let at = ours.row_or_insert_with(key, T::default);
        if let Some(ours) = ours.at_mut(at) {
            ours.merge(row, how);
        }
    }
}

fn table_without<T: Row>(table: &Table<T>, part: &Table<T>) -> Table<T> {
    let mut rest = Table::default();
    for (key, row) in table.iter() {
        let row = match part.get(key) {
            Some(taken) => row.without(taken),
            None => row.without(&T::default()),
        };
        rest.insert(key.to_owned(), row);
    }
    rest
}

/// The record changed last, of ours and theirs; on a tie, the larger value, so that every
/// order of merging picks the same.
fn latest<T: Ord + Clone>(ours: (&mut Option<T>, &mut Option<Timestamp>), theirs: (&Option<T>, Option<Timestamp>)) {
    if (theirs.1, theirs.0) > (*ours.1, &*ours.0) {
        ours.0.clone_from(theirs.0);
        *ours.1 = theirs.1;
    }
}

impl UserState {
    /// Adds another record of this user's state: another copy of the same replica's part
    /// (`Combine::Join`), or another replica's (`Combine::Sum`). Joining is commutative,
    /// associative and idempotent; summing distinct replicas' parts counts each use once.
    pub fn merge(&mut self, other: &UserState, how: Combine) {
        merge_table(&mut self.features, &other.features, how);
        merge_table(&mut self.histories, &other.histories, how);
        merge_table(&mut self.sequences, &other.sequences, how);
        merge_table(&mut self.rules, &other.rules, how);
        self.shows_on_day = match (self.shows_on_day, other.shows_on_day) {
            (Some((ours, shows)), Some((theirs, their_shows))) if ours == theirs => {
                Some((ours, how.count_u32(shows, their_shows)))
            }
            (ours, theirs) => ours.max(theirs),
        };
        latest::<TourRun>((&mut self.tour, &mut self.tour_changed), (&other.tour, other.tour_changed));
        latest::<ChecklistRun>(
            (&mut self.checklist, &mut self.checklist_changed),
            (&other.checklist, other.checklist_changed),
        );
    }

    /// This state without `part`, a replica's part summed into it before: what the other
    /// replicas recorded. Counts and occurrences are taken out; what merging again would not
    /// change (dates, days, the tour and the checklist) is kept whole.
    pub fn without(&self, part: &UserState) -> UserState {
        let shows_on_day = match (self.shows_on_day, part.shows_on_day) {
            (Some((day, shows)), Some((part_day, part_shows))) if day == part_day => {
                Some((day, shows.saturating_sub(part_shows)))
            }
            (ours, _) => ours,
        };
        UserState {
            features: table_without(&self.features, &part.features),
            histories: table_without(&self.histories, &part.histories),
            sequences: table_without(&self.sequences, &part.sequences),
            rules: table_without(&self.rules, &part.rules),
            shows_on_day,
            tour: self.tour.clone(),
            tour_changed: self.tour_changed,
            checklist: self.checklist.clone(),
            checklist_changed: self.checklist_changed,
        }
    }
}
