//! The stored form of a user's state, written and read by hand straight from and into
//! `UserState` (see `json_fields`), with no stored types in between: each such type and its
//! conversions cost the SDK's wasm code of their own. The keys are short because the form is
//! written on every change; empty fields are left out; fields this version does not know are
//! ignored.
//!
//! Formats 1 to 3 (each adds fields; older ones read with their defaults):
//! `{"v", "f": {feature: {"n", "first", "last", "day", "bits", "older", "seen"}},
//! "e": {matcher: {"n", "at"}}, "s": {sequence: {"n", "w", "c"}},
//! "r": {rule: {"shows", "first", "last", "dismissed", "clicked", "snoozed", "goal", "variant"}},
//! "d": [day, shows], "t": {tour}, "ta", "c": {checklist}, "ca"}`. Times are ms since the epoch;
//! `bits` is the 400-day bitmap as hex, little end first, trailing zero bytes dropped; runs are
//! `[start, last]`; format 1 called "clicked" "acted" and had no "first" for rules.
//!
//! "v" is the oldest format a reader must know to read the state right, not the newest writer:
//! a field added since (as "ta" and "ca", when the tour and the checklist last changed, which
//! the tabs' merge needs) is optional, and a reader that does not know it ignores it. So a
//! release and the one before it share one stored state, and "v" goes up only for a change an
//! older reader would misread.

use std::collections::VecDeque;

use serde_json::{Map, Value};

use super::{RestoreError, STATE_VERSION, UserState};
use crate::checklist::ChecklistRun;
use crate::exposure::{RuleExposure, Variant};
use crate::ids::HEX;
use crate::json_fields::{Fields, ObjectBuilder};
use crate::json_writer::{FloatWriter, to_text};
use crate::time::{DayNumber, Timestamp};
use crate::tour::TourRun;
use crate::usage::{ActiveDays, EventHistory, FeatureUsage, Run, SequenceProgress};

impl From<String> for RestoreError {
    fn from(reason: String) -> RestoreError {
        RestoreError::Unreadable(reason)
    }
}

impl RestoreError {
    /// A stored text that is not JSON at all.
    pub fn not_json() -> RestoreError {
        RestoreError::Unreadable("it is not JSON".to_owned())
    }
}

impl UserState {
    /// Reads a stored state from its JSON text, for the tests: the SDK parses the text with
    /// `json_reader` and calls `from_json`.
    #[cfg(test)]
    pub fn parse(text: &str) -> Result<UserState, RestoreError> {
        let value: Value = serde_json::from_str(text).map_err(|_| RestoreError::not_json())?;
        UserState::from_json(&value)
    }

    /// Reads a stored state parsed from its JSON text (the SDK parses it with `json_reader`).
    /// The version is read first: a newer format is refused as such, not as unreadable.
    pub fn from_json(value: &Value) -> Result<UserState, RestoreError> {
        let fields = Fields::of(value, "")?;
        let version = fields.required("v", fields.u32("v")?)?;
        if version > STATE_VERSION {
            return Err(RestoreError::NewerVersion { found: version });
        }
        if version == 0 {
            return Err(RestoreError::Inconsistent("version 0 was never written"));
        }
        let mut state = UserState::default();
        fields.each_entry::<RestoreError>("f", &mut |id, usage| {
            state.features.insert(id.to_owned(), read_feature(&usage)?);
            Ok(())
        })?;
        fields.each_entry::<RestoreError>("e", &mut |key, history| {
            state.histories.insert(key.to_owned(), read_history(&history)?);
            Ok(())
        })?;
        fields.each_entry::<RestoreError>("s", &mut |key, sequence| {
            state.sequences.insert(key.to_owned(), read_sequence(&sequence)?);
            Ok(())
        })?;
        fields.each_entry::<RestoreError>("r", &mut |id, exposure| {
            state.rules.insert(id.to_owned(), read_exposure(&exposure, version == 1)?);
            Ok(())
        })?;
        state.shows_on_day = match fields.array("d")? {
            None => None,
            Some([day, shows]) => Some(
                day.as_i64()
                    .and_then(|day| i32::try_from(day).ok())
                    .zip(shows.as_u64().and_then(|shows| u32::try_from(shows).ok()))
                    .map(|(day, shows)| (DayNumber(day), shows))
                    .ok_or("d must be [day, shows]".to_owned())?,
            ),
            Some(_) => return Err(RestoreError::Unreadable("d must be [day, shows]".to_owned())),
        };
        if let Some(tour) = fields.object("t")? {
            state.tour = Some(read_tour(&tour)?);
        }
        state.tour_changed = instant(fields.i64("ta")?);
        if let Some(checklist) = fields.object("c")? {
            state.checklist = Some(read_checklist(&checklist)?);
        }
        state.checklist_changed = instant(fields.i64("ca")?);
        Ok(state)
    }

    /// The stored form, in the current format. Rows with nothing to keep are left out.
    pub fn to_json(&self) -> Value {
        let mut features = Map::new();
        for (id, usage) in self.features.iter() {
            if !usage.is_empty() {
                features.insert(id.to_owned(), feature_json(usage));
            }
        }
        let mut histories = Map::new();
        for (key, history) in self.histories.iter() {
            if history.total != 0 {
                let mut at = Vec::with_capacity(history.latest.len());
                for seen in &history.latest {
                    at.push(Value::from(seen.as_millis()));
                }
                let stored = ObjectBuilder::new().field("n", history.total).field_if(!at.is_empty(), "at", at);
                histories.insert(key.to_owned(), stored.build());
            }
        }
        let mut sequences = Map::new();
        for (key, progress) in self.sequences.iter() {
            if !progress.is_empty() {
                let mut waiting = Vec::with_capacity(progress.waiting.len());
                for runs in &progress.waiting {
                    waiting.push(runs_json(runs));
                }
                let stored = ObjectBuilder::new()
                    .field("n", progress.total)
                    .field_if(!waiting.is_empty(), "w", waiting)
                    .field_if(!progress.completions.is_empty(), "c", runs_json(&progress.completions));
                sequences.insert(key.to_owned(), stored.build());
            }
        }
        let mut rules = Map::new();
        for (id, exposure) in self.rules.iter() {
            if !exposure.is_empty() {
                rules.insert(id.to_owned(), exposure_json(exposure));
            }
        }
        ObjectBuilder::new()
            .field("v", STATE_VERSION)
            .field_if(!features.is_empty(), "f", features)
            .field_if(!histories.is_empty(), "e", histories)
            .field_if(!sequences.is_empty(), "s", sequences)
            .field_if(!rules.is_empty(), "r", rules)
            .some("d", self.shows_on_day.map(|(day, shows)| Value::Array(vec![day.0.into(), shows.into()])))
            .some("t", self.tour.as_ref().map(tour_json))
            .some("ta", millis(self.tour_changed))
            .some("c", self.checklist.as_ref().map(checklist_json))
            .some("ca", millis(self.checklist_changed))
            .build()
    }

    /// The JSON text written to storage (any float in it written with `write_float`).
    pub fn to_text(&self, write_float: FloatWriter) -> String {
        to_text(&self.to_json(), write_float)
    }
}

fn instant(millis: Option<i64>) -> Option<Timestamp> {
    millis.map(Timestamp::from_millis)
}

fn millis(at: Option<Timestamp>) -> Option<i64> {
    at.map(Timestamp::as_millis)
}

fn read_feature(fields: &Fields<'_>) -> Result<FeatureUsage, RestoreError> {
    let count = fields.u64("n")?.unwrap_or(0);
    let (first, last, day) = (fields.i64("first")?, fields.i64("last")?, fields.i32("day")?);
    let bits = hex_to_bits(fields.str("bits")?.unwrap_or_default())
        .ok_or(RestoreError::Inconsistent("a feature's days are not a bitmap"))?;
    let days = ActiveDays::from_parts(day.map(DayNumber), bits, fields.u32("older")?.unwrap_or(0))
        .ok_or(RestoreError::Inconsistent("a feature's days do not fit together"))?;
    // A tab's part may hold the dates of uses another part counts: dates without a count.
    let dates_fit = match (first, last) {
        (Some(first), Some(last)) => first <= last && day.is_some(),
        (None, None) => count == 0 && day.is_none(),
        _ => false,
    };
    if !dates_fit {
        return Err(RestoreError::Inconsistent("a feature's count or dates are impossible"));
    }
    Ok(FeatureUsage {
        count,
        first_used: instant(first),
        last_used: instant(last),
        days,
        entry_seen_at: instant(fields.i64("seen")?),
    })
}

fn feature_json(usage: &FeatureUsage) -> Value {
    let bits = bits_to_hex(usage.days.bits());
    ObjectBuilder::new()
        .field("n", usage.count)
        .some("first", millis(usage.first_used))
        .some("last", millis(usage.last_used))
        .some("day", usage.days.newest().map(|day| day.0))
        .field_if(!bits.is_empty(), "bits", bits)
        .field_if(usage.days.older_days() != 0, "older", usage.days.older_days())
        .some("seen", millis(usage.entry_seen_at))
        .build()
}

fn read_history(fields: &Fields<'_>) -> Result<EventHistory, RestoreError> {
    let total = fields.required("n", fields.u64("n")?)?;
    let times = fields.array("at")?.unwrap_or_default();
    let mut latest = VecDeque::with_capacity(times.len());
    for time in times {
        let at = time.as_i64().ok_or("at must be a list of times".to_owned())?;
        if latest.back().is_some_and(|last: &Timestamp| last.as_millis() > at) {
            return Err(RestoreError::Inconsistent("an event's history is out of order"));
        }
        latest.push_back(Timestamp::from_millis(at));
    }
    // No check of the times against the total: a tab's part may keep an occurrence another
    // part counts.
    Ok(EventHistory { total, latest })
}

fn read_sequence(fields: &Fields<'_>) -> Result<SequenceProgress, RestoreError> {
    let mut waiting = Vec::new();
    for step in fields.array("w")?.unwrap_or_default() {
        let runs = step.as_array().ok_or("w must be a list of lists of [start, last]".to_owned())?;
        waiting.push(read_runs(runs, "w must be a list of lists of [start, last]")?);
    }
    let completions = read_runs(fields.array("c")?.unwrap_or_default(), "c must be a list of [start, last]")?;
    let total = fields.required("n", fields.u64("n")?)?;
    if waiting.len() >= crate::config::SEQUENCE_MAX_STEPS {
        return Err(RestoreError::Inconsistent("a sequence's progress is impossible"));
    }
    Ok(SequenceProgress { waiting, completions, total })
}

/// Runs stored as `[[start, last], ...]`; `wrong` says what the list must be.
fn read_runs(list: &[Value], wrong: &str) -> Result<VecDeque<Run>, RestoreError> {
    let mut runs = VecDeque::with_capacity(list.len());
    for pair in list {
        let Some([start, last]) = pair.as_array().map(Vec::as_slice) else { return Err(wrong.to_owned().into()) };
        let (Some(start), Some(last)) = (start.as_i64(), last.as_i64()) else { return Err(wrong.to_owned().into()) };
        if start > last {
            return Err(RestoreError::Inconsistent("a sequence run ends before it starts"));
        }
        runs.push_back(Run { start: Timestamp::from_millis(start), last: Timestamp::from_millis(last) });
    }
    Ok(runs)
}

fn runs_json(runs: &VecDeque<Run>) -> Value {
    let mut pairs = Vec::with_capacity(runs.len());
    for run in runs {
        pairs.push(Value::Array(vec![run.start.as_millis().into(), run.last.as_millis().into()]));
    }
    Value::Array(pairs)
}

fn read_exposure(fields: &Fields<'_>, from_version_1: bool) -> Result<RuleExposure, RestoreError> {
    let variant = match fields.str("variant")? {
        None => None,
        Some("t") => Some(Variant::Treatment),
        Some("h") => Some(Variant::Holdout),
        Some(_) => return Err(RestoreError::Inconsistent("a rule's variant is unknown")),
    };
    let last = fields.i64("last")?;
    let first = if from_version_1 { fields.i64("first")?.or(last) } else { fields.i64("first")? };
    Ok(RuleExposure {
        shows: fields.u32("shows")?.unwrap_or(0),
        first_exposed_at: instant(first),
        last_shown: instant(last),
        dismissed_at: instant(fields.i64("dismissed")?),
        clicked_at: instant(fields.i64("clicked")?.or(fields.i64("acted")?)),
        snoozed_until: instant(fields.i64("snoozed")?),
        goal_reached_at: instant(fields.i64("goal")?),
        variant,
    })
}

fn exposure_json(exposure: &RuleExposure) -> Value {
    let variant = exposure.variant.map(|variant| match variant {
        Variant::Treatment => "t",
        Variant::Holdout => "h",
    });
    ObjectBuilder::new()
        .field_if(exposure.shows != 0, "shows", exposure.shows)
        .some("first", millis(exposure.first_exposed_at))
        .some("last", millis(exposure.last_shown))
        .some("dismissed", millis(exposure.dismissed_at))
        .some("clicked", millis(exposure.clicked_at))
        .some("snoozed", millis(exposure.snoozed_until))
        .some("goal", millis(exposure.goal_reached_at))
        .some("variant", variant)
        .build()
}

fn read_tour(fields: &Fields<'_>) -> Result<TourRun, RestoreError> {
    let step = fields.u32("step")?;
    Ok(TourRun {
        tour_id: fields.required("id", fields.str("id")?)?.to_owned(),
        step: fields.required("step", step)? as usize,
        rule_id: fields.str("rule")?.map(str::to_owned),
        preview: fields.bool("preview")?.unwrap_or(false),
        started_at: Timestamp::from_millis(fields.required("started", fields.i64("started")?)?),
        missing_since: instant(fields.i64("missing")?),
        centered: fields.bool("centered")?.unwrap_or(false),
        viewed: fields.bool("viewed")?.unwrap_or(false),
    })
}

fn tour_json(run: &TourRun) -> Value {
    ObjectBuilder::new()
        .field("id", run.tour_id.as_str())
        .field("step", run.step)
        .some("rule", run.rule_id.as_deref())
        .field_if(run.preview, "preview", true)
        .field("started", run.started_at.as_millis())
        .some("missing", millis(run.missing_since))
        .field_if(run.centered, "centered", true)
        .field_if(run.viewed, "viewed", true)
        .build()
}

fn read_checklist(fields: &Fields<'_>) -> Result<ChecklistRun, RestoreError> {
    Ok(ChecklistRun {
        checklist_id: fields.required("id", fields.str("id")?)?.to_owned(),
        rule_id: fields.str("rule")?.map(str::to_owned),
        preview: fields.bool("preview")?.unwrap_or(false),
        open: fields.bool("open")?.unwrap_or(false),
        dismissed: fields.bool("dismissed")?.unwrap_or(false),
        reported: fields.u32("reported")?.unwrap_or(0),
    })
}

fn checklist_json(run: &ChecklistRun) -> Value {
    ObjectBuilder::new()
        .field("id", run.checklist_id.as_str())
        .some("rule", run.rule_id.as_deref())
        .field_if(run.preview, "preview", true)
        .field_if(run.open, "open", true)
        .field_if(run.dismissed, "dismissed", true)
        .field("reported", run.reported)
        .build()
}

/// The bitmap as hex, little end first, without its trailing zero bytes.
fn bits_to_hex(words: &[u64]) -> String {
    let mut bytes = Vec::with_capacity(words.len() * 8);
    for word in words {
        bytes.extend_from_slice(&word.to_le_bytes());
    }
    while bytes.last() == Some(&0) {
        bytes.pop();
    }
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(HEX[usize::from(byte >> 4)]));
        out.push(char::from(HEX[usize::from(byte & 0x0F)]));
    }
    out
}

fn hex_to_bits<const N: usize>(hex: &str) -> Option<[u64; N]> {
    let digits = hex.as_bytes();
    if !digits.len().is_multiple_of(2) || digits.len() > N * 16 {
        return None;
    }
    let mut bytes = vec![0u8; N * 8];
    for (slot, pair) in bytes.iter_mut().zip(digits.chunks_exact(2)) {
        let text = std::str::from_utf8(pair).ok()?;
        *slot = u8::from_str_radix(text, 16).ok()?;
    }
    let mut words = [0u64; N];
    for (word, chunk) in words.iter_mut().zip(bytes.chunks_exact(8)) {
        let mut le = [0u8; 8];
        le.copy_from_slice(chunk);
        *word = u64::from_le_bytes(le);
    }
    Some(words)
}
